/* The `level` kind: every SPEC §3 rule at its limit and just past it (reported rule,
 * row and col), the movement model's reach, and the renders' sizes and pixels. */
#include <stdlib.h>
#include <string.h>

#include "ccerr.h"
#include "check.h"
#include "kind.h"
#include "testpng.h"
#include "util.h"

/* The documented palette (shared/kinds/level.c). */
#define SKY 0x87ceeb
#define GROUND 0x6b4f2a
#define SPAWN 0x2ecc71
#define GOAL 0xff8c1a

static const struct kind *level;

/* {"format":..,"width":w,"height":h,"rows":[rows...]}: rows copied into the JSON text
 * as they are (so they may hold JSON escapes). Caller frees. */
static char *level_json(int w, int h, const char *const *rows, int nrows)
{
    struct ccbuf b;
    char head[128];
    ccbuf_init(&b);
    snprintf(head, sizeof head,
             "{\"format\":\"cocreate.level/1\",\"width\":%d,\"height\":%d,\"rows\":[", w, h);
    ccbuf_append(&b, head, strlen(head));
    for (int r = 0; r < nrows; r++) {
        ccbuf_append(&b, r ? ",\"" : "\"", r ? 2 : 1);
        ccbuf_append(&b, rows[r], strlen(rows[r]));
        ccbuf_append(&b, "\"", 1);
    }
    ccbuf_append(&b, "]}", 3);
    return (char *)b.data;
}

/* A w × h level: air, ground along the bottom row, spawn and goal on it at the left
 * and right ends. Rows are malloc'd; free with free_rows. */
static char **floor_rows(int w, int h)
{
    char **rows = xmalloc((size_t)h * sizeof *rows);
    for (int r = 0; r < h; r++) {
        rows[r] = xmalloc((size_t)w + 1);
        memset(rows[r], r == h - 1 ? '#' : '.', (size_t)w);
        rows[r][w] = '\0';
    }
    rows[h - 2][0] = 'S';
    rows[h - 2][w - 1] = 'G';
    return rows;
}

static void free_rows(char **rows, int h)
{
    for (int r = 0; r < h; r++)
        free(rows[r]);
    free(rows);
}

static void expect_json(int line, const char *json, size_t len, int rc, const char *rule, int row,
                        int col)
{
    struct kind_error err;
    int got = kind_validate(level, (const uint8_t *)json, len, &err);
    if (got != rc || (rule && (!err.rule || strcmp(err.rule, rule))) || (!rule && err.rule) ||
        err.row != row || err.col != col) {
        fprintf(stderr, "line %d: got %d rule %s row %d col %d (%s); want %d %s %d %d\n", line, got,
                err.rule ? err.rule : "-", err.row, err.col, err.message, rc, rule ? rule : "-",
                row, col);
        exit(1);
    }
}

#define EXPECT_TEXT(json, rc, rule, row, col)                                                      \
    expect_json(__LINE__, json, strlen(json), rc, rule, row, col)

/* A level given as rows of a string array (width from the first row). */
#define EXPECT_MAP(map, rc, rule, row, col)                                                        \
    do {                                                                                           \
        char *j_ = level_json((int)strlen((map)[0]), (int)CC_ARRAY_LEN(map), map,                  \
                              (int)CC_ARRAY_LEN(map));                                             \
        expect_json(__LINE__, j_, strlen(j_), rc, rule, row, col);                                 \
        free(j_);                                                                                  \
    } while (0)

#define OK_MAP(map) EXPECT_MAP(map, 0, NULL, -1, -1)

/* A floor level of w × h, optionally with the declared width or height changed. */
static void expect_floor(int line, int w, int h, int decl_w, int decl_h, int rc, const char *rule)
{
    char **rows = floor_rows(w, h);
    char *j = level_json(decl_w, decl_h, (const char *const *)rows, h);
    expect_json(line, j, strlen(j), rc, rule, -1, -1);
    free(j);
    free_rows(rows, h);
}

