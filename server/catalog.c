/* The in-memory catalog: designs, galleries, the ranked and filter indexes, scores
 * and the rescoring timer. See catalog.h; queries are in catalog_page.c, start-up in
 * catalog_load.c. */
#include "catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "catalog_int.h"
#include "ccerr.h"
#include "contests.h"
#include "designs.h"
#include "kind.h"
#include "log.h"
#include "rank.h"
#include "score.h"
#include "store.h"
#include "u64map.h"

static const char *const sort_names[] = {"new", "top", "hot"};
static const char *const status_names[] = {"submitted",     "shortlisted", "winner",
                                           "not_selected",  "in_production", "launched",
                                           "withdrawn",     "expired"};

const char *sort_name(enum sort s)
{
    return sort_names[s];
}

int sort_parse(const char *name)
{
    for (int i = 0; i < SORT_COUNT; i++)
        if (!strcmp(name, sort_names[i]))
            return i;
    return -1;
}

const char *status_name(enum dstatus s)
{
    return status_names[s];
}

int status_parse(const char *name)
{
    for (int i = 0; i < ST_COUNT; i++)
        if (!strcmp(name, status_names[i]))
            return i;
    return -1;
}

/* ---- lists ---- */

void cat_dvec_push(struct dvec *v, struct dmem *d)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 4;
        v->v = xrealloc(v->v, v->cap * sizeof *v->v);
    }
    v->v[v->n++] = d;
}

void cat_dvec_remove(struct dvec *v, struct dmem *d)
{
    for (size_t i = v->n; i-- > 0;)
        if (v->v[i] == d) {
            v->v[i] = v->v[--v->n];
            return;
        }
}

struct dvec *cat_map_list(struct u64map *m, uint64_t key)
{
    struct dvec *v = u64map_get(m, key);
    if (!v) {
        v = xcalloc(1, sizeof *v);
        u64map_put(m, key, v);
    }
    return v;
}

/* ---- scores (SPEC §5) ---- */

