/* Ops `hello` and the accounts of SPEC §2, §4 and §7: `auth.register`, `auth.login` (by
 * token, or by name and password), `auth.logout`, `auth.sessions`, `auth.revoke`,
 * `auth.set_password`, `auth.set_contact`, `auth.delete`. Failed logins are rate
 * limited per address and per account. Password hashes are computed on libuv's pool
 * (password.h: tens of ms each), never on the loop; at most PASSWORD_JOBS_MAX at once,
 * `busy` beyond. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "accounts.h"
#include "ccerr.h"
#include "changes.h"
#include "creators.h"
#include "designs.h"
#include "logins.h"
#include "password.h"
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
    int rc = req_int(r, "now_ms", JARGS_OPTIONAL, 0, (json_int_t)1 << 50, &now_ms, &e);
    if (rc == 1) {
        rc = req_int(r, "now", JARGS_REQUIRED, 0, (json_int_t)1 << 40, &now, &e);
        now_ms = now * 1000;
    }
    if (rc) {
        req_fail_args(r, &e);
        return;
    }
    srv->test_now_ms = now_ms;
    req_change(r, change_new(CH_CLOCK, now_ms / 1000, 0, NULL), clock_reply);
}

/* ---- password work off the loop ---- */

/* Password hashes being computed at once, at most (each holds its memory cost). */
#define PASSWORD_JOBS_MAX 32

struct pw_job;
typedef void (*pw_done_fn)(struct req *r, struct pw_job *j);
struct pw_job {
    uv_work_t work;
    struct req *r;
    struct password_cost cost;
    char pw[4 * PASSWORD_MAX + 1];  /* to hash (may be empty: nothing to hash) */
    char old[4 * PASSWORD_MAX + 1]; /* to verify against stored (empty: nothing) */
    char stored[PASSWORD_HASH_LEN];
    char hash[PASSWORD_HASH_LEN];   /* out: pw's new hash */
    int verify_rc;                  /* out: 0 when old matched stored */
    int hash_rc;                    /* out: 0 when hash was made */
    uint64_t account;               /* for the done step */
    pw_done_fn done;
};

static void pw_work(uv_work_t *w)
{
    struct pw_job *j = w->data;
    j->verify_rc = j->old[0] ? password_verify(j->old, j->stored) : 0;
    j->hash_rc = !j->verify_rc && j->pw[0] ? password_hash(j->pw, &j->cost, j->hash) : 0;
}

static void pw_after(uv_work_t *w, int status)
{
    struct pw_job *j = w->data;
    struct server *srv = req_server(j->r);
    srv->password_jobs--;
    OPENSSL_cleanse(j->pw, sizeof j->pw);
    OPENSSL_cleanse(j->old, sizeof j->old);
    if (status)
        j->verify_rc = j->hash_rc = CC_EINTERNAL;
    j->done(j->r, j);
    OPENSSL_cleanse(j->hash, sizeof j->hash);
    free(j);
}

/* Runs on the pool: verify old against stored (when old), then hash pw (when pw);
 * then done on the loop, which must end r. Returns 0, or -1 after failing r (`busy`
 * when too many run): r->ctx is then the caller's to free. */
static int pw_run(struct req *r, const char *pw, const char *old, const char *stored,
                  uint64_t account, pw_done_fn done)
{
    struct server *srv = req_server(r);
    if (srv->password_jobs >= PASSWORD_JOBS_MAX) {
        req_fail(r, CC_EBUSY, "too many sign-ins at once; retry in a moment",
                 json_pack("{si}", "retry_after", 1));
        return -1;
    }
    struct pw_job *j = xcalloc(1, sizeof *j);
    j->work.data = j;
    j->r = r;
    j->cost = srv->password_cost;
    j->account = account;
    j->done = done;
    snprintf(j->pw, sizeof j->pw, "%s", pw ? pw : "");
    snprintf(j->old, sizeof j->old, "%s", old ? old : "");
    snprintf(j->stored, sizeof j->stored, "%s", stored ? stored : "");
    if (uv_queue_work(srv->loop, &j->work, pw_work, pw_after)) {
        free(j);
        req_fail(r, CC_EINTERNAL, NULL, NULL);
        return -1;
    }
    srv->password_jobs++;
    return 0;
}

