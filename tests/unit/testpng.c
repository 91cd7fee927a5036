/* See testpng.h. */
#include "testpng.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kind.h"
#include "png_io.h"

static int on_begin(void *user, uint32_t w, uint32_t h)
{
    struct testimg *im = user;
    im->w = w;
    im->h = h;
    im->rgba = calloc((size_t)w * h, 4);
    return im->rgba ? 0 : -1;
}

static void on_row(void *user, uint32_t y, uint32_t x0, uint32_t dx, uint32_t n,
                   const uint8_t *rgba)
{
    struct testimg *im = user;
    for (uint32_t i = 0; i < n; i++)
        memcpy(im->rgba + ((size_t)y * im->w + x0 + i * dx) * 4, rgba + 4 * i, 4);
}

void testpng_decode(const uint8_t *buf, size_t len, struct testimg *im)
{
    const struct png_io_limits lim = {1, 16384, 16384ull * 16384};
    const struct png_io_sink sink = {on_begin, on_row, im};
    struct kind_error err;
    kind_error_clear(&err);
    im->rgba = NULL;
    int rc = png_io_decode(buf, len, &lim, &sink, &err);
    if (rc)
        fprintf(stderr, "testpng_decode: %d %s\n", rc, err.message);
    ASSERT_EQ(rc, 0);
}

uint32_t testimg_rgb(const struct testimg *im, uint32_t x, uint32_t y)
{
    ASSERT(x < im->w && y < im->h);
    const uint8_t *p = im->rgba + ((size_t)y * im->w + x) * 4;
    return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

uint8_t testimg_alpha(const struct testimg *im, uint32_t x, uint32_t y)
{
    ASSERT(x < im->w && y < im->h);
    return im->rgba[((size_t)y * im->w + x) * 4 + 3];
}
