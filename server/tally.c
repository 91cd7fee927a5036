/* Implementation of tally.h. */
#include "tally.h"

#include <string.h>

static const char *const names[] = {"heart", "stars5", "updown"};

const char *scale_name(enum scale s)
{
    return names[s];
}

int scale_parse(const char *name)
{
    for (int i = 0; i < 3; i++)
        if (!strcmp(name, names[i]))
            return i;
    return -1;
}

json_t *tally_json(const struct tally *t, enum scale s)
{
    json_t *o = json_pack("{sIsI}", "votes", (json_int_t)t->votes, "supports",
                          (json_int_t)t->supports);
    switch (s) {
    case SCALE_STARS5: {
        json_t *stars = json_array();
        for (int i = 0; i < 5; i++)
            json_array_append_new(stars, json_integer(t->stars[i]));
        json_object_set_new(o, "stars", stars);
        json_object_set_new(o, "sum", json_integer((json_int_t)t->sum));
        break;
    }
    case SCALE_UPDOWN:
        json_object_set_new(o, "up", json_integer(t->up));
        json_object_set_new(o, "down", json_integer(t->down));
        break;
    case SCALE_HEART:
        json_object_set_new(o, "hearts", json_integer(t->hearts));
        break;
    }
    return o;
}
