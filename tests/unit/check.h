/* A tiny assertion header for unit tests: each failing ASSERT prints where and why
 * and exits 1, so ctest reports the test as failed. */
#ifndef CC_CHECK_H
#define CC_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ASSERT(c)                                                                       \
    do {                                                                                \
        if (!(c)) {                                                                     \
            fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #c);   \
            exit(1);                                                                    \
        }                                                                               \
    } while (0)

#define ASSERT_EQ(a, b)                                                                 \
    do {                                                                                \
        long long a_ = (long long)(a), b_ = (long long)(b);                             \
        if (a_ != b_) {                                                                 \
            fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__,         \
                    __LINE__, #a, #b, a_, b_);                                          \
            exit(1);                                                                    \
        }                                                                               \
    } while (0)

#define ASSERT_STREQ(a, b)                                                              \
    do {                                                                                \
        const char *a_ = (a), *b_ = (b);                                                \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                        \
            fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__,     \
                    __LINE__, #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");          \
            exit(1);                                                                    \
        }                                                                               \
    } while (0)

/* A deterministic xorshift64 step: the random choices of a test, the same every run
 * (*state: any non-zero seed). */
static inline uint64_t check_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

/* Removes a test's temporary directory (made with mkdtemp) and everything in it. */
#define CHECK_RMDIR(dir)                                                                \
    do {                                                                                \
        char check_cmd_[4200];                                                          \
        snprintf(check_cmd_, sizeof check_cmd_, "rm -rf '%s'", (dir));                  \
        ASSERT_EQ(system(check_cmd_), 0);                                               \
    } while (0)

#endif
