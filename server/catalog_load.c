/* The catalog's start-up: every design record read with a scanner of the fields it
 * keeps (jscan.h; jansson only for records that need it), the votes' tallies, the comment
 * counts read, and every ranked index built by sorting. Called on the loop thread,
 * before the network listens; the reading and the index build are shared with
 * helper threads (cat_load_threads), each on a part of its own, joined before
 * cat_load returns. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "catalog_int.h"
#include "ccerr.h"
#include "comments.h"
#include "designs.h"
#include "jscan.h"
#include "log.h"
#include "radix.h"
#include "rank.h"
#include "store.h"
#include "votes.h"

static uint64_t parse_id_n(const char *s, size_t n)
{
    char buf[24];
    return jscan_copy(buf, sizeof buf, s, n) ? design_parse_id(buf) : 0;
}

/* One member of a design record into f (jscan_members). */
static int facts_field(struct jscan *sc, const char *k, size_t kn, void *user)
{
    struct facts *f = user;
    const char *v;
    size_t vn;
#define KEY(lit) JSCAN_KEY(k, kn, lit)
    if (KEY("id") || KEY("creator")) {
        if (!jscan_plain_string(sc, &v, &vn))
            return 0;
        *(KEY("id") ? &f->id : &f->creator) = parse_id_n(v, vn);
    } else if (KEY("contest")) {
        return jscan_plain_string(sc, &v, &vn) &&
               jscan_copy(f->contest, sizeof f->contest, v, vn);
    } else if (KEY("kind")) {
        char kind[24];
        if (!jscan_plain_string(sc, &v, &vn) || !jscan_copy(kind, sizeof kind, v, vn))
            return 0;
        f->kind = catalog_kind_number(kind);
    } else if (KEY("status")) {
        char st[24];
        if (!jscan_plain_string(sc, &v, &vn) || !jscan_copy(st, sizeof st, v, vn))
            return 0;
        f->status = status_parse(st);
    } else if (KEY("created")) {
        return jscan_int(sc, &f->created);
    } else if (KEY("hidden") || KEY("suspended")) {
        *(KEY("hidden") ? &f->hidden : &f->suspended) =
            sc->end - sc->p >= 4 && !memcmp(sc->p, "true", 4);
        return jscan_skip(sc);
    } else if (KEY("tags")) {
        if (!jscan_char(sc, '['))
            return 0;
        if (jscan_char(sc, ']'))
            return 1;
        do {
            if (!jscan_plain_string(sc, &v, &vn))
                return 0;
            if (f->ntags < DESIGN_TAGS_MAX &&
                !jscan_copy(f->tags[f->ntags++], sizeof f->tags[0], v, vn))
                return 0;
        } while (jscan_char(sc, ','));
        return jscan_char(sc, ']');
    } else {
        return jscan_skip(sc);
    }
#undef KEY
    return 1;
}

/* Fills f from a record's bytes (jscan.h). Returns 1, or 0 to fall back to jansson. */
static int facts_scan(const char *data, size_t len, struct facts *f)
{
    memset(f, 0, sizeof *f);
    f->status = -1;
    return jscan_members(data, len, facts_field, f);
}

/* ---- reading, in parts ---- */

int cat_load_threads = CATALOG_LOAD_THREADS;

/* Design ids up to this are split into parts (the id table could not hold more). */
#define PART_ID_MAX (UINT64_MAX >> 2)

/* cat_load_threads, within 1 … CATALOG_LOAD_THREADS_MAX. */
static size_t load_threads(void)
{
    if (cat_load_threads < 1)
        return 1;
    return cat_load_threads > CATALOG_LOAD_THREADS_MAX ? CATALOG_LOAD_THREADS_MAX
                                                       : (size_t)cat_load_threads;
}

/* One thread's share of the reading: the design records under the keys [from, to) and
 * the tallies of their votes, into its own catalog: the catalog itself for the first
 * part, a shadow of it (merge_part) for the others. A part writes only its designs (the id
 * table's slots lo..hi-1, shared but presized), its catalog's arena, galleries and
 * tags: the parts share nothing else and need no lock. */
