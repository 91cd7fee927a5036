/* RGBA canvases, box-filter resampling, polygons. See image.h.
 *
 * Resampling is exact area averaging done in integers where it can be: source column
 * x covers [x·dw, (x+1)·dw) and output column X covers [X·sw, (X+1)·sw) on a common
 * axis, so the overlaps are whole numbers and each output pixel's weights sum to 1. */
#include "image.h"

#include <stdlib.h>

#include "ccerr.h"
#include "util.h"

void image_put(uint8_t *px, uint32_t rgb)
{
    px[0] = (uint8_t)(rgb >> 16);
    px[1] = (uint8_t)(rgb >> 8);
    px[2] = (uint8_t)rgb;
    px[3] = 0xff;
}

void image_fill(uint8_t *rgba, size_t npix, uint32_t rgb)
{
    for (size_t i = 0; i < npix; i++)
        image_put(rgba + 4 * i, rgb);
}

void image_fit(uint32_t sw, uint32_t sh, uint32_t bw, uint32_t bh, uint32_t *dw, uint32_t *dh)
{
    uint64_t w = bw, h = bh;
    if ((uint64_t)sw * bh >= (uint64_t)sh * bw) /* wider than the box: full width */
        h = ((uint64_t)sh * bw + sw / 2) / sw;
    else
        w = ((uint64_t)sw * bh + sh / 2) / sh;
    *dw = w ? (uint32_t)w : 1;
    *dh = h ? (uint32_t)h : 1;
}

/* Most crossings a scanline can have: enough for the few shapes we draw. */
#define IMAGE_MAX_CROSSINGS 32
#define IMAGE_SUBROWS 4 /* sample rows per pixel row: vertical anti-aliasing */

void image_polygon_coverage(uint8_t *cov, uint32_t w, uint32_t h, const float (*pts)[2],
                            size_t n)
{
    float *row = xmalloc((size_t)w * sizeof *row);
    for (uint32_t y = 0; y < h; y++) {
        for (uint32_t x = 0; x < w; x++)
            row[x] = 0;
        for (int k = 0; k < IMAGE_SUBROWS; k++) {
            float yc = (float)y + ((float)k + 0.5f) / IMAGE_SUBROWS, xs[IMAGE_MAX_CROSSINGS];
            size_t nx = 0;
            for (size_t i = 0; i < n && nx < IMAGE_MAX_CROSSINGS; i++) {
                const float *a = pts[i], *b = pts[(i + 1) % n];
                if ((a[1] <= yc) != (b[1] <= yc))
                    xs[nx++] = a[0] + (yc - a[1]) * (b[0] - a[0]) / (b[1] - a[1]);
            }
            for (size_t i = 1; i < nx; i++) /* insertion sort: a handful of crossings */
                for (size_t j = i; j > 0 && xs[j - 1] > xs[j]; j--) {
                    float t = xs[j];
                    xs[j] = xs[j - 1];
                    xs[j - 1] = t;
                }
            for (size_t i = 0; i + 1 < nx; i += 2) { /* the span [x0, x1), exactly */
                float x0 = xs[i] < 0 ? 0 : xs[i], x1 = xs[i + 1] > (float)w ? (float)w : xs[i + 1];
                for (uint32_t x = (uint32_t)x0; (float)x < x1 && x < w; x++) {
                    float lo = (float)x > x0 ? (float)x : x0;
                    float hi = (float)(x + 1) < x1 ? (float)(x + 1) : x1;
                    row[x] += (hi - lo) / IMAGE_SUBROWS;
                }
            }
        }
        for (uint32_t x = 0; x < w; x++)
            cov[(size_t)y * w + x] = (uint8_t)(row[x] >= 1 ? 255 : row[x] * 255 + 0.5f);
    }
    free(row);
}