static void test_sizes(void)
{
    expect_floor(__LINE__, 16, 8, 16, 8, 0, NULL);
    expect_floor(__LINE__, 15, 8, 15, 8, CC_EINVALID, "size");
    expect_floor(__LINE__, 1024, 8, 1024, 8, 0, NULL);
    expect_floor(__LINE__, 1025, 8, 1025, 8, CC_EINVALID, "size");
    expect_floor(__LINE__, 16, 7, 16, 7, CC_EINVALID, "size");
    expect_floor(__LINE__, 16, 256, 16, 256, 0, NULL);
    expect_floor(__LINE__, 16, 257, 16, 257, CC_EINVALID, "size");
    expect_floor(__LINE__, 1024, 256, 1024, 256, 0, NULL);
    /* rows count must equal the height */
    expect_floor(__LINE__, 16, 8, 16, 9, CC_EINVALID, "size");
    expect_floor(__LINE__, 16, 9, 16, 8, CC_EINVALID, "size");
    EXPECT_TEXT("{\"format\":\"cocreate.level/1\",\"width\":-16,\"height\":8,\"rows\":[]}",
                CC_EINVALID, "size", -1, -1);
    EXPECT_TEXT("{\"format\":\"cocreate.level/1\",\"width\":16,\"height\":99999999999999,"
                "\"rows\":[]}",
                CC_EINVALID, "size", -1, -1);

    /* each row exactly W: one short, one long */
    static const char *const short_row[] = {
        "................", "................", "................", "...............",
        "................", "................", "S..............G", "################",
    };
    EXPECT_MAP(short_row, CC_EINVALID, "size", 3, -1);
    static const char *const long_row[] = {
        "................", "................",  "................", "................",
        "................", ".................", "S..............G", "################",
    };
    EXPECT_MAP(long_row, CC_EINVALID, "size", 5, -1);
}

static void test_tiles(void)
{
    static const char *const every_tile[] = {
        "....................", "....o.....E.........", "...===..............",
        "................~~..", "..........^.........", "....................",
        "S..................G", "####################",
    };
    OK_MAP(every_tile);
    static const char *const bad[] = {
        "....................", "....................", "....................",
        ".................X..", "....................", "....................",
        "S..................G", "####################",
    };
    EXPECT_MAP(bad, CC_EINVALID, "tile", 3, 17);
    /* é is two bytes (c3 a9): the row is 16 bytes, the first bad one at column 5 */
    static const char *const utf8[] = {
        "................", "................", "S....\xc3\xa9........G", "################",
        "................", "................", "................",       "................",
    };
    EXPECT_MAP(utf8, CC_EINVALID, "tile", 2, 5);
    static const char *const lower[] = {
        "................", "................", "................", "................",
        "................", "................", "S.......g......G", "################",
    };
    EXPECT_MAP(lower, CC_EINVALID, "tile", 6, 8);
    /* a tab, as a JSON escape: one byte in the decoded row */
    static const char *const tab8[] = {
        "................", "................", "................",       "................",
        "................", "................", "S\\u0009.............G", "################",
    };
    char *j = level_json(16, 8, tab8, 8);
    EXPECT_TEXT(j, CC_EINVALID, "tile", 6, 1);
    free(j);
    /* a bad byte past the width is reported as the row's length */
    static const char *const past[] = {
        "................", "................", "................",  "................",
        "................", "................", "S..............GX", "################",
    };
    char *jp = level_json(16, 8, past, 8);
    EXPECT_TEXT(jp, CC_EINVALID, "size", 6, -1);
    free(jp);
}

