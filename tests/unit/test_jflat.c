/* jflat.c, the requests' fast JSON path: whatever it reads, jansson reads the same
 * (json_equal), and its view (jflat_get: what req.c reads a request's arguments from)
 * shows each member as jansson's tree does (jargs_member), strings NUL-terminated in
 * place; what it leaves is nesting, escapes, UTF-8, reals, long integers, more than
 * JFLAT_FIELDS members and bad JSON, which jansson then reads or refuses, and the text
 * it leaves is untouched. Named cases at each edge, then 300,000 random mutations of
 * requests held to that promise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "jargs.h"
#include "jflat.h"

static json_t *jansson(const char *s, size_t n)
{
    return json_loadb(s, n, JSON_REJECT_DUPLICATES, NULL);
}

/* jflat_scan of a copy of s[0..n): when it reads it, each member of the view is
 * jansson's; when not, the copy is untouched. Returns whether it read it. */
static int view(const char *s, size_t n)
{
    char *copy = malloc(n + 1);
    memcpy(copy, s, n);
    copy[n] = 'X';
    struct jflat v;
    int read = !jflat_scan(copy, n, &v);
    ASSERT_EQ(copy[n], 'X'); /* nothing past the text */
    if (!read) {
        ASSERT(!memcmp(copy, s, n));
        free(copy);
        return 0;
    }
    json_t *b = jansson(s, n), *t = jflat_tree(&v);
    if (!b || !t || !json_equal(t, b))
        fprintf(stderr, "differs from jansson: %.*s\n", (int)n, s);
    ASSERT(b && t && json_equal(t, b));
    ASSERT_EQ(v.n, json_object_size(b));
    for (unsigned k = 0; k < v.n; k++) {
        const struct jflat_field *f = &v.f[k];
        ASSERT(f->name >= copy && f->name + f->nlen < copy + n);
        ASSERT_EQ(f->name[f->nlen], '\0');
        ASSERT_EQ(strlen(f->name), f->nlen);
        ASSERT(jflat_get(&v, f->name) == f);
        struct jflat_field g;
        ASSERT(jargs_member(b, f->name, &g));
        ASSERT_EQ(f->type, g.type);
        if (f->type == JFLAT_STRING) {
            ASSERT(f->s > copy && f->s + f->slen < copy + n);
            ASSERT_EQ(f->slen, g.slen);
            ASSERT(!memcmp(f->s, g.s, f->slen));
            ASSERT_EQ(f->s[f->slen], '\0');
        } else if (f->type == JFLAT_INT) {
            ASSERT_EQ(f->i, g.i);
        }
    }
    ASSERT(!jflat_get(&v, "no such member"));
    json_decref(t);
    json_decref(b);
    free(copy);
    return 1;
}

/* The fast path reads s, to what jansson reads. */
static void fast(const char *s)
{
    if (!view(s, strlen(s)))
        fprintf(stderr, "not read by the fast path: %s\n", s);
    ASSERT(view(s, strlen(s)));
}

/* Left to jansson; jansson reads it when good (1) or refuses it (0). */
static void left(const char *s, size_t n, int good)
{
    ASSERT(!view(s, n));
    json_t *b = jansson(s, n);
    if (!b != !good)
        fprintf(stderr, "jansson on %.*s: %p\n", (int)n, s, (void *)b);
    ASSERT_EQ(!!b, good);
    json_decref(b);
}

#define LEFT(s, good) left(s, sizeof s - 1, good)

