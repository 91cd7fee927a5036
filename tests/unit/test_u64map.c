/* u64map against plain array models: random puts, gets and deletes; then walks
 * (u64map_next, u64map_del_at) over many layouts, shifted clusters and clusters that wrap
 * past the table's last slot included, each checked to visit every entry exactly once. */
#include "check.h"
#include "u64map.h"

#define KEYS 5000

/* The model of a walk test: keys[k] is in the map iff present[k], with value &tag[k]. */
#define WALK_KEYS 4000
static uint64_t keys[WALK_KEYS];
static int present[WALK_KEYS], before[WALK_KEYS], visits[WALK_KEYS];
static char tag[WALK_KEYS];

/* u64map.c's home slot of key, copied (this test alone reads the map's slots): it lets a
 * test aim keys at the table's last slots. check_layout() holds the copy to the layout. */
static size_t home(uint64_t key, size_t cap)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    return (size_t)key & (cap - 1);
}

/* Checks linear probing's invariant by home(): every slot from an entry's home to its own
 * is occupied. Returns how many entries wrapped past the last slot (home after slot). */
static size_t check_layout(const struct u64map *m)
{
    size_t wrapped = 0;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slot[i].key)
            continue;
        size_t h = home(m->slot[i].key, m->cap);
        for (size_t j = h; j != i; j = (j + 1) & (m->cap - 1))
            ASSERT(m->slot[j].key);
        wrapped += h > i;
    }
    return wrapped;
}

/* Fills m with n random keys, keys[0..n) of the model (present[k] for those in), two in
 * three with their home among the table's last aim slots (aim 0: anywhere; cap 0: any
 * table size, else n must make the table cap slots), then deletes about one in del of them
 * (none when del is 0), leaving clusters closed up by backward shifts. */
static void build(struct u64map *m, size_t n, uint64_t seed, size_t cap, size_t aim, unsigned del)
{
    uint64_t rng = seed * 2654435761u + 88172645463325252ull;
    u64map_init(m);
    for (size_t k = 0; k < n; k++) {
        uint64_t key;
        do
            key = check_rand(&rng);
        while (!key || u64map_get(m, key) || (aim && k % 3 && home(key, cap) < cap - aim));
        keys[k] = key;
        u64map_put(m, key, &tag[k]);
        present[k] = 1;
    }
    ASSERT(!cap || m->cap == cap);
    for (size_t k = 0; del && k < n; k++)
        if (check_rand(&rng) % del == 0) {
            ASSERT(u64map_del(m, keys[k]) == &tag[k]);
            present[k] = 0;
        }
}

/* build()'s deletions: none, or about one in 2, 3 or 5 entries */
static const unsigned dels[4] = {0, 2, 3, 5};

enum walk_mode { LOOK, DELETE_ALL, DELETE_EVERY_OTHER, DELETE_BY_KEY, WALK_MODES };

/* Walks m once, deleting the entries mode says as it visits them, and checks the walk
 * against the model: each entry present at the start visited exactly once with its value,
 * no other; afterwards the deleted ones gone and every other one still there. */
static void walk_check(struct u64map *m, size_t n, enum walk_mode mode)
{
    size_t count = m->count, seen = 0, at = 0;
    uint64_t key;
    void *val;
    for (size_t k = 0; k < n; k++) {
        before[k] = present[k];
        visits[k] = 0;
    }
    while (u64map_next(m, &at, &key, &val)) {
        ASSERT(val >= (void *)tag && val < (void *)(tag + n));
        size_t k = (size_t)((char *)val - tag);
        ASSERT(keys[k] == key && before[k]);
        ASSERT_EQ(++visits[k], 1);
        seen++;
        if (mode == DELETE_ALL || (mode == DELETE_EVERY_OTHER && seen % 2) ||
            (mode == DELETE_BY_KEY && key >> 40 & 1)) {
            ASSERT(u64map_del_at(m, &at) == val);
            present[k] = 0;
        }
    }
    ASSERT_EQ(seen, count);
    size_t left = 0;
    for (size_t k = 0; k < n; k++) {
        ASSERT_EQ(visits[k], before[k]);
        ASSERT(u64map_get(m, keys[k]) == (present[k] ? &tag[k] : NULL));
        left += present[k];
    }
    ASSERT_EQ(m->count, left);
    check_layout(m);
}

