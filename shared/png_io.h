/* libpng from and to memory for the content kinds. Decoding checks the header against
 * hard limits before libpng allocates anything the image's size, then hands the pixels
 * over a row at a time (8-bit RGBA), so memory stays at one row whatever the image;
 * encoding writes RGBA rows with filter NONE at zlib level 6 (NOTES.md). Re-entrant:
 * every call has its own libpng state, nothing global. */
#ifndef CC_PNG_IO_H
#define CC_PNG_IO_H

#include <stddef.h>
#include <stdint.h>

#include "kind.h"
#include "util.h"

/* What an accepted image may declare. */
struct png_io_limits {
    uint32_t min_side, max_side; /* for width and height alike */
    uint64_t max_pixels;         /* width * height */
};

/* Where the decoded pixels go. Either callback may be NULL. */
struct png_io_sink {
    /* Once, after the header passed the limits and before any row: 0 or a CC_E* code,
     * which stops decoding and is returned (fill nothing in err: it holds no message). */
    int (*begin)(void *user, uint32_t width, uint32_t height);
    /* n pixels (4 bytes each, straight alpha) of image row y at columns x0, x0 + dx, ...
     * A plain image arrives as rows 0..h-1 with x0 = 0, dx = 1, n = width. An
     * interlaced one arrives in its 7 Adam7 passes: each call has a pass's sparse
     * pixels, every pixel of the image exactly once over the whole decode. */
    void (*row)(void *user, uint32_t y, uint32_t x0, uint32_t dx, uint32_t n, const uint8_t *rgba);
    void *user;
};

/* Decodes the whole PNG in buf (borrowed), checking every chunk CRC and the complete
 * zlib stream (Adler-32 included) up to IEND; bytes after IEND are ignored. Refuses
 * before allocating: a bad signature or first chunk, dimensions outside lim. Refuses a
 * compressed stream that goes on past the declared image (a decompression bomb) after
 * a bounded amount of inflation, not the bomb's size. Memory: one row, whatever the
 * image. Ancillary chunks other than tRNS are skipped unread (CRCs still checked).
 * Returns 0, CC_EINVALID with err filled (rule "png" or "dimensions"), CC_EINTERNAL, or
 * what sink->begin returned. */
int png_io_decode(const uint8_t *buf, size_t len, const struct png_io_limits *lim,
                  const struct png_io_sink *sink, struct kind_error *err);

/* Fills row y (width * 4 bytes of RGBA) of an image being encoded. */
typedef void (*png_io_row_fn)(void *user, uint32_t y, uint8_t *rgba);

/* Appends a width × height RGBA PNG to out, asking row() for each row top to bottom.
 * Returns 0 or CC_EINTERNAL (out then as it was). */
int png_io_encode(uint32_t width, uint32_t height, png_io_row_fn row, void *user,
                  struct ccbuf *out);

/* The same from a whole image in memory: rgba (borrowed) holds width * height pixels. */
int png_io_encode_rgba(const uint8_t *rgba, uint32_t width, uint32_t height, struct ccbuf *out);

#endif
