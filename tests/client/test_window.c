/* libcocreate's kept live window (client/live.c, cl_window_apply) on hand-made
 * gallery.update events, docs/protocol.md "Galleries and live updates": deltas merged by
 * id, a new order with a design new to the window (whole), a full window after a resync
 * replacing every item (fields gone from the server's object gone here too), an update
 * without order leaving the order, the total. */
#include "check.h"
#include "client_int.h"

static json_t *ev(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, 0, &e);
    if (!v) {
        fprintf(stderr, "bad test JSON: %s: %s\n", e.text, text);
        exit(1);
    }
    return v;
}

/* The window's ids joined with commas. */
static const char *ids(json_t *w)
{
    static char buf[256];
    size_t i;
    json_t *d;
    buf[0] = '\0';
    json_array_foreach(w, i, d) {
        if (i)
            strcat(buf, ",");
        strcat(buf, json_string_value(json_object_get(d, "id")));
    }
    return buf;
}

static long long votes(json_t *w, size_t i)
{
    return json_integer_value(
        json_object_get(json_object_get(json_array_get(w, i), "tally"), "votes"));
}

int main(void)
{
    json_t *w = ev("[{\"id\":\"1\",\"title\":\"a\",\"tally\":{\"votes\":3},\"status\":\"submitted\"},"
                   "{\"id\":\"2\",\"title\":\"b\",\"tally\":{\"votes\":2},\"status\":\"submitted\"}]");
    long long total = 2;

    /* a delta: merged, the other fields kept, order unchanged */
    json_t *e = ev("{\"sub\":\"s1\",\"total\":2,\"items\":[{\"id\":\"2\",\"tally\":{\"votes\":5},"
                   "\"comments\":1,\"score\":5,\"status\":\"shortlisted\"}]}");
    cl_window_apply(&w, &total, e);
    json_decref(e);
    ASSERT_STREQ(ids(w), "1,2");
    ASSERT_EQ(votes(w, 1), 5);
    ASSERT_STREQ(json_string_value(json_object_get(json_array_get(w, 1), "title")), "b");
    ASSERT_STREQ(json_string_value(json_object_get(json_array_get(w, 1), "status")),
                 "shortlisted");

    /* a new order with a design new to the window (whole) and one left out */
    e = ev("{\"sub\":\"s1\",\"total\":3,\"order\":[\"3\",\"2\"],\"items\":["
           "{\"id\":\"3\",\"title\":\"c\",\"tally\":{\"votes\":9},\"status\":\"submitted\"}]}");
    cl_window_apply(&w, &total, e);
    json_decref(e);
    ASSERT_STREQ(ids(w), "3,2");
    ASSERT_EQ(total, 3);
    ASSERT_EQ(votes(w, 0), 9);
    ASSERT_EQ(votes(w, 1), 5); /* kept from before */

    /* the window is its own: changing the event after does not change it */
    e = ev("{\"sub\":\"s1\",\"total\":3,\"order\":[\"2\",\"4\"],\"items\":["
           "{\"id\":\"4\",\"title\":\"d\",\"tally\":{\"votes\":1}}]}");
    cl_window_apply(&w, &total, e);
    json_object_set_new(json_array_get(json_object_get(e, "items"), 0), "title",
                        json_string("changed"));
    json_decref(e);
    ASSERT_STREQ(ids(w), "2,4");
    ASSERT_STREQ(json_string_value(json_object_get(json_array_get(w, 1), "title")), "d");

    /* a full window (a resync after falling behind): every item whole replaces */
    e = ev("{\"sub\":\"s1\",\"total\":7,\"order\":[\"4\",\"5\",\"2\"],\"items\":["
           "{\"id\":\"4\",\"title\":\"d\",\"tally\":{\"votes\":6}},"
           "{\"id\":\"5\",\"title\":\"e\",\"tally\":{\"votes\":4}},"
           "{\"id\":\"2\",\"title\":\"b\",\"tally\":{\"votes\":3}}]}");
    cl_window_apply(&w, &total, e);
    json_decref(e);
    ASSERT_STREQ(ids(w), "4,5,2");
    ASSERT_EQ(total, 7);
    ASSERT_EQ(votes(w, 0), 6);
    ASSERT_EQ(votes(w, 2), 3);
    /* "2" had status and comments from a delta; the whole object it got has none */
    ASSERT(!json_object_get(json_array_get(w, 2), "status"));
    ASSERT(!json_object_get(json_array_get(w, 2), "comments"));

    /* an update of the total alone */
    e = ev("{\"sub\":\"s1\",\"total\":6,\"items\":[]}");
    cl_window_apply(&w, &total, e);
    json_decref(e);
    ASSERT_STREQ(ids(w), "4,5,2");
    ASSERT_EQ(total, 6);

    /* an order naming an id with no data (never sent by the server): kept as its id */
    e = ev("{\"sub\":\"s1\",\"total\":6,\"order\":[\"9\",\"4\"],\"items\":[]}");
    cl_window_apply(&w, &total, e);
    json_decref(e);
    ASSERT_STREQ(ids(w), "9,4");
    json_decref(w);
    printf("test_window: ok\n");
    return 0;
}