static void test_json_and_format(void)
{
    EXPECT_TEXT("", CC_EINVALID, "json", -1, -1);
    EXPECT_TEXT("not json", CC_EINVALID, "json", -1, -1);
    EXPECT_TEXT("[]", CC_EINVALID, "json", -1, -1);
    EXPECT_TEXT("\"level\"", CC_EINVALID, "json", -1, -1);
    EXPECT_TEXT("{\"format\":\"cocreate.level/1\",\"format\":\"cocreate.level/1\"}", CC_EINVALID,
                "json", -1, -1);
    EXPECT_TEXT("{\"format\":\"cocreate.level/1\"} x", CC_EINVALID, "json", -1, -1);
    EXPECT_TEXT("{\"a\":\"\\u0000\"}", CC_EINVALID, "json", -1, -1);
    EXPECT_TEXT("{\"a\":\"\xff\"}", CC_EINVALID, "json", -1, -1);

    EXPECT_TEXT("{\"width\":16,\"height\":8,\"rows\":[]}", CC_EINVALID, "format", -1, -1);
    EXPECT_TEXT("{\"format\":\"cocreate.level/2\",\"width\":16,\"height\":8,\"rows\":[]}",
                CC_EINVALID, "format", -1, -1);
    EXPECT_TEXT("{\"format\":\"cocreate.level/1\",\"width\":\"16\",\"height\":8,\"rows\":[]}",
                CC_EINVALID, "format", -1, -1);
    EXPECT_TEXT("{\"format\":\"cocreate.level/1\",\"width\":16.0,\"height\":8,\"rows\":[]}",
                CC_EINVALID, "format", -1, -1);
    EXPECT_TEXT("{\"format\":\"cocreate.level/1\",\"width\":16,\"rows\":[]}", CC_EINVALID, "format",
                -1, -1);
    EXPECT_TEXT("{\"format\":\"cocreate.level/1\",\"width\":16,\"height\":8,\"rows\":\"...\"}",
                CC_EINVALID, "format", -1, -1);
    EXPECT_TEXT("{\"format\":\"cocreate.level/1\",\"width\":16,\"height\":8,\"rows\":[],"
                "\"title\":\"x\"}",
                CC_EINVALID, "format", -1, -1);
    EXPECT_TEXT("{\"format\":\"cocreate.level/1\",\"width\":16,\"height\":8,"
                "\"rows\":[\"................\",\"................\",7]}",
                CC_EINVALID, "format", 2, -1);
}

static void test_too_large(void)
{
    char **rows = floor_rows(16, 8);
    char *j = level_json(16, 8, (const char *const *)rows, 8);
    size_t n = strlen(j);
    const size_t max = 1u << 20; /* SPEC §3 */
    char *big = xmalloc(max + 2);
    memcpy(big, j, n);
    memset(big + n, ' ', max + 1 - n); /* trailing white space is valid JSON */
    big[max + 1] = '\0';
    struct kind_error err;
    ASSERT_EQ(kind_validate(level, (const uint8_t *)big, max, &err), 0);
    ASSERT_EQ(kind_validate(level, (const uint8_t *)big, max + 1, &err), CC_ETOOLARGE);
    ASSERT_STREQ(err.rule, "bytes");
    free(big);
    free(j);
    free_rows(rows, 8);
}

static void test_spawn_goal(void)
{
    static const char *const none[] = {
        "................", "................", "................", "................",
        "................", "................", "...............G", "################",
    };
    EXPECT_MAP(none, CC_EINVALID, "spawn", -1, -1);
    static const char *const two[] = {
        "................", "................", "................", "................",
        "................", "................", "S....S.........G", "################",
    };
    EXPECT_MAP(two, CC_EINVALID, "spawn", 6, 5);
    static const char *const floating[] = {
        "................", "................", "................", "...S............",
        "................", "................", "...............G", "################",
    };
    EXPECT_MAP(floating, CC_EINVALID, "spawn", 3, 3);
    static const char *const bottom[] = {
        "................", "................", "................", "................",
        "................", "................", "...............G", "S###############",
    };
    EXPECT_MAP(bottom, CC_EINVALID, "spawn", 7, 0);
    static const char *const on_spikes[] = {
        "................", "................", "................", "................",
        "................", "S...............", "^..............G", "################",
    };
    EXPECT_MAP(on_spikes, CC_EINVALID, "spawn", 5, 0);
    static const char *const on_platform[] = {
        "................", "................", "................", "................",
        "S...............", "=...............", "...............G", "################",
    };
    OK_MAP(on_platform);
    static const char *const no_goal[] = {
        "................", "................", "................", "................",
        "................", "................", "S...............", "################",
    };
    EXPECT_MAP(no_goal, CC_EINVALID, "goal", -1, -1);
}

