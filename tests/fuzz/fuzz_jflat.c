/* Fuzz target `jflat`: the requests' fast JSON path (shared/jflat.c) against jansson.
 * The promise checked: whenever jflat_scan reads a text, json_loadb (with
 * JSON_REJECT_DUPLICATES, as server/proto.c calls it) reads the same text to an object
 * equal to the view's tree, with as many members, each of which the view shows as
 * jansson's tree does (jargs_member: what req.c's getters read either way); when it
 * does not, the text is untouched; nothing crashes, leaks or trips a sanitizer. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "jargs.h"
#include "jflat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1);
    FUZZ_CHECK(copy != NULL);
    memcpy(copy, data, size);
    struct jflat v;
    if (jflat_scan(copy, size, &v)) {
        FUZZ_CHECK(!memcmp(copy, data, size));
        free(copy);
        return 0;
    }
    json_t *a = jflat_tree(&v);
    json_t *b = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    FUZZ_CHECK(a != NULL && b != NULL);
    FUZZ_CHECK(json_equal(a, b));
    FUZZ_CHECK(json_object_size(a) == json_object_size(b) && v.n == json_object_size(b));
    for (unsigned k = 0; k < v.n; k++) {
        const struct jflat_field *f = &v.f[k];
        struct jflat_field g;
        FUZZ_CHECK(jflat_get(&v, f->name) == f && jargs_member(b, f->name, &g));
        FUZZ_CHECK(f->type == g.type);
        if (f->type == JFLAT_STRING)
            FUZZ_CHECK(f->slen == g.slen && !memcmp(f->s, g.s, f->slen) && !f->s[f->slen]);
        if (f->type == JFLAT_INT)
            FUZZ_CHECK(f->i == g.i);
    }
    json_decref(a);
    json_decref(b);
    free(copy);
    return 0;
}
