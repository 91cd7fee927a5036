/* A catalog on a temporary LMDB environment, for the unit tests of the in-memory
 * modules (test_catalog.c, test_live.c): contests, design records and votes are
 * written straight into the store, then catalog_open loads them on a libuv loop with a
 * test clock. No network. */
#ifndef CC_TEST_FIXTURE_H
#define CC_TEST_FIXTURE_H

#include <lmdb.h>
#include <stdint.h>
#include <uv.h>

#include "catalog.h"
#include "clock.h"
#include "store.h"

struct fixture {
    char dir[64];
    struct store *st;
    uv_loop_t loop;
    struct catalog *cat;
    struct clock clock;
    int64_t now; /* the test clock (Unix seconds) */
    int rescored; /* times the catalog's rescored hook ran */
};

/* A fresh data directory, store and loop; the clock reads f->now. */
void fx_init(struct fixture *f);
/* A write transaction on the fixture's store, and its commit. */
MDB_txn *fx_begin(struct fixture *f);
void fx_commit(struct fixture *f, MDB_txn *txn);
/* Stores a contest record {id, scale, threshold}. */
void fx_contest(struct fixture *f, MDB_txn *txn, const char *id, const char *scale);
/* Stores a design record; tags is a comma-separated list ("" for none). */
void fx_design(struct fixture *f, MDB_txn *txn, uint64_t id, const char *contest,
               uint64_t creator, int64_t created, const char *status, int hidden,
               const char *tags);
/* Stores account's vote of value on design in the folded table (votes_table_set). */
void fx_vote(struct fixture *f, MDB_txn *txn, uint64_t design, uint64_t account, int value);
/* Stores an account record (creators_open reads them). */
void fx_account(struct fixture *f, MDB_txn *txn, uint64_t id, const char *name);
/* Stores rec (taken) as compact JSON under id (big-endian) in dbi. */
void fx_record(MDB_txn *txn, MDB_dbi dbi, uint64_t id, json_t *rec);
/* Opens the catalog on what was stored, with fx_designs_of as its creator index. */
void fx_open(struct fixture *f);
/* The designs of creator (every contest, hidden ones too), oldest first: a
 * catalog_designs_of_fn (user = the fixture) standing in for creators.c's lists. */
struct dmem *const *fx_designs_of(void *user, uint64_t creator, size_t *n);
/* Stops and closes the catalog, runs the loop to its end (it must close cleanly),
 * closes the store and removes the directory. */
void fx_close(struct fixture *f);

/* Up to max ids of q's page into ids; returns how many, *total the matches. */
size_t fx_page(struct fixture *f, const struct gallery_query *q, uint64_t *ids, size_t max,
               size_t *total);
/* A query of contest by sort, offset 0, limit CATALOG_PAGE_MAX, no filters. */
struct gallery_query fx_query(const char *contest, enum sort sort);

#endif
