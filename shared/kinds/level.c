/* The `level` kind (SPEC §3): a 2D platformer level as JSON,
 *   {"format":"cocreate.level/1","width":W,"height":H,"rows":["...", ...]},
 * validated rule by rule down to playability, and drawn as a tile map. Stored
 * zstd-compressed. Re-entrant: all state is on the stack or in per-call buffers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ccerr.h"
#include "image.h"
#include "kind.h"
#include "png_io.h"
#include "util.h"

#define LEVEL_MAX_BYTES (1u << 20) /* SPEC §3: at most 1 MiB */
#define LEVEL_FORMAT "cocreate.level/1"
#define LEVEL_MIN_W 16 /* SPEC §3: 16 ≤ W ≤ 1024 */
#define LEVEL_MAX_W 1024
#define LEVEL_MIN_H 8 /* SPEC §3: 8 ≤ H ≤ 256 */
#define LEVEL_MAX_H 256
#define LEVEL_TILES ".#=^~oESG" /* SPEC §3: the tile alphabet */
#define LEVEL_MAX_RISE 3        /* SPEC §3: a jump rises k cells, 0 ≤ k ≤ 3 */
#define LEVEL_MAX_RUN 4         /* SPEC §3: then moves up to 4 cells left or right */
#define LEVEL_THUMB_W 320       /* SPEC §3: 320×180 thumbnail */
#define LEVEL_THUMB_H 180
#define LEVEL_TILE_PX 8 /* full render: 8×8 pixels per tile */

/* The palette (0xRRGGBB). Thumbnails draw every tile as a block of its colour; the
 * full render draws ground and water as full blocks, platforms as their top half,
 * spikes as a triangle and the rest as blocks inset by one pixel, sky around. */
#define LEVEL_SKY 0x87ceeb
#define LEVEL_GROUND 0x6b4f2a
#define LEVEL_PLATFORM 0xc8a165
#define LEVEL_SPIKES 0xb0b4bc
#define LEVEL_WATER 0x2f6fd6
#define LEVEL_COIN 0xf5c518
#define LEVEL_ENEMY 0xc0392b
#define LEVEL_SPAWN 0x2ecc71
#define LEVEL_GOAL 0xff8c1a

/* A parsed level: width × height tiles, row-major from the top left. */
struct level {
    int w, h;
    uint8_t *grid; /* owned */
};

/* The JSON shape: exactly the four keys, each of its type ("json", "format"). */
static int check_format(json_t *root, struct kind_error *err)
{
    static const char *const keys[] = {"format", "width", "height", "rows"};
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        size_t i = 0;
        while (i < CC_ARRAY_LEN(keys) && strcmp(key, keys[i]))
            i++;
        if (i == CC_ARRAY_LEN(keys))
            return kind_fail(err, CC_EINVALID, "format", -1, -1, "unknown key \"%.40s\"", key);
    }
    v = json_object_get(root, "format");
    if (!json_is_string(v) || strcmp(json_string_value(v), LEVEL_FORMAT))
        return kind_fail(err, CC_EINVALID, "format", -1, -1, "\"format\" must be \"%s\"",
                         LEVEL_FORMAT);
    if (!json_is_integer(json_object_get(root, "width")))
        return kind_fail(err, CC_EINVALID, "format", -1, -1, "\"width\" must be an integer");
    if (!json_is_integer(json_object_get(root, "height")))
        return kind_fail(err, CC_EINVALID, "format", -1, -1, "\"height\" must be an integer");
    json_t *rows = json_object_get(root, "rows");
    if (!json_is_array(rows))
        return kind_fail(err, CC_EINVALID, "format", -1, -1,
                         "\"rows\" must be an array of strings");
    for (size_t r = 0; r < json_array_size(rows); r++)
        if (!json_is_string(json_array_get(rows, r)))
            return kind_fail(err, CC_EINVALID, "format", (int)r, -1, "a row must be a string");
    return 0;
}

