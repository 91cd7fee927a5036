/* gen: synthetic levels and artworks. See gen.h. */
#include "gen.h"

#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "benchlib.h"

/* ---- levels ---- */

static int rnd(uint64_t *s, int n)
{
    return (int)(bench_rand(s) % (uint64_t)n);
}

/* Puts tile t at (r, c) if it is inside rows [0, rmax] of the sky. */
static void put_tile(char *g, int w, int rmax, int r, int c, char t)
{
    if (r >= 0 && r <= rmax && c >= 0 && c < w)
        g[(size_t)r * w + c] = t;
}

/* One decoration in the sky (rows 0..sky-1): what a level editor's user would add. */
static void decorate(char *g, int w, int sky, uint64_t *s)
{
    int top = sky - 1, r = rnd(s, sky), c = rnd(s, w), len = 3 + rnd(s, 6);
    switch (rnd(s, 8)) {
    case 0:
    case 1:
    case 2: /* a platform, maybe with coins above, an enemy or spikes on it */
        if (r < 2 || r > sky - 2)
            r = sky / 2;
        for (int i = 0; i < len; i++)
            put_tile(g, w, top, r, c + i, '=');
        if (rnd(s, 2))
            for (int i = 1; i < len - 1; i++)
                put_tile(g, w, top, r - 2, c + i, 'o');
        if (rnd(s, 5) == 0)
            put_tile(g, w, top, r - 1, c + len / 2, 'E');
        else if (rnd(s, 6) == 0)
            put_tile(g, w, top, r - 1, c + 1, '^');
        break;
    case 3: /* a floating block */
        for (int y = 0; y < 1 + rnd(s, 2); y++)
            for (int i = 0; i < 2 + rnd(s, 3); i++)
                put_tile(g, w, sky - 5, r - y, c + i, '#');
        break;
    case 4: /* a row of coins */
        for (int i = 0; i < len; i++)
            put_tile(g, w, top - 1, r, c + i, 'o');
        break;
    case 5: /* a pool */
        for (int i = 0; i < len; i++)
            put_tile(g, w, top - 2, r, c + i, '~');
        break;
    case 6: /* a strip of spikes, high up */
        for (int i = 0; i < 2 + rnd(s, 3); i++)
            put_tile(g, w, sky - 6, r, c + i, '^');
        break;
    default: /* an enemy in the air */
        put_tile(g, w, top - 1, r, c, 'E');
        break;
    }
}

void gen_level(uint64_t serial, size_t target, struct ccbuf *out)
{
    uint64_t s = serial * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
    if (!s)
        s = 1;
    /* A row costs W + 3 bytes of JSON ("...",), the rest ~64. */
    int h = target >= 16 * 1024 ? 100 : (int)sqrt((double)target / 1.6);
    h = h < 8 ? 8 : h > 256 ? 256 : h;
    long wl = ((long)target - 64) / h - 3;
    int w = wl < 16 ? 16 : wl > 1024 ? 1024 : (int)wl;
    if (w == 1024) {
        long hl = ((long)target - 64) / (w + 3);
        h = hl < 8 ? 8 : hl > 256 ? 256 : (int)hl;
    }
    char *g = xmalloc((size_t)w * h);
    memset(g, '.', (size_t)w * h);
    int ground = 1 + rnd(&s, 3), walk = h - 1 - ground;
    /* The ground, with buried pockets below its top row (out of reach). */
    for (int r = walk + 1; r < h; r++)
        for (int c = 0; c < w; c++) {
            int x = r > walk + 1 ? rnd(&s, 100) : 99;
            g[(size_t)r * w + c] = x < 2 ? '~' : x < 3 ? 'o' : '#';
        }
    /* The walking row: nothing solid and no spikes, so S reaches G by walking. */
    for (int c = 0; c < w; c++) {
        int x = rnd(&s, 100);
        g[(size_t)walk * w + c] = x < 4 ? 'o' : x < 6 ? 'E' : x < 8 ? '~' : '.';
    }
    g[(size_t)walk * w + 1] = 'S';
    g[(size_t)walk * w + w - 2] = 'G';
    for (int i = w * walk / 60; i > 0; i--)
        decorate(g, w, walk, &s);

    char head[128];
    int n = snprintf(head, sizeof head,
                     "{\"format\":\"cocreate.level/1\",\"width\":%d,\"height\":%d,\"rows\":[", w, h);
    ccbuf_append(out, head, (size_t)n);
    for (int r = 0; r < h; r++) {
        ccbuf_append(out, r ? ",\"" : "\"", r ? 2 : 1);
        ccbuf_append(out, g + (size_t)r * w, (size_t)w);
        ccbuf_append(out, "\"", 1);
    }
    ccbuf_append(out, "]}", 2);
    free(g);
}

/* ---- artworks ---- */

/* IDAT chunks of the prefix hold at most this much each. */
#define IDAT_MAX (256 * 1024)
/* Pattern cells, in pixels. */
#define CELL 48

static uint32_t hash32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

/* Row y of the image (filter byte, then w RGBA pixels): cells of flat colour,
 * gradients, light or heavy noise and stripes. */
