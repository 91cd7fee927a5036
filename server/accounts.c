/* Accounts in LMDB. See accounts.h and the key layout in docs/architecture.md. */
#include "accounts.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccerr.h"
#include "util.h"

/* tokens db: key = first TOKEN_KEY bytes of SHA-256(token), value = be64 id + hash. */
#define TOKEN_KEY 16

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
            snprintf(why, whylen, "may contain only A-Z a-z 0-9 _ . - (character %zu is not)",
                     i + 1);
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

int account_create(MDB_txn *txn, const struct store *st, struct account_new *a)
{
    const struct store_dbs *db = store_dbs(st);
    char lower[ACCOUNT_NAME_MAX + 1];
    size_t n = strlen(a->name);
    for (size_t i = 0; i <= n; i++)
        lower[i] = (char)tolower((unsigned char)a->name[i]);

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
    char *text = json_dumps(rec, JSON_COMPACT);
    json_decref(rec);
    rc = store_put(txn, db->accounts, idkey, 8, text, strlen(text), 0);
    free(text);
    if (rc)
        return rc;

    uint8_t tok[8 + 32];
    memcpy(tok, idkey, 8);
    memcpy(tok + 8, a->token_hash, 32);
    if ((rc = store_put(txn, db->tokens, a->token_hash, TOKEN_KEY, tok, sizeof tok,
                        MDB_NOOVERWRITE)))
        return rc == CC_ECONFLICT ? CC_EINTERNAL : rc; /* 2^-128: a broken RNG */
    a->id = id;
    return 0;
}

int account_by_token(MDB_txn *txn, const struct store *st, const char *token, uint64_t *id)
{
    uint8_t hash[32];
    sha256(token, strlen(token), hash);
    MDB_val v;
    int rc = store_get(txn, store_dbs(st)->tokens, hash, TOKEN_KEY, &v);
    if (rc == CC_ENOTFOUND)
        return CC_EUNAUTHORIZED;
    if (rc)
        return rc;
    if (v.mv_size != 40)
        return CC_EINTERNAL;
    if (CRYPTO_memcmp((const uint8_t *)v.mv_data + 8, hash, 32) != 0)
        return CC_EUNAUTHORIZED;
    *id = get_be64(v.mv_data);
    return 0;
}

int account_get(MDB_txn *txn, const struct store *st, uint64_t id, json_t **out)
{
    uint8_t key[8];
    put_be64(key, id);
    MDB_val v;
    int rc = store_get(txn, store_dbs(st)->accounts, key, 8, &v);
    if (rc)
        return rc;
    json_error_t e;
    *out = json_loadb(v.mv_data, v.mv_size, 0, &e);
    return *out ? 0 : CC_EINTERNAL;
}
