/* Typed access to the arguments of a JSON request object (jansson), with the errors
 * SPEC §4 wants: a missing or wrong-typed argument is `bad_args` naming the field.
 * Each getter returns 0 when the argument is present and valid, 1 when it is absent
 * and optional (out untouched), or CC_EBADARGS with *e filled (static strings). */
#ifndef CC_JARGS_H
#define CC_JARGS_H

#include <jansson.h>
#include <stddef.h>

struct jargs_err {
    const char *field;
    char why[96];
};

enum { JARGS_OPTIONAL = 0, JARGS_REQUIRED = 1 };

/* A string of minlen..maxlen bytes (UTF-8 as jansson guarantees); borrowed from obj. */
int jargs_string(json_t *obj, const char *name, int required, size_t minlen, size_t maxlen,
                 const char **out, struct jargs_err *e);
/* An integer in [min, max]. */
int jargs_int(json_t *obj, const char *name, int required, json_int_t min, json_int_t max,
              json_int_t *out, struct jargs_err *e);
/* A boolean. */
int jargs_bool(json_t *obj, const char *name, int required, int *out, struct jargs_err *e);

#endif