static int is_tile(uint8_t t) { return t && memchr(LEVEL_TILES, t, sizeof LEVEL_TILES - 1); }

/* Sizes and tiles ("size", "tile"). W and H first; then the rows top to bottom, each
 * reporting its first problem in reading order: the first non-tile byte among its
 * first W, else a length other than W. Lengths are in bytes: a non-ASCII character
 * is a bad tile at its first byte (whose column is right: all before it are ASCII). */
static int check_grid(json_t *root, struct level *lv, struct kind_error *err)
{
    json_int_t w = json_integer_value(json_object_get(root, "width"));
    json_int_t h = json_integer_value(json_object_get(root, "height"));
    json_t *rows = json_object_get(root, "rows");
    if (w < LEVEL_MIN_W || w > LEVEL_MAX_W)
        return kind_fail(err, CC_EINVALID, "size", -1, -1, "width %lld is outside %d-%d",
                         (long long)w, LEVEL_MIN_W, LEVEL_MAX_W);
    if (h < LEVEL_MIN_H || h > LEVEL_MAX_H)
        return kind_fail(err, CC_EINVALID, "size", -1, -1, "height %lld is outside %d-%d",
                         (long long)h, LEVEL_MIN_H, LEVEL_MAX_H);
    if (json_array_size(rows) != (size_t)h)
        return kind_fail(err, CC_EINVALID, "size", -1, -1, "%zu rows for a height of %lld",
                         json_array_size(rows), (long long)h);
    lv->w = (int)w;
    lv->h = (int)h;
    lv->grid = xmalloc((size_t)w * (size_t)h);
    for (int r = 0; r < lv->h; r++) {
        json_t *row = json_array_get(rows, (size_t)r);
        const uint8_t *s = (const uint8_t *)json_string_value(row);
        size_t n = json_string_length(row);
        for (int c = 0; c < lv->w && (size_t)c < n; c++) {
            if (is_tile(s[c]))
                continue;
            if (s[c] > 0x20 && s[c] < 0x7f)
                return kind_fail(err, CC_EINVALID, "tile", r, c, "'%c' is not a tile", s[c]);
            return kind_fail(err, CC_EINVALID, "tile", r, c, "byte 0x%02x is not a tile", s[c]);
        }
        if (n != (size_t)lv->w)
            return kind_fail(err, CC_EINVALID, "size", r, -1,
                             "row %d has %zu characters; the width is %d", r, n, lv->w);
        memcpy(lv->grid + (size_t)r * lv->w, s, (size_t)lv->w);
    }
    return 0;
}

/* Parses buf into lv (lv->grid then owned by the caller, also on failure): every rule
 * up to "tile". The rest (spawn, goal, playable) is check_play's. */
static int level_parse(const uint8_t *buf, size_t len, struct level *lv, struct kind_error *err)
{
    json_error_t je;
    *lv = (struct level){0, 0, NULL};
    json_t *root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return kind_fail(err, CC_EINVALID, "json", -1, -1, "line %d column %d: %s", je.line,
                         je.column, je.text);
    int rc = json_is_object(root)
                 ? check_format(root, err)
                 : kind_fail(err, CC_EINVALID, "json", -1, -1, "not a JSON object");
    if (!rc)
        rc = check_grid(root, lv, err);
    json_decref(root);
    return rc;
}

static int solid(uint8_t t) { return t == '#'; }

/* SPEC §3: not # or ^, and the cell below is # or = (the bottom row has no below). */
static int standable(const struct level *lv, int i)
{
    uint8_t t = lv->grid[i];
    if (t == '#' || t == '^' || i + lv->w >= lv->w * lv->h)
        return 0;
    uint8_t below = lv->grid[i + lv->w];
    return below == '#' || below == '=';
}

#define NOWHERE (-1)

