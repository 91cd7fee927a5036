/* The blob storage codec: raw, zstd and zstd with a trained dictionary round trip; the
 * decompressed-size bound is checked from the frame header; unknown dictionaries and
 * corrupt blobs are refused. */
#include <stdlib.h>
#include <string.h>

#include "ccerr.h"
#include "check.h"
#include "codec.h"
#include "kind.h"
#include "util.h"

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* Appends a 128×32 level with random hills, coins and enemies to b. */
static void gen_level(struct ccbuf *b)
{
    enum { W = 128, H = 32 };
    static const char head[] = "{\"format\":\"cocreate.level/1\",\"width\":128,\"height\":32,"
                               "\"rows\":[";
    ccbuf_append(b, head, sizeof head - 1);
    int top = H - 4;
    int tops[W];
    for (int c = 0; c < W; c++) {
        if (rng() % 5 == 0)
            top += (int)(rng() % 3) - 1;
        top = top < H - 8 ? H - 8 : top > H - 2 ? H - 2 : top;
        tops[c] = top;
    }
    for (int r = 0; r < H; r++) {
        char row[W + 4];
        for (int c = 0; c < W; c++) {
            row[c + 1] = r >= tops[c] ? '#' : '.';
            if (r == tops[c] - 1 && rng() % 11 == 0)
                row[c + 1] = rng() % 2 ? 'o' : 'E';
        }
        if (r == tops[0] - 1)
            row[1] = 'S';
        if (r == tops[W - 1] - 1)
            row[W] = 'G';
        row[0] = '"';
        row[W + 1] = '"';
        row[W + 2] = r + 1 < H ? ',' : ']';
        ccbuf_append(b, row, W + 3);
    }
    ccbuf_append(b, "}", 1);
}

static const struct codec_dict *the_dict;

static const struct codec_dict *lookup(uint32_t id, void *user)
{
    (void)user;
    return the_dict && codec_dict_id(the_dict) == id ? the_dict : NULL;
}

static void roundtrip(const struct kind *k, const uint8_t *in, size_t len,
                      const struct codec_dict *dict, struct ccbuf *stored)
{
    struct ccbuf back;
    ccbuf_init(&back);
    ASSERT_EQ(codec_encode(k, in, len, dict, stored), 0);
    ASSERT_EQ(codec_decode(stored->data, stored->len, k->max_bytes, lookup, NULL, &back), 0);
    ASSERT_EQ(back.len, len);
    ASSERT(memcmp(back.data, in, len) == 0);
    ccbuf_free(&back);
}

static void test_raw(void)
{
    const struct kind *art = kind_find("artwork");
    const uint8_t data[] = "\x89PNG not really";
    struct ccbuf s, out;
    ccbuf_init(&s);
    ccbuf_init(&out);
    roundtrip(art, data, sizeof data, NULL, &s);
    ASSERT_EQ(s.len, CODEC_HEADER_LEN + sizeof data);
    ASSERT(memcmp(s.data, "\0\0\0\0\0", CODEC_HEADER_LEN) == 0);
    ASSERT(memcmp(s.data + CODEC_HEADER_LEN, data, sizeof data) == 0);
    ASSERT_EQ(codec_decode(s.data, s.len, sizeof data - 1, NULL, NULL, &out), CC_ETOOLARGE);
    ASSERT_EQ(out.len, 0);
    enum codec_id codec;
    uint32_t id;
    ASSERT_EQ(codec_header(s.data, s.len, &codec, &id), 0);
    ASSERT_EQ(codec, CODEC_RAW);
    ASSERT_EQ(id, 0);
    /* a raw blob never names a dictionary */
    s.data[4] = 1;
    ASSERT_EQ(codec_decode(s.data, s.len, 1000, NULL, NULL, &out), CC_EINTERNAL);
    ccbuf_free(&s);
    ccbuf_free(&out);
}

/* A zstd frame that declares 2^40 bytes of content and holds one RLE block of 1 byte:
 * decoding it must fail on the declared size without trying to allocate it. */
static void test_declared_size(void)
{
    static const uint8_t frame[] = {
        0,    0,    0,    0,    0,             /* our header: raw?, patched below */
        0x28, 0xb5, 0x2f, 0xfd,                /* zstd magic */
        0xe0,                                  /* 8-byte content size, single segment */
        0,    0,    0,    0,    0x01, 0, 0, 0, /* content size 2^40, little-endian */
        0x0b, 0,    0,                         /* last block, RLE, 1 byte */
        'x',
    };
    uint8_t blob[sizeof frame];
    memcpy(blob, frame, sizeof frame);
    blob[0] = CODEC_ZSTD;
    struct ccbuf out;
    ccbuf_init(&out);
    ASSERT_EQ(codec_decode(blob, sizeof blob, 1u << 24, NULL, NULL, &out), CC_ETOOLARGE);
    ASSERT_EQ(codec_decode(blob, sizeof blob, SIZE_MAX, NULL, NULL, &out), CC_EINTERNAL);
    ASSERT_EQ(out.len, 0);
    ccbuf_free(&out);
}

