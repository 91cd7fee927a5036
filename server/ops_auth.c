/* Ops `hello`, `auth.register` and `auth.login` (SPEC §2, §4; failed logins are rate
 * limited, issue 13). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "ccerr.h"
#include "changes.h"
#include "creators.h"
#include "ops.h"
#include "req.h"
#include "server.h"
#include "util.h"
#include "version.h"

/* Its result depends only on the configuration: made once, then sent as text. */
void op_hello(struct req *r)
{
    struct server *srv = req_server(r);
    if (!srv->hello) {
        json_t *o = json_pack("{ssssso}", "server", cc_server_name, "version",
                              cc_server_version, "limits", server_limits(srv));
        srv->hello = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (!srv->hello) {
            req_fail(r, CC_EINTERNAL, NULL, NULL);
            return;
        }
    }
    req_ok_raw(r, srv->hello, strlen(srv->hello));
}

static void clock_reply(struct req *r, struct change *c, int status)
{
    change_free(c);
    if (status) {
        req_fail(r, status, NULL, NULL);
        return;
    }
    int64_t now_ms = req_server(r)->test_now_ms;
    req_ok(r, json_pack("{sIsI}", "now", now_ms / 1000, "now_ms", now_ms));
}

/* test.clock {now} (Unix seconds) or {now_ms} (milliseconds, for rate-limit buckets):
 * sets the frozen clock of a server started with --test-clock (and is an unknown op on
 * any other). The setting is a "clock" change record too: records accepted after it
 * take its time even when it is back in time (changes.c clamps time forward
 * otherwise), the same in a replay. Replies {now, now_ms} once it is applied. */
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
    req_change(r, change_new(CH_CLOCK, now_ms / 1000, 0, NULL), clock_reply);
}

/* auth.register: an account.create record; answered once it is applied. The token is
 * made here and kept in r->ctx until the reply: the record holds only its hash. */
static void register_reply(struct req *r, struct change *c, int status)
{
    char *token = r->ctx;
    r->ctx = NULL;
    if (status) {
        change_free(c);
        free(token);
        req_fail(r, status, status == CC_ECONFLICT ? "that name is taken" : NULL,
                 status == CC_ECONFLICT ? json_pack("{ss}", "field", "name") : NULL);
        return;
    }
    /* The new account is this connection's from now on (as after auth.login). */
    const char *name = change_str(c, "name");
    r->sess->account = c->out.id;
    r->sess->role = ROLE_MEMBER;
    snprintf(r->sess->name, sizeof r->sess->name, "%s", name);
    char id[24];
    snprintf(id, sizeof id, "%llu", (unsigned long long)c->out.id);
    json_t *account = json_pack("{sssssssIsI}", "id", id, "name", name, "role", "member",
                                "created", (json_int_t)c->out.at, "points", (json_int_t)0);
    json_t *res = json_pack("{soss}", "account", account, "token", token);
    free(token);
    change_free(c);
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
    char *token = xmalloc(ACCOUNT_TOKEN_LEN + 1);
    struct change *c = change_account_new(name, ROLE_MEMBER, server_now(req_server(r)), token);
    r->ctx = token;
    req_change(r, c, register_reply);
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
