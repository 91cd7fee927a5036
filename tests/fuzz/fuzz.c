/* See fuzz.h. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>

#include "kind.h"
#include "png_io.h"

void fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: fuzz check failed: %s\n", file, line, what);
    abort();
}

static int note_size(void *user, uint32_t w, uint32_t h)
{
    uint32_t *wh = user;
    wh[0] = w;
    wh[1] = h;
    return 0;
}

void fuzz_check_png(const uint8_t *png, size_t len, uint32_t w, uint32_t h)
{
    /* Any size the renderers may make (a level's full render is up to 8192 × 2048). */
    const struct png_io_limits any = {1, 1u << 16, 1ull << 32};
    uint32_t wh[2] = {0, 0};
    const struct png_io_sink sink = {note_size, NULL, wh};
    struct kind_error err;
    kind_error_clear(&err);
    FUZZ_CHECK(png_io_decode(png, len, &any, &sink, &err) == 0);
    FUZZ_CHECK(!w || wh[0] == w);
    FUZZ_CHECK(!h || wh[1] == h);
}
