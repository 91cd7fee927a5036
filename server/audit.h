/* The per-contest audit log (SPEC §6 transparency): an append-only, hash-chained list of
 * entries ("vote", "status", "hide", "threshold") in LMDB, the chain head per contest,
 * and voter pseudonyms (HMAC-SHA256 under the node's secret, secret.h).
 * The format of an entry is shared/auditlog.h; docs/protocol.md describes it exactly.
 * Thread use: audit_append / audit_pseudonym on the writer thread inside an apply
 * callback; audit_head / audit_read from any thread with a read txn. */
#ifndef CC_AUDIT_H
#define CC_AUDIT_H

#include <jansson.h>
#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "auditlog.h"
#include "store.h"
#include "util.h"

/* A contest's chain head: entries so far, the size of their served lines (what
 * GET /log/ sends for them) and the hash of the last one (zeros if none). */
struct audit_head {
    uint64_t length;
    uint64_t bytes;
    uint8_t hash[32];
};
/* Bytes of the served line (newline included) of canonical bytes of length n. */
#define AUDIT_LINE_LEN(n) ((n)-1 + AUDITLOG_HASH_SUFFIX + 1)

/* Appends an entry {seq, at, type, prev, <fields>} to contest's log in txn, chained to
 * the head read from txn (so entries of one transaction chain in apply order, and a
 * batch re-applied after map growth recomputes everything). type is "vote", "status",
 * "hide" or "threshold"; fields (borrowed) is an object of the entry's own fields, no
 * reals, none named seq/at/type/prev/hash. Returns 0, a store error (STORE_EMAPFULL
 * included: return it from the apply), or CC_EINTERNAL for a bad type or fields. */
int audit_append(MDB_txn *txn, const struct store *st, const char *contest, int64_t at,
                 const char *type, json_t *fields);
/* Writer thread: account's pseudonym in contest as 64 hex chars + NUL:
 * HMAC-SHA256(the node's secret, contest id || 0x00 || decimal account id), the secret
 * given with store_set_secret. Returns 0, or CC_EINTERNAL when the store has none. */
int audit_pseudonym(MDB_txn *txn, const struct store *st, const char *contest,
                    uint64_t account, char out[65]);
/* Writer thread: appends a "vote" entry {voter, design, value, old} (value 0 = cleared,
 * old 0 = none) for account's change on design. Call only when old != value. */
int audit_vote(MDB_txn *txn, const struct store *st, const char *contest, int64_t at,
               uint64_t design, uint64_t account, int old, int value);
/* contest's chain head (zero length and hash when it has no entries). Returns 0 or a
 * store error. */
int audit_head(MDB_txn *txn, const struct store *st, const char *contest,
               struct audit_head *out);
/* Appends the served lines (each ending in '\n') of contest's entries from seq `from`
 * (1 = first) to out, stopping after max_entries or once out grew by max_bytes; sets
 * *next to the seq after the last one appended (so from == *next means the end).
 * Returns 0 or a store error. */
int audit_read(MDB_txn *txn, const struct store *st, const char *contest, uint64_t from,
               size_t max_entries, size_t max_bytes, struct ccbuf *out, uint64_t *next);

#endif