/* Ties: older design first, then smaller id. */
int cat_tie(const void *a, const void *b)
{
    const struct dmem *x = a, *y = b;
    if (x->score[SORT_NEW] != y->score[SORT_NEW])
        return x->score[SORT_NEW] < y->score[SORT_NEW] ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

int64_t catalog_created(const struct dmem *d)
{
    return (int64_t)d->score[SORT_NEW];
}

/* The keys of the three ranked indexes (rank_key_fn). */
static double key_new(const void *item)
{
    return ((const struct dmem *)item)->score[SORT_NEW];
}

static double key_top(const void *item)
{
    return ((const struct dmem *)item)->score[SORT_TOP];
}

static double key_hot(const void *item)
{
    return ((const struct dmem *)item)->score[SORT_HOT];
}

double cat_contest_mean(const struct cgal *g)
{
    return g->mean_votes ? (double)g->mean_sum / (double)g->mean_votes : SCORE_BAYES_M0;
}

double cat_score_top(const struct dmem *d, double mean)
{
    return d->gal->scale->score_top(d->c, mean);
}

double cat_hot_score(const struct dmem *d, int64_t now)
{
    return score_hot(d->gal->scale->hot_points(d->c), now - catalog_created(d));
}

/* Gives d the top score `top`, re-keyed in its index (when visible) by move
 * (rank_update or rank_move). Returns whether it changed. */
static int set_top(struct dmem *d, double top, int (*move)(struct rank *, double, double, void *))
{
    if (top == d->score[SORT_TOP])
        return 0;
    catalog_touch_tally(d); /* the design object shows the top score */
    if (!d->hidden)
        move(d->gal->rank[SORT_TOP], d->score[SORT_TOP], top, d);
    d->score[SORT_TOP] = top;
    return 1;
}

/* Re-keys d in every index it is in after its scores may have changed: the moves are
 * noted (rank_update: made when the order is next read, many at once). Returns whether
 * any score changed. (The rescoring passes re-key the `hot` order as they walk it:
 * rekey_hot.) */
static int rescore(struct dmem *d, int64_t now, double mean)
{
    double hot = cat_hot_score(d, now);
    int changed = set_top(d, cat_score_top(d, mean), rank_update);
    if (hot != d->score[SORT_HOT]) {
        if (!d->hidden)
            rank_update(d->gal->rank[SORT_HOT], d->score[SORT_HOT], hot, d);
        d->score[SORT_HOT] = hot;
        changed = 1;
    }
    return changed;
}

/* ---- galleries ---- */

struct cgal *cat_gal_find(struct catalog *cat, const char *id)
{
    for (struct cgal *g = cat->gals; g; g = g->next)
        if (!strcmp(g->id, id))
            return g;
    return NULL;
}

struct cgal *cat_gal_get(struct catalog *cat, const char *id)
{
    struct cgal *g = cat_gal_find(cat, id);
    if (g)
        return g;
    struct contest c;
    MDB_txn *txn;
    int rc = store_read_begin(cat->store, &txn);
    if (!rc) {
        rc = contest_load(txn, cat->store, id, &c);
        store_read_end(cat->store, txn);
    }
    if (rc)
        return NULL;
    g = xcalloc(1, sizeof *g);
    snprintf(g->id, sizeof g->id, "%s", id);
    g->scale = c.scale;
    g->contest = c;
    static const rank_key_fn keys[SORT_COUNT] = {key_new, key_top, key_hot};
    for (int s = 0; s < SORT_COUNT; s++)
        g->rank[s] = rank_new(cat_tie, keys[s]);
    u64map_init(&g->by_tag);
    u64map_init(&g->moved_tags);
    g->mean_ranked = SCORE_BAYES_M0;
    g->next = cat->gals;
    cat->gals = g;
    return g;
}

uint64_t catalog_newest_id(const struct catalog *cat)
{
    for (size_t id = cat->cap_id; id-- > 1;)
        if (cat->by_id[id])
            return id;
    return 0;
}

int catalog_kind_number(const char *name)
{
    int i = 1;
    for (const struct kind *const *k = kind_all(); *k; k++, i++)
        if (!strcmp((*k)->name, name))
            return i;
    return 0;
}

const uint32_t *catalog_tags(const struct dmem *d)
{
    return d->tagcap == DMEM_TAGS_MOVED ? u64map_get(&d->gal->moved_tags, d->id) : d->tags;
}

/* d into its gallery's secondary indexes (the filters). */
void cat_index_add_lists(struct dmem *d)
{
    struct cgal *g = d->gal;
    const uint32_t *tags = catalog_tags(d);
    for (int i = 0; i < d->ntags; i++)
        cat_dvec_push(cat_map_list(&g->by_tag, tags[i]), d);
    if (d->status != ST_SUBMITTED)
        cat_dvec_push(&g->by_status[d->status], d);
}

static void index_add(struct dmem *d)
{
    struct cgal *g = d->gal;
    for (int s = 0; s < SORT_COUNT; s++)
        rank_insert(g->rank[s], d->score[s], d);
    cat_index_add_lists(d);
}

static void index_remove(struct dmem *d)
{
    struct cgal *g = d->gal;
    for (int s = 0; s < SORT_COUNT; s++)
        rank_delete(g->rank[s], d->score[s], d);
    const uint32_t *tags = catalog_tags(d);
    for (int i = 0; i < d->ntags; i++)
        cat_dvec_remove(cat_map_list(&g->by_tag, tags[i]), d);
    if (d->status != ST_SUBMITTED)
        cat_dvec_remove(&g->by_status[d->status], d);
}

/* ---- tags ---- */

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h ? h : 1;
}

