/* The storage codec for design blobs (SPEC §3): what is kept in the blob store is a
 * 5-byte header — codec (0 raw, 1 zstd) and the big-endian u32 id of the zstd
 * dictionary it needs (0 = none) — then the payload. A blob names everything needed
 * to read it back, so training a new dictionary never makes an old blob unreadable.
 * Re-entrant: each call makes its own zstd contexts; a codec_dict is immutable and
 * may be shared by any number of threads at once. */
#ifndef CC_CODEC_H
#define CC_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "kind.h"
#include "util.h"

#define CODEC_HEADER_LEN 5
enum codec_id { CODEC_RAW = 0, CODEC_ZSTD = 1 };

/* zstd level for stored blobs (NOTES.md: ~600–800 MB/s at level 3). */
#define CODEC_ZSTD_LEVEL 3
/* Capacity asked of codec_train_dict (NOTES.md: 32 KB gave +42 % on levels). */
#define CODEC_DICT_BYTES (32 * 1024)

/* A zstd dictionary ready for both directions. */
struct codec_dict;

/* Makes a dictionary from buf (copied; as made by codec_train_dict or zstd --train).
 * Returns 0, CC_EINVALID if buf is not a zstd dictionary with a non-zero id, or
 * CC_EINTERNAL. Free with codec_dict_free. */
int codec_dict_new(const void *buf, size_t len, struct codec_dict **out);
/* The id a dictionary's bytes name (ZDICT_getDictID: zstd derives it from the content
 * when it trains). Returns 0, or CC_EINVALID if buf is not a zstd dictionary. */
int codec_dict_peek_id(const void *buf, size_t len, uint32_t *id);
/* Its id (ZDICT_getDictID), as recorded in the blobs it compresses. */
uint32_t codec_dict_id(const struct codec_dict *d);
/* NULL-safe. */
void codec_dict_free(struct codec_dict *d);

/* Finds the dictionary with id (never 0) for codec_decode: NULL if there is none. The
 * result is borrowed and must stay valid until codec_decode returns. */
typedef const struct codec_dict *(*codec_dict_fn)(uint32_t id, void *user);

/* Appends the stored form of in[0..len) to out: zstd (level 3, with a checksum and
 * the content size in the frame) with dict if not NULL, when kind->compress; raw
 * otherwise (dict ignored). Returns 0, CC_ETOOLARGE (len > kind->max_bytes) or
 * CC_EINTERNAL; out is as it was on failure. */
int codec_encode(const struct kind *kind, const uint8_t *in, size_t len,
                 const struct codec_dict *dict, struct ccbuf *out);

/* Reads the header of a stored blob. Returns 0 or CC_EINTERNAL (short, unknown codec). */
int codec_header(const uint8_t *stored, size_t len, enum codec_id *codec, uint32_t *dict_id);

/* Appends the original bytes of a stored blob to out. max_bytes (the kind's) bounds
 * the result and is checked against the zstd frame header before anything is
 * allocated. lookup is called once if the blob names a dictionary (may be NULL if
 * none are in use). Returns 0; CC_ETOOLARGE over max_bytes; CC_ENOTFOUND if the
 * dictionary is unknown; CC_EINTERNAL if the blob is corrupt (bad header, not exactly
 * one complete frame with its content size, checksum mismatch). out is as it was on
 * failure. */
int codec_decode(const uint8_t *stored, size_t len, size_t max_bytes, codec_dict_fn lookup,
                 void *user, struct ccbuf *out);

/* Trains a dictionary of at most CODEC_DICT_BYTES on n samples laid end to end in
 * samples (sizes[i] bytes each), ZDICT_trainFromBuffer. Appends it to dict_out and
 * sets *id. Returns 0, or CC_EINVALID if zstd cannot train on these samples (too few
 * or too small: it wants some hundreds, a few times the dictionary size in all). */
int codec_train_dict(const void *samples, const size_t *sizes, unsigned n, struct ccbuf *dict_out,
                     uint32_t *id);

#endif
