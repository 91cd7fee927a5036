/* The vote store: which vote each account has on each design (SPEC §4).
 *
 * Votes are the hottest write, and a table keyed by (design, account) makes each vote of
 * a commit copy a leaf somewhere in the tree (and the branch pages above it): about two
 * random 4 KiB pages a vote. So a vote is appended to `vote_log` (keyed by a sequence:
 * all the votes of a commit land in the log's last leaf), and the log is folded into
 * `votes` (design, account) now and then — before each checkpoint, when it grows long,
 * at start-up — in one transaction that copies each touched leaf once. The vote of
 * (design, account) is the log's last entry for it, else the one in `votes`; value 0
 * in the log is a cleared vote (docs/architecture.md, "The vote store").
 *
 * Three views of the log, each consistent with the data it is read with:
 * - the writer's (votes_get, votes_set, votes_fold: inside write transactions): an
 *   index in memory of the log's last entry for each (design, account), kept in step
 *   with the transactions as the store's follower (store.h): a transaction or nested
 *   transaction rolled back after changing it, or a commit by another process, makes it
 *   be read again from the log;
 * - the loop thread's (struct votes_seen): the votes whose post-commit step ran, until a
 *   fold covers them, for the viewer's own vote on a design (votes_lookup);
 * - any snapshot's (votes_of_account): the log as that read transaction sees it. */
#ifndef CC_VOTES_H
#define CC_VOTES_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

struct store;

/* Fold the log when it holds this many entries (and before every checkpoint). */
#define VOTES_FOLD_ENTRIES 262144
/* ... or when its oldest unfolded entry is this old (what folds it in cluster mode, which
 * has no checkpoints; offline commands leave it to the server's next start). */
#define VOTES_FOLD_MS 1000

/* ---- in write transactions (the writer thread) ---- */

/* *value: account's vote on design as of txn (0 when none). */
int votes_get(MDB_txn *txn, const struct store *st, uint64_t design, uint64_t account,
              int *value);
/* Sets account's vote on design from old (what votes_get said) to value (-1..5; 0
 * clears it): one log entry. *seq: its sequence, which the post-commit step hands to
 * votes_seen_note. */
int votes_set(MDB_txn *txn, const struct store *st, uint64_t design, uint64_t account,
              int old, int value, uint64_t *seq);
/* Folds the whole log into `votes` in txn (nothing when it is empty). */
int votes_fold(MDB_txn *txn, const struct store *st);
/* Whether the log is long or old enough to fold at now_ns (uv_hrtime; VOTES_FOLD_*), as
 * the writer's index last saw it. Writer thread, outside a transaction. */
int votes_fold_due(const struct store *st, uint64_t now_ns);
/* Folds the log in a transaction of its own, growing the map if it must (the writer
 * thread, or start-up before the writer starts). */
int votes_fold_store(struct store *st);

/* ---- the folded table's tallies ----
 * `tallies`: be64 design → how many of the folded table's votes on it have each value
 * (-1, 1, 2, 3, 4, 5: six be32); no entry for a design without any. Every write of the
 * table (votes_fold, votes_table_set) keeps it in the same transaction, so it always
 * counts the table as that transaction sees it: what start-up reads instead of every
 * vote (schema ≥ 5), and what a threshold contest counts supports from. */
#define VOTES_VALUES 6
struct vote_counts {
    uint32_t n[VOTES_VALUES]; /* n[i]: the votes of value votes_value(i) */
};
static inline int votes_value(int i)
{
    return i ? i : -1;
}
/* Decodes one value of `tallies`: 0, or -1 when it is not one this build writes. */
int votes_tally_decode(const MDB_val *v, struct vote_counts *out);
/* design's counts in txn (all 0 when it has no folded vote). */
int votes_tally_get(MDB_txn *txn, const struct store *st, uint64_t design,
                    struct vote_counts *out);
/* Sets the folded vote of (design, account) to value (0 removes it), its tally kept: for
 * the tools and tests that write a store of their own (the server votes with votes_set). */
int votes_table_set(MDB_txn *txn, const struct store *st, uint64_t design, uint64_t account,
                    int value);
/* Counts `tallies` again from the folded table (the upgrade to schema 5, and tools that
 * fill the table in bulk). *designs, *votes: what it counted. */
int votes_tallies_build(MDB_txn *txn, const struct store *st, size_t *designs,
                        uint64_t *votes);

/* Counters for /metrics; any thread. */
struct votes_stats {
    int64_t standing;  /* votes standing (one per voter and design) after the last
                          commit; -1 until a commit of this process has counted them */
    uint64_t unfolded; /* entries in the log as the writer last saw it */
    uint64_t folds;    /* folds committed or not: transactions that folded the log */
    uint64_t folded;   /* entries folded */
    uint64_t rebuilds; /* times the writer's index was read again from the log */
};
void votes_stats(const struct store *st, struct votes_stats *out);

/* ---- the loop thread's view ---- */
struct votes_seen;
struct votes_seen *votes_seen_new(void);
void votes_seen_free(struct votes_seen *vs);
/* The post-commit step of a vote that wrote log entry seq. Now and then it forgets the
 * entries a fold has covered (a short read transaction of st). */
void votes_seen_note(struct votes_seen *vs, struct store *st, uint64_t design,
                     uint64_t account, int value, uint64_t seq);
/* *value: account's vote on design (0 when none), read in txn (a read transaction of
 * the loop thread, begun after the post-commit steps it must see). */
int votes_lookup(const struct votes_seen *vs, MDB_txn *txn, const struct store *st,
                 uint64_t design, uint64_t account, int *value);
/* Entries held (for /metrics). */
size_t votes_seen_count(const struct votes_seen *vs);

/* ---- any snapshot ---- */
/* Calls fn for each vote of account as txn sees it, in design order. */
typedef int (*votes_each_fn)(void *user, uint64_t design, int value);
int votes_of_account(MDB_txn *txn, const struct store *st, uint64_t account,
                     votes_each_fn fn, void *user);

#endif