/* The id of tag (interned when create), or 0 when unknown. */
uint32_t cat_tag_id(struct catalog *cat, const char *tag, int create)
{
    uint64_t h = fnv1a(tag);
    struct tag_name *t = u64map_get(&cat->tags, h);
    for (struct tag_name *x = t; x; x = x->next)
        if (!strcmp(x->name, tag))
            return x->id;
    if (!create)
        return 0;
    struct tag_name *n = xcalloc(1, sizeof *n);
    n->hash = h;
    n->id = ++cat->next_tag;
    snprintf(n->name, sizeof n->name, "%s", tag);
    n->next = t;
    u64map_put(&cat->tags, h, n);
    return n->id;
}

/* ---- designs ---- */

struct dmem *catalog_design(const struct catalog *cat, uint64_t id)
{
    return id < cat->cap_id ? cat->by_id[id] : NULL;
}

const struct scale *catalog_scale(const struct dmem *d)
{
    return d->gal->scale;
}

const char *catalog_contest_id(const struct dmem *d)
{
    return d->gal->id;
}

const struct contest *catalog_contest(const struct dmem *d)
{
    return &d->gal->contest;
}

const struct contest *catalog_gallery_contest(const struct cgal *g)
{
    return &g->contest;
}

void catalog_contest_changed(struct catalog *cat, const json_t *record)
{
    struct contest c;
    contest_from_record(record, &c);
    struct cgal *g = cat_gal_find(cat, c.id);
    if (g) {
        g->contest = c; /* kind and scale are fixed at creation (contests.h) */
        g->gen++; /* no setting a kept page shows changes today (a sealed contest's
                     pages are not kept); this keeps it so if one comes to */
    }
}

void catalog_touch(struct dmem *d)
{
    d->version++;
    d->gal->gen++;
}

void catalog_touch_tally(struct dmem *d)
{
    d->tversion++;
    d->gal->gen++;
}

uint64_t catalog_gallery_gen(const struct cgal *g)
{
    return g->gen;
}

size_t catalog_gallery_order(const struct cgal *g, enum sort s, uint64_t *version)
{
    *version = rank_version(g->rank[s]);
    return rank_count(g->rank[s]);
}

void cat_facts_from_json(const json_t *record, struct facts *f)
{
    memset(f, 0, sizeof *f);
    f->id = design_parse_id(json_string_value(json_object_get(record, "id")));
    const char *contest = json_string_value(json_object_get(record, "contest"));
    snprintf(f->contest, sizeof f->contest, "%s", contest ? contest : "");
    f->created = json_integer_value(json_object_get(record, "created"));
    f->creator = design_parse_id(json_string_value(json_object_get(record, "creator")));
    const char *st = json_string_value(json_object_get(record, "status"));
    f->status = st ? status_parse(st) : -1;
    f->hidden = json_is_true(json_object_get(record, "hidden"));
    f->suspended = json_is_true(json_object_get(record, "suspended"));
    const char *kind = json_string_value(json_object_get(record, "kind"));
    f->kind = kind ? catalog_kind_number(kind) : 0;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(record, "tags"), i, t)
    {
        if (f->ntags < DESIGN_TAGS_MAX && json_is_string(t))
            snprintf(f->tags[f->ntags++], sizeof f->tags[0], "%s", json_string_value(t));
    }
}

static void *arena_alloc(struct catalog *cat, size_t size)
{
    size = (size + 7) & ~(size_t)7;
    if (!cat->arena || cat->arena->used + size > CATALOG_ARENA_CHUNK) {
        struct arena_chunk *c = xmalloc(sizeof *c);
        c->next = cat->arena;
        c->used = 0;
        cat->arena = c;
        cat->bytes += sizeof *c;
    }
    void *p = cat->arena->mem + cat->arena->used;
    cat->arena->used += size;
    memset(p, 0, size);
    return p;
}

void cat_reserve_id(struct catalog *cat, uint64_t id)
{
    size_t had = cat->cap_id;
    cat->by_id = xgrow_zeroed(cat->by_id, &cat->cap_id, id, sizeof *cat->by_id, 1024);
    cat->bytes += (cat->cap_id - had) * sizeof *cat->by_id;
}