static void test_reach(void)
{
    static const char *const wall[] = {
        "..........#.....", "..........#.....", "..........#.....", "..........#.....",
        "..........#.....", "..........#.....", "S.........#....G", "################",
    };
    EXPECT_MAP(wall, CC_EINVALID, "playable", 6, 0);

    /* up 3 onto a ledge: rise 3, then 1 across onto its top */
    static const char *const up3[] = {
        "................", "................", "................", "......G.........",
        "......#.........", "......#.........", "S.....#.........", "################",
    };
    OK_MAP(up3);
    static const char *const up4[] = {
        "................", "................", "......G.........", "......#.........",
        "......#.........", "......#.........", "S.....#.........", "################",
    };
    EXPECT_MAP(up4, CC_EINVALID, "playable", 6, 0);

    /* across a bottomless pit: 4 cells across (a 3-wide pit) ok, 5 (4-wide) not */
    static const char *const gap3[] = {
        "................", "................", "................", "................",
        "................", "................", "S..............G", "#####...########",
    };
    OK_MAP(gap3);
    static const char *const gap4[] = {
        "................", "................", "................", "................",
        "................", "................", "S..............G", "#####....#######",
    };
    EXPECT_MAP(gap4, CC_EINVALID, "playable", 6, 0);
    /* a goal over the pit counts when a run passes it, though a run ending there falls */
    static const char *const over_pit[] = {
        "................", "................", "................", "................",
        "................", "................", "S.....G.........", "#####...########",
    };
    OK_MAP(over_pit);
    static const char *const over_wide_pit[] = {
        "................", "................", "................", "................",
        "................", "................", "S.....G.........", "#####....#######",
    };
    EXPECT_MAP(over_wide_pit, CC_EINVALID, "playable", 6, 0);
    /* into a pit and out of the bottom: the only way is down */
    static const char *const hole[] = {
        "................", "................", "................", "................",
        "................", "S...............", "####............", "###.........#..G",
    };
    EXPECT_MAP(hole, CC_EINVALID, "playable", 5, 0);

    /* spikes below every landing reachable from the ledge; one spike fewer is a way */
    static const char *const spiked[] = {
        "................", "................", "S...............", "#####...........",
        ".....^^^^.......", "................", "...............G", "################",
    };
    EXPECT_MAP(spiked, CC_EINVALID, "playable", 2, 0);
    static const char *const gap_in_spikes[] = {
        "................", "................", "S...............", "#####...........",
        ".....^^^........", "................", "...............G", "################",
    };
    OK_MAP(gap_in_spikes);
    /* spikes in the way of a walk (the cell itself) */
    static const char *const spike_floor[] = {
        "................", "................", "................", "................",
        "................", "................", "S..^^^^^.......G", "################",
    };
    EXPECT_MAP(spike_floor, CC_EINVALID, "playable", 6, 0);
    /* a pillar of spikes taller than a jump: no run may pass through it */
    static const char *const spike_pillar[] = {
        "................", "................", "................", ".....^..........",
        ".....^..........", ".....^..........", "S....^.........G", "################",
    };
    EXPECT_MAP(spike_pillar, CC_EINVALID, "playable", 6, 0);
    /* spikes overhead stop every rise through them (though the fall beyond is clear) */
    static const char *const low_ceiling[] = {
        "................", "................", "................", "................",
        "................", "^^^^^^^^........", "S......#.......G", "################",
    };
    EXPECT_MAP(low_ceiling, CC_EINVALID, "playable", 6, 0);

    /* a goal in the air counts when a jump passes through it: 3 up and 3 across */
    static const char *const arc[] = {
        "................", "................", "................", "...G............",
        "................", "................", "S...............", "################",
    };
    OK_MAP(arc);
    static const char *const too_high[] = {
        "................", "................", "...G............", "................",
        "................", "................", "S...............", "################",
    };
    EXPECT_MAP(too_high, CC_EINVALID, "playable", 6, 0);
    /* ... and when a fall passes through it (out of reach from the floor below) */
    static const char *const fall_through[] = {
        "S...............", "####............", "......G.........", "................",
        "................", "................", "................", "################",
    };
    OK_MAP(fall_through);
    static const char *const fall_beside[] = {
        "S...............", "####............", ".........G......", "................",
        "................", "................", "................", "################",
    };
    EXPECT_MAP(fall_beside, CC_EINVALID, "playable", 0, 0);

    /* platforms are one-way: jump up through them, stand on them; ground is not */
    static const char *const through[] = {
        "................", "................", "................", "........G.......",
        "================", "................", "S...............", "################",
    };
    OK_MAP(through);
    static const char *const ceiling[] = {
        "................", "................", "................", "........G.......",
        "################", "................", "S...............", "################",
    };
    EXPECT_MAP(ceiling, CC_EINVALID, "playable", 6, 0);

    /* a long way: steps up and down, water, enemies and coins are air */
    static const char *const walk[] = {
        "..........................G.....", "..........................#.....",
        ".......................#..#.....", "....................#..........#",
        ".........o.......#..............", "S.....E......##.................",
        "####~~###..#####.....~~.........", "################################",
    };
    OK_MAP(walk);
}

