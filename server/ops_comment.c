/* Ops `comment.post` and `comment.list` (SPEC §2, §4). A comment is checked on the
 * loop, stored by the writer (record and the design's count in one transaction) and
 * only then counted in the catalog, pushed to the design's watchers and acknowledged.
 * Comments of a hidden design exist only for its creator and the brand, like the
 * design itself (design_arg). Loop thread, except comment_apply (writer). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "ccerr.h"
#include "changes_after.h"
#include "comments.h"
#include "designs.h"
#include "ops.h"
#include "proto.h"
#include "server.h"
#include "util.h"

struct comment_ctx {
    struct dmem *d;
    struct comment_new c;
    char author_name[33]; /* copied: the connection may log in as another account */
};

static int comment_apply(struct write_req *wr, MDB_txn *txn)
{
    struct req *r = container_of(wr, struct req, wr);
    struct comment_ctx *ctx = r->ctx;
    return comment_create(txn, req_server(r)->store, &ctx->c);
}

static void comment_done(struct write_req *wr, int status)
{
    struct req *r = container_of(wr, struct req, wr);
    struct comment_ctx *ctx = r->ctx;
    r->ctx = NULL;
    if (status) {
        free(ctx->c.json);
        free(ctx);
        req_fail(r, status, NULL, NULL);
        return;
    }
    struct server *srv = req_server(r);
    after_comment(srv, ctx->d, ctx->c.count, ctx->c.id, ctx->c.json);
    struct ccbuf b;
    ccbuf_init(&b);
    ccbuf_append(&b, "{\"comment\":", 11);
    ccbuf_append(&b, ctx->c.json, strlen(ctx->c.json));
    ccbuf_append(&b, "}", 1);
    free(ctx->c.json);
    free(ctx);
    req_ok_raw(r, (const char *)b.data, b.len);
    ccbuf_free(&b);
}

void op_comment_post(struct req *r)
{
    struct dmem *d = design_arg(r);
    if (!d)
        return;
    struct jargs_err e;
    json_t *text = json_object_get(r->msg, "text");
    if (!text || json_is_null(text)) {
        e.field = "text";
        snprintf(e.why, sizeof e.why, "is required");
        req_fail_args(r, &e);
        return;
    }
    if (!json_is_string(text)) {
        e.field = "text";
        snprintf(e.why, sizeof e.why, "must be a string");
        req_fail_args(r, &e);
        return;
    }
    if (comment_check_text(json_string_value(text), json_string_length(text), &e)) {
        req_fail_args(r, &e);
        return;
    }
    if (req_rate_limit(r, RATE_COMMENTS))
        return;
    struct server *srv = req_server(r);
    struct comment_ctx *ctx = xcalloc(1, sizeof *ctx);
    ctx->d = d;
    ctx->c.design = d->id;
    ctx->c.author = r->sess->account;
    snprintf(ctx->author_name, sizeof ctx->author_name, "%s", r->sess->name);
    ctx->c.author_name = ctx->author_name;
    ctx->c.text = json_string_value(text);
    ctx->c.official = r->sess->role == ROLE_BRAND;
    ctx->c.created = server_now(srv);
    req_submit(r, ctx, comment_apply, comment_done);
}

void op_comment_list(struct req *r)
{
    struct dmem *d = design_arg(r);
    if (!d)
        return;
    struct jargs_err e;
    const char *before_id = NULL;
    json_int_t limit = COMMENT_PAGE_DEFAULT;
    if (jargs_string(r->msg, "before", JARGS_OPTIONAL, 1, 32, &before_id, &e) < 0 ||
        jargs_int(r->msg, "limit", JARGS_OPTIONAL, 1, COMMENT_PAGE_MAX, &limit, &e) < 0) {
        req_fail_args(r, &e);
        return;
    }
    uint64_t before = 0;
    if (before_id && !(before = design_parse_id(before_id))) {
        e.field = "before";
        snprintf(e.why, sizeof e.why, "must be a comment id");
        req_fail_args(r, &e);
        return;
    }
    struct server *srv = req_server(r);
    struct ccbuf b;
    ccbuf_init(&b);
    ccbuf_append(&b, "{\"comments\":[", 13);
    int more = 0;
    MDB_txn *txn;
    int rc = store_read_begin(srv->store, &txn);
    if (!rc) {
        rc = comment_page(txn, srv->store, d->id, before, (size_t)limit, &b, &more);
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
