/* A scanner for a few fields of a stored record (compact JSON as jansson writes it),
 * without building a JSON tree: at start-up a tree for each of a million records was
 * half of the load time (issue 16). It walks one object, the caller taking the values
 * it keeps and skipping the rest; anything unusual (an escape in a string it keeps,
 * nesting it does not expect) makes it answer 0, and the caller reads that record with
 * jansson instead. Used by the catalog's and the creators' start-up. */
#ifndef CC_JSCAN_H
#define CC_JSCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct jscan {
    const char *p, *end;
};

/* Skips spaces; then, if the next byte is c, takes it and returns 1; else 0. */
int jscan_char(struct jscan *sc, char c);
/* A string without escapes: its bytes in *s, *n. Returns 0 otherwise. */
int jscan_plain_string(struct jscan *sc, const char **s, size_t *n);
/* An integer (an optional minus and digits, no fraction or exponent) into *v. Returns 0
 * otherwise. */
int jscan_int(struct jscan *sc, int64_t *v);
/* Skips one value of any kind (strings with escapes, arrays, objects). */
int jscan_skip(struct jscan *sc);
/* Copies s[0..n) and a NUL into dst of cap bytes. Returns 0 if it does not fit. */
int jscan_copy(char *dst, size_t cap, const char *s, size_t n);

/* Walks the object in data[0..len): for each member, field(sc, k, kn, user) takes its
 * value (or jscan_skip's it) and returns 1, or 0 to give up. Returns 1 when the whole
 * object was walked, 0 when field gave up or the bytes are not a plain object. */
int jscan_members(const char *data, size_t len,
                  int (*field)(struct jscan *sc, const char *k, size_t kn, void *user),
                  void *user);
/* Whether the key k[0..kn) is the string literal lit. */
#define JSCAN_KEY(k, kn, lit) ((kn) == sizeof(lit) - 1 && !memcmp((k), (lit), sizeof(lit) - 1))

#endif