/* Makes d for the record's facts, not yet indexed; NULL when malformed or known. */
struct dmem *cat_design_new(struct catalog *cat, const struct facts *f)
{
    struct cgal *g = f->contest[0] ? cat_gal_get(cat, f->contest) : NULL;
    if (!f->id || !g) {
        log_error("catalog: design record %llu is malformed or names an unknown contest",
                  (unsigned long long)f->id);
        return NULL;
    }
    uint64_t id = f->id;
    cat_reserve_id(cat, id);
    if (cat->by_id[id])
        return NULL;
    struct dmem *d = arena_alloc(cat, sizeof *d + (size_t)f->ntags * sizeof d->tags[0]);
    d->id = id;
    d->gal = g;
    d->creator = f->creator;
    d->status = (uint8_t)(f->status < 0 ? ST_SUBMITTED : f->status);
    d->hidden = (uint8_t)((f->hidden ? HIDE_BRAND : 0) |
                          (d->status == ST_WITHDRAWN ? HIDE_WITHDRAWN : 0) |
                          (f->suspended ? HIDE_SUSPENDED : 0));
    d->tagcap = (uint8_t)f->ntags & 0xF;
    d->kind = (uint8_t)f->kind & 0xF;
    for (int i = 0; i < f->ntags; i++)
        d->tags[d->ntags++] = cat_tag_id(cat, f->tags[i], 1);
    d->score[SORT_NEW] = (double)f->created;
    if (d->hidden) /* the few the brand (and their creators) still see */
        cat_dvec_push(&g->hidden, d);
    cat->by_id[id] = d;
    cat->designs++;
    return d;
}

void catalog_set_designs_of(struct catalog *cat, catalog_designs_of_fn fn, void *user)
{
    cat->designs_of = fn;
    cat->designs_of_user = user;
}

int catalog_each_design(const struct catalog *cat, int (*fn)(void *user, struct dmem *d),
                        void *user)
{
    for (size_t i = 0; i < cat->cap_id; i++) {
        int rc = cat->by_id[i] ? fn(user, cat->by_id[i]) : 0;
        if (rc)
            return rc;
    }
    return 0;
}

struct dmem *catalog_add(struct catalog *cat, const json_t *record, int *added)
{
    struct facts f;
    cat_facts_from_json(record, &f);
    *added = 0;
    if (f.id && f.id < cat->cap_id && cat->by_id[f.id])
        return cat->by_id[f.id];
    struct dmem *d = cat_design_new(cat, &f);
    if (!d)
        return NULL;
    d->score[SORT_TOP] = cat_score_top(d, cat_contest_mean(d->gal));
    d->score[SORT_HOT] = 0;
    if (!d->hidden)
        index_add(d);
    *added = 1;
    return d;
}

void catalog_tally(const struct dmem *d, struct tally *t)
{
    d->gal->scale->tally(d->c, t);
}

void cat_count_votes(struct dmem *d, int value, int64_t n)
{
    struct cgal *g = d->gal;
    const struct scale *sc = g->scale;
    /* unsigned arithmetic: n < 0 takes away (the counts never go below 0) */
    d->c[sc->counter(value)] += (uint32_t)n;
    if (sc->uses_mean) {
        g->mean_sum += (uint64_t)((int64_t)value * n);
        g->mean_votes += (uint64_t)n;
    }
}

/* Applies a vote change to the counts only (catalog_vote). */
void cat_count_vote(struct dmem *d, int old_value, int new_value)
{
    if (old_value)
        cat_count_votes(d, old_value, -1);
    if (new_value)
        cat_count_votes(d, new_value, 1);
}