/* 1024 × 256 with a platform every 4 rows, gaps everywhere and a walled-off goal: the
 * search visits every standable cell and fails. */
static void test_big(void)
{
    const int w = 1024, h = 256;
    char **rows = floor_rows(w, h);
    for (int r = 3; r < h - 1; r += 4)
        for (int c = 0; c < w; c++)
            rows[r][c] = c % 7 == 3 ? '.' : '=';
    for (int r = 0; r < h - 1; r++)
        rows[r][w - 3] = '#';
    char *j = level_json(w, h, (const char *const *)rows, h);
    expect_json(__LINE__, j, strlen(j), CC_EINVALID, "playable", h - 2, 0);
    rows[h - 2][w - 3] = '.'; /* a gap in the wall at the bottom */
    free(j);
    j = level_json(w, h, (const char *const *)rows, h);
    expect_json(__LINE__, j, strlen(j), 0, NULL, -1, -1);
    free(j);
    free_rows(rows, h);
}

static void render(const char *json, int thumb, struct testimg *im)
{
    struct ccbuf png;
    struct kind_error err;
    ccbuf_init(&png);
    ASSERT_EQ(kind_render(level, (const uint8_t *)json, strlen(json), thumb, &png, &err), 0);
    testpng_decode(png.data, png.len, im);
    ccbuf_free(&png);
}

/* Thumbnails of levels that would be thin strips when fitted whole fill the frame
 * with a window of the level around its interesting part: the spawn first, then goals
 * and tiles. */
static void test_thumb_crops(void)
{
    struct testimg im;
    /* 160×8 (20:1, a long run) with the spawn at column 100 and the goal at 140: a
     * window of round(320·8/180) = 14 columns, each 320/14 px wide and 22.5 px tall;
     * of the windows holding the spawn (columns 87..100 at their left) the middle one,
     * 93: the spawn is window column 7 (x 160..182), row 6 (y 135..157) */
    char **rows = floor_rows(160, 8);
    rows[6][0] = '.';
    rows[6][159] = '.';
    rows[6][100] = 'S';
    rows[6][140] = 'G';
    char *j = level_json(160, 8, (const char *const *)rows, 8);
    render(j, 1, &im);
    ASSERT_EQ(im.w, 320);
    ASSERT_EQ(im.h, 180);
    ASSERT_EQ(testimg_rgb(&im, 171, 146), SPAWN);
    for (uint32_t x = 0; x < 320; x++) /* the ground spans the frame: no letterbox */
        ASSERT_EQ(testimg_rgb(&im, x, 179), GROUND);
    ASSERT_EQ(testimg_rgb(&im, 5, 5), SKY);
    free(im.rgba);
    /* the spawn near the right edge (column 155), the goal 15 columns before it: no
     * window holds both; of those holding the spawn (142..146) the middle, 144: the
     * spawn is window column 11 (x 251..274) */
    rows[6][100] = '.';
    rows[6][155] = 'S';
    free(j);
    j = level_json(160, 8, (const char *const *)rows, 8);
    render(j, 1, &im);
    ASSERT_EQ(testimg_rgb(&im, 262, 146), SPAWN);
    for (uint32_t x = 0; x < 320; x++)
        ASSERT(testimg_rgb(&im, x, 146) != GOAL);
    free(im.rgba);
    free(j);
    free_rows(rows, 8);

    /* 16×256 (a tower): a window of round(180·16/320) = 9 rows, 20 px a tile both ways;
     * the spawn and goal stand on the bottom row: rows 247..255 */
    rows = floor_rows(16, 256);
    j = level_json(16, 256, (const char *const *)rows, 256);
    render(j, 1, &im);
    ASSERT_EQ(testimg_rgb(&im, 10, 150), SPAWN);  /* tile (254, 0): window row 7 */
    ASSERT_EQ(testimg_rgb(&im, 310, 150), GOAL);  /* tile (254, 15) */
    ASSERT_EQ(testimg_rgb(&im, 160, 170), GROUND); /* row 255 */
    ASSERT_EQ(testimg_rgb(&im, 160, 5), SKY);
    free(im.rgba);
    free(j);
    free_rows(rows, 256);

    /* the largest level, 1024×256 (4:1): 455 of its 1024 columns, from the spawn's
     * edge; the frame is 320×180 with sky at the top */
    rows = floor_rows(1024, 256);
    j = level_json(1024, 256, (const char *const *)rows, 256);
    render(j, 1, &im);
    ASSERT_EQ(im.w, 320);
    ASSERT_EQ(im.h, 180);
    ASSERT_EQ(testimg_rgb(&im, 160, 5), SKY);
    ASSERT(testimg_rgb(&im, 0, 178) != SKY); /* the spawn's corner: ground and spawn */
    free(im.rgba);
    free(j);
    free_rows(rows, 256);
}