/* An optional short text argument (device, contact): NULL when absent. Returns -1
 * after failing r when it is not a string of at most max characters, or has control
 * characters. */
static int opt_text(struct req *r, const char *field, size_t max, const char **out)
{
    struct jargs_err e;
    *out = NULL;
    int rc = req_str(r, field, JARGS_OPTIONAL, 0, 4 * max, out, &e);
    if (rc < 0) {
        req_fail_args(r, &e);
        return -1;
    }
    if (!*out)
        return 0;
    size_t len = strlen(*out), chars = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        int n = utf8_decode((const uint8_t *)*out + i, len - i, &cp);
        if (!n || cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
            e.field = field;
            snprintf(e.why, sizeof e.why, "must be plain text on one line");
            req_fail_args(r, &e);
            return -1;
        }
        chars++;
        i += (size_t)n;
    }
    if (chars > max) {
        e.field = field;
        snprintf(e.why, sizeof e.why, "must be at most %zu characters long", max);
        req_fail_args(r, &e);
        return -1;
    }
    return 0;
}

/* An optional password argument: NULL when absent; -1 after failing r when bad. */
static int opt_password(struct req *r, const char *field, const char **out)
{
    struct jargs_err e;
    *out = NULL;
    if (req_str(r, field, JARGS_OPTIONAL, 0, 4 * PASSWORD_MAX + 4, out, &e) < 0 ||
        (*out && password_check(*out, field, &e))) {
        req_fail_args(r, &e);
        return -1;
    }
    return 0;
}

/* Adds has_password (the account's own view: whether auth.set_password needs `old`). */
static void add_has_password(MDB_txn *txn, struct store *st, uint64_t id, json_t *account)
{
    char stored[PASSWORD_HASH_LEN];
    json_object_set_new(account, "has_password",
                        json_boolean(!account_password_get(txn, st, id, stored, sizeof stored)));
}

/* The caller's own account object (its contact included) from the store, with points. */
static json_t *own_account(struct server *srv, uint64_t id)
{
    MDB_txn *txn;
    json_t *account = NULL;
    if (store_read_begin(srv->store, &txn))
        return NULL;
    if (account_get(txn, srv->store, id, &account))
        account = NULL;
    else
        add_has_password(txn, srv->store, id, account);
    store_read_end(srv->store, txn);
    if (account)
        creators_account_json(srv->creators, account, 0); /* points are derived */
    return account;
}

/* ---- auth.register ---- */

/* The state of a registration between its steps (r->ctx). */
struct reg {
    char token[ACCOUNT_TOKEN_LEN + 1];
    char name[ACCOUNT_NAME_MAX + 1];
    json_t *args; /* the record's fields */
};

static void reg_free(struct reg *g)
{
    OPENSSL_cleanse(g->token, sizeof g->token);
    json_decref(g->args);
    free(g);
}

/* auth.register: an account.create record; answered once it is applied. The token is
 * made here and kept in r->ctx until the reply: the record holds only its hash. */
static void register_reply(struct req *r, struct change *c, int status)
{
    struct reg *g = r->ctx;
    r->ctx = NULL;
    if (status) {
        change_free(c);
        reg_free(g);
        req_fail(r, status, status == CC_ECONFLICT ? "that name is taken" : NULL,
                 status == CC_ECONFLICT ? json_pack("{ss}", "field", "name") : NULL);
        return;
    }
    /* The new account is this connection's from now on (as after auth.login). */
    struct server *srv = req_server(r);
    logins_add(srv, r->sess, c->out.id, c->out.session, ROLE_MEMBER, g->name);
    json_t *account = own_account(srv, c->out.id);
    char session[24];
    snprintf(session, sizeof session, "%llu", (unsigned long long)c->out.session);
    change_free(c);
    if (!account) {
        reg_free(g);
        req_fail(r, CC_EINTERNAL, NULL, NULL);
        return;
    }
    json_t *res = json_pack("{sosssssI}", "account", account, "token", g->token, "session",
                            session, "unread", (json_int_t)0);
    reg_free(g);
    req_ok(r, res);
}