void catalog_positions(const struct dmem *d, unsigned sorts, size_t *pos)
{
    for (int s = 0; s < SORT_COUNT; s++)
        pos[s] = (size_t)-1;
    if (d->hidden)
        return;
    for (int s = SORT_TOP; s <= SORT_HOT; s++)
        if (sorts & (1u << s))
            pos[s] = rank_position(d->gal->rank[s], d->score[s], d);
}

size_t catalog_rank(const struct dmem *d)
{
    if (d->hidden)
        return 0;
    size_t pos = rank_position(d->gal->rank[SORT_TOP], d->score[SORT_TOP], d);
    return pos == (size_t)-1 ? 0 : pos + 1;
}

void catalog_vote(struct catalog *cat, struct dmem *d, int old_value, int new_value)
{
    cat_count_vote(d, old_value, new_value);
    rescore(d, clock_now(&cat->clock), d->gal->mean_ranked);
    catalog_touch_tally(d);
}

const struct cgal *catalog_gallery(struct catalog *cat, const char *contest)
{
    return cat_gal_get(cat, contest);
}

const struct cgal *catalog_gallery_of(const struct dmem *d)
{
    return d->gal;
}

int catalog_set_hidden(struct catalog *cat, struct dmem *d, int bit, int on)
{
    uint8_t mask = (uint8_t)(on ? d->hidden | bit : d->hidden & ~bit);
    if (mask == d->hidden)
        return 0;
    int hidden = mask != 0;
    if (!!d->hidden == hidden) {
        d->hidden = mask; /* hidden for one more (or one fewer) reason */
        catalog_touch(d);
        return 0;
    }
    if (hidden) {
        index_remove(d);
        cat_dvec_push(&d->gal->hidden, d);
    } else {
        cat_dvec_remove(&d->gal->hidden, d);
    }
    d->hidden = mask;
    if (!hidden) { /* the rescoring passes skipped it while hidden */
        d->score[SORT_TOP] = cat_score_top(d, d->gal->mean_ranked);
        d->score[SORT_HOT] = cat_hot_score(d, clock_now(&cat->clock));
        index_add(d);
    }
    catalog_touch(d);
    return 1;
}

void catalog_set_tags(struct catalog *cat, struct dmem *d, const char *const *tags, int n)
{
    struct cgal *g = d->gal;
    if (!d->hidden) {
        const uint32_t *old = catalog_tags(d);
        for (int i = 0; i < d->ntags; i++)
            cat_dvec_remove(cat_map_list(&g->by_tag, old[i]), d);
    }
    uint32_t *to = d->tags;
    if (d->tagcap == DMEM_TAGS_MOVED) {
        to = u64map_get(&g->moved_tags, d->id);
    } else if (n > d->tagcap) {
        to = arena_alloc(cat, DESIGN_TAGS_MAX * sizeof *to);
        u64map_put(&g->moved_tags, d->id, to);
        d->tagcap = DMEM_TAGS_MOVED;
    }
    if (n > DESIGN_TAGS_MAX)
        n = DESIGN_TAGS_MAX;
    for (int i = 0; i < n; i++)
        to[i] = cat_tag_id(cat, tags[i], 1);
    d->ntags = (uint8_t)n;
    if (!d->hidden)
        for (int i = 0; i < n; i++)
            cat_dvec_push(cat_map_list(&g->by_tag, to[i]), d);
    catalog_touch(d);
}

void catalog_set_comments(struct dmem *d, uint64_t count)
{
    d->comments = count > UINT32_MAX ? UINT32_MAX : (uint32_t)count;
    catalog_touch(d);
}

int catalog_set_status(struct dmem *d, enum dstatus status)
{
    if (d->status == status)
        return 0;
    if (!d->hidden && d->status != ST_SUBMITTED)
        cat_dvec_remove(&d->gal->by_status[d->status], d);
    d->status = (uint8_t)status;
    if (!d->hidden && d->status != ST_SUBMITTED)
        cat_dvec_push(&d->gal->by_status[d->status], d);
    catalog_touch(d);
    return 1;
}

