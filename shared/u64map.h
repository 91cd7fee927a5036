/* A hash map from non-zero u64 keys to pointers (open addressing, linear probing,
 * power-of-two capacity, backward-shift deletion). Not thread-safe. */
#ifndef CC_U64MAP_H
#define CC_U64MAP_H

#include <stddef.h>
#include <stdint.h>

struct u64map {
    uint64_t *keys; /* 0 = empty slot */
    void **vals;
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
/* Asks the CPU to start loading the slot where key's lookup begins (no effect on the
 * map): a caller about to look up several keys issues these first, so that their cache
 * misses overlap instead of following one another. */
void u64map_prefetch(const struct u64map *m, uint64_t key);
/* Bytes of memory the table uses. */
size_t u64map_memory(const struct u64map *m);

#endif
