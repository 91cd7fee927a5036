/* The heart scale (SPEC §2): a vote is 1, every vote a support; `top` is the hearts. */
#include "scale.h"

static int valid(int v) { return v == 1; }

static int supports(int v) { return v == 1; }

static unsigned counter(int v)
{
    (void)v;
    return 0;
}

/* c[0]: hearts. */
static void tally(const uint32_t *c, struct tally *t)
{
    *t = (struct tally){0};
    t->votes = t->supports = t->hearts = c[0];
}

static void fields_text(const struct tally *t, struct ccbuf *out)
{
    ccbuf_append(out, ",\"hearts\":", 10);
    ccbuf_append_u64(out, t->hearts);
}

static void fields_json(const struct tally *t, json_t *o)
{
    json_object_set_new(o, "hearts", json_integer(t->hearts));
}

static double score_top(const uint32_t *c, double mean)
{
    (void)mean;
    return c[0];
}

static double hot_points(const uint32_t *c) { return c[0]; }

const struct scale scale_heart = {
    .name = "heart",
    .values = "1",
    .valid = valid,
    .supports = supports,
    .counter = counter,
    .tally = tally,
    .tally_text = fields_text,
    .tally_fields = fields_json,
    .score_top = score_top,
    .hot_points = hot_points,
};