static void test_zstd(void)
{
    const struct kind *lvl = kind_find("level");
    struct ccbuf in, s, out;
    ccbuf_init(&in);
    ccbuf_init(&s);
    ccbuf_init(&out);
    gen_level(&in);
    roundtrip(lvl, in.data, in.len, NULL, &s);
    ASSERT_EQ(s.data[0], CODEC_ZSTD);
    ASSERT(memcmp(s.data + 1, "\0\0\0\0", 4) == 0);
    ASSERT(s.len < in.len / 4);

    /* the bound: exactly the size passes, one byte less does not */
    ASSERT_EQ(codec_decode(s.data, s.len, in.len, NULL, NULL, &out), 0);
    ASSERT_EQ(out.len, in.len);
    ASSERT_EQ(codec_decode(s.data, s.len, in.len - 1, NULL, NULL, &out), CC_ETOOLARGE);
    ASSERT_EQ(out.len, in.len); /* untouched on failure: decode appends */

    /* corrupt blobs */
    ASSERT_EQ(codec_decode(s.data, 4, in.len, NULL, NULL, &out), CC_EINTERNAL);
    s.data[0] = 2;
    ASSERT_EQ(codec_decode(s.data, s.len, in.len, NULL, NULL, &out), CC_EINTERNAL);
    s.data[0] = CODEC_ZSTD;
    s.data[s.len - 6] ^= 0x55; /* inside the last block or the checksum */
    ASSERT_EQ(codec_decode(s.data, s.len, in.len, NULL, NULL, &out), CC_EINTERNAL);
    s.data[s.len - 6] ^= 0x55;
    ccbuf_append(&s, "x", 1); /* trailing bytes after the frame */
    ASSERT_EQ(codec_decode(s.data, s.len, in.len, NULL, NULL, &out), CC_EINTERNAL);
    s.len--;
    s.data[4] = 7; /* names a dictionary the frame was not made with */
    ASSERT_EQ(codec_decode(s.data, s.len, in.len, NULL, NULL, &out), CC_EINTERNAL);
    ASSERT_EQ(out.len, in.len);

    /* too large to store */
    struct ccbuf big;
    ccbuf_init(&big);
    ccbuf_reserve(&big, lvl->max_bytes + 1);
    memset(big.data, ' ', lvl->max_bytes + 1);
    size_t len0 = s.len;
    ASSERT_EQ(codec_encode(lvl, big.data, lvl->max_bytes + 1, NULL, &s), CC_ETOOLARGE);
    ASSERT_EQ(s.len, len0);
    ccbuf_free(&big);
    ccbuf_free(&in);
    ccbuf_free(&s);
    ccbuf_free(&out);
}

static void test_dict(void)
{
    enum { N = 250 };
    const struct kind *lvl = kind_find("level");
    struct ccbuf samples, dict;
    size_t sizes[N];
    ccbuf_init(&samples);
    ccbuf_init(&dict);
    for (int i = 0; i < N; i++) {
        size_t before = samples.len;
        gen_level(&samples);
        sizes[i] = samples.len - before;
    }
    uint32_t id = 0;
    ASSERT_EQ(codec_train_dict(samples.data, sizes, 3, &dict, &id), CC_EINVALID);
    ASSERT_EQ(dict.len, 0);
    ASSERT_EQ(codec_train_dict(samples.data, sizes, N, &dict, &id), 0);
    ASSERT(id != 0);
    ASSERT(dict.len > 0 && dict.len <= CODEC_DICT_BYTES);
    struct codec_dict *d;
    ASSERT_EQ(codec_dict_new("not a dictionary", 16, &d), CC_EINVALID);
    ASSERT(d == NULL);
    ASSERT_EQ(codec_dict_new(dict.data, dict.len, &d), 0);
    ASSERT_EQ(codec_dict_id(d), id);

    /* a level the dictionary has not seen compresses better with it */
    struct ccbuf in, plain, with, out;
    ccbuf_init(&in);
    ccbuf_init(&plain);
    ccbuf_init(&with);
    ccbuf_init(&out);
    gen_level(&in);
    the_dict = d;
    roundtrip(lvl, in.data, in.len, NULL, &plain);
    roundtrip(lvl, in.data, in.len, d, &with);
    ASSERT(with.len < plain.len);
    enum codec_id codec;
    uint32_t hid;
    ASSERT_EQ(codec_header(with.data, with.len, &codec, &hid), 0);
    ASSERT_EQ(codec, CODEC_ZSTD);
    ASSERT_EQ(hid, id);
    ASSERT(with.data[1] == (uint8_t)(id >> 24) && with.data[4] == (uint8_t)id);

    /* the dictionary id is unknown: not found, however asked */
    the_dict = NULL;
    ASSERT_EQ(codec_decode(with.data, with.len, lvl->max_bytes, lookup, NULL, &out), CC_ENOTFOUND);
    ASSERT_EQ(codec_decode(with.data, with.len, lvl->max_bytes, NULL, NULL, &out), CC_ENOTFOUND);
    ASSERT_EQ(out.len, 0);
    /* the artwork kind stores raw whatever dictionary it is handed */
    struct ccbuf raw;
    ccbuf_init(&raw);
    ASSERT_EQ(codec_encode(kind_find("artwork"), in.data, in.len, d, &raw), 0);
    ASSERT_EQ(raw.data[0], CODEC_RAW);
    ASSERT_EQ(raw.len, in.len + CODEC_HEADER_LEN);

    codec_dict_free(d);
    codec_dict_free(NULL);
    ccbuf_free(&raw);
    ccbuf_free(&samples);
    ccbuf_free(&dict);
    ccbuf_free(&in);
    ccbuf_free(&plain);
    ccbuf_free(&with);
    ccbuf_free(&out);
}

int main(void)
{
    test_raw();
    test_declared_size();
    test_zstd();
    test_dict();
    return 0;
}
