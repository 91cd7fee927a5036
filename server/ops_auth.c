/* Ops `hello`, `auth.register` and `auth.login` (SPEC §2, §4; failed logins are rate
 * limited, issue 13). */
#include <stdio.h>
#include <stdlib.h>

#include "accounts.h"
#include "ccerr.h"
#include "creators.h"
#include "ops.h"
#include "proto.h"
#include "server.h"
#include "util.h"
#include "version.h"

void op_hello(struct req *r)
{
    req_ok(r, json_pack("{ssssso}", "server", cc_server_name, "version", cc_server_version,
                        "limits", server_limits(req_server(r))));
}

/* test.clock {now} (Unix seconds) or {now_ms} (milliseconds, for rate-limit buckets):
 * sets the frozen clock of a server started with --test-clock (and is an unknown op on
 * any other). Replies {now, now_ms}. */
void op_test_clock(struct req *r)
{
    struct server *srv = req_server(r);
    if (!srv->cfg.test_clock) {
        req_fail(r, CC_EUNKNOWNOP, "unknown op 'test.clock'", NULL);
        return;
    }
    struct jargs_err e;
    json_int_t now, now_ms;
    int rc = jargs_int(r->msg, "now_ms", JARGS_OPTIONAL, 0, (json_int_t)1 << 50, &now_ms, &e);
    if (rc == 1) {
        rc = jargs_int(r->msg, "now", JARGS_REQUIRED, 0, (json_int_t)1 << 40, &now, &e);
        now_ms = now * 1000;
    }
    if (rc) {
        req_fail_args(r, &e);
        return;
    }
    srv->test_now_ms = now_ms;
    req_ok(r, json_pack("{sIsI}", "now", now_ms / 1000, "now_ms", now_ms));
}

/* auth.register: prepared here, written by the writer, answered after the commit. */
struct register_ctx {
    struct req *r;
    struct account_new a;
};

static int register_apply(struct write_req *wr, MDB_txn *txn)
{
    struct req *r = container_of(wr, struct req, wr);
    struct register_ctx *ctx = r->ctx;
    return account_create(txn, req_server(r)->store, &ctx->a);
}

static void register_done(struct write_req *wr, int status)
{
    struct req *r = container_of(wr, struct req, wr);
    struct register_ctx *ctx = r->ctx;
    r->ctx = NULL;
    if (status) {
        free(ctx);
        req_fail(r, status, status == CC_ECONFLICT ? "that name is taken" : NULL,
                 status == CC_ECONFLICT ? json_pack("{ss}", "field", "name") : NULL);
        return;
    }
    /* The new account is this connection's from now on (as after auth.login). */
    r->sess->account = ctx->a.id;
    r->sess->role = ctx->a.role;
    snprintf(r->sess->name, sizeof r->sess->name, "%s", ctx->a.name);
    char id[24];
    snprintf(id, sizeof id, "%llu", (unsigned long long)ctx->a.id);
    json_t *account = json_pack("{sssssssIsI}", "id", id, "name", ctx->a.name, "role",
                                ctx->a.role == ROLE_BRAND ? "brand" : "member", "created",
                                (json_int_t)ctx->a.created, "points", (json_int_t)0);
    json_t *res = json_pack("{soss}", "account", account, "token", ctx->a.token);
    free(ctx);
    req_ok(r, res);
}

void op_auth_register(struct req *r)
{
    struct jargs_err e;
    const char *name;
    if (jargs_string(r->msg, "name", JARGS_REQUIRED, 0, 256, &name, &e)) {
        req_fail_args(r, &e);
        return;
    }
    if (account_check_name(name, e.why, sizeof e.why)) {
        e.field = "name";
        req_fail_args(r, &e);
        return;
    }
    if (req_rate_limit(r, RATE_REGISTRATIONS))
        return;
    struct register_ctx *ctx = xmalloc(sizeof *ctx);
    ctx->r = r;
    account_prepare(&ctx->a, name, ROLE_MEMBER);
    req_submit(r, ctx, register_apply, register_done);
}

void op_auth_login(struct req *r)
{
    struct jargs_err e;
    const char *token;
    if (jargs_string(r->msg, "token", JARGS_REQUIRED, 1, 256, &token, &e)) {
        req_fail_args(r, &e);
        return;
    }
    /* Failed logins are limited per address (and, for logins by name, per account):
     * while the bucket is empty every login is refused unchecked, so guessing stalls. */
    struct server *srv = req_server(r);
    struct rate_verdict v;
    if (ratelimit_check(srv->rate, RATE_LOGINS, 0, r->sess->addr_key, server_now_ms(srv), &v)) {
        req_fail_rate(r, RATE_LOGINS, &v);
        return;
    }
    struct store *st = srv->store;
    MDB_txn *txn;
    int rc = store_read_begin(st, &txn);
    if (rc) {
        req_fail(r, rc, NULL, NULL);
        return;
    }
    uint64_t id;
    json_t *account = NULL;
    if (!(rc = account_by_token(txn, st, token, &id)))
        rc = account_get(txn, st, id, &account);
    store_read_end(st, txn);
    if (rc == CC_EUNAUTHORIZED)
        ratelimit_take(srv->rate, RATE_LOGINS, 0, r->sess->addr_key, server_now_ms(srv), &v);
    if (rc) {
        req_fail(r, rc == CC_EUNAUTHORIZED ? rc : CC_EINTERNAL,
                 rc == CC_EUNAUTHORIZED ? "unknown token" : NULL, NULL);
        return;
    }
    creators_account_json(req_server(r)->creators, account, 0); /* points are derived, not stored */
    r->sess->account = id;
    r->sess->role = account_role(account);
    snprintf(r->sess->name, sizeof r->sess->name, "%s",
             json_string_value(json_object_get(account, "name")));
    req_ok(r, json_pack("{so}", "account", account));
}
