/* Passwords of SPEC §7: the text rules, and argon2id hashes (Debian's libargon2) with a
 * per-account random salt, kept as one string "argon2id$m=KIB,t=T,p=P$SALT$HASH" (hex)
 * so a later change of the cost flags still verifies older hashes. Hashing takes tens
 * of milliseconds and megabytes on purpose: call password_hash and password_verify off
 * the event loop (ops_auth.c runs them on libuv's pool). Any thread. */
#ifndef CC_PASSWORD_H
#define CC_PASSWORD_H

#include <stddef.h>
#include <stdint.h>

#include "jargs.h"

/* SPEC §7: 10–200 Unicode scalar values. */
#define PASSWORD_MIN 10
#define PASSWORD_MAX 200
/* Room for a stored hash string and its NUL. */
#define PASSWORD_HASH_LEN 160
/* A hash's random salt and argon2id's output, in bytes. */
#define PASSWORD_SALT_BYTES 16
#define PASSWORD_HASH_BYTES 32

/* argon2id's cost: iterations, memory in KiB, lanes. */
struct password_cost {
    uint32_t t, m_kib, p;
};
/* The default (--password-cost default): 3 passes over 64 MiB, one lane (~0.1–0.2 s of
 * one core here); and --password-cost low, for tests only: 1 pass over 1 MiB. */
extern const struct password_cost password_cost_default, password_cost_low;

/* A stored hash string's parts: the cost it was made with, its salt, the hash. */
struct password_stored {
    struct password_cost cost;
    uint8_t salt[PASSWORD_SALT_BYTES];
    uint8_t hash[PASSWORD_HASH_BYTES];
};
/* The cost a stored hash may name: 1–64 passes, 1–16 lanes, 8 KiB per lane to 4 GiB (a
 * string outside them is not one of ours). */
#define PASSWORD_T_MAX 64
#define PASSWORD_P_MAX 16
#define PASSWORD_M_KIB_MAX (4u * 1024 * 1024)

/* Reads a stored hash string exactly as password_format writes it (decimal numbers
 * without leading zeros, lowercase hex), its cost within the bounds above. Returns 0
 * with *out filled, or CC_EINTERNAL. Any thread; cheap (no hashing). */
int password_parse(const char *stored, struct password_stored *out);
/* Writes p as a stored hash string into out. */
void password_format(const struct password_stored *p, char out[PASSWORD_HASH_LEN]);

/* Checks a password's text (valid UTF-8, 10–200 scalar values). Returns 0, or
 * CC_EBADARGS with e filled (field "password" unless field says otherwise). */
int password_check(const char *pw, const char *field, struct jargs_err *e);
/* Hashes pw with a new random salt into out (PASSWORD_HASH_LEN bytes). 0 or
 * CC_EINTERNAL. */
int password_hash(const char *pw, const struct password_cost *cost, char out[PASSWORD_HASH_LEN]);
/* 0 when pw matches the stored hash (compared in constant time), CC_EUNAUTHORIZED when
 * it does not, CC_EINTERNAL when the stored string is not one of ours (password_parse). */
int password_verify(const char *pw, const char *stored);

#endif
