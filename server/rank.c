/* Order-statistic B+ tree. See rank.h.
 *
 * Leaves hold up to LEAF_CAP entries in order: each an item and the exact score it is
 * indexed under; leaves are linked both ways for pages and walks. An inner node holds
 * up to INNER_CAP children, each with the number of items under it (so a descent adds
 * up positions: rank-of and page-at-offset are logarithmic) and, for every child but
 * the first, a separator: the first entry under that child (its score and item). A
 * search compares the scores the nodes hold and reads items only for their tie order
 * where two scores are equal. A descent of 100,000 items reads ~4 nodes, a few cache
 * lines each, where a skip list follows ~25 pointers to scattered nodes.
 *
 * Moves are made late (issue 16: a vote re-scores its design, and moving it in two
 * indexes cost ~10 % of the loop thread's time a vote): rank_update only notes where
 * the item goes, and the moves noted are made when anything next reads the order
 * (position, page, walk, append) or at rank_settle — many at once by building the tree
 * again in one pass, few one by one — and when RANK_PEND_MAX wait, so that no settle
 * holds the loop long (one by one at 1M entries: ~2.3 µs a move). An item moved many
 * times between two reads moves once. Because the nodes hold the scores, the tree stays ordered meanwhile: an item
 * waiting to move sits at its old score, whatever its owner's key says now.
 *
 * Separators name live items: deleting the first entry under a child puts the next
 * one in its place, and a child left empty is freed with its separator. Nodes are not
 * merged when they shrink (only freed when empty); the tree grows a level only when its
 * root is full, which takes (INNER_CAP/2)^height leaf splits since the last time: its
 * height is at most log base INNER_CAP/2 of the inserts it has seen, plus one. */
#include "rank.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "u64map.h"
#include "util.h"

#ifndef RANK_LEAF_CAP
#define RANK_LEAF_CAP 32
#endif
#ifndef RANK_INNER_CAP
#define RANK_INNER_CAP 32
#endif
#define LEAF_CAP RANK_LEAF_CAP
#define INNER_CAP RANK_INNER_CAP
/* rank_settle makes the moves waiting by building the tree again when they are at
 * least RANK_REBUILD_MIN and a RANK_REBUILD_SHARE-th of the entries (cheaper than as
 * many descents), else one by one. */
#ifndef RANK_REBUILD_MIN
#define RANK_REBUILD_MIN 64
#endif
#define RANK_REBUILD_SHARE 32
/* Inner levels: height h takes (INNER_CAP/2)^(h-1) leaf splits (above); 40 levels are
 * 2^39 of them even at the tests' cap of 4. */
#define MAX_HEIGHT 40

struct leaf {
    uint32_t n;
    struct leaf *prev, *next;
    double k[LEAF_CAP];
    void *item[LEAF_CAP];
};

struct inner {
    uint32_t n;
    uint32_t count[INNER_CAP]; /* items under child i */
    double sk[INNER_CAP];      /* separators (index 0 unused) */
    void *child[INNER_CAP];
    void *si[INNER_CAP];
};

struct rank {
    void *root;
    int height; /* inner levels above the leaves (0: the root is a leaf) */
    size_t count;
    uint64_t version; /* rank_version: moves with every change of the order as read */
    size_t bytes;
    rank_tie_fn tie;
    rank_key_fn key;
    struct leaf *first, *last;
    /* Moves not made yet (rank_update): the tree holds each of these items at `from`,
     * its place is at `to`. Made before anything reads the order, or by rank_settle. */
    struct pend *pend;
    size_t npend, pend_cap;
    struct u64map pend_at; /* item → its index in pend, plus one */
};

struct pend {
    void *item;
    double from, to;
};

/* A descent: the inner node at each level (height .. 1) and the child taken. */
struct path {
    struct inner *node[MAX_HEIGHT + 1];
    uint32_t at[MAX_HEIGHT + 1];
    struct leaf *leaf;
    uint32_t pos; /* in the leaf */
};

static struct leaf *leaf_new(struct rank *r)
{
    struct leaf *l = xcalloc(1, sizeof *l);
    r->bytes += sizeof *l;
    return l;
}

