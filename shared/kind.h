/* Content kinds (SPEC §3): the one registry of what can be uploaded. Each kind is a
 * `struct kind` in its own file shared/kinds/<name>.c, listed once in the table in
 * kind.c; it brings its limits, its validator and its renderer. Everything here is
 * immutable and re-entrant: any thread (the libuv pool included) may call it at once. */
#ifndef CC_KIND_H
#define CC_KIND_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Where and why a design was refused. `rule` is a static string:
 *   level   (SPEC §3): "json", "format", "size", "tile", "spawn", "goal", "playable";
 *   artwork:           "png" (not a complete, valid PNG: signature, chunk CRCs, zlib
 *                      stream, truncation, image data past the image), "dimensions"
 *                      (width or height outside 64–6000, or over 36 million pixels);
 *   either kind:       "bytes" with CC_ETOOLARGE (over the kind's max_bytes).
 * row and col are counted from 0 at the top left, -1 where no place applies.
 * message is a human-readable sentence for people, not for matching. */
struct kind_error {
    const char *rule;
    int row, col;
    char message[160];
};

/* The results of validate and render: 0, CC_EINVALID (err filled), CC_ETOOLARGE (err
 * filled, rule "bytes"), or CC_EINTERNAL (out of memory, library failure). */
typedef int (*kind_validate_fn)(const uint8_t *buf, size_t len, struct kind_error *err);
/* Appends a PNG to png_out (left as it was on failure): the thumbnail if thumb, else
 * the full-size render. Checks as much of the design as it needs to draw it. */
typedef int (*kind_render_fn)(const uint8_t *buf, size_t len, int thumb, struct ccbuf *png_out,
                              struct kind_error *err);

/* A 64-bit perceptual fingerprint of a valid design (SPEC §8 look-alikes): near
 * designs have fingerprints a few bits apart (kind_distance). 0 or CC_EINTERNAL. */
typedef int (*kind_fingerprint_fn)(const uint8_t *buf, size_t len, uint64_t *out);

struct kind {
    const char *name;         /* wire name: "level", "artwork" */
    size_t max_bytes;         /* largest upload; more is `too_large` */
    const char *content_type; /* of the original bytes (GET /d/<design>) */
    const char *ext;          /* their file name extension, without the dot */
    const char *magic;        /* leading bytes that identify the kind, or NULL */
    size_t magic_len;
    int compress;              /* 1: stored zstd-compressed (a dictionary may be trained);
                                  0: stored as uploaded (see codec.h) */
    uint32_t thumb_w, thumb_h; /* size of the thumbnail render */
    kind_validate_fn validate;
    kind_render_fn render;
    kind_fingerprint_fn fingerprint;
    int lookalike_bits; /* fingerprints at most this many bits apart are look-alikes */
};

/* The number of bits two fingerprints differ in. */
int kind_distance(uint64_t a, uint64_t b);
/* The difference hash of a 9 × 8 grey grid: bit y * 8 + x is set when cell (x, y) is
 * darker than (x + 1, y). The fingerprints of both kinds are made this way. */
uint64_t kind_dhash(const double grid[8][9]);

/* The kind with this wire name, or NULL. */
const struct kind *kind_find(const char *name);

/* All kinds, NULL-terminated: for (const struct kind *const *k = kind_all(); *k; k++). */
const struct kind *const *kind_all(void);

/* The kind whose magic starts buf, else the first kind without magic (level). For tools
 * that get a file without a declared kind; the server always knows the kind. */
const struct kind *kind_sniff(const uint8_t *buf, size_t len);

/* Resets err to "no error": rule NULL, row and col -1, empty message. */
void kind_error_clear(struct kind_error *err);

/* Fills err (rule static; message printf-formatted, truncated to fit) and returns code. */
int kind_fail(struct kind_error *err, int code, const char *rule, int row, int col, const char *fmt,
              ...) __attribute__((format(printf, 6, 7)));

/* Validates buf (borrowed) as a design of kind k: checks max_bytes, then k->validate.
 * Use these two wrappers rather than the function pointers: they clear err first. */
int kind_validate(const struct kind *k, const uint8_t *buf, size_t len, struct kind_error *err);

/* Renders buf as a PNG appended to png_out: see kind_render_fn. Checks max_bytes first. */
int kind_render(const struct kind *k, const uint8_t *buf, size_t len, int thumb,
                struct ccbuf *png_out, struct kind_error *err);

/* The SPEC §4 `detail` object for err: {"rule": ..., "row": r, "col": c}, row and col
 * left out when -1. Returns a new reference for the caller to json_decref. */
json_t *kind_error_detail(const struct kind_error *err);

#endif
