/* A fast path for the JSON of most requests: a flat object whose values are plain
 * strings, integers, booleans or null, as in {"id":7,"op":"vote.cast","design":"12",
 * "value":1}. jansson's own parser reads such a request in ~1.2 µs, most of it in its
 * lexer (a call a character); this reads it in ~0.25 µs and builds the same tree.
 *
 * The promise (tests/unit/test_jflat.c, fuzz target `jflat`): whenever jflat_load
 * returns a value, json_loadb(buf, len, JSON_REJECT_DUPLICATES) returns an equal one.
 * Anything it does not handle — nesting, escapes, bytes past ASCII, fractions and
 * exponents, integers of more than 18 digits, a repeated name, bad JSON — it leaves to
 * jansson (NULL), which then reads it or says what is wrong with it. */
#ifndef CC_JFLAT_H
#define CC_JFLAT_H

#include <jansson.h>
#include <stddef.h>

/* The object in buf[0..len), or NULL when the caller must ask json_loadb. */
json_t *jflat_load(const char *buf, size_t len);

#endif
