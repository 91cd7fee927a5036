/* How a design looks to a viewer: who may see it (hidden designs: their creator and
 * the brand), its SPEC §2 object as JSON text (the stored record spliced with the live
 * tally, comment count and score, plus `reports` for the brand), the delta a gallery
 * window sends, and a whole window of a query. Below the ops and live.c, http.c,
 * export.c, which all show designs. See design_view.h. Loop thread only. */
#include "design_view.h"

#include <stdio.h>
#include <string.h>

#include "ccerr.h"
#include "contests.h"
#include "designs.h"
#include "reports.h"
#include "store.h"
#include "util.h"
#include "votes.h"

int design_visible(const json_t *record, uint64_t viewer, enum role role)
{
    if (!json_is_true(json_object_get(record, "hidden")))
        return 1;
    if (role == ROLE_BRAND)
        return 1;
    return viewer && design_parse_id(json_string_value(json_object_get(record, "creator"))) ==
                         viewer;
}

int dmem_visible(const struct dmem *d, const struct session *s)
{
    return !d->hidden || s->role == ROLE_BRAND || (s->account && d->creator == s->account);
}

int dmem_sealed(const struct dmem *d)
{
    return contest_sealed(catalog_contest(d));
}

int design_tally_seen(const struct design_view *v, MDB_txn *txn, const struct dmem *d,
                      const struct session *viewer)
{
    if (!dmem_sealed(d) || (viewer && viewer->role == ROLE_BRAND))
        return 1;
    if (!viewer || !viewer->account)
        return 0;
    if (viewer->account == d->creator)
        return 1;
    int value;
    return votes_lookup(v->seen, txn, v->store, d->id, viewer->account, &value) == 0 && value;
}

int design_item_json(const struct design_view *v, MDB_txn *txn, const struct dmem *d,
                     const struct session *viewer, struct ccbuf *out)
{
    int rc = design_json(v, txn, d, design_tally_seen(v, txn, d, viewer), out);
    if (!rc && viewer && viewer->role == ROLE_BRAND)
        reports_splice(v->reports, d->id, out);
    return rc;
}

/* ---- JSON ---- */

/* Appends x as %.17g would: integral scores (hearts, counts) without printf. */
static void append_score(struct ccbuf *out, double x)
{
    if (x > 0 && x < 1e15 && x == (double)(uint64_t)x) {
        ccbuf_append_u64(out, (uint64_t)x);
        return;
    }
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%.17g", x);
    ccbuf_append(out, tmp, (size_t)n);
}

void design_tally_json(const struct dmem *d, struct ccbuf *out)
{
    struct tally t;
    catalog_tally(d, &t);
    tally_text(&t, catalog_scale(d), out);
}

/* Appends d's live fields: ,"tally":{...},"comments":N,"score":S (tally and score
 * null when tally is 0). */
static void append_live(const struct dmem *d, int tally, struct ccbuf *out)
{
    ccbuf_append_str(out, ",\"tally\":");
    if (tally)
        design_tally_json(d, out);
    else
        ccbuf_append_str(out, "null");
    ccbuf_append_str(out, ",\"comments\":");
    ccbuf_append_u64(out, d->comments);
    ccbuf_append_str(out, ",\"score\":");
    if (tally)
        append_score(out, d->score[SORT_TOP]);
    else
        ccbuf_append_str(out, "null");
}

/* ---- the record cache ---- */

/* An entry: the stored record, and after it the end of the item it was last shown as
 * with its tally (design_json: the live fields and the thumbnail that follow the
 * record's closing brace), kept with the live values it was made from: served again
 * while the design still has them (a gallery nobody votes in builds no item twice).
 * The design points at its entry (struct dmem's `shown`): a page finds its items'
 * entries by reading the designs it reads anyway, with no table between. */
struct rentry {
    uint64_t gen;  /* the cache's generation when it was read */
    uint32_t len;  /* the record: data[0..len) */
    uint32_t room; /* bytes data holds */
    uint32_t tail; /* the item's end, data[len..len + tail) (0: none kept) */
    uint32_t comments;           /* the live values the tail shows: d->comments, */
    uint32_t c[SCALE_COUNTERS];  /* d->c (the tally) */
    uint32_t at;                 /* its place in the cache's held[] */
    double score;                /* and d->score[SORT_TOP] */
    char data[];
};

struct record_cache {
    struct dmem **held; /* the designs with an entry (each d->shown), in no order */
    size_t n, cap;
    uint64_t gen;      /* entries of another generation are stale */
    size_t bytes, max;
    size_t hand; /* where the next sweep starts: a place in held[] */
    uint64_t hits, misses;
};