static void art_row(uint32_t w, uint32_t y, uint64_t *s, uint8_t *row)
{
    row[0] = 0; /* filter None */
    uint8_t *p = row + 1;
    for (uint32_t x = 0; x < w; x++, p += 4) {
        uint32_t hc = hash32((x / CELL) * 7919u + (y / CELL) * 104729u + 17u);
        uint8_t r = (uint8_t)hc, g = (uint8_t)(hc >> 8), b = (uint8_t)(hc >> 16);
        switch ((hc >> 24) % 5) {
        case 0:
            break;
        case 1:
            r = (uint8_t)(r + (x % CELL) * 4);
            g = (uint8_t)(g + (y % CELL) * 3);
            break;
        case 2: {
            uint64_t v = bench_rand(s);
            r = (uint8_t)(r + (v & 15));
            g = (uint8_t)(g + (v >> 8 & 15));
            b = (uint8_t)(b + (v >> 16 & 15));
            break;
        }
        case 3: {
            uint64_t v = bench_rand(s);
            r = (uint8_t)(r + (v & 63));
            g = (uint8_t)(g + (v >> 8 & 63));
            b = (uint8_t)(b + (v >> 16 & 63));
            break;
        }
        default:
            if ((x + y) / 4 % 2)
                r ^= 0x3f, g ^= 0x3f, b ^= 0x3f;
            break;
        }
        p[0] = r, p[1] = g, p[2] = b, p[3] = 255;
    }
}

/* Appends one PNG chunk. */
static void chunk(struct ccbuf *out, const char *type, const uint8_t *data, size_t len)
{
    uint8_t b[8];
    put_be32(b, (uint32_t)len);
    memcpy(b + 4, type, 4);
    ccbuf_append(out, b, 8);
    ccbuf_append(out, data, len);
    static const uint8_t none[1];
    /* crc32() with a NULL buffer returns the initial value, not the running CRC. */
    uLong crc = crc32(crc32(0, (const Bytef *)type, 4), len ? data : none, (uInt)len);
    put_be32(b, (uint32_t)crc);
    ccbuf_append(out, b, 4);
}

/* Raw-deflates in[0, len) at level 1 onto out with flush (Z_NO_FLUSH, Z_FULL_FLUSH
 * or Z_FINISH). */
static void deflate_to(z_stream *z, const uint8_t *in, size_t len, int flush, struct ccbuf *out)
{
    z->next_in = (Bytef *)in;
    z->avail_in = (uInt)len;
    do {
        uint8_t *dst = ccbuf_reserve(out, 64 * 1024);
        z->next_out = dst;
        z->avail_out = 64 * 1024;
        int rc = deflate(z, flush);
        if (rc == Z_STREAM_ERROR) {
            fprintf(stderr, "gen: deflate failed\n");
            abort();
        }
        out->len += 64 * 1024 - z->avail_out;
    } while (z->avail_out == 0 || z->avail_in > 0);
}