/* The playability search of SPEC §3: a breadth-first search over standable cells.
 *
 * From a standable cell (r, c), a move rises k cells (0 ≤ k ≤ 3) straight up through
 * non-# cells, then runs j cells (0 ≤ j ≤ 4) left or right along row r−k through
 * non-# cells, then falls straight down until it stands on a standable cell. A walk
 * is the move k = 0, j = 1. A move is invalid if any cell it passes through (risen
 * through, run through, fallen through or landed on) is ^, or if its fall leaves the
 * bottom row; a valid move reaches a goal if any of those cells is G. Rising past the
 * top or running past a side is blocked, like #.
 *
 * Each rise and run is prefix-closed — a ^ or # at distance d ends every longer one —
 * so both loops stop at the first such cell. Falls are precomputed for every cell,
 * bottom-up per column: land[i] is the standable cell a fall from i ends on (i itself
 * if i is standable) or NOWHERE, and fall_goal[i] whether that fall passes a G. A move
 * then costs O(1) beyond its rise and run, and the whole search O(W·H·4·9) with flat
 * arrays and no recursion. Returns 1 if some valid path from spawn reaches a G. */
static int playable(const struct level *lv, int spawn)
{
    const int w = lv->w, n = lv->w * lv->h;
    const uint8_t *g = lv->grid;
    int32_t *land = xmalloc((size_t)n * sizeof *land);
    int32_t *queue = xmalloc((size_t)n * sizeof *queue);
    uint8_t *fall_goal = xmalloc((size_t)n), *seen = xcalloc((size_t)n, 1);

    for (int c = 0; c < w; c++)
        for (int i = n - w + c; i >= 0; i -= w) {
            fall_goal[i] = g[i] == 'G';
            if (solid(g[i]) || g[i] == '^')
                land[i] = NOWHERE; /* never entered / a path through spikes */
            else if (standable(lv, i))
                land[i] = i;
            else if (i + w >= n)
                land[i] = NOWHERE; /* falls out of the bottom row */
            else {
                /* not standable, so the cell below is neither # nor =: fall into it */
                land[i] = land[i + w];
                fall_goal[i] |= fall_goal[i + w];
            }
        }

    int found = 0, head = 0, tail = 0;
    queue[tail++] = spawn;
    seen[spawn] = 1;
    while (head < tail && !found) {
        int from = queue[head++], r = from / w, c = from % w, goal_rise = 0;
        for (int k = 0; k <= LEVEL_MAX_RISE && r - k >= 0 && !found; k++) {
            int top = from - k * w;
            if (k > 0) {
                if (solid(g[top]) || g[top] == '^')
                    break;
                goal_rise |= g[top] == 'G'; /* (the k-high, 0-across move finds it too) */
            }
            for (int dir = -1; dir <= 1 && !found; dir += 2) {
                int goal_run = goal_rise;
                /* j = 0 (straight up and down) once, with dir = -1 */
                for (int j = dir < 0 ? 0 : 1; j <= LEVEL_MAX_RUN; j++) {
                    int col = c + dir * j, end = top + dir * j;
                    if (col < 0 || col >= w)
                        break;
                    if (j > 0) {
                        if (solid(g[end]) || g[end] == '^')
                            break;
                        goal_run |= g[end] == 'G';
                    }
                    int to = land[end];
                    if (to == NOWHERE)
                        continue; /* this end falls to its death; a longer run may not */
                    if (goal_run || fall_goal[end]) {
                        found = 1;
                        break;
                    }
                    if (!seen[to]) {
                        seen[to] = 1;
                        queue[tail++] = to;
                    }
                }
            }
        }
    }
    free(land);
    free(queue);
    free(fall_goal);
    free(seen);
    return found;
}

