/* The `artwork` kind: PNGs made here (with libpng for the valid formats, by hand with
 * zlib for the broken ones) are accepted or refused with the right rule, decode to the
 * right pixels in every colour type, and render onto the shirt mockup. */
#include <math.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ccerr.h"
#include "check.h"
#include "kind.h"
#include "png_io.h"
#include "testpng.h"
#include "util.h"

/* The documented mockup (shared/kinds/artwork.c): the background, the shirt's base
 * colour (shaded: each channel within SHIRT_SHADE of it), and the print area of the
 * 320 px thumbnail: x 112..207, y 75..202 (96 × 128, 3:4). */
#define BACKGROUND 0xf0efeb
#define SHIRT 0xcfd2d6
#define SHIRT_SHADE 40
#define PRINT_X 112
#define PRINT_Y 75
#define PRINT_W 96
#define PRINT_H 128

static const struct kind *artwork;

/* ---- PNGs by hand ---- */

static void put32(struct ccbuf *b, uint32_t v)
{
    uint8_t p[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    ccbuf_append(b, p, 4);
}

static void chunk(struct ccbuf *b, const char *type, const void *data, uint32_t len)
{
    put32(b, len);
    size_t start = b->len;
    ccbuf_append(b, type, 4);
    ccbuf_append(b, data, len);
    put32(b, (uint32_t)crc32(0, b->data + start, (uInt)(len + 4)));
}

static void head(struct ccbuf *b, uint32_t w, uint32_t h, int depth, int color, int interlace)
{
    uint8_t ihdr[13] = {0};
    ccbuf_append(b, "\x89PNG\r\n\x1a\n", 8);
    for (int i = 0; i < 4; i++) {
        ihdr[i] = (uint8_t)(w >> (24 - 8 * i));
        ihdr[4 + i] = (uint8_t)(h >> (24 - 8 * i));
    }
    ihdr[8] = (uint8_t)depth;
    ihdr[9] = (uint8_t)color;
    ihdr[12] = (uint8_t)interlace;
    chunk(b, "IHDR", ihdr, 13);
}

/* Deflates what it is fed into IDAT chunks of at most chunk_max bytes. */
struct idat {
    z_stream z;
    struct ccbuf *png;
    uint8_t out[1 << 16];
    size_t chunk_max;
};

static void idat_begin(struct idat *d, struct ccbuf *png, int level, size_t chunk_max)
{
    memset(&d->z, 0, sizeof d->z);
    ASSERT_EQ(deflateInit(&d->z, level), Z_OK);
    d->png = png;
    d->chunk_max = chunk_max < sizeof d->out ? chunk_max : sizeof d->out;
    d->z.next_out = d->out;
    d->z.avail_out = (uInt)d->chunk_max;
}

static void idat_feed(struct idat *d, const void *p, size_t n, int flush)
{
    d->z.next_in = (Bytef *)(uintptr_t)p;
    d->z.avail_in = (uInt)n;
    for (;;) {
        int rc = deflate(&d->z, flush);
        ASSERT(rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR);
        if (d->z.avail_out == 0 || (rc == Z_STREAM_END && d->z.avail_out < d->chunk_max)) {
            chunk(d->png, "IDAT", d->out, (uint32_t)(d->chunk_max - d->z.avail_out));
            d->z.next_out = d->out;
            d->z.avail_out = (uInt)d->chunk_max;
            continue;
        }
        if (rc == Z_STREAM_END || (d->z.avail_in == 0 && flush == Z_NO_FLUSH))
            break;
    }
}

static void idat_end(struct idat *d)
{
    idat_feed(d, NULL, 0, Z_FINISH);
    deflateEnd(&d->z);
}

/* An 8-bit RGBA image by hand: pixel(x, y) from px, or all zero if px is NULL. */
typedef void (*pixel_fn)(uint32_t x, uint32_t y, uint8_t out[4]);

static void rgba_png(struct ccbuf *b, uint32_t w, uint32_t h, pixel_fn px, size_t chunk_max)
{
    struct idat d;
    uint8_t *row = xcalloc(1 + (size_t)w * 4, 1);
    head(b, w, h, 8, PNG_COLOR_TYPE_RGB_ALPHA, 0);
    idat_begin(&d, b, 6, chunk_max);
    for (uint32_t y = 0; y < h; y++) {
        for (uint32_t x = 0; px && x < w; x++)
            px(x, y, row + 1 + 4 * (size_t)x);
        idat_feed(&d, row, 1 + (size_t)w * 4, Z_NO_FLUSH);
    }
    idat_end(&d);
    chunk(b, "IEND", NULL, 0);
    free(row);
}

static uint32_t chunk_len(const struct ccbuf *b, size_t pos)
{
    return (uint32_t)b->data[pos] << 24 | (uint32_t)b->data[pos + 1] << 16 |
           (uint32_t)b->data[pos + 2] << 8 | b->data[pos + 3];
}

/* Offset of the nth (from 0; -1: the last) chunk of this type, or fails the test. */
static size_t find_chunk(const struct ccbuf *b, const char *type, int nth)
{
    size_t found = 0;
    for (size_t pos = 8; pos + 12 <= b->len; pos += 12 + chunk_len(b, pos))
        if (!memcmp(b->data + pos + 4, type, 4)) {
            found = pos;
            if (nth-- == 0)
                break;
        }
    ASSERT(found && nth < 0);
    return found;
}

/* Recomputes the CRC of the chunk at pos (after its data was changed on purpose). */
static void fix_crc(struct ccbuf *b, size_t pos)
{
    uint32_t len = chunk_len(b, pos), crc = (uint32_t)crc32(0, b->data + pos + 4, len + 4);
    for (int i = 0; i < 4; i++)
        b->data[pos + 8 + len + i] = (uint8_t)(crc >> (24 - 8 * i));
}

/* ---- PNGs with libpng ---- */

static void lib_error(png_structp png, png_const_charp msg)
{
    (void)png;
    fprintf(stderr, "libpng (test writer): %s\n", msg);
    exit(1);
}

static void lib_write(png_structp png, png_bytep p, size_t n)
{
    ccbuf_append(png_get_io_ptr(png), p, n);
}

static void lib_flush(png_structp png) { (void)png; }

/* A PNG of raw rows (libpng's packing: rowbytes each) in any format. */
static void lib_png(struct ccbuf *b, uint32_t w, uint32_t h, int depth, int color, int interlace,
                    const uint8_t *raw, size_t rowbytes, const png_color *plte, int nplte,
                    const uint8_t *trns, int ntrns)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, lib_error, NULL);
    png_infop info = png_create_info_struct(png);
    png_set_write_fn(png, b, lib_write, lib_flush);
    png_set_IHDR(png, info, w, h, depth, color,
                 interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (plte)
        png_set_PLTE(png, info, plte, nplte);
    if (trns)
        png_set_tRNS(png, info, trns, ntrns, NULL);
    png_write_info(png, info);
    png_bytep *rows = xmalloc(h * sizeof *rows);
    for (uint32_t y = 0; y < h; y++)
        rows[y] = (png_bytep)(uintptr_t)(raw + y * rowbytes);
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(rows);
}

