/* The catalog alone (no network, no server): ranking for each sort and scale, votes
 * re-ranking, ties, filters by creator, tag and status, hidden designs and who sees
 * them, and paging stability (every page of a query at every offset is the matching
 * slice of the whole ordering), on the selective (sorted candidates) and the walking
 * paths. The loop closes cleanly at the end. */
#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "check.h"
#include "fixture.h"
#include "score.h"

#define IDS(...) ((const uint64_t[]){__VA_ARGS__})
#define NIDS(...) (sizeof((const uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t))

/* q's page is exactly the ids given. */
#define PAGE_IS(f, q, ...) page_is(f, q, IDS(__VA_ARGS__), NIDS(__VA_ARGS__), __LINE__)

static void page_is(struct fixture *f, const struct gallery_query *q, const uint64_t *want,
                    size_t n, int line)
{
    uint64_t got[CATALOG_PAGE_MAX];
    size_t total;
    size_t k = fx_page(f, q, got, CATALOG_PAGE_MAX, &total);
    int same = k == n;
    for (size_t i = 0; same && i < n; i++)
        same = got[i] == want[i];
    if (!same) {
        fprintf(stderr, "line %d: page of %s/%d:", line, q->contest, q->sort);
        for (size_t i = 0; i < k; i++)
            fprintf(stderr, " %llu", (unsigned long long)got[i]);
        fprintf(stderr, "\n");
    }
    ASSERT(same);
}

static size_t total_of(struct fixture *f, const struct gallery_query *q)
{
    uint64_t got[CATALOG_PAGE_MAX];
    size_t total;
    fx_page(f, q, got, CATALOG_PAGE_MAX, &total);
    return total;
}

/* A vote as the post-commit step makes it (changes_after.c): in memory only. */
static void vote(struct fixture *f, uint64_t id, int old_value, int new_value)
{
    catalog_vote(f->cat, catalog_design(f->cat, id), old_value, new_value);
}

/* Three contests, one per scale, votes stored before the catalog loads them. */
static void setup_scales(struct fixture *f)
{
    MDB_txn *txn = fx_begin(f);
    fx_contest(f, txn, "ud", "updown");
    fx_contest(f, txn, "s5", "stars5");
    /* heart (the built-in open contest): 1 and 3 have 3 hearts (1 is older), 2 has one */
    fx_design(f, txn, 1, "open", 50, 91000, "submitted", 0, "red,blue");
    fx_design(f, txn, 2, "open", 51, 92000, "submitted", 0, "red");
    fx_design(f, txn, 3, "open", 50, 93000, "submitted", 0, "");
    fx_design(f, txn, 4, "open", 52, 94000, "submitted", 0, "blue");
    for (uint64_t a = 1; a <= 3; a++) {
        fx_vote(f, txn, 1, 100 + a, 1);
        fx_vote(f, txn, 3, 100 + a, 1);
    }
    fx_vote(f, txn, 2, 101, 1);
    /* updown: 5 has 2 up 1 down (Wilson .2077), 6 one up (.2065), 7 one down (0) */
    fx_design(f, txn, 5, "ud", 50, 91000, "submitted", 0, "");
    fx_design(f, txn, 6, "ud", 51, 92000, "submitted", 0, "");
    fx_design(f, txn, 7, "ud", 52, 93000, "submitted", 0, "");
    fx_vote(f, txn, 5, 101, 1);
    fx_vote(f, txn, 5, 102, 1);
    fx_vote(f, txn, 5, 103, -1);
    fx_vote(f, txn, 6, 101, 1);
    fx_vote(f, txn, 7, 101, -1);
    /* stars5: 8 two 5★, 9 one 4★, 10 three 1★: mean 17/6 */
    fx_design(f, txn, 8, "s5", 50, 91000, "submitted", 0, "");
    fx_design(f, txn, 9, "s5", 51, 92000, "submitted", 0, "");
    fx_design(f, txn, 10, "s5", 52, 93000, "submitted", 0, "");
    fx_vote(f, txn, 8, 101, 5);
    fx_vote(f, txn, 8, 102, 5);
    fx_vote(f, txn, 9, 101, 4);
    for (uint64_t a = 1; a <= 3; a++)
        fx_vote(f, txn, 10, 100 + a, 1);
    fx_commit(f, txn);
    fx_open(f);
}

