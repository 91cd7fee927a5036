/* The table of content kinds and the wrappers every caller goes through (kind.h).
 * Adding a kind: write shared/kinds/<name>.c defining `const struct kind kind_<name>`,
 * then add its declaration and its entry below, next to the others. */
#include "kind.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ccerr.h"

extern const struct kind kind_level;
extern const struct kind kind_artwork;

static const struct kind *const kinds[] = {
    &kind_level,
    &kind_artwork,
    NULL,
};

const struct kind *kind_find(const char *name)
{
    for (const struct kind *const *k = kinds; *k; k++)
        if (!strcmp((*k)->name, name))
            return *k;
    return NULL;
}

const struct kind *const *kind_all(void) { return kinds; }

int kind_distance(uint64_t a, uint64_t b)
{
    return __builtin_popcountll(a ^ b);
}

uint64_t kind_dhash(const double grid[8][9])
{
    uint64_t h = 0;
    for (int y = 0; y < 8; y++)
        for (int x = 0; x < 8; x++)
            if (grid[y][x] < grid[y][x + 1])
                h |= (uint64_t)1 << (y * 8 + x);
    return h;
}

const struct kind *kind_sniff(const uint8_t *buf, size_t len)
{
    const struct kind *fallback = NULL;
    for (const struct kind *const *k = kinds; *k; k++) {
        if (!(*k)->magic) {
            if (!fallback)
                fallback = *k;
        } else if (len >= (*k)->magic_len && !memcmp(buf, (*k)->magic, (*k)->magic_len)) {
            return *k;
        }
    }
    return fallback;
}

void kind_error_clear(struct kind_error *err)
{
    err->rule = NULL;
    err->row = err->col = -1;
    err->message[0] = '\0';
}

int kind_fail(struct kind_error *err, int code, const char *rule, int row, int col, const char *fmt,
              ...)
{
    va_list ap;
    err->rule = rule;
    err->row = row;
    err->col = col;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return code;
}

/* The max_bytes check both wrappers make before handing buf to the kind. */
static int check_size(const struct kind *k, size_t len, struct kind_error *err)
{
    kind_error_clear(err);
    if (len > k->max_bytes)
        return kind_fail(err, CC_ETOOLARGE, "bytes", -1, -1, "%zu bytes; a %s may have at most %zu",
                         len, k->name, k->max_bytes);
    return 0;
}

int kind_validate(const struct kind *k, const uint8_t *buf, size_t len, struct kind_error *err)
{
    int rc = check_size(k, len, err);
    return rc ? rc : k->validate(buf, len, err);
}

int kind_render(const struct kind *k, const uint8_t *buf, size_t len, int thumb,
                struct ccbuf *png_out, struct kind_error *err)
{
    int rc = check_size(k, len, err);
    return rc ? rc : k->render(buf, len, thumb, png_out, err);
}

json_t *kind_error_detail(const struct kind_error *err)
{
    json_t *d = json_object();
    json_object_set_new(d, "rule", json_string(err->rule ? err->rule : "internal"));
    if (err->row >= 0)
        json_object_set_new(d, "row", json_integer(err->row));
    if (err->col >= 0)
        json_object_set_new(d, "col", json_integer(err->col));
    return d;
}