/* The rules after the grid's: one spawn, standable; a goal; playable. */
static int check_play(const struct level *lv, struct kind_error *err)
{
    const int n = lv->w * lv->h;
    int spawn = NOWHERE;
    for (int i = 0; i < n; i++) {
        if (lv->grid[i] != 'S')
            continue;
        if (spawn != NOWHERE)
            return kind_fail(err, CC_EINVALID, "spawn", i / lv->w, i % lv->w, "a second spawn (S)");
        spawn = i;
    }
    if (spawn == NOWHERE)
        return kind_fail(err, CC_EINVALID, "spawn", -1, -1, "no spawn (S)");
    int sr = spawn / lv->w, sc = spawn % lv->w;
    if (!standable(lv, spawn))
        return kind_fail(err, CC_EINVALID, "spawn", sr, sc, "the spawn is not standing on # or =");
    if (!memchr(lv->grid, 'G', (size_t)n))
        return kind_fail(err, CC_EINVALID, "goal", -1, -1, "no goal (G)");
    if (!playable(lv, spawn))
        return kind_fail(err, CC_EINVALID, "playable", sr, sc,
                         "no path from the spawn reaches a goal");
    return 0;
}

/* Checks are made in the order of SPEC §3's rules: json, format, size and tile (row
 * by row), spawn, goal, playable; the first failure is reported. */
static int level_validate(const uint8_t *buf, size_t len, struct kind_error *err)
{
    struct level lv;
    int rc = level_parse(buf, len, &lv, err);
    if (!rc)
        rc = check_play(&lv, err);
    free(lv.grid);
    return rc;
}

static uint32_t tile_color(uint8_t t)
{
    switch (t) {
    case '#':
        return LEVEL_GROUND;
    case '=':
        return LEVEL_PLATFORM;
    case '^':
        return LEVEL_SPIKES;
    case '~':
        return LEVEL_WATER;
    case 'o':
        return LEVEL_COIN;
    case 'E':
        return LEVEL_ENEMY;
    case 'S':
        return LEVEL_SPAWN;
    case 'G':
        return LEVEL_GOAL;
    default:
        return LEVEL_SKY;
    }
}

/* Whether pixel (x, y) of a tile's 8×8 block in the full render has the tile's colour
 * (else sky). */
static int sprite_covers(uint8_t t, int x, int y)
{
    const int last = LEVEL_TILE_PX - 1, half = LEVEL_TILE_PX / 2;
    switch (t) {
    case '#':
    case '~':
        return 1;
    case '=':
        return y < half;
    case '^': /* a triangle, point up: row y is 2·((y+1)/2) pixels wide, centred */
        return x >= half - (y + 1) / 2 && x < half + (y + 1) / 2;
    case '.':
        return 0;
    default:
        return x > 0 && x < last && y > 0 && y < last;
    }
}

static void full_row(void *user, uint32_t y, uint8_t *rgba)
{
    const struct level *lv = user;
    const uint8_t *tiles = lv->grid + (size_t)(y / LEVEL_TILE_PX) * lv->w;
    int sy = (int)(y % LEVEL_TILE_PX);
    for (int c = 0; c < lv->w; c++)
        for (int sx = 0; sx < LEVEL_TILE_PX; sx++, rgba += 4)
            image_put(rgba, sprite_covers(tiles[c], sx, sy) ? tile_color(tiles[c]) : LEVEL_SKY);
}

/* The thumbnail (SPEC §3: 320×180, scaled to fit and letterboxed): a level that
 * fills at least 2/3 of the frame's height (of a wide level; its width, of a tall one)
 * when fitted whole is shown whole, standing on the frame's bottom edge with the sky continued above it (or
 * beside it, for a tall level): the letterbox is the level's own sky. A level of
 * another shape (a long run of 200×8, a tower of 16×256) would be a thin strip: it is
 * cropped instead to the window of the frame's aspect that holds its interesting part
 * (thumb_window), so every thumbnail fills its 16:9 card with tiles at a size that
 * can be seen. */
#define LEVEL_FIT_MIN_NUM 2 /* fit whole while the fit scale is ≥ 2/3 of the fill scale */
#define LEVEL_FIT_MIN_DEN 3
/* The interest of a window of the level, in priority order: holding the spawn, then
 * more goals, then more tiles (ground 1 each, the other tiles but air 3). A level has
 * at most 2^18 tiles, so each weight outranks everything below it. */