static void register_submit(struct req *r)
{
    struct reg *g = r->ctx;
    char hash[65];
    change_token_new(g->token, hash);
    json_object_set_new(g->args, "token_hash", json_string(hash));
    struct change *c =
        change_new(CH_ACCOUNT_CREATE, server_now(req_server(r)), 0, json_incref(g->args));
    req_change(r, c, register_reply);
}

static void register_hashed(struct req *r, struct pw_job *j)
{
    struct reg *g = r->ctx;
    if (j->hash_rc) {
        r->ctx = NULL;
        reg_free(g);
        req_fail(r, CC_EINTERNAL, NULL, NULL);
        return;
    }
    json_object_set_new(g->args, "password", json_string(j->hash));
    register_submit(r);
}

void op_auth_register(struct req *r)
{
    struct jargs_err e;
    const char *name, *password, *contact, *device;
    if (req_str(r, "name", JARGS_REQUIRED, 0, 256, &name, &e)) {
        req_fail_args(r, &e);
        return;
    }
    if (account_check_name(name, e.why, sizeof e.why)) {
        e.field = "name";
        req_fail_args(r, &e);
        return;
    }
    if (opt_password(r, "password", &password) ||
        opt_text(r, "contact", ACCOUNT_CONTACT_MAX, &contact) ||
        opt_text(r, "device", ACCOUNT_DEVICE_MAX, &device))
        return;
    if (req_rate_limit(r, RATE_REGISTRATIONS))
        return;
    struct reg *g = xcalloc(1, sizeof *g);
    snprintf(g->name, sizeof g->name, "%s", name);
    g->args = json_pack("{ssss}", "name", name, "role", "member");
    if (contact && contact[0])
        json_object_set_new(g->args, "contact", json_string(contact));
    if (device)
        json_object_set_new(g->args, "device", json_string(device));
    r->ctx = g;
    if (!password)
        register_submit(r);
    else if (pw_run(r, password, NULL, NULL, 0, register_hashed))
        reg_free(g); /* r is answered and gone */
}

/* ---- auth.login ---- */

static void login_ok(struct req *r, uint64_t id, uint64_t session, json_t *account,
                     const char *token)
{
    struct server *srv = req_server(r);
    logins_add(srv, r->sess, id, session, account_role(account),
               json_string_value(json_object_get(account, "name")));
    creators_account_json(srv->creators, account, 0); /* points are derived, not stored */
    char sid[24];
    snprintf(sid, sizeof sid, "%llu", (unsigned long long)session);
    json_t *res = json_pack("{sosssI}", "account", account, "session", sid, "unread",
                            (json_int_t)ops_unread(r));
    if (token)
        json_object_set_new(res, "token", json_string(token));
    req_ok(r, res);
}

/* A failed login costs a token of the address's bucket and, by name, the account's. */
static void login_failed(struct req *r, uint64_t account, const char *message)
{
    struct server *srv = req_server(r);
    struct rate_verdict v;
    ratelimit_take(srv->rate, RATE_LOGINS, account, r->sess->addr_key, server_now_ms(srv), &v);
    req_fail(r, CC_EUNAUTHORIZED, message, NULL);
}

static void session_reply(struct req *r, struct change *c, int status)
{
    char *token = r->ctx;
    r->ctx = NULL;
    struct server *srv = req_server(r);
    json_t *account = status ? NULL : own_account(srv, c->out.id);
    if (!account) {
        req_fail(r, status == CC_EUNAUTHORIZED ? status : CC_EINTERNAL,
                 status == CC_EUNAUTHORIZED ? "this account cannot sign in" : NULL, NULL);
    } else {
        login_ok(r, c->out.id, c->out.session, account, token);
    }
    change_free(c);
    OPENSSL_cleanse(token, ACCOUNT_TOKEN_LEN + 1);
    free(token);
}