struct part {
    struct catalog *cat;
    uint64_t lo, hi;        /* the ids its designs may have: [lo, hi) */
    uint8_t from[8], to[8]; /* be64 keys; none below the first part nor above the last */
    int first, last;
    uint64_t votes;
    int rc;
};

/* Positions cur on the part's first key; MDB_NOTFOUND when there is none. */
static int part_start(const struct part *p, MDB_cursor *cur, MDB_val *k, MDB_val *v)
{
    if (p->first)
        return mdb_cursor_get(cur, k, v, MDB_FIRST);
    *k = (MDB_val){sizeof p->from, (void *)(uintptr_t)p->from};
    return mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
}

/* Whether key k (in dbi's order) comes after the part's keys. */
static int part_past(const struct part *p, MDB_txn *txn, MDB_dbi dbi, const MDB_val *k)
{
    MDB_val to = {sizeof p->to, (void *)(uintptr_t)p->to};
    return !p->last && mdb_cmp(txn, dbi, k, &to) >= 0;
}

/* Calls fn for each entry of dbi in the part's key range, in order, until fn returns
 * nonzero (returned). */
typedef int (*part_fn)(struct part *p, const MDB_val *k, const MDB_val *v);
static int part_each(struct part *p, MDB_txn *txn, MDB_dbi dbi, part_fn fn)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc)
        return store_err(rc);
    MDB_val k, v;
    int frc = 0;
    for (rc = part_start(p, cur, &k, &v); !rc && !part_past(p, txn, dbi, &k);
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        if ((frc = fn(p, &k, &v)))
            break;
    mdb_cursor_close(cur);
    if (frc)
        return frc;
    return rc && rc != MDB_NOTFOUND ? store_err(rc) : 0;
}

/* One design record into the part's catalog (unindexed). */
static int load_design(struct part *p, const MDB_val *k, const MDB_val *v)
{
    (void)k;
    struct facts f;
    if (!facts_scan(v->mv_data, v->mv_size, &f)) {
        json_error_t e;
        json_t *rec = json_loadb(v->mv_data, v->mv_size, 0, &e);
        if (!rec)
            return CC_EINTERNAL;
        cat_facts_from_json(rec, &f);
        json_decref(rec);
    }
    /* Records are stored under their ids: an id elsewhere would be another part's. */
    if (f.id && (f.id < p->lo || f.id >= p->hi)) {
        log_error("catalog: design record %llu is not stored under its id",
                  (unsigned long long)f.id);
        return CC_EINTERNAL;
    }
    return cat_design_new(p->cat, &f) ? 0 : CC_EINTERNAL;
}

/* One design's tally of its folded votes (votes.h: the log is folded before the catalog
 * loads) into its counts. */
static int load_tally(struct part *p, const MDB_val *k, const MDB_val *v)
{
    struct vote_counts c;
    if (k->mv_size != 8 || votes_tally_decode(v, &c))
        return 0;
    struct dmem *d = catalog_design(p->cat, get_be64(k->mv_data));
    for (int i = 0; i < VOTES_VALUES; i++) {
        /* (a value its scale refused at the vote cannot be stored: the check keeps a
         * hand-made one out of the scale's counters) */
        if (d && c.n[i] && d->gal->scale->valid(votes_value(i)))
            cat_count_votes(d, votes_value(i), c.n[i]);
        p->votes += c.n[i];
    }
    return 0;
}

/* A part's thread (or the loop thread for the first part): its designs, then their
 * tallies, in a read transaction of its own. Nothing writes the store during start-up
 * (the network is not listening yet), so every part reads the same data. */
static void read_part(void *arg)
{
    struct part *p = arg;
    MDB_txn *txn;
    p->rc = store_read_begin(p->cat->store, &txn);
    if (p->rc)
        return;
    const struct store_dbs *db = store_dbs(p->cat->store);
    p->rc = part_each(p, txn, db->designs, load_design);
    if (!p->rc) /* the same key range: tallies are keyed by design id */
        p->rc = part_each(p, txn, db->tallies, load_tally);
    store_read_end(p->cat->store, txn);
}