/* Every mode on each layout build() makes from these arguments, then a look at what is
 * left. Returns how many entries wrapped in the layout. */
static size_t walk_layout(size_t n, uint64_t seed, size_t cap, size_t aim, unsigned del)
{
    size_t wrapped = 0;
    for (int mode = 0; mode < WALK_MODES; mode++) {
        struct u64map m;
        build(&m, n, seed, cap, aim, del);
        wrapped = check_layout(&m);
        walk_check(&m, n, (enum walk_mode)mode);
        walk_check(&m, n, LOOK);
        u64map_free(&m);
    }
    return wrapped;
}

static void test_walk_empty(void)
{
    struct u64map m;
    u64map_init(&m);
    size_t at = 0;
    uint64_t key = 7;
    void *val = &key;
    ASSERT(!u64map_next(&m, &at, &key, &val));
    ASSERT(key == 7 && val == &key);
    ASSERT(u64map_del_at(&m, &at) == NULL);
    at = 1;
    ASSERT(u64map_del_at(&m, &at) == NULL && at == 1);
    /* emptied by deletions: slots, no entries */
    u64map_put(&m, 5, &key);
    ASSERT(u64map_del(&m, 5) == &key);
    at = 0;
    ASSERT(m.cap && !u64map_next(&m, &at, NULL, NULL));
    u64map_free(&m);
}

/* Walks over tables of many sizes, with and without earlier deletions. */
static void test_walk_sizes(void)
{
    for (size_t n = 0; n <= 200; n++)
        for (unsigned d = 0; d < 4; d++)
            walk_layout(n, n * 4 + d, 0, 0, dels[d]);
    for (size_t n = 500; n <= WALK_KEYS; n *= 2)
        walk_layout(n, n, 0, 0, 3);
}

/* Clusters that wrap past the last slot, the case a walk in slot order gets wrong: most
 * keys aimed at the last few slots, so the run from there goes on from slot 0, mixed with
 * entries whose home is there; at each table size, from its fewest entries to full, before
 * and after deletions. */
static void test_walk_wrapped(void)
{
    size_t layouts = 0, with_wrap = 0;
    for (size_t cap = 16; cap <= 1024; cap *= 2) {
        size_t most = cap / 4 * 3, fewest = cap == 16 ? 1 : cap / 8 * 3 + 1;
        for (uint64_t seed = 1; seed <= 60; seed++) {
            size_t n = fewest + (size_t)(seed * 7919 % (most - fewest + 1));
            unsigned del = dels[seed % 4];
            with_wrap += walk_layout(n, seed, cap, cap / 16 + 1, del) > 0;
            layouts++;
            /* every home allowed, in a full table */
            walk_layout(most, seed, cap, 0, del);
        }
    }
    ASSERT(with_wrap * 10 > layouts * 9);
}

int main(void)
{
    static int present_k[KEYS];
    static int vals[KEYS];
    struct u64map m;
    u64map_init(&m);
    ASSERT(u64map_get(&m, 5) == NULL);
    ASSERT(u64map_del(&m, 5) == NULL);
    uint64_t rng = 12345;
    for (int step = 0; step < 200000; step++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        int k = (int)((rng >> 33) % KEYS);
        uint64_t key = (uint64_t)k * 2654435761u + 1; /* non-zero, spread */
        int op = (int)((rng >> 20) % 3);
        if (op == 0) {
            u64map_put(&m, key, &vals[k]);
            present_k[k] = 1;
        } else if (op == 1) {
            void *v = u64map_del(&m, key);
            ASSERT(v == (present_k[k] ? &vals[k] : NULL));
            present_k[k] = 0;
        } else {
            ASSERT(u64map_get(&m, key) == (present_k[k] ? &vals[k] : NULL));
        }
    }
    size_t n = 0;
    for (int k = 0; k < KEYS; k++) {
        n += present_k[k];
        ASSERT(u64map_get(&m, (uint64_t)k * 2654435761u + 1) == (present_k[k] ? &vals[k] : NULL));
    }
    ASSERT_EQ(m.count, n);
    u64map_free(&m);

    test_walk_empty();
    test_walk_sizes();
    test_walk_wrapped();
    return 0;
}
