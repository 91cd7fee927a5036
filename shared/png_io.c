/* libpng decode with limits and encode, from and to memory. See png_io.h.
 *
 * libpng reports errors by calling our error function, which must not return: it
 * longjmps back to the setjmp in run_decode / run_encode. Everything those functions
 * allocate lives in a struct owned by their caller, which frees it on either path, so
 * no local variable has to survive the longjmp (C11 7.13.2.1). */
#include "png_io.h"

#include <inttypes.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "ccerr.h"
#include "util.h"

/* libpng keeps up to this many ancillary chunks it stores (we store none but tRNS). */
#define PNG_IO_CHUNK_CACHE_MAX 32
/* Largest non-IDAT chunk libpng will accept (PLTE is 768 bytes, tRNS 256; others are
 * skipped, but a larger one is refused rather than read past). */
#define PNG_IO_CHUNK_MALLOC_MAX (4u << 20)
/* libpng inflates, within the call that reads the last row, whatever compressed data
 * follows the image, only to report "too much image data" at the end: a bomb would be
 * inflated whole (16 MiB of IDAT can hold 16 GiB). So the input that call may read is
 * bounded: twice the last row's unfiltered size (a row never needs more unless its
 * encoder wasted bytes on purpose) plus this slack for libpng's 8 KiB read-ahead, the
 * zlib trailer and chunk framing. At deflate's ~1032:1 that caps the waste at ~100 MiB
 * of inflation (for a 6000-pixel 16-bit row), never at the bomb's size. */
#define PNG_IO_LAST_ROW_SLACK (16u << 10)
/* zlib level for our own PNGs (NOTES.md: filter NONE at level 6, ~1–4 ms / 256×256). */
#define PNG_IO_ZLIB_LEVEL 6

#define PNG_IO_SIG_LEN 8
#define PNG_IO_IHDR_LEN 13

static int check_dims(uint32_t w, uint32_t h, const struct png_io_limits *lim,
                      struct kind_error *err)
{
    if (w < lim->min_side || w > lim->max_side || h < lim->min_side || h > lim->max_side)
        return kind_fail(err, CC_EINVALID, "dimensions", -1, -1,
                         "%" PRIu32 "x%" PRIu32 " pixels; width and height must be %" PRIu32
                         "-%" PRIu32,
                         w, h, lim->min_side, lim->max_side);
    if ((uint64_t)w * h > lim->max_pixels)
        return kind_fail(err, CC_EINVALID, "dimensions", -1, -1,
                         "%" PRIu32 "x%" PRIu32 " pixels; at most %" PRIu64 " allowed", w, h,
                         lim->max_pixels);
    return 0;
}

/* Checks the signature and the declared size in IHDR before libpng runs, so that
 * dimensions over the limit are reported as such (libpng's own user limits, set too,
 * would refuse them as a generic error). No CRC or zlib work. */
static int check_header(const uint8_t *buf, size_t len, const struct png_io_limits *lim,
                        struct kind_error *err)
{
    static const uint8_t sig[PNG_IO_SIG_LEN] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (len < PNG_IO_SIG_LEN || memcmp(buf, sig, PNG_IO_SIG_LEN))
        return kind_fail(err, CC_EINVALID, "png", -1, -1, "not a PNG file (bad signature)");
    if (len < PNG_IO_SIG_LEN + 8 + PNG_IO_IHDR_LEN)
        return kind_fail(err, CC_EINVALID, "png", -1, -1, "truncated file");
    const uint8_t *ihdr = buf + PNG_IO_SIG_LEN;
    if (get_be32(ihdr) != PNG_IO_IHDR_LEN || memcmp(ihdr + 4, "IHDR", 4))
        return kind_fail(err, CC_EINVALID, "png", -1, -1, "the first chunk is not IHDR");
    return check_dims(get_be32(ihdr + 8), get_be32(ihdr + 12), lim, err);
}

