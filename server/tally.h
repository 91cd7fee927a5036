/* A design's tally (SPEC §2): counts that depend on the contest's scale, and their
 * JSON form. Loop thread (values, no shared state). */
#ifndef CC_TALLY_H
#define CC_TALLY_H

#include <jansson.h>
#include <stdint.h>

/* SPEC §2 scales. */
enum scale { SCALE_HEART = 0, SCALE_STARS5 = 1, SCALE_UPDOWN = 2 };

struct tally {
    uint32_t votes;    /* voters */
    uint32_t supports; /* hearts, ups, or votes of 4–5 stars */
    uint32_t stars[5]; /* stars5: counts of 1★ … 5★ */
    uint64_t sum;      /* stars5: sum of stars */
    uint32_t up, down; /* updown */
    uint32_t hearts;   /* heart */
};

const char *scale_name(enum scale s);
/* The scale named name; -1 if none. */
int scale_parse(const char *name);
/* The tally as SPEC §2's object for scale s (new reference). */
json_t *tally_json(const struct tally *t, enum scale s);

#endif