/* ---- checks ---- */

static void expect(int line, const struct ccbuf *b, size_t len, int rc, const char *rule)
{
    struct kind_error err;
    int got = kind_validate(artwork, b->data, len, &err);
    if (got != rc || (rule ? !err.rule || strcmp(err.rule, rule) : err.rule != NULL)) {
        fprintf(stderr, "line %d: got %d %s (%s), want %d %s\n", line, got,
                err.rule ? err.rule : "-", err.message, rc, rule ? rule : "-");
        exit(1);
    }
    ASSERT_EQ(err.row, -1);
    ASSERT_EQ(err.col, -1);
}

#define EXPECT(b, rc, rule) expect(__LINE__, b, (b)->len, rc, rule)

static void pattern(uint32_t x, uint32_t y, uint8_t out[4])
{
    out[0] = (uint8_t)(x * 4);
    out[1] = (uint8_t)(y * 4);
    out[2] = (uint8_t)(x ^ y);
    out[3] = (uint8_t)(255 - x - y);
}

/* Decodes b and compares every pixel with want(x, y). */
static void expect_pixels(int line, const struct ccbuf *b, pixel_fn want)
{
    struct testimg im;
    testpng_decode(b->data, b->len, &im);
    for (uint32_t y = 0; y < im.h; y++)
        for (uint32_t x = 0; x < im.w; x++) {
            uint8_t w[4];
            const uint8_t *p = im.rgba + 4 * ((size_t)y * im.w + x);
            want(x, y, w);
            if (memcmp(p, w, 4)) {
                fprintf(stderr, "line %d: pixel (%u, %u) is %u,%u,%u,%u, want %u,%u,%u,%u\n", line,
                        x, y, p[0], p[1], p[2], p[3], w[0], w[1], w[2], w[3]);
                exit(1);
            }
        }
    free(im.rgba);
}

static void grey_pattern(uint32_t x, uint32_t y, uint8_t out[4])
{
    out[0] = out[1] = out[2] = (uint8_t)(x + 3 * y);
    out[3] = 255;
}

