/* Accounts in LMDB. See accounts.h and the key layout in docs/architecture.md. */
#include "accounts.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccerr.h"
#include "util.h"

/* tokens db: key = first TOKEN_KEY bytes of SHA-256(token), value = be64 account id,
 * the whole hash, be64 session id (TOKEN_VAL bytes; TOKEN_VAL_V2 before schema 3). */
#define TOKEN_KEY 16
#define TOKEN_VAL 48
#define TOKEN_VAL_V2 40

int account_check_name(const char *name, char *why, size_t whylen)
{
    size_t n = strlen(name);
    if (n < ACCOUNT_NAME_MIN || n > ACCOUNT_NAME_MAX) {
        snprintf(why, whylen, "must be %d to %d characters long", ACCOUNT_NAME_MIN,
                 ACCOUNT_NAME_MAX);
        return CC_EBADARGS;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (!(isascii(ch) && (isalnum(ch) || ch == '_' || ch == '.' || ch == '-'))) {
            if (ch == ' ')
                snprintf(why, whylen, "can use letters, digits, _ . and - but no spaces");
            else if (isascii(ch) && isgraph(ch))
                snprintf(why, whylen, "can use letters, digits, _ . and - but not '%c'", ch);
            else
                snprintf(why, whylen, "can use only the letters A to Z, digits, _ . and -");
            return CC_EBADARGS;
        }
    }
    return 0;
}

static const char *role_name(enum role r)
{
    return r == ROLE_BRAND ? "brand" : "member";
}

enum role account_role(const json_t *account)
{
    const char *r = json_string_value(json_object_get(account, "role"));
    return r && !strcmp(r, "brand") ? ROLE_BRAND : ROLE_MEMBER;
}

static size_t lower_name(const char *name, char out[ACCOUNT_NAME_MAX + 1])
{
    size_t n = strlen(name);
    if (n > ACCOUNT_NAME_MAX)
        n = ACCOUNT_NAME_MAX;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)tolower((unsigned char)name[i]);
    out[n] = '\0';
    return n;
}

int account_create(MDB_txn *txn, const struct store *st, struct account_new *a)
{
    const struct store_dbs *db = store_dbs(st);
    char lower[ACCOUNT_NAME_MAX + 1];
    size_t n = lower_name(a->name, lower);

    uint64_t id;
    int rc = store_next_id(txn, st, "account", &id);
    if (rc)
        return rc;
    uint8_t idkey[8];
    put_be64(idkey, id);
    if ((rc = store_put(txn, db->names, lower, n, idkey, 8, MDB_NOOVERWRITE)))
        return rc;

    char idstr[24];
    snprintf(idstr, sizeof idstr, "%llu", (unsigned long long)id);
    json_t *rec = json_pack("{sssssssIsI}", "id", idstr, "name", a->name, "role",
                            role_name(a->role), "created", (json_int_t)a->created, "points",
                            (json_int_t)0);
    if (a->contact && a->contact[0])
        json_object_set_new(rec, "contact", json_string(a->contact));
    rc = account_save(txn, st, id, rec);
    json_decref(rec);
    if (!rc && a->password)
        rc = account_password_put(txn, st, id, a->password);
    uint64_t ended;
    if (!rc)
        rc = session_create(txn, st, id, a->token_hash, a->device, a->created, &a->session,
                            &ended);
    if (!rc)
        a->id = id;
    return rc;
}

int account_save(MDB_txn *txn, const struct store *st, uint64_t id, const json_t *rec)
{
    return store_put_record(txn, store_dbs(st)->accounts, id, rec);
}

int account_by_name(MDB_txn *txn, const struct store *st, const char *name, uint64_t *id)
{
    char lower[ACCOUNT_NAME_MAX + 1];
    if (strlen(name) > ACCOUNT_NAME_MAX)
        return CC_ENOTFOUND;
    size_t n = lower_name(name, lower);
    MDB_val v;
    int rc = store_get(txn, store_dbs(st)->names, lower, n, &v);
    if (rc)
        return rc;
    if (v.mv_size != 8)
        return CC_EINTERNAL;
    *id = get_be64(v.mv_data);
    return 0;
}

int account_rename(MDB_txn *txn, const struct store *st, uint64_t id, const char *old_name,
                   const char *new_name)
{
    char lower[ACCOUNT_NAME_MAX + 1];
    uint8_t idkey[8];
    put_be64(idkey, id);
    size_t n = lower_name(new_name, lower);
    int rc = store_put(txn, store_dbs(st)->names, lower, n, idkey, 8, MDB_NOOVERWRITE);
    if (rc)
        return rc;
    n = lower_name(old_name, lower);
    rc = store_del(txn, store_dbs(st)->names, lower, n);
    return rc == CC_ENOTFOUND ? 0 : rc;
}

