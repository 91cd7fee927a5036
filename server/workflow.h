/* The design status workflow of SPEC §2 inside the writer's transaction: which moves
 * are allowed, a move (stored record + timeline entry, in the caller's transaction),
 * and LEGO Ideas' threshold: the vote's own transaction keeps a supports counter per
 * design (the `supports` table) and promotes a `submitted` design to `shortlisted`
 * when its supports reach the contest's threshold, so the decision is made on durable
 * state and commits (or not) with the vote. Writer thread only. */
#ifndef CC_WORKFLOW_H
#define CC_WORKFLOW_H

#include <lmdb.h>
#include <stdint.h>

#include "catalog.h"
#include "store.h"
#include "scale.h"

/* Ours: a status note is 1–1000 Unicode characters (see docs/protocol.md). */
#define WORKFLOW_NOTE_MAX 1000
/* The `by` of a move the server made itself (a threshold). */
#define WORKFLOW_BY_SYSTEM 0

/* Whether from → to is one of SPEC §2's moves (a status to itself is not). */
int workflow_allowed(enum dstatus from, enum dstatus to);

/* Moves design id of contest to `to` if SPEC §2 allows it from its stored status:
 * stores the record with the new status, appends {to, note (NULL = none), by, at} to
 * its timeline and a "status" entry {design, from, to, note, by} to the contest's
 * audit log. *from gets the stored status. Returns 0, CC_ECONFLICT (not allowed:
 * nothing written), CC_ENOTFOUND, or a store error. */
int workflow_move(MDB_txn *txn, const struct store *st, const char *contest, uint64_t id,
                  enum dstatus to, const char *note, uint64_t by, int64_t at, enum dstatus *from);

/* One committed-or-not vote change, as the threshold sees it. */
struct workflow_vote {
    uint64_t design;
    const char *contest; /* its id, for the audit log */
    const struct scale *scale;
    int old_value, new_value; /* 0 = none */
    uint64_t threshold;       /* the contest's when the vote was submitted; 0 = none */
    int maybe_submitted;      /* the catalog showed `submitted` at submission (a design
                                 never returns to it, so 0 means it cannot be promoted) */
    int64_t at;
    uint32_t supports; /* out: supports after the vote, when the counter is kept */
    int promoted;      /* out: the vote moved the design to `shortlisted` */
    int counted;          /* keep the counter even without a threshold (stages) */
};

/* Call after the vote itself was written in txn. Keeps the design's supports counter
 * (made, by counting its votes, the first time its contest has a threshold; kept on
 * every later vote) and promotes the design when a support brings it to the
 * threshold: audit entries "threshold" {design, supports}, then the move's "status".
 * Returns 0 or a store error. */
/* The supports among the stored votes of design (scale's rule): a walk of its votes,
 * for rare checks (a milestone record). */
int workflow_count_supports(MDB_txn *txn, const struct store *st, uint64_t design,
                            const struct scale *scale, uint32_t *out);
int workflow_vote(MDB_txn *txn, const struct store *st, struct workflow_vote *v);

#endif
