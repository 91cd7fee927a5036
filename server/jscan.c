/* A scanner for a few fields of a stored record. See jscan.h. */
#include "jscan.h"

#include <stdlib.h>
#include <string.h>

static void skip_ws(struct jscan *sc)
{
    while (sc->p < sc->end && (*sc->p == ' ' || *sc->p == '\n' || *sc->p == '\t' ||
                               *sc->p == '\r'))
        sc->p++;
}

int jscan_char(struct jscan *sc, char c)
{
    skip_ws(sc);
    if (sc->p < sc->end && *sc->p == c) {
        sc->p++;
        return 1;
    }
    return 0;
}

int jscan_plain_string(struct jscan *sc, const char **s, size_t *n)
{
    if (!jscan_char(sc, '"'))
        return 0;
    const char *b = sc->p, *q = memchr(b, '"', (size_t)(sc->end - b));
    if (!q || memchr(b, '\\', (size_t)(q - b)))
        return 0;
    *s = b;
    *n = (size_t)(q - b);
    sc->p = q + 1;
    return 1;
}

int jscan_int(struct jscan *sc, int64_t *v)
{
    skip_ws(sc);
    char num[24];
    const char *b = sc->p;
    while (sc->p < sc->end && (*sc->p == '-' || (*sc->p >= '0' && *sc->p <= '9')))
        sc->p++;
    if (sc->p < sc->end && (*sc->p == '.' || *sc->p == 'e' || *sc->p == 'E'))
        return 0; /* a real: jansson reads it as no integer */
    if (!jscan_copy(num, sizeof num, b, (size_t)(sc->p - b)) || !num[0])
        return 0;
    char *e;
    *v = strtoll(num, &e, 10);
    return *e == '\0';
}

/* The quote that ends a string whose bytes start at p (one not escaped: after an even
 * run of backslashes), or NULL. memchr: most of a record's bytes are in strings. */
static const char *string_end(const char *p, const char *end)
{
    for (const char *from = p;;) {
        const char *q = memchr(from, '"', (size_t)(end - from));
        if (!q)
            return NULL;
        size_t bs = 0;
        while (q - bs > p && q[-1 - (ptrdiff_t)bs] == '\\')
            bs++;
        if (bs % 2 == 0)
            return q;
        from = q + 1;
    }
}

int jscan_skip(struct jscan *sc)
{
    skip_ws(sc);
    int depth = 0;
    do {
        if (sc->p >= sc->end)
            return 0;
        char c = *sc->p;
        if (c == '"') {
            const char *q = string_end(sc->p + 1, sc->end);
            if (!q)
                return 0;
            sc->p = q + 1;
        } else if (c == '[' || c == '{') {
            depth++;
            sc->p++;
        } else if (c == ']' || c == '}') {
            if (--depth < 0)
                return 0;
            sc->p++;
        } else if (depth == 0) { /* number, true, false, null */
            while (sc->p < sc->end && *sc->p != ',' && *sc->p != '}' && *sc->p != ']')
                sc->p++;
        } else {
            sc->p++;
        }
        skip_ws(sc);
    } while (depth > 0);
    return 1;
}

int jscan_copy(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        return 0;
    memcpy(dst, s, n);
    dst[n] = 0;
    return 1;
}

int jscan_members(const char *data, size_t len,
                  int (*field)(struct jscan *sc, const char *k, size_t kn, void *user),
                  void *user)
{
    struct jscan sc = {data, data + len};
    if (!jscan_char(&sc, '{'))
        return 0;
    if (jscan_char(&sc, '}'))
        return 1;
    do {
        const char *k;
        size_t kn;
        if (!jscan_plain_string(&sc, &k, &kn) || !jscan_char(&sc, ':'))
            return 0;
        skip_ws(&sc);
        if (!field(&sc, k, kn, user))
            return 0;
    } while (jscan_char(&sc, ','));
    return jscan_char(&sc, '}');
}
