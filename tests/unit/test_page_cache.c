/* The page cache of design_view.c against pages built every time: after each of 4,000
 * random changes through the catalog (votes, comments, hiding, tags, status moves,
 * record rewrites) pages of every sort — the first at two sizes, and pages at random
 * offsets and sizes, across the cache's blocks of 32 positions and past the end — are
 * byte for byte those of a view without the cache, as anyone and as a member sees
 * them, through a roomy cache and through one so small that its sweep runs all the
 * time (neither waiting for a stamp to stand: quiet time 0), and through one that keeps
 * nothing (a stamp must stand an hour); and after the rescoring timer moved the hot order (its version alone moves).
 * The brand's pages, a sealed contest's and filtered ones are never kept. Pages asked
 * again with nothing changed are served from the cache (hits), and a record rewritten
 * without the post-commit step's design_view_records_written is served stale: the test
 * would see a missed invalidation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "contests.h"
#include "check.h"
#include "design_view.h"
#include <uv.h>
#include "designs.h"
#include "fixture.h"
#include "reports.h"
#include "session.h"
#include "util.h"

#define DESIGNS 120

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint64_t next_rand(void)
{
    return check_rand(&rng);
}

/* The window of q through v as viewer, as text (malloc'd). */
static char *window(const struct design_view *v, const struct gallery_query *q,
                    const struct session *viewer)
{
    struct ccbuf b;
    ccbuf_init(&b);
    ASSERT_EQ(gallery_window_json(v, q, viewer, &b, ""), 0);
    char *s = xmalloc(b.len + 1);
    memcpy(s, b.data, b.len);
    s[b.len] = '\0';
    ccbuf_free(&b);
    return s;
}

static uint64_t hits(const struct design_view *v)
{
    size_t bytes, items;
    uint64_t h, m;
    page_cache_stats(v->pages, &bytes, &items, &h, &m);
    ASSERT(items <= SORT_COUNT * (DESIGNS + 10));
    return h;
}

/* q's window through plain and each cached view, as viewer: the same text. */
static void same_page(const struct design_view *plain, const struct design_view *cached,
                      int ncached, const struct gallery_query *q, const struct session *viewer)
{
    char *a = window(plain, q, viewer);
    for (int c = 0; c < ncached; c++) {
        char *b = window(&cached[c], q, viewer);
        if (strcmp(a, b))
            fprintf(stderr, "sort %d offset %zu limit %zu view %d:\n%s\n%s\n", q->sort, q->offset,
                    q->limit, c, a, b);
        ASSERT_STREQ(a, b);
        free(b);
    }
    free(a);
}

/* First pages and pages at random places of every sort, through every view, as anyone,
 * a member and the brand; and filtered pages, which are never kept. */
static void same_pages(const struct design_view *plain, const struct design_view *cached,
                       int ncached, const struct session *member, const struct session *brand)
{
    for (int s = 0; s < SORT_COUNT; s++)
        for (int l = 0; l < 6; l++) {
            struct gallery_query q = fx_query("open", (enum sort)s);
            q.limit = l == 0 ? 24 : l == 1 ? 5 : 1 + next_rand() % CATALOG_PAGE_MAX;
            q.offset = l < 2 ? 0 : next_rand() % (DESIGNS + 10);
            for (int who = 0; who < 3; who++)
                same_page(plain, cached, ncached, &q, who == 0 ? NULL : who == 1 ? member : brand);
        }
    struct gallery_query q = fx_query("open", SORT_TOP);
    q.limit = 24;
    q.offset = 3;
    snprintf(q.tag, sizeof q.tag, "red"); /* filtered: never kept */
    uint64_t h = hits(&cached[0]);
    same_page(plain, cached, ncached, &q, NULL);
    same_page(plain, cached, ncached, &q, NULL);
    ASSERT_EQ(hits(&cached[0]), h);
}

/* Rewrites design id's title in the store. */
static void retitle(struct fixture *f, uint64_t id, const char *title)
{
    MDB_txn *txn = fx_begin(f);
    json_t *rec;
    ASSERT_EQ(design_load(txn, f->st, id, &rec), 0);
    json_object_set_new(rec, "title", json_string(title));
    ASSERT_EQ(design_save(txn, f->st, id, rec), 0);
    json_decref(rec);
    fx_commit(f, txn);
}