static void grey_alpha_pattern(uint32_t x, uint32_t y, uint8_t out[4])
{
    out[0] = out[1] = out[2] = (uint8_t)(x + 3 * y);
    out[3] = (uint8_t)(7 * x);
}

static void bit_pattern(uint32_t x, uint32_t y, uint8_t out[4])
{
    out[0] = out[1] = out[2] = (x + y) % 2 ? 255 : 0;
    out[3] = 255;
}

static const png_color palette[4] = {{10, 20, 30}, {40, 50, 60}, {70, 80, 90}, {255, 0, 0}};
static const uint8_t palette_alpha[2] = {0, 128};

static void palette_pattern(uint32_t x, uint32_t y, uint8_t out[4])
{
    unsigned i = (x + 2 * y) % 4;
    out[0] = palette[i].red;
    out[1] = palette[i].green;
    out[2] = palette[i].blue;
    out[3] = i < 2 ? palette_alpha[i] : 255;
}

static void test_formats(void)
{
    enum { N = 64 };
    uint8_t raw[N * N * 8];
    struct ccbuf b;
    ccbuf_init(&b);
    for (int interlace = 0; interlace <= 1; interlace++) {
        /* RGBA, 8 bits */
        for (uint32_t y = 0; y < N; y++)
            for (uint32_t x = 0; x < N; x++)
                pattern(x, y, raw + 4 * (y * N + x));
        lib_png(&b, N, N, 8, PNG_COLOR_TYPE_RGB_ALPHA, interlace, raw, N * 4, NULL, 0, NULL, 0);
        EXPECT(&b, 0, NULL);
        expect_pixels(__LINE__, &b, pattern);
        b.len = 0;

        /* RGBA, 16 bits: v·257 scales down to v exactly */
        for (uint32_t i = 0; i < N * N * 4; i++)
            raw[2 * i] = raw[2 * i + 1] = 0;
        for (uint32_t y = 0; y < N; y++)
            for (uint32_t x = 0; x < N; x++) {
                uint8_t p[4];
                pattern(x, y, p);
                for (int c = 0; c < 4; c++)
                    raw[8 * (y * N + x) + 2 * c] = raw[8 * (y * N + x) + 2 * c + 1] = p[c];
            }
        lib_png(&b, N, N, 16, PNG_COLOR_TYPE_RGB_ALPHA, interlace, raw, N * 8, NULL, 0, NULL, 0);
        EXPECT(&b, 0, NULL);
        expect_pixels(__LINE__, &b, pattern);
        b.len = 0;

        /* grey, grey + alpha, 1-bit grey */
        for (uint32_t y = 0; y < N; y++)
            for (uint32_t x = 0; x < N; x++)
                raw[y * N + x] = (uint8_t)(x + 3 * y);
        lib_png(&b, N, N, 8, PNG_COLOR_TYPE_GRAY, interlace, raw, N, NULL, 0, NULL, 0);
        EXPECT(&b, 0, NULL);
        expect_pixels(__LINE__, &b, grey_pattern);
        b.len = 0;
        for (uint32_t y = 0; y < N; y++)
            for (uint32_t x = 0; x < N; x++) {
                raw[2 * (y * N + x)] = (uint8_t)(x + 3 * y);
                raw[2 * (y * N + x) + 1] = (uint8_t)(7 * x);
            }
        lib_png(&b, N, N, 8, PNG_COLOR_TYPE_GRAY_ALPHA, interlace, raw, N * 2, NULL, 0, NULL, 0);
        EXPECT(&b, 0, NULL);
        expect_pixels(__LINE__, &b, grey_alpha_pattern);
        b.len = 0;
        memset(raw, 0, N * N / 8);
        for (uint32_t y = 0; y < N; y++)
            for (uint32_t x = 0; x < N; x++)
                if ((x + y) % 2)
                    raw[y * (N / 8) + x / 8] |= (uint8_t)(0x80 >> (x % 8));
        lib_png(&b, N, N, 1, PNG_COLOR_TYPE_GRAY, interlace, raw, N / 8, NULL, 0, NULL, 0);
        EXPECT(&b, 0, NULL);
        expect_pixels(__LINE__, &b, bit_pattern);
        b.len = 0;

        /* palette with tRNS (indices 0 and 1 translucent), 8 bits */
        for (uint32_t y = 0; y < N; y++)
            for (uint32_t x = 0; x < N; x++)
                raw[y * N + x] = (uint8_t)((x + 2 * y) % 4);
        lib_png(&b, N, N, 8, PNG_COLOR_TYPE_PALETTE, interlace, raw, N, palette, 4, palette_alpha,
                2);
        EXPECT(&b, 0, NULL);
        expect_pixels(__LINE__, &b, palette_pattern);
        b.len = 0;
    }
    /* odd sizes through the Adam7 passes */
    uint8_t *big = xmalloc(67 * 93 * 4);
    for (uint32_t y = 0; y < 93; y++)
        for (uint32_t x = 0; x < 67; x++)
            pattern(x, y, big + 4 * (y * 67 + x));
    lib_png(&b, 67, 93, 8, PNG_COLOR_TYPE_RGB_ALPHA, 1, big, 67 * 4, NULL, 0, NULL, 0);
    EXPECT(&b, 0, NULL);
    expect_pixels(__LINE__, &b, pattern);
    free(big);
    ccbuf_free(&b);
}

