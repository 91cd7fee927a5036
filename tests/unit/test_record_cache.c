/* The record cache of design_view.c: a design object built from the cache is byte for
 * byte the one built from LMDB, at and past the cache's bound (sweeps); a record
 * rewritten in LMDB is still served from the cache until it is invalidated (what the
 * post-commit step does after every apply that wrote a design record) and read again
 * after; the bound holds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "check.h"
#include "design_view.h"
#include "designs.h"
#include "fixture.h"
#include "util.h"

#define DESIGNS 400

/* d's design object through view v, as text (malloc'd). */
static char *object_of(const struct design_view *v, struct fixture *f, uint64_t id)
{
    struct dmem *d = catalog_design(f->cat, id);
    ASSERT(d);
    MDB_txn *txn;
    ASSERT_EQ(store_read_begin(f->st, &txn), 0);
    struct ccbuf b;
    ccbuf_init(&b);
    ASSERT_EQ(design_json(v, txn, d, 1, &b), 0);
    store_read_end(f->st, txn);
    char *s = xmalloc(b.len + 1);
    memcpy(s, b.data, b.len);
    s[b.len] = '\0';
    ccbuf_free(&b);
    return s;
}

static void same_objects(const struct design_view *plain, const struct design_view *cached,
                         struct fixture *f)
{
    for (uint64_t id = 1; id <= DESIGNS; id++) {
        char *a = object_of(plain, f, id), *b = object_of(cached, f, id);
        ASSERT_STREQ(a, b);
        free(a);
        free(b);
    }
}

int main(void)
{
    struct fixture f;
    fx_init(&f);
    MDB_txn *txn = fx_begin(&f);
    for (uint64_t id = 1; id <= DESIGNS; id++)
        fx_design(&f, txn, id, "open", 10 + id % 7, 1000 + (int64_t)id, "submitted", 0,
                  id % 2 ? "red,blue" : "");
    fx_commit(&f, txn);
    fx_open(&f);

    /* a bound of ~150 records (each ~200 bytes with its header): every pass sweeps */
    const size_t max = 32768;
    struct design_view plain = {f.st, f.cat, NULL, NULL, NULL, 0, NULL};
    struct design_view cached = {f.st, f.cat, NULL, record_cache_new(max), NULL, 0, NULL};
    same_objects(&plain, &cached, &f);
    same_objects(&plain, &cached, &f);
    size_t bytes, records;
    uint64_t hits, misses;
    record_cache_stats(cached.records, &bytes, &records, &hits, &misses);
    ASSERT_EQ(misses >= DESIGNS, 1);
    ASSERT(records > 0 && records < DESIGNS);
    /* the bound: the records' bytes (the map's own table is counted in bytes too) */
    ASSERT(bytes <= max + (size_t)256 * 16 * 4);

    /* the same few again: hits */
    for (int round = 0; round < 3; round++)
        for (uint64_t id = 1; id <= 5; id++)
            free(object_of(&cached, &f, id));
    uint64_t hits2;
    record_cache_stats(cached.records, &bytes, &records, &hits2, &misses);
    ASSERT(hits2 >= hits + 10);

    /* a record rewritten in LMDB: served from the cache until invalidated */
    char *before = object_of(&cached, &f, 3);
    txn = fx_begin(&f);
    json_t *rec;
    ASSERT_EQ(design_load(txn, f.st, 3, &rec), 0);
    json_object_set_new(rec, "title", json_string("renamed"));
    uint64_t writes = design_writes();
    ASSERT_EQ(design_save(txn, f.st, 3, rec), 0);
    ASSERT_EQ(design_writes(), writes + 1); /* what the writer looks at around an apply */
    json_decref(rec);
    fx_commit(&f, txn);
    char *stale = object_of(&cached, &f, 3);
    ASSERT_STREQ(stale, before);
    record_cache_invalidate(cached.records);
    char *after = object_of(&cached, &f, 3), *truth = object_of(&plain, &f, 3);
    ASSERT_STREQ(after, truth);
    ASSERT(strstr(after, "\"title\":\"renamed\""));
    same_objects(&plain, &cached, &f);
    free(before);
    free(stale);
    free(after);
    free(truth);

    record_cache_free(cached.records);
    fx_close(&f);
    printf("test_record_cache: ok\n");
    return 0;
}
