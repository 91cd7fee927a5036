/* Fuzz target `artwork`: the artwork kind (SPEC §3, shared/kinds/artwork.c) as an upload
 * meets it: the validator (a full libpng decode under the limits), then the thumbnail
 * (the artwork scaled while it decodes onto the shirt mockup). The promises checked: a
 * refusal is rule `png` or `dimensions`; the thumbnail is made exactly for artwork that
 * validates, and is a 320×320 PNG that decodes. (The full render is the same code at
 * 1200×1200: too slow to run on every input.) */
#include <string.h>

#include "ccerr.h"
#include "fuzz.h"
#include "kind.h"
#include "util.h"

static const struct kind *artwork;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    artwork = kind_find("artwork");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kind_error err;
    int rc = kind_validate(artwork, data, size, &err);
    FUZZ_CHECK(rc == 0 || rc == CC_EINVALID);
    if (rc)
        FUZZ_CHECK(err.rule && (!strcmp(err.rule, "png") || !strcmp(err.rule, "dimensions")));
    struct ccbuf png;
    ccbuf_init(&png);
    struct kind_error rerr;
    int r = kind_render(artwork, data, size, 1, &png, &rerr);
    FUZZ_CHECK(r == rc);
    if (!r)
        fuzz_check_png(png.data, png.len, artwork->thumb_w, artwork->thumb_h);
    else
        FUZZ_CHECK(png.len == 0 && !strcmp(rerr.rule, err.rule));
    ccbuf_free(&png);
    return 0;
}
