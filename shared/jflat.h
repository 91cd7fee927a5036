/* A fast path for the JSON of most requests: a flat object whose values are plain
 * strings, integers, booleans or null, as in {"id":7,"op":"vote.cast","design":"12",
 * "value":1}. jansson's own parser reads such a request in ~1.2 µs, most of it in its
 * lexer (a call a character), and its tree costs an allocation a member; this reads
 * it in place, allocating nothing: a request's arguments are read from the view
 * (req.c), and a jansson tree is built only for an op that asks for one.
 *
 * The promise (tests/unit/test_jflat.c, fuzz target `jflat`): whenever jflat_scan
 * reads a text, json_loadb(text, JSON_REJECT_DUPLICATES) reads an object equal to
 * jflat_tree of the view. Anything it does not handle — nesting, escapes, bytes past
 * ASCII, fractions and exponents, integers of more than 18 digits, a repeated name,
 * more than JFLAT_FIELDS members, bad JSON — it leaves to jansson, which then reads it
 * or says what is wrong with it. */
#ifndef CC_JFLAT_H
#define CC_JFLAT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* JFLAT_OTHER (a real, an array, an object) is never read by jflat: jargs_member's,
 * for a member of a jansson tree. */
enum jflat_type { JFLAT_STRING, JFLAT_INT, JFLAT_TRUE, JFLAT_FALSE, JFLAT_NULL, JFLAT_OTHER };

/* A member: its name and, for a string, its value, each NUL-terminated in the text
 * it was read from (where the closing quote was). */
struct jflat_field {
    const char *name;
    const char *s; /* JFLAT_STRING: the value, slen bytes */
    int64_t i;     /* JFLAT_INT: the value */
    uint32_t nlen, slen;
    uint8_t type; /* enum jflat_type */
};

#define JFLAT_FIELDS 16
/* A flat object: its members in the text's order. */
struct jflat {
    unsigned n;
    struct jflat_field f[JFLAT_FIELDS];
};

/* Reads the object in buf[0..len) into v: 0, having written a NUL over the closing
 * quote of each name and string (buf is then no longer JSON); or -1, buf untouched,
 * when the caller must ask json_loadb. */
int jflat_scan(char *buf, size_t len, struct jflat *v);
/* The member called name, or NULL. */
const struct jflat_field *jflat_get(const struct jflat *v, const char *name);
/* v's pointers, into the text at from, made to point into its copy at to. */
void jflat_move(struct jflat *v, const char *from, const char *to);
/* v as a jansson object (its strings copied). NULL only when out of memory. */
json_t *jflat_tree(const struct jflat *v);

#endif
