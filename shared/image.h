/* Pixel work for the renderers: RGBA canvases, an area-averaging (box filter)
 * resampler that takes pixels in any order (so a PNG can be scaled while it decodes,
 * interlaced or not), fitting a size into a box, and anti-aliased polygons. Colours are
 * 0xRRGGBB; canvases are opaque 8-bit RGBA, rows top to bottom. Re-entrant. */
#ifndef CC_IMAGE_H
#define CC_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* Sets one opaque pixel (4 bytes at px) to rgb. */
void image_put(uint8_t *px, uint32_t rgb);

/* Sets npix pixels from rgba on to rgb, opaque. */
void image_fill(uint8_t *rgba, size_t npix, uint32_t rgb);

/* The largest size with sw:sh's aspect ratio (rounded, at least 1×1) that fits in a
 * bw × bh box: one of *dw == bw or *dh == bh. */
void image_fit(uint32_t sw, uint32_t sh, uint32_t bw, uint32_t bh, uint32_t *dw, uint32_t *dh);

/* The share of each pixel of a w × h canvas that lies inside the polygon of n vertices
 * pts[i] = {x, y} (pixel units, even-odd rule), 0..255, written to cov (w·h bytes):
 * exact across each row, 4 samples down each pixel. For anti-aliased shapes. */
void image_polygon_coverage(uint8_t *cov, uint32_t w, uint32_t h, const float (*pts)[2],
                            size_t n);

/* Blends rgb over the opaque pixel at px with alpha 0..255. */
void image_blend(uint8_t *px, uint32_t rgb, uint32_t alpha);

/* Scales an sw × sh image to dw × dh: each output pixel is the average of the source
 * area it covers, weighted by alpha (a transparent pixel's colour counts for nothing).
 * Owns its buffers; the caller owns the struct. */
struct resample {
    uint32_t sw, sh, dw, dh;
    uint32_t *xfirst; /* per source column: the first output column it covers */
    uint32_t *xoff;   /* per source column: its first entry in xw (sw + 1 entries) */
    float *xw;        /* share of each covered output column's width */
    float *acc;       /* dw * dh * 4: sums of w·a·r, w·a·g, w·a·b, w·a (each 0..255) */
};

/* Prepares r for an sw × sh → dw × dh scale (all ≥ 1). Returns 0 or CC_EINTERNAL
 * (out of memory; r then needs no resample_free). */
int resample_init(struct resample *r, uint32_t sw, uint32_t sh, uint32_t dw, uint32_t dh);

/* Adds n source pixels (RGBA, straight alpha) of row y at columns x0, x0 + dx, ...
 * Each source pixel must be added exactly once; the order does not matter. */
void resample_add(struct resample *r, uint32_t y, uint32_t x0, uint32_t dx, uint32_t n,
                  const uint8_t *rgba);

/* Draws the scaled image alpha-over onto an opaque canvas cw pixels wide, its top left
 * at (cx, cy); it must fit. */
void resample_over(const struct resample *r, uint8_t *canvas, uint32_t cw, uint32_t cx,
                   uint32_t cy);

/* Frees r's buffers; safe after a failed resample_init only if r was zeroed. */
void resample_free(struct resample *r);

#endif
