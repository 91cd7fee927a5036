/* Implementation of radix.h. */
#include "radix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util.h"

struct radix_item *radix_sort(struct radix_item *a, struct radix_item *tmp, size_t n)
{
    if (n < 2)
        return a;
    size_t count[8][256];
    memset(count, 0, sizeof count);
    for (size_t i = 0; i < n; i++)
        for (int b = 0; b < 8; b++)
            count[b][(a[i].key >> (8 * b)) & 0xff]++;
    for (int b = 0; b < 8; b++) {
        size_t *c = count[b], sum = 0;
        if (c[(a[0].key >> (8 * b)) & 0xff] == n)
            continue; /* this byte is the same in every key */
        for (int x = 0; x < 256; x++) {
            size_t k = c[x];
            c[x] = sum;
            sum += k;
        }
        for (size_t i = 0; i < n; i++)
            tmp[c[(a[i].key >> (8 * b)) & 0xff]++] = a[i];
        struct radix_item *t = a;
        a = tmp;
        tmp = t;
    }
    return a;
}

uint64_t radix_key_double(double x)
{
    uint64_t u;
    if (x == 0)
        x = 0; /* -0 as +0 */
    memcpy(&u, &x, sizeof u);
    return u >> 63 ? ~u : u | 1ull << 63;
}

uint64_t radix_key_i64(int64_t v) { return (uint64_t)v ^ 1ull << 63; }

void *radix_scratch(size_t bytes)
{
    if (bytes < RADIX_SCRATCH_MAP)
        return xmalloc(bytes);
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        fprintf(stderr, "cocreate: out of memory mapping %zu bytes\n", bytes);
        abort();
    }
    return p;
}

void radix_scratch_free(void *p, size_t bytes)
{
    if (bytes < RADIX_SCRATCH_MAP)
        free(p);
    else if (p)
        munmap(p, bytes);
}