/* What an entry of room bytes costs against the bound (its header, malloc's rounding). */
static size_t entry_cost(size_t room)
{
    return sizeof(struct rentry) + room + 16;
}

struct record_cache *record_cache_new(size_t max_bytes)
{
    struct record_cache *c = xcalloc(1, sizeof *c);
    c->max = max_bytes;
    c->gen = 1;
    return c;
}

/* Drops the entry at held[at]: the last one takes its place. */
static void entry_drop(struct record_cache *c, size_t at)
{
    struct dmem *d = c->held[at];
    struct rentry *e = d->shown;
    c->bytes -= entry_cost(e->room);
    free(e);
    d->shown = NULL;
    c->held[at] = c->held[--c->n];
    if (at < c->n)
        ((struct rentry *)c->held[at]->shown)->at = (uint32_t)at;
}

void record_cache_free(struct record_cache *c)
{
    if (!c)
        return;
    while (c->n)
        entry_drop(c, c->n - 1);
    free(c->held);
    free(c);
}

void record_cache_invalidate(struct record_cache *c)
{
    if (c)
        c->gen++;
}

void record_cache_stats(const struct record_cache *c, size_t *bytes, size_t *records,
                        uint64_t *hits, uint64_t *misses)
{
    *bytes = c ? c->bytes + c->cap * sizeof *c->held : 0;
    *records = c ? c->n : 0;
    *hits = c ? c->hits : 0;
    *misses = c ? c->misses : 0;
}

/* Drops entries from the sweep's hand on (stale or not: the cache keeps no order of
 * use), until the cache holds at most three quarters of its bound. The entry that takes
 * a dropped one's place is passed over: entries made since the hand last passed wait for
 * its next round. */
static void cache_sweep(struct record_cache *c)
{
    size_t target = c->max / 4 * 3;
    while (c->bytes > target && c->n) {
        if (c->hand >= c->n)
            c->hand = 0; /* round held[] again */
        entry_drop(c, c->hand++);
    }
}

/* The stored record of d: from the cache, or read in txn and kept. *kept is its entry
 * when it is in the cache (NULL when read from LMDB and not kept). */
static int record_of(const struct design_view *v, MDB_txn *txn, const struct dmem *d,
                     const char **data, size_t *len, struct rentry **kept)
{
    struct record_cache *c = v->records;
    struct rentry *e = c ? d->shown : NULL;
    *kept = NULL;
    if (e && e->gen == c->gen) {
        c->hits++;
        *data = e->data;
        *len = e->len;
        *kept = e;
        return 0;
    }
    uint8_t key[8];
    put_be64(key, d->id);
    MDB_val val;
    int rc = store_get(txn, store_dbs(v->store)->designs, key, 8, &val);
    if (rc)
        return rc;
    *data = val.mv_data;
    *len = val.mv_size;
    if (!c || val.mv_size > UINT32_MAX / 2 || entry_cost(val.mv_size) > c->max / 64)
        return 0;
    c->misses++;
    if (e) /* stale: its place is taken again */
        entry_drop(c, e->at);
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 256;
        c->held = xrealloc(c->held, c->cap * sizeof *c->held);
    }
    e = xmalloc(sizeof *e + val.mv_size);
    e->gen = c->gen;
    e->len = e->room = (uint32_t)val.mv_size;
    e->tail = 0;
    e->at = (uint32_t)c->n;
    memcpy(e->data, val.mv_data, val.mv_size);
    ((struct dmem *)d)->shown = e; /* (the cache's field of the design) */
    c->held[c->n++] = (struct dmem *)d;
    c->bytes += entry_cost(e->room);
    if (c->bytes > c->max)
        cache_sweep(c);
    else
        *kept = e; /* (a sweep may have dropped it; *data stays LMDB's, valid in txn) */
    return 0;
}

/* Whether e's tail shows d's live values now. */
static int tail_fresh(const struct rentry *e, const struct dmem *d)
{
    return e->tail && e->comments == d->comments && e->score == d->score[SORT_TOP] &&
           !memcmp(e->c, d->c, sizeof e->c);
}

