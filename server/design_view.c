/* How a design looks to a viewer: who may see it (hidden designs: their creator and
 * the brand), its SPEC §2 object as JSON text (the stored record spliced with the live
 * tally, comment count and score, plus `reports` for the brand), the delta a gallery
 * window sends, and a whole window of a query. Below the ops and live.c, http.c,
 * export.c, which all show designs. See design_view.h. Loop thread only. */
#include "design_view.h"

#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "ccerr.h"
#include "contests.h"
#include "designs.h"
#include "reports.h"
#include "store.h"
#include "u64map.h"
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

/* ---- pages ---- */

/* The page cache: the items of plain pages as shown lately, kept by their positions in
 * a gallery's order in one sort, in blocks of PAGE_BLOCK positions. Each block holds
 * the stamp it was made under; a page whose every position sits filled in a block of
 * the gallery's stamp now is copied from the blocks, reading no design and not the
 * order. A block of another stamp is emptied when an item is next kept in it. */
#define PAGE_BLOCK 32

/* Everything a plain page of a gallery shows, but the stored records: the gallery's
 * generation (its designs' data, tallies and scores, its settings) and its order's
 * version in the sort (catalog_gallery_order); and the view's records_gen. */
struct pstamp {
    uint64_t gen, order, records;
};

struct porder; /* a gallery's blocks in one sort */

struct pblock {
    struct pstamp stamp;
    uint32_t have;    /* slot i (position PAGE_BLOCK * index + i) is filled: bit i */
    uint32_t held_at; /* its place in the cache's held[] */
    uint32_t ordered; /* slots [0, ordered) lie at the text's start in their order, a
                         comma between each two: a run of them is one copy */
    struct porder *order;
    size_t index;                             /* in order->block[] */
    uint32_t at[PAGE_BLOCK], len[PAGE_BLOCK]; /* slot i's item: text[at, at + len) */
    struct ccbuf text;
};

struct porder {
    struct pblock **block; /* block i covers positions [PAGE_BLOCK * i, + PAGE_BLOCK) */
    size_t nblock;
    struct pstamp seen; /* the stamp a page built last saw, */
    uint64_t seen_at;   /* first seen then (uv_hrtime, ns) */
};

struct page_cache {
    struct u64map orders; /* (gallery, sort) → struct porder * */
    struct pblock **held; /* every block, in no order */
    size_t n, cap, hand;  /* hand: where the next sweep starts in held[] */
    size_t bytes, max;
    uint64_t quiet_ns; /* how long a stamp must have stood before items are kept under it */
    uint64_t hits, misses;
};

/* What a block of text room costs against the bound (its header, malloc's rounding). */
static size_t block_cost(size_t room) { return sizeof(struct pblock) + room + 32; }

struct page_cache *page_cache_new(size_t max_bytes, unsigned quiet_ms)
{
    struct page_cache *c = xcalloc(1, sizeof *c);
    c->max = max_bytes;
    c->quiet_ns = (uint64_t)quiet_ms * 1000000;
    u64map_init(&c->orders);
    return c;
}

/* Drops the block at held[at]: the last one takes its place. */
static void block_drop(struct page_cache *c, size_t at)
{
    struct pblock *k = c->held[at];
    k->order->block[k->index] = NULL;
    c->bytes -= block_cost(k->text.cap);
    ccbuf_free(&k->text);
    free(k);
    c->held[at] = c->held[--c->n];
    if (at < c->n)
        c->held[at]->held_at = (uint32_t)at;
}

void page_cache_free(struct page_cache *c)
{
    if (!c)
        return;
    while (c->n)
        block_drop(c, c->n - 1);
    size_t at = 0;
    uint64_t key;
    void *val;
    while (u64map_next(&c->orders, &at, &key, &val)) {
        struct porder *o = val;
        free(o->block);
        free(o);
    }
    u64map_free(&c->orders);
    free(c->held);
    free(c);
}

void page_cache_stats(const struct page_cache *c, size_t *bytes, size_t *items, uint64_t *hits,
                      uint64_t *misses)
{
    *bytes = *items = 0;
    *hits = *misses = 0;
    if (!c)
        return;
    *bytes = sizeof *c + c->bytes + c->cap * sizeof *c->held + u64map_memory(&c->orders);
    for (size_t i = 0; i < c->n; i++)
        *items += (size_t)__builtin_popcount(c->held[i]->have);
    *hits = c->hits;
    *misses = c->misses;
}

void design_view_records_written(struct design_view *v)
{
    v->records_gen++;
    record_cache_invalidate(v->records);
}

/* The gallery of the page q asks viewer for when the page may be served from the cache
 * and kept in it: a plain page (no filter, no hidden designs), the same for everyone
 * but the brand (who is shown report counts and hidden designs), of a contest that
 * does not seal its tallies now (who sees a sealed tally depends on the viewer). */
