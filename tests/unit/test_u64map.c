/* u64map against a plain array model: random puts, gets and deletes. */
#include "check.h"
#include "u64map.h"

#define KEYS 5000

int main(void)
{
    static int present[KEYS];
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
            present[k] = 1;
        } else if (op == 1) {
            void *v = u64map_del(&m, key);
            ASSERT(v == (present[k] ? &vals[k] : NULL));
            present[k] = 0;
        } else {
            ASSERT(u64map_get(&m, key) == (present[k] ? &vals[k] : NULL));
        }
    }
    size_t n = 0;
    for (int k = 0; k < KEYS; k++) {
        n += present[k];
        ASSERT(u64map_get(&m, (uint64_t)k * 2654435761u + 1) == (present[k] ? &vals[k] : NULL));
    }
    ASSERT_EQ(m.count, n);
    u64map_free(&m);
    return 0;
}
