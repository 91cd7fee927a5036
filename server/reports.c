/* Reports. See reports.h; the key layout is in docs/architecture.md. */
#include "reports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ccerr.h"
#include "designs.h"
#include "u64map.h"

struct reports {
    struct u64map counts;    /* design id → count, stored in the pointer */
    struct u64map dismissed; /* design id → its count when the brand dismissed them */
};

/* The brand's dismissal of a design's reports (review.dismiss) is kept under account 0
 * (no account has id 0): be32 the count it dismissed. */
static int count_report(void *user, uint64_t account, const MDB_val *v)
{
    (void)v;
    *(uint32_t *)user += account != 0; /* account 0: the dismissal mark */
    return 0;
}

int report_dismiss(MDB_txn *txn, const struct store *st, uint64_t design, uint32_t *count)
{
    uint32_t n = 0;
    int rc = store_each_under(txn, store_dbs(st)->reports, design, count_report, &n);
    if (rc)
        return rc;
    uint8_t key[16];
    put_be64(key, design);
    memset(key + 8, 0, 8);
    if (!n) { /* no reports: only look-alikes found at upload can be dismissed */
        json_t *la = design_lookalikes(txn, st, design);
        int flagged = json_array_size(json_object_get(la, "similar")) > 0;
        json_decref(la);
        if (!flagged)
            return CC_ENOTFOUND;
    }
    uint8_t val[4];
    put_be32(val, n);
    *count = n;
    return store_put(txn, store_dbs(st)->reports, key, 16, val, 4, 0);
}

/* dismissed holds count + 1: a dismissal of no reports (look-alikes only) is kept too. */
void reports_dismissed(struct reports *rp, uint64_t design, uint32_t count)
{
    u64map_put(&rp->dismissed, design, (void *)((uintptr_t)count + 1));
}

int reports_is_dismissed(const struct reports *rp, uint64_t design)
{
    return u64map_get(&rp->dismissed, design) != NULL;
}

int report_put(MDB_txn *txn, const struct store *st, uint64_t design, uint64_t account,
               const char *reason, int64_t at)
{
    uint8_t key[16];
    put_be64(key, design);
    put_be64(key + 8, account);
    json_t *o = json_pack("{sssI}", "reason", reason, "at", (json_int_t)at);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    int rc = store_put(txn, store_dbs(st)->reports, key, 16, text, strlen(text), MDB_NOOVERWRITE);
    free(text);
    return rc;
}

struct ranked {
    uint64_t id;
    uintptr_t n;
};

static int by_count(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

void reports_ranked(const struct reports *rp, uint64_t **ids, size_t *n)
{
    const struct u64map *m = &rp->counts;
    struct ranked *r = xmalloc((m->count ? m->count : 1) * sizeof *r);
    size_t k = 0;
    uint64_t id;
    void *n_reports;
    for (size_t at = 0; u64map_next(m, &at, &id, &n_reports);)
        if ((uintptr_t)n_reports + 1 > ((uintptr_t)u64map_get(&rp->dismissed, id) ?: 1))
            r[k++] = (struct ranked){id, (uintptr_t)n_reports};
    qsort(r, k, sizeof *r, by_count);
    *ids = xmalloc((k ? k : 1) * sizeof **ids);
    for (size_t i = 0; i < k; i++)
        (*ids)[i] = r[i].id;
    *n = k;
    free(r);
}

static int add_reason(void *user, uint64_t account, const MDB_val *v)
{
    json_t *o = account ? json_loadb(v->mv_data, v->mv_size, 0, NULL) : NULL;
    if (o) /* (account 0: the dismissal mark) */
        json_array_append_new(user, o);
    return 0;
}

int reports_reasons(MDB_txn *txn, const struct store *st, uint64_t design, size_t max,
                    struct ccbuf *out)
{
    json_t *all = json_array();
    int rc = store_each_under(txn, store_dbs(st)->reports, design, add_reason, all);
    if (rc) {
        json_decref(all);
        return rc;
    }
    /* Oldest first: by the time of each report (the keys are by reporter). */
    size_t n = json_array_size(all);
    json_t **v2 = xmalloc((n ? n : 1) * sizeof *v2);
    for (size_t i = 0; i < n; i++)
        v2[i] = json_array_get(all, i);
    for (size_t i = 1; i < n; i++) /* few: insertion sort */
        for (size_t j = i; j > 0 && json_integer_value(json_object_get(v2[j - 1], "at")) >
                                        json_integer_value(json_object_get(v2[j], "at"));
             j--) {
            json_t *t = v2[j];
            v2[j] = v2[j - 1];
            v2[j - 1] = t;
        }
    json_t *list = json_array();
    for (size_t i = 0; i < n && i < max; i++)
        json_array_append(list, v2[i]);
    free(v2);
    char *text = json_dumps(list, JSON_COMPACT);
    json_decref(list);
    json_decref(all);
    if (!text)
        return CC_EINTERNAL;
    ccbuf_append_str(out, text);
    free(text);
    return 0;
}

void reports_added(struct reports *rp, uint64_t design)
{
    struct u64map *m = &rp->counts;
    uintptr_t n = (uintptr_t)u64map_get(m, design);
    u64map_put(m, design, (void *)(n + 1));
}

int reports_open(struct reports **out, struct store *st)
{
    struct reports *rp = xcalloc(1, sizeof *rp);
    u64map_init(&rp->counts);
    u64map_init(&rp->dismissed);
    *out = rp;
    MDB_txn *txn;
    int rc = store_read_begin(st, &txn);
    if (rc)
        return rc;
    MDB_cursor *cur;
    rc = mdb_cursor_open(txn, store_dbs(st)->reports, &cur);
    if (rc) {
        store_read_end(st, txn);
        return store_err(rc);
    }
    MDB_val k, v;
    for (int op = MDB_FIRST; !(rc = mdb_cursor_get(cur, &k, &v, op)); op = MDB_NEXT) {
        if (k.mv_size != 16)
            continue;
        if (get_be64((const uint8_t *)k.mv_data + 8))
            reports_added(rp, get_be64(k.mv_data));
        else if (v.mv_size == 4)
            reports_dismissed(rp, get_be64(k.mv_data), get_be32(v.mv_data));
    }
    mdb_cursor_close(cur);
    store_read_end(st, txn);
    return rc == MDB_NOTFOUND ? 0 : store_err(rc);
}

void reports_close(struct reports *rp)
{
    if (!rp)
        return;
    u64map_free(&rp->counts);
    u64map_free(&rp->dismissed);
    free(rp);
}

uint32_t reports_count(const struct reports *rp, uint64_t design)
{
    return (uint32_t)(uintptr_t)u64map_get(&rp->counts, design);
}

void reports_splice(const struct reports *rp, uint64_t design, struct ccbuf *out)
{
    if (!out->len || out->data[out->len - 1] != '}')
        return;
    out->len--;
    char tail[40];
    int n = snprintf(tail, sizeof tail, ",\"reports\":%u}", reports_count(rp, design));
    ccbuf_append(out, tail, (size_t)n);
}