/* ---- rescoring ---- */

/* A rescoring pass's walk of a gallery's `hot` order (rank_rekey). */
struct rekey {
    int64_t now;
    double mean;
    int changed; /* any score moved */
};

/* A design's new `hot` score for the walk; its `top` score moved at once (the walk
 * does not read that index). */
static double rekey_hot(void *item, void *user)
{
    struct dmem *d = item;
    struct rekey *k = user;
    double hot = cat_hot_score(d, k->now);
    k->changed |= set_top(d, cat_score_top(d, k->mean), rank_move);
    k->changed |= hot != d->score[SORT_HOT];
    d->score[SORT_HOT] = hot;
    return hot;
}

/* Rescoring runs in slices so that no loop turn pauses for long: each second the
 * timer gives every gallery a pass of up to CATALOG_RESCORE_BATCH designs (round
 * robin over its `hot` order), and an idle handle rescores CATALOG_RESCORE_SLICE of
 * them per loop turn, between the turns' I/O, until the passes are done. A pass not finished
 * when the next tick comes is carried over (capped at the gallery's size), so a
 * loaded loop rescores at its own pace instead of stalling. */
static void on_slice(uv_idle_t *h)
{
    struct catalog *cat = container_of(h, struct catalog, slice);
    int64_t now = clock_now(&cat->clock);
    size_t budget = CATALOG_RESCORE_SLICE;
    int more = 0;
    for (struct cgal *g = cat->gals; g; g = g->next) {
        if (!g->rescore_left)
            continue;
        size_t n = g->rescore_left < budget ? g->rescore_left : budget;
        /* Round robin over the visible designs in `hot` order, re-keyed in place as it
         * walks them (rank_rekey: no search a design; a design the order moves across
         * the walk's place is visited twice or waits for the next pass); hidden ones
         * are rescored when they come back. */
        struct rekey k = {now, g->mean_ranked, 0};
        for (size_t done = 0; done < n;) {
            if (g->rescore_at >= rank_count(g->rank[SORT_HOT]))
                g->rescore_at = 0;
            size_t got = rank_rekey(g->rank[SORT_HOT], g->rescore_at, n - done, rekey_hot, &k);
            if (!got)
                break;
            g->rescore_at += got;
            done += got;
        }
        int changed = k.changed;
        g->rescore_left -= n;
        budget -= n;
        more |= g->rescore_left != 0;
        if (changed && cat->on_rescored)
            cat->on_rescored(cat->on_rescored_user, g);
        if (!budget)
            break;
    }
    if (!more && budget) /* every pass done (a break above may leave some) */
        uv_idle_stop(h);
}

static void on_rescore(uv_timer_t *t)
{
    struct catalog *cat = container_of(t, struct catalog, rescore);
    int any = 0;
    for (struct cgal *g = cat->gals; g; g = g->next) {
        /* The moves of votes no page has read since the last tick (rank.c makes them
         * late): made now, so that a read never waits for more than a second's. */
        rank_settle(g->rank[SORT_TOP]);
        rank_settle(g->rank[SORT_HOT]);
        /* A new mean applies to every design; visit them all over the next passes. */
        g->mean_ranked = cat_contest_mean(g);
        size_t n = g->rescore_left + CATALOG_RESCORE_BATCH;
        size_t all = rank_count(g->rank[SORT_NEW]);
        g->rescore_left = n < all ? n : all;
        any |= g->rescore_left != 0;
    }
    if (any && !uv_is_active((uv_handle_t *)&cat->slice))
        uv_idle_start(&cat->slice, on_slice);
}