static void test_ranking(void)
{
    struct fixture f;
    fx_init(&f);
    setup_scales(&f);
    struct gallery_query q = fx_query("open", SORT_NEW);
    PAGE_IS(&f, &q, 4, 3, 2, 1); /* newest first */
    q.sort = SORT_TOP;
    PAGE_IS(&f, &q, 1, 3, 2, 4); /* 1 and 3 tie: older first */
    q.sort = SORT_HOT;
    PAGE_IS(&f, &q, 3, 1, 2, 4); /* the same points decay less on the newer one */
    ASSERT_EQ(catalog_rank(catalog_design(f.cat, 3)), 2);
    ASSERT(catalog_design(f.cat, 1)->score[SORT_TOP] == 3);

    q = fx_query("ud", SORT_TOP);
    PAGE_IS(&f, &q, 5, 6, 7);
    ASSERT(catalog_design(f.cat, 5)->score[SORT_TOP] == score_wilson(2, 1));
    q.sort = SORT_HOT; /* ups minus downs: 1, 1, 0; equal points: newer first */
    PAGE_IS(&f, &q, 6, 5, 7);

    q = fx_query("s5", SORT_TOP);
    PAGE_IS(&f, &q, 8, 9, 10);
    ASSERT(catalog_design(f.cat, 8)->score[SORT_TOP] == score_bayes(10, 2, 17.0 / 6.0));
    struct tally t;
    catalog_tally(catalog_design(f.cat, 10), &t);
    ASSERT_EQ(t.votes, 3);
    ASSERT_EQ(t.sum, 3);
    ASSERT_EQ(t.stars[0], 3);
    ASSERT_EQ(t.supports, 0);
    fx_close(&f);
}

static void test_votes(void)
{
    struct fixture f;
    fx_init(&f);
    setup_scales(&f);
    struct dmem *d4 = catalog_design(f.cat, 4);
    size_t before[SORT_COUNT], after[SORT_COUNT];
    unsigned top = 1u << SORT_TOP;
    catalog_positions(d4, top, before);
    ASSERT_EQ(before[SORT_TOP], 3);
    ASSERT_EQ(before[SORT_HOT], (size_t)-1); /* not asked for */
    ASSERT_EQ(before[SORT_NEW], (size_t)-1);
    uint32_t version = d4->version, tversion = d4->tversion;
    for (int i = 0; i < 4; i++)
        vote(&f, 4, 0, 1);
    ASSERT(d4->tversion > tversion); /* a vote changes the tally, and only that */
    ASSERT_EQ(d4->version, version);
    catalog_positions(d4, top, after);
    ASSERT_EQ(after[SORT_TOP], 0);
    struct gallery_query q = fx_query("open", SORT_TOP);
    PAGE_IS(&f, &q, 4, 1, 3, 2);
    vote(&f, 4, 1, 0); /* a cleared vote: 3 hearts, the newest of three */
    PAGE_IS(&f, &q, 1, 3, 4, 2);

    /* updown: changing a vote moves it between the counters */
    vote(&f, 7, -1, 1);
    q = fx_query("ud", SORT_TOP);
    PAGE_IS(&f, &q, 5, 6, 7); /* 6 and 7 one up each now: older first */
    vote(&f, 7, 0, 1);
    PAGE_IS(&f, &q, 7, 5, 6);
    struct tally t;
    catalog_tally(catalog_design(f.cat, 7), &t);
    ASSERT(t.up == 2 && t.down == 0 && t.votes == 2 && t.supports == 2);

    /* stars5: the mean moved (more 5★ votes); settle re-scores the gallery at once and
     * says so through the hook */
    int rescored = f.rescored;
    for (int i = 0; i < 6; i++)
        vote(&f, 10, 0, 5);
    catalog_settle(f.cat, "s5");
    ASSERT(f.rescored > rescored);
    double mean = (17.0 + 30.0) / 12.0;
    ASSERT(catalog_design(f.cat, 8)->score[SORT_TOP] == score_bayes(10, 2, mean));
    ASSERT(catalog_design(f.cat, 10)->score[SORT_TOP] == score_bayes(33, 9, mean));
    rescored = f.rescored;
    catalog_settle(f.cat, "s5"); /* nothing moved since */
    catalog_settle(f.cat, "open"); /* heart scores never depend on the mean */
    ASSERT_EQ(f.rescored, rescored);
    fx_close(&f);
}

