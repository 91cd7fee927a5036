/* The updown scale (SPEC §2, §5): a vote is 1 or -1, ups are supports; `top` is the
 * Wilson lower bound of the ups' share, `hot` counts ups minus downs. */
#include "scale.h"
#include "score.h"

static int valid(int v) { return v == 1 || v == -1; }

static int supports(int v) { return v == 1; }

/* c[0]: ups, c[1]: downs. */
static unsigned counter(int v) { return v > 0 ? 0 : 1; }

static void tally(const uint32_t *c, struct tally *t)
{
    *t = (struct tally){0};
    t->up = c[0];
    t->down = c[1];
    t->votes = c[0] + c[1];
    t->supports = c[0];
}

static void fields_text(const struct tally *t, struct ccbuf *out)
{
    ccbuf_append(out, ",\"up\":", 6);
    ccbuf_append_u64(out, t->up);
    ccbuf_append(out, ",\"down\":", 8);
    ccbuf_append_u64(out, t->down);
}

static void fields_json(const struct tally *t, json_t *o)
{
    json_object_set_new(o, "up", json_integer(t->up));
    json_object_set_new(o, "down", json_integer(t->down));
}

static double score_top(const uint32_t *c, double mean)
{
    (void)mean;
    return score_wilson(c[0], c[1]);
}

static double hot_points(const uint32_t *c) { return c[0] > c[1] ? (double)(c[0] - c[1]) : 0; }

const struct scale scale_updown = {
    .name = "updown",
    .values = "1 or -1",
    .valid = valid,
    .supports = supports,
    .counter = counter,
    .tally = tally,
    .tally_text = fields_text,
    .tally_fields = fields_json,
    .score_top = score_top,
    .hot_points = hot_points,
};
