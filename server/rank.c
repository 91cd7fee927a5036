/* Order-statistic B+ tree. See rank.h.
 *
 * Leaves hold up to LEAF_CAP entries in order: each an item and its score rounded to a
 * float; leaves are linked both ways for pages and walks. An inner node holds up to
 * INNER_CAP children, each with the number of items under it (so a descent adds up
 * positions: rank-of and page-at-offset are logarithmic) and, for every child but the
 * first, a separator: the first entry under that child (its float and item). A search
 * compares floats first and reads an item's exact score (key) and tie order only where
 * the floats are equal (rounding to a float keeps order: a > b gives (float)a >=
 * (float)b). A descent of 100,000 items reads ~4 nodes, a few cache lines each, where
 * a skip list follows ~25 pointers to scattered nodes.
 *
 * Separators name live items: deleting the first entry under a child puts the next
 * one in its place, and a child left empty is freed with its separator. Nodes are not
 * merged when they shrink (only freed when empty); the tree grows a level only when its
 * root is full, which takes (INNER_CAP/2)^height leaf splits since the last time: its
 * height is at most log base INNER_CAP/2 of the inserts it has seen, plus one. */
#include "rank.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#ifndef RANK_LEAF_CAP
#define RANK_LEAF_CAP 32
#endif
#ifndef RANK_INNER_CAP
#define RANK_INNER_CAP 32
#endif
#define LEAF_CAP RANK_LEAF_CAP
#define INNER_CAP RANK_INNER_CAP
/* Inner levels: height h takes (INNER_CAP/2)^(h-1) leaf splits (above); 40 levels are
 * 2^39 of them even at the tests' cap of 4. */
#define MAX_HEIGHT 40

struct leaf {
    uint32_t n;
    struct leaf *prev, *next;
    float f[LEAF_CAP];
    void *item[LEAF_CAP];
};

struct inner {
    uint32_t n;
    uint32_t count[INNER_CAP]; /* items under child i */
    float sf[INNER_CAP];       /* separators (index 0 unused) */
    void *child[INNER_CAP];
    void *si[INNER_CAP];
};

struct rank {
    void *root;
    int height; /* inner levels above the leaves (0: the root is a leaf) */
    size_t count;
    size_t bytes;
    rank_tie_fn tie;
    rank_key_fn key;
    struct leaf *first, *last;
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
    free(r);
}

size_t rank_count(const struct rank *r)
{
    return r->count;
}

size_t rank_memory(const struct rank *r)
{
    return r->bytes;
}

/* Where the entry (f, item_e) lies against (score, item): <0 before it, 0 the same
 * entry, >0 after it. fscore is (float)score. */
static int cmp(const struct rank *r, float f, const void *item_e, double score, float fscore,
               const void *item)
{
    if (f != fscore)
        return f > fscore ? -1 : 1;
    double k = r->key(item_e);
    if (k != score)
        return k > score ? -1 : 1;
    if (item_e == item)
        return 0;
    return r->tie(item_e, item) < 0 ? -1 : 1;
}

/* The child of in that (score, item) belongs under: the last whose separator is at
 * or before it. */
