/* Order-statistic skip list. See rank.h. Each level of a node stores the number of
 * level-0 steps its forward link skips (its span), so walking down from the top adds
 * up positions: that is what makes rank-of and page-at-offset logarithmic. */
#include "rank.h"

#include <stdint.h>
#include <stdlib.h>

#include "util.h"

/* 32 levels at p = 1/4 cover 2^64 items. */
#define RANK_MAX_LEVEL 32

struct rank_level {
    struct rank_node *next;
    size_t span;
};

struct rank_node {
    double score;
    void *item;
    unsigned char levels;
    struct rank_level lv[]; /* levels entries */
};

struct rank {
    struct rank_node *head; /* RANK_MAX_LEVEL levels, no item */
    int level;              /* levels in use (≥ 1) */
    size_t count;
    size_t bytes;
    rank_tie_fn tie;
    uint64_t rng;
};

static struct rank_node *node_new(int levels, double score, void *item)
{
    struct rank_node *n = xcalloc(1, sizeof *n + (size_t)levels * sizeof(struct rank_level));
    n->score = score;
    n->item = item;
    n->levels = (unsigned char)levels;
    return n;
}

struct rank *rank_new(rank_tie_fn tie)
{
    struct rank *r = xcalloc(1, sizeof *r);
    r->head = node_new(RANK_MAX_LEVEL, 0, NULL);
    r->level = 1;
    r->tie = tie;
    r->rng = 0x9e3779b97f4a7c15ull;
    r->bytes = sizeof *r + sizeof *r->head + RANK_MAX_LEVEL * sizeof(struct rank_level);
    return r;
}

void rank_free(struct rank *r)
{
    if (!r)
        return;
    struct rank_node *n = r->head;
    while (n) {
        struct rank_node *next = n->lv[0].next;
        free(n);
        n = next;
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

/* Whether node n comes strictly before (score, item). */
static int before(const struct rank *r, const struct rank_node *n, double score,
                  const void *item)
{
    if (n->score != score)
        return n->score > score;
    return r->tie(n->item, item) < 0;
}

void rank_insert(struct rank *r, double score, void *item)
{
    struct rank_node *update[RANK_MAX_LEVEL], *x = r->head;
    size_t pos[RANK_MAX_LEVEL];
    for (int i = r->level - 1; i >= 0; i--) {
        pos[i] = i == r->level - 1 ? 0 : pos[i + 1];
        while (x->lv[i].next && before(r, x->lv[i].next, score, item)) {
            pos[i] += x->lv[i].span;
            x = x->lv[i].next;
        }
        update[i] = x;
    }
    int level = random_level(r);
    if (level > r->level) {
        for (int i = r->level; i < level; i++) {
            pos[i] = 0;
            update[i] = r->head;
            r->head->lv[i].span = r->count;
        }
        r->level = level;
    }
    x = node_new(level, score, item);
    r->bytes += sizeof *x + (size_t)level * sizeof(struct rank_level);
    for (int i = 0; i < level; i++) {
        x->lv[i].next = update[i]->lv[i].next;
        update[i]->lv[i].next = x;
        x->lv[i].span = update[i]->lv[i].span - (pos[0] - pos[i]);
        update[i]->lv[i].span = pos[0] - pos[i] + 1;
    }
    for (int i = level; i < r->level; i++)
        update[i]->lv[i].span++;
    r->count++;
}

/* Fills update[] with the last node before (score, item) on every level. */
static struct rank_node *find(const struct rank *r, double score, const void *item,
                              struct rank_node **update)
{
    struct rank_node *x = r->head;
    for (int i = r->level - 1; i >= 0; i--) {
        while (x->lv[i].next && before(r, x->lv[i].next, score, item))
            x = x->lv[i].next;
        update[i] = x;
    }
    x = x->lv[0].next;
    return x && x->item == item && x->score == score ? x : NULL;
}

int rank_delete(struct rank *r, double score, void *item)
{
    struct rank_node *update[RANK_MAX_LEVEL];
    struct rank_node *x = find(r, score, item, update);
    if (!x)
        return -1;
    for (int i = 0; i < r->level; i++) {
        if (update[i]->lv[i].next == x) {
            update[i]->lv[i].span += x->lv[i].span - 1;
            update[i]->lv[i].next = x->lv[i].next;
        } else {
            update[i]->lv[i].span--;
        }
    }
    while (r->level > 1 && !r->head->lv[r->level - 1].next)
        r->level--;
    r->count--;
    r->bytes -= sizeof *x + (size_t)x->levels * sizeof(struct rank_level);
    free(x);
    return 0;
}

int rank_update(struct rank *r, double old_score, double new_score, void *item)
{
    struct rank_node *update[RANK_MAX_LEVEL];
    struct rank_node *x = find(r, old_score, item, update);
    if (!x)
        return -1;
    /* Still between its neighbours: change the score in place, O(log n) for the find. */
    struct rank_node *next = x->lv[0].next;
    if ((update[0] == r->head || before(r, update[0], new_score, item)) &&
        (!next || !before(r, next, new_score, item))) {
        x->score = new_score;
        return 0;
    }
    rank_delete(r, old_score, item);
    rank_insert(r, new_score, item);
    return 0;
}

size_t rank_position(const struct rank *r, double score, const void *item)
{
    struct rank_node *x = r->head;
    size_t pos = 0;
    for (int i = r->level - 1; i >= 0; i--) {
        while (x->lv[i].next && before(r, x->lv[i].next, score, item)) {
            pos += x->lv[i].span;
            x = x->lv[i].next;
        }
    }
    x = x->lv[0].next;
    return x && x->item == item && x->score == score ? pos : (size_t)-1;
}

size_t rank_page(const struct rank *r, size_t offset, size_t limit, void **out)
{
    if (offset >= r->count || limit == 0)
        return 0;
    /* Walk down to the node at 1-based position offset + 1. */
    size_t target = offset + 1, traversed = 0;
    struct rank_node *x = r->head;
    for (int i = r->level - 1; i >= 0; i--)
        while (x->lv[i].next && traversed + x->lv[i].span <= target) {
            traversed += x->lv[i].span;
            x = x->lv[i].next;
        }
    size_t n = 0;
    for (; x && n < limit; x = x->lv[0].next)
        out[n++] = x->item;
    return n;
}

void rank_each(const struct rank *r, int (*fn)(void *item, double score, void *user), void *user)
{
    for (struct rank_node *x = r->head->lv[0].next; x; x = x->lv[0].next)
        if (fn(x->item, x->score, user))
            return;
}