/* A catalog with nothing but the store, the clock and cat's id table (borrowed), for a
 * part to load into. */
static struct catalog *shadow_new(const struct catalog *cat)
{
    struct catalog *sh = xcalloc(1, sizeof *sh);
    sh->store = cat->store;
    sh->clock = cat->clock;
    u64map_init(&sh->tags);
    sh->by_id = cat->by_id;
    sh->cap_id = cat->cap_id;
    return sh;
}

/* Splits the designs into up to cat_load_threads parts of equal id ranges (ids are
 * given in order, so these hold about as many designs each), presizes the id table
 * for all of them and makes the shadows. Returns the number of parts. */
static size_t plan_parts(struct catalog *cat, struct part *parts)
{
    size_t n = load_threads();
    uint64_t first = 0, last = 0;
    MDB_txn *txn;
    MDB_cursor *cur;
    if (n > 1 && !store_read_begin(cat->store, &txn)) {
        if (!mdb_cursor_open(txn, store_dbs(cat->store)->designs, &cur)) {
            MDB_val k, v;
            if (!mdb_cursor_get(cur, &k, &v, MDB_FIRST) && k.mv_size == 8)
                first = get_be64(k.mv_data);
            if (!mdb_cursor_get(cur, &k, &v, MDB_LAST) && k.mv_size == 8)
                last = get_be64(k.mv_data);
            mdb_cursor_close(cur);
        }
        store_read_end(cat->store, txn);
    }
    /* Too few ids to split, or keys that are not ids: one part. */
    if (!first || last <= first || last >= PART_ID_MAX)
        n = 1;
    else if (last - first + 1 < n)
        n = (size_t)(last - first + 1);
    memset(parts, 0, n * sizeof *parts);
    parts[0] = (struct part){.cat = cat, .lo = 0, .hi = UINT64_MAX, .first = 1, .last = 1};
    if (n == 1)
        return 1;
    cat_reserve_id(cat, last);
    uint64_t width = last - first + 1;
    for (size_t i = 1; i < n; i++) {
        uint64_t lo = first + width / n * i + (i < width % n ? i : width % n);
        parts[i - 1].hi = lo;
        parts[i - 1].last = 0;
        put_be64(parts[i - 1].to, lo);
        parts[i] = (struct part){.cat = shadow_new(cat), .lo = lo, .hi = cat->cap_id,
                                 .last = 1};
        put_be64(parts[i].from, lo);
    }
    return n;
}

/* Folds part p's shadow into cat, after the parts before it: its tags are interned
 * and its galleries made in the order they first appeared in p (which comes after
 * every part before it in id order), so tag ids and the gallery list are what one
 * thread reading every record in order makes; a gallery cat has already takes the
 * shadow's hidden designs (after its own, as in id order) and vote sums. Then the
 * shadow's designs are re-pointed, its arena joins cat's and the rest is freed. */
