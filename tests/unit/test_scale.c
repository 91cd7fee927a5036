/* The voting scales (scale.h, server/scales/): valid values, supports, counters, the
 * tally and its two JSON forms (text and jansson agree byte for byte), and the inputs
 * of `top` and `hot`, for every scale in the registry. A new scale adds its block. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "scale.h"
#include "score.h"

#define NEAR(a, b) ASSERT(fabs((a) - (b)) < 1e-9)

/* Counts votes (0-terminated) into counters c the way the catalog does. */
static void count(const struct scale *s, uint32_t *c, const int *votes)
{
    memset(c, 0, SCALE_COUNTERS * sizeof *c);
    for (; *votes; votes++) {
        ASSERT(s->valid(*votes));
        unsigned k = s->counter(*votes);
        ASSERT(k < SCALE_COUNTERS);
        c[k]++;
    }
}

/* The tally of c as text (tally_text) and through jansson (tally_json): the same. */
static void check_json(const struct scale *s, const uint32_t *c, const char *want)
{
    struct tally t;
    s->tally(c, &t);
    struct ccbuf b;
    ccbuf_init(&b);
    tally_text(&t, s, &b);
    ccbuf_append(&b, "", 1);
    ASSERT_STREQ((const char *)b.data, want);
    json_t *o = tally_json(&t, s);
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    ASSERT_STREQ(text, want);
    free(text);
    json_decref(o);
    ccbuf_free(&b);
}

static void test_registry(void)
{
    size_t n = 0;
    for (const struct scale *const *s = scale_all(); *s; s++, n++) {
        ASSERT(scale_find((*s)->name) == *s);
        ASSERT((*s)->values && (*s)->valid && (*s)->supports && (*s)->counter &&
               (*s)->tally && (*s)->tally_text && (*s)->tally_fields && (*s)->score_top &&
               (*s)->hot_points);
        ASSERT(!(*s)->valid(0) && !(*s)->supports(0)); /* 0 is "no vote" */
    }
    ASSERT_EQ(n, 3);
    ASSERT(!scale_find("stars10"));
    ASSERT_STREQ(scale_default()->name, "heart");
}

static void test_heart(void)
{
    const struct scale *s = scale_find("heart");
    ASSERT(s->valid(1) && !s->valid(-1) && !s->valid(2));
    ASSERT(s->supports(1));
    ASSERT(!s->uses_mean);
    uint32_t c[SCALE_COUNTERS];
    count(s, c, (const int[]){1, 1, 1, 0});
    check_json(s, c, "{\"votes\":3,\"supports\":3,\"hearts\":3}");
    NEAR(s->score_top(c, 0), 3);
    NEAR(s->hot_points(c), 3);
}

static void test_updown(void)
{
    const struct scale *s = scale_find("updown");
    ASSERT(s->valid(1) && s->valid(-1) && !s->valid(2) && !s->valid(-2));
    ASSERT(s->supports(1) && !s->supports(-1));
    ASSERT(!s->uses_mean);
    uint32_t c[SCALE_COUNTERS];
    count(s, c, (const int[]){1, 1, -1, 1, 0});
    check_json(s, c, "{\"votes\":4,\"supports\":3,\"up\":3,\"down\":1}");
    NEAR(s->score_top(c, 0), score_wilson(3, 1));
    NEAR(s->hot_points(c), 2);
    count(s, c, (const int[]){-1, -1, 1, 0});
    NEAR(s->hot_points(c), 0); /* never below 0 */
}

static void test_stars5(void)
{
    const struct scale *s = scale_find("stars5");
    for (int v = -1; v <= 6; v++)
        ASSERT(s->valid(v) == (v >= 1 && v <= 5));
    ASSERT(!s->supports(3) && s->supports(4) && s->supports(5));
    ASSERT(s->uses_mean);
    uint32_t c[SCALE_COUNTERS];
    count(s, c, (const int[]){5, 4, 1, 5, 3, 0});
    check_json(s, c, "{\"votes\":5,\"supports\":3,\"stars\":[1,0,1,1,2],\"sum\":18}");
    NEAR(s->score_top(c, 3.5), score_bayes(18, 5, 3.5));
    NEAR(s->hot_points(c), 3);
}

int main(void)
{
    test_registry();
    test_heart();
    test_updown();
    test_stars5();
    return 0;
}
