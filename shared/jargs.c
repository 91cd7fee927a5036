/* Implementation of jargs.h. */
#include "jargs.h"

#include <stdio.h>

#include "ccerr.h"

static int fail(struct jargs_err *e, const char *name, const char *why)
{
    e->field = name;
    snprintf(e->why, sizeof e->why, "%s", why);
    return CC_EBADARGS;
}

int jargs_member(json_t *obj, const char *name, struct jflat_field *out)
{
    json_t *v = json_object_get(obj, name);
    if (!v)
        return 0;
    *out = (struct jflat_field){.name = name, .type = JFLAT_OTHER};
    switch (json_typeof(v)) {
    case JSON_STRING:
        out->type = JFLAT_STRING;
        out->s = json_string_value(v);
        out->slen = (uint32_t)json_string_length(v); /* (frames are far below 4 GB) */
        break;
    case JSON_INTEGER:
        out->type = JFLAT_INT;
        out->i = json_integer_value(v);
        break;
    case JSON_TRUE:
        out->type = JFLAT_TRUE;
        break;
    case JSON_FALSE:
        out->type = JFLAT_FALSE;
        break;
    case JSON_NULL:
        out->type = JFLAT_NULL;
        break;
    default:
        break;
    }
    return 1;
}

/* Whether f is absent as the getters see it: missing or JSON null. */
static int absent(const struct jflat_field *f) { return !f || f->type == JFLAT_NULL; }

int jargs_field_string(const struct jflat_field *f, const char *name, int required, size_t minlen,
                       size_t maxlen, const char **out, struct jargs_err *e)
{
    if (absent(f))
        return required ? fail(e, name, "is required") : 1;
    if (f->type != JFLAT_STRING)
        return fail(e, name, "must be a string");
    if (f->slen < minlen || f->slen > maxlen) {
        fail(e, name, "");
        snprintf(e->why, sizeof e->why, "must be %zu to %zu bytes long", minlen, maxlen);
        return CC_EBADARGS;
    }
    *out = f->s;
    return 0;
}

int jargs_field_int(const struct jflat_field *f, const char *name, int required, json_int_t min,
                    json_int_t max, json_int_t *out, struct jargs_err *e)
{
    if (absent(f))
        return required ? fail(e, name, "is required") : 1;
    if (f->type != JFLAT_INT)
        return fail(e, name, "must be an integer");
    if (f->i < min || f->i > max) {
        fail(e, name, "");
        snprintf(e->why, sizeof e->why, "must be between %lld and %lld", (long long)min,
                 (long long)max);
        return CC_EBADARGS;
    }
    *out = f->i;
    return 0;
}

int jargs_field_bool(const struct jflat_field *f, const char *name, int required, int *out,
                     struct jargs_err *e)
{
    if (absent(f))
        return required ? fail(e, name, "is required") : 1;
    if (f->type != JFLAT_TRUE && f->type != JFLAT_FALSE)
        return fail(e, name, "must be true or false");
    *out = f->type == JFLAT_TRUE;
    return 0;
}

int jargs_string(json_t *obj, const char *name, int required, size_t minlen, size_t maxlen,
                 const char **out, struct jargs_err *e)
{
    struct jflat_field f;
    return jargs_field_string(jargs_member(obj, name, &f) ? &f : NULL, name, required, minlen,
                              maxlen, out, e);
}

int jargs_int(json_t *obj, const char *name, int required, json_int_t min, json_int_t max,
              json_int_t *out, struct jargs_err *e)
{
    struct jflat_field f;
    return jargs_field_int(jargs_member(obj, name, &f) ? &f : NULL, name, required, min, max, out,
                           e);
}

int jargs_bool(json_t *obj, const char *name, int required, int *out, struct jargs_err *e)
{
    struct jflat_field f;
    return jargs_field_bool(jargs_member(obj, name, &f) ? &f : NULL, name, required, out, e);
}