int main(void)
{
    struct fixture f;
    fx_init(&f);
    MDB_txn *txn = fx_begin(&f);
    for (uint64_t id = 1; id <= DESIGNS; id++)
        fx_design(&f, txn, id, "open", 10 + id % 7, 1000 + 5000 * (int64_t)id, "submitted", 0,
                  id % 2 ? "red,blue" : "");
    /* a contest that hides its tallies: the member 99 voted on 1001, so sees its tally */
    json_t *sealed = json_pack("{sssssssssb}", "id", "sealed", "slug", "sealed", "kind", "any",
                               "scale", "heart", "tallies_hidden", 1);
    ASSERT_EQ(contest_put(txn, f.st, sealed, 1), 0);
    for (uint64_t id = 1001; id <= 1010; id++)
        fx_design(&f, txn, id, "sealed", 50, 2000 + (int64_t)id, "submitted", 0, "");
    fx_vote(&f, txn, 1001, 99, 1);
    fx_vote(&f, txn, 1002, 98, 1);
    fx_commit(&f, txn);
    f.now = 1000 + 5000 * (DESIGNS + 1);
    fx_open(&f);

    struct reports *rp;
    ASSERT_EQ(reports_open(&rp, f.st), 0);
    struct design_view plain = {f.st, f.cat, rp, NULL, NULL, 0, NULL};
    struct design_view cached[2] = {
        {f.st, f.cat, rp, record_cache_new(1 << 20), page_cache_new(1 << 20, 0), 0, NULL},
        {f.st, f.cat, rp, NULL, page_cache_new(16 << 10, 0), 0, NULL}, /* sweeps all the time */
    };
    struct session member = {.account = 99, .role = ROLE_MEMBER};
    struct session brand = {.account = 1, .role = ROLE_BRAND};
    int hearts[DESIGNS + 1] = {0};
    same_pages(&plain, cached, 2, &member, &brand);

    /* nothing changed: the same pages again come from the cache */
    uint64_t h = hits(&cached[0]);
    same_pages(&plain, cached, 2, &member, &brand);
    ASSERT(hits(&cached[0]) >= h + SORT_COUNT * 2 * 2); /* anyone and the member */
    /* a page across two blocks, asked again: from the cache; and once every position
     * was shown, any page */
    struct gallery_query qa = fx_query("open", SORT_TOP);
    qa.offset = 20;
    qa.limit = 30;
    same_page(&plain, cached, 1, &qa, NULL);
    h = hits(&cached[0]);
    same_page(&plain, cached, 1, &qa, &member);
    ASSERT_EQ(hits(&cached[0]), h + 1);
    for (qa.offset = 0; qa.offset < DESIGNS; qa.offset += qa.limit)
        same_page(&plain, cached, 1, &qa, NULL);
    for (int i = 0; i < 20; i++) {
        qa.offset = next_rand() % DESIGNS;
        qa.limit = 1 + next_rand() % CATALOG_PAGE_MAX;
        h = hits(&cached[0]);
        same_page(&plain, cached, 1, &qa, NULL);
        ASSERT_EQ(hits(&cached[0]), h + 1);
    }

    static const char *const tagsets[][2] = {{"red", "green"}, {"blue", NULL}};
    char title[32];
    for (int step = 0; step < 4000; step++) {
        uint64_t id = 1 + next_rand() % DESIGNS;
        struct dmem *d = catalog_design(f.cat, id);
        ASSERT(d);
        switch (next_rand() % 8) {
        case 0: case 1: case 2: /* a heart from someone new, or one taken back */
            if (next_rand() % 3 || !hearts[id]) {
                catalog_vote(f.cat, d, 0, 1);
                hearts[id]++;
            } else {
                catalog_vote(f.cat, d, 1, 0);
                hearts[id]--;
            }
            break;
        case 3:
            catalog_set_comments(d, next_rand() % 5);
            break;
        case 4:
            catalog_set_hidden(f.cat, d, HIDE_BRAND, (int)(next_rand() % 4 == 0));
            break;
        case 5:
            catalog_set_tags(f.cat, d, tagsets[next_rand() % 2], 1);
            break;
        case 6:
            catalog_set_status(d, next_rand() % 2 ? ST_SHORTLISTED : ST_SUBMITTED);
            break;
        default: /* a record rewritten, and the post-commit step's call */
            snprintf(title, sizeof title, "title %d", step);
            retitle(&f, id, title);
            design_view_records_written(&cached[0]);
            design_view_records_written(&cached[1]);
            break;
        }
        if (step % 7 == 0 || step < 50)
            same_pages(&plain, cached, 2, &member, &brand);
    }
    same_pages(&plain, cached, 2, &member, &brand);

    /* Time passes: the rescoring timer moves the hot scores, so the hot order changes
     * while nothing a design shows does; the pages follow. */
    struct gallery_query qh = fx_query("open", SORT_HOT);
    qh.limit = 24;
    char *hot_before = window(&cached[0], &qh, NULL);
    f.now += 40 * 86400;
    int rescored = f.rescored;
    while (f.rescored == rescored)
        uv_run(&f.loop, UV_RUN_ONCE);
    same_pages(&plain, cached, 2, &member, &brand);
    char *hot_after = window(&plain, &qh, NULL);
    ASSERT(strcmp(hot_before, hot_after)); /* the order moved */
    free(hot_before);
    free(hot_after);

    /* A sealed contest's pages differ by viewer: never kept, until the tallies show. */
    struct gallery_query qs = fx_query("sealed", SORT_NEW);
    qs.limit = 24;
    for (int round = 0; round < 2; round++) {
        char *seen[3];
        for (int who = 0; who < 3; who++) {
            const struct session *viewer = who == 0 ? NULL : who == 1 ? &member : &brand;
            char *a = window(&plain, &qs, viewer);
            seen[who] = window(&cached[0], &qs, viewer);
            ASSERT_STREQ(a, seen[who]);
            ASSERT_EQ(!!strstr(a, "\"tally\":null"), who < 2 && round == 0);
            free(a);
        }
        /* sealed, the member is shown the tally of the design it voted on */
        ASSERT_EQ(!strcmp(seen[0], seen[1]), round == 1);
        for (int who = 0; who < 3; who++)
            free(seen[who]);
        if (round == 0) { /* voting closed: the tallies show to everyone */
            json_object_set_new(sealed, "tallies_revealed", json_true());
            catalog_contest_changed(f.cat, sealed);
        }
    }
    json_decref(sealed);

    /* A rewrite the cache is not told of is served stale: what the post-commit step's
     * call is for (and proof the pages above came from the cache). */
    struct gallery_query q = fx_query("open", SORT_NEW);
    q.limit = 24;
    char *before = window(&cached[0], &q, NULL);
    struct gallery_query q1 = q;
    q1.limit = 1;
    size_t total;
    uint64_t newest;
    ASSERT_EQ(fx_page(&f, &q1, &newest, 1, &total), 1);
    retitle(&f, newest, "told nobody");
    char *stale = window(&cached[0], &q, NULL), *truth = window(&plain, &q, NULL);
    ASSERT_STREQ(stale, before);
    ASSERT(strcmp(truth, before) && strstr(truth, "told nobody"));
    design_view_records_written(&cached[0]);
    char *after = window(&cached[0], &q, NULL);
    ASSERT_STREQ(after, truth);
    free(before);
    free(stale);
    free(truth);
    free(after);

    /* A cache that keeps items only under a stamp that stood an hour keeps none here,
     * and serves the same pages. */
    struct design_view patient = {f.st, f.cat, rp, NULL, page_cache_new(1 << 20, 3600000), 0,
                                  NULL};
    for (int i = 0; i < 3; i++)
        same_page(&plain, &patient, 1, &q, NULL);
    size_t pbytes, pitems;
    uint64_t phits, pmisses;
    page_cache_stats(patient.pages, &pbytes, &pitems, &phits, &pmisses);
    ASSERT(pitems == 0 && phits == 0 && pmisses == 3);
    page_cache_free(patient.pages);

    for (int c = 0; c < 2; c++) {
        size_t bytes, items;
        uint64_t hits_total, misses;
        page_cache_stats(cached[c].pages, &bytes, &items, &hits_total, &misses);
        ASSERT(items > 0 && hits_total > 0 && misses > 0);
        ASSERT(bytes <= (c ? 16 << 10 : 1 << 20) + 4096); /* its bound, plus its own header */
        printf("test_page_cache: view %d: %llu pages served from the cache, %llu built, "
               "%zu items in %zu bytes\n",
               c, (unsigned long long)hits_total, (unsigned long long)misses, items, bytes);
        page_cache_free(cached[c].pages);
        record_cache_free(cached[c].records);
    }
    printf("test_page_cache: ok\n");
    reports_close(rp);
    fx_close(&f);
    return 0;
}