static void test_filters_hidden(void)
{
    struct fixture f;
    fx_init(&f);
    setup_scales(&f);
    struct gallery_query q = fx_query("open", SORT_TOP);
    q.creator = 50;
    PAGE_IS(&f, &q, 1, 3);
    q.creator = 99;
    PAGE_IS(&f, &q);
    q = fx_query("open", SORT_NEW);
    snprintf(q.tag, sizeof q.tag, "blue");
    PAGE_IS(&f, &q, 4, 1);
    snprintf(q.tag, sizeof q.tag, "green"); /* a tag nobody used */
    PAGE_IS(&f, &q);
    ASSERT_EQ(total_of(&f, &q), 0);
    q = fx_query("open", SORT_TOP);
    ASSERT_EQ(catalog_set_status(catalog_design(f.cat, 2), ST_WINNER), 1);
    ASSERT_EQ(catalog_set_status(catalog_design(f.cat, 2), ST_WINNER), 0); /* no change */
    q.status = ST_WINNER;
    PAGE_IS(&f, &q, 2);
    q.status = ST_SUBMITTED;
    PAGE_IS(&f, &q, 1, 3, 4);
    q.status = ST_SHORTLISTED;
    PAGE_IS(&f, &q);
    q.status = -1;
    snprintf(q.tag, sizeof q.tag, "red");
    q.creator = 51;
    PAGE_IS(&f, &q, 2); /* filters combine */

    /* Hidden: out of every index and count; the brand sees it in its place, its
     * creator too in the gallery of their own designs, nobody else. */
    struct dmem *d3 = catalog_design(f.cat, 3);
    ASSERT_EQ(catalog_set_hidden(f.cat, d3, HIDE_BRAND, 1), 1);
    ASSERT_EQ(catalog_set_hidden(f.cat, d3, HIDE_BRAND, 1), 0);
    ASSERT_EQ(catalog_rank(d3), 0);
    q = fx_query("open", SORT_TOP);
    PAGE_IS(&f, &q, 1, 2, 4);
    ASSERT_EQ(total_of(&f, &q), 3);
    q.hidden_of = CATALOG_HIDDEN_ALL;
    PAGE_IS(&f, &q, 1, 3, 2, 4);
    ASSERT_EQ(total_of(&f, &q), 4);
    q.offset = 1;
    q.limit = 2;
    PAGE_IS(&f, &q, 3, 2);
    q = fx_query("open", SORT_TOP);
    q.creator = 50;
    PAGE_IS(&f, &q, 1);
    q.hidden_of = 50;
    PAGE_IS(&f, &q, 1, 3);
    q.hidden_of = 51; /* another member's hidden designs */
    q.creator = 51;
    PAGE_IS(&f, &q, 2);
    size_t n;
    struct dmem *const *mine = fx_designs_of(&f, 50, &n);
    ASSERT_EQ(n, 4); /* catalog_each_design: every design, oldest first */
    ASSERT(mine[0]->id == 1 && mine[1]->id == 3 && mine[2]->id == 5 && mine[3]->id == 8);
    /* Back: ranked where its votes put it. */
    ASSERT_EQ(catalog_set_hidden(f.cat, d3, HIDE_BRAND, 0), 1);
    q = fx_query("open", SORT_TOP);
    PAGE_IS(&f, &q, 1, 3, 2, 4);

    /* A design added after start-up joins its gallery; adding it again changes nothing. */
    json_t *rec = json_pack("{sssssssIsssss[s]}", "id", "11", "contest", "open", "creator",
                            "53", "created", (json_int_t)99000, "status", "submitted",
                            "title", "late", "tags", "blue");
    int added;
    struct dmem *d = catalog_add(f.cat, rec, &added);
    ASSERT(d && added && d->id == 11);
    ASSERT(catalog_add(f.cat, rec, &added) == d && !added);
    json_decref(rec);
    q = fx_query("open", SORT_NEW);
    PAGE_IS(&f, &q, 11, 4, 3, 2, 1);
    fx_close(&f);
}