#define LEVEL_WEIGHT_SPAWN ((int64_t)1 << 40)
#define LEVEL_WEIGHT_GOAL ((int64_t)1 << 20)
#define LEVEL_WEIGHT_GROUND 1
#define LEVEL_WEIGHT_FEATURE 3

/* Where a cropped thumbnail's window starts along the level's long axis: of the
 * positions of a window `win` lines long among the `n` lines (columns of a wide level,
 * rows of a tall one), the one of most interest (above). Of several equal positions
 * next to each other (a spawn on plain ground fits in any of them) the middle one,
 * which centres what they share. */
static int thumb_window(const struct level *lv, int by_column, int win)
{
    const int n = by_column ? lv->w : lv->h;
    int64_t *weight = xcalloc((size_t)n, sizeof *weight);
    for (int r = 0; r < lv->h; r++)
        for (int c = 0; c < lv->w; c++) {
            uint8_t t = lv->grid[(size_t)r * lv->w + c];
            int64_t v = t == '.'   ? 0
                        : t == '#' ? LEVEL_WEIGHT_GROUND
                        : t == 'S' ? LEVEL_WEIGHT_SPAWN
                        : t == 'G' ? LEVEL_WEIGHT_GOAL
                                   : LEVEL_WEIGHT_FEATURE;
            weight[by_column ? c : r] += v;
        }
    int64_t sum = 0, best_sum;
    for (int i = 0; i < win; i++)
        sum += weight[i];
    best_sum = sum;
    int best = 0, run_end = 0; /* the first best position and the equals right after it */
    for (int o = 1; o + win <= n; o++) {
        sum += weight[o + win - 1] - weight[o - 1];
        if (sum > best_sum) {
            best_sum = sum;
            best = run_end = o;
        } else if (sum == best_sum && run_end == o - 1) {
            run_end = o;
        }
    }
    free(weight);
    return best + (run_end - best) / 2; /* the middle of equals: what they share, centred */
}

static int render_thumb(const struct level *lv, struct ccbuf *png_out)
{
    const uint32_t fw = LEVEL_THUMB_W, fh = LEVEL_THUMB_H, w = (uint32_t)lv->w,
                   h = (uint32_t)lv->h;
    /* Wide: w/h > fw/fh. Fit scale fw/w, fill scale fh/h (and the other way round). */
    const int wide = (uint64_t)w * fh > (uint64_t)h * fw;
    const uint64_t fit = wide ? (uint64_t)fw * h : (uint64_t)fh * w,
                   fill = wide ? (uint64_t)fh * w : (uint64_t)fw * h;
    uint32_t x0 = 0, y0 = 0, sw = w, sh = h, dw, dh;
    if (fit * LEVEL_FIT_MIN_DEN >= fill * LEVEL_FIT_MIN_NUM) {
        image_fit(w, h, fw, fh, &dw, &dh);
    } else if (wide) { /* a window of the frame's aspect, whole tiles: ~fw·h/fh columns */
        sw = (uint32_t)(((uint64_t)fw * h + fh / 2) / fh);
        x0 = (uint32_t)thumb_window(lv, 1, (int)sw);
        dw = fw, dh = fh;
    } else {
        sh = (uint32_t)(((uint64_t)fh * w + fw / 2) / fw);
        y0 = (uint32_t)thumb_window(lv, 0, (int)sh);
        dw = fw, dh = fh;
    }
    uint8_t *row = xmalloc((size_t)sw * 4);
    uint8_t *canvas = xmalloc((size_t)fw * fh * 4);
    image_fill(canvas, (size_t)fw * fh, LEVEL_SKY);
    struct resample rs;
    int rc = resample_init(&rs, sw, sh, dw, dh);
    if (!rc) {
        for (uint32_t r = 0; r < sh; r++) {
            const uint8_t *tiles = lv->grid + (size_t)(y0 + r) * w + x0;
            for (uint32_t c = 0; c < sw; c++)
                image_put(row + 4 * (size_t)c, tile_color(tiles[c]));
            resample_add(&rs, r, 0, 1, sw, row);
        }
        resample_over(&rs, canvas, fw, (fw - dw) / 2, fh - dh); /* standing on the bottom */
        resample_free(&rs);
        rc = png_io_encode_rgba(canvas, fw, fh, png_out);
    }
    free(row);
    free(canvas);
    return rc;
}

