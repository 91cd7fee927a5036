/* The stars5 scale (SPEC §2, §5): a vote is 1 to 5 stars, 4 and 5 are supports; `top` is
 * the Bayesian average against the contest's mean, `hot` counts the supports. */
#include "scale.h"
#include "score.h"

static int valid(int v) { return v >= 1 && v <= 5; }

static int supports(int v) { return v >= 4; }

/* c[i]: votes of i + 1 stars. */
static unsigned counter(int v) { return (unsigned)(v - 1); }

static void tally(const uint32_t *c, struct tally *t)
{
    *t = (struct tally){0};
    for (int i = 0; i < 5; i++) {
        t->stars[i] = c[i];
        t->votes += c[i];
        t->sum += (uint64_t)(i + 1) * c[i];
    }
    t->supports = c[3] + c[4];
}

static void fields_text(const struct tally *t, struct ccbuf *out)
{
    ccbuf_append(out, ",\"stars\":[", 10);
    for (int i = 0; i < 5; i++) {
        if (i)
            ccbuf_append(out, ",", 1);
        ccbuf_append_u64(out, t->stars[i]);
    }
    ccbuf_append(out, "],\"sum\":", 8);
    ccbuf_append_u64(out, t->sum);
}

static void fields_json(const struct tally *t, json_t *o)
{
    json_t *stars = json_array();
    for (int i = 0; i < 5; i++)
        json_array_append_new(stars, json_integer(t->stars[i]));
    json_object_set_new(o, "stars", stars);
    json_object_set_new(o, "sum", json_integer((json_int_t)t->sum));
}

static double score_top(const uint32_t *c, double mean)
{
    double n = 0, sum = 0;
    for (int i = 0; i < 5; i++) {
        n += c[i];
        sum += (double)(i + 1) * c[i];
    }
    return score_bayes(sum, n, mean);
}

static double hot_points(const uint32_t *c) { return (double)c[3] + c[4]; }

const struct scale scale_stars5 = {
    .name = "stars5",
    .values = "1 to 5",
    .valid = valid,
    .supports = supports,
    .counter = counter,
    .uses_mean = 1,
    .tally = tally,
    .tally_text = fields_text,
    .tally_fields = fields_json,
    .score_top = score_top,
    .hot_points = hot_points,
};
