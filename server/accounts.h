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

/* SPEC §7: at most 50 sessions an account (the oldest ends first); a device's name and
 * a contact are short texts. */
#define ACCOUNT_SESSIONS_MAX 50
#define ACCOUNT_DEVICE_MAX 64
#define ACCOUNT_CONTACT_MAX 200

/* A new account: the inputs of account_create (from an account.create record). */
struct account_new {
    char name[ACCOUNT_NAME_MAX + 1];
    enum role role;
    int64_t created;
    uint8_t token_hash[32]; /* SHA-256 of the token (the token never reaches the store) */
    const char *password;   /* its stored hash (password.h), or NULL: none */
    const char *contact;    /* or NULL */
    const char *device;     /* the first session's device name, or NULL */
    uint64_t id;            /* set by account_create */
    uint64_t session;       /* set by account_create: the first session */
};

/* 0 if name follows SPEC §2's rules, else CC_EBADARGS with a reason in why. */
int account_check_name(const char *name, char *why, size_t whylen);
/* Writer thread: stores a in txn. CC_ECONFLICT when the name is taken (any case). */
int account_create(MDB_txn *txn, const struct store *st, struct account_new *a);
/* The account id and session whose token this is, or CC_EUNAUTHORIZED (also for the
 * token of a suspended account). session may be NULL. */
int account_by_token(MDB_txn *txn, const struct store *st, const char *token, uint64_t *id,
                     uint64_t *session);
/* The account id of a name (any case), or CC_ENOTFOUND. */
int account_by_name(MDB_txn *txn, const struct store *st, const char *name, uint64_t *id);
/* The stored account record (new reference): the object of SPEC §2 plus, when set,
 * "contact" (private: see account_public), "suspended" and "deleted". CC_ENOTFOUND. */
int account_get(MDB_txn *txn, const struct store *st, uint64_t id, json_t **out);
/* The stored bytes of account id's record (valid until txn ends): 0, CC_ENOTFOUND, or
 * another CC_E* error. */
int account_get_raw(MDB_txn *txn, const struct store *st, uint64_t id, MDB_val *out);
/* Writer thread: stores rec (borrowed) as account id's record. */
int account_save(MDB_txn *txn, const struct store *st, uint64_t id, const json_t *rec);
/* Writer thread: renames account id (its names row moves); CC_ECONFLICT if taken. */
int account_rename(MDB_txn *txn, const struct store *st, uint64_t id, const char *old_name,
                   const char *new_name);
/* Drops what only the account itself and the brand may see (the contact) from an
 * account object, for anyone else. Returns account. */
json_t *account_public(json_t *account);
/* The role named in an account record. */
enum role account_role(const json_t *account);
/* Whether an account record is suspended. */
int account_suspended(const json_t *account);

/* Writer thread: a new session of account (token_hash as in account_new, device may
 * be NULL) made at `at`: its id into *session. When the account already has
 * ACCOUNT_SESSIONS_MAX, the oldest ends first: its id into *ended (0 when none did). */
int session_create(MDB_txn *txn, const struct store *st, uint64_t account,
                   const uint8_t token_hash[32], const char *device, int64_t at,
                   uint64_t *session, uint64_t *ended);
/* Writer thread: ends one session of account (its token never logs in again);
 * CC_ENOTFOUND when account has no such session. */
int session_end(MDB_txn *txn, const struct store *st, uint64_t account, uint64_t session);
/* Writer thread: ends every session of account but `keep` (0: all); *n counts them. */
int session_end_all(MDB_txn *txn, const struct store *st, uint64_t account, uint64_t keep,
                    size_t *n);
/* The account's sessions, oldest first, as [{session, device, created}] (new
 * reference), or NULL on a store error. */
json_t *session_list(MDB_txn *txn, const struct store *st, uint64_t account);

/* The stored password hash of account into out (PASSWORD_HASH_LEN bytes): 0, or
 * CC_ENOTFOUND when it has none. */
int account_password_get(MDB_txn *txn, const struct store *st, uint64_t account, char *out,
                         size_t outlen);
/* Writer thread: sets (hash) or removes (NULL) the account's password hash. */
int account_password_put(MDB_txn *txn, const struct store *st, uint64_t account,
                         const char *hash);

/* Start-up, before the writer (designs_upgrade's transaction): schema 2 → 3, every
 * token becomes a session (device "", created with its account). */
int accounts_upgrade_sessions(MDB_txn *txn, const struct store *st, size_t *n);

#endif
