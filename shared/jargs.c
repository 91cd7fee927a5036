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

/* The argument named name, NULL when absent or JSON null. */
static json_t *get(json_t *obj, const char *name)
{
    json_t *v = json_object_get(obj, name);
    return json_is_null(v) ? NULL : v;
}

int jargs_string(json_t *obj, const char *name, int required, size_t minlen, size_t maxlen,
                 const char **out, struct jargs_err *e)
{
    json_t *v = get(obj, name);
    if (!v)
        return required ? fail(e, name, "is required") : 1;
    if (!json_is_string(v))
        return fail(e, name, "must be a string");
    size_t n = json_string_length(v);
    if (n < minlen || n > maxlen) {
        fail(e, name, "");
        snprintf(e->why, sizeof e->why, "must be %zu to %zu bytes long", minlen, maxlen);
        return CC_EBADARGS;
    }
    *out = json_string_value(v);
    return 0;
}

int jargs_int(json_t *obj, const char *name, int required, json_int_t min, json_int_t max,
              json_int_t *out, struct jargs_err *e)
{
    json_t *v = get(obj, name);
    if (!v)
        return required ? fail(e, name, "is required") : 1;
    if (!json_is_integer(v))
        return fail(e, name, "must be an integer");
    json_int_t x = json_integer_value(v);
    if (x < min || x > max) {
        fail(e, name, "");
        snprintf(e->why, sizeof e->why, "must be between %lld and %lld", (long long)min,
                 (long long)max);
        return CC_EBADARGS;
    }
    *out = x;
    return 0;
}

int jargs_bool(json_t *obj, const char *name, int required, int *out, struct jargs_err *e)
{
    json_t *v = get(obj, name);
    if (!v)
        return required ? fail(e, name, "is required") : 1;
    if (!json_is_boolean(v))
        return fail(e, name, "must be true or false");
    *out = json_is_true(v);
    return 0;
}
