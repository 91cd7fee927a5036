/* Accounts of SPEC §2 in LMDB: names (3–32 of [A-Za-z0-9_.-], unique ignoring case),
 * bearer tokens (256 random bits; only SHA-256 of a token is stored, looked up by its
 * first 16 bytes and compared in constant time), roles and points. */
#ifndef CC_ACCOUNTS_H
#define CC_ACCOUNTS_H

#include <jansson.h>
#include <lmdb.h>
#include <stdint.h>

#include "store.h"

/* Roles of SPEC §1. */
enum role { ROLE_NONE = 0, ROLE_MEMBER = 1, ROLE_BRAND = 2 };

/* SPEC §2: names are 3–32 chars. */
#define ACCOUNT_NAME_MIN 3
#define ACCOUNT_NAME_MAX 32
/* Random bytes in a token (≥ 128 bits per SPEC §2); the token is their hex. */
#define ACCOUNT_TOKEN_BYTES 32
#define ACCOUNT_TOKEN_LEN (2 * ACCOUNT_TOKEN_BYTES)

/* A new account: the inputs of account_create (from an account.create record). */
struct account_new {
    char name[ACCOUNT_NAME_MAX + 1];
    enum role role;
    int64_t created;
    uint8_t token_hash[32]; /* SHA-256 of the token (the token never reaches the store) */
    uint64_t id;            /* set by account_create */
};

/* 0 if name follows SPEC §2's rules, else CC_EBADARGS with a reason in why. */
int account_check_name(const char *name, char *why, size_t whylen);
/* Writer thread: stores a in txn. CC_ECONFLICT when the name is taken (any case). */
int account_create(MDB_txn *txn, const struct store *st, struct account_new *a);
/* The account id whose token this is, or CC_EUNAUTHORIZED. */
int account_by_token(MDB_txn *txn, const struct store *st, const char *token, uint64_t *id);
/* The account record as the JSON object of SPEC §2 (new reference), or CC_ENOTFOUND. */
int account_get(MDB_txn *txn, const struct store *st, uint64_t id, json_t **out);
/* The role named in an account record. */
enum role account_role(const json_t *account);

#endif