json_t *account_public(json_t *account)
{
    json_object_del(account, "contact");
    return account;
}

int account_suspended(const json_t *account)
{
    return json_is_true(json_object_get(account, "suspended"));
}

/* ---- sessions ---- */

static void session_key(uint8_t key[16], uint64_t account, uint64_t session)
{
    put_be64(key, account);
    put_be64(key + 8, session);
}

/* store_each_under over an account's sessions: how many, the oldest (lowest id), the
 * first one that is not `keep`. */
struct session_scan {
    size_t n;
    uint64_t oldest, keep, other;
};

static int scan_session(void *user, uint64_t session, const MDB_val *v)
{
    (void)v;
    struct session_scan *sc = user;
    if (!sc->n++)
        sc->oldest = session;
    if (!sc->other && session != sc->keep)
        sc->other = session;
    return 0;
}

int session_create(MDB_txn *txn, const struct store *st, uint64_t account,
                   const uint8_t token_hash[32], const char *device, int64_t at,
                   uint64_t *session, uint64_t *ended)
{
    const struct store_dbs *db = store_dbs(st);
    *ended = 0;
    /* How many the account has, and its oldest (the lowest id). */
    struct session_scan sc = {0};
    int rc = store_each_under(txn, db->sessions, account, scan_session, &sc);
    if (rc)
        return rc;
    if (sc.n >= ACCOUNT_SESSIONS_MAX) {
        if ((rc = session_end(txn, st, account, sc.oldest)))
            return rc;
        *ended = sc.oldest;
    }
    if ((rc = store_next_id(txn, st, "session", session)))
        return rc;
    char keyhex[2 * TOKEN_KEY + 1];
    hex_encode(token_hash, TOKEN_KEY, keyhex);
    json_t *o = json_pack("{sssIss}", "device", device ? device : "", "created", (json_int_t)at,
                          "key", keyhex);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!text)
        return CC_EINTERNAL;
    uint8_t skey[16];
    session_key(skey, account, *session);
    rc = store_put(txn, db->sessions, skey, 16, text, strlen(text), MDB_NOOVERWRITE);
    free(text);
    if (rc)
        return rc == CC_ECONFLICT ? CC_EINTERNAL : rc;
    uint8_t tok[TOKEN_VAL];
    put_be64(tok, account);
    memcpy(tok + 8, token_hash, 32);
    put_be64(tok + 40, *session);
    rc = store_put(txn, db->tokens, token_hash, TOKEN_KEY, tok, sizeof tok, MDB_NOOVERWRITE);
    return rc == CC_ECONFLICT ? CC_EINTERNAL : rc; /* 2^-128: a broken RNG */
}

int session_end(MDB_txn *txn, const struct store *st, uint64_t account, uint64_t session)
{
    const struct store_dbs *db = store_dbs(st);
    uint8_t skey[16], tkey[TOKEN_KEY];
    session_key(skey, account, session);
    MDB_val v;
    int rc = store_get(txn, db->sessions, skey, 16, &v);
    if (rc)
        return rc;
    json_t *o = json_loadb(v.mv_data, v.mv_size, 0, NULL);
    const char *hex = json_string_value(json_object_get(o, "key"));
    rc = hex && strlen(hex) == 2 * TOKEN_KEY && !hex_decode(hex, tkey, TOKEN_KEY) ? 0
                                                                                : CC_EINTERNAL;
    json_decref(o);
    if (!rc)
        rc = store_del(txn, db->tokens, tkey, TOKEN_KEY);
    if (!rc || rc == CC_ENOTFOUND)
        rc = store_del(txn, db->sessions, skey, 16);
    return rc;
}

int session_end_all(MDB_txn *txn, const struct store *st, uint64_t account, uint64_t keep,
                    size_t *n)
{
    *n = 0;
    for (;;) { /* one at a time: session_end deletes rows under a walk */
        struct session_scan sc = {.keep = keep};
        int rc = store_each_under(txn, store_dbs(st)->sessions, account, scan_session, &sc);
        if (rc)
            return rc;
        if (!sc.other)
            return 0;
        if ((rc = session_end(txn, st, account, sc.other)))
            return rc;
        (*n)++;
    }
}

static int list_session(void *user, uint64_t session, const MDB_val *v)
{
    json_t *o = json_loadb(v->mv_data, v->mv_size, 0, NULL);
    if (o) {
        char id[24];
        snprintf(id, sizeof id, "%llu", (unsigned long long)session);
        json_object_del(o, "key");
        json_object_set_new(o, "session", json_string(id));
        json_array_append_new(user, o);
    }
    return 0;
}