static void test_dimensions(void)
{
    struct ccbuf b;
    ccbuf_init(&b);
    static const uint32_t ok[][2] = {{64, 64}, {6000, 64}, {64, 6000}};
    static const uint32_t bad[][2] = {{63, 64}, {64, 63}, {6001, 64}, {64, 6001}, {1, 1}};
    for (size_t i = 0; i < CC_ARRAY_LEN(ok); i++) {
        rgba_png(&b, ok[i][0], ok[i][1], NULL, 1 << 16);
        EXPECT(&b, 0, NULL);
        b.len = 0;
    }
    for (size_t i = 0; i < CC_ARRAY_LEN(bad); i++) {
        rgba_png(&b, bad[i][0], bad[i][1], NULL, 1 << 16);
        EXPECT(&b, CC_EINVALID, "dimensions");
        b.len = 0;
    }
    /* a 1×1 image whose IHDR declares 100000 × 100000: refused from the header */
    rgba_png(&b, 1, 1, pattern, 1 << 16);
    b.data[16] = 0, b.data[17] = 0x01, b.data[18] = 0x86, b.data[19] = 0xa0;
    b.data[20] = 0, b.data[21] = 0x01, b.data[22] = 0x86, b.data[23] = 0xa0;
    fix_crc(&b, 8);
    EXPECT(&b, CC_EINVALID, "dimensions");
    b.data[16] = 0xff; /* and 2^31 and more, past what PNG allows */
    fix_crc(&b, 8);
    EXPECT(&b, CC_EINVALID, "dimensions");
    b.len = 0;

    /* the pixel limit on its own: 64×64 is 4096 pixels */
    const struct png_io_limits lim4095 = {64, 6000, 4095}, lim4096 = {64, 6000, 4096};
    const struct png_io_sink none = {NULL, NULL, NULL};
    struct kind_error err;
    rgba_png(&b, 64, 64, NULL, 1 << 16);
    ASSERT_EQ(png_io_decode(b.data, b.len, &lim4096, &none, &err), 0);
    ASSERT_EQ(png_io_decode(b.data, b.len, &lim4095, &none, &err), CC_EINVALID);
    ASSERT_STREQ(err.rule, "dimensions");
    ccbuf_free(&b);
}

static void split(uint32_t x, uint32_t y, uint8_t out[4])
{
    (void)y;
    out[0] = x < 3000 ? 255 : 0;
    out[1] = 0;
    out[2] = x < 3000 ? 0 : 255;
    out[3] = 255;
}

/* 6000 × 6000 is 36 million pixels exactly: accepted, and rendered (left half red,
 * right half blue) with memory for a row and the output only. */
static void test_largest(void)
{
    struct ccbuf b, png;
    ccbuf_init(&b);
    ccbuf_init(&png);
    rgba_png(&b, 6000, 6000, split, 1 << 16);
    EXPECT(&b, 0, NULL);
    struct kind_error err;
    ASSERT_EQ(kind_render(artwork, b.data, b.len, 1, &png, &err), 0);
    struct testimg im;
    testpng_decode(png.data, png.len, &im);
    ASSERT_EQ(im.w, 320);
    ASSERT_EQ(testimg_rgb(&im, PRINT_X + 10, PRINT_Y + 60), 0xff0000);
    ASSERT_EQ(testimg_rgb(&im, PRINT_X + PRINT_W - 10, PRINT_Y + 60), 0x0000ff);
    free(im.rgba);
    ccbuf_free(&b);
    ccbuf_free(&png);
}