static void merge_part(struct catalog *cat, const struct part *p)
{
    struct catalog *sh = p->cat;
    uint32_t *tag_to = xcalloc(sh->next_tag + 1, sizeof *tag_to);
    const char **names = xcalloc(sh->next_tag + 1, sizeof *names);
    void *val;
    for (size_t at = 0; u64map_next(&sh->tags, &at, NULL, &val);)
        for (const struct tag_name *t = val; t; t = t->next)
            names[t->id] = t->name;
    for (uint32_t t = 1; t <= sh->next_tag; t++)
        tag_to[t] = cat_tag_id(cat, names[t], 1);

    size_t ng = 0;
    for (struct cgal *g = sh->gals; g; g = g->next)
        ng++;
    struct cgal **order = xmalloc((ng ? ng : 1) * sizeof *order);
    size_t i = ng;
    for (struct cgal *g = sh->gals; g; g = g->next)
        order[--i] = g;
    struct u64map gal_to; /* shadow gallery → cat's */
    u64map_init(&gal_to);
    sh->gals = NULL; /* now only those folded into cat's, freed with the shadow */
    for (i = 0; i < ng; i++) {
        struct cgal *sg = order[i], *g = cat_gal_find(cat, sg->id);
        if (!g) {
            g = sg;
            sg->next = cat->gals;
            cat->gals = sg;
        } else {
            for (size_t k = 0; k < sg->hidden.n; k++)
                cat_dvec_push(&g->hidden, sg->hidden.v[k]);
            g->mean_sum += sg->mean_sum;
            g->mean_votes += sg->mean_votes;
            sg->next = sh->gals;
            sh->gals = sg;
        }
        u64map_put(&gal_to, (uint64_t)(uintptr_t)sg, g);
    }

    struct cgal *from = NULL, *to = NULL;
    for (uint64_t id = p->lo; id < p->hi && id < cat->cap_id; id++) {
        struct dmem *d = cat->by_id[id];
        if (!d)
            continue;
        if (d->gal != from) {
            from = d->gal;
            to = u64map_get(&gal_to, (uint64_t)(uintptr_t)from);
        }
        d->gal = to;
        for (int t = 0; t < d->ntags; t++)
            d->tags[t] = tag_to[d->tags[t]];
    }

    if (sh->arena) { /* cat's current chunk stays first: later designs go there */
        struct arena_chunk *tail = sh->arena;
        while (tail->next)
            tail = tail->next;
        if (cat->arena) {
            tail->next = cat->arena->next;
            cat->arena->next = sh->arena;
        } else {
            cat->arena = sh->arena;
        }
        sh->arena = NULL;
    }
    cat->bytes += sh->bytes;
    cat->designs += sh->designs;
    sh->by_id = NULL; /* cat's */
    catalog_close(sh);
    u64map_free(&gal_to);
    free(order);
    free(names);
    free(tag_to);
}

/* Reads the designs and their votes in parts, one thread each, and folds them into
 * cat in order. Returns 0, or the first part's error (every part is folded even then,
 * so that catalog_close frees all). */
static int read_parts(struct catalog *cat, uint64_t *votes)
{
    struct part parts[CATALOG_LOAD_THREADS_MAX];
    uv_thread_t threads[CATALOG_LOAD_THREADS_MAX];
    int started[CATALOG_LOAD_THREADS_MAX] = {0};
    size_t n = plan_parts(cat, parts);
    for (size_t i = 1; i < n; i++)
        started[i] = !uv_thread_create(&threads[i], read_part, &parts[i]);
    read_part(&parts[0]);
    for (size_t i = 1; i < n; i++) {
        if (started[i])
            uv_thread_join(&threads[i]);
        else
            read_part(&parts[i]); /* no thread: read it here */
    }
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (i)
            merge_part(cat, &parts[i]);
        if (!rc)
            rc = parts[i].rc;
        *votes += parts[i].votes;
    }
    return rc;
}

/* ---- the indexes, built in jobs ---- */

/* One gallery's visible designs, in id order and in the tie order of every ranked
 * index (cat_tie: older first, then smaller id; often the same array). */
struct galjob {
    struct cgal *g;
    struct dmem **by_id, **by_tie;
    size_t n;
};

/* A gallery's jobs: its three ranked indexes and its filter lists. Each job writes
 * only its own index (or the gallery's lists) and reads designs no job writes. */
enum { JOB_TOP, JOB_HOT, JOB_NEW, JOB_LISTS, JOB_KINDS };

struct build {
    uv_mutex_t lock;
    struct galjob *gals; /* largest first */
    size_t njobs, next;  /* job j: gallery j / JOB_KINDS, kind j % JOB_KINDS */
};

/* One building thread: the shared jobs and its own sort buffers (room for the largest
 * gallery). */
struct builder {
    struct build *b;
    struct radix_item *a, *tmp;
};

/* Builds ranked index s of gj's gallery: every design under its key, sorted stably
 * from tie order, then appended (rank_append: O(1) each, sequential memory). */