static void login_verified(struct req *r, struct pw_job *j)
{
    if (j->verify_rc) {
        if (j->verify_rc == CC_EUNAUTHORIZED)
            login_failed(r, j->account, "wrong name or password");
        else
            req_fail(r, CC_EINTERNAL, NULL, NULL);
        return;
    }
    /* A new session: its token made here, its hash in the record. */
    struct jflat_field tmp;
    const struct jflat_field *f = req_arg(r, "device", &tmp);
    const char *device = f && f->type == JFLAT_STRING ? f->s : NULL;
    char *token = xmalloc(ACCOUNT_TOKEN_LEN + 1), hash[65];
    change_token_new(token, hash);
    r->ctx = token;
    struct change *c = change_new(CH_SESSION_CREATE, server_now(req_server(r)), j->account,
                                  json_pack("{ssss}", "token_hash", hash, "device",
                                            device ? device : ""));
    req_change(r, c, session_reply);
}

static void login_password(struct req *r, const char *name, const char *password)
{
    struct server *srv = req_server(r);
    struct store *st = srv->store;
    const char *device;
    if (opt_text(r, "device", ACCOUNT_DEVICE_MAX, &device))
        return;
    MDB_txn *txn;
    int rc = store_read_begin(st, &txn);
    if (rc) {
        req_fail(r, rc, NULL, NULL);
        return;
    }
    uint64_t id = 0;
    json_t *account = NULL;
    char stored[PASSWORD_HASH_LEN];
    if (!(rc = account_by_name(txn, st, name, &id)) && !(rc = account_get(txn, st, id, &account)))
        rc = account_password_get(txn, st, id, stored, sizeof stored);
    store_read_end(st, txn);
    int suspended = account && account_suspended(account);
    json_decref(account);
    struct rate_verdict v;
    if (id && ratelimit_check(srv->rate, RATE_LOGINS, id, 0, server_now_ms(srv), &v)) {
        req_fail_rate(r, RATE_LOGINS, &v);
        return;
    }
    if (rc == CC_ENOTFOUND) {
        login_failed(r, id, "wrong name or password");
        return;
    }
    if (rc) {
        req_fail(r, CC_EINTERNAL, NULL, NULL);
        return;
    }
    if (suspended) {
        req_fail(r, CC_EUNAUTHORIZED, "this account is suspended", NULL);
        return;
    }
    pw_run(r, NULL, password, stored, id, login_verified);
}

