/* Change records of the brand's moderation (SPEC §7), each with its moderation log
 * entry (moderation.h):
 *   "account.suspend" {account, suspended, reason} — a suspended account's sessions
 *       end, it cannot log in, its designs leave the galleries (the records keep a
 *       "suspended" mark, so start-up knows); reinstating brings them back;
 *   "comment.hide" {comment, hidden, reason} — a comment only its author and the brand
 *       see;
 *   "review.dismiss" {design} — its reports looked at and kept: out of the review
 *       queue until a new one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "catalog.h"
#include "ccerr.h"
#include "changes_after.h"
#include "changes_int.h"
#include "comments.h"
#include "designs.h"
#include "live.h"
#include "logins.h"
#include "moderation.h"
#include "reports.h"
#include "server.h"

/* ---- account.suspend ---- */

int ch_suspend_apply(struct change *c, MDB_txn *txn, const struct store *st)
{
    uint64_t id = change_id(c, "account");
    json_t *js = json_object_get(c->args, "suspended");
    const char *reason = change_str(c, "reason");
    if (!id || !json_is_boolean(js) || !reason)
        return CC_EBADARGS;
    int on = json_is_true(js);
    json_t *acct;
    int rc = account_get(txn, st, id, &acct);
    if (rc)
        return rc;
    if (account_role(acct) == ROLE_BRAND) {
        json_decref(acct);
        return CC_EFORBIDDEN; /* the operator's: --make-brand --rotate */
    }
    if (account_suspended(acct) == on) {
        json_decref(acct);
        return 0; /* so already: nothing to log */
    }
    if (on)
        json_object_set_new(acct, "suspended", json_true());
    else
        json_object_del(acct, "suspended");
    rc = account_save(txn, st, id, acct);
    json_decref(acct);
    size_t n;
    if (!rc && on)
        rc = session_end_all(txn, st, id, 0, &n);
    uint64_t *ids = NULL;
    size_t nids = 0;
    if (!rc)
        rc = design_by_creator(txn, st, id, &ids, &nids);
    for (size_t i = 0; !rc && i < nids; i++) {
        json_t *rec;
        if ((rc = design_load(txn, st, ids[i], &rec)))
            break;
        if (on)
            json_object_set_new(rec, "suspended", json_true());
        else
            json_object_del(rec, "suspended");
        rc = design_save(txn, st, ids[i], rec);
        json_decref(rec);
    }
    free(ids);
    if (rc)
        return rc;
    c->out.flag = 1;
    char ids_s[24];
    snprintf(ids_s, sizeof ids_s, "%llu", (unsigned long long)id);
    json_t *target = json_pack("{sssb}", "account", ids_s, "suspended", on);
    rc = moderation_append(txn, st, c->out.at, c->by,
                           on ? "account.suspend" : "account.reinstate", target, reason);
    json_decref(target);
    return rc;
}

void ch_suspend_post(struct change *c, struct server *srv)
{
    if (!c->out.flag)
        return;
    uint64_t id = change_id(c, "account");
    int on = json_is_true(json_object_get(c->args, "suspended"));
    if (on)
        logins_close(srv, id, 0, 0, "suspended");
    after_suspended(srv, id, on);
}

/* ---- review.dismiss ---- */

int ch_dismiss_apply(struct change *c, MDB_txn *txn, const struct store *st)
{
    uint64_t id = change_id(c, "design");
    if (!id)
        return CC_EBADARGS;
    uint32_t n;
    int rc = report_dismiss(txn, st, id, &n);
    if (rc)
        return rc;
    c->out.count = n;
    char ids[24];
    snprintf(ids, sizeof ids, "%llu", (unsigned long long)id);
    json_t *target = json_pack("{sssI}", "design", ids, "reports", (json_int_t)n);
    rc = moderation_append(txn, st, c->out.at, c->by, "review.dismiss", target, NULL);
    json_decref(target);
    return rc;
}

void ch_dismiss_post(struct change *c, struct server *srv)
{
    reports_dismissed(srv->reports, change_id(c, "design"), (uint32_t)c->out.count);
}

/* ---- comment.hide ---- */

int ch_comment_hide_apply(struct change *c, MDB_txn *txn, const struct store *st)
{
    uint64_t id = change_id(c, "comment");
    json_t *jh = json_object_get(c->args, "hidden");
    const char *reason = change_str(c, "reason");
    if (!id || !json_is_boolean(jh) || !reason)
        return CC_EBADARGS;
    uint64_t design, author;
    int rc = comment_locate(txn, st, id, &design, &author);
    if (rc)
        return rc;
    int changed;
    rc = comment_set_hidden(txn, st, design, id, json_is_true(jh), &changed);
    if (rc || !changed)
        return rc;
    c->out.flag = 1;
    c->out.count = design;
    char ids[24], ds[24];
    snprintf(ids, sizeof ids, "%llu", (unsigned long long)id);
    snprintf(ds, sizeof ds, "%llu", (unsigned long long)design);
    json_t *target = json_pack("{sssssb}", "comment", ids, "design", ds, "hidden",
                               json_is_true(jh));
    rc = moderation_append(txn, st, c->out.at, c->by, "comment.hide", target, reason);
    json_decref(target);
    return rc;
}

void ch_comment_hide_post(struct change *c, struct server *srv)
{
    struct dmem *d = c->out.flag ? catalog_design(srv->catalog, c->out.count) : NULL;
    if (d) {
        catalog_touch(d); /* watchers get the design again, and reload its comments */
        after_edited(srv, d, NULL, 0);
    }
}