static void build_rank(struct builder *w, const struct galjob *gj, int s)
{
    size_t n = gj->n;
    if (!n)
        return;
    for (size_t i = 0; i < n; i++) /* higher scores first */
        w->a[i] = (struct radix_item){~radix_key_double(gj->by_tie[i]->score[s]), gj->by_tie[i]};
    const struct radix_item *k = radix_sort(w->a, w->tmp, n);
    struct rank *r = gj->g->rank[s];
    for (size_t i = 0; i < n; i++) {
        struct dmem *d = k[i].item;
        if (i + 8 < n) /* rank_append reads the design's key: a cache miss in key order */
            __builtin_prefetch(k[i + 8].item);
        if (rank_append(r, d))
            rank_insert(r, d->score[s], d);
    }
}

static void build_jobs(void *arg)
{
    struct builder *w = arg;
    struct build *b = w->b;
    for (;;) {
        uv_mutex_lock(&b->lock);
        size_t j = b->next < b->njobs ? b->next++ : b->njobs;
        uv_mutex_unlock(&b->lock);
        if (j == b->njobs)
            return;
        const struct galjob *gj = &b->gals[j / JOB_KINDS];
        switch (j % JOB_KINDS) {
        case JOB_TOP: build_rank(w, gj, SORT_TOP); break;
        case JOB_HOT: build_rank(w, gj, SORT_HOT); break;
        case JOB_NEW: build_rank(w, gj, SORT_NEW); break;
        default:
            for (size_t i = 0; i < gj->n; i++)
                cat_index_add_lists(gj->by_id[i]);
        }
    }
}

static int cmp_galjob_size(const void *a, const void *b)
{
    const struct galjob *x = a, *y = b;
    return x->n != y->n ? (x->n > y->n ? -1 : 1) : 0;
}

/* Puts every gallery's visible designs in id order, and in tie order (a stable sort
 * by creation time, when ids are not already in that order). Returns the galleries'
 * jobs, *ng of them, largest first. */
static struct galjob *gather(struct catalog *cat, size_t *ng)
{
    size_t n = 0;
    for (struct cgal *g = cat->gals; g; g = g->next)
        n++;
    struct galjob *gals = xcalloc(n ? n : 1, sizeof *gals);
    struct u64map of; /* gallery → its galjob */
    u64map_init(&of);
    n = 0;
    for (struct cgal *g = cat->gals; g; g = g->next) {
        gals[n].g = g;
        u64map_put(&of, (uint64_t)(uintptr_t)g, &gals[n++]);
    }
    for (int pass = 0; pass < 2; pass++) { /* count, then fill */
        struct cgal *last = NULL;
        struct galjob *gj = NULL;
        for (size_t i = 0; i < cat->cap_id; i++) {
            struct dmem *d = cat->by_id[i];
            if (!d || d->hidden)
                continue;
            if (d->gal != last) {
                last = d->gal;
                gj = u64map_get(&of, (uint64_t)(uintptr_t)last);
            }
            if (pass)
                gj->by_id[gj->n] = d;
            gj->n++;
        }
        for (size_t k = 0; !pass && k < n; k++) {
            gals[k].by_id = radix_scratch(gals[k].n * sizeof *gals[k].by_id);
            gals[k].n = 0;
        }
    }
    u64map_free(&of);
    for (size_t k = 0; k < n; k++) {
        struct galjob *gj = &gals[k];
        gj->by_tie = gj->by_id;
        size_t i = 1;
        while (i < gj->n && catalog_created(gj->by_id[i - 1]) <= catalog_created(gj->by_id[i]))
            i++;
        if (i >= gj->n)
            continue; /* ids are in creation order */
        struct radix_item *a = radix_scratch(gj->n * sizeof *a);
        struct radix_item *tmp = radix_scratch(gj->n * sizeof *tmp);
        for (i = 0; i < gj->n; i++)
            a[i] = (struct radix_item){radix_key_i64(catalog_created(gj->by_id[i])), gj->by_id[i]};
        const struct radix_item *k2 = radix_sort(a, tmp, gj->n);
        gj->by_tie = radix_scratch(gj->n * sizeof *gj->by_tie);
        for (i = 0; i < gj->n; i++)
            gj->by_tie[i] = k2[i].item;
        radix_scratch_free(tmp, gj->n * sizeof *tmp);
        radix_scratch_free(a, gj->n * sizeof *a);
    }
    qsort(gals, n, sizeof *gals, cmp_galjob_size);
    *ng = n;
    return gals;
}