static struct inner *inner_new(struct rank *r)
{
    struct inner *in = xcalloc(1, sizeof *in);
    r->bytes += sizeof *in;
    return in;
}

static void leaf_free(struct rank *r, struct leaf *l)
{
    r->bytes -= sizeof *l;
    free(l);
}

static void inner_free(struct rank *r, struct inner *in)
{
    r->bytes -= sizeof *in;
    free(in);
}

struct rank *rank_new(rank_tie_fn tie, rank_key_fn key)
{
    struct rank *r = xcalloc(1, sizeof *r);
    r->bytes = sizeof *r;
    r->tie = tie;
    r->key = key;
    r->first = r->last = leaf_new(r);
    r->root = r->first;
    u64map_init(&r->pend_at);
    return r;
}

static void free_subtree(void *node, int height)
{
    if (height) {
        struct inner *in = node;
        for (uint32_t i = 0; i < in->n; i++)
            free_subtree(in->child[i], height - 1);
    }
    free(node);
}

void rank_free(struct rank *r)
{
    if (!r)
        return;
    free_subtree(r->root, r->height);
    free(r->pend);
    u64map_free(&r->pend_at);
    free(r);
}

size_t rank_count(const struct rank *r)
{
    return r->count;
}

uint64_t rank_version(const struct rank *r) { return r->version; }

size_t rank_memory(const struct rank *r)
{
    return r->bytes + r->pend_cap * sizeof *r->pend + u64map_memory(&r->pend_at);
}

/* Where the entry (k, item_e) lies against (score, item): <0 before it, 0 the same
 * entry, >0 after it. */
static int cmp(const struct rank *r, double k, const void *item_e, double score,
               const void *item)
{
    if (k != score)
        return k > score ? -1 : 1;
    if (item_e == item)
        return 0;
    return r->tie(item_e, item) < 0 ? -1 : 1;
}

/* The child of in that (score, item) belongs under: the last whose separator is at
 * or before it. */
