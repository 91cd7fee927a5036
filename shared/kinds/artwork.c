/* The `artwork` kind (SPEC §3): t-shirt artwork as a PNG, validated by decoding all of
 * it under hard limits (png_io.c), rendered as a shirt mockup with the artwork on its
 * chest. Stored as uploaded (already compressed). Re-entrant. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* The mockup: a T-shirt seen from the front on a BACKGROUND square, drawn with
 * anti-aliased shapes: its outline with sleeves, the ribbed collar and the inside of
 * the back of the neck, stitches at the sleeve ends and the hem, fabric shading (darker
 * towards the sides and sleeves, folds under the arms, light on the chest) and a soft
 * shadow. The artwork is scaled to fit the print area (per mille of the side: 3:4, a
 * chest print's 12 × 16 inches) at its own proportions, centred in it, never clipped,
 * and keeps its true colours (no shading over it). */
#define ARTWORK_BACKGROUND 0xf0efeb
#define ARTWORK_SHIRT 0xcfd2d6
#define ARTWORK_PRINT_X0 350
#define ARTWORK_PRINT_X1 650
#define ARTWORK_PRINT_Y0 235
#define ARTWORK_PRINT_Y1 635

/* The shirt's outline in units of the side, clockwise from the left of the collar,
 * ending along the front neckline (its last 5 points: NECKLINE_FROM on). */
static const float shirt_outline[][2] = {
    {0.405f, 0.115f}, {0.300f, 0.145f}, {0.255f, 0.165f}, {0.200f, 0.200f}, /* shoulder */
    {0.100f, 0.330f}, {0.185f, 0.400f}, {0.255f, 0.345f},                   /* left sleeve */
    {0.265f, 0.600f}, {0.255f, 0.915f}, {0.500f, 0.925f}, {0.745f, 0.915f}, /* body, hem */
    {0.735f, 0.600f}, {0.745f, 0.345f}, {0.815f, 0.400f}, {0.900f, 0.330f}, /* right sleeve */
    {0.800f, 0.200f}, {0.745f, 0.165f}, {0.700f, 0.145f}, {0.595f, 0.115f}, /* shoulder */
    {0.570f, 0.150f}, {0.535f, 0.170f}, {0.500f, 0.176f}, {0.465f, 0.170f}, /* neckline */
    {0.430f, 0.150f},
};
#define NECKLINE_FROM 18 /* shirt_outline[18..] and [0]: the front neckline, right to left */
#define NECKLINE_POINTS 7

/* The inside of the back of the neck, seen through the collar. */
static const float back_neck[][2] = {
    {0.405f, 0.115f}, {0.445f, 0.104f}, {0.500f, 0.100f}, {0.555f, 0.104f}, {0.595f, 0.115f},
    {0.570f, 0.150f}, {0.535f, 0.170f}, {0.500f, 0.176f}, {0.465f, 0.170f}, {0.430f, 0.150f},
};
#define COLLAR_RIB 0.022f /* the collar's width, outwards from the neckline */
#define STITCH_INSET 0.030f /* stitches: this far in from the sleeve ends and the hem */
#define STITCH_WIDTH 0.005f

/* Everything the mockup's shapes need: the canvas and a coverage mask of its size. */
struct mockup {
    uint8_t *canvas, *cov;
    uint32_t side;
};

/* The fabric's colour at pixel (x, y): ARTWORK_SHIRT shaded, times factor. */
static uint32_t fabric(const struct mockup *m, uint32_t x, uint32_t y, float factor)
{
    const float u = ((float)x + 0.5f) / (float)m->side, v = ((float)y + 0.5f) / (float)m->side;
    const float d = (u - 0.5f) / 0.245f, side_dist = fabsf(u - 0.5f) - 0.19f;
    float f = 1.0f;
    if (fabsf(d) <= 1.0f)
        f -= 0.10f * d * d * d * d; /* the body rounds away at its sides */
    else
        f -= 0.10f + 0.06f * (fabsf(d) - 1.0f); /* sleeves, turned away */
    if (v > 0.34f)                              /* folds falling from the armpits */
        f -= 0.06f * expf(-(side_dist * side_dist) / (0.03f * 0.03f)) *
             fminf(1.0f, (v - 0.34f) / 0.1f) * fmaxf(0.0f, 1.0f - (v - 0.44f) / 0.4f);
    f += 0.05f * expf(-(((u - 0.5f) / 0.16f) * ((u - 0.5f) / 0.16f) +
                        ((v - 0.33f) / 0.14f) * ((v - 0.33f) / 0.14f))); /* light on the chest */
    if (v > 0.8f)
        f -= 0.04f * (v - 0.8f) / 0.12f;
    f *= factor;
    uint32_t rgb = 0;
    for (int c = 0; c < 3; c++) {
        float ch = (float)((ARTWORK_SHIRT >> (16 - 8 * c)) & 0xff) * f;
        rgb |= (uint32_t)(ch > 255.0f ? 255.0f : ch < 0.0f ? 0.0f : ch + 0.5f) << (16 - 8 * c);
    }
    return rgb;
}

/* Paints the polygon (units of the side, moved by dx, dy) in the fabric's colour times
 * factor (0: black), at alpha times each pixel's coverage. */