static void test_broken(void)
{
    struct ccbuf b, good;
    ccbuf_init(&b);
    ccbuf_init(&good);
    rgba_png(&good, 64, 64, pattern, 1000); /* several IDAT chunks */
    size_t last_idat = find_chunk(&good, "IDAT", -1);
    ASSERT(last_idat > find_chunk(&good, "IDAT", 2));
    EXPECT(&good, 0, NULL);

#define RESET() (b.len = 0, ccbuf_append(&b, good.data, good.len))
    /* signature */
    RESET();
    b.data[1] = 'Q';
    EXPECT(&b, CC_EINVALID, "png");
    struct ccbuf gif;
    ccbuf_init(&gif);
    ccbuf_append(&gif, "GIF89a\x40\x00\x40\x00", 10);
    EXPECT(&gif, CC_EINVALID, "png");
    ccbuf_free(&gif);
    RESET();
    expect(__LINE__, &b, 0, CC_EINVALID, "png");
    expect(__LINE__, &b, 20, CC_EINVALID, "png");

    /* truncated: in the middle of the image data; without IEND */
    expect(__LINE__, &b, b.len / 2, CC_EINVALID, "png");
    expect(__LINE__, &b, b.len - 12, CC_EINVALID, "png");
    expect(__LINE__, &b, b.len - 1, CC_EINVALID, "png");

    /* CRCs: IHDR's, the first and the last IDAT's, an ancillary chunk's */
    RESET();
    b.data[8 + 8 + 13] ^= 1;
    EXPECT(&b, CC_EINVALID, "png");
    RESET();
    b.data[find_chunk(&b, "IDAT", 0) + 8 + 1000] ^= 1;
    EXPECT(&b, CC_EINVALID, "png");
    RESET();
    b.data[last_idat + 8 + chunk_len(&b, last_idat)] ^= 1;
    EXPECT(&b, CC_EINVALID, "png");
    b.len = 0;
    ccbuf_append(&b, good.data, 33);
    chunk(&b, "tEXt", "Title\0shirt", 11);
    b.data[b.len - 1] ^= 1;
    ccbuf_append(&b, good.data + 33, good.len - 33);
    EXPECT(&b, CC_EINVALID, "png");

    /* zlib: a damaged stream (CRC made right), a wrong Adler-32 */
    RESET();
    size_t idat = find_chunk(&b, "IDAT", 1);
    for (int i = 0; i < 16; i++)
        b.data[idat + 8 + 100 + i] ^= 0xa5;
    fix_crc(&b, idat);
    EXPECT(&b, CC_EINVALID, "png");
    RESET();
    b.data[last_idat + 8 + chunk_len(&b, last_idat) - 1] ^= 1;
    fix_crc(&b, last_idat);
    EXPECT(&b, CC_EINVALID, "png");

    /* chunks: an unknown critical one is an error, an unknown ancillary one, a large
     * text chunk and bytes after IEND are not */
    b.len = 0;
    ccbuf_append(&b, good.data, 33);
    chunk(&b, "CRAP", "x", 1);
    ccbuf_append(&b, good.data + 33, good.len - 33);
    EXPECT(&b, CC_EINVALID, "png");
    b.len = 0;
    ccbuf_append(&b, good.data, 33);
    chunk(&b, "teSt", "x", 1);
    uint8_t *text = xcalloc(200000, 1);
    memcpy(text, "Comment", 8);
    chunk(&b, "tEXt", text, 200000);
    free(text);
    ccbuf_append(&b, good.data + 33, good.len - 33);
    ccbuf_append(&b, "trailing junk", 13);
    EXPECT(&b, 0, NULL);
    /* no IDAT at all; IHDR not first */
    b.len = 0;
    ccbuf_append(&b, good.data, 33);
    chunk(&b, "IEND", NULL, 0);
    EXPECT(&b, CC_EINVALID, "png");
    b.len = 0;
    ccbuf_append(&b, good.data, 8);
    chunk(&b, "teSt", "x", 1);
    ccbuf_append(&b, good.data + 8, good.len - 8);
    EXPECT(&b, CC_EINVALID, "png");

    ccbuf_free(&b);
    ccbuf_free(&good);
#undef RESET
}

