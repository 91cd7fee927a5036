/* How a design looks to a viewer: who may see it (hidden designs: their creator and
 * the brand), its SPEC §2 object as JSON text (the stored record spliced with the live
 * tally, comment count and score, plus `reports` for the brand), the delta a gallery
 * window sends, and a whole window of a query. Below the ops and live.c, http.c,
 * export.c, which all show designs. See design_view.h. Loop thread only. */
#include "design_view.h"

#include <stdio.h>
#include <string.h>

#include "ccerr.h"
#include "contests.h"
#include "designs.h"
#include "reports.h"
#include "store.h"
#include "util.h"

int design_visible(const json_t *record, uint64_t viewer, enum role role)
{
    if (!json_is_true(json_object_get(record, "hidden")))
        return 1;
    if (role == ROLE_BRAND)
        return 1;
    return viewer && design_parse_id(json_string_value(json_object_get(record, "creator"))) ==
                         viewer;
}

int dmem_visible(const struct dmem *d, const struct session *s)
{
    return !d->hidden || s->role == ROLE_BRAND || (s->account && d->creator == s->account);
}

int dmem_sealed(const struct dmem *d)
{
    return contest_sealed(catalog_contest(d));
}

int design_tally_seen(const struct store *st, MDB_txn *txn, const struct dmem *d,
                      const struct session *viewer)
{
    if (!dmem_sealed(d) || (viewer && viewer->role == ROLE_BRAND))
        return 1;
    if (!viewer || !viewer->account)
        return 0;
    if (viewer->account == d->creator)
        return 1;
    uint8_t key[16];
    put_be64(key, d->id);
    put_be64(key + 8, viewer->account);
    MDB_val v;
    return store_get(txn, store_dbs(st)->votes, key, 16, &v) == 0;
}

int design_item_json(const struct design_view *v, MDB_txn *txn, const struct dmem *d,
                     const struct session *viewer, struct ccbuf *out)
{
    int rc = design_json(v->store, txn, d, design_tally_seen(v->store, txn, d, viewer), out);
    if (!rc && viewer && viewer->role == ROLE_BRAND)
        reports_splice(v->reports, d->id, out);
    return rc;
}

/* ---- JSON ---- */

/* Appends x as %.17g would: integral scores (hearts, counts) without printf. */
static void append_score(struct ccbuf *out, double x)
{
    if (x > 0 && x < 1e15 && x == (double)(uint64_t)x) {
        ccbuf_append_u64(out, (uint64_t)x);
        return;
    }
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%.17g", x);
    ccbuf_append(out, tmp, (size_t)n);
}

void design_tally_json(const struct dmem *d, struct ccbuf *out)
{
    struct tally t;
    catalog_tally(d, &t);
    tally_text(&t, catalog_scale(d), out);
}

/* Appends d's live fields: ,"tally":{...},"comments":N,"score":S (tally and score
 * null when tally is 0). */
static void append_live(const struct dmem *d, int tally, struct ccbuf *out)
{
    ccbuf_append_str(out, ",\"tally\":");
    if (tally)
        design_tally_json(d, out);
    else
        ccbuf_append_str(out, "null");
    ccbuf_append_str(out, ",\"comments\":");
    ccbuf_append_u64(out, d->comments);
    ccbuf_append_str(out, ",\"score\":");
    if (tally)
        append_score(out, d->score[SORT_TOP]);
    else
        ccbuf_append_str(out, "null");
}

int design_json(const struct store *st, MDB_txn *txn, const struct dmem *d, int tally,
                struct ccbuf *out)
{
    uint8_t key[8];
    put_be64(key, d->id);
    MDB_val v;
    int rc = store_get(txn, store_dbs(st)->designs, key, 8, &v);
    if (rc)
        return rc;
    /* The stored record is a compact JSON object: splice the live fields before its
     * closing brace. */
    if (v.mv_size < 2 || ((const char *)v.mv_data)[v.mv_size - 1] != '}')
        return CC_EINTERNAL;
    ccbuf_append(out, v.mv_data, v.mv_size - 1);
    append_live(d, tally, out);
    ccbuf_append_str(out, ",\"thumb\":\"/t/");
    ccbuf_append_u64(out, d->id);
    ccbuf_append_str(out, ".png\"}");
    return 0;
}

void design_delta_json(const struct dmem *d, int tally, struct ccbuf *out)
{
    ccbuf_append_str(out, "{\"id\":\"");
    ccbuf_append_u64(out, d->id);
    ccbuf_append_str(out, "\"");
    append_live(d, tally, out);
    ccbuf_append_str(out, ",\"status\":\"");
    ccbuf_append_str(out, status_name((enum dstatus)d->status));
    ccbuf_append_str(out, "\"}");
}

int gallery_window_json(const struct design_view *v, const struct gallery_query *q,
                        const struct session *viewer, struct ccbuf *out, const char *prefix)
{
    struct dmem *items[CATALOG_PAGE_MAX];
    size_t total = 0;
    int n = catalog_page(v->catalog, q, items, &total);
    if (n < 0)
        return n;
    MDB_txn *txn;
    int rc = store_read_begin(v->store, &txn);
    if (rc)
        return rc;
    ccbuf_reserve(out, (size_t)n * 512 + 128); /* one allocation for most pages */
    char head[96];
    int len = snprintf(head, sizeof head, "{%s\"total\":%zu,\"items\":[", prefix, total);
    ccbuf_append(out, head, (size_t)len);
    for (int i = 0; i < n && !rc; i++) {
        if (i)
            ccbuf_append(out, ",", 1);
        rc = design_item_json(v, txn, items[i], viewer, out);
    }
    store_read_end(v->store, txn);
    ccbuf_append(out, "]}", 2);
    return rc;
}