static uint32_t route(const struct rank *r, const struct inner *in, double score,
                      const void *item)
{
    uint32_t lo = 1, hi = in->n; /* the first separator after it lies in [lo, hi] */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (cmp(r, in->sk[mid], in->si[mid], score, item) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - 1;
}

/* How many of l's entries come before (score, item). */
static uint32_t leaf_search(const struct rank *r, const struct leaf *l, double score,
                            const void *item)
{
    uint32_t lo = 0, hi = l->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (cmp(r, l->k[mid], l->item[mid], score, item) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Descends to where (score, item) is or would be; returns the items before the leaf. */
static size_t descend(const struct rank *r, double score, const void *item, struct path *p)
{
    void *node = r->root;
    size_t before = 0;
    for (int h = r->height; h > 0; h--) {
        struct inner *in = node;
        uint32_t c = route(r, in, score, item);
        for (uint32_t i = 0; i < c; i++)
            before += in->count[i];
        p->node[h] = in;
        p->at[h] = c;
        node = in->child[c];
    }
    p->leaf = node;
    p->pos = leaf_search(r, p->leaf, score, item);
    return before;
}

/* Descends to position offset (< r->count): its leaf and place in it. */
static void descend_at(const struct rank *r, size_t offset, struct path *p)
{
    void *node = r->root;
    for (int h = r->height; h > 0; h--) {
        struct inner *in = node;
        uint32_t c = 0;
        while (c + 1 < in->n && offset >= in->count[c])
            offset -= in->count[c++];
        p->node[h] = in;
        p->at[h] = c;
        node = in->child[c];
    }
    p->leaf = node;
    p->pos = (uint32_t)offset;
}

/* Whether the descent found (score, item) itself. */
static int found(const struct path *p, double score, const void *item)
{
    const struct leaf *l = p->leaf;
    return p->pos < l->n && l->item[p->pos] == item && l->k[p->pos] == score;
}

static size_t total(const void *node, int height)
{
    if (!height)
        return ((const struct leaf *)node)->n;
    const struct inner *in = node;
    size_t t = 0;
    for (uint32_t i = 0; i < in->n; i++)
        t += in->count[i];
    return t;
}

/* The first entry under node (a subtree of the given height). */
static void first_entry(const void *node, int height, double *k, void **item)
{
    for (; height > 0; height--)
        node = ((const struct inner *)node)->child[0];
    const struct leaf *l = node;
    *k = l->k[0];
    *item = l->item[0];
}

/* Puts (f, item) at pos of p->leaf and the counts on the path up to date, splitting
 * what overflows. append: the entry goes after everything, so a full node keeps all
 * it has and the new one starts a node of its own (a bulk build fills nodes whole). */
static void insert_at(struct rank *r, struct path *p, double k, void *item, int append)
{
    struct leaf *l = p->leaf;
    uint32_t pos = p->pos;
    r->count++;
    r->version++;
    if (l->n < LEAF_CAP) {
        memmove(l->k + pos + 1, l->k + pos, (l->n - pos) * sizeof *l->k);
        memmove(l->item + pos + 1, l->item + pos, (l->n - pos) * sizeof *l->item);
        l->k[pos] = k;
        l->item[pos] = item;
        l->n++;
        for (int h = 1; h <= r->height; h++)
            p->node[h]->count[p->at[h]]++;
        return;
    }
    /* Split the leaf: LEAF_CAP + 1 entries, the first `keep` stay. */
    double ks[LEAF_CAP + 1];
    void *is[LEAF_CAP + 1];
    memcpy(ks, l->k, pos * sizeof *ks);
    memcpy(is, l->item, pos * sizeof *is);
    ks[pos] = k;
    is[pos] = item;
    memcpy(ks + pos + 1, l->k + pos, (LEAF_CAP - pos) * sizeof *ks);
    memcpy(is + pos + 1, l->item + pos, (LEAF_CAP - pos) * sizeof *is);
    uint32_t keep = append && pos == LEAF_CAP ? LEAF_CAP : (LEAF_CAP + 1) / 2;
    struct leaf *nl = leaf_new(r);
    l->n = keep;
    memcpy(l->k, ks, keep * sizeof *ks);
    memcpy(l->item, is, keep * sizeof *is);
    nl->n = LEAF_CAP + 1 - keep;
    memcpy(nl->k, ks + keep, nl->n * sizeof *ks);
    memcpy(nl->item, is + keep, nl->n * sizeof *is);
    nl->prev = l;
    nl->next = l->next;
    if (l->next)
        l->next->prev = nl;
    else
        r->last = nl;
    l->next = nl;
    /* Carry the new right node up: its first entry is its separator. */
    void *left = l, *right = nl;
    double sepk = nl->k[0];
    void *sepi = nl->item[0];
    for (int h = 1; h <= r->height + 1; h++) {
        if (h > r->height) { /* the root split: a new root above both */
            struct inner *root = inner_new(r);
            root->n = 2;
            root->child[0] = left;
            root->child[1] = right;
            root->count[0] = (uint32_t)total(left, h - 1);
            root->count[1] = (uint32_t)total(right, h - 1);
            root->sk[1] = sepk;
            root->si[1] = sepi;
            r->root = root;
            r->height = h;
            return;
        }
        struct inner *in = p->node[h];
        uint32_t c = p->at[h];
        uint32_t lcount = (uint32_t)total(left, h - 1), rcount = (uint32_t)total(right, h - 1);
        if (in->n < INNER_CAP) {
            uint32_t m = in->n - c - 1;
            memmove(in->child + c + 2, in->child + c + 1, m * sizeof *in->child);
            memmove(in->count + c + 2, in->count + c + 1, m * sizeof *in->count);
            memmove(in->sk + c + 2, in->sk + c + 1, m * sizeof *in->sk);
            memmove(in->si + c + 2, in->si + c + 1, m * sizeof *in->si);
            in->child[c + 1] = right;
            in->count[c] = lcount;
            in->count[c + 1] = rcount;
            in->sk[c + 1] = sepk;
            in->si[c + 1] = sepi;
            in->n++;
            for (int up = h + 1; up <= r->height; up++)
                p->node[up]->count[p->at[up]]++;
            return;
        }
        /* Split the inner node: INNER_CAP + 1 children, the first `keep` stay. */
        void *cs[INNER_CAP + 1], *ss[INNER_CAP + 1];
        uint32_t ns[INNER_CAP + 1];
        double ks2[INNER_CAP + 1];
        for (uint32_t i = 0, j = 0; i <= INNER_CAP; i++) {
            if (i == c + 1) {
                cs[i] = right;
                ns[i] = rcount;
                ks2[i] = sepk;
                ss[i] = sepi;
                continue;
            }
            cs[i] = in->child[j];
            ns[i] = i == c ? lcount : in->count[j];
            ks2[i] = in->sk[j];
            ss[i] = in->si[j];
            j++;
        }
        uint32_t keep2 = append && c + 1 == INNER_CAP ? INNER_CAP : (INNER_CAP + 1) / 2;
        struct inner *ni = inner_new(r);
        in->n = keep2;
        memcpy(in->child, cs, keep2 * sizeof *cs);
        memcpy(in->count, ns, keep2 * sizeof *ns);
        memcpy(in->sk, ks2, keep2 * sizeof *ks2);
        memcpy(in->si, ss, keep2 * sizeof *ss);
        ni->n = INNER_CAP + 1 - keep2;
        memcpy(ni->child, cs + keep2, ni->n * sizeof *cs);
        memcpy(ni->count, ns + keep2, ni->n * sizeof *ns);
        memcpy(ni->sk, ks2 + keep2, ni->n * sizeof *ks2);
        memcpy(ni->si, ss + keep2, ni->n * sizeof *ss);
        sepk = ni->sk[0]; /* the first child's separator now heads the new node */
        sepi = ni->si[0];
        ni->sk[0] = 0;
        ni->si[0] = NULL;
        left = in;
        right = ni;
    }
}

/* The lowest level on p whose child taken is not the first (0: none): the inner node
 * whose separator is the first entry under p's leaf. */
static int sep_level(const struct rank *r, const struct path *p)
{
    for (int h = 1; h <= r->height; h++)
        if (p->at[h] > 0)
            return h;
    return 0;
}

/* Takes the entry at p out, frees what it leaves empty and keeps the separators
 * naming live entries. */
static void remove_at(struct rank *r, struct path *p)
{
    struct leaf *l = p->leaf;
    uint32_t pos = p->pos;
    int sl = pos == 0 ? sep_level(r, p) : 0; /* a separator names this entry */
    memmove(l->k + pos, l->k + pos + 1, (l->n - pos - 1) * sizeof *l->k);
    memmove(l->item + pos, l->item + pos + 1, (l->n - pos - 1) * sizeof *l->item);
    l->n--;
    r->count--;
    r->version++;
    for (int h = 1; h <= r->height; h++)
        p->node[h]->count[p->at[h]]--;
    if (!r->count) { /* empty: one empty leaf again */
        free_subtree(r->root, r->height);
        r->bytes = sizeof *r;
        r->height = 0;
        r->first = r->last = leaf_new(r);
        r->root = r->first;
        return;
    }
    /* Free the nodes left empty, bottom up; `gone` is the highest level freed (-1:
     * none; 0: the leaf). The root is never empty here (count > 0). */
    int gone = -1;
    if (!l->n) {
        if (l->prev)
            l->prev->next = l->next;
        else
            r->first = l->next;
        if (l->next)
            l->next->prev = l->prev;
        else
            r->last = l->prev;
        leaf_free(r, l);
        gone = 0;
        for (int h = 1; h <= r->height; h++) {
            struct inner *in = p->node[h];
            uint32_t c = p->at[h], m = in->n - c - 1;
            memmove(in->child + c, in->child + c + 1, m * sizeof *in->child);
            memmove(in->count + c, in->count + c + 1, m * sizeof *in->count);
            memmove(in->sk + c, in->sk + c + 1, m * sizeof *in->sk);
            memmove(in->si + c, in->si + c + 1, m * sizeof *in->si);
            in->n--;
            if (in->n)
                break;
            inner_free(r, in);
            gone = h;
        }
    }
    /* The separator that named the entry: the next entry under its child now, unless
     * that child went (and its separator with it). */
    if (sl && gone < sl - 1) {
        struct inner *a = p->node[sl];
        first_entry(a->child[p->at[sl]], sl - 1, &a->sk[p->at[sl]], &a->si[p->at[sl]]);
    }
    /* A root with one child hands over to it. */
    while (r->height > 0 && ((struct inner *)r->root)->n == 1) {
        struct inner *old = r->root;
        r->root = old->child[0];
        inner_free(r, old);
        r->height--;
    }
}

void rank_insert(struct rank *r, double score, void *item)
{
    struct path p;
    descend(r, score, item, &p);
    insert_at(r, &p, score, item, 0);
}

/* ---- moves made later ---- */

static struct pend *pend_of(const struct rank *r, const void *item)
{
    uintptr_t at = (uintptr_t)u64map_get(&r->pend_at, (uint64_t)(uintptr_t)item);
    return at ? &r->pend[at - 1] : NULL;
}

/* Notes that item, at `from` in the tree (and no move waiting), goes to `to`. */
static void pend_add(struct rank *r, void *item, double from, double to)
{
    if (r->npend == r->pend_cap) {
        r->pend_cap = r->pend_cap ? 2 * r->pend_cap : 64;
        r->pend = xrealloc(r->pend, r->pend_cap * sizeof *r->pend);
    }
    r->pend[r->npend++] = (struct pend){item, from, to};
    r->version++; /* the order as read changed; the tree only when the move is made */
    u64map_put(&r->pend_at, (uint64_t)(uintptr_t)item, (void *)(uintptr_t)r->npend);
}

static void pend_drop(struct rank *r, struct pend *p)
{
    size_t i = (size_t)(p - r->pend);
    u64map_del(&r->pend_at, (uint64_t)(uintptr_t)p->item);
    if (i != --r->npend) {
        r->pend[i] = r->pend[r->npend];
        u64map_put(&r->pend_at, (uint64_t)(uintptr_t)r->pend[i].item, (void *)(uintptr_t)(i + 1));
    }
}

/* Whether entry i of l, keyed `to` instead, would still lie after the entry before it
 * and before the one after it. */
static int fits_at(const struct rank *r, const struct leaf *l, uint32_t i, double to)
{
    const void *item = l->item[i];
    const struct leaf *pl = i ? l : l->prev, *nl = i + 1 < l->n ? l : l->next;
    uint32_t pi = i ? i - 1 : (pl ? pl->n - 1 : 0), ni = i + 1 < l->n ? i + 1 : 0;
    return (!pl || cmp(r, pl->k[pi], pl->item[pi], to, item) < 0) &&
           (!nl || cmp(r, nl->k[ni], nl->item[ni], to, item) > 0);
}

/* Keys the entry at p `to` in place (it fits there: fits_at), and the separator that
 * names it, when one does. */
static void key_in_place(const struct rank *r, struct path *p, double to)
{
    p->leaf->k[p->pos] = to;
    int sl = p->pos == 0 ? sep_level(r, p) : 0;
    if (sl)
        p->node[sl]->sk[p->at[sl]] = to;
}

/* Moves item from `from` to `to` now. Returns 0, or -1 if (from, item) is not present. */
static int move_now(struct rank *r, double from, double to, void *item)
{
    struct path p;
    descend(r, from, item, &p);
    if (!found(&p, from, item))
        return -1;
    if (fits_at(r, p.leaf, p.pos, to)) { /* still between its neighbours */
        key_in_place(r, &p, to);
        return 0;
    }
    remove_at(r, &p);
    descend(r, to, item, &p);
    insert_at(r, &p, to, item, 0);
    return 0;
}

/* The caller's promise (a pair it moves is present) broken would leave the index wrong
 * for good: that stops the program. */
static void broken_promise(void)
{
    fprintf(stderr, "rank: an update of an item not in the index\n");
    abort();
}

/* Appends (k, item) after every entry: the right edge's nodes are filled whole. */
static void append_entry(struct rank *r, double k, void *item)
{
    struct path p;
    void *node = r->root;
    for (int h = r->height; h > 0; h--) { /* down the right edge */
        struct inner *in = node;
        p.node[h] = in;
        p.at[h] = in->n - 1;
        node = in->child[in->n - 1];
    }
    p.leaf = node;
    p.pos = p.leaf->n;
    insert_at(r, &p, k, item, 1);
}

/* Sorts a[0..n) by (to, tie) into that order, b as scratch (a bottom-up merge sort:
 * stable, n log n compares, no recursion). Returns whichever of a and b holds it. */
static struct pend *sort_pend(const struct rank *r, struct pend *a, struct pend *b, size_t n)
{
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, o = lo;
            while (i < mid && j < hi)
                b[o++] = cmp(r, a[j].to, a[j].item, a[i].to, a[i].item) < 0 ? a[j++] : a[i++];
            while (i < mid)
                b[o++] = a[i++];
            while (j < hi)
                b[o++] = a[j++];
        }
        struct pend *t = a;
        a = b;
        b = t;
    }
    return a;
}

/* Makes every move at once by building the tree again: the entries that stay, in their
 * order, merged with the moved ones sorted, appended to new nodes. O(count + m log m)
 * for m moves, in sequential memory, where m moves one by one cost m descents and
 * re-inserts: the way for many moves. */
static void rebuild(struct rank *r)
{
    struct pend *tmp = xmalloc(r->npend * sizeof *tmp);
    struct pend *moved = sort_pend(r, r->pend, tmp, r->npend);
    struct rank fresh = {.tie = r->tie, .key = r->key, .bytes = 0};
    fresh.first = fresh.last = leaf_new(&fresh);
    fresh.root = fresh.first;
    size_t m = 0;
    for (const struct leaf *l = r->first; l; l = l->next)
        for (uint32_t i = 0; i < l->n; i++) {
            if (pend_of(r, l->item[i]))
                continue; /* at its old place: it comes in from `moved` */
            while (m < r->npend && cmp(r, moved[m].to, moved[m].item, l->k[i], l->item[i]) < 0) {
                append_entry(&fresh, moved[m].to, moved[m].item);
                m++;
            }
            append_entry(&fresh, l->k[i], l->item[i]);
        }
    for (; m < r->npend; m++)
        append_entry(&fresh, moved[m].to, moved[m].item);
    if (fresh.count != r->count)
        broken_promise();
    free_subtree(r->root, r->height);
    r->root = fresh.root;
    r->height = fresh.height;
    r->first = fresh.first;
    r->last = fresh.last;
    r->bytes = sizeof *r + fresh.bytes;
    free(tmp);
}

void rank_settle(struct rank *r)
{
    if (!r->npend)
        return;
    uint64_t version = r->version; /* the moves were counted when noted */
    if (r->npend >= RANK_REBUILD_MIN && r->npend * RANK_REBUILD_SHARE >= r->count) {
        rebuild(r); /* leaves r->pend in another order: the map is dropped whole */
        u64map_free(&r->pend_at);
        u64map_init(&r->pend_at);
    } else {
        for (size_t i = 0; i < r->npend; i++) {
            if (move_now(r, r->pend[i].from, r->pend[i].to, r->pend[i].item))
                broken_promise();
            u64map_del(&r->pend_at, (uint64_t)(uintptr_t)r->pend[i].item);
        }
    }
    r->npend = 0;
    r->version = version;
}

size_t rank_pending(const struct rank *r)
{
    return r->npend;
}

/* For an item with a move waiting, *score (where its caller has it) must be where the
 * move takes it: then the note goes and *score becomes where the tree still holds it.
 * Returns 0, or -1 (nothing changed) if *score is not the move's target. */
static int unnote(struct rank *r, void *item, double *score)
{
    struct pend *m = pend_of(r, item);
    if (!m)
        return 0;
    if (m->to != *score)
        return -1;
    *score = m->from;
    pend_drop(r, m);
    return 0;
}

int rank_delete(struct rank *r, double score, void *item)
{
    if (unnote(r, item, &score))
        return -1;
    struct path p;
    descend(r, score, item, &p);
    if (!found(&p, score, item))
        return -1;
    remove_at(r, &p);
    return 0;
}

int rank_update(struct rank *r, double old_score, double new_score, void *item)
{
    struct pend *m = pend_of(r, item);
    if (m) {
        if (m->to != old_score)
            return -1;
        m->to = new_score;
        r->version++;
        if (m->to == m->from)
            pend_drop(r, m); /* back where it is */
        return 0;
    }
    if (old_score == new_score)
        return 0;
    pend_add(r, item, old_score, new_score);
    if (r->npend >= RANK_PEND_MAX)
        rank_settle(r); /* what a settle costs stays bounded: ~12 ms at 1M entries */
    return 0;
}

int rank_move(struct rank *r, double old_score, double new_score, void *item)
{
    if (unnote(r, item, &old_score))
        return -1;
    return move_now(r, old_score, new_score, item);
}

int rank_append(struct rank *r, void *item)
{
    rank_settle(r);
    double score = r->key(item);
    const struct leaf *last = r->last;
    if (r->count && cmp(r, last->k[last->n - 1], last->item[last->n - 1], score, item) >= 0)
        return -1; /* would not be last */
    append_entry(r, score, item);
    return 0;
}

size_t rank_position(struct rank *r, double score, const void *item)
{
    rank_settle(r);
    struct path p;
    size_t before = descend(r, score, item, &p);
    return found(&p, score, item) ? before + p.pos : (size_t)-1;
}

size_t rank_page(struct rank *r, size_t offset, size_t limit, void **out)
{
    rank_settle(r);
    if (offset >= r->count || limit == 0)
        return 0;
    struct path p;
    descend_at(r, offset, &p);
    const struct leaf *l = p.leaf;
    size_t n = 0;
    for (uint32_t i = p.pos; l && n < limit; l = l->next, i = 0)
        for (; i < l->n && n < limit; i++)
            out[n++] = l->item[i];
    return n;
}

/* Moves p to the leaf before its own; 0 when it is the first. */
static int path_prev_leaf(const struct rank *r, struct path *p)
{
    int h = 1;
    while (h <= r->height && p->at[h] == 0)
        h++;
    if (h > r->height)
        return 0;
    p->at[h]--;
    void *node = p->node[h]->child[p->at[h]];
    for (h--; h >= 1; h--) { /* down the right edge of that child */
        struct inner *in = node;
        p->node[h] = in;
        p->at[h] = in->n - 1;
        node = in->child[in->n - 1];
    }
    p->leaf = node;
    return 1;
}

size_t rank_rekey(struct rank *r, size_t pos, size_t n, rank_rekey_fn fn, void *user)
{
    if (pos >= r->count || n == 0)
        return 0;
    if (n > r->count - pos)
        n = r->count - pos;
    struct path p;
    descend_at(r, pos + n - 1, &p); /* the last */
    /* From the last to the first: an entry's next neighbour has its new key already and
     * its previous one the old, so scores that all fall (a decay) stay in place (a
     * leaf's first entry's separator with it). */
    size_t done = 0;
    for (uint32_t i = p.pos + 1;; i = p.leaf->n) {
        struct leaf *l = p.leaf;
        for (uint32_t j = 0; j < i; j++)
            prefetch(l->item[j]); /* what fn reads, a leaf at a time */
        while (i > 0 && done < n) {
            i--;
            done++;
            void *item = l->item[i];
            double to = fn(item, user);
            struct pend *m = r->npend ? pend_of(r, item) : NULL;
            if (m) { /* where its move takes it, as rank_update */
                r->version += m->to != to;
                m->to = to;
                if (m->to == m->from)
                    pend_drop(r, m);
            } else if (to != l->k[i] && fits_at(r, l, i, to)) {
                p.pos = i;
                key_in_place(r, &p, to);
            } else if (to != l->k[i]) {
                /* Out of its place: moved now (a move noted would leave its old key to
                 * the neighbours compared with it next, and scores as close as a
                 * decay's would be noted one after another), and the walk goes on from
                 * the entry before it, found again. */
                const struct leaf *pl = i ? l : l->prev;
                if (!pl) { /* it was the first of all */
                    move_now(r, l->k[i], to, item);
                    return done;
                }
                uint32_t pi = i ? i - 1 : pl->n - 1;
                double before_k = pl->k[pi];
                void *before = pl->item[pi];
                move_now(r, l->k[i], to, item);
                descend(r, before_k, before, &p);
                l = p.leaf;
                i = p.pos + 1;
            }
        }
        if (done == n || !path_prev_leaf(r, &p))
            break;
    }
    return done;
}

void rank_each(struct rank *r, int (*fn)(void *item, double score, void *user), void *user)
{
    rank_settle(r);
    for (const struct leaf *l = r->first; l; l = l->next)
        for (uint32_t i = 0; i < l->n; i++)
            if (fn(l->item[i], l->k[i], user))
                return;
}