/* Image data that goes on past the declared image. */
static void test_bombs(void)
{
    struct ccbuf b;
    struct idat d;
    ccbuf_init(&b);
    /* 64×64 RGBA needs 64·257 bytes; this stream inflates to 256 MiB of zeros (~250 KB
     * compressed): refused after the last row, without inflating the rest */
    uint8_t *zeros = xcalloc(1 << 20, 1);
    head(&b, 64, 64, 8, PNG_COLOR_TYPE_RGB_ALPHA, 0);
    idat_begin(&d, &b, 9, 1 << 16);
    for (int i = 0; i < 256; i++)
        idat_feed(&d, zeros, 1 << 20, Z_NO_FLUSH);
    idat_end(&d);
    chunk(&b, "IEND", NULL, 0);
    ASSERT(b.len < 1 << 20);
    EXPECT(&b, CC_EINVALID, "png");
    b.len = 0;
    /* a few bytes too many: caught by libpng at the end of the stream */
    head(&b, 64, 64, 8, PNG_COLOR_TYPE_RGB_ALPHA, 0);
    idat_begin(&d, &b, 9, 1 << 16);
    idat_feed(&d, zeros, 64 * 257 + 10, Z_NO_FLUSH);
    idat_end(&d);
    chunk(&b, "IEND", NULL, 0);
    EXPECT(&b, CC_EINVALID, "png");
    b.len = 0;
    /* and one byte too few */
    head(&b, 64, 64, 8, PNG_COLOR_TYPE_RGB_ALPHA, 0);
    idat_begin(&d, &b, 9, 1 << 16);
    idat_feed(&d, zeros, 64 * 257 - 1, Z_NO_FLUSH);
    idat_end(&d);
    chunk(&b, "IEND", NULL, 0);
    EXPECT(&b, CC_EINVALID, "png");
    free(zeros);
    ccbuf_free(&b);
}

static void test_too_large(void)
{
    const size_t max = 16u << 20; /* SPEC §3 */
    struct ccbuf b;
    ccbuf_init(&b);
    rgba_png(&b, 64, 64, pattern, 1 << 16);
    size_t n = b.len;
    ccbuf_reserve(&b, max + 1 - n);
    memset(b.data + n, 0, max + 1 - n); /* after IEND: ignored */
    expect(__LINE__, &b, max, 0, NULL);
    struct kind_error err;
    ASSERT_EQ(kind_validate(artwork, b.data, max + 1, &err), CC_ETOOLARGE);
    ASSERT_STREQ(err.rule, "bytes");
    ccbuf_free(&b);
}

static void transparent(uint32_t x, uint32_t y, uint8_t out[4])
{
    (void)x, (void)y;
    memset(out, 0, 4);
}

static void red(uint32_t x, uint32_t y, uint8_t out[4])
{
    (void)x, (void)y;
    out[0] = 255, out[1] = out[2] = 0, out[3] = 255;
}

static void half_white(uint32_t x, uint32_t y, uint8_t out[4])
{
    (void)x, (void)y;
    out[0] = out[1] = out[2] = 255, out[3] = 128;
}

/* 2×2 blocks: opaque red and transparent black, like a checkerboard */
static void checker(uint32_t x, uint32_t y, uint8_t out[4])
{
    int on = (x + y) % 2;
    out[0] = on ? 255 : 0, out[1] = out[2] = 0, out[3] = on ? 255 : 0;
}

static void render(int thumb, uint32_t w, uint32_t h, pixel_fn px, struct testimg *im)
{
    struct ccbuf b, png;
    struct kind_error err;
    ccbuf_init(&b);
    ccbuf_init(&png);
    rgba_png(&b, w, h, px, 1 << 16);
    ASSERT_EQ(kind_render(artwork, b.data, b.len, thumb, &png, &err), 0);
    testpng_decode(png.data, png.len, im);
    ccbuf_free(&b);
    ccbuf_free(&png);
}

static uint8_t over(uint8_t src, uint8_t alpha, uint32_t dst)
{
    return (uint8_t)((src * alpha + dst * (255 - alpha) + 127) / 255);
}

static uint32_t channel(uint32_t rgb, int c) { return (rgb >> (16 - 8 * c)) & 0xff; }

/* Whether rgb is the shirt's fabric (its colour, shaded) */
static int is_shirt(uint32_t rgb)
{
    for (int c = 0; c < 3; c++)
        if (abs((int)channel(rgb, c) - (int)channel(SHIRT, c)) > SHIRT_SHADE)
            return 0;
    return 1;
}

/* Each channel of got within tol of want's. */
static int near(uint32_t got, uint32_t want, int tol)
{
    for (int c = 0; c < 3; c++)
        if (abs((int)channel(got, c) - (int)channel(want, c)) > tol)
            return 0;
    return 1;
}

