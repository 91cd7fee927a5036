/* Notices of SPEC §8 (dialogue): what concerns an account, kept in LMDB (`notices`:
 * be64 account + be64 notice id → the notice object; be64 account + be64 0 → be64 the
 * last id read) and pushed live to the account's connections. Made inside the applies
 * of the records that cause them (a status move, a comment on one's design, a support
 * milestone, a threshold), so every node and every replay makes the same ones. Writer
 * thread for notice_add / notice_mark_read; any thread with a read txn for the rest. */
#ifndef CC_NOTICES_H
#define CC_NOTICES_H

#include <jansson.h>
#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* notice.list: limit ≤ 100, default 50. A notice's text is cut to this many bytes
 * (at a character boundary). */
#define NOTICE_PAGE_MAX 100
#define NOTICE_TEXT_MAX 280

/* What a notice is about. */
struct notice_new {
    uint64_t account;    /* who is told */
    const char *kind;    /* status, comment, official, milestone, threshold, contest */
    uint64_t design;     /* 0: none */
    const char *contest; /* NULL: none */
    uint64_t actor;      /* who did it (0: the brand's system, the clock) */
    const char *text;
    const char *status;  /* kind status: the new status */
    const char *note;    /* kind status: the brand's public note, or NULL */
    uint64_t supports;   /* kind milestone / threshold: the count reached */
};

/* Writer thread: stores n (its id from the `notice` counter, created at) and appends
 * {"account": "<id>", "notice": {...}} to made (for the post-commit push). */
int notice_add(MDB_txn *txn, const struct store *st, const struct notice_new *n, int64_t at,
               json_t *made);
/* Up to limit notices of account with ids below before (0: from the newest), newest
 * first, as a new array; *more when older ones remain; NULL on a store error. */
json_t *notice_list(MDB_txn *txn, const struct store *st, uint64_t account, uint64_t before,
                    size_t limit, int *more);
/* How many of account's notices are newer than its read mark. */
uint64_t notice_unread(MDB_txn *txn, const struct store *st, uint64_t account);
/* Writer thread: everything up to id upto is read (the mark never moves back). */
int notice_mark_read(MDB_txn *txn, const struct store *st, uint64_t account, uint64_t upto);

#endif
