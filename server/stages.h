/* Stages of SPEC §8 (LEGO Ideas): in a contest with `stages: [{supports, days}, ...]`
 * a design must reach each stage's supports within `days` of reaching the previous
 * one (of its creation for the first), or it is `expired` (no more votes; the brand
 * may move it back to `submitted`, which opens the stage again); reaching the last
 * stage shortlists it. Each stage reached is a `milestone` notice.
 *
 * A design's progress is in its record ("stage": stages reached, "stage_due": when the
 * current one must be reached) and in the `stage_due` table (be64 due + be64 design →
 * ""), which the clock's ticker (phases.c) reads from its start to find what is due.
 * Writer thread (the applies), except stages_due. */
#ifndef CC_STAGES_H
#define CC_STAGES_H

#include <jansson.h>
#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "contests.h"
#include "store.h"

struct change;

/* A design of a stage contest starts (or starts again) its current stage at `at`:
 * sets rec's "stage" (0 when new) and "stage_due" and files it as due. The caller
 * saves rec. */
int stage_open(MDB_txn *txn, const struct store *st, json_t *rec, uint64_t design,
               const struct contest *k, int64_t at);
/* After a vote brought design's supports to `supports` at `at`: the stages it now
 * reaches (a milestone notice each, into c), and when the last is reached the design
 * is shortlisted (*shortlisted = 1). A design not `submitted` does not move. */
int stage_votes(MDB_txn *txn, const struct store *st, uint64_t design, const struct contest *k,
                uint32_t supports, int64_t at, struct change *c, int *shortlisted);
/* The "expire" record's apply: design expires if its stage is still due before `at`
 * (*expired = 1); else nothing. */
int stage_expire(MDB_txn *txn, const struct store *st, uint64_t design, int64_t at,
                 int *expired);
/* Up to max designs whose stage was due at or before now, earliest first. */
size_t stages_due(MDB_txn *txn, const struct store *st, int64_t now, uint64_t *ids, size_t max);

#endif
