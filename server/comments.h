/* Comments (SPEC §2) in LMDB: the text rules, records keyed by design then comment id
 * (so a design's comments, newest first from any cursor, are one bounded walk), and
 * each design's comment count, stored beside them in the same transaction.
 * Writer thread for comment_create; any thread with a read txn for the rest. */
#ifndef CC_COMMENTS_H
#define CC_COMMENTS_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "jargs.h"
#include "store.h"
#include "util.h"

/* SPEC §2: text of 1–2000 Unicode scalar values. */
#define COMMENT_TEXT_MAX 2000
/* comment.list: limit ≤ 100, default 24 (as SPEC §4 has for galleries). */
#define COMMENT_PAGE_MAX 100
#define COMMENT_PAGE_DEFAULT 24

/* Checks a comment's text (len bytes): valid UTF-8 of 1..COMMENT_TEXT_MAX scalar
 * values, not only white space, and no control characters but tab, line feed and
 * carriage return (so no NUL, DEL or C1 controls). Returns 0, or CC_EBADARGS with e
 * naming "text". */
int comment_check_text(const char *text, size_t len, struct jargs_err *e);

/* What the writer needs to store a comment; strings borrowed from the request. */
struct comment_new {
    uint64_t design;
    uint64_t author;
    const char *author_name;
    const char *text;
    int official;
    int64_t created;
    uint64_t id;    /* out: the new comment's id */
    uint64_t count; /* out: the design's comment count, this one included */
    char *json;     /* out: the stored comment object (malloc'd; the caller frees) */
};

/* Writer thread: allocates an id, stores the comment and bumps the design's count.
 * Idempotent under the writer's retry (it frees a previous c->json itself). */
int comment_create(MDB_txn *txn, const struct store *st, struct comment_new *c);
/* Who reads comments (comment_page, comment_range): an account id (0 = anonymous), or
 * COMMENTS_ALL (the brand). A comment hidden by moderation (SPEC §7) shows only to its
 * author and the brand; the others skip it. */
#define COMMENTS_ALL UINT64_MAX

/* Appends to out, comma-separated, the stored objects of up to limit comments on
 * design with ids below before (0 = from the newest), newest first; *more says whether
 * older ones remain. Returns 0 or a store error. */
int comment_page(MDB_txn *txn, const struct store *st, uint64_t design, uint64_t before,
                 size_t limit, uint64_t viewer, struct ccbuf *out, int *more);
/* Appends to out, comma-separated, the stored objects of up to limit comments on
 * design with after < id <= upto, newest first; *more says whether more of them remain.
 * Returns 0 or a store error. */
int comment_range(MDB_txn *txn, const struct store *st, uint64_t design, uint64_t after,
                  uint64_t upto, size_t limit, uint64_t viewer, struct ccbuf *out, int *more);
/* The id of design's newest stored comment (0 if none) into *id. Returns 0 or a store
 * error. */
int comment_newest(MDB_txn *txn, const struct store *st, uint64_t design, uint64_t *id);
/* The design and author of comment id, or CC_ENOTFOUND. */
int comment_locate(MDB_txn *txn, const struct store *st, uint64_t id, uint64_t *design,
                   uint64_t *author);
/* Writer thread: marks comment id of design hidden (or visible); *changed when it moved. */
int comment_set_hidden(MDB_txn *txn, const struct store *st, uint64_t design, uint64_t id,
                       int hidden, int *changed);
/* Writer thread: every comment by author now shows name (an erased account, SPEC §7).
 * Walks all comments' index: rare. */
int comment_rename_author(MDB_txn *txn, const struct store *st, uint64_t author,
                          const char *name);
/* Start-up, before the writer: schema 2 → 3, the comment_ids index from the comments. */
int comments_upgrade_ids(MDB_txn *txn, const struct store *st, size_t *n);
/* Start-up: calls fn(user, design, count) for every design with comments. */
int comment_counts(MDB_txn *txn, const struct store *st,
                   void (*fn)(void *user, uint64_t design, uint64_t count), void *user);

#endif
