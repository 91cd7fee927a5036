/* Fuzz target `jflat`: the requests' fast JSON path (shared/jflat.c) against jansson.
 * The promise checked: whenever jflat_load reads a text, json_loadb (with
 * JSON_REJECT_DUPLICATES, as server/proto.c calls it) reads the same text to an equal
 * value with as many members; nothing crashes, leaks or trips a sanitizer. */
#include <jansson.h>

#include "fuzz.h"
#include "jflat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *a = jflat_load((const char *)data, size);
    if (!a)
        return 0;
    json_t *b = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    FUZZ_CHECK(b != NULL);
    FUZZ_CHECK(json_equal(a, b));
    FUZZ_CHECK(json_object_size(a) == json_object_size(b));
    json_decref(a);
    json_decref(b);
    return 0;
}