struct rd {
    jmp_buf jmp;
    const uint8_t *buf;
    size_t len, pos;
    size_t limit; /* if not 0: libpng may not read past this offset */
    struct kind_error *err;
    png_structp png;
    png_infop info;
    uint8_t *row;
};

static void rd_error(png_structp png, png_const_charp msg)
{
    struct rd *rd = png_get_error_ptr(png);
    kind_fail(rd->err, CC_EINVALID, "png", -1, -1, "not a valid PNG: %s", msg);
    longjmp(rd->jmp, 1);
}

static void ignore_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static void rd_read(png_structp png, png_bytep out, size_t n)
{
    struct rd *rd = png_get_io_ptr(png);
    if (n > rd->len - rd->pos)
        png_error(png, "truncated file");
    if (rd->limit && rd->pos + n > rd->limit)
        png_error(png, "compressed image data goes on past the end of the image");
    memcpy(out, rd->buf + rd->pos, n);
    rd->pos += n;
}

/* Rows libpng delivers in this pass: 0 for an empty Adam7 pass (libpng skips it). */
static uint32_t pass_rows(int interlaced, int pass, uint32_t w, uint32_t h)
{
    if (!interlaced)
        return h;
    return PNG_PASS_COLS(w, pass) ? PNG_PASS_ROWS(h, pass) : 0;
}

static int run_decode(struct rd *rd, const struct png_io_limits *lim,
                      const struct png_io_sink *sink)
{
    rd->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, rd, rd_error, ignore_warning);
    if (!rd->png || !(rd->info = png_create_info_struct(rd->png)))
        return kind_fail(rd->err, CC_EINTERNAL, "png", -1, -1, "libpng: out of memory");
    if (setjmp(rd->jmp))
        return CC_EINVALID; /* rd_error filled err */
    png_structp png = rd->png;
    png_set_read_fn(png, rd, rd_read);
    png_set_user_limits(png, lim->max_side, lim->max_side);
    png_set_chunk_cache_max(png, PNG_IO_CHUNK_CACHE_MAX);
    png_set_chunk_malloc_max(png, PNG_IO_CHUNK_MALLOC_MAX);
    /* Strict: "benign" errors (extra or missing image data, misplaced chunks) and a bad
     * CRC in an ancillary chunk are errors, not warnings. */
    png_set_benign_errors(png, 0);
    png_set_crc_action(png, PNG_CRC_DEFAULT, PNG_CRC_ERROR_QUIT);
    /* Skip every ancillary chunk but tRNS: we need no colour management or text, and a
     * skipped chunk is never decompressed or kept in memory. */
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);

    png_read_info(png, rd->info);
    uint32_t w = png_get_image_width(png, rd->info), h = png_get_image_height(png, rd->info);
    int rc = check_dims(w, h, lim, rd->err); /* what libpng parsed: the binding check */
    if (rc)
        return rc;
    int interlaced = png_get_interlace_type(png, rd->info) != PNG_INTERLACE_NONE;
    size_t raw_row = png_get_rowbytes(png, rd->info); /* before the transforms below */
    /* Normalise to 8-bit RGBA: palette and tRNS to RGB(A), low-depth grey to 8 bits,
     * 16 bits scaled down, grey to RGB, opaque alpha added where there is none. No
     * png_set_interlace_handling: we take the Adam7 passes as they come (png_io.h). */
    png_set_expand(png);
    png_set_scale_16(png);
    png_set_gray_to_rgb(png);
    png_set_add_alpha(png, 0xff, PNG_FILLER_AFTER);
    png_read_update_info(png, rd->info);
    if (png_get_channels(png, rd->info) != 4 || png_get_bit_depth(png, rd->info) != 8)
        return kind_fail(rd->err, CC_EINTERNAL, "png", -1, -1, "libpng: not normalised to RGBA");
    rd->row = xmalloc(png_get_rowbytes(png, rd->info));
    if (sink->begin && (rc = sink->begin(sink->user, w, h)))
        return rc;

    const int passes = interlaced ? 7 : 1;
    uint64_t rows_left = 0;
    for (int pass = 0; pass < passes; pass++)
        rows_left += pass_rows(interlaced, pass, w, h);
    for (int pass = 0; pass < passes; pass++) {
        uint32_t rows = pass_rows(interlaced, pass, w, h);
        uint32_t cols = interlaced ? PNG_PASS_COLS(w, pass) : w;
        for (uint32_t yp = 0; yp < rows; yp++) {
            if (--rows_left == 0) /* see PNG_IO_LAST_ROW_SLACK */
                rd->limit = rd->pos + 2 * (raw_row + 1) + PNG_IO_LAST_ROW_SLACK;
            png_read_row(png, rd->row, NULL);
            if (!sink->row)
                continue;
            if (interlaced)
                sink->row(sink->user, PNG_ROW_FROM_PASS_ROW(yp, pass), PNG_PASS_START_COL(pass),
                          PNG_PASS_COL_OFFSET(pass), cols, rd->row);
            else
                sink->row(sink->user, yp, 0, 1, cols, rd->row);
        }
    }
    rd->limit = 0;
    png_read_end(png, NULL); /* the chunks after the image data, CRCs, IEND */
    return 0;
}

