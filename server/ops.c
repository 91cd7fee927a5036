/* The op table (see ops.h). Keep it sorted by name: ops_find bisects it. */
#include "ops.h"

#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "util.h"

static const struct op table[] = {
    {"account.suspend", op_account_suspend, OP_BRAND},
    {"auth.delete", op_auth_delete, OP_AUTH},
    {"auth.login", op_auth_login, 0},
    {"auth.logout", op_auth_logout, OP_AUTH},
    {"auth.register", op_auth_register, 0},
    {"auth.revoke", op_auth_revoke, OP_AUTH},
    {"auth.sessions", op_auth_sessions, OP_AUTH},
    {"auth.set_contact", op_auth_set_contact, OP_AUTH},
    {"auth.set_password", op_auth_set_password, OP_AUTH},
    {"comment.hide", op_comment_hide, OP_BRAND},
    {"comment.list", op_comment_list, 0},
    {"comment.post", op_comment_post, OP_AUTH},
    {"contest.create", op_contest_create, OP_BRAND},
    {"contest.get", op_contest_get, 0},
    {"contest.list", op_contest_list, 0},
    {"contest.results", op_contest_results, 0},
    {"contest.update", op_contest_update, OP_BRAND},
    {"creator.get", op_creator_get, 0},
    {"creator.top", op_creator_top, 0},
    {"design.edit", op_design_edit, OP_AUTH},
    {"design.get", op_design_get, 0},
    {"design.hide", op_design_hide, OP_BRAND},
    {"design.report", op_design_report, OP_AUTH},
    {"design.set_status", op_design_set_status, OP_BRAND},
    {"design.unwatch", op_design_unwatch, 0},
    {"design.watch", op_design_watch, 0},
    {"design.withdraw", op_design_withdraw, OP_AUTH},
    {"gallery.get", op_gallery_get, 0},
    {"gallery.subscribe", op_gallery_subscribe, 0},
    {"gallery.unsubscribe", op_gallery_unsubscribe, 0},
    {"hello", op_hello, 0},
    {"moderation.list", op_moderation_list, OP_BRAND},
    {"notice.list", op_notice_list, OP_AUTH},
    {"notice.read", op_notice_read, OP_AUTH},
    {"review.dismiss", op_review_dismiss, OP_BRAND},
    {"review.list", op_review_list, OP_BRAND},
    {"search", op_search, 0},
    {"test.clock", op_test_clock, 0},
    {"upload.abort", op_upload_abort, OP_AUTH},
    {"upload.begin", op_upload_begin, OP_AUTH},
    {"upload.commit", op_upload_commit, OP_AUTH},

    {"vote.cast", op_vote_cast, OP_AUTH},
    {"vote.clear", op_vote_clear, OP_AUTH},
};

static int cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct op *)elem)->name);
}

int ops_check(void)
{
    if (CC_ARRAY_LEN(table) > SERVER_OPS_MAX)
        return -1;
    for (size_t i = 1; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i - 1].name, table[i].name) >= 0)
            return -1;
    return 0;
}

const struct op *ops_find(const char *name)
{
    return bsearch(name, table, sizeof table / sizeof table[0], sizeof table[0], cmp);
}

size_t ops_count(void)
{
    return CC_ARRAY_LEN(table);
}

const struct op *ops_at(size_t i)
{
    return &table[i];
}

size_t ops_index(const struct op *op)
{
    return (size_t)(op - table);
}
