/* gen: synthetic uploads for the upload benchmarks, the same for the network client
 * (uploadgen) and the in-process cost (uploadcost).
 *
 * Levels (SPEC §3 cocreate.level/1): a solid ground, a clear walking row above it with
 * the spawn S at its left and the goal G at its right (so every level is playable),
 * and decorations (platforms, coins, enemies, spikes, floating blocks, water, buried
 * pockets) placed from a PRNG seeded by the serial number: every serial gives other
 * bytes, all levels share the shape that a zstd dictionary can learn.
 *
 * Artworks (PNG, 8-bit RGBA): an image of flat shapes, gradients and noisy patches,
 * compressed once (zlib level 1, filter None) up to the target size; only the last
 * row differs per serial. The zlib stream is cut in two: everything but the last row,
 * ended with a full flush, and the last row as an independent deflate stream with the
 * Adler-32 of the whole image combined from both parts, so a new artwork costs one
 * row of deflate, one chunk CRC and the SHA-256 of the tail (the prefix's SHA-256
 * state is kept) — the client does not spend seconds of CPU making 16 MiB uploads. */
#ifndef CC_GEN_H
#define CC_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Appends a level of about target_bytes (16 × 8 up to 1024 × 256 tiles) to out.
 * Different serials give different levels. */
void gen_level(uint64_t serial, size_t target_bytes, struct ccbuf *out);

/* One artwork template: the shared prefix of every artwork it makes. */
struct gen_png {
    uint32_t w, h;
    double ratio;         /* raw pixel bytes / compressed bytes of the prefix */
    struct ccbuf prefix;  /* signature, IHDR, IDAT chunks of rows 0..h-2 */
    unsigned long adler;  /* Adler-32 of the raw (filtered) rows 0..h-2 */
    size_t raw_prefix;    /* their length */
    void *sha;            /* EVP_MD_CTX after hashing prefix */
};

/* Makes a template whose artworks are about target_bytes (at most max_bytes) long.
 * Returns 0, or -1 when the size cannot be reached within the artwork limits. */
int gen_png_init(struct gen_png *g, size_t target_bytes, size_t max_bytes);
/* The bytes that follow the prefix for artwork number serial (the last row's IDAT
 * chunk and IEND) into tail (replaced), and the SHA-256 of the whole PNG. */
void gen_png_tail(const struct gen_png *g, uint64_t serial, struct ccbuf *tail,
                  uint8_t sha[32]);
/* Prefix and tail in one buffer (replaced), for in-process use. */
void gen_png_whole(const struct gen_png *g, uint64_t serial, struct ccbuf *out,
                   uint8_t sha[32]);
void gen_png_free(struct gen_png *g);

#endif