static void test_render(void)
{
    char **rows = floor_rows(16, 8);
    char *j = level_json(16, 8, (const char *const *)rows, 8);
    struct testimg im;

    /* thumbnail: 16×8 scales by 20 to 320×160 (whole: it covers 8/9 of the frame's
     * height), standing on the bottom edge; the 20 px letterbox above is sky, the
     * level's own (there is no other colour of band) */
    render(j, 1, &im);
    ASSERT_EQ(im.w, 320);
    ASSERT_EQ(im.h, 180);
    ASSERT_EQ(testimg_rgb(&im, 160, 5), SKY);
    ASSERT_EQ(testimg_rgb(&im, 160, 19), SKY);
    ASSERT_EQ(testimg_rgb(&im, 160, 179), GROUND); /* tile (7, 8) on the bottom edge */
    ASSERT_EQ(testimg_rgb(&im, 0, 10), SKY);
    ASSERT_EQ(testimg_rgb(&im, 110, 160), GROUND); /* tile (7, 5) */
    ASSERT_EQ(testimg_rgb(&im, 10, 140), SPAWN);   /* tile (6, 0) */
    ASSERT_EQ(testimg_rgb(&im, 110, 140), SKY);    /* tile (6, 5) */
    ASSERT_EQ(testimg_rgb(&im, 310, 150), GOAL);   /* tile (6, 15) */
    ASSERT_EQ(testimg_alpha(&im, 110, 160), 255);
    free(im.rgba);

    /* full render: 8 px per tile */
    render(j, 0, &im);
    ASSERT_EQ(im.w, 128);
    ASSERT_EQ(im.h, 64);
    ASSERT_EQ(testimg_rgb(&im, 44, 60), GROUND);
    ASSERT_EQ(testimg_rgb(&im, 40, 56), GROUND); /* ground fills its block */
    ASSERT_EQ(testimg_rgb(&im, 4, 52), SPAWN);
    ASSERT_EQ(testimg_rgb(&im, 0, 48), SKY); /* spawn is inset: sky at its corner */
    ASSERT_EQ(testimg_rgb(&im, 44, 20), SKY);
    free(im.rgba);

    /* an unplayable level still renders */
    rows[6][15] = '.';
    free(j);
    j = level_json(16, 8, (const char *const *)rows, 8);
    render(j, 1, &im);
    free(im.rgba);
    free(j);
    free_rows(rows, 8);

    test_thumb_crops();

    struct ccbuf png;
    struct kind_error err;
    ccbuf_init(&png);
    ASSERT_EQ(kind_render(level, (const uint8_t *)"[]", 2, 1, &png, &err), CC_EINVALID);
    ASSERT_STREQ(err.rule, "json");
    ASSERT_EQ(png.len, 0);
    ccbuf_free(&png);
}

int main(void)
{
    level = kind_find("level");
    ASSERT(level);
    ASSERT_EQ(level->max_bytes, 1u << 20);
    ASSERT_EQ(level->compress, 1);
    ASSERT(kind_sniff((const uint8_t *)"{}", 2) == level);
    test_sizes();
    test_tiles();
    test_json_and_format();
    test_too_large();
    test_spawn_goal();
    test_reach();
    test_big();
    test_render();
    return 0;
}