/* Start-up: every visible design into its gallery's indexes, each ranked index built
 * by sorting and appending instead of n inserts at random places; the jobs shared by
 * up to cat_load_threads threads. */
static void build_indexes(struct catalog *cat)
{
    size_t threads = load_threads();
    size_t ng;
    struct galjob *gals = gather(cat, &ng);
    size_t busy = 0; /* galleries with visible designs: the others have nothing to build */
    while (busy < ng && gals[busy].n)
        busy++;
    struct build b = {.gals = gals, .njobs = busy * JOB_KINDS};
    size_t room = busy ? gals[0].n : 1;
    if (threads > b.njobs)
        threads = b.njobs ? b.njobs : 1;
    struct builder w[CATALOG_LOAD_THREADS_MAX];
    uv_thread_t t[CATALOG_LOAD_THREADS_MAX];
    int started[CATALOG_LOAD_THREADS_MAX] = {0};
    uv_mutex_init(&b.lock);
    for (size_t i = 0; i < threads; i++) {
        w[i] = (struct builder){&b, radix_scratch(room * sizeof *w[i].a),
                                radix_scratch(room * sizeof *w[i].tmp)};
        started[i] = i && !uv_thread_create(&t[i], build_jobs, &w[i]);
    }
    build_jobs(&w[0]);
    for (size_t i = 1; i < threads; i++)
        if (started[i])
            uv_thread_join(&t[i]);
    uv_mutex_destroy(&b.lock);
    for (size_t i = 0; i < threads; i++) {
        radix_scratch_free(w[i].a, room * sizeof *w[i].a);
        radix_scratch_free(w[i].tmp, room * sizeof *w[i].tmp);
    }
    for (size_t k = 0; k < ng; k++) {
        if (gals[k].by_tie != gals[k].by_id)
            radix_scratch_free(gals[k].by_tie, gals[k].n * sizeof *gals[k].by_tie);
        radix_scratch_free(gals[k].by_id, gals[k].n * sizeof *gals[k].by_id);
    }
    free(gals);
}

static void set_count(void *user, uint64_t design, uint64_t count)
{
    struct dmem *d = catalog_design(user, design);
    if (d)
        d->comments = count > UINT32_MAX ? UINT32_MAX : (uint32_t)count;
}

/* Start-up: the designs and votes read in parts on their own threads and folded
 * together, the comment counts, then every design scored once and indexed with its
 * final keys. */
int cat_load(struct catalog *cat)
{
    uint64_t t0 = now_ms_monotonic(), votes = 0;
    int rc = read_parts(cat, &votes);
    uint64_t t1 = now_ms_monotonic();
    MDB_txn *txn;
    if (!rc)
        rc = store_read_begin(cat->store, &txn);
    if (!rc) {
        rc = comment_counts(txn, cat->store, set_count, cat);
        store_read_end(cat->store, txn);
    }
    if (rc)
        return rc;
    /* Every tally is counted: score each design once and index it with its final keys
     * (designs were loaded unindexed). */
    int64_t now = clock_now(&cat->clock);
    for (struct cgal *g = cat->gals; g; g = g->next)
        g->mean_ranked = cat_contest_mean(g);
    for (size_t i = 0; i < cat->cap_id; i++) {
        struct dmem *d = cat->by_id[i];
        if (!d)
            continue;
        d->score[SORT_TOP] = cat_score_top(d, d->gal->mean_ranked);
        d->score[SORT_HOT] = cat_hot_score(d, now);
    }
    uint64_t t2 = now_ms_monotonic();
    build_indexes(cat);
    uint64_t t3 = now_ms_monotonic();
    log_info("catalog: %zu designs and %llu votes loaded in %llu ms (read %llu, score %llu, "
             "index %llu ms; threads: %zu)",
             cat->designs, (unsigned long long)votes, (unsigned long long)(t3 - t0),
             (unsigned long long)(t1 - t0), (unsigned long long)(t2 - t1),
             (unsigned long long)(t3 - t2), load_threads());
    return 0;
}