/* Keeps tail[0..n), d's item end as shown now, in e (grown when it has no room). */
static void tail_keep(const struct design_view *v, struct rentry *e, const struct dmem *d,
                      const char *tail, size_t n)
{
    struct record_cache *c = v->records;
    if (n > UINT32_MAX / 2 || entry_cost(e->len + n) > c->max / 64)
        return;
    if (e->len + n > e->room) {
        size_t room = e->len + n + 16; /* a tally a digit longer fits next time */
        c->bytes -= entry_cost(e->room);
        e = xrealloc(e, sizeof *e + room);
        e->room = (uint32_t)room;
        c->bytes += entry_cost(e->room);
        ((struct dmem *)d)->shown = e;
    }
    memcpy(e->data + e->len, tail, n);
    e->tail = (uint32_t)n;
    e->comments = d->comments;
    memcpy(e->c, d->c, sizeof e->c);
    e->score = d->score[SORT_TOP];
    if (c->bytes > c->max)
        cache_sweep(c);
}

int design_json(const struct design_view *v, MDB_txn *txn, const struct dmem *d, int tally,
                struct ccbuf *out)
{
    const char *data;
    size_t len;
    struct rentry *e;
    int rc = record_of(v, txn, d, &data, &len, &e);
    if (rc)
        return rc;
    /* The stored record is a compact JSON object: splice the live fields before its
     * closing brace. */
    if (len < 2 || data[len - 1] != '}')
        return CC_EINTERNAL;
    ccbuf_append(out, data, len - 1);
    if (tally && e && tail_fresh(e, d)) {
        ccbuf_append(out, e->data + e->len, e->tail);
        return 0;
    }
    size_t mark = out->len;
    append_live(d, tally, out);
    ccbuf_append_str(out, ",\"thumb\":\"/t/");
    ccbuf_append_u64(out, d->id);
    ccbuf_append_str(out, ".png\"}");
    if (tally && e)
        tail_keep(v, e, d, (const char *)out->data + mark, out->len - mark);
    return 0;
}

void design_delta_json(const struct dmem *d, int tally, struct ccbuf *out)
{
    ccbuf_append_str(out, "{\"id\":\"");
    ccbuf_append_u64(out, d->id);
    ccbuf_append_str(out, "\"");
    append_live(d, tally, out);
    ccbuf_append_str(out, ",\"status\":\"");
    ccbuf_append_str(out, status_name((enum dstatus)d->status));
    ccbuf_append_str(out, "\"}");
}

/* Starts loading what showing items[0..n) reads — each design, then its cached entry —
 * a step for all of them before the next, so that a page's cache misses (a page at a
 * random offset: ~24 of each, ~10 us when taken one after another) overlap. An entry's
 * lines are asked for up to ENTRY_PREFETCH bytes without waiting for its header to say
 * how long it is (most are ~430: a 56-byte header and an item of ~370). Changes
 * nothing. */
#define ENTRY_PREFETCH 640
static void prefetch_items(const struct design_view *v, struct dmem *const *items, int n)
{
    for (int i = 0; i < n; i++) {
        const char *d = (const char *)items[i]; /* its lines: two, or three when it */
        prefetch(d);                            /* starts late in its first */
        prefetch(d + 64);
        prefetch(d + sizeof(struct dmem) - 1);
    }
    if (!v->records)
        return;
    for (int i = 0; i < n; i++) {
        const char *e = items[i]->shown;
        for (size_t at = 0; e && at < ENTRY_PREFETCH; at += 64)
            prefetch(e + at);
    }
}

/* ---- first pages ---- */

#define PAGE_CACHE_SLOTS 16
#define PAGE_CACHE_BODY_MAX (64 * 1024)

struct page_entry {
    uint64_t used; /* when last served or made (the cache's clock); 0: empty */
    const struct cgal *g;
    enum sort sort;
    size_t limit;
    uint64_t gen, records_gen; /* the gallery's and the view's when it was made */
    size_t total;
    int n;
    struct dmem *items[CATALOG_PAGE_MAX];
    struct ccbuf body;
};

struct page_cache {
    struct page_entry slot[PAGE_CACHE_SLOTS];
    uint64_t clock, hits, misses;
    size_t bytes;
};

struct page_cache *page_cache_new(void)
{
    return xcalloc(1, sizeof(struct page_cache));
}

void page_cache_free(struct page_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < PAGE_CACHE_SLOTS; i++)
        ccbuf_free(&c->slot[i].body);
    free(c);
}

void page_cache_stats(const struct page_cache *c, size_t *bytes, size_t *pages,
                      uint64_t *hits, uint64_t *misses)
{
    *bytes = *pages = 0;
    *hits = *misses = 0;
    if (!c)
        return;
    *bytes = sizeof *c + c->bytes;
    for (int i = 0; i < PAGE_CACHE_SLOTS; i++)
        *pages += c->slot[i].used != 0;
    *hits = c->hits;
    *misses = c->misses;
}

void design_view_records_written(struct design_view *v)
{
    v->records_gen++;
    record_cache_invalidate(v->records);
}