/* Ties: equal scores and equal creation times fall back to the smaller id. */
static void test_ties(void)
{
    struct fixture f;
    fx_init(&f);
    MDB_txn *txn = fx_begin(&f);
    fx_design(&f, txn, 7, "open", 1, 5000, "submitted", 0, "");
    fx_design(&f, txn, 3, "open", 1, 5000, "submitted", 0, "");
    fx_design(&f, txn, 5, "open", 1, 4000, "submitted", 0, "");
    fx_commit(&f, txn);
    fx_open(&f);
    struct gallery_query q = fx_query("open", SORT_TOP);
    PAGE_IS(&f, &q, 5, 3, 7);
    q.sort = SORT_NEW;
    PAGE_IS(&f, &q, 3, 7, 5);
    fx_close(&f);
}

/* Every page of q (limit `step`) at every offset is the slice of the whole ordering. */
static void check_paging(struct fixture *f, struct gallery_query q, size_t step)
{
    size_t total;
    static uint64_t all[8192];
    size_t n = 0;
    q.limit = CATALOG_PAGE_MAX;
    for (q.offset = 0;; q.offset += CATALOG_PAGE_MAX) {
        size_t k = fx_page(f, &q, all + n, CATALOG_PAGE_MAX, &total);
        n += k;
        if (k < CATALOG_PAGE_MAX)
            break;
    }
    ASSERT_EQ(n, total);
    for (size_t i = 0; i < n; i++) /* no design twice */
        for (size_t j = i + 1; j < n && j < i + 64; j++)
            ASSERT(all[i] != all[j]);
    q.limit = step;
    for (q.offset = 0; q.offset < n + step; q.offset += 7) {
        uint64_t got[CATALOG_PAGE_MAX];
        size_t k = fx_page(f, &q, got, CATALOG_PAGE_MAX, &total);
        ASSERT_EQ(total, n);
        size_t want = q.offset >= n ? 0 : (n - q.offset < step ? n - q.offset : step);
        ASSERT_EQ(k, want);
        for (size_t i = 0; i < k; i++)
            ASSERT_EQ(got[i], all[q.offset + i]);
    }
}

/* Paging on a gallery larger than CATALOG_SELECTIVE, so that filters take both paths:
 * sorting a small candidate list, and walking the ranked index. Many ties. */
static void test_paging(void)
{
    struct fixture f;
    fx_init(&f);
    MDB_txn *txn = fx_begin(&f);
    fx_contest(&f, txn, "big", "stars5");
    const size_t n = CATALOG_SELECTIVE + 600;
    for (uint64_t id = 1; id <= n; id++) {
        fx_design(&f, txn, id, "big", 10 + id % 7, 1000 + (int64_t)(id % 500), "submitted",
                  id % 97 == 0, id % 3 == 0 ? "three" : id % 50 == 0 ? "fifty" : "");
        if (id % 4)
            fx_vote(&f, txn, id, 1000, (int)(id % 5) + 1);
    }
    fx_commit(&f, txn);
    fx_open(&f);
    for (struct dmem *d = catalog_design(f.cat, 10); d; d = NULL)
        catalog_set_status(d, ST_SHORTLISTED);
    for (int s = 0; s < SORT_COUNT; s++) {
        struct gallery_query q = fx_query("big", (enum sort)s);
        check_paging(&f, q, 13); /* the whole gallery */
        q.hidden_of = CATALOG_HIDDEN_ALL;
        check_paging(&f, q, 13); /* hidden designs merged in */
        q = fx_query("big", (enum sort)s);
        snprintf(q.tag, sizeof q.tag, "three"); /* ~1,560: sorted */
        check_paging(&f, q, 29);
        snprintf(q.tag, sizeof q.tag, "fifty"); /* few */
        check_paging(&f, q, 3);
        q = fx_query("big", (enum sort)s);
        q.status = ST_SUBMITTED; /* every design but one: walked */
        check_paging(&f, q, 41);
        q.status = -1;
        q.creator = 12; /* ~670 of them, some hidden */
        check_paging(&f, q, 17);
        q.hidden_of = 12;
        check_paging(&f, q, 17);
    }
    fx_close(&f);
}

int main(void)
{
    test_ranking();
    test_votes();
    test_filters_hidden();
    test_ties();
    test_paging();
    return 0;
}
