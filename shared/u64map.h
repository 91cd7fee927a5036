/* A hash map from non-zero u64 keys to pointers (open addressing, linear probing,
 * power-of-two capacity, backward-shift deletion). Not thread-safe. */
#ifndef CC_U64MAP_H
#define CC_U64MAP_H

#include <stddef.h>
#include <stdint.h>

/* An entry: a key (0: the slot is empty) and its value side by side, so that a lookup
 * reads one cache line where two arrays cost two. */
struct u64slot {
    uint64_t key;
    void *val;
};

/* count (entries) and cap (slots) may be read; slot is u64map.c's own: walk the entries
 * with u64map_next. */
struct u64map {
    struct u64slot *slot;
    size_t cap, count;
};

void u64map_init(struct u64map *m);
void u64map_free(struct u64map *m);
/* The value for key, or NULL. */
void *u64map_get(const struct u64map *m, uint64_t key);
/* Sets key (≠ 0) to val, replacing any previous value. */
void u64map_put(struct u64map *m, uint64_t key, void *val);
/* Removes key; returns its value or NULL. */
void *u64map_del(struct u64map *m, uint64_t key);

/* Walking the entries. A walk keeps its place in a size_t the caller owns, 0 at the start:
 *
 *     size_t at = 0;
 *     uint64_t key;
 *     void *val;
 *     while (u64map_next(m, &at, &key, &val))
 *         if (done_with(val))
 *             u64map_del_at(m, &at);
 *
 * It visits every entry exactly once, in an order fixed by the table's layout (by slot,
 * with the entries whose probe wrapped past the last slot at the end), provided the only
 * change to m during the walk is u64map_del_at of the entry just returned (any number of
 * them). Any other put or del during a walk may move entries, or rebuild the table (a put
 * may grow it even when its key is present): the walk may then skip or repeat entries,
 * though every call stays in bounds. So a position can also be kept across changes, as a
 * hand that goes on where it stopped and starts again from 0 when u64map_next returns 0. */

/* The first entry at or after position *at: returns 1 with its key and value (either out
 * pointer may be NULL) and *at moved past it, or 0 when the walk is over. */
int u64map_next(const struct u64map *m, size_t *at, uint64_t *key, void **val);
/* Deletes the entry the last u64map_next(m, at, ...) returned (m unchanged since) and steps
 * *at back, so that the walk goes on with the entry the deletion moves into its slot;
 * returns the deleted value (NULL, and no change, when no entry is at position *at - 1). */
void *u64map_del_at(struct u64map *m, size_t *at);

/* Asks the CPU to start loading the slot where key's lookup begins (no effect on the
 * map): a caller about to look up several keys issues these first, so that their cache
 * misses overlap instead of following one another. */
void u64map_prefetch(const struct u64map *m, uint64_t key);
/* Bytes of memory the table uses. */
size_t u64map_memory(const struct u64map *m);

#endif
