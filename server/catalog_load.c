/* The catalog's start-up: every design record read with a scanner of the fields it
 * keeps (jansson only for records that need it), the votes counted, the comment
 * counts read, and every ranked index built by sorting. Loop thread. */
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "catalog_int.h"
#include "ccerr.h"
#include "comments.h"
#include "designs.h"
#include "log.h"
#include "rank.h"
#include "store.h"

/* A scanner for the catalog's fields of a stored design record (compact JSON written
 * by jansson), without building a JSON tree: at start-up that tree was half of the
 * load time. It walks the top-level object, skipping values it does not need; it
 * returns 0 on anything unusual (an escape in a field it keeps, nesting it does not
 * expect) and the caller parses that record with jansson instead. */
struct scan {
    const char *p, *end;
};

static void scan_ws(struct scan *sc)
{
    while (sc->p < sc->end && (*sc->p == ' ' || *sc->p == '\n' || *sc->p == '\t' ||
                               *sc->p == '\r'))
        sc->p++;
}

static int scan_char(struct scan *sc, char c)
{
    scan_ws(sc);
    if (sc->p < sc->end && *sc->p == c) {
        sc->p++;
        return 1;
    }
    return 0;
}

/* A string without escapes: its bytes in *s, *n. Returns 0 otherwise. */
static int scan_plain_string(struct scan *sc, const char **s, size_t *n)
{
    if (!scan_char(sc, '"'))
        return 0;
    const char *b = sc->p;
    while (sc->p < sc->end && *sc->p != '"') {
        if (*sc->p == '\\')
            return 0;
        sc->p++;
    }
    if (sc->p >= sc->end)
        return 0;
    *s = b;
    *n = (size_t)(sc->p - b);
    sc->p++;
    return 1;
}

/* Skips one value of any kind (strings with escapes, arrays, objects). */
static int scan_skip(struct scan *sc)
{
    scan_ws(sc);
    int depth = 0;
    do {
        if (sc->p >= sc->end)
            return 0;
        char c = *sc->p;
        if (c == '"') {
            for (sc->p++; sc->p < sc->end && *sc->p != '"'; sc->p++)
                if (*sc->p == '\\')
                    sc->p++;
            if (sc->p >= sc->end)
                return 0;
            sc->p++;
        } else if (c == '[' || c == '{') {
            depth++;
            sc->p++;
        } else if (c == ']' || c == '}') {
            if (--depth < 0)
                return 0;
            sc->p++;
        } else if (depth == 0) { /* number, true, false, null */
            while (sc->p < sc->end && *sc->p != ',' && *sc->p != '}' && *sc->p != ']')
                sc->p++;
        } else {
            sc->p++;
        }
        scan_ws(sc);
    } while (depth > 0);
    return 1;
}

static int copy_str(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        return 0;
    memcpy(dst, s, n);
    dst[n] = 0;
    return 1;
}

static uint64_t parse_id_n(const char *s, size_t n)
{
    char buf[24];
    return copy_str(buf, sizeof buf, s, n) ? design_parse_id(buf) : 0;
}

/* Fills f from a record's bytes. Returns 1, or 0 to fall back to jansson. */
static int facts_scan(const char *data, size_t len, struct facts *f)
{
    struct scan sc = {data, data + len};
    memset(f, 0, sizeof *f);
    f->status = -1;
    if (!scan_char(&sc, '{'))
        return 0;
    if (scan_char(&sc, '}'))
        return 1;
    do {
        const char *k, *v;
        size_t kn, vn;
        if (!scan_plain_string(&sc, &k, &kn) || !scan_char(&sc, ':'))
            return 0;
        scan_ws(&sc);
#define KEY(lit) (kn == sizeof lit - 1 && !memcmp(k, lit, kn))
        if (KEY("id") || KEY("creator")) {
            if (!scan_plain_string(&sc, &v, &vn))
                return 0;
            *(KEY("id") ? &f->id : &f->creator) = parse_id_n(v, vn);
        } else if (KEY("contest")) {
            if (!scan_plain_string(&sc, &v, &vn) || !copy_str(f->contest, sizeof f->contest, v, vn))
                return 0;
        } else if (KEY("status")) {
            char st[24];
            if (!scan_plain_string(&sc, &v, &vn) || !copy_str(st, sizeof st, v, vn))
                return 0;
            f->status = status_parse(st);
        } else if (KEY("created")) {
            char num[24];
            const char *b = sc.p;
            while (sc.p < sc.end && (*sc.p == '-' || (*sc.p >= '0' && *sc.p <= '9')))
                sc.p++;
            if (!copy_str(num, sizeof num, b, (size_t)(sc.p - b)) || !num[0])
                return 0;
            f->created = strtoll(num, NULL, 10);
        } else if (KEY("hidden")) {
            f->hidden = sc.end - sc.p >= 4 && !memcmp(sc.p, "true", 4);
            if (!scan_skip(&sc))
                return 0;
        } else if (KEY("tags")) {
            if (!scan_char(&sc, '['))
                return 0;
            if (!scan_char(&sc, ']')) {
                do {
                    if (!scan_plain_string(&sc, &v, &vn))
                        return 0;
                    if (f->ntags < DESIGN_TAGS_MAX &&
                        !copy_str(f->tags[f->ntags++], sizeof f->tags[0], v, vn))
                        return 0;
                } while (scan_char(&sc, ','));
                if (!scan_char(&sc, ']'))
                    return 0;
            }
        } else if (!scan_skip(&sc)) {
            return 0;
        }
#undef KEY
    } while (scan_char(&sc, ','));
    return scan_char(&sc, '}');
}

