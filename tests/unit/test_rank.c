/* rank.c against a plain sorted array: random inserts, deletes and updates, checking
 * count, every position and pages at many offsets after each step; ties broken by the
 * caller's order; the moves rank_update notes made one by one (settled after a few:
 * the in-place path and the move path both) and all at once (a rebuild, after many),
 * deletes of items with a move waiting, moves undone before they are made, moves made
 * at once (rank_move), no more than RANK_PEND_MAX waiting; scores that differ by less
 * than a float's precision (the order is the exact scores'); scores re-keyed in order
 * (rank_rekey), in place and as moves; the index's version moved whenever the order
 * did since the last check, and not for a decay re-keyed in place. An item taken out is
 * poisoned (its score and tie order scrambled, as a freed and reused design would be):
 * an index that still read it (a separator naming a deleted entry) would misplace what
 * it compares with it. Built twice: as the server has it, and (test_rank_small) with
 * nodes of 4 entries and 4 children, so that the same steps split, empty and free nodes
 * on five levels. */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "rank.h"

struct item {
    int64_t created;
    uint64_t id;
    double score;
    int present;
};

/* Ties: older first, then smaller id (SPEC §5). */
static int tie(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    if (x->created != y->created)
        return x->created < y->created ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static double key(const void *a)
{
    return ((const struct item *)a)->score;
}

static int cmp_model(const void *a, const void *b)
{
    const struct item *x = *(const struct item *const *)a, *y = *(const struct item *const *)b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return tie(x, y);
}

#define N 2000
static struct item items[N];
static struct item *model[N];

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void)
{
    return check_rand(&rng);
}

/* it is out of the index: its score and tie order become anything. */
static void poison(struct item *it)
{
    it->present = 0;
    it->score = (double)(next_rand() % 40) - 10;
    it->created = (int64_t)(next_rand() % 50);
}

/* One step on it: inserted with score when out of the index; else deleted (and
 * poisoned) when del, else moved to score. */
static void step_on(struct rank *r, struct item *it, double score, int del)
{
    if (!it->present) {
        it->score = score;
        it->present = 1;
        rank_insert(r, score, it);
    } else if (del) {
        ASSERT_EQ(rank_delete(r, it->score, it), 0);
        ASSERT_EQ(rank_delete(r, it->score, it), -1);
        poison(it);
    } else {
        ASSERT_EQ(rank_update(r, it->score, score, it), 0);
        it->score = score;
    }
}

static size_t build_model(void)
{
    size_t n = 0;
    for (int i = 0; i < N; i++)
        if (items[i].present)
            model[n++] = &items[i];
    qsort(model, n, sizeof model[0], cmp_model);
    return n;
}

/* The order at the last check, and the index's version then. */
static const struct rank *last_r;
static uint64_t last_version;
static struct item *last_order[N];
static size_t last_n;

static void check(struct rank *r)
{
    size_t n = build_model();
    ASSERT_EQ(rank_count(r), n);
    /* an order changed since the last check moved the version (the page cache's
     * promise); reading it (settling the moves waiting) does not */
    uint64_t version = rank_version(r);
    if (r == last_r && version == last_version)
        ASSERT(n == last_n && !memcmp(model, last_order, n * sizeof *model));
    void *page[64];
    for (size_t off = 0; off <= n; off += 1 + next_rand() % 97) {
        size_t lim = 1 + next_rand() % 64;
        size_t got = rank_page(r, off, lim, page);
        size_t want = off >= n ? 0 : (n - off < lim ? n - off : lim);
        ASSERT_EQ(got, want);
        for (size_t i = 0; i < got; i++)
            ASSERT(page[i] == model[off + i]);
    }
    for (size_t i = 0; i < n; i += 1 + next_rand() % 13)
        ASSERT_EQ(rank_position(r, model[i]->score, model[i]), i);
    ASSERT_EQ(rank_version(r), version);
    last_r = r;
    last_version = version;
    last_n = n;
    memcpy(last_order, model, n * sizeof *model);
}