static void test_render(void)
{
    struct testimg im, bare;
    const uint32_t cx = PRINT_X + PRINT_W / 2, cy = PRINT_Y + PRINT_H / 2;

    /* the garment alone (a transparent artwork): background around, fabric on the
     * body, the sleeves and below the collar */
    render(1, 64, 64, transparent, &bare);
    ASSERT_EQ(bare.w, 320);
    ASSERT_EQ(bare.h, 320);
    ASSERT_EQ(testimg_rgb(&bare, 2, 2), BACKGROUND);
    ASSERT_EQ(testimg_rgb(&bare, 317, 317), BACKGROUND);
    ASSERT_EQ(testimg_rgb(&bare, 160, 20), BACKGROUND); /* above the collar */
    ASSERT_EQ(testimg_rgb(&bare, 20, 250), BACKGROUND); /* beside the body */
    ASSERT(is_shirt(testimg_rgb(&bare, cx, cy)));
    ASSERT(is_shirt(testimg_rgb(&bare, 160, 280))); /* lower body */
    ASSERT(is_shirt(testimg_rgb(&bare, 60, 90)));   /* left sleeve */
    ASSERT(is_shirt(testimg_rgb(&bare, 260, 90)));  /* right sleeve */
    ASSERT(testimg_rgb(&bare, 160, 36) != BACKGROUND); /* the inside of the back of the neck */
    ASSERT(!is_shirt(testimg_rgb(&bare, 160, 36)));    /* ... in shadow */
    /* shading: the body's sides are darker than its middle */
    ASSERT(channel(testimg_rgb(&bare, 88, 200), 0) < channel(testimg_rgb(&bare, 160, 200), 0));
    ASSERT_EQ(testimg_alpha(&bare, cx, cy), 255);

    /* a square fills the print area's width, centred: 96×96 at (112, 91) */
    render(1, 64, 64, red, &im);
    ASSERT_EQ(testimg_rgb(&im, cx, cy), 0xff0000);
    ASSERT_EQ(testimg_rgb(&im, PRINT_X, 91), 0xff0000);
    ASSERT_EQ(testimg_rgb(&im, PRINT_X + 95, 91 + 95), 0xff0000);
    ASSERT(is_shirt(testimg_rgb(&im, PRINT_X - 1, cy)));
    ASSERT(is_shirt(testimg_rgb(&im, PRINT_X + 96, cy)));
    ASSERT(is_shirt(testimg_rgb(&im, cx, 90)));
    ASSERT(is_shirt(testimg_rgb(&im, cx, 91 + 96)));
    free(im.rgba);

    /* the full render: 1200 px, the print area x 420..779, y 282..761 */
    render(0, 64, 64, red, &im);
    ASSERT_EQ(im.w, 1200);
    ASSERT_EQ(im.h, 1200);
    ASSERT_EQ(testimg_rgb(&im, 600, 522), 0xff0000);
    ASSERT_EQ(testimg_rgb(&im, 420, 342), 0xff0000);
    ASSERT(is_shirt(testimg_rgb(&im, 419, 522)));
    ASSERT_EQ(testimg_rgb(&im, 5, 5), BACKGROUND);
    free(im.rgba);

    /* alpha over the shirt: the fabric as the bare mockup has it there */
    render(1, 64, 64, half_white, &im);
    uint32_t s = testimg_rgb(&bare, cx, cy);
    uint32_t want = (uint32_t)over(255, 128, channel(s, 0)) << 16 |
                    (uint32_t)over(255, 128, channel(s, 1)) << 8 | over(255, 128, channel(s, 2));
    ASSERT_EQ(testimg_rgb(&im, cx, cy), want);
    free(im.rgba);

    /* area averaging is alpha-aware: 192×256 halves exactly into the 96×128 print
     * area; each output pixel is 2 red and 2 transparent pixels, so red at half alpha
     * (transparent black adds no darkness) over the fabric */
    render(1, 192, 256, checker, &im);
    for (int k = 0; k < 2; k++) {
        uint32_t x = k ? PRINT_X : cx, y = k ? PRINT_Y : cy, f = testimg_rgb(&bare, x, y);
        uint32_t half = (255 + channel(f, 0)) / 2 << 16 | channel(f, 1) / 2 << 8 | channel(f, 2) / 2;
        ASSERT(near(testimg_rgb(&im, x, y), half, 1));
    }
    free(im.rgba);
    free(bare.rgba);

    /* interlaced or not, the same render */
    struct ccbuf plain, inter, p1, p2;
    struct kind_error err;
    ccbuf_init(&plain);
    ccbuf_init(&inter);
    ccbuf_init(&p1);
    ccbuf_init(&p2);
    uint8_t *raw = xmalloc(97 * 131 * 4);
    for (uint32_t y = 0; y < 131; y++)
        for (uint32_t x = 0; x < 97; x++)
            pattern(x, y, raw + 4 * (y * 97 + x));
    lib_png(&plain, 97, 131, 8, PNG_COLOR_TYPE_RGB_ALPHA, 0, raw, 97 * 4, NULL, 0, NULL, 0);
    lib_png(&inter, 97, 131, 8, PNG_COLOR_TYPE_RGB_ALPHA, 1, raw, 97 * 4, NULL, 0, NULL, 0);
    ASSERT_EQ(kind_render(artwork, plain.data, plain.len, 1, &p1, &err), 0);
    ASSERT_EQ(kind_render(artwork, inter.data, inter.len, 1, &p2, &err), 0);
    ASSERT_EQ(p1.len, p2.len);
    ASSERT(memcmp(p1.data, p2.data, p1.len) == 0);
    free(raw);
    ccbuf_free(&plain);
    ccbuf_free(&inter);
    ccbuf_free(&p1);
    ccbuf_free(&p2);

    /* an invalid artwork does not render, and leaves the output alone */
    struct ccbuf bad, out;
    ccbuf_init(&bad);
    ccbuf_init(&out);
    ccbuf_append(&out, "x", 1);
    rgba_png(&bad, 63, 64, red, 1 << 16);
    ASSERT_EQ(kind_render(artwork, bad.data, bad.len, 1, &out, &err), CC_EINVALID);
    ASSERT_STREQ(err.rule, "dimensions");
    ASSERT_EQ(out.len, 1);
    ccbuf_free(&bad);
    ccbuf_free(&out);
}

