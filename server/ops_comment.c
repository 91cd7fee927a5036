/* Ops `comment.post` and `comment.list` (SPEC §2, §4). A comment is checked on the
 * loop and made a "comment" change record (change_comment.c: the comment and the
 * design's count in one transaction); the post-commit step counts it in the catalog
 * and pushes it to the design's watchers, then it is acknowledged. Comments of a
 * hidden design exist only for its creator and the brand, like the design itself
 * (design_arg). Loop thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "ccerr.h"
#include "changes.h"
#include "comments.h"
#include "designs.h"
#include "ops.h"
#include "req.h"
#include "server.h"
#include "util.h"

/* The reply: the stored comment object, once the post-commit step counted it and told
 * the design's watchers. */
static void comment_reply(struct req *r, struct change *c, int status)
{
    if (status) {
        change_free(c);
        req_fail(r, status, NULL, NULL);
        return;
    }
    struct ccbuf b;
    ccbuf_init(&b);
    ccbuf_append(&b, "{\"comment\":", 11);
    ccbuf_append(&b, c->out.text, strlen(c->out.text));
    ccbuf_append(&b, "}", 1);
    change_free(c);
    req_ok_raw(r, (const char *)b.data, b.len);
    ccbuf_free(&b);
}

void op_comment_post(struct req *r)
{
    struct dmem *d = design_arg(r);
    if (!d)
        return;
    struct jargs_err e;
    struct jflat_field tmp;
    const struct jflat_field *f = req_arg(r, "text", &tmp);
    const char *text;
    if (jargs_field_string(f, "text", JARGS_REQUIRED, 0, SIZE_MAX, &text, &e) ||
        comment_check_text(text, f->slen, &e)) {
        req_fail_args(r, &e);
        return;
    }
    if (req_rate_limit(r, RATE_COMMENTS))
        return;
    char id[24];
    snprintf(id, sizeof id, "%llu", (unsigned long long)d->id);
    req_change_new(r, CH_COMMENT, json_pack("{ssss}", "design", id, "text", text), comment_reply);
}

void op_comment_list(struct req *r)
{
    struct dmem *d = design_arg(r);
    if (!d)
        return;
    uint64_t before;
    size_t limit;
    if (req_page_args(r, "a comment id", COMMENT_PAGE_DEFAULT, COMMENT_PAGE_MAX, &before, &limit))
        return;
    struct server *srv = req_server(r);
    struct ccbuf b;
    ccbuf_init(&b);
    ccbuf_append(&b, "{\"comments\":[", 13);
    int more = 0;
    MDB_txn *txn;
    int rc = store_read_begin(srv->store, &txn);
    if (!rc) {
        uint64_t viewer = r->sess->role == ROLE_BRAND ? COMMENTS_ALL : r->sess->account;
        rc = comment_page(txn, srv->store, d->id, before, limit, viewer, &b, &more);
        store_read_end(srv->store, txn);
    }
    if (rc) {
        ccbuf_free(&b);
        req_fail(r, CC_EINTERNAL, NULL, NULL);
        return;
    }
    const char *tail = more ? "],\"more\":true}" : "],\"more\":false}";
    ccbuf_append(&b, tail, strlen(tail));
    req_ok_raw(r, (const char *)b.data, b.len);
    ccbuf_free(&b);
}
