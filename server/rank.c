/* Order-statistic skip list. See rank.h. Each level of a node stores the number of
 * level-0 steps its forward link skips (its span), so walking down from the top adds
 * up positions: that is what makes rank-of and page-at-offset logarithmic. */
#include "rank.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* 32 levels at p = 1/4 cover 2^64 items. */
#define RANK_MAX_LEVEL 32
/* Nodes come from slabs of this many bytes, one free list per level count. */
#define RANK_SLAB (64 * 1024)

/* A node of L levels is one block: item, its score rounded to a float, L - 1 spans
 * (32-bit: an index holds fewer than 2^32 items; level 0's span is always 1, so it is
 * not stored), then, 8-byte aligned, L forward pointers: 24 bytes for the 3 in 4 nodes
 * that have one level, no allocator header (slabs). The exact score is key(item), which
 * the caller keeps equal to the score the item is indexed under; the float orders two
 * nodes whenever their scores differ by more than its precision (rounding to a float
 * keeps order: a > b gives (float)a >= (float)b), so a search reads the items it passes
 * (a cache miss each, behind a call) only where the floats are equal. */
struct rank_node {
    void *item;
    float fkey;
    uint32_t levels;
    uint32_t span[]; /* levels - 1 entries (levels 1..), then the next pointers */
};

static size_t next_offset(unsigned levels)
{
    return (offsetof(struct rank_node, span) + (levels - 1) * sizeof(uint32_t) + 7) &
           ~(size_t)7;
}

static size_t node_size(unsigned levels)
{
    return next_offset(levels) + levels * sizeof(struct rank_node *);
}

static struct rank_node **nexts(const struct rank_node *n)
{
    return (struct rank_node **)(void *)((char *)(uintptr_t)n + next_offset(n->levels));
}

#define NEXT(n, i) (nexts(n)[i])

/* The number of level-0 steps n's link on level i skips: 1 on level 0 (the links that
 * are read are never the last node's, whose span is not used). */
static uint32_t span(const struct rank_node *n, int i)
{
    return i ? n->span[i - 1] : 1;
}

static void set_span(struct rank_node *n, int i, size_t v)
{
    if (i)
        n->span[i - 1] = (uint32_t)v;
}

struct rank_slab {
    struct rank_slab *next;
    size_t used;
    _Alignas(8) unsigned char mem[RANK_SLAB];
};

struct rank {
    struct rank_node *head; /* RANK_MAX_LEVEL levels, no item */
    int level;              /* levels in use (≥ 1) */
    size_t count;
    size_t bytes;
    rank_tie_fn tie;
    rank_key_fn key;
    uint64_t rng;
    struct rank_slab *slabs;                  /* newest first; nodes are carved from it */
    int tail_ok;                              /* tail[] is current (rank_append) */
    struct rank_node *tail[RANK_MAX_LEVEL];   /* last node on each level */
    size_t tail_pos[RANK_MAX_LEVEL];          /* its 1-based position (0: head) */
    struct rank_node *free_nodes[RANK_MAX_LEVEL + 1]; /* by levels; linked via item */
};

static struct rank_node *node_new(struct rank *r, unsigned levels, void *item, double score)
{
    struct rank_node *n = r->free_nodes[levels];
    size_t size = node_size(levels);
    if (n) {
        r->free_nodes[levels] = n->item;
    } else {
        if (!r->slabs || r->slabs->used + size > RANK_SLAB) {
            struct rank_slab *sl = xmalloc(sizeof *sl);
            sl->next = r->slabs;
            sl->used = 0;
            r->slabs = sl;
            r->bytes += sizeof *sl;
        }
        n = (struct rank_node *)(void *)(r->slabs->mem + r->slabs->used);
        r->slabs->used += size;
    }
    memset(n, 0, size);
    n->item = item;
    n->fkey = (float)score;
    n->levels = levels;
    return n;
}

static void node_free(struct rank *r, struct rank_node *n)
{
    n->item = r->free_nodes[n->levels];
    r->free_nodes[n->levels] = n;
}

struct rank *rank_new(rank_tie_fn tie, rank_key_fn key)
{
    struct rank *r = xcalloc(1, sizeof *r);
    r->bytes = sizeof *r;
    r->head = node_new(r, RANK_MAX_LEVEL, NULL, 0);
    r->level = 1;
    r->tie = tie;
    r->key = key;
    r->rng = 0x9e3779b97f4a7c15ull;
    return r;
}

