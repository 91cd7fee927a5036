/* Design records (SPEC §2) in LMDB and their wire form, plus the content-addressed
 * blob, thumbnail, render and dictionary tables they point to.
 * Writer thread for *_put / design_create; any thread with a read txn for the rest. */
#ifndef CC_DESIGNS_H
#define CC_DESIGNS_H

#include <jansson.h>
#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "jargs.h"
#include "store.h"
#include "scale.h"
#include "util.h"

/* SPEC §2: title 1–80 chars, up to 8 tags of 1–24 chars [a-z0-9-]. */
#define DESIGN_TITLE_MAX 80
#define DESIGN_TAGS_MAX 8
#define DESIGN_TAG_MAX 24

/* Checks title and tags (a JSON array or NULL) of an upload. Returns 0 with *tags_out a
 * new array of the distinct tags in order, or CC_EBADARGS with e filled. */
int design_check_meta(const char *title, json_t *tags, json_t **tags_out, struct jargs_err *e);

/* Parses a wire design id ("17"); 0 if it is not one. */
uint64_t design_parse_id(const char *s);

/* What the writer needs to store a new design. Strings are owned by the caller. */
struct design_new {
    uint64_t creator;
    const char *creator_name;
    const char *contest;
    const char *kind;
    const char *title;
    json_t *tags;
    uint8_t sha[32];
    uint64_t bytes;
    int64_t created;
    const char *terms; /* the contest's terms version accepted at upload, or NULL */
    const char *fp;    /* its fingerprint (16 hex digits), or NULL */
    json_t *similar;   /* look-alike design ids found at upload, or NULL */
    uint64_t id;    /* out: the new id */
    json_t *record; /* out: the stored record (new reference, caller frees) */
};

/* Writer thread: allocates an id and stores the record (status `submitted`), its
 * first timeline entry and its blob_refs row. Returns 0 or a store error. On a retry after map growth it is
 * called again; it releases a previous d->record itself. */
int design_create(MDB_txn *txn, const struct store *st, struct design_new *d);
/* Writer thread: lists design under creator (by_creator). */
int design_by_creator_put(MDB_txn *txn, const struct store *st, uint64_t creator,
                          uint64_t design);
/* The ids of creator's designs, oldest first (*ids malloc'd, *n of them). */
int design_by_creator(MDB_txn *txn, const struct store *st, uint64_t creator,
                      uint64_t **ids, size_t *n);
/* The look-alike entry of design id ({fp, similar?}: SPEC §8), new reference, or NULL
 * when it has none. */
json_t *design_lookalikes(MDB_txn *txn, const struct store *st, uint64_t id);
/* Loads the stored record of design id (new reference). CC_ENOTFOUND if none. */
int design_load(MDB_txn *txn, const struct store *st, uint64_t id, json_t **record);
/* Writer thread: stores record (borrowed) as design id's record, replacing the old one
 * (status and hidden change; the rest is fixed at upload). Returns 0 or a store error. */
int design_save(MDB_txn *txn, const struct store *st, uint64_t id, const json_t *record);
/* How many design records this thread has written (design_create, design_save): the
 * writer compares it around an apply, so the post-commit step knows that shown design
 * objects may have changed (the record cache of design_view.c). */
uint64_t design_writes(void);
/* Writer thread: appends an entry {status, note, by, at} to design id's timeline. */
int design_timeline_add(MDB_txn *txn, const struct store *st, uint64_t id, const char *status,
                        const char *note, uint64_t by, int64_t at);
/* Design id's timeline, oldest first (new reference; empty when none). */
json_t *design_timeline(MDB_txn *txn, const struct store *st, uint64_t id);
/* out ends with a design object's closing brace: adds "timeline":[...] inside it. */
void design_timeline_splice(MDB_txn *txn, const struct store *st, uint64_t id,
                            struct ccbuf *out);
/* The SPEC §2 design object from a stored record, with tally, score and thumb (new
 * reference). */
json_t *design_public(const json_t *record, const struct tally *t, const struct scale *scale,
                      double score);
/* The blob hash of a record (binary), 0 or -1 if the record has none. */
int design_blob(const json_t *record, uint8_t sha[32]);

/* Who already holds an upload's bytes (SPEC §7's duplicate rules), read from the
 * blob_refs table (a row per design: which bytes, whose, how many, what kind). */
struct blob_holders {
    uint64_t other; /* a design of another creator holding the bytes (0: none) */
    uint64_t own;   /* the creator's own design holding them in the contest (0: none) */
    int known;      /* some design holds them: kind and bytes as validated at its upload */
    char kind[16];
    uint64_t bytes;
};
/* Fills h for bytes sha uploaded by creator to contest. Returns 0 or a store error. */
/* The creators with a design in contest (withdrawn ones left out), each once, in a
 * new array *ids of *n (free it): a walk of blob_refs. */
int designs_creators_in(MDB_txn *txn, const struct store *st, const char *contest,
                        uint64_t **ids, size_t *n);
int blob_holders(MDB_txn *txn, const struct store *st, const uint8_t sha[32], uint64_t creator,
                 const char *contest, struct blob_holders *h);
/* Writer thread: design no longer holds bytes sha (withdrawn: SPEC §7's duplicate
 * rules no longer count it; the blob itself stays). */
int blob_ref_drop(MDB_txn *txn, const struct store *st, const uint8_t sha[32], uint64_t design);
/* At start, alone (no writer yet): upgrades older data in one durable transaction —
 * schema 1 → 2 builds blob_refs from the design records; 2 → 3 builds by_creator and
 * comment_ids and makes every token a session; 3 → 4 marks the vote log's arrival
 * (votes.h: nothing to build). Returns 0, or CC_EINTERNAL with a
 * reason logged. A no-op at STORE_SCHEMA_VERSION. */
int designs_upgrade(struct store *st);

/* Content-addressed tables. *_put store the value unless the key is already there
 * (identical uploads are stored once); they return 1 when stored, 0 when present,
 * or a store error. */
int blob_put(MDB_txn *txn, const struct store *st, MDB_dbi dbi, const uint8_t sha[32],
             const void *data, size_t len);
/* Whether a blob is stored (1) or not (0), or a store error. */
int blob_exists(MDB_txn *txn, const struct store *st, const uint8_t sha[32]);

#endif