/* rank_rekey's new scores: a decay smaller than any two scores' gap, as a pass of the
 * `hot` scores makes (user NULL), or for one item in four a jump anywhere, a tie with
 * another score, or no change (user non-NULL). */
static double rekeyed(void *item, void *user)
{
    struct item *it = item;
    if (!user)
        it->score *= 1 - 1e-7;
    else if (next_rand() % 4 == 0)
        it->score = (double)(next_rand() % 2000) / 10;
    return it->score;
}

/* rank_rekey's new score for one item: a jump of one. */
static double jumped(void *item, void *user)
{
    (void)user;
    struct item *it = item;
    it->score += 1;
    return it->score;
}

int main(void)
{
    struct rank *r = rank_new(tie, key);
    ASSERT_EQ(rank_count(r), 0);
    void *page[4];
    ASSERT_EQ(rank_page(r, 0, 4, page), 0);
    for (int i = 0; i < N; i++) {
        items[i].id = (uint64_t)i + 1;
        items[i].created = (int64_t)(next_rand() % 50); /* many equal times: ties */
    }
    for (int step = 0; step < 20000; step++) {
        struct item *it = &items[next_rand() % N];
        double score = (double)(next_rand() % 20); /* many equal scores: ties */
        int op = (int)(next_rand() % 3);
        step_on(r, it, score, op == 0);
        if (step < 10000 && next_rand() % 4 == 0)
            rank_settle(r); /* a few moves waiting: made one by one */
        if (step % 500 == 0)
            check(r); /* after up to ~170 (the second half): a rebuild */
    }
    check(r);
    /* absent pairs */
    struct item ghost = {.created = 1, .id = 999999};
    ASSERT_EQ(rank_position(r, 3, &ghost), (size_t)-1);
    ASSERT(rank_memory(r) > 0);

    /* Moves waiting: noted, merged, undone, deleted, made by a read. */
    {
        struct item *a = model[0], *b = model[1];
        double a0 = a->score, b0 = b->score;
        ASSERT_EQ(rank_pending(r), 0);
        ASSERT_EQ(rank_update(r, a0, a0 + 100, a), 0);
        ASSERT_EQ(rank_pending(r), 1);
        ASSERT_EQ(rank_update(r, a0, a0 + 50, a), -1); /* not where its move takes it */
        ASSERT_EQ(rank_update(r, a0 + 100, a0 + 200, a), 0);
        ASSERT_EQ(rank_pending(r), 1); /* one move, to the last score */
        ASSERT_EQ(rank_update(r, a0 + 200, a0, a), 0);
        ASSERT_EQ(rank_pending(r), 0); /* back where it is: nothing to do */
        ASSERT_EQ(rank_update(r, a0, a0 + 300, a), 0);
        ASSERT_EQ(rank_update(r, b0, b0 + 300, b), 0);
        ASSERT_EQ(rank_pending(r), 2);
        ASSERT_EQ(rank_delete(r, a0, a), -1); /* where it was: not its score now */
        ASSERT_EQ(rank_delete(r, a0 + 300, a), 0);
        ASSERT_EQ(rank_pending(r), 1);
        ASSERT_EQ(rank_delete(r, a0 + 300, a), -1);
        poison(a);
        b->score = b0 + 300;
        void *first[1];
        ASSERT_EQ(rank_page(r, 0, 1, first), 1); /* a read makes the move */
        ASSERT_EQ(rank_pending(r), 0);
        ASSERT(first[0] == b);
        check(r);
        /* rank_move: made at once; of an item with a move waiting, from where that
         * move takes it; of an absent pair, refused */
        ASSERT_EQ(rank_update(r, b->score, b->score + 1, b), 0);
        ASSERT_EQ(rank_pending(r), 1);
        ASSERT_EQ(rank_move(r, b->score, b->score + 2, b), -1);
        ASSERT_EQ(rank_move(r, b->score + 1, b->score + 2, b), 0);
        ASSERT_EQ(rank_pending(r), 0);
        b->score += 2;
        ASSERT_EQ(rank_position(r, b->score, b), 0);
        ASSERT_EQ(rank_move(r, b->score, b->score - 400, b), 0);
        ASSERT_EQ(rank_pending(r), 0);
        b->score -= 400; /* now last */
        ASSERT_EQ(rank_position(r, b->score, b), rank_count(r) - 1);
        ASSERT_EQ(rank_move(r, 3, 4, &ghost), -1);
        check(r);
    }
    /* No more than RANK_PEND_MAX moves wait: the one that reaches it makes them all. */
    {
        size_t many = RANK_PEND_MAX + 1000;
        struct item *its = calloc(many, sizeof *its);
        struct rank *rr = rank_new(tie, key);
        for (size_t i = 0; i < many; i++) {
            its[i] = (struct item){.created = 1, .id = i + 1, .score = (double)(i % 50), .present = 1};
            rank_insert(rr, its[i].score, &its[i]);
        }
        for (size_t i = 0; i < many; i++) {
            ASSERT_EQ(rank_update(rr, its[i].score, its[i].score + 100, &its[i]), 0);
            its[i].score += 100;
            ASSERT(rank_pending(rr) < RANK_PEND_MAX);
        }
        ASSERT_EQ(rank_pending(rr), many - RANK_PEND_MAX);
        struct item **order = malloc(many * sizeof *order);
        for (size_t i = 0; i < many; i++)
            order[i] = &its[i];
        qsort(order, many, sizeof *order, cmp_model);
        void **pg = malloc(many * sizeof *pg);
        ASSERT_EQ(rank_page(rr, 0, many, pg), many);
        for (size_t i = 0; i < many; i++)
            ASSERT(pg[i] == order[i]);
        free(pg);
        free(order);
        rank_free(rr);
        free(its);
    }
    /* The promise broken: a move of a pair not in the index stops the program when it
     * is made (a child process tries it). */
    {
        fflush(NULL);
        pid_t pid = fork();
        ASSERT(pid >= 0);
        if (pid == 0) {
            close(2);
            ASSERT_EQ(rank_update(r, 3, 4, &ghost), 0); /* noted: not looked up yet */
            rank_settle(r);
            _exit(0);
        }
        int status = 0;
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    }
    rank_free(r);
    rank_free(NULL);

    /* Bulk build: rank_append in order gives the same index; then it keeps working
     * under random changes, and appends again after them. */
    r = rank_new(tie, key);
    size_t n = build_model();
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && i % 300 == 0) { /* not after the last: refused, nothing added */
            ASSERT_EQ(rank_append(r, model[0]), -1);
            ASSERT_EQ(rank_append(r, model[i - 1]), -1);
        }
        ASSERT_EQ(rank_append(r, model[i]), 0);
    }
    check(r);
    { /* a bulk build fills its nodes: smaller than the same items inserted at random */
        struct rank *r2 = rank_new(tie, key);
        for (size_t i = 0; i < n; i++) {
            size_t j = (i * 7919) % n; /* every index once (7919 is prime, n < 7919) */
            rank_insert(r2, model[j]->score, model[j]);
        }
        ASSERT_EQ(rank_count(r2), n);
        ASSERT(rank_memory(r) * 5 < rank_memory(r2) * 4);
        rank_free(r2);
    }
    for (int step = 0; step < 5000; step++) {
        struct item *it = &items[next_rand() % N];
        double score = (double)(next_rand() % 20);
        step_on(r, it, score, step % 2 == 0);
    }
    check(r);
    /* append items scored below everything present */
    for (int i = 0; i < N; i++)
        if (!items[i].present) {
            items[i].score = -1 - (double)i;
            items[i].present = 1;
            ASSERT_EQ(rank_append(r, &items[i]), 0);
        }
    check(r);
    rank_free(r);

    /* Scores a float cannot tell apart: 1 + k * 2^-40 (all round to 1.0f) and big ones
     * (1.7e12 + k, milliseconds of a creation time: floats 2^17 apart), mixed with
     * scores that floats do tell apart. The order must be the exact scores'. */
    r = rank_new(tie, key);
    for (int i = 0; i < N; i++)
        items[i].present = 0;
    for (int step = 0; step < 20000; step++) {
        struct item *it = &items[next_rand() % N];
        uint64_t k = next_rand() % 16;
        double score;
        switch (next_rand() % 3) {
        case 0: score = 1.0 + (double)k * 0x1p-40; break;
        case 1: score = 1.7e12 + (double)k; break;
        default: score = (double)k; break;
        }
        step_on(r, it, score, next_rand() % 4 == 0);
        if (step % 1000 == 0)
            check(r);
    }
    check(r);
    rank_free(r);

    /* Small moves of distinct scores, as votes make them: most updates stay between
     * their neighbours and change the score in place, a leaf's first entry too (whose
     * separator must follow, or the searches after it go astray). */
    r = rank_new(tie, key);
    for (int i = 0; i < N; i++) {
        items[i].score = (double)(next_rand() % 100000) / 100;
        items[i].present = 1;
        rank_insert(r, items[i].score, &items[i]);
    }
    for (int step = 0; step < 40000; step++) {
        struct item *it = &items[next_rand() % N];
        double score = it->score + ((double)(next_rand() % 201) - 100) / 1000;
        step_on(r, it, score, next_rand() % 50 == 0);
        if (step % 8 != 0)
            rank_settle(r); /* one move: in place, or out and in again */
        if (step % 2000 == 0)
            check(r);
    }
    check(r);
    rank_free(r);

    /* Re-keyed in order (rank_rekey: the rescoring passes): a decay of every score
     * keeps the order and changes the keys in place (a leaf's first entries are noted
     * as moves); jumps and ties are noted as moves; an item with a move waiting has it
     * retargeted; walks from any position, cut at the end. */
    r = rank_new(tie, key);
    for (int i = 0; i < N; i++) {
        items[i].score = 1 + (double)(next_rand() % 100000) / 100;
        items[i].created = (int64_t)(next_rand() % 50);
        items[i].present = 1;
        rank_insert(r, items[i].score, &items[i]);
    }
    check(r);
    uint64_t version = rank_version(r);
    ASSERT_EQ(rank_rekey(r, 0, N + 5, rekeyed, NULL), N);
    ASSERT_EQ(rank_pending(r), 0); /* all in place */
    ASSERT_EQ(rank_version(r), version); /* the same order */
    check(r);
    ASSERT_EQ(rank_rekey(r, N, 1, rekeyed, NULL), 0);
    int any = 1;
    for (int step = 0; step < 300; step++) {
        for (int k = 0; k < 5; k++) { /* moves waiting, made or not */
            struct item *it = &items[next_rand() % N];
            step_on(r, it, (double)(next_rand() % 2000) / 10, 0);
        }
        size_t pos = next_rand() % N, len = 1 + next_rand() % 300;
        size_t want = N - pos < len ? N - pos : len;
        ASSERT_EQ(rank_rekey(r, pos, len, rekeyed, &any), want);
        ASSERT(rank_pending(r) < RANK_PEND_MAX);
        if (step % 10 == 0)
            check(r);
    }
    check(r);
    /* Moves noted and retargeted alone, between checks: the version moves with them. */
    for (int step = 0; step < 300; step++) {
        struct item *it = &items[next_rand() % N];
        for (int k = 0; k < 1 + step % 3; k++)
            step_on(r, it, (double)(next_rand() % 2000) / 10, 0);
        /* a move waiting retargeted, by an update and by a walk over it */
        size_t pos = rank_position(r, it->score, it); /* (made now) */
        uint64_t before = rank_version(r);
        step_on(r, it, it->score + 1000, 0);
        ASSERT_EQ(rank_pending(r), 1);
        ASSERT(rank_version(r) != before);
        before = rank_version(r);
        step_on(r, it, it->score + 1, 0);
        ASSERT(rank_version(r) != before);
        before = rank_version(r);
        ASSERT_EQ(rank_rekey(r, pos, 1, jumped, NULL), 1);
        ASSERT_EQ(rank_pending(r), 1);
        ASSERT(rank_version(r) != before);
        check(r);
    }
    rank_free(r);
    return 0;
}