static uint32_t route(const struct rank *r, const struct inner *in, double score,
                      float fscore, const void *item)
{
    uint32_t lo = 1, hi = in->n; /* the first separator after it lies in [lo, hi] */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (cmp(r, in->sf[mid], in->si[mid], score, fscore, item) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - 1;
}

/* How many of l's entries come before (score, item). */
static uint32_t leaf_search(const struct rank *r, const struct leaf *l, double score,
                            float fscore, const void *item)
{
    uint32_t lo = 0, hi = l->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (cmp(r, l->f[mid], l->item[mid], score, fscore, item) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Descends to where (score, item) is or would be; returns the items before the leaf. */
static size_t descend(const struct rank *r, double score, const void *item, struct path *p)
{
    float fscore = (float)score;
    void *node = r->root;
    size_t before = 0;
    for (int h = r->height; h > 0; h--) {
        struct inner *in = node;
        uint32_t c = route(r, in, score, fscore, item);
        for (uint32_t i = 0; i < c; i++)
            before += in->count[i];
        p->node[h] = in;
        p->at[h] = c;
        node = in->child[c];
    }
    p->leaf = node;
    p->pos = leaf_search(r, p->leaf, score, fscore, item);
    return before;
}

/* Whether the descent found (score, item) itself. */
static int found(const struct rank *r, const struct path *p, double score, const void *item)
{
    const struct leaf *l = p->leaf;
    return p->pos < l->n && l->item[p->pos] == item && r->key(item) == score;
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
static void first_entry(const void *node, int height, float *f, void **item)
{
    for (; height > 0; height--)
        node = ((const struct inner *)node)->child[0];
    const struct leaf *l = node;
    *f = l->f[0];
    *item = l->item[0];
}

/* Puts (f, item) at pos of p->leaf and the counts on the path up to date, splitting
 * what overflows. append: the entry goes after everything, so a full node keeps all
 * it has and the new one starts a node of its own (a bulk build fills nodes whole). */
static void insert_at(struct rank *r, struct path *p, float f, void *item, int append)
{
    struct leaf *l = p->leaf;
    uint32_t pos = p->pos;
    r->count++;
    if (l->n < LEAF_CAP) {
        memmove(l->f + pos + 1, l->f + pos, (l->n - pos) * sizeof *l->f);
        memmove(l->item + pos + 1, l->item + pos, (l->n - pos) * sizeof *l->item);
        l->f[pos] = f;
        l->item[pos] = item;
        l->n++;
        for (int h = 1; h <= r->height; h++)
            p->node[h]->count[p->at[h]]++;
        return;
    }
    /* Split the leaf: LEAF_CAP + 1 entries, the first `keep` stay. */
    float fs[LEAF_CAP + 1];
    void *is[LEAF_CAP + 1];
    memcpy(fs, l->f, pos * sizeof *fs);
    memcpy(is, l->item, pos * sizeof *is);
    fs[pos] = f;
    is[pos] = item;
    memcpy(fs + pos + 1, l->f + pos, (LEAF_CAP - pos) * sizeof *fs);
    memcpy(is + pos + 1, l->item + pos, (LEAF_CAP - pos) * sizeof *is);
    uint32_t keep = append && pos == LEAF_CAP ? LEAF_CAP : (LEAF_CAP + 1) / 2;
    struct leaf *nl = leaf_new(r);
    l->n = keep;
    memcpy(l->f, fs, keep * sizeof *fs);
    memcpy(l->item, is, keep * sizeof *is);
    nl->n = LEAF_CAP + 1 - keep;
    memcpy(nl->f, fs + keep, nl->n * sizeof *fs);
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
    float sepf = nl->f[0];
    void *sepi = nl->item[0];
    for (int h = 1; h <= r->height + 1; h++) {
        if (h > r->height) { /* the root split: a new root above both */
            struct inner *root = inner_new(r);
            root->n = 2;
            root->child[0] = left;
            root->child[1] = right;
            root->count[0] = (uint32_t)total(left, h - 1);
            root->count[1] = (uint32_t)total(right, h - 1);
            root->sf[1] = sepf;
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
            memmove(in->sf + c + 2, in->sf + c + 1, m * sizeof *in->sf);
            memmove(in->si + c + 2, in->si + c + 1, m * sizeof *in->si);
            in->child[c + 1] = right;
            in->count[c] = lcount;
            in->count[c + 1] = rcount;
            in->sf[c + 1] = sepf;
            in->si[c + 1] = sepi;
            in->n++;
            for (int up = h + 1; up <= r->height; up++)
                p->node[up]->count[p->at[up]]++;
            return;
        }
        /* Split the inner node: INNER_CAP + 1 children, the first `keep` stay. */
        void *cs[INNER_CAP + 1], *ss[INNER_CAP + 1];
        uint32_t ns[INNER_CAP + 1];
        float fs2[INNER_CAP + 1];
        for (uint32_t i = 0, j = 0; i <= INNER_CAP; i++) {
            if (i == c + 1) {
                cs[i] = right;
                ns[i] = rcount;
                fs2[i] = sepf;
                ss[i] = sepi;
                continue;
            }
            cs[i] = in->child[j];
            ns[i] = i == c ? lcount : in->count[j];
            fs2[i] = in->sf[j];
            ss[i] = in->si[j];
            j++;
        }
        uint32_t keep2 = append && c + 1 == INNER_CAP ? INNER_CAP : (INNER_CAP + 1) / 2;
        struct inner *ni = inner_new(r);
        in->n = keep2;
        memcpy(in->child, cs, keep2 * sizeof *cs);
        memcpy(in->count, ns, keep2 * sizeof *ns);
        memcpy(in->sf, fs2, keep2 * sizeof *fs2);
        memcpy(in->si, ss, keep2 * sizeof *ss);
        ni->n = INNER_CAP + 1 - keep2;
        memcpy(ni->child, cs + keep2, ni->n * sizeof *cs);
        memcpy(ni->count, ns + keep2, ni->n * sizeof *ns);
        memcpy(ni->sf, fs2 + keep2, ni->n * sizeof *fs2);
        memcpy(ni->si, ss + keep2, ni->n * sizeof *ss);
        sepf = ni->sf[0]; /* the first child's separator now heads the new node */
        sepi = ni->si[0];
        ni->sf[0] = 0;
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
    memmove(l->f + pos, l->f + pos + 1, (l->n - pos - 1) * sizeof *l->f);
    memmove(l->item + pos, l->item + pos + 1, (l->n - pos - 1) * sizeof *l->item);
    l->n--;
    r->count--;
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
            memmove(in->sf + c, in->sf + c + 1, m * sizeof *in->sf);
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
        first_entry(a->child[p->at[sl]], sl - 1, &a->sf[p->at[sl]], &a->si[p->at[sl]]);
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
    insert_at(r, &p, (float)score, item, 0);
}

int rank_delete(struct rank *r, double score, void *item)
{
    struct path p;
    descend(r, score, item, &p);
    if (!found(r, &p, score, item))
        return -1;
    remove_at(r, &p);
    return 0;
}

int rank_update(struct rank *r, double old_score, double new_score, void *item)
{
    struct path p;
    descend(r, old_score, item, &p);
    if (!found(r, &p, old_score, item))
        return -1;
    /* Still between its neighbours: change the score in place (and the separator that
     * names the entry, when one does). */
    struct leaf *l = p.leaf;
    uint32_t pos = p.pos;
    float fnew = (float)new_score;
    const struct leaf *pl = pos ? l : l->prev, *nl = pos + 1 < l->n ? l : l->next;
    uint32_t pp = pos ? pos - 1 : (pl ? pl->n - 1 : 0), np = pos + 1 < l->n ? pos + 1 : 0;
    if ((!pl || cmp(r, pl->f[pp], pl->item[pp], new_score, fnew, item) < 0) &&
        (!nl || cmp(r, nl->f[np], nl->item[np], new_score, fnew, item) > 0)) {
        l->f[pos] = fnew;
        int sl = pos == 0 ? sep_level(r, &p) : 0;
        if (sl)
            p.node[sl]->sf[p.at[sl]] = fnew;
        return 0; /* the caller now sets key(item) to new_score */
    }
    remove_at(r, &p);
    descend(r, new_score, item, &p);
    insert_at(r, &p, fnew, item, 0);
    return 0;
}

int rank_append(struct rank *r, void *item)
{
    double score = r->key(item);
    float f = (float)score;
    const struct leaf *last = r->last;
    if (r->count && cmp(r, last->f[last->n - 1], last->item[last->n - 1], score, f, item) >= 0)
        return -1; /* would not be last */
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
    insert_at(r, &p, f, item, 1);
    return 0;
}

size_t rank_position(const struct rank *r, double score, const void *item)
{
    struct path p;
    size_t before = descend(r, score, item, &p);
    return found(r, &p, score, item) ? before + p.pos : (size_t)-1;
}

size_t rank_page(const struct rank *r, size_t offset, size_t limit, void **out)
{
    if (offset >= r->count || limit == 0)
        return 0;
    const void *node = r->root;
    for (int h = r->height; h > 0; h--) { /* down to the leaf holding position offset */
        const struct inner *in = node;
        uint32_t c = 0;
        while (c + 1 < in->n && offset >= in->count[c])
            offset -= in->count[c++];
        node = in->child[c];
    }
    const struct leaf *l = node;
    size_t n = 0;
    for (uint32_t i = (uint32_t)offset; l && n < limit; l = l->next, i = 0)
        for (; i < l->n && n < limit; i++)
            out[n++] = l->item[i];
    return n;
}

void rank_each(const struct rank *r, int (*fn)(void *item, double score, void *user), void *user)
{
    for (const struct leaf *l = r->first; l; l = l->next)
        for (uint32_t i = 0; i < l->n; i++)
            if (fn(l->item[i], r->key(l->item[i]), user))
                return;
}
