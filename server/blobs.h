/* Stored blobs on the server: decoding any blob ever written (its header names its
 * codec and dictionary), the registry of dictionaries (loaded from LMDB at start, shared
 * read-only with the thread pool), and training a new dictionary when enough blobs of
 * a kind exist. The stored form itself is shared/codec.h's. */
#ifndef CC_BLOBS_H
#define CC_BLOBS_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "kind.h"
#include "store.h"
#include "util.h"

struct server;
struct codec_dict;

#define BLOBS_HEADER CODEC_HEADER_LEN
/* Stored blobs of a kind before its first dictionary is trained (issue 3); a new one
 * is trained each time the count doubles since the last. */
#define BLOBS_DICT_TRAIN_AT 200
/* Most samples a dictionary is trained on (the newest designs' blobs). */
#define BLOBS_DICT_SAMPLES 2000

/* Loop thread, at start: loads every dictionary in LMDB into the registry. */
int blobs_open(struct server *srv);
/* After the loop stopped: frees the registry. NULL-safe. */
void blobs_close(struct server *srv);

/* Any thread: the dictionary new blobs of kind are encoded with (codec_encode), or
 * NULL. Borrowed: dictionaries live until blobs_close. */
const struct codec_dict *blobs_dict_current(struct server *srv, const struct kind *kind);
/* Any thread: decodes a stored blob back to the uploaded bytes, at most max of them
 * (checked from the frame header before allocating). CC_EINTERNAL if it is corrupt,
 * too large, or names an unknown dictionary. */
int blobs_decode(struct server *srv, const uint8_t *stored, size_t len, size_t max,
                 struct ccbuf *out);
/* Whether a stored blob is raw (its payload, from BLOBS_HEADER on, is the upload). */
int blobs_is_raw(const uint8_t *stored, size_t len);

/* Writer thread (a "dict" record's apply): stores the zstd dictionary dict of kind
 * (its id read from its header; a content hash), makes it the kind's current one and
 * notes the blob count it was trained at. Returns 0, CC_EBADARGS if dict is not a zstd
 * dictionary, or a store error. */
int blobs_dict_put(MDB_txn *txn, const struct store *st, const struct kind *kind,
                   const uint8_t *dict, size_t len, uint64_t count);
/* Loop thread, after that commit: new blobs of kind are encoded with it from now on. */
void blobs_dict_published(struct server *srv, const struct kind *kind, const uint8_t *dict,
                          size_t len, uint64_t count);
/* Writer thread: counts a newly stored blob of kind. Returns 0 or a store error. */
int blobs_count(MDB_txn *txn, const struct store *st, const struct kind *kind);
/* Receives a trained dictionary (taken: leave dict empty, or it is freed) of kind,
 * trained at count blobs. It must call blobs_train_end once the dictionary is
 * published (or given up), so the next training may start. */
typedef void (*blobs_trained_fn)(void *user, const struct kind *kind, struct ccbuf *dict,
                                 uint64_t count);
/* Loop thread, after a commit stored a new blob of kind that this node accepted: when a
 * dictionary is due (BLOBS_DICT_TRAIN_AT blobs, then each doubling), trains one on the
 * thread pool from the newest blobs, at most one at a time, and hands it to trained. */
void blobs_train_if_due(struct server *srv, const struct kind *kind, blobs_trained_fn trained,
                        void *user);
void blobs_train_end(struct server *srv);


#endif
