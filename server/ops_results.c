/* Op `contest.results` (SPEC §4, §6): a contest's `top` ranking of visible designs
 * with tallies, and the audit log's head, as one consistent snapshot. The snapshot is
 * sequenced through the writer like a write (its apply only reads the head): its done
 * callback runs after the done callbacks of every write applied before it and before
 * any later one, so the catalog's tallies then reflect exactly the log's first
 * `log_length` entries (snapshot.c). The production export (export.c) takes the same
 * snapshot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "catalog.h"
#include "ccerr.h"
#include "contests.h"
#include "designs.h"
#include "ops.h"
#include "req.h"
#include "snapshot.h"
#include "server.h"
#include "util.h"

json_t *results_item(MDB_txn *txn, struct server *srv, const struct dmem *d, size_t rank)
{
    json_t *rec = NULL;
    if (design_load(txn, srv->store, d->id, &rec))
        return NULL;
    struct tally t;
    catalog_tally(d, &t);
    char id[24];
    snprintf(id, sizeof id, "%llu", (unsigned long long)d->id);
    json_t *o = json_pack("{sssOsOsOsssosfso}", "design", id, "title",
                          json_object_get(rec, "title"), "creator",
                          json_object_get(rec, "creator"), "creator_name",
                          json_object_get(rec, "creator_name"), "status",
                          status_name((enum dstatus)d->status), "tally",
                          tally_json(&t, catalog_scale(d)), "score", d->score[SORT_TOP],
                          "rank", rank ? json_integer((json_int_t)rank) : json_null());
    if (d->hidden) /* only the brand and its creator are shown it */
        json_object_set_new(o, "hidden", json_true());
    json_decref(rec);
    return o;
}

struct results_ctx {
    struct req *r;
    size_t offset, limit;
};

static void results_done(void *user, int status, const struct audit_head *head)
{
    struct results_ctx *c = user;
    struct req *r = c->r;
    struct server *srv = req_server(r);
    size_t offset = c->offset, limit = c->limit;
    r->ctx = NULL;
    free(c);
    if (status) {
        req_fail(r, status, NULL, NULL);
        return;
    }
    struct jflat_field tmp;
    const char *id = req_arg(r, "contest", &tmp)->s; /* checked by op_contest_results */
    MDB_txn *txn;
    json_t *rec = NULL;
    int rc = store_read_begin(srv->store, &txn);
    if (rc) {
        req_fail(r, rc, NULL, NULL);
        return;
    }
    if ((rc = contest_record(txn, srv->store, id, &rec))) {
        store_read_end(srv->store, txn);
        req_fail(r, rc, rc == CC_ENOTFOUND ? "no such contest" : NULL,
                 rc == CC_ENOTFOUND ? json_pack("{ss}", "field", "contest") : NULL);
        return;
    }
    /* The ranked index answers pages of CATALOG_PAGE_MAX; walk them. */
    struct gallery_query q;
    memset(&q, 0, sizeof q);
    snprintf(q.contest, sizeof q.contest, "%s", id);
    q.sort = SORT_TOP;
    q.status = -1;
    q.limit = CATALOG_PAGE_MAX;
    /* Hidden designs vanish from the results for everyone but the brand (all of them)
     * and their creator (their own), who see them in their places, unranked. */
    if (r->sess->role == ROLE_BRAND)
        q.hidden_of = CATALOG_HIDDEN_ALL;
    else if (r->sess->account)
        q.hidden_of = r->sess->account;
    json_t *ranking = json_array();
    size_t total = 0;
    /* SPEC §8: a contest that hides its tallies ranks for the brand alone until its
     * voting closed; the log's head is in the reply throughout */
    const struct cgal *g = catalog_gallery(srv->catalog, id);
    int sealed = r->sess->role != ROLE_BRAND && g && contest_sealed(catalog_gallery_contest(g));
    for (q.offset = offset; !sealed && q.offset < offset + limit && !rc;) {
        struct dmem *page[CATALOG_PAGE_MAX];
        if (offset + limit - q.offset < q.limit)
            q.limit = offset + limit - q.offset;
        int n = catalog_page(srv->catalog, &q, page, &total);
        if (n < 0) {
            rc = n;
            break;
        }
        for (int i = 0; i < n && !rc; i++) {
            json_t *item = results_item(txn, srv, page[i], catalog_rank(page[i]));
            if (!item)
                rc = CC_EINTERNAL;
            else
                json_array_append_new(ranking, item);
        }
        if ((size_t)n < q.limit)
            break;
        q.offset += (size_t)n;
    }
    store_read_end(srv->store, txn);
    if (rc) {
        json_decref(rec);
        json_decref(ranking);
        req_fail(r, rc, NULL, NULL);
        return;
    }
    json_t *contest = contest_json(rec, server_now(srv));
    json_decref(rec);
    int final = !strcmp(json_string_value(json_object_get(contest, "phase")), "closed");
    char hex[65];
    hex_encode(head->hash, 32, hex);
    json_t *reply = json_pack("{sosbsIsIsIsosssI}", "contest", contest, "final", final,
                              "total", (json_int_t)total, "offset", (json_int_t)offset,
                              "limit", (json_int_t)limit, "ranking", ranking, "log_head", hex,
                              "log_length", (json_int_t)head->length);
    if (sealed)
        json_object_set_new(reply, "tallies_hidden", json_true());
    req_ok(r, reply);
}

void op_contest_results(struct req *r)
{
    struct jargs_err e;
    const char *id;
    json_int_t offset = 0, limit = RESULTS_LIMIT_MAX;
    if (req_str(r, "contest", JARGS_REQUIRED, 1, CONTEST_ID_MAX, &id, &e) ||
        req_int(r, "offset", JARGS_OPTIONAL, 0, INT32_MAX, &offset, &e) < 0 ||
        req_int(r, "limit", JARGS_OPTIONAL, 1, RESULTS_LIMIT_MAX, &limit, &e) < 0) {
        req_fail_args(r, &e);
        return;
    }
    struct server *srv = req_server(r);
    if (!catalog_gallery(srv->catalog, id)) {
        req_fail(r, CC_ENOTFOUND, "no such contest", json_pack("{ss}", "field", "contest"));
        return;
    }
    struct results_ctx *c = xcalloc(1, sizeof *c);
    c->r = r;
    c->offset = (size_t)offset;
    c->limit = (size_t)limit;
    r->ctx = c;
    int rc = snapshot_take(srv, id, results_done, c);
    if (rc) {
        r->ctx = NULL;
        free(c);
        req_fail(r, rc, NULL, NULL);
    }
}