/* Renders any level that passes the rules up to "tile" (playable or not). The full
 * render is LEVEL_TILE_PX per tile, drawn row by row as it is encoded. */
static int level_render(const uint8_t *buf, size_t len, int thumb, struct ccbuf *png_out,
                        struct kind_error *err)
{
    struct level lv;
    int rc = level_parse(buf, len, &lv, err);
    if (!rc)
        rc = thumb ? render_thumb(&lv, png_out)
                   : png_io_encode((uint32_t)lv.w * LEVEL_TILE_PX, (uint32_t)lv.h * LEVEL_TILE_PX,
                                   full_row, &lv, png_out);
    if (rc == CC_EINTERNAL)
        kind_fail(err, rc, "internal", -1, -1, "could not encode the render");
    free(lv.grid);
    return rc;
}

/* The fingerprint: the solid tiles (ground, platforms) cropped to their bounding box
 * (so a level moved by some columns or rows keeps it), their density over a 9 × 8 grid
 * by area, then its difference hash. */
static int level_fingerprint(const uint8_t *buf, size_t len, uint64_t *out)
{
    struct level lv;
    struct kind_error err;
    if (level_parse(buf, len, &lv, &err))
        return CC_EINTERNAL;
    int x0 = lv.w, y0 = lv.h, x1 = -1, y1 = -1;
    for (int r = 0; r < lv.h; r++)
        for (int c = 0; c < lv.w; c++) {
            uint8_t t = lv.grid[(size_t)r * lv.w + c];
            if (t == '#' || t == '=') {
                x0 = c < x0 ? c : x0;
                x1 = c > x1 ? c : x1;
                y0 = r < y0 ? r : y0;
                y1 = r > y1 ? r : y1;
            }
        }
    double grid[8][9] = {{0}};
    if (x1 >= 0) {
        double bw = x1 - x0 + 1, bh = y1 - y0 + 1;
        for (int r = y0; r <= y1; r++)
            for (int c = x0; c <= x1; c++) {
                uint8_t t = lv.grid[(size_t)r * lv.w + c];
                if (t != '#' && t != '=')
                    continue;
                /* the tile's area spread over the cells it covers */
                double ca = (c - x0) * 9 / bw, cb = (c - x0 + 1) * 9 / bw;
                double ra = (r - y0) * 8 / bh, rb = (r - y0 + 1) * 8 / bh;
                for (int gy = (int)ra; gy < 8 && gy < rb; gy++)
                    for (int gx = (int)ca; gx < 9 && gx < cb; gx++) {
                        double ox = (gx + 1 < cb ? gx + 1 : cb) - (gx > ca ? gx : ca);
                        double oy = (gy + 1 < rb ? gy + 1 : rb) - (gy > ra ? gy : ra);
                        if (ox > 0 && oy > 0)
                            grid[gy][gx] += ox * oy;
                    }
            }
    }
    free(lv.grid);
    *out = kind_dhash(grid);
    return 0;
}

const struct kind kind_level = {
    .name = "level",
    .max_bytes = LEVEL_MAX_BYTES,
    .content_type = "application/json",
    .ext = "json",
    .compress = 1,
    .thumb_w = LEVEL_THUMB_W,
    .thumb_h = LEVEL_THUMB_H,
    .validate = level_validate,
    .render = level_render,
    .fingerprint = level_fingerprint,
    .lookalike_bits = 6,
};
