/* A stable sort of (key, item) pairs by an unsigned 64-bit key, least significant byte
 * first: a few passes over sequential memory, for the big sorts of start-up (the
 * catalog's ranked indexes, the creators' lists and leaderboard), where a comparison
 * sort through a function pointer cost seconds. Not thread-safe on the same arrays;
 * any thread on its own. */
#ifndef CC_RADIX_H
#define CC_RADIX_H

#include <stddef.h>
#include <stdint.h>

struct radix_item {
    uint64_t key;
    void *item; /* the caller's */
};

/* Sorts a[0..n) by key, stably (items with equal keys keep their order); bytes that
 * are the same in every key cost no pass. tmp has room for n items. Returns the
 * sorted array: a or tmp (the other holds what is left over). */
struct radix_item *radix_sort(struct radix_item *a, struct radix_item *tmp, size_t n);
/* Room of bytes for a big, short-lived array (a sort's items and its tmp, lists of
 * designs at start-up), and its release: from RADIX_SCRATCH_MAP bytes on it is mapped
 * and unmapped, so that its pages go back to the system when it is freed (malloc would
 * keep such blocks in its heap once its mmap threshold has grown, and they would count
 * as the server's memory from then on). Aborts on out-of-memory. */
#define RADIX_SCRATCH_MAP (1u << 20)
void *radix_scratch(size_t bytes);
/* Frees p, from radix_scratch(bytes) with the same bytes. NULL-safe. */
void radix_scratch_free(void *p, size_t bytes);
/* A key whose unsigned order is x's ascending order (-0 and +0 equal, as they compare;
 * not for NaN). */
uint64_t radix_key_double(double x);
/* A key whose unsigned order is v's ascending order. */
uint64_t radix_key_i64(int64_t v);

#endif