static int load_designs(struct catalog *cat, MDB_txn *txn)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, store_dbs(cat->store)->designs, &cur);
    if (rc)
        return store_err(rc);
    MDB_val k, v;
    for (int op = MDB_FIRST; !(rc = mdb_cursor_get(cur, &k, &v, op)); op = MDB_NEXT) {
        struct facts f;
        if (!facts_scan(v.mv_data, v.mv_size, &f)) {
            json_error_t e;
            json_t *rec = json_loadb(v.mv_data, v.mv_size, 0, &e);
            if (rec)
                cat_facts_from_json(rec, &f);
            json_decref(rec);
            if (!rec) {
                mdb_cursor_close(cur);
                return CC_EINTERNAL;
            }
        }
        if (!cat_design_new(cat, &f)) {
            mdb_cursor_close(cur);
            return CC_EINTERNAL;
        }
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : store_err(rc);
}

/* votes db: key = be64 design + be64 account, value = one signed byte. */
static int load_votes(struct catalog *cat, MDB_txn *txn, uint64_t *count)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, store_dbs(cat->store)->votes, &cur);
    if (rc)
        return store_err(rc);
    MDB_val k, v;
    struct dmem *d = NULL;
    uint64_t did = 0;
    for (int op = MDB_FIRST; !(rc = mdb_cursor_get(cur, &k, &v, op)); op = MDB_NEXT) {
        if (k.mv_size != 16 || v.mv_size != 1)
            continue;
        uint64_t id = get_be64(k.mv_data);
        if (id != did) {
            did = id;
            d = catalog_design(cat, id);
        }
        if (d)
            cat_count_vote(d, 0, (int8_t)((const uint8_t *)v.mv_data)[0]);
        (*count)++;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : store_err(rc);
}

/* A design with its sort key and cat_tie fields side by side, so sorting reads no dmem. */
struct keyed {
    double key;
    int64_t created;
    uint64_t id;
    struct dmem *d;
};

static int cmp_keyed(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key > y->key ? -1 : 1;
    if (x->created != y->created)
        return x->created < y->created ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Start-up: every visible design into its gallery's indexes, each ranked index built
 * by sorting and appending (rank_append, O(n log n) with sequential memory) instead
 * of n inserts at random places. */
static void build_indexes(struct catalog *cat)
{
    size_t n = 0;
    for (size_t i = 0; i < cat->cap_id; i++)
        n += cat->by_id[i] != NULL;
    struct keyed *k = xmalloc((n ? n : 1) * sizeof *k);
    for (struct cgal *g = cat->gals; g; g = g->next) {
        for (int s = 0; s < SORT_COUNT; s++) {
            size_t m = 0;
            for (size_t i = 0; i < cat->cap_id; i++) {
                struct dmem *d = cat->by_id[i];
                if (d && d->gal == g && !d->hidden)
                    k[m++] = (struct keyed){d->score[s], catalog_created(d), d->id, d};
            }
            qsort(k, m, sizeof *k, cmp_keyed);
            for (size_t i = 0; i < m; i++)
                if (rank_append(g->rank[s], k[i].d))
                    rank_insert(g->rank[s], k[i].key, k[i].d);
        }
        for (size_t i = 0; i < cat->cap_id; i++) {
            struct dmem *d = cat->by_id[i];
            if (d && d->gal == g && !d->hidden)
                cat_index_add_lists(d);
        }
    }
    free(k);
}

static void set_count(void *user, uint64_t design, uint64_t count)
{
    struct dmem *d = catalog_design(user, design);
    if (d)
        d->comments = count > UINT32_MAX ? UINT32_MAX : (uint32_t)count;
}

/* Start-up: the designs, votes and comment counts in one read transaction, then every
 * design scored once and indexed with its final keys. */
int cat_load(struct catalog *cat)
{
    uint64_t t0 = now_ms_monotonic(), votes = 0;
    MDB_txn *txn;
    int rc = store_read_begin(cat->store, &txn);
    if (rc)
        return rc;
    rc = load_designs(cat, txn);
    if (!rc)
        rc = load_votes(cat, txn, &votes);
    if (!rc)
        rc = comment_counts(txn, cat->store, set_count, cat);
    store_read_end(cat->store, txn);
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
    build_indexes(cat);
    log_info("catalog: %zu designs and %llu votes loaded in %llu ms", cat->designs,
             (unsigned long long)votes, (unsigned long long)(now_ms_monotonic() - t0));
    return 0;
}
