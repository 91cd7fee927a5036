/* Gallery queries (SPEC §5): a page of a ranked index, filters by creator, tag and
 * status through the smallest secondary index, hidden designs merged in for the viewers
 * who see them. See catalog.h (catalog_page). Loop thread only. */
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "catalog_int.h"
#include "ccerr.h"
#include "rank.h"
#include "u64map.h"
#include "util.h"

static enum sort qsort_key; /* loop thread only: the sort of the current qsort */

static int cmp_dmem(const void *a, const void *b)
{
    const struct dmem *x = *(struct dmem *const *)a, *y = *(struct dmem *const *)b;
    double sx = x->score[qsort_key], sy = y->score[qsort_key];
    if (sx != sy)
        return sx > sy ? -1 : 1;
    return cat_tie(x, y);
}

/* Whether d, a visible design of g, matches the filters (candidates from a creator's
 * list may be of any gallery, or hidden). */
/* Whether d passes q's filters (creator, status, tag id: 0 = any). */
static int filters_match(const struct dmem *d, const struct gallery_query *q, uint32_t tag)
{
    if (q->creator && d->creator != q->creator)
        return 0;
    if (q->status >= 0 && d->status != q->status)
        return 0;
    if (q->kind && d->kind != q->kind)
        return 0;
    if (tag) {
        const uint32_t *tags = catalog_tags(d);
        for (int i = 0; i < d->ntags; i++)
            if (tags[i] == tag)
                return 1;
        return 0;
    }
    return 1;
}

/* Whether d is a visible design of g that passes q's filters. */
static int matches(const struct cgal *g, const struct dmem *d, const struct gallery_query *q,
                   uint32_t tag)
{
    return d->gal == g && !d->hidden && filters_match(d, q, tag);
}

static int page_with_hidden(struct catalog *cat, struct cgal *g, const struct gallery_query *q,
                            struct dmem **out, size_t *total);

/* The candidates of cand (NULL: every visible design of g) that match q, into m when
 * not NULL (room for all of cand). Returns how many. */
static size_t gather(const struct cgal *g, const struct dvec *cand, const struct gallery_query *q,
                     uint32_t tag, struct dmem **m)
{
    size_t k = 0;
    if (cand) {
        for (size_t i = 0; i < cand->n; i++)
            if (matches(g, cand->v[i], q, tag)) {
                if (m)
                    m[k] = cand->v[i];
                k++;
            }
        return k;
    }
    struct dmem *chunk[256];
    size_t count = rank_count(g->rank[SORT_NEW]);
    for (size_t pos = 0; pos < count;) {
        size_t got = rank_page(g->rank[SORT_NEW], pos, CC_ARRAY_LEN(chunk), (void **)chunk);
        if (!got)
            break;
        pos += got;
        for (size_t i = 0; i < got; i++)
            if (matches(g, chunk[i], q, tag)) {
                if (m)
                    m[k] = chunk[i];
                k++;
            }
    }
    return k;
}

/* A design's place in a lucky dip of seed: splitmix64 of seed and id (ties, which
 * would need a 64-bit collision, by id). */
