/* A clock for the modules below the ops (catalog, creators, ...), so they read the
 * time without reaching the server: the server's (wall clock, or the test clock under
 * --test-clock), or a test's own. */
#ifndef CC_CLOCK_H
#define CC_CLOCK_H

#include <stdint.h>

struct clock {
    int64_t (*now)(void *user); /* Unix seconds */
    void *user;
};

/* The clock's reading in Unix seconds. */
static inline int64_t clock_now(const struct clock *c) { return c->now(c->user); }

#endif
