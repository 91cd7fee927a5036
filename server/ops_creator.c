/* Ops `creator.get` and `creator.top` (SPEC §2 points, §4): an account with its points,
 * wins, rank and newest designs, and the leaderboard. Both read the creators module
 * (creators.c), which keeps points in memory; creator.top is a page of its ranked index. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "catalog.h"
#include "ccerr.h"
#include "creators.h"
#include "design_view.h"
#include "designs.h"
#include "ops.h"
#include "req.h"
#include "server.h"
#include "util.h"

/* creator.get lists at most this many designs (newest first), plus `designs_total`. */
#define CREATOR_DESIGNS_MAX 100
/* creator.top: limit ≤ 100, default 24 (as a gallery page). */
#define CREATOR_TOP_MAX 100
#define CREATOR_TOP_DEFAULT 24

void op_creator_get(struct req *r)
{
    struct jargs_err e;
    const char *id;
    if (req_str(r, "account", JARGS_REQUIRED, 1, 32, &id, &e)) {
        req_fail_args(r, &e);
        return;
    }
    struct server *srv = req_server(r);
    uint64_t account_id = design_parse_id(id);
    MDB_txn *txn;
    int rc = store_read_begin(srv->store, &txn);
    if (rc) {
        req_fail(r, rc, NULL, NULL);
        return;
    }
    json_t *account = NULL;
    rc = account_id ? account_get(txn, srv->store, account_id, &account) : CC_ENOTFOUND;
    if (rc) {
        store_read_end(srv->store, txn);
        req_fail(r, rc, rc == CC_ENOTFOUND ? "no such account" : NULL,
                 rc == CC_ENOTFOUND ? json_pack("{ss}", "field", "account") : NULL);
        return;
    }
    if (r->sess->role != ROLE_BRAND && r->sess->account != account_id)
        account_public(account); /* the contact: the account's own and the brand's */
    creators_account_json(srv->creators, account, 1);
    char *text = json_dumps(account, JSON_COMPACT);
    json_decref(account);
    struct ccbuf b;
    ccbuf_init(&b);
    ccbuf_append(&b, "{\"account\":", 11);
    ccbuf_append(&b, text, strlen(text) - 1); /* the object, open for designs */
    free(text);
    ccbuf_append(&b, ",\"designs\":[", 12);
    const struct creator *c = creators_get(srv->creators, account_id);
    size_t shown = 0, total = 0;
    for (size_t i = c ? c->n : 0; i-- > 0 && !rc;) {
        struct dmem *d = c->designs[i];
        if (!dmem_visible(d, r->sess))
            continue;
        if (total++ >= CREATOR_DESIGNS_MAX)
            continue;
        if (shown++)
            ccbuf_append(&b, ",", 1);
        rc = design_item_json(&srv->view, txn, d, r->sess, &b);
    }
    store_read_end(srv->store, txn);
    char tail[48];
    int n = snprintf(tail, sizeof tail, "],\"designs_total\":%zu}}", total);
    ccbuf_append(&b, tail, (size_t)n);
    if (rc)
        req_fail(r, CC_EINTERNAL, NULL, NULL);
    else
        req_ok_raw(r, (const char *)b.data, b.len);
    ccbuf_free(&b);
}

void op_creator_top(struct req *r)
{
    struct jargs_err e;
    json_int_t limit = CREATOR_TOP_DEFAULT, offset = 0;
    if (req_int(r, "limit", JARGS_OPTIONAL, 1, CREATOR_TOP_MAX, &limit, &e) < 0 ||
        req_int(r, "offset", JARGS_OPTIONAL, 0, INT32_MAX, &offset, &e) < 0) {
        req_fail_args(r, &e);
        return;
    }
    struct server *srv = req_server(r);
    const struct creator *top[CREATOR_TOP_MAX];
    size_t n = creators_top(srv->creators, (size_t)offset, (size_t)limit, top);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct creator *c = top[i];
        char id[24];
        snprintf(id, sizeof id, "%llu", (unsigned long long)c->id);
        json_array_append_new(arr, json_pack("{sssssssIsIsIsI}", "id", id, "name", c->name, "role",
                                             c->role, "created", (json_int_t)c->created, "points",
                                             (json_int_t)c->points, "wins", (json_int_t)c->wins,
                                             "rank", (json_int_t)((size_t)offset + i + 1)));
    }
    req_ok(r, json_pack("{sosI}", "creators", arr, "total", (json_int_t)creators_count(srv->creators)));
}