/* Whether the page q asks viewer for, of the designs items[0..n), may be kept: a plain
 * first page, the same for everyone but the brand (which is shown report counts and
 * hidden designs). */
static int page_keepable(const struct gallery_query *q, const struct session *viewer,
                         const char *prefix, struct dmem *const *items, int n)
{
    if (!n || q->random || q->offset || q->creator || q->tag[0] || q->status >= 0 ||
        q->kind || q->hidden_of || prefix[0] || (viewer && viewer->role == ROLE_BRAND))
        return 0;
    /* who sees the tallies of a contest that seals them depends on the viewer (a page's
     * designs are all of its gallery's contest) */
    return !contest_sealed(catalog_gallery_contest(catalog_gallery_of(items[0])));
}

static struct page_entry *page_find(struct page_cache *c, const struct cgal *g,
                                    const struct gallery_query *q)
{
    for (int i = 0; i < PAGE_CACHE_SLOTS; i++) {
        struct page_entry *e = &c->slot[i];
        if (e->used && e->g == g && e->sort == q->sort && e->limit == q->limit)
            return e;
    }
    return NULL;
}

/* Whether e shows what the page of items[0..n), total, would show now. */
static int page_fresh(const struct page_entry *e, const struct design_view *v,
                      struct dmem *const *items, int n, size_t total)
{
    return e->gen == catalog_gallery_gen(e->g) && e->records_gen == v->records_gen &&
           e->total == total && e->n == n && !memcmp(e->items, items, n * sizeof *items);
}

/* Keeps the page just made (body[0..len)) in e, or in the empty or least recently used
 * slot when e is NULL. */
static void page_keep(struct page_cache *c, struct page_entry *e, const struct cgal *g,
                      const struct gallery_query *q, uint64_t records_gen,
                      struct dmem *const *items, int n, size_t total, const void *body,
                      size_t len)
{
    if (!e) {
        e = &c->slot[0];
        for (int i = 1; i < PAGE_CACHE_SLOTS && e->used; i++)
            if (c->slot[i].used < e->used)
                e = &c->slot[i];
    }
    c->bytes -= e->body.cap;
    if (len > PAGE_CACHE_BODY_MAX) { /* not kept: the slot is emptied */
        ccbuf_free(&e->body);
        e->used = 0;
        return;
    }
    e->used = ++c->clock;
    e->g = g;
    e->sort = q->sort;
    e->limit = q->limit;
    e->gen = catalog_gallery_gen(g);
    e->records_gen = records_gen;
    e->total = total;
    e->n = n;
    memcpy(e->items, items, n * sizeof *items);
    e->body.len = 0;
    ccbuf_append(&e->body, body, len);
    c->bytes += e->body.cap;
}

int gallery_window_json(const struct design_view *v, const struct gallery_query *q,
                        const struct session *viewer, struct ccbuf *out, const char *prefix)
{
    struct dmem *items[CATALOG_PAGE_MAX];
    size_t total = 0;
    int n = catalog_page(v->catalog, q, items, &total);
    if (n < 0)
        return n;
    struct page_cache *pc = v->pages;
    const struct cgal *g = NULL;
    struct page_entry *kept = NULL;
    if (pc && page_keepable(q, viewer, prefix, items, n)) {
        g = catalog_gallery_of(items[0]); /* the page's gallery: an empty one is not kept */
        kept = page_find(pc, g, q);
        if (kept && page_fresh(kept, v, items, n, total)) {
            ccbuf_append(out, kept->body.data, kept->body.len);
            kept->used = ++pc->clock;
            pc->hits++;
            return 0;
        }
        pc->misses++;
    }
    size_t start = out->len;
    MDB_txn *txn;
    int rc = store_read_begin(v->store, &txn);
    if (rc)
        return rc;
    ccbuf_reserve(out, (size_t)n * 512 + 128); /* one allocation for most pages */
    prefetch_items(v, items, n);
    ccbuf_append_str(out, "{"); /* {<prefix>"total":N,"items":[, without printf */
    ccbuf_append_str(out, prefix);
    ccbuf_append_str(out, "\"total\":");
    ccbuf_append_u64(out, total);
    ccbuf_append_str(out, ",\"items\":[");
    for (int i = 0; i < n && !rc; i++) {
        if (i)
            ccbuf_append(out, ",", 1);
        rc = design_item_json(v, txn, items[i], viewer, out);
    }
    store_read_end(v->store, txn);
    ccbuf_append(out, "]}", 2);
    if (!rc && g)
        page_keep(pc, kept, g, q, v->records_gen, items, n, total, out->data + start,
                  out->len - start);
    return rc;
}
