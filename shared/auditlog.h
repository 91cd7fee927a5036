/* The audit log's wire format (SPEC §6 transparency), shared by the server (which
 * writes and serves it) and `cocreate verify` (which checks it): the canonical bytes
 * of an entry, the chain hash, and the served line `<canonical minus '}'>,"hash":"…"}`.
 * docs/protocol.md ("Audit log") is the normative description. Pure functions. */
#ifndef CC_AUDITLOG_H
#define CC_AUDITLOG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The `prev` of a contest's first entry: 64 zeros. */
#define AUDITLOG_ZERO_HEX "0000000000000000000000000000000000000000000000000000000000000000"
/* Length of the suffix `,"hash":"<64 hex>"}` that turns canonical bytes into a line
 * (the canonical entry's closing '}' is replaced by it). */
#define AUDITLOG_HASH_SUFFIX 75
/* Largest canonical entry the server writes and verify accepts. */
#define AUDITLOG_ENTRY_MAX 8192

/* The canonical bytes of entry (a JSON object): compact, keys sorted bytewise at every
 * level, non-ASCII escaped as \uXXXX, integers only (no reals anywhere). Returns a new
 * NUL-terminated string (caller frees) with *len its length, or NULL if entry holds a
 * real or is not an object. */
char *auditlog_canonical(const json_t *entry, size_t *len);
/* Entry hash = SHA-256(prev hash bytes || canonical bytes). */
void auditlog_hash(const uint8_t prev[32], const void *canon, size_t len, uint8_t out[32]);
/* Writes the served line (no newline) of canonical bytes canon (len ≥ 2, ending in
 * '}') with hash into out (room for len + AUDITLOG_HASH_SUFFIX). Returns its length. */
size_t auditlog_line(const char *canon, size_t len, const uint8_t hash[32], char *out);
/* Splits a served line (no newline) back: writes the canonical bytes into canon (room
 * for len, NUL-terminated) with *clen, and the hash it claims into hash. Returns 0, or
 * -1 if the line does not end in a well-formed hash suffix. */
int auditlog_unline(const char *line, size_t len, char *canon, size_t *clen, uint8_t hash[32]);

#endif
