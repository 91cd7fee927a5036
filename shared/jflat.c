/* Implementation of jflat.h. RFC 8259's grammar, restricted: where a byte leaves what
 * this reads, it stops and hands the whole text to jansson. */
#include "jflat.h"

#include <stdint.h>
#include <string.h>

struct in {
    const char *p, *end;
};

static void skip_ws(struct in *in)
{
    while (in->p < in->end &&
           (*in->p == ' ' || *in->p == '\n' || *in->p == '\r' || *in->p == '\t'))
        in->p++;
}

/* A string without escapes or bytes past ASCII, its opening quote at in->p: sets
 * *s, *n to its contents and returns 0, or -1. */
static int plain_string(struct in *in, const char **s, size_t *n)
{
    if (in->p == in->end || *in->p != '"')
        return -1;
    const char *q = ++in->p;
    while (q < in->end && *q != '"') {
        unsigned char b = (unsigned char)*q;
        if (b < 0x20 || b >= 0x80 || b == '\\')
            return -1; /* a control byte (bad JSON), UTF-8 or an escape: jansson's */
        q++;
    }
    if (q == in->end)
        return -1;
    *s = in->p;
    *n = (size_t)(q - in->p);
    in->p = q + 1;
    return 0;
}

/* An integer of at most 18 digits (below 2^63, so no overflow). */
static json_t *integer(struct in *in)
{
    int neg = *in->p == '-';
    const char *d = in->p + neg, *q = d;
    int64_t v = 0;
    while (q < in->end && *q >= '0' && *q <= '9') {
        if (q - d < 18)
            v = v * 10 + (*q - '0');
        q++;
    }
    size_t digits = (size_t)(q - d);
    if (!digits || digits > 18 || (*d == '0' && digits > 1))
        return NULL; /* "-", a leading zero (bad JSON) or perhaps past int64 */
    if (q < in->end && (*q == '.' || *q == 'e' || *q == 'E'))
        return NULL; /* a real */
    in->p = q;
    return json_integer(neg ? -v : v);
}

static json_t *word(struct in *in, const char *w, size_t n, json_t *value)
{
    if ((size_t)(in->end - in->p) < n || memcmp(in->p, w, n))
        return NULL;
    in->p += n;
    return value;
}

static json_t *value(struct in *in)
{
    if (in->p == in->end)
        return NULL;
    switch (*in->p) {
    case '"': {
        const char *s;
        size_t n;
        return plain_string(in, &s, &n) ? NULL : json_stringn_nocheck(s, n);
    }
    case 't':
        return word(in, "true", 4, json_true());
    case 'f':
        return word(in, "false", 5, json_false());
    case 'n':
        return word(in, "null", 4, json_null());
    default:
        return *in->p == '-' || (*in->p >= '0' && *in->p <= '9') ? integer(in) : NULL;
    }
}

json_t *jflat_load(const char *buf, size_t len)
{
    struct in in = {buf, buf + len};
    skip_ws(&in);
    if (in.p == in.end || *in.p != '{')
        return NULL;
    in.p++;
    json_t *o = json_object();
    if (!o)
        return NULL;
    skip_ws(&in);
    if (in.p < in.end && *in.p == '}') {
        in.p++;
    } else {
        for (;;) {
            const char *k;
            size_t kn;
            skip_ws(&in);
            if (plain_string(&in, &k, &kn))
                goto fallback;
            skip_ws(&in);
            if (in.p == in.end || *in.p != ':')
                goto fallback;
            in.p++;
            skip_ws(&in);
            json_t *v = value(&in);
            if (!v)
                goto fallback;
            /* a repeated name is jansson's to refuse (JSON_REJECT_DUPLICATES) */
            if (json_object_getn(o, k, kn) || json_object_setn_new_nocheck(o, k, kn, v)) {
                json_decref(v);
                goto fallback;
            }
            skip_ws(&in);
            if (in.p == in.end)
                goto fallback;
            if (*in.p == '}') {
                in.p++;
                break;
            }
            if (*in.p != ',')
                goto fallback; /* also what follows a number or word without a break */
            in.p++;
        }
    }
    skip_ws(&in);
    if (in.p == in.end)
        return o;
fallback:
    json_decref(o);
    return NULL;
}
