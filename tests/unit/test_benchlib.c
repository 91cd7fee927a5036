/* The benchmarks' reply scanner (tools/bench/benchlib.c): loadgen and livebench count
 * successes and errors with it, so a wrong answer would make a benchmark lie. Strings
 * are skipped quote to quote: escaped quotes and escaped backslashes before a quote
 * must be told apart; nested values and top-level keys found anywhere in the order
 * they come; malformed text refused. */
#include <string.h>

#include "benchlib.h"
#include "check.h"

static int scan(const char *s, struct reply *r)
{
    return scan_reply(s, strlen(s), r);
}

int main(void)
{
    struct reply r;
    ASSERT_EQ(scan("{\"id\":17,\"ok\":true,\"result\":{\"tally\":{\"votes\":1}}}", &r), 0);
    ASSERT(r.has_id && r.id == 17 && r.ok == 1 && !r.is_event);

    /* an escaped quote inside a string does not end it; "ok" inside it is not a key */
    ASSERT_EQ(scan("{\"result\":{\"title\":\"say \\\"ok\\\":false, \\\"id\\\":9\"},\"id\":3,"
                   "\"ok\":true}", &r), 0);
    ASSERT(r.id == 3 && r.ok == 1);
    /* a string ending in an escaped backslash ends at the next quote */
    ASSERT_EQ(scan("{\"pad\":\"x\\\\\",\"id\":4}", &r), 0);
    ASSERT(r.has_id && r.id == 4 && r.ok == -1);
    /* an escaped backslash, then an escaped quote: the string goes on */
    ASSERT_EQ(scan("{\"pad\":\"x\\\\\\\"id\\\":5\",\"id\":6}", &r), 0);
    ASSERT(r.id == 6);

    /* errors: the code, whatever comes first */
    ASSERT_EQ(scan("{\"error\":{\"detail\":{\"code\":\"no\"},\"code\":\"busy\"},\"ok\":false,"
                   "\"id\":8}", &r), 0);
    ASSERT(r.id == 8 && r.ok == 0);
    ASSERT_STREQ(r.code, "busy");

    /* events have "ev" and no id */
    ASSERT_EQ(scan("{\"ev\":\"gallery.update\",\"sub\":\"s1\",\"items\":[{\"id\":\"1\"}]}", &r), 0);
    ASSERT(r.is_event && !r.has_id);

    /* malformed: unterminated string, not an object, truncated object */
    ASSERT(scan("{\"id\":1,\"pad\":\"abc", &r) != 0);
    ASSERT(scan("[1,2]", &r) != 0);
    ASSERT(scan("{\"id\":1,\"result\":{\"a\":[1,2}", &r) != 0);
    return 0;
}