static void paint(struct mockup *m, const float (*pts)[2], size_t n, float dx, float dy,
                  float factor, uint32_t alpha)
{
    float px[CC_ARRAY_LEN(shirt_outline)][2];
    for (size_t i = 0; i < n && i < CC_ARRAY_LEN(px); i++) {
        px[i][0] = (pts[i][0] + dx) * (float)m->side;
        px[i][1] = (pts[i][1] + dy) * (float)m->side;
    }
    image_polygon_coverage(m->cov, m->side, m->side, (const float(*)[2])px, n);
    for (uint32_t y = 0; y < m->side; y++)
        for (uint32_t x = 0; x < m->side; x++) {
            size_t i = (size_t)y * m->side + x;
            if (m->cov[i])
                image_blend(m->canvas + 4 * i, factor > 0 ? fabric(m, x, y, factor) : 0,
                            (m->cov[i] * alpha + 127) / 255);
        }
}

/* A stitch: a thin band along the middle 90 % of the edge a-b (so it stays inside the
 * shape), moved in by STITCH_INSET along the unit (ux, uy). */
static void stitch(struct mockup *m, const float *a, const float *b, float ux, float uy)
{
    const float in0 = STITCH_INSET, in1 = STITCH_INSET + STITCH_WIDTH;
    const float a0 = a[0] + 0.05f * (b[0] - a[0]), a1 = a[1] + 0.05f * (b[1] - a[1]);
    const float b0 = b[0] + 0.05f * (a[0] - b[0]), b1 = b[1] + 0.05f * (a[1] - b[1]);
    const float band[4][2] = {{a0 + in0 * ux, a1 + in0 * uy},
                              {b0 + in0 * ux, b1 + in0 * uy},
                              {b0 + in1 * ux, b1 + in1 * uy},
                              {a0 + in1 * ux, a1 + in1 * uy}};
    paint(m, band, 4, 0, 0, 0.86f, 255);
}

static void draw_mockup(uint8_t *canvas, uint32_t side)
{
    struct mockup m = {canvas, xmalloc((size_t)side * side), side};
    const size_t n = CC_ARRAY_LEN(shirt_outline);
    image_fill(canvas, (size_t)side * side, ARTWORK_BACKGROUND);
    for (int k = 1; k <= 4; k++) /* the shadow, soft in steps */
        paint(&m, shirt_outline, n, 0.004f * (float)k, 0.006f * (float)k, 0, 10);
    paint(&m, back_neck, CC_ARRAY_LEN(back_neck), 0, 0, 0.70f, 255);
    paint(&m, shirt_outline, n, 0, 0, 1.0f, 255);

    /* The collar: a rib from the neckline into the shirt (away from a point above the
     * neck, so its ends stay under the shoulders), its seam a darker line on the rib's
     * outer edge. */
    float rib[2 * NECKLINE_POINTS][2], seam[2 * NECKLINE_POINTS][2];
    const size_t nl = NECKLINE_POINTS;
    _Static_assert(CC_ARRAY_LEN(shirt_outline) - NECKLINE_FROM + 1 == NECKLINE_POINTS,
                   "the neckline is the outline's last points and its first");
    for (size_t i = 0; i < nl; i++) {
        const float *p = shirt_outline[(NECKLINE_FROM + i) % n];
        float ux = p[0] - 0.5f, uy = p[1] + 0.05f, len = sqrtf(ux * ux + uy * uy);
        rib[i][0] = seam[i][0] = p[0];
        rib[i][1] = seam[i][1] = p[1];
        rib[2 * nl - 1 - i][0] = p[0] + COLLAR_RIB * ux / len;
        rib[2 * nl - 1 - i][1] = p[1] + COLLAR_RIB * uy / len;
        seam[2 * nl - 1 - i][0] = p[0] + (COLLAR_RIB + STITCH_WIDTH) * ux / len;
        seam[2 * nl - 1 - i][1] = p[1] + (COLLAR_RIB + STITCH_WIDTH) * uy / len;
    }
    paint(&m, seam, 2 * nl, 0, 0, 0.84f, 255);
    paint(&m, rib, 2 * nl, 0, 0, 0.94f, 255);

    /* Stitches at each sleeve's end (moved up its arm) and along the hem. */
    const float *l_out = shirt_outline[4], *l_in = shirt_outline[5];
    const float *r_in = shirt_outline[13], *r_out = shirt_outline[14];
    stitch(&m, l_out, l_in, 0.49f, -0.87f);
    stitch(&m, r_in, r_out, -0.49f, -0.87f);
    const float hem_l[2] = {0.262f, 0.915f}, hem_r[2] = {0.738f, 0.915f};
    stitch(&m, hem_l, hem_r, 0, -1.0f);
    free(m.cov);
}

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

/* The fingerprint: the artwork scaled to 9 × 8 by area averaging (as the thumbnail is
 * made), in grey, over white where it is transparent, then its difference hash: the
 * same for a re-encoded file, nearly the same scaled or with its colours shifted. */
static int fp_begin(void *user, uint32_t w, uint32_t h)
{
    return resample_init(&((struct render *)user)->rs, w, h, 9, 8);
}

static int artwork_fingerprint(const uint8_t *buf, size_t len, uint64_t *out)
{
    struct render rd;
    memset(&rd, 0, sizeof rd);
    const struct png_io_sink sink = {fp_begin, render_row, &rd};
    struct kind_error err;
    int rc = png_io_decode(buf, len, &artwork_limits, &sink, &err);
    if (!rc) {
        uint8_t canvas[9 * 8 * 4];
        image_fill(canvas, 9 * 8, 0xFFFFFF);
        resample_over(&rd.rs, canvas, 9, 0, 0);
        double grid[8][9];
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 9; x++) {
                const uint8_t *p = canvas + (y * 9 + x) * 4;
                grid[y][x] = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
            }
        *out = kind_dhash(grid);
    }
    resample_free(&rd.rs);
    return rc ? CC_EINTERNAL : 0;
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
    .fingerprint = artwork_fingerprint,
    .lookalike_bits = 10,
};