static uint64_t dip_key(uint64_t seed, uint64_t id)
{
    uint64_t z = seed ^ (id * 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

struct dip {
    uint64_t key;
    struct dmem *d;
};

static int dip_less(const struct dip *a, const struct dip *b)
{
    return a->key < b->key || (a->key == b->key && a->d->id < b->d->id);
}

/* Max-heap of the `cap` smallest entries seen (the heap's root is the largest kept). */
static void dip_offer(struct dip *h, size_t *n, size_t cap, struct dip e)
{
    if (*n < cap) {
        size_t i = (*n)++;
        while (i && dip_less(&h[(i - 1) / 2], &e)) {
            h[i] = h[(i - 1) / 2];
            i = (i - 1) / 2;
        }
        h[i] = e;
        return;
    }
    if (!cap || !dip_less(&e, &h[0]))
        return;
    size_t i = 0;
    for (;;) { /* sift e down from the root */
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && dip_less(&h[c], &h[c + 1]))
            c++;
        if (!dip_less(&e, &h[c]))
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = e;
}

static int dip_cmp(const void *a, const void *b)
{
    return dip_less(a, b) ? -1 : dip_less(b, a) ? 1 : 0;
}

/* SPEC §8's lucky dip: every design the viewer may see that matches q and has an id up
 * to q->until, in the order of dip_key; the page [offset, offset + limit) of it. One
 * pass keeping the offset + limit smallest keys (a heap): O(n log(offset + limit)) on
 * the loop, no memory kept between requests. */
static int page_random(struct catalog *cat, struct cgal *g, const struct gallery_query *q,
                       struct dmem **out, size_t *total)
{
    uint32_t tag = 0;
    *total = 0;
    if (q->tag[0] && !(tag = cat_tag_id(cat, q->tag, 0)))
        return 0;
    size_t limit = q->limit > CATALOG_PAGE_MAX ? CATALOG_PAGE_MAX : q->limit;
    size_t cap = q->offset + limit, n = 0, count = 0;
    struct dip *h = xmalloc((cap ? cap : 1) * sizeof *h);
    struct dmem *chunk[256];
    size_t all = rank_count(g->rank[SORT_NEW]);
    for (size_t pos = 0; pos < all;) {
        size_t got = rank_page(g->rank[SORT_NEW], pos, CC_ARRAY_LEN(chunk), (void **)chunk);
        if (!got)
            break;
        pos += got;
        for (size_t i = 0; i < got; i++)
            if (chunk[i]->id <= q->until && matches(g, chunk[i], q, tag)) {
                count++;
                dip_offer(h, &n, cap, (struct dip){dip_key(q->seed, chunk[i]->id), chunk[i]});
            }
    }
    for (size_t i = 0; q->hidden_of && i < g->hidden.n; i++) {
        struct dmem *d = g->hidden.v[i];
        if (d->id <= q->until &&
            (q->hidden_of == CATALOG_HIDDEN_ALL || d->creator == q->hidden_of) &&
            filters_match(d, q, tag)) {
            count++;
            dip_offer(h, &n, cap, (struct dip){dip_key(q->seed, d->id), d});
        }
    }
    qsort(h, n, sizeof *h, dip_cmp);
    size_t k = 0;
    for (size_t i = q->offset; i < n; i++)
        out[k++] = h[i].d;
    free(h);
    *total = count;
    return (int)k;
}

int catalog_page(struct catalog *cat, const struct gallery_query *q, struct dmem **out,
                 size_t *total)
{
    struct cgal *g = cat_gal_find(cat, q->contest);
    if (!g && !(g = cat_gal_get(cat, q->contest)))
        return CC_ENOTFOUND;
    if (q->random)
        return page_random(cat, g, q, out, total);
    if (q->hidden_of && g->hidden.n)
        return page_with_hidden(cat, g, q, out, total);
    size_t limit = q->limit > CATALOG_PAGE_MAX ? CATALOG_PAGE_MAX : q->limit;
    struct rank *r = g->rank[q->sort];
    uint32_t tag = 0;
    if (q->tag[0] && !(tag = cat_tag_id(cat, q->tag, 0))) {
        *total = 0; /* a tag nobody used */
        return 0;
    }
    if (!q->creator && !tag && q->status < 0 && !q->kind) {
        *total = rank_count(r);
        return (int)rank_page(r, q->offset, limit, (void **)out);
    }
    /* The smallest secondary index that applies. A creator's designs are the creators
     * module's list (every contest, hidden ones too: matches() sorts them out), so the
     * catalog keeps no list of its own per creator. Nor one of the `submitted`
     * designs, usually nearly all of them: that filter walks the gallery. */
    const struct dvec *cand = NULL;
    size_t cand_n = SIZE_MAX;
    static const struct dvec empty;
    struct dvec by_creator = {NULL, 0, 0};
    if (q->creator) {
        if (cat->designs_of)
            by_creator.v = (struct dmem **)cat->designs_of(cat->designs_of_user, q->creator,
                                                           &by_creator.n);
        cand = &by_creator;
        cand_n = by_creator.n;
    }
    if (tag) {
        const struct dvec *v = u64map_get(&g->by_tag, tag);
        if (!v)
            v = &empty;
        if (v->n < cand_n)
            cand = v, cand_n = v->n;
    }
    if (q->status >= 0) {
        size_t sn = rank_count(g->rank[SORT_NEW]);
        if (q->status == ST_SUBMITTED)
            for (int st = 0; st < ST_COUNT; st++)
                sn -= st == ST_SUBMITTED ? 0 : g->by_status[st].n;
        else
            sn = g->by_status[q->status].n;
        if (sn < cand_n) /* NULL: every visible design of g */
            cand = q->status == ST_SUBMITTED ? NULL : &g->by_status[q->status], cand_n = sn;
    }

    size_t n = 0;
    if (cand_n <= CATALOG_SELECTIVE) {
        struct dmem **m = xmalloc((cand_n ? cand_n : 1) * sizeof *m);
        size_t k = gather(g, cand, q, tag, m);
        qsort_key = q->sort;
        qsort(m, k, sizeof *m, cmp_dmem);
        *total = k;
        for (size_t i = q->offset; i < k && n < limit; i++)
            out[n++] = m[i];
        free(m);
        return (int)n;
    }
    /* Not selective: count the matches, then walk the ranked index in order. */
    size_t k = gather(g, cand, q, tag, NULL);
    *total = k;
    if (q->offset >= k)
        return 0;
    size_t skipped = 0, pos = 0, count = rank_count(r);
    struct dmem *chunk[256];
    while (n < limit && pos < count) {
        size_t got = rank_page(r, pos, CC_ARRAY_LEN(chunk), (void **)chunk);
        pos += got;
        for (size_t i = 0; i < got && n < limit; i++) {
            if (!matches(g, chunk[i], q, tag))
                continue;
            if (skipped < q->offset)
                skipped++;
            else
                out[n++] = chunk[i];
        }
    }
    return (int)n;
}

/* q's page for a viewer who also sees some hidden designs H (the brand, or a creator
 * in their own gallery): the visible matches and H merged in the sort's order. H is
 * small (moderation) and sorted per request. The visible matches are read from index
 * vs = max(0, offset - |H|): when vs > 0, the vs visible and the a hidden designs
 * ahead of the first one read all come before offset (vs + a ≤ vs + |H| = offset), so
 * the merge of what follows starts at position vs + a. At most limit + |H| visible
 * designs are read. */
static int page_with_hidden(struct catalog *cat, struct cgal *g, const struct gallery_query *q,
                            struct dmem **out, size_t *total)
{
    struct gallery_query vq = *q;
    vq.hidden_of = 0;
    uint32_t tag = 0;
    if (q->tag[0] && !(tag = cat_tag_id(cat, q->tag, 0)))
        return catalog_page(cat, &vq, out, total); /* a tag nobody used */
    struct dmem **h = xmalloc(g->hidden.n * sizeof *h);
    size_t k = 0;
    for (size_t i = 0; i < g->hidden.n; i++) {
        struct dmem *d = g->hidden.v[i];
        if ((q->hidden_of == CATALOG_HIDDEN_ALL || d->creator == q->hidden_of) &&
            filters_match(d, q, tag))
            h[k++] = d;
    }
    if (!k) {
        free(h);
        return catalog_page(cat, &vq, out, total);
    }
    qsort_key = q->sort;
    qsort(h, k, sizeof *h, cmp_dmem);
    size_t limit = q->limit > CATALOG_PAGE_MAX ? CATALOG_PAGE_MAX : q->limit;
    size_t vs = q->offset > k ? q->offset - k : 0, want = limit + k, nv = 0, vtotal = 0;
    struct dmem **v = xmalloc(want * sizeof *v);
    do {
        vq.offset = vs + nv;
        vq.limit = want - nv < CATALOG_PAGE_MAX ? want - nv : CATALOG_PAGE_MAX;
        int got = catalog_page(cat, &vq, v + nv, &vtotal);
        if (got <= 0)
            break;
        nv += (size_t)got;
    } while (nv < want);
    *total = vtotal + k;
    size_t a = 0; /* hidden designs ahead of v[0]: before the page when vs > 0 */
    qsort_key = q->sort;
    if (vs > 0)
        while (a < k && (!nv || cmp_dmem(&h[a], &v[0]) < 0))
            a++;
    size_t pos = vs + a, n = 0, i = 0, j = a;
    while (n < limit && (i < nv || j < k)) {
        struct dmem *next = j >= k || (i < nv && cmp_dmem(&v[i], &h[j]) < 0) ? v[i++] : h[j++];
        if (pos++ >= q->offset)
            out[n++] = next;
    }
    free(v);
    free(h);
    return (int)n;
}