int main(void)
{
    /* what clients send */
    fast("{\"id\":12345,\"op\":\"vote.cast\",\"design\":\"1234567\",\"value\":1}");
    fast("{\"id\":7,\"op\":\"hello\"}");
    fast("{\"id\":9,\"op\":\"gallery.page\",\"sort\":\"top\",\"offset\":4800,\"limit\":24}");
    fast("{\"id\":-1,\"op\":\"vote.clear\",\"design\":\"5\"}");
    /* every kind of value and space it reads */
    fast("{}");
    fast(" \t\r\n{ \t\r\n} \t\r\n");
    fast("{ \"a\" : true , \"b\" : false , \"c\" : null , \"d\" : \"\" , \"\" : 0 }");
    fast("{\"n\":-0,\"m\":0,\"x\":-999999999999999999,\"y\":999999999999999999}");
    fast("{\"del\":\"\x7f~ !#$%&'()*+,-./:;<=>?@[]^_`{|}\"}");
    fast("{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9,\"j\":10}");
    /* JFLAT_FIELDS members, the most it reads; one more is jansson's */
    fast("{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9,"
         "\"j\":10,\"k\":\"\",\"l\":null,\"m\":true,\"n\":false,\"o\":\"o\",\"p\":-16}");
    LEFT("{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9,"
         "\"j\":10,\"k\":\"\",\"l\":null,\"m\":true,\"n\":false,\"o\":\"o\",\"p\":-16,\"q\":17}",
         1);

    /* left to jansson, which reads them */
    LEFT("{\"id\":1234567890123456789}", 1);      /* 19 digits */
    LEFT("{\"id\":9223372036854775807}", 1);      /* int64's largest */
    LEFT("{\"id\":-9223372036854775808}", 1);
    LEFT("{\"id\":1.5}", 1);
    LEFT("{\"id\":1e3}", 1);
    LEFT("{\"id\":1E3}", 1);
    LEFT("{\"a\":{\"b\":1}}", 1);
    LEFT("{\"a\":[1,2]}", 1);
    LEFT("{\"a\":\"x\\\"y\"}", 1);                /* an escape */
    LEFT("{\"a\":\"\\u00e9\"}", 1);
    LEFT("{\"a\\n\":1}", 1);                      /* an escape in a name */
    LEFT("{\"a\":\"\xc3\xa9\"}", 1);              /* UTF-8 */
    LEFT("{\"\xc3\xa9\":1}", 1);
    LEFT("[1,2]", 1);                             /* not an object */
    /* left to jansson, which refuses them */
    LEFT("{\"a\":1,\"a\":2}", 0);                 /* a repeated name */
    LEFT("{\"a\":1,}", 0);
    LEFT("{,\"a\":1}", 0);
    LEFT("{\"a\" 1}", 0);
    LEFT("{\"a\":01}", 0);                        /* a leading zero */
    LEFT("{\"id\":9223372036854775808}", 0);      /* past int64 */
    LEFT("{\"id\":99999977777777777777777777777999999999999}", 0);
    LEFT("{\"a\":-}", 0);
    LEFT("{\"a\":1x}", 0);
    LEFT("{\"a\":1 2}", 0);
    LEFT("{\"a\":truex}", 0);
    LEFT("{\"a\":tru}", 0);
    LEFT("{\"a\":nul", 0);
    LEFT("{\"a\":\"b}", 0);                       /* unterminated */
    LEFT("{\"a\":\"\x01\"}", 0);                  /* a control byte in a string */
    LEFT("{\"a\":\"\xff\"}", 0);                  /* not UTF-8 */
    LEFT("{\"a\":1} x", 0);                       /* after the object */
    LEFT("{\"a\":1}}", 0);
    LEFT("{\"a\":1", 0);
    LEFT("{", 0);
    LEFT("", 0);
    LEFT("   ", 0);
    LEFT("{\"a\":1}\0", 0);                       /* a NUL after it */
    LEFT("{\"a\":\"b\0c\"}", 0);                  /* a NUL inside a string */
    LEFT("{'a':1}", 0);
    LEFT("{a:1}", 0);
    LEFT("\xef\xbb\xbf{}", 0);                    /* a byte-order mark */

    /* random mutations of requests: bytes replaced, inserted, dropped */
    static const char *seeds[] = {
        "{\"id\":12345,\"op\":\"vote.cast\",\"design\":\"1234567\",\"value\":-1}",
        "{ \"id\" : 0 , \"op\" : \"hello\" , \"flag\" : true, \"x\": null }",
        "{\"id\":99,\"op\":\"gallery.page\",\"offset\":100000000000000000,\"limit\":24}",
    };
    static const char alphabet[] = "{}[]\":,-0123456789.eE tfnrule\\\t\n\r\x7f\x80\xc3\xa9\x01";
    srand(16);
    int read = 0, tries = 300000;
    for (int i = 0; i < tries; i++) {
        char buf[160];
        const char *s = seeds[i % 3];
        size_t n = strlen(s);
        memcpy(buf, s, n);
        for (int m = 1 + rand() % 3; m > 0; m--) {
            size_t at = (size_t)rand() % (n + 1);
            char c = alphabet[rand() % (int)(sizeof alphabet - 1)];
            switch (rand() % 3) {
            case 0:
                if (at < n)
                    buf[at] = c;
                break;
            case 1:
                if (n < sizeof buf - 1) {
                    memmove(buf + at + 1, buf + at, n - at);
                    buf[at] = c;
                    n++;
                }
                break;
            default:
                if (at < n) {
                    memmove(buf + at, buf + at + 1, n - at - 1);
                    n--;
                }
            }
        }
        read += view(buf, n);
    }
    /* the mutations keep many texts good: the fast path must have read some */
    ASSERT(read > tries / 20);
    printf("test_jflat: ok (%d of %d mutations read by the fast path, each as jansson)\n",
           read, tries);
    return 0;
}
