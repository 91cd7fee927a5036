/* Implementation of jflat.h. RFC 8259's grammar, restricted: where a byte leaves what
 * this reads, it stops and hands the whole text to jansson. */
#include "jflat.h"

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
static int plain_string(struct in *in, const char **s, uint32_t *n)
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
    if (q == in->end || q - in->p > (long)UINT32_MAX)
        return -1;
    *s = in->p;
    *n = (uint32_t)(q - in->p);
    in->p = q + 1;
    return 0;
}

/* An integer of at most 18 digits (below 2^63, so no overflow). */
static int integer(struct in *in, int64_t *out)
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
        return -1; /* "-", a leading zero (bad JSON) or perhaps past int64 */
    if (q < in->end && (*q == '.' || *q == 'e' || *q == 'E'))
        return -1; /* a real */
    in->p = q;
    *out = neg ? -v : v;
    return 0;
}

static int word(struct in *in, const char *w, size_t n)
{
    if ((size_t)(in->end - in->p) < n || memcmp(in->p, w, n))
        return -1;
    in->p += n;
    return 0;
}

static int value(struct in *in, struct jflat_field *f)
{
    if (in->p == in->end)
        return -1;
    switch (*in->p) {
    case '"':
        f->type = JFLAT_STRING;
        return plain_string(in, &f->s, &f->slen);
    case 't':
        f->type = JFLAT_TRUE;
        return word(in, "true", 4);
    case 'f':
        f->type = JFLAT_FALSE;
        return word(in, "false", 5);
    case 'n':
        f->type = JFLAT_NULL;
        return word(in, "null", 4);
    default:
        f->type = JFLAT_INT;
        return *in->p == '-' || (*in->p >= '0' && *in->p <= '9') ? integer(in, &f->i) : -1;
    }
}

static int member(struct in *in, struct jflat *v)
{
    if (v->n == JFLAT_FIELDS)
        return -1;
    struct jflat_field *f = &v->f[v->n];
    skip_ws(in);
    if (plain_string(in, &f->name, &f->nlen))
        return -1;
    for (unsigned k = 0; k < v->n; k++) /* a repeated name is jansson's to refuse */
        if (v->f[k].nlen == f->nlen && !memcmp(v->f[k].name, f->name, f->nlen))
            return -1;
    skip_ws(in);
    if (in->p == in->end || *in->p != ':')
        return -1;
    in->p++;
    skip_ws(in);
    f->s = NULL;
    f->slen = 0;
    f->i = 0;
    if (value(in, f))
        return -1;
    v->n++;
    return 0;
}

int jflat_scan(char *buf, size_t len, struct jflat *v)
{
    struct in in = {buf, buf + len};
    v->n = 0;
    skip_ws(&in);
    if (in.p == in.end || *in.p != '{')
        return -1;
    in.p++;
    skip_ws(&in);
    if (in.p < in.end && *in.p == '}') {
        in.p++;
    } else {
        for (;;) {
            if (member(&in, v))
                return -1;
            skip_ws(&in);
            if (in.p == in.end)
                return -1;
            if (*in.p == '}') {
                in.p++;
                break;
            }
            if (*in.p != ',')
                return -1; /* also what follows a number or word without a break */
            in.p++;
        }
    }
    skip_ws(&in);
    if (in.p != in.end)
        return -1;
    for (unsigned k = 0; k < v->n; k++) { /* read: the closing quotes become NULs */
        struct jflat_field *f = &v->f[k];
        buf[f->name + f->nlen - buf] = '\0';
        if (f->type == JFLAT_STRING)
            buf[f->s + f->slen - buf] = '\0';
    }
    return 0;
}

const struct jflat_field *jflat_get(const struct jflat *v, const char *name)
{
    size_t n = strlen(name);
    for (unsigned k = 0; k < v->n; k++)
        if (v->f[k].nlen == n && !memcmp(v->f[k].name, name, n))
            return &v->f[k];
    return NULL;
}

void jflat_move(struct jflat *v, const char *from, const char *to)
{
    for (unsigned k = 0; k < v->n; k++) {
        struct jflat_field *f = &v->f[k];
        f->name = to + (f->name - from);
        if (f->s)
            f->s = to + (f->s - from);
    }
}

json_t *jflat_tree(const struct jflat *v)
{
    json_t *o = json_object();
    for (unsigned k = 0; o && k < v->n; k++) {
        const struct jflat_field *f = &v->f[k];
        json_t *x = f->type == JFLAT_STRING  ? json_stringn_nocheck(f->s, f->slen)
                    : f->type == JFLAT_INT   ? json_integer(f->i)
                    : f->type == JFLAT_TRUE  ? json_true()
                    : f->type == JFLAT_FALSE ? json_false()
                                             : json_null();
        if (json_object_setn_new_nocheck(o, f->name, f->nlen, x)) {
            json_decref(o);
            o = NULL;
        }
    }
    return o;
}
