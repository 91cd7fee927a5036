/* The registry of voting scales and the tally's JSON. See scale.h.
 * Adding a scale: write server/scales/<name>.c defining `const struct scale
 * scale_<name>`, list it in the table below, and give it a test (tests/unit/test_scale.c). */
#include "scale.h"

#include <string.h>

extern const struct scale scale_heart;
extern const struct scale scale_stars5;
extern const struct scale scale_updown;

static const struct scale *const scales[] = {
    &scale_heart,
    &scale_stars5,
    &scale_updown,
    NULL,
};

const struct scale *scale_find(const char *name)
{
    for (const struct scale *const *s = scales; *s; s++)
        if (!strcmp((*s)->name, name))
            return *s;
    return NULL;
}

const struct scale *const *scale_all(void) { return scales; }

const struct scale *scale_default(void) { return &scale_heart; }

json_t *tally_json(const struct tally *t, const struct scale *s)
{
    json_t *o = json_pack("{sIsI}", "votes", (json_int_t)t->votes, "supports",
                          (json_int_t)t->supports);
    s->tally_fields(t, o);
    return o;
}

void tally_text(const struct tally *t, const struct scale *s, struct ccbuf *out)
{
    ccbuf_append(out, "{\"votes\":", 9);
    ccbuf_append_u64(out, t->votes);
    ccbuf_append(out, ",\"supports\":", 12);
    ccbuf_append_u64(out, t->supports);
    s->tally_text(t, out);
    ccbuf_append(out, "}", 1);
}
