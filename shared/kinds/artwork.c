/* The `artwork` kind (SPEC §3): t-shirt artwork as a PNG, validated by decoding all of
 * it under hard limits (png_io.c), rendered as a shirt mockup with the artwork on its
 * chest. Stored as uploaded (already compressed). Re-entrant. */
#include <stdlib.h>

#include "ccerr.h"
#include "image.h"
#include "kind.h"
#include "png_io.h"
#include "util.h"

#define ARTWORK_MAX_BYTES (16u << 20) /* SPEC §3: at most 16 MiB */
#define ARTWORK_MIN_SIDE 64           /* SPEC §3: width and height 64–6000 */
#define ARTWORK_MAX_SIDE 6000
#define ARTWORK_MAX_PIXELS 36000000u /* SPEC §3: at most 36 million pixels */
#define ARTWORK_THUMB_PX 320         /* SPEC §3: 320×320 thumbnail */
#define ARTWORK_FULL_PX 1200         /* full render: 1200×1200 */

/* The mockup: a shirt of SHIRT colour on a BACKGROUND square; the artwork is scaled
 * to fit the print area on the chest (per mille of the side) and centred in it. */
#define ARTWORK_BACKGROUND 0xf0efeb
#define ARTWORK_SHIRT 0xc9ccd1
#define ARTWORK_PRINT_X0 330
#define ARTWORK_PRINT_X1 670
#define ARTWORK_PRINT_Y0 240
#define ARTWORK_PRINT_Y1 660

/* The shirt's outline in units of the side, clockwise from the left of the collar. */
static const float shirt_outline[][2] = {
    {0.400f, 0.100f}, {0.435f, 0.145f}, {0.500f, 0.160f}, {0.565f, 0.145f}, /* collar */
    {0.600f, 0.100f}, {0.730f, 0.140f}, {0.920f, 0.300f}, {0.840f, 0.420f}, /* right sleeve */
    {0.730f, 0.350f}, {0.730f, 0.920f}, {0.270f, 0.920f}, {0.270f, 0.350f}, /* body */
    {0.160f, 0.420f}, {0.080f, 0.300f}, {0.270f, 0.140f},                   /* left sleeve */
};

static const struct png_io_limits artwork_limits = {
    .min_side = ARTWORK_MIN_SIDE,
    .max_side = ARTWORK_MAX_SIDE,
    .max_pixels = ARTWORK_MAX_PIXELS,
};

/* Decodes every row (catching a bad CRC or zlib stream anywhere) and keeps none. */
static int artwork_validate(const uint8_t *buf, size_t len, struct kind_error *err)
{
    const struct png_io_sink discard = {NULL, NULL, NULL};
    return png_io_decode(buf, len, &artwork_limits, &discard, err);
}

static void draw_mockup(uint8_t *canvas, uint32_t side)
{
    float pts[CC_ARRAY_LEN(shirt_outline)][2];
    for (size_t i = 0; i < CC_ARRAY_LEN(shirt_outline); i++) {
        pts[i][0] = shirt_outline[i][0] * (float)side;
        pts[i][1] = shirt_outline[i][1] * (float)side;
    }
    image_fill(canvas, (size_t)side * side, ARTWORK_BACKGROUND);
    image_fill_polygon(canvas, side, side, (const float(*)[2])pts, CC_ARRAY_LEN(pts),
                       ARTWORK_SHIRT);
}

/* Scales the artwork into the print area while it decodes: memory is one PNG row plus
 * the scaled image's accumulators, whatever the artwork's size. */
struct render {
    uint32_t print_w, print_h;
    struct resample rs;
};

static int render_begin(void *user, uint32_t w, uint32_t h)
{
    struct render *rd = user;
    uint32_t dw, dh;
    image_fit(w, h, rd->print_w, rd->print_h, &dw, &dh);
    return resample_init(&rd->rs, w, h, dw, dh);
}

static void render_row(void *user, uint32_t y, uint32_t x0, uint32_t dx, uint32_t n,
                       const uint8_t *rgba)
{
    resample_add(&((struct render *)user)->rs, y, x0, dx, n, rgba);
}

static int artwork_render(const uint8_t *buf, size_t len, int thumb, struct ccbuf *png_out,
                          struct kind_error *err)
{
    const uint32_t side = thumb ? ARTWORK_THUMB_PX : ARTWORK_FULL_PX;
    const uint32_t x0 = side * ARTWORK_PRINT_X0 / 1000, y0 = side * ARTWORK_PRINT_Y0 / 1000;
    struct render rd = {
        .print_w = side * ARTWORK_PRINT_X1 / 1000 - x0,
        .print_h = side * ARTWORK_PRINT_Y1 / 1000 - y0,
    };
    const struct png_io_sink sink = {render_begin, render_row, &rd};
    int rc = png_io_decode(buf, len, &artwork_limits, &sink, err);
    if (!rc) {
        uint8_t *canvas = xmalloc((size_t)side * side * 4);
        draw_mockup(canvas, side);
        resample_over(&rd.rs, canvas, side, x0 + (rd.print_w - rd.rs.dw) / 2,
                      y0 + (rd.print_h - rd.rs.dh) / 2);
        rc = png_io_encode_rgba(canvas, side, side, png_out);
        free(canvas);
    }
    if (rc == CC_EINTERNAL)
        kind_fail(err, rc, "internal", -1, -1, "could not render the artwork");
    resample_free(&rd.rs);
    return rc;
}

const struct kind kind_artwork = {
    .name = "artwork",
    .max_bytes = ARTWORK_MAX_BYTES,
    .content_type = "image/png",
    .ext = "png",
    .magic = "\x89PNG\r\n\x1a\n",
    .magic_len = 8,
    .compress = 0,
    .thumb_w = ARTWORK_THUMB_PX,
    .thumb_h = ARTWORK_THUMB_PX,
    .validate = artwork_validate,
    .render = artwork_render,
};