void catalog_settle(struct catalog *cat, const char *contest)
{
    struct cgal *g = cat_gal_find(cat, contest);
    if (!g || !g->scale->uses_mean)
        return; /* other scales' top scores never depend on other designs */
    double mean = cat_contest_mean(g);
    if (mean == g->mean_ranked && !g->rescore_left)
        return;
    g->mean_ranked = mean;
    g->rescore_left = 0;
    int64_t now = clock_now(&cat->clock);
    int changed = 0;
    struct dmem *chunk[256]; /* the visible designs; hidden ones are rescored on return */
    size_t got;
    for (size_t pos = 0;
         (got = rank_page(g->rank[SORT_NEW], pos, CC_ARRAY_LEN(chunk), (void **)chunk));
         pos += got)
        for (size_t i = 0; i < got; i++)
            changed |= rescore(chunk[i], now, mean);
    if (changed && cat->on_rescored)
        cat->on_rescored(cat->on_rescored_user, g);
}

int catalog_open(struct catalog **out, uv_loop_t *loop, struct store *st,
                 const struct clock *clock)
{
    struct catalog *cat = xcalloc(1, sizeof *cat);
    *out = cat;
    cat->store = st;
    cat->clock = *clock;
    u64map_init(&cat->tags);
    uv_timer_init(loop, &cat->rescore);
    uv_idle_init(loop, &cat->slice);
    if (!cat_gal_get(cat, CONTEST_OPEN))
        return CC_EINTERNAL;
    int rc = cat_load(cat);
    if (rc)
        return rc;
    uv_timer_start(&cat->rescore, on_rescore, CATALOG_RESCORE_MS, CATALOG_RESCORE_MS);
    return 0;
}

void catalog_on_rescored(struct catalog *cat, catalog_rescored_fn fn, void *user)
{
    cat->on_rescored = fn;
    cat->on_rescored_user = user;
}

void catalog_stop(struct catalog *cat)
{
    if (cat && !uv_is_closing((uv_handle_t *)&cat->rescore) && cat->rescore.loop)
        uv_close((uv_handle_t *)&cat->rescore, NULL);
    if (cat && !uv_is_closing((uv_handle_t *)&cat->slice) && cat->slice.loop)
        uv_close((uv_handle_t *)&cat->slice, NULL);
}

static void free_list_map(struct u64map *m)
{
    void *val;
    for (size_t at = 0; u64map_next(m, &at, NULL, &val);) {
        struct dvec *v = val;
        free(v->v);
        free(v);
    }
    u64map_free(m);
}

void catalog_close(struct catalog *cat)
{
    if (!cat)
        return;
    struct cgal *g = cat->gals;
    while (g) {
        struct cgal *next = g->next;
        for (int s = 0; s < SORT_COUNT; s++)
            rank_free(g->rank[s]);
        free(g->hidden.v);
        free_list_map(&g->by_tag);
        u64map_free(&g->moved_tags);
        for (int s = 0; s < ST_COUNT; s++)
            free(g->by_status[s].v);
        free(g);
        g = next;
    }
    while (cat->arena) {
        struct arena_chunk *next = cat->arena->next;
        free(cat->arena);
        cat->arena = next;
    }
    free(cat->by_id);
    void *val;
    for (size_t at = 0; u64map_next(&cat->tags, &at, NULL, &val);) {
        struct tag_name *t = val;
        while (t) {
            struct tag_name *next = t->next;
            free(t);
            t = next;
        }
    }
    u64map_free(&cat->tags);
    free(cat);
}

void catalog_memory(const struct catalog *cat, size_t *bytes, size_t *designs)
{
    size_t b = cat->cap_id * sizeof *cat->by_id;
    for (struct arena_chunk *c = cat->arena; c; c = c->next)
        b += sizeof *c;
    for (struct cgal *g = cat->gals; g; g = g->next) {
        for (int s = 0; s < SORT_COUNT; s++)
            b += rank_memory(g->rank[s]);
        b += u64map_memory(&g->by_tag);
        for (int s = 0; s < ST_COUNT; s++)
            b += g->by_status[s].cap * sizeof(void *);
    }
    *bytes = b;
    *designs = cat->designs;
}