static const struct cgal *page_keepable(const struct design_view *v, const struct gallery_query *q,
                                        const struct session *viewer)
{
    if (!v->pages || q->random || q->creator || q->tag[0] || q->status >= 0 || q->kind ||
        q->hidden_of || (viewer && viewer->role == ROLE_BRAND))
        return NULL;
    const struct cgal *g = catalog_gallery(v->catalog, q->contest);
    return g && !contest_sealed(catalog_gallery_contest(g)) ? g : NULL;
}

/* g's blocks in sort s (made on first use). */
static struct porder *page_order(struct page_cache *c, const struct cgal *g, enum sort s)
{
    uint64_t key = (uint64_t)(uintptr_t)g | (uint64_t)s; /* g is 8-aligned, s < 8 */
    struct porder *o = u64map_get(&c->orders, key);
    if (!o) {
        o = xcalloc(1, sizeof *o);
        u64map_put(&c->orders, key, o);
        c->bytes += sizeof *o;
    }
    return o;
}

/* The stamp of g's page in sort s now, and its total. */
static size_t page_stamp(const struct design_view *v, const struct cgal *g, enum sort s,
                         struct pstamp *st)
{
    size_t total = catalog_gallery_order(g, s, &st->order);
    st->gen = catalog_gallery_gen(g);
    st->records = v->records_gen;
    return total;
}

static int stamp_eq(const struct pstamp *a, const struct pstamp *b)
{
    return a->gen == b->gen && a->order == b->order && a->records == b->records;
}

/* The slots of the block holding positions [from, to) that those positions fill. */
static uint32_t slot_mask(size_t block, size_t from, size_t to)
{
    size_t lo = block * PAGE_BLOCK, hi = lo + PAGE_BLOCK;
    from = from > lo ? from - lo : 0;
    to = (to < hi ? to : hi) - lo;
    uint64_t bits = ((uint64_t)1 << to) - ((uint64_t)1 << from);
    return (uint32_t)bits;
}

/* Appends the window of positions [from, to) of o (total of them in all) when every one
 * of them is filled under stamp st; 0 (out unchanged) otherwise. From a block in order,
 * the page's part of it is one copy. */
static int page_serve(const struct porder *o, const struct pstamp *st, size_t total, size_t from,
                      size_t to, const char *prefix, struct ccbuf *out)
{
    for (size_t b = from / PAGE_BLOCK; b <= (to - 1) / PAGE_BLOCK; b++) {
        const struct pblock *k = b < o->nblock ? o->block[b] : NULL;
        uint32_t want = slot_mask(b, from, to);
        if (!k || (k->have & want) != want || !stamp_eq(&k->stamp, st))
            return 0;
    }
    /* the items' lines asked for at once, so that their misses overlap */
    size_t bytes = 0;
    for (size_t p = from; p < to; p++) {
        const struct pblock *k = o->block[p / PAGE_BLOCK];
        size_t i = p % PAGE_BLOCK;
        const char *t = (const char *)k->text.data + k->at[i];
        for (size_t at = 0; at < k->len[i] + 63; at += 64)
            prefetch(t + at);
        bytes += k->len[i] + 1;
    }
    ccbuf_reserve(out, bytes + 64 + strlen(prefix));
    ccbuf_append_str(out, "{");
    ccbuf_append_str(out, prefix);
    ccbuf_append_str(out, "\"total\":");
    ccbuf_append_u64(out, total);
    ccbuf_append_str(out, ",\"items\":[");
    for (size_t p = from; p < to;) {
        const struct pblock *k = o->block[p / PAGE_BLOCK];
        size_t i = p % PAGE_BLOCK, end = (p / PAGE_BLOCK + 1) * PAGE_BLOCK;
        if (end > to)
            end = to;
        if (p > from)
            ccbuf_append(out, ",", 1);
        size_t j = end - 1 - p / PAGE_BLOCK * PAGE_BLOCK;
        if (j < k->ordered) { /* items i .. j of the block, the commas between them too */
            ccbuf_append(out, k->text.data + k->at[i], k->at[j] + k->len[j] - k->at[i]);
            p = end;
            continue;
        }
        ccbuf_append(out, k->text.data + k->at[i], k->len[i]);
        p++;
    }
    ccbuf_append(out, "]}", 2);
    return 1;
}

/* Lays k's items (every slot filled) out again in their order, a comma between each
 * two: a page's part of the block is then one copy of sequential memory. */
static void block_order(struct page_cache *c, struct pblock *k, int slots)
{
    if (k->ordered == (uint32_t)slots)
        return; /* kept in order from the first */
    struct ccbuf t;
    ccbuf_init(&t);
    ccbuf_reserve(&t, k->text.len + (size_t)slots);
    for (int i = 0; i < slots; i++) {
        if (i)
            ccbuf_append(&t, ",", 1);
        uint32_t at = (uint32_t)t.len;
        ccbuf_append(&t, k->text.data + k->at[i], k->len[i]);
        k->at[i] = at;
    }
    c->bytes -= k->text.cap;
    c->bytes += t.cap;
    ccbuf_free(&k->text);
    k->text = t;
    k->ordered = (uint32_t)slots;
}

