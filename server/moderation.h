/* The moderation log of SPEC §7: every hide of a design or comment and every
 * suspension, with who, when and why, in LMDB (`moderation`: be64 seq → entry JSON),
 * newest last. Written by the change records' applies (writer thread); read by
 * moderation.list (any thread with a read txn). */
#ifndef CC_MODERATION_H
#define CC_MODERATION_H

#include <jansson.h>
#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* A reason: 1–500 characters (SPEC §7 asks for one on each action). */
#define MODERATION_REASON_MAX 500
/* moderation.list: limit ≤ 100, default 50. */
#define MODERATION_PAGE_MAX 100

/* Appends {id, action, by, by_name, at, reason} plus the members of target (borrowed:
 * e.g. {"design": "7", "hidden": true}). reason may be NULL (none given). */
int moderation_append(MDB_txn *txn, const struct store *st, int64_t at, uint64_t by,
                      const char *action, const json_t *target, const char *reason);
/* Up to limit entries with ids below before (0: from the newest), newest first, as a
 * new array; *more when older ones remain. NULL on a store error. */
json_t *moderation_list(MDB_txn *txn, const struct store *st, uint64_t before, size_t limit,
                        int *more);

#endif
