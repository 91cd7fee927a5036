/* Reports. See reports.h; the key layout is in docs/architecture.md. */
#include "reports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ccerr.h"
#include "u64map.h"

struct reports {
    struct u64map counts; /* design id → count, stored in the pointer */
};

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
    for (int op = MDB_FIRST; !(rc = mdb_cursor_get(cur, &k, &v, op)); op = MDB_NEXT)
        if (k.mv_size == 16)
            reports_added(rp, get_be64(k.mv_data));
    mdb_cursor_close(cur);
    store_read_end(st, txn);
    return rc == MDB_NOTFOUND ? 0 : store_err(rc);
}

void reports_close(struct reports *rp)
{
    if (!rp)
        return;
    u64map_free(&rp->counts);
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