/* Drops blocks from the sweep's hand on (the cache keeps no order of use) until it
 * holds at most three quarters of its bound. */
static void page_sweep(struct page_cache *c)
{
    size_t target = c->max / 4 * 3;
    while (c->bytes > target && c->n) {
        if (c->hand >= c->n)
            c->hand = 0;
        block_drop(c, c->hand++);
    }
}

/* Keeps the item at position pos of o (total positions), text[0..len), shown under
 * stamp st. */
static void page_keep(struct page_cache *c, struct porder *o, const struct pstamp *st, size_t total,
                      size_t pos, const void *text, size_t len)
{
    size_t b = pos / PAGE_BLOCK, i = pos % PAGE_BLOCK;
    if (len > UINT32_MAX / 4 || block_cost(len) > c->max / 16)
        return;
    size_t had = o->nblock;
    o->block = xgrow_zeroed(o->block, &o->nblock, b, sizeof *o->block, 8);
    c->bytes += (o->nblock - had) * sizeof *o->block;
    struct pblock *k = o->block[b];
    if (!k) {
        if (c->n == c->cap) {
            c->cap = c->cap ? 2 * c->cap : 64;
            c->held = xrealloc(c->held, c->cap * sizeof *c->held);
        }
        k = xcalloc(1, sizeof *k);
        k->order = o;
        k->index = b;
        k->held_at = (uint32_t)c->n;
        k->stamp = *st;
        c->held[c->n++] = k;
        o->block[b] = k;
        c->bytes += block_cost(0);
    } else if (!stamp_eq(&k->stamp, st)) { /* stale: emptied */
        k->stamp = *st;
        k->have = 0;
        k->ordered = 0;
        k->text.len = 0;
    } else if (k->have & (1u << i)) {
        return; /* the same stamp: the same text */
    }
    size_t cap = k->text.cap;
    uint32_t o_end = k->ordered ? k->at[k->ordered - 1] + k->len[k->ordered - 1] : 0;
    int in_order = i == k->ordered && k->text.len == o_end; /* the ordered run goes on */
    if (in_order && i)
        ccbuf_append(&k->text, ",", 1);
    k->at[i] = (uint32_t)k->text.len;
    k->len[i] = (uint32_t)len;
    ccbuf_append(&k->text, text, len);
    k->ordered += (uint32_t)in_order;
    k->have |= 1u << i;
    c->bytes += k->text.cap - cap;
    uint32_t full = slot_mask(b, 0, total);
    if (k->have == full)
        block_order(c, k, __builtin_popcount(full));
}

/* ---- windows ---- */

int gallery_window_json(const struct design_view *v, const struct gallery_query *q,
                        const struct session *viewer, struct ccbuf *out, const char *prefix)
{
    struct page_cache *pc = v->pages;
    const struct cgal *g = page_keepable(v, q, viewer);
    struct porder *o = NULL;
    struct pstamp st;
    size_t count = 0; /* g's visible designs */
    if (g) {
        count = page_stamp(v, g, q->sort, &st);
        size_t limit = q->limit > CATALOG_PAGE_MAX ? CATALOG_PAGE_MAX : q->limit;
        size_t to = q->offset + limit < count ? q->offset + limit : count;
        o = page_order(pc, g, q->sort);
        if (q->offset < to && page_serve(o, &st, count, q->offset, to, prefix, out)) {
            pc->hits++;
            return 0;
        }
    }
    struct dmem *items[CATALOG_PAGE_MAX];
    size_t total = 0;
    int n = catalog_page(v->catalog, q, items, &total);
    if (n < 0)
        return n;
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
    size_t at[CATALOG_PAGE_MAX + 1]; /* item i: out->data[at[i], at[i + 1] - 1) */
    for (int i = 0; i < n && !rc; i++) {
        if (i)
            ccbuf_append(out, ",", 1);
        at[i] = out->len;
        rc = design_item_json(v, txn, items[i], viewer, out);
    }
    at[n] = out->len + 1;
    store_read_end(v->store, txn);
    ccbuf_append(out, "]}", 2);
    if (!rc && g && n > 0) {
        /* Kept under the stamp taken above (building the page changed none of it: the
         * moves waiting it settled change no order as read, rank_settle), once that
         * stamp has stood for the cache's quiet time: in a gallery whose stamp moves
         * faster (votes coming in all the time) items kept would be stale before
         * another page could use them, so none are. */
        pc->misses++;
        uint64_t now = uv_hrtime();
        if (!stamp_eq(&o->seen, &st)) {
            o->seen = st;
            o->seen_at = now;
        }
        if (now - o->seen_at >= pc->quiet_ns) {
            for (int i = 0; i < n; i++)
                page_keep(pc, o, &st, count, q->offset + (size_t)i, out->data + at[i],
                          at[i + 1] - 1 - at[i]);
            if (pc->bytes > pc->max)
                page_sweep(pc);
        }
    }
    return rc;
}
