/* Voting scales (SPEC §2): the one registry of how votes are counted and ranked. Each
 * scale is a `struct scale` in its own file server/scales/<name>.c, listed once in the
 * table in scale.c; it brings its valid values, which votes are supports, its counters,
 * its tally and the tally's JSON, and its `top` and `hot` inputs (SPEC §5). A design
 * keeps SCALE_COUNTERS counters (struct dmem.c); a scale says what they mean.
 * Everything here is immutable and re-entrant: any thread may call it (the writer's
 * vote apply asks `supports`). */
#ifndef CC_SCALE_H
#define CC_SCALE_H

#include <jansson.h>
#include <stdint.h>

#include "util.h"

/* Counters per design (struct dmem.c): stars5 needs one per star. */
#define SCALE_COUNTERS 5

/* A design's tally (SPEC §2): the fields that apply to its scale are set. */
struct tally {
    uint32_t votes;    /* voters */
    uint32_t supports; /* hearts, ups, or votes of 4–5 stars */
    uint32_t stars[5]; /* stars5: counts of 1★ … 5★ */
    uint64_t sum;      /* stars5: sum of stars */
    uint32_t up, down; /* updown */
    uint32_t hearts;   /* heart */
};

struct scale {
    const char *name;   /* wire name: "heart", "updown", "stars5" */
    const char *values; /* the valid values, for bad_args: "must be <values> on the scale" */
    /* Whether value (≠ 0) is a vote on this scale. */
    int (*valid)(int value);
    /* Whether a vote of value (0 = none) is a support (SPEC §2: thresholds, points). */
    int (*supports)(int value);
    /* The counter (index < SCALE_COUNTERS) a valid vote of value adds to. */
    unsigned (*counter)(int value);
    /* 1 when `top` depends on the contest's mean vote value (stars5's Bayesian
     * average): the catalog then keeps the sum and count of values per contest. */
    int uses_mean;
    /* The tally of counters c. */
    void (*tally)(const uint32_t *c, struct tally *t);
    /* Appends the scale's own fields of t as JSON members, each after a comma
     * (`,"hearts":3`): the vote reply's and the page writer's hot path, no jansson. */
    void (*tally_text)(const struct tally *t, struct ccbuf *out);
    /* Sets the scale's own fields of t on o (borrowed, changed in place). */
    void (*tally_fields)(const struct tally *t, json_t *o);
    /* The `top` score of counters c with contest mean `mean` (uses_mean scales only). */
    double (*score_top)(const uint32_t *c, double mean);
    /* The `hot` score's points p ≥ 0 (supports minus downs). */
    double (*hot_points)(const uint32_t *c);
};

/* The scale with this wire name, or NULL. */
const struct scale *scale_find(const char *name);
/* All scales, NULL-terminated: for (const struct scale *const *s = scale_all(); *s; s++). */
const struct scale *const *scale_all(void);
/* The scale of contests that do not name one (and of the built-in `open`): heart. */
const struct scale *scale_default(void);

/* The tally as SPEC §2's object for scale s (new reference). */
json_t *tally_json(const struct tally *t, const struct scale *s);
/* Appends t as the same JSON object as text, without jansson (hot paths). */
void tally_text(const struct tally *t, const struct scale *s, struct ccbuf *out);

#endif