/* Red with a blue block at the centre, a fifth of each side (the artwork's centre). */
static uint32_t mark_w, mark_h;
static void marked(uint32_t x, uint32_t y, uint8_t out[4])
{
    int centre = 10 * x >= 4 * mark_w && 10 * x < 6 * mark_w && 10 * y >= 4 * mark_h &&
                 10 * y < 6 * mark_h;
    out[0] = centre ? 0 : 255, out[1] = 0, out[2] = centre ? 255 : 0, out[3] = 255;
}

/* A wide and a tall artwork keep their proportions inside the print area, whole (not
 * clipped), centred, their centre on the print area's centre. */
static void test_placement(void)
{
    static const uint32_t sizes[][2] = {{600, 200}, {200, 600}, {6000, 64}, {64, 6000}};
    for (size_t i = 0; i < CC_ARRAY_LEN(sizes); i++) {
        struct testimg im;
        mark_w = sizes[i][0], mark_h = sizes[i][1];
        render(1, mark_w, mark_h, marked, &im);
        uint32_t x0 = im.w, y0 = im.h, x1 = 0, y1 = 0, n = 0;
        double bx = 0, by = 0, nb = 0;
        for (uint32_t y = 0; y < im.h; y++)
            for (uint32_t x = 0; x < im.w; x++) {
                uint32_t p = testimg_rgb(&im, x, y);
                if (is_shirt(p) || p == BACKGROUND || channel(p, 1) > 60)
                    continue; /* fabric, background, shadow: not the artwork */
                n++;
                x0 = x < x0 ? x : x0, x1 = x > x1 ? x : x1;
                y0 = y < y0 ? y : y0, y1 = y > y1 ? y : y1;
                bx += (x + 0.5) * channel(p, 2), by += (y + 0.5) * channel(p, 2);
                nb += channel(p, 2); /* the centroid of blue */
            }
        const uint32_t w = x1 - x0 + 1, h = y1 - y0 + 1;
        /* inside the print area, touching its limiting sides */
        ASSERT(x0 >= PRINT_X && x1 < PRINT_X + PRINT_W && y0 >= PRINT_Y && y1 < PRINT_Y + PRINT_H);
        ASSERT(w == PRINT_W || h == PRINT_H);
        ASSERT_EQ(n, w * h); /* one whole rectangle */
        /* its proportions, to half a pixel of its short side */
        uint64_t a = (uint64_t)w * mark_h, b = (uint64_t)h * mark_w;
        ASSERT((a > b ? a - b : b - a) * 2 <= (mark_w > mark_h ? mark_w : mark_h));
        /* centred: the rectangle's centre and the marked centre on the print area's */
        const double pcx = PRINT_X + PRINT_W / 2.0, pcy = PRINT_Y + PRINT_H / 2.0;
        ASSERT(fabs((x0 + x1 + 1) / 2.0 - pcx) <= 0.5 && fabs((y0 + y1 + 1) / 2.0 - pcy) <= 0.5);
        ASSERT(nb > 0 && fabs(bx / nb - pcx) <= 1.0 && fabs(by / nb - pcy) <= 1.0);
        free(im.rgba);
    }
}

int main(void)
{
    artwork = kind_find("artwork");
    ASSERT(artwork);
    ASSERT_EQ(artwork->compress, 0);
    ASSERT(kind_sniff((const uint8_t *)"\x89PNG\r\n\x1a\n", 8) == artwork);
    test_formats();
    test_dimensions();
    test_broken();
    test_bombs();
    test_too_large();
    test_render();
    test_placement();
    test_largest();
    return 0;
}
