/* Typed access to the arguments of a JSON request object, with the errors SPEC §4
 * wants: a missing or wrong-typed argument is `bad_args` naming the field. The object
 * is a jansson tree (jargs_string ...) or one member already found (jargs_field_...:
 * what req.c uses for a request read by jflat, with no tree). Each getter returns 0
 * when the argument is present and valid, 1 when it is absent (or null) and optional
 * (out untouched), or CC_EBADARGS with *e filled (static strings). */
#ifndef CC_JARGS_H
#define CC_JARGS_H

#include <jansson.h>
#include <stddef.h>

#include "jflat.h"

struct jargs_err {
    const char *field;
    char why[96];
};

enum { JARGS_OPTIONAL = 0, JARGS_REQUIRED = 1 };

/* A member of a jansson object as jflat shows one (JFLAT_OTHER: a real, an array, an
 * object; an integer's value as jansson holds it). Strings borrowed from obj. Returns
 * 1, or 0 when obj has no member called name. */
int jargs_member(json_t *obj, const char *name, struct jflat_field *out);

/* The checks of one member f (NULL: absent) called name. */
int jargs_field_string(const struct jflat_field *f, const char *name, int required, size_t minlen,
                       size_t maxlen, const char **out, struct jargs_err *e);
int jargs_field_int(const struct jflat_field *f, const char *name, int required, json_int_t min,
                    json_int_t max, json_int_t *out, struct jargs_err *e);
int jargs_field_bool(const struct jflat_field *f, const char *name, int required, int *out,
                     struct jargs_err *e);

/* A string of minlen..maxlen bytes (UTF-8 as jansson guarantees); borrowed from obj. */
int jargs_string(json_t *obj, const char *name, int required, size_t minlen, size_t maxlen,
                 const char **out, struct jargs_err *e);
/* An integer in [min, max]. */
int jargs_int(json_t *obj, const char *name, int required, json_int_t min, json_int_t max,
              json_int_t *out, struct jargs_err *e);
/* A boolean. */
int jargs_bool(json_t *obj, const char *name, int required, int *out, struct jargs_err *e);

#endif