void rank_free(struct rank *r)
{
    if (!r)
        return;
    struct rank_slab *sl = r->slabs;
    while (sl) {
        struct rank_slab *next = sl->next;
        free(sl);
        sl = next;
    }
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

/* Level of a new node: 1 + k with probability (1/4)^k (xorshift64*; deterministic). */
static int random_level(struct rank *r)
{
    r->rng ^= r->rng >> 12;
    r->rng ^= r->rng << 25;
    r->rng ^= r->rng >> 27;
    uint64_t x = r->rng * 0x2545F4914F6CDD1Dull;
    int level = 1;
    while (level < RANK_MAX_LEVEL && (x & 3) == 0) {
        level++;
        x >>= 2;
    }
    return level;
}

/* Whether node n comes strictly before (score, item); fscore is (float)score. */
static int before(const struct rank *r, const struct rank_node *n, double score,
                  float fscore, const void *item)
{
    if (n->fkey != fscore)
        return n->fkey > fscore;
    double k = r->key(n->item);
    if (k != score)
        return k > score;
    return r->tie(n->item, item) < 0;
}

/* Links a new node for (score, item) in after update[i] on every level, pos[i] being
 * update[i]'s 1-based position (0: the head); levels above r->level are filled in. */
static void link_node(struct rank *r, double score, void *item, struct rank_node **update,
                      size_t *pos)
{
    r->tail_ok = 0;
    int level = random_level(r);
    if (level > r->level) {
        for (int i = r->level; i < level; i++) {
            pos[i] = 0;
            update[i] = r->head;
            set_span(r->head, i, r->count);
        }
        r->level = level;
    }
    struct rank_node *x = node_new(r, (unsigned)level, item, score);
    for (int i = 0; i < level; i++) {
        NEXT(x, i) = NEXT(update[i], i);
        NEXT(update[i], i) = x;
        set_span(x, i, span(update[i], i) - (pos[0] - pos[i]));
        set_span(update[i], i, pos[0] - pos[i] + 1);
    }
    for (int i = level; i < r->level; i++)
        set_span(update[i], i, span(update[i], i) + 1);
    r->count++;
}

/* Walks down to the last node before (score, item) on every level: update[i] and its
 * 1-based position pos[i] (0: the head). hint (NULL: none) may give, on each level i,
 * a node known to come before (score, item) that is linked on level i, at position
 * hint_pos[i]: the walk jumps there when it is further on, so a search near a known
 * place costs the distance, not a descent from the head. */
static void descend(const struct rank *r, double score, const void *item,
                    struct rank_node *const *hint, const size_t *hint_pos,
                    struct rank_node **update, size_t *pos)
{
    struct rank_node *x = r->head;
    size_t xpos = 0;
    float fscore = (float)score;
    for (int i = r->level - 1; i >= 0; i--) {
        if (hint && hint_pos[i] > xpos) {
            x = hint[i];
            xpos = hint_pos[i];
        }
        while (NEXT(x, i) && before(r, NEXT(x, i), score, fscore, item)) {
            xpos += span(x, i);
            x = NEXT(x, i);
        }
        update[i] = x;
        pos[i] = xpos;
    }
}

void rank_insert(struct rank *r, double score, void *item)
{
    struct rank_node *update[RANK_MAX_LEVEL];
    size_t pos[RANK_MAX_LEVEL];
    descend(r, score, item, NULL, NULL, update, pos);
    link_node(r, score, item, update, pos);
}

/* Fills update[] (and pos[]) with the last node before (score, item) on every level;
 * returns the pair's node, or NULL when it is not indexed. */
static struct rank_node *find(const struct rank *r, double score, const void *item,
                              struct rank_node **update, size_t *pos)
{
    descend(r, score, item, NULL, NULL, update, pos);
    struct rank_node *x = NEXT(update[0], 0);
    return x && x->item == item && r->key(item) == score ? x : NULL;
}

/* Takes x out, update[] being its predecessors on every level (as find leaves them). */
static void unlink_node(struct rank *r, struct rank_node *x, struct rank_node **update)
{
    r->tail_ok = 0;
    for (int i = 0; i < r->level; i++) {
        if (NEXT(update[i], i) == x) {
            set_span(update[i], i, span(update[i], i) + span(x, i) - 1);
            NEXT(update[i], i) = NEXT(x, i);
        } else {
            set_span(update[i], i, span(update[i], i) - 1);
        }
    }
    while (r->level > 1 && !NEXT(r->head, r->level - 1))
        r->level--;
    r->count--;
    node_free(r, x);
}

int rank_delete(struct rank *r, double score, void *item)
{
    struct rank_node *update[RANK_MAX_LEVEL];
    size_t pos[RANK_MAX_LEVEL];
    struct rank_node *x = find(r, score, item, update, pos);
    if (!x)
        return -1;
    unlink_node(r, x, update);
    return 0;
}

int rank_update(struct rank *r, double old_score, double new_score, void *item)
{
    struct rank_node *old_at[RANK_MAX_LEVEL], *new_at[RANK_MAX_LEVEL], *x;
    size_t old_pos[RANK_MAX_LEVEL], new_pos[RANK_MAX_LEVEL];
    /* One descent from the head, then a walk from where it ended: up (a higher score)
     * finds the new place first, the old one past it; down finds the old place first,
     * the new one past it. */
    int up = new_score > old_score;
    if (up) {
        descend(r, new_score, item, NULL, NULL, new_at, new_pos); /* x lies after it */
        descend(r, old_score, item, new_at, new_pos, old_at, old_pos);
        x = NEXT(old_at[0], 0);
        if (!x || x->item != item || r->key(item) != old_score)
            return -1;
    } else if (!(x = find(r, old_score, item, old_at, old_pos))) {
        return -1;
    }
    /* Still between its neighbours: change the score in place. */
    struct rank_node *next = NEXT(x, 0);
    float fnew = (float)new_score;
    if ((old_at[0] == r->head || before(r, old_at[0], new_score, fnew, item)) &&
        (!next || !before(r, next, new_score, fnew, item))) {
        x->fkey = fnew;
        return 0; /* the caller now sets key(item) to new_score */
    }
    unlink_node(r, x, old_at); /* the places before x keep their positions */
    if (!up)
        descend(r, new_score, item, old_at, old_pos, new_at, new_pos);
    link_node(r, new_score, item, new_at, new_pos);
    return 0;
}

int rank_append(struct rank *r, void *item)
{
    if (!r->tail_ok) { /* find the last node of every level: O(n) once per run */
        struct rank_node *x = r->head;
        size_t pos = 0;
        for (int i = RANK_MAX_LEVEL - 1; i >= 0; i--) {
            if (i < r->level)
                while (NEXT(x, i)) {
                    pos += span(x, i);
                    x = NEXT(x, i);
                }
            r->tail[i] = i < r->level ? x : r->head;
            r->tail_pos[i] = i < r->level ? pos : 0;
        }
        r->tail_ok = 1;
    }
    double score = r->key(item);
    if (r->count && before(r, r->tail[0], score, (float)score, item) == 0)
        return -1; /* would not be last */
    int level = random_level(r);
    for (int i = r->level; i < level; i++) {
        r->tail[i] = r->head;
        r->tail_pos[i] = 0;
        set_span(r->head, i, r->count);
    }
    if (level > r->level)
        r->level = level;
    struct rank_node *x = node_new(r, (unsigned)level, item, score);
    size_t pos = r->count + 1;
    for (int i = 0; i < level; i++) {
        NEXT(r->tail[i], i) = x;
        set_span(r->tail[i], i, pos - r->tail_pos[i]);
        set_span(x, i, 0);
        r->tail[i] = x;
        r->tail_pos[i] = pos;
    }
    for (int i = level; i < r->level; i++)
        set_span(r->tail[i], i, span(r->tail[i], i) + 1);
    r->count++;
    return 0;
}

size_t rank_position(const struct rank *r, double score, const void *item)
{
    struct rank_node *update[RANK_MAX_LEVEL];
    size_t pos[RANK_MAX_LEVEL];
    return find(r, score, item, update, pos) ? pos[0] : (size_t)-1;
}

size_t rank_page(const struct rank *r, size_t offset, size_t limit, void **out)
{
    if (offset >= r->count || limit == 0)
        return 0;
    /* Walk down to the node at 1-based position offset + 1. */
    size_t target = offset + 1, traversed = 0;
    struct rank_node *x = r->head;
    for (int i = r->level - 1; i >= 0; i--)
        while (NEXT(x, i) && traversed + span(x, i) <= target) {
            traversed += span(x, i);
            x = NEXT(x, i);
        }
    size_t n = 0;
    for (; x && n < limit; x = NEXT(x, 0))
        out[n++] = x->item;
    return n;
}

void rank_each(const struct rank *r, int (*fn)(void *item, double score, void *user), void *user)
{
    for (struct rank_node *x = NEXT(r->head, 0); x; x = NEXT(x, 0))
        if (fn(x->item, r->key(x->item), user))
            return;
}