json_t *session_list(MDB_txn *txn, const struct store *st, uint64_t account)
{
    json_t *list = json_array();
    if (store_each_under(txn, store_dbs(st)->sessions, account, list_session, list)) {
        json_decref(list);
        return NULL;
    }
    return list;
}

int accounts_upgrade_sessions(MDB_txn *txn, const struct store *st, size_t *n)
{
    const struct store_dbs *db = store_dbs(st);
    /* The old rows first (a cursor's key may point into a page the puts replace). */
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, db->tokens, &cur);
    if (rc)
        return store_err(rc);
    struct ccbuf old;
    ccbuf_init(&old);
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !rc;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        if (k.mv_size == TOKEN_KEY && v.mv_size == TOKEN_VAL_V2) {
            ccbuf_append(&old, k.mv_data, TOKEN_KEY);
            ccbuf_append(&old, v.mv_data, TOKEN_VAL_V2);
        }
    mdb_cursor_close(cur);
    rc = rc == MDB_NOTFOUND ? 0 : store_err(rc);
    *n = 0;
    for (size_t off = 0; !rc && off < old.len; off += TOKEN_KEY + TOKEN_VAL_V2) {
        const uint8_t *key = old.data + off;
        uint8_t val[TOKEN_VAL];
        memcpy(val, key + TOKEN_KEY, TOKEN_VAL_V2);
        uint64_t account = get_be64(val), session;
        json_t *acct = NULL;
        int64_t created = 0;
        if (!account_get(txn, st, account, &acct))
            created = json_integer_value(json_object_get(acct, "created"));
        json_decref(acct);
        if ((rc = store_next_id(txn, st, "session", &session)))
            break;
        char keyhex[2 * TOKEN_KEY + 1];
        hex_encode(key, TOKEN_KEY, keyhex);
        json_t *o = json_pack("{sssIss}", "device", "", "created", (json_int_t)created, "key",
                              keyhex);
        char *text = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        uint8_t skey[16];
        session_key(skey, account, session);
        rc = text ? store_put(txn, db->sessions, skey, 16, text, strlen(text), 0) : CC_EINTERNAL;
        free(text);
        put_be64(val + 40, session);
        if (!rc)
            rc = store_put(txn, db->tokens, key, TOKEN_KEY, val, TOKEN_VAL, 0);
        if (!rc)
            (*n)++;
    }
    ccbuf_free(&old);
    return rc;
}

/* ---- passwords ---- */

int account_password_get(MDB_txn *txn, const struct store *st, uint64_t account, char *out,
                         size_t outlen)
{
    uint8_t key[8];
    put_be64(key, account);
    MDB_val v;
    int rc = store_get(txn, store_dbs(st)->passwords, key, 8, &v);
    if (rc)
        return rc;
    if (v.mv_size >= outlen)
        return CC_EINTERNAL;
    memcpy(out, v.mv_data, v.mv_size);
    out[v.mv_size] = '\0';
    return 0;
}

int account_password_put(MDB_txn *txn, const struct store *st, uint64_t account,
                         const char *hash)
{
    uint8_t key[8];
    put_be64(key, account);
    if (!hash) {
        int rc = store_del(txn, store_dbs(st)->passwords, key, 8);
        return rc == CC_ENOTFOUND ? 0 : rc;
    }
    return store_put(txn, store_dbs(st)->passwords, key, 8, hash, strlen(hash), 0);
}

int account_by_token(MDB_txn *txn, const struct store *st, const char *token, uint64_t *id,
                     uint64_t *session)
{
    uint8_t hash[32];
    sha256(token, strlen(token), hash);
    MDB_val v;
    int rc = store_get(txn, store_dbs(st)->tokens, hash, TOKEN_KEY, &v);
    if (rc == CC_ENOTFOUND)
        return CC_EUNAUTHORIZED;
    if (rc)
        return rc;
    if (v.mv_size != TOKEN_VAL)
        return CC_EINTERNAL;
    if (CRYPTO_memcmp((const uint8_t *)v.mv_data + 8, hash, 32) != 0)
        return CC_EUNAUTHORIZED;
    *id = get_be64(v.mv_data);
    if (session)
        *session = get_be64((const uint8_t *)v.mv_data + 40);
    return 0;
}

int account_get_raw(MDB_txn *txn, const struct store *st, uint64_t id, MDB_val *out)
{
    uint8_t key[8];
    put_be64(key, id);
    return store_get(txn, store_dbs(st)->accounts, key, 8, out);
}

int account_get(MDB_txn *txn, const struct store *st, uint64_t id, json_t **out)
{
    MDB_val v;
    int rc = account_get_raw(txn, st, id, &v);
    if (rc)
        return rc;
    json_error_t e;
    *out = json_loadb(v.mv_data, v.mv_size, 0, &e);
    return *out ? 0 : CC_EINTERNAL;
}
