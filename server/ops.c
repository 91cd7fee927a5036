/* The op table (see ops.h). Keep it sorted by name: ops_find bisects it. */
#include "ops.h"

#include <stdlib.h>
#include <string.h>

static const struct op table[] = {
    {"auth.login", op_auth_login, 0},
    {"auth.register", op_auth_register, 0},
    {"design.get", op_design_get, 0},
    {"hello", op_hello, 0},

};

static int cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct op *)elem)->name);
}

const struct op *ops_find(const char *name)
{
    return bsearch(name, table, sizeof table / sizeof table[0], sizeof table[0], cmp);
}