void op_auth_login(struct req *r)
{
    struct jargs_err e;
    const char *token = NULL, *name = NULL, *password = NULL;
    if (req_str(r, "token", JARGS_OPTIONAL, 1, 256, &token, &e) < 0 ||
        req_str(r, "name", JARGS_OPTIONAL, 1, 256, &name, &e) < 0 ||
        req_str(r, "password", JARGS_OPTIONAL, 1, 4 * PASSWORD_MAX + 4, &password, &e) < 0) {
        req_fail_args(r, &e);
        return;
    }
    if (!token && (!name || !password)) {
        e.field = token || name ? "password" : "token";
        snprintf(e.why, sizeof e.why, "is required (log in with a token, or a name and a password)");
        if (name && !password)
            e.field = "password";
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
    if (!token) {
        login_password(r, name, password);
        return;
    }
    struct store *st = srv->store;
    MDB_txn *txn;
    int rc = store_read_begin(st, &txn);
    if (rc) {
        req_fail(r, rc, NULL, NULL);
        return;
    }
    uint64_t id, session = 0;
    json_t *account = NULL;
    if (!(rc = account_by_token(txn, st, token, &id, &session)) &&
        !(rc = account_get(txn, st, id, &account)))
        add_has_password(txn, st, id, account);
    store_read_end(st, txn);
    if (rc == CC_EUNAUTHORIZED) {
        login_failed(r, 0, "unknown or revoked token");
        return;
    }
    if (rc) {
        req_fail(r, CC_EINTERNAL, NULL, NULL);
        return;
    }
    if (account_suspended(account)) {
        json_decref(account);
        req_fail(r, CC_EUNAUTHORIZED, "this account is suspended", NULL);
        return;
    }
    login_ok(r, id, session, account, NULL);
}

/* ---- sessions ---- */

void op_auth_sessions(struct req *r)
{
    struct server *srv = req_server(r);
    MDB_txn *txn;
    json_t *list = NULL;
    if (!store_read_begin(srv->store, &txn)) {
        list = session_list(txn, srv->store, r->sess->account);
        store_read_end(srv->store, txn);
    }
    if (!list) {
        req_fail(r, CC_EINTERNAL, NULL, NULL);
        return;
    }
    size_t i;
    json_t *s;
    json_array_foreach(list, i, s)
    {
        uint64_t id = strtoull(json_string_value(json_object_get(s, "session")), NULL, 10);
        int64_t seen = logins_last_seen(srv, id);
        json_object_set_new(s, "last_seen",
                            seen ? json_integer(seen) : json_incref(json_object_get(s, "created")));
        json_object_set_new(s, "current", json_boolean(id == r->sess->session_id));
    }
    req_ok(r, json_pack("{so}", "sessions", list));
}

static void end_reply(struct req *r, struct change *c, int status)
{
    change_free(c);
    if (status)
        req_fail(r, status, status == CC_ENOTFOUND ? "no such session of yours" : NULL,
                 status == CC_ENOTFOUND ? json_pack("{ss}", "field", "session") : NULL);
    else
        req_ok(r, NULL);
}

void op_auth_revoke(struct req *r)
{
    struct jargs_err e;
    const char *id;
    if (req_str(r, "session", JARGS_REQUIRED, 1, 24, &id, &e)) {
        req_fail_args(r, &e);
        return;
    }
    uint64_t session = design_parse_id(id);
    if (!session) {
        req_fail(r, CC_ENOTFOUND, "no such session of yours", json_pack("{ss}", "field", "session"));
        return;
    }
    if (session == r->sess->session_id) {
        op_auth_logout(r);
        return;
    }
    char s[24];
    snprintf(s, sizeof s, "%llu", (unsigned long long)session);
    req_change_new(r, CH_SESSION_END, json_pack("{ss}", "session", s), end_reply);
}

/* The caller's connection acts as nobody from now on, and stays open to hear the
 * reply; the session's other connections close with 4001 when it has ended. */
static void detach(struct req *r)
{
    logins_remove(r->sess);
    r->sess->account = 0;
    r->sess->session_id = 0;
    r->sess->role = ROLE_NONE;
    r->sess->name[0] = '\0';
}

void op_auth_logout(struct req *r)
{
    char s[24];
    uint64_t account = r->sess->account;
    snprintf(s, sizeof s, "%llu", (unsigned long long)r->sess->session_id);
    detach(r);
    struct change *c = change_new(CH_SESSION_END, server_now(req_server(r)), account,
                                  json_pack("{ss}", "session", s));
    req_change(r, c, end_reply);
}

/* ---- auth.set_password, auth.set_contact, auth.delete ---- */

static void update_reply(struct req *r, struct change *c, int status)
{
    change_free(c);
    if (status) {
        req_fail(r, status, NULL, NULL);
        return;
    }
    json_t *account = own_account(req_server(r), r->sess->account);
    if (!account)
        req_fail(r, CC_EINTERNAL, NULL, NULL);
    else
        req_ok(r, json_pack("{so}", "account", account));
}

/* The caller's stored password hash into stored ("" when none). -1 after failing r. */
static int own_password(struct req *r, char stored[PASSWORD_HASH_LEN])
{
    struct server *srv = req_server(r);
    MDB_txn *txn;
    int rc = store_read_begin(srv->store, &txn);
    if (!rc) {
        rc = account_password_get(txn, srv->store, r->sess->account, stored, PASSWORD_HASH_LEN);
        store_read_end(srv->store, txn);
    }
    if (rc == CC_ENOTFOUND) {
        stored[0] = '\0';
        return 0;
    }
    if (rc) {
        req_fail(r, CC_EINTERNAL, NULL, NULL);
        return -1;
    }
    return 0;
}

/* The current password, when the account has one, is checked first (a taken-over
 * session alone cannot lock its owner out). */
static int check_old(struct req *r, const char *stored, const char *old)
{
    if (stored[0] && !old) {
        struct jargs_err e = {"old", "is required: give your current password"};
        req_fail_args(r, &e);
        return -1;
    }
    struct server *srv = req_server(r);
    struct rate_verdict v;
    if (stored[0] &&
        ratelimit_check(srv->rate, RATE_LOGINS, r->sess->account, r->sess->addr_key,
                        server_now_ms(srv), &v)) {
        req_fail_rate(r, RATE_LOGINS, &v);
        return -1;
    }
    return 0;
}

static void set_password_hashed(struct req *r, struct pw_job *j)
{
    if (j->verify_rc == CC_EUNAUTHORIZED) {
        login_failed(r, r->sess->account, "your current password is not that");
        return;
    }
    if (j->verify_rc || j->hash_rc) {
        req_fail(r, CC_EINTERNAL, NULL, NULL);
        return;
    }
    req_change_new(r, CH_ACCOUNT_UPDATE, json_pack("{ss}", "password", j->hash), update_reply);
}

void op_auth_set_password(struct req *r)
{
    struct jargs_err e;
    const char *password, *old = NULL;
    char stored[PASSWORD_HASH_LEN];
    if (req_str(r, "password", JARGS_REQUIRED, 0, 4 * PASSWORD_MAX + 4, &password, &e) ||
        password_check(password, "password", &e)) {
        req_fail_args(r, &e);
        return;
    }
    if (req_str(r, "old", JARGS_OPTIONAL, 1, 4 * PASSWORD_MAX + 4, &old, &e) < 0) {
        req_fail_args(r, &e);
        return;
    }
    if (own_password(r, stored) || check_old(r, stored, old))
        return;
    pw_run(r, password, stored[0] ? old : NULL, stored, r->sess->account, set_password_hashed);
}

void op_auth_set_contact(struct req *r)
{
    const char *contact;
    if (opt_text(r, "contact", ACCOUNT_CONTACT_MAX, &contact))
        return;
    if (!contact) {
        struct jargs_err e = {"contact", "is required (\"\" removes it)"};
        req_fail_args(r, &e);
        return;
    }
    req_change_new(r, CH_ACCOUNT_UPDATE, json_pack("{ss}", "contact", contact), update_reply);
}

static void delete_reply(struct req *r, struct change *c, int status)
{
    change_free(c);
    if (status)
        req_fail(r, status, NULL, NULL);
    else
        req_ok(r, NULL);
}

/* account.delete of the caller, its connection detached first (it hears the reply;
 * its other connections close). */
static void delete_submit(struct req *r)
{
    uint64_t account = r->sess->account;
    detach(r);
    struct change *c = change_new(CH_ACCOUNT_DELETE, server_now(req_server(r)), account, NULL);
    req_change(r, c, delete_reply);
}

static void delete_verified(struct req *r, struct pw_job *j)
{
    if (j->verify_rc == CC_EUNAUTHORIZED) {
        login_failed(r, r->sess->account, "that is not your password");
        return;
    }
    if (j->verify_rc) {
        req_fail(r, CC_EINTERNAL, NULL, NULL);
        return;
    }
    delete_submit(r);
}

void op_auth_delete(struct req *r)
{
    struct jargs_err e;
    const char *password = NULL;
    char stored[PASSWORD_HASH_LEN];
    if (req_str(r, "password", JARGS_OPTIONAL, 1, 4 * PASSWORD_MAX + 4, &password, &e) < 0) {
        req_fail_args(r, &e);
        return;
    }
    if (r->sess->role == ROLE_BRAND) {
        req_fail(r, CC_EFORBIDDEN, "a brand account is the operator's to remove", NULL);
        return;
    }
    if (own_password(r, stored))
        return;
    if (stored[0] && !password) {
        e.field = "password";
        snprintf(e.why, sizeof e.why, "is required: give your password to delete your account");
        req_fail_args(r, &e);
        return;
    }
    if (!stored[0]) {
        delete_submit(r);
        return;
    }
    if (check_old(r, stored, password))
        return;
    pw_run(r, NULL, password, stored, r->sess->account, delete_verified);
}
