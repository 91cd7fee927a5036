/* The audit log's independent check (SPEC §6) as `cocreate verify` does it, apart from
 * how the log and the results are fetched (verify.c): the log's bytes fed in any pieces
 * (verify_feed) are split into lines, each checked well-formed, canonical, in sequence,
 * chained and hashed, and replayed into per-design tallies and statuses. No I/O: the
 * fuzz target `auditlog` feeds it directly. */
#ifndef CC_AUDITCHECK_H
#define CC_AUDITCHECK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "u64map.h"
#include "util.h"

enum vscale { V_HEART, V_STARS5, V_UPDOWN };

/* What the log says about one design. */
struct vdesign {
    uint32_t votes, supports, stars[5], up, down, hearts;
    uint64_t sum;
    int hidden;
    char status[24]; /* last status move's `to`, "" if none */
    int seen_in_results;
};

struct verify {
    const char *contest;
    enum vscale scale;
    uint64_t log_length; /* from the results */
    char log_head[65];
    /* the chain so far */
    uint64_t seq;
    uint8_t prev[32];
    uint8_t head_at_length[32];
    struct u64map designs; /* design id → struct vdesign */
    json_t *voters;        /* "design/voter" → current value */
    struct ccbuf line;     /* a partial line */
    char why[1024];        /* the first mismatch */
};

/* Records the first mismatch (printf-style) in v->why; returns -1. */
int verify_fail(struct verify *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The design with this id as the log has it so far (made on first use). */
struct vdesign *verify_design(struct verify *v, uint64_t id);
/* Whether the log withdrew d. */
int verify_withdrawn(const struct vdesign *d);
/* A design id from its decimal string, 0 when it is none. */
uint64_t verify_parse_id(const char *s);
/* d's tally as contest.results writes it on scale s (new reference). */
json_t *verify_tally(enum vscale s, const struct vdesign *d);
/* The string at key k of e, or NULL. */
const char *verify_str(json_t *e, const char *k);
/* The next len bytes of the log (user: the struct verify): 0, or -1 once a mismatch is
 * in v->why. */
int verify_feed(void *user, const uint8_t *data, size_t len);

#endif
