/* The record cache of design_view.c: a design object built from the cache is byte for
 * byte the one built from LMDB, at and past the cache's bound (sweeps); a record
 * rewritten in LMDB is still served from the cache until it is invalidated (what the
 * post-commit step does after every apply that wrote a design record) and read again
 * after; the bound holds. The end of an item kept with its record (the live fields
 * and the thumbnail) is shown again only while the design's tally, comment count and
 * top score are those it was made from: after a vote, a comment, or a move of the
 * contest mean alone, the cached object is again byte for byte LMDB's. */
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
#define STARS 100 /* designs 401..500, in a stars5 contest (its top uses the mean) */

/* d's design object through view v, as text (malloc'd), its tally shown or not. */
static char *object_as(const struct design_view *v, struct fixture *f, uint64_t id, int tally)
{
    struct dmem *d = catalog_design(f->cat, id);
    ASSERT(d);
    MDB_txn *txn;
    ASSERT_EQ(store_read_begin(f->st, &txn), 0);
    struct ccbuf b;
    ccbuf_init(&b);
    ASSERT_EQ(design_json(v, txn, d, tally, &b), 0);
    store_read_end(f->st, txn);
    char *s = xmalloc(b.len + 1);
    memcpy(s, b.data, b.len);
    s[b.len] = '\0';
    ccbuf_free(&b);
    return s;
}

static char *object_of(const struct design_view *v, struct fixture *f, uint64_t id)
{
    return object_as(v, f, id, 1);
}

/* Whether design id's object through cached is plain's, its tally shown and not. */
static void same_object(const struct design_view *plain, const struct design_view *cached,
                        struct fixture *f, uint64_t id)
{
    for (int tally = 1; tally >= 0; tally--) {
        char *a = object_as(plain, f, id, tally), *b = object_as(cached, f, id, tally);
        ASSERT_STREQ(a, b);
        free(a);
        free(b);
    }
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
    fx_contest(&f, txn, "stars", "stars5");
    for (uint64_t id = DESIGNS + 1; id <= DESIGNS + STARS; id++)
        fx_design(&f, txn, id, "stars", 10 + id % 7, 1000 + (int64_t)id, "submitted", 0, "");
    fx_vote(&f, txn, DESIGNS + 1, 10, 4);
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
    /* the bound: the records' bytes (the list of designs held is counted in bytes too) */
    ASSERT(bytes <= max + (size_t)DESIGNS * 2 * sizeof(void *));

    /* the same few again: hits. A sweep drops entries in the order it holds them, not by
     * use, so the first round's reads may push some of the five out again; but they take far less
     * than the quarter of the bound a sweep frees, so after a second round there is no
     * sweep left to come, and the third round is all hits. */
    uint64_t hits2;
    for (int round = 0; round < 3; round++) {
        record_cache_stats(cached.records, &bytes, &records, &hits, &misses);
        for (uint64_t id = 1; id <= 5; id++)
            free(object_of(&cached, &f, id));
    }
    record_cache_stats(cached.records, &bytes, &records, &hits2, &misses);
    ASSERT_EQ(hits2, hits + 5);

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

    /* the live fields: each change shows at once, though the record stays cached (in a
     * second cache: one at a time holds a catalog's designs) */
    record_cache_free(cached.records);
    struct design_view roomy = {f.st, f.cat, NULL, record_cache_new(1 << 20), NULL, 0, NULL};
    struct dmem *d = catalog_design(f.cat, 7);
    same_object(&plain, &roomy, &f, 7); /* kept, with its end */
    same_object(&plain, &roomy, &f, 7); /* shown from the cache */
    char *old = object_of(&roomy, &f, 7);
    catalog_vote(f.cat, d, 0, 1); /* the tally and the score */
    char *voted = object_of(&roomy, &f, 7);
    ASSERT(strcmp(old, voted) != 0);
    same_object(&plain, &roomy, &f, 7);
    for (uint32_t n = 1; n <= 12; n++) { /* the comments, one digit then two */
        catalog_set_comments(d, n);
        same_object(&plain, &roomy, &f, 7);
    }
    for (int i = 0; i < 3; i++) { /* votes by others: a tally longer by a digit each */
        for (int k = 0; k < (i ? 90 : 9); k++)
            catalog_vote(f.cat, d, 0, 1);
        same_object(&plain, &roomy, &f, 7);
    }
    free(old);
    free(voted);
    /* the contest mean alone: a vote on design 401 moves every top score of the stars
     * contest, the tally of 402 stays */
    uint64_t other = DESIGNS + 2;
    same_object(&plain, &roomy, &f, other);
    struct dmem *o = catalog_design(f.cat, other);
    double score = o->score[SORT_TOP];
    struct tally t0, t1;
    catalog_tally(o, &t0);
    catalog_vote(f.cat, catalog_design(f.cat, DESIGNS + 1), 0, 1);
    catalog_settle(f.cat, "stars");
    catalog_tally(o, &t1);
    ASSERT(o->score[SORT_TOP] != score);
    ASSERT(!memcmp(&t0, &t1, sizeof t0));
    same_object(&plain, &roomy, &f, other);
    size_t roomy_bytes;
    record_cache_stats(roomy.records, &roomy_bytes, &records, &hits, &misses);
    ASSERT(hits >= 20); /* what was compared was the cache's */
    record_cache_free(roomy.records);
    fx_close(&f);
    printf("test_record_cache: ok\n");
    return 0;
}
