/* Fuzz target `level`: the level kind (SPEC §3, shared/kinds/level.c) as an upload meets
 * it: the validator, then both renders (the 320×180 thumbnail and the full render). The
 * promises checked: the validator refuses with one of SPEC §3's rules and a place inside
 * the level; the renders draw exactly the levels that pass the rules up to `tile`
 * (playable or not) and make PNGs that decode, the thumbnail 320×180. */
#include <stdlib.h>
#include <string.h>

#include "ccerr.h"
#include "fuzz.h"
#include "kind.h"
#include "util.h"

static const struct kind *level;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    level = kind_find("level");
    return 0;
}

/* The rules level_render also checks (it draws unplayable levels). */
static int render_rule(const char *rule)
{
    return !strcmp(rule, "json") || !strcmp(rule, "format") || !strcmp(rule, "size") ||
           !strcmp(rule, "tile");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kind_error err;
    int rc = kind_validate(level, data, size, &err);
    FUZZ_CHECK(rc == 0 || rc == CC_EINVALID);
    if (rc) {
        static const char *const rules[] = {"json", "format", "size", "tile",
                                            "spawn", "goal", "playable"};
        int known = 0;
        for (size_t i = 0; i < CC_ARRAY_LEN(rules); i++)
            known |= err.rule && !strcmp(err.rule, rules[i]);
        FUZZ_CHECK(known);
        FUZZ_CHECK(err.row >= -1 && err.row < 256 && err.col >= -1 && err.col < 1024);
        FUZZ_CHECK(err.message[0] != '\0');
    }
    int drawable = rc == 0 || !render_rule(err.rule);
    for (int thumb = 1; thumb >= 0; thumb--) {
        struct ccbuf png;
        ccbuf_init(&png);
        struct kind_error rerr;
        int r = kind_render(level, data, size, thumb, &png, &rerr);
        FUZZ_CHECK(r == (drawable ? 0 : CC_EINVALID));
        if (!r)
            fuzz_check_png(png.data, png.len, thumb ? level->thumb_w : 0,
                           thumb ? level->thumb_h : 0);
        else
            FUZZ_CHECK(png.len == 0 && !strcmp(rerr.rule, err.rule));
        ccbuf_free(&png);
    }
    return 0;
}
