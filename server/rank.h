/* A ranked index: an order-statistic B+ tree (nodes count the items under them), keyed
 * by a score (higher first) and, among equal scores, by a caller's tie order. Insert,
 * delete and rank-of are O(log n); a page of `limit` items from any offset is
 * O(log n + limit). Items are the caller's (borrowed), each indexed at most once, and
 * must keep their tie order fixed while indexed; the index reads no item after it is
 * deleted. Loop thread only (not thread-safe). */
#ifndef CC_RANK_H
#define CC_RANK_H

#include <stddef.h>
#include <stdint.h>

/* <0 when item a comes before item b among equal scores, >0 after, 0 only for a == b. */
typedef int (*rank_tie_fn)(const void *a, const void *b);
/* An item's score, read by rank_append only: the index keeps the score of each entry
 * itself. */
typedef double (*rank_key_fn)(const void *item);

struct rank;

/* A new, empty index. Never NULL (aborts on out-of-memory). */
struct rank *rank_new(rank_tie_fn tie, rank_key_fn key);
/* Frees the index (not the items). NULL-safe. */
void rank_free(struct rank *r);
/* Number of items. */
size_t rank_count(const struct rank *r);
/* Moves whenever the order of the items as read may have changed: an item added or
 * deleted, a move noted, retargeted or made. A re-key that keeps the item between its
 * neighbours (rank_rekey, rank_move) leaves it: the order is the same. For caches of
 * what a page of the order shows. */
uint64_t rank_version(const struct rank *r);
/* Adds item with score. The (score, item) pair must not be present. */
void rank_insert(struct rank *r, double score, void *item);
/* Adds item, with score key(item), after every item present: O(1) amortised, for
 * building an index from items in order (the first call after other changes walks
 * the index once). Returns 0, or -1 (nothing added) if item would not be last. */
int rank_append(struct rank *r, void *item);
/* Removes item, indexed with score (for an item with a move waiting: where the move
 * takes it). Returns 0, or -1 if that pair is not present. */
int rank_delete(struct rank *r, double score, void *item);
/* At most this many moves wait (rank_update): the one that reaches it makes them all. */
#define RANK_PEND_MAX 4096

/* Moves item, indexed with old_score, to new_score: noted now (O(1)), made when the
 * order is next read (rank_position, rank_page, rank_each, rank_append), at
 * rank_settle, or when RANK_PEND_MAX wait. The pair must be present — an absent one is found only when the move
 * is made, and stops the program — unless item has a move waiting: then -1 if
 * old_score is not where that move takes it. Returns 0 otherwise. */
int rank_update(struct rank *r, double old_score, double new_score, void *item);
/* Moves item, indexed with old_score (for an item with a move waiting: where that
 * move takes it), to new_score now: for callers that move many items once each, where
 * noting the moves would only hold memory until they are made. Returns 0, or -1 if
 * that pair is not present. */
int rank_move(struct rank *r, double old_score, double new_score, void *item);
/* The new score of item (rank_rekey): the caller's key for it now. */
typedef double (*rank_rekey_fn)(void *item, void *user);
/* Gives each of the n items from position pos on (fewer at the end) the score fn
 * returns for it, walking them from the last to the first: a score that keeps its item
 * between its neighbours is changed in place, with no search (scores that all fall, as
 * a decay's, keep their places); any
 * other is moved at once (an item moved ahead of the walk is visited again, in place
 * of the first of the n); an item with a move waiting (rank_update) has that move
 * retargeted. For re-scoring passes over the whole order: O(n) plus a few descents a
 * move, where re-keying each item would be a descent. fn must not call this index.
 * Returns how many it visited: n, or fewer at the end. */
size_t rank_rekey(struct rank *r, size_t pos, size_t n, rank_rekey_fn fn, void *user);
/* Makes the moves waiting (see rank_update). */
void rank_settle(struct rank *r);
/* The number of moves waiting. */
size_t rank_pending(const struct rank *r);
/* The 0-based position of (score, item), or (size_t)-1 if absent. */
size_t rank_position(struct rank *r, double score, const void *item);
/* Copies up to limit items from position offset on into out; returns how many. */
size_t rank_page(struct rank *r, size_t offset, size_t limit, void **out);
/* Calls fn(item, score, user) for every item in order; stops when it returns non-zero. */
void rank_each(struct rank *r, int (*fn)(void *item, double score, void *user), void *user);
/* Bytes of memory the index uses (nodes, header, the moves waiting), for metrics. */
size_t rank_memory(const struct rank *r);

#endif