static void z_init(z_stream *z)
{
    memset(z, 0, sizeof *z);
    if (deflateInit2(z, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        fprintf(stderr, "gen: deflateInit2 failed\n");
        abort();
    }
}

/* Compressed bytes per raw byte of the pattern, from a sample at width w. */
static double sample_ratio(uint32_t w)
{
    z_stream z;
    z_init(&z);
    struct ccbuf row, out;
    ccbuf_init(&row);
    ccbuf_init(&out);
    uint8_t *r = ccbuf_reserve(&row, (size_t)w * 4 + 1);
    uint64_t s = 99;
    size_t raw = 0;
    for (uint32_t y = 0; y < 4 * CELL; y++) {
        art_row(w, y, &s, r);
        deflate_to(&z, r, (size_t)w * 4 + 1, Z_NO_FLUSH, &out);
        raw += (size_t)w * 4 + 1;
    }
    deflate_to(&z, NULL, 0, Z_FINISH, &out);
    deflateEnd(&z);
    double ratio = (double)raw / (double)(out.len ? out.len : 1);
    ccbuf_free(&row);
    ccbuf_free(&out);
    return ratio;
}

/* Builds the prefix for about target bytes of compressed image. Returns 0 or -1. */
static int build(struct gen_png *g, size_t target)
{
    const uint32_t max_side = 6000, min_side = 64;
    const uint64_t max_pixels = 36000000u;
    double ratio = sample_ratio(1024);
    double side = sqrt((double)target * ratio / 4.0);
    uint32_t w = side < min_side ? min_side : side > max_side ? max_side : (uint32_t)side;
    size_t rowlen = (size_t)w * 4 + 1;
    uint32_t hmax = (uint32_t)(max_pixels / w < max_side ? max_pixels / w : max_side);
    z_stream z;
    z_init(&z);
    struct ccbuf row, zb;
    ccbuf_init(&row);
    ccbuf_init(&zb);
    uint8_t zhdr[2] = {0x78, 0x01};
    ccbuf_append(&zb, zhdr, 2);
    uint8_t *r = ccbuf_reserve(&row, rowlen);
    uint64_t s = 12345;
    uLong adler = adler32(0, NULL, 0);
    uint32_t y = 0;
    /* The tail row is noise: about rowlen compressed. Stop when the prefix reaches
     * the rest of the target (deflate's buffered input counted at the ratio). */
    size_t want = target > rowlen + 200 ? target - rowlen - 200 : 0;
    while (y + 1 < hmax) {
        art_row(w, y, &s, r);
        adler = adler32(adler, r, (uInt)rowlen);
        deflate_to(&z, r, rowlen, Z_NO_FLUSH, &zb);
        y++;
        /* Compressed so far: what deflate emitted, or its input at the ratio when
         * it still buffers more than that. */
        double est = (double)z.total_in / ratio;
        if ((double)z.total_out > est)
            est = (double)z.total_out;
        if (y + 1 >= min_side && est >= (double)want)
            break;
    }
    deflate_to(&z, NULL, 0, Z_FULL_FLUSH, &zb);
    deflateEnd(&z);
    g->w = w;
    g->h = y + 1;
    g->ratio = (double)y * (double)rowlen / (double)zb.len;
    g->adler = adler;
    g->raw_prefix = (size_t)y * rowlen;

    ccbuf_init(&g->prefix);
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    ccbuf_append(&g->prefix, sig, 8);
    uint8_t ihdr[13];
    put_be32(ihdr, g->w);
    put_be32(ihdr + 4, g->h);
    ihdr[8] = 8;  /* bit depth */
    ihdr[9] = 6;  /* RGBA */
    ihdr[10] = 0; /* deflate */
    ihdr[11] = 0; /* adaptive filtering (every row says None) */
    ihdr[12] = 0; /* not interlaced */
    chunk(&g->prefix, "IHDR", ihdr, 13);
    for (size_t off = 0; off < zb.len; off += IDAT_MAX)
        chunk(&g->prefix, "IDAT", zb.data + off, zb.len - off < IDAT_MAX ? zb.len - off : IDAT_MAX);
    ccbuf_free(&row);
    ccbuf_free(&zb);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    EVP_DigestUpdate(ctx, g->prefix.data, g->prefix.len);
    g->sha = ctx;
    return g->h >= min_side ? 0 : -1;
}

int gen_png_init(struct gen_png *g, size_t target, size_t max_bytes)
{
    memset(g, 0, sizeof *g);
    for (int attempt = 0; attempt < 4; attempt++) {
        if (build(g, target))
            return -1;
        struct ccbuf tail;
        ccbuf_init(&tail);
        uint8_t sha[32];
        gen_png_tail(g, 0, &tail, sha);
        size_t total = g->prefix.len + tail.len;
        ccbuf_free(&tail);
        if (total <= max_bytes)
            return 0;
        /* Over the limit: aim lower by the excess and a margin. */
        size_t excess = total - max_bytes + max_bytes / 200;
        target = target > excess ? target - excess : target / 2;
        gen_png_free(g);
    }
    return -1;
}

void gen_png_tail(const struct gen_png *g, uint64_t serial, struct ccbuf *tail, uint8_t sha[32])
{
    size_t rowlen = (size_t)g->w * 4 + 1;
    uint8_t *row = xmalloc(rowlen);
    uint64_t s = serial * 0x9E3779B97F4A7C15ull + 1;
    row[0] = 0;
    for (size_t i = 1; i < rowlen; i += 8) {
        uint64_t v = bench_rand(&s);
        memcpy(row + i, &v, rowlen - i < 8 ? rowlen - i : 8);
    }
    for (size_t i = 4; i < rowlen; i += 4)
        row[i] = 255; /* opaque */
    memcpy(row + 1, &serial, 3); /* the serial, visibly, in the first pixel */
    z_stream z;
    z_init(&z);
    struct ccbuf data;
    ccbuf_init(&data);
    deflate_to(&z, row, rowlen, Z_FINISH, &data);
    deflateEnd(&z);
    uLong adler = adler32_combine(g->adler, adler32(adler32(0, NULL, 0), row, (uInt)rowlen),
                                  (z_off_t)rowlen);
    uint8_t b[4];
    put_be32(b, (uint32_t)adler);
    ccbuf_append(&data, b, 4);
    tail->len = 0;
    chunk(tail, "IDAT", data.data, data.len);
    chunk(tail, "IEND", NULL, 0);
    ccbuf_free(&data);
    free(row);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_MD_CTX_copy_ex(ctx, g->sha);
    EVP_DigestUpdate(ctx, tail->data, tail->len);
    EVP_DigestFinal_ex(ctx, sha, NULL);
    EVP_MD_CTX_free(ctx);
}

void gen_png_whole(const struct gen_png *g, uint64_t serial, struct ccbuf *out, uint8_t sha[32])
{
    struct ccbuf tail;
    ccbuf_init(&tail);
    gen_png_tail(g, serial, &tail, sha);
    out->len = 0;
    ccbuf_append(out, g->prefix.data, g->prefix.len);
    ccbuf_append(out, tail.data, tail.len);
    ccbuf_free(&tail);
}

void gen_png_free(struct gen_png *g)
{
    ccbuf_free(&g->prefix);
    EVP_MD_CTX_free(g->sha);
    g->sha = NULL;
}
