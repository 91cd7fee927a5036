/* Fuzz target `png`: shared/png_io.c's decoder under looser limits than the artwork
 * kind's (any side from 1, so small images of every colour type, bit depth and
 * interlacing reach the row code), and shared/image.c's area-averaging resampler fed
 * from it as the thumbnails are. The promise checked is png_io_decode's contract with
 * its sink: one begin with the declared size, then every pixel of the image exactly
 * once (plain rows or the seven Adam7 passes), inside the image; a refusal is rule
 * `png` or `dimensions`. */
#include <stdlib.h>
#include <string.h>

#include "ccerr.h"
#include "fuzz.h"
#include "image.h"
#include "kind.h"
#include "png_io.h"

/* Small enough to decode many inputs a second, large enough for every Adam7 pass. */
static const struct png_io_limits limits = {1, 4096, 1u << 20};

struct seen {
    uint32_t w, h;
    int begun;
    uint8_t *hit; /* one byte a pixel: times the sink got it */
    struct resample rs;
    int rs_ok;
};

static int on_begin(void *user, uint32_t w, uint32_t h)
{
    struct seen *s = user;
    FUZZ_CHECK(!s->begun);
    FUZZ_CHECK(w >= limits.min_side && w <= limits.max_side && h >= limits.min_side &&
               h <= limits.max_side && (uint64_t)w * h <= limits.max_pixels);
    s->begun = 1;
    s->w = w;
    s->h = h;
    s->hit = calloc((size_t)w * h, 1);
    FUZZ_CHECK(s->hit != NULL);
    /* The thumbnail's scaling: into a box of the artwork's print area (212 × 134). */
    uint32_t dw, dh;
    image_fit(w, h, 212, 134, &dw, &dh);
    FUZZ_CHECK(dw >= 1 && dh >= 1 && dw <= 212 && dh <= 134);
    s->rs_ok = resample_init(&s->rs, w, h, dw, dh) == 0;
    return s->rs_ok ? 0 : CC_EINTERNAL;
}

static void on_row(void *user, uint32_t y, uint32_t x0, uint32_t dx, uint32_t n,
                   const uint8_t *rgba)
{
    struct seen *s = user;
    FUZZ_CHECK(s->begun && y < s->h && dx >= 1 && n >= 1);
    FUZZ_CHECK(x0 + (uint64_t)dx * (n - 1) < s->w);
    for (uint32_t i = 0; i < n; i++)
        FUZZ_CHECK(s->hit[(size_t)y * s->w + x0 + (size_t)i * dx]++ == 0);
    resample_add(&s->rs, y, x0, dx, n, rgba);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct seen s;
    memset(&s, 0, sizeof s);
    const struct png_io_sink sink = {on_begin, on_row, &s};
    struct kind_error err;
    kind_error_clear(&err);
    int rc = png_io_decode(data, size, &limits, &sink, &err);
    FUZZ_CHECK(rc == 0 || rc == CC_EINVALID);
    if (rc)
        FUZZ_CHECK(err.rule && (!strcmp(err.rule, "png") || !strcmp(err.rule, "dimensions")));
    if (!rc) {
        FUZZ_CHECK(s.begun);
        for (size_t i = 0; i < (size_t)s.w * s.h; i++)
            FUZZ_CHECK(s.hit[i] == 1);
        uint8_t *canvas = malloc((size_t)212 * 134 * 4);
        FUZZ_CHECK(canvas != NULL);
        image_fill(canvas, (size_t)212 * 134, 0x123456);
        resample_over(&s.rs, canvas, 212, 0, 0);
        free(canvas);
    }
    if (s.rs_ok)
        resample_free(&s.rs);
    free(s.hit);
    return 0;
}
