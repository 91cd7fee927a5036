/* radix.h: the sort is stable and matches a comparison sort on random keys (with many
 * equal ones, and keys whose high or low bytes are all the same), arrays of 0 and 1
 * items, and the key functions keep the order of doubles (-0 = +0) and int64s. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "radix.h"

#define N 20000

static int cmp_key_then_index(const void *a, const void *b)
{
    const struct radix_item *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    uintptr_t i = (uintptr_t)x->item, j = (uintptr_t)y->item;
    return i < j ? -1 : i > j;
}

/* Sorts n random keys (mask picks their varying bits) both ways. */
static void check_random(uint64_t mask, unsigned shift)
{
    static struct radix_item a[N], tmp[N], want[N];
    for (size_t i = 0; i < N; i++) {
        uint64_t r = ((uint64_t)random() << 33) ^ ((uint64_t)random() << 11) ^ (uint64_t)random();
        a[i] = (struct radix_item){(r & mask) << shift, (void *)(uintptr_t)i};
        want[i] = a[i];
    }
    qsort(want, N, sizeof *want, cmp_key_then_index); /* stable: equal keys by index */
    const struct radix_item *got = radix_sort(a, tmp, N);
    for (size_t i = 0; i < N; i++) {
        ASSERT(got[i].key == want[i].key);
        ASSERT(got[i].item == want[i].item);
    }
}

int main(void)
{
    srandom(7);
    check_random(UINT64_MAX, 0);
    check_random(0xff, 0);   /* many equal keys, one byte varies */
    check_random(0xfff, 40); /* the low bytes are the same in every key */
    check_random(0, 0);      /* all equal: nothing moves */

    struct radix_item one = {5, NULL}, tmp1;
    ASSERT(radix_sort(&one, &tmp1, 1) == &one);
    ASSERT(radix_sort(NULL, NULL, 0) == NULL);

    const double d[] = {-1.0 / 0.0, -1e300, -2.5, -1, -1e-300, 0, 1e-300, 1, 2.5, 1e300,
                        1.0 / 0.0};
    for (size_t i = 1; i < sizeof d / sizeof d[0]; i++)
        ASSERT(radix_key_double(d[i - 1]) < radix_key_double(d[i]));
    ASSERT(radix_key_double(-0.0) == radix_key_double(0.0));
    const int64_t v[] = {INT64_MIN, -1000000, -1, 0, 1, 1795541695, INT64_MAX};
    for (size_t i = 1; i < sizeof v / sizeof v[0]; i++)
        ASSERT(radix_key_i64(v[i - 1]) < radix_key_i64(v[i]));
    printf("test_radix: ok\n");
    return 0;
}