int png_io_decode(const uint8_t *buf, size_t len, const struct png_io_limits *lim,
                  const struct png_io_sink *sink, struct kind_error *err)
{
    int rc = check_header(buf, len, lim, err);
    if (rc)
        return rc;
    struct rd rd = {.buf = buf, .len = len, .err = err};
    rc = run_decode(&rd, lim, sink);
    png_destroy_read_struct(&rd.png, &rd.info, NULL);
    free(rd.row);
    return rc;
}

struct wr {
    jmp_buf jmp;
    struct ccbuf *out;
    png_structp png;
    png_infop info;
    uint8_t *row;
};

static void wr_error(png_structp png, png_const_charp msg)
{
    (void)msg;
    longjmp(((struct wr *)png_get_error_ptr(png))->jmp, 1);
}

static void wr_write(png_structp png, png_bytep data, size_t n)
{
    ccbuf_append(((struct wr *)png_get_io_ptr(png))->out, data, n);
}

static void wr_flush(png_structp png) { (void)png; }

static int run_encode(struct wr *wr, uint32_t w, uint32_t h, png_io_row_fn row, void *user)
{
    wr->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, wr, wr_error, ignore_warning);
    if (!wr->png || !(wr->info = png_create_info_struct(wr->png)))
        return CC_EINTERNAL;
    if (setjmp(wr->jmp))
        return CC_EINTERNAL;
    png_structp png = wr->png;
    png_set_write_fn(png, wr, wr_write, wr_flush);
    png_set_IHDR(png, wr->info, w, h, 8, PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
    png_set_compression_level(png, PNG_IO_ZLIB_LEVEL);
    png_write_info(png, wr->info);
    wr->row = xmalloc((size_t)w * 4);
    for (uint32_t y = 0; y < h; y++) {
        row(user, y, wr->row);
        png_write_row(png, wr->row);
    }
    png_write_end(png, NULL);
    return 0;
}

int png_io_encode(uint32_t width, uint32_t height, png_io_row_fn row, void *user, struct ccbuf *out)
{
    size_t len0 = out->len;
    struct wr wr = {.out = out};
    int rc = run_encode(&wr, width, height, row, user);
    png_destroy_write_struct(&wr.png, &wr.info);
    free(wr.row);
    if (rc)
        out->len = len0;
    return rc;
}

struct rgba_image {
    const uint8_t *rgba;
    uint32_t width;
};

static void copy_row(void *user, uint32_t y, uint8_t *rgba)
{
    const struct rgba_image *im = user;
    memcpy(rgba, im->rgba + (size_t)y * im->width * 4, (size_t)im->width * 4);
}

int png_io_encode_rgba(const uint8_t *rgba, uint32_t width, uint32_t height, struct ccbuf *out)
{
    struct rgba_image im = {rgba, width};
    return png_io_encode(width, height, copy_row, &im, out);
}