void image_blend(uint8_t *px, uint32_t rgb, uint32_t alpha)
{
    for (int c = 0; c < 3; c++) {
        uint32_t src = (rgb >> (16 - 8 * c)) & 0xff;
        px[c] = (uint8_t)((src * alpha + px[c] * (255 - alpha) + 127) / 255);
    }
}

int resample_init(struct resample *r, uint32_t sw, uint32_t sh, uint32_t dw, uint32_t dh)
{
    *r = (struct resample){.sw = sw, .sh = sh, .dw = dw, .dh = dh};
    r->acc = calloc((size_t)dw * dh * 4, sizeof *r->acc);
    if (!r->acc)
        return CC_EINTERNAL;
    r->xfirst = xmalloc((size_t)sw * sizeof *r->xfirst);
    r->xoff = xmalloc(((size_t)sw + 1) * sizeof *r->xoff);
    r->xw = xmalloc(((size_t)sw + dw) * sizeof *r->xw); /* each column adds ≤ 1 boundary */
    uint32_t k = 0;
    for (uint32_t x = 0; x < sw; x++) {
        uint64_t lo = (uint64_t)x * dw, hi = lo + dw;
        r->xfirst[x] = (uint32_t)(lo / sw);
        r->xoff[x] = k;
        for (uint64_t X = lo / sw; X * sw < hi; X++) {
            uint64_t a = lo > X * sw ? lo : X * sw, b = hi < (X + 1) * sw ? hi : (X + 1) * sw;
            r->xw[k++] = (float)(b - a) / (float)sw;
        }
    }
    r->xoff[sw] = k;
    return 0;
}

void resample_add(struct resample *r, uint32_t y, uint32_t x0, uint32_t dx, uint32_t n,
                  const uint8_t *rgba)
{
    uint64_t lo = (uint64_t)y * r->dh, hi = lo + r->dh;
    for (uint64_t Y = lo / r->sh; Y * r->sh < hi; Y++) {
        uint64_t a = lo > Y * r->sh ? lo : Y * r->sh;
        uint64_t b = hi < (Y + 1) * r->sh ? hi : (Y + 1) * r->sh;
        float wy = (float)(b - a) / (float)r->sh;
        float *row = r->acc + Y * r->dw * 4;
        for (uint32_t i = 0; i < n; i++) {
            const uint8_t *p = rgba + 4 * (size_t)i;
            if (!p[3])
                continue; /* contributes nothing to any sum */
            uint32_t x = x0 + i * dx;
            float wa = wy * p[3], cr = wa * p[0], cg = wa * p[1], cb = wa * p[2];
            float *o = row + 4 * (size_t)r->xfirst[x];
            for (uint32_t k = r->xoff[x]; k < r->xoff[x + 1]; k++, o += 4) {
                float w = r->xw[k];
                o[0] += w * cr;
                o[1] += w * cg;
                o[2] += w * cb;
                o[3] += w * wa;
            }
        }
    }
}

static uint8_t clamp_round(float v) { return v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)(v + 0.5f); }

void resample_over(const struct resample *r, uint8_t *canvas, uint32_t cw, uint32_t cx, uint32_t cy)
{
    for (uint32_t Y = 0; Y < r->dh; Y++)
        for (uint32_t X = 0; X < r->dw; X++) {
            const float *s = r->acc + ((size_t)Y * r->dw + X) * 4;
            uint8_t *d = canvas + ((size_t)(cy + Y) * cw + cx + X) * 4;
            /* s holds premultiplied colour ×255: out = src + dst·(1 − alpha) */
            float keep = 1.0f - s[3] / 255.0f;
            for (int c = 0; c < 3; c++)
                d[c] = clamp_round(s[c] / 255.0f + d[c] * keep);
        }
}

void resample_free(struct resample *r)
{
    free(r->acc);
    free(r->xfirst);
    free(r->xoff);
    free(r->xw);
    r->acc = NULL;
    r->xfirst = r->xoff = NULL;
    r->xw = NULL;
}
