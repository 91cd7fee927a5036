/* Op `design.get` (SPEC §4): the design object with tally, status timeline, comment
 * count and the viewer's own vote. Hidden designs exist only for their creator and the brand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "ccerr.h"
#include "contests.h"
#include "design_view.h"
#include "designs.h"
#include "live.h"
#include "ops.h"
#include "req.h"
#include "reports.h"
#include "search.h"
#include "server.h"
#include "util.h"
#include "votes.h"

struct dmem *design_arg(struct req *r)
{
    struct jargs_err e;
    const char *id;
    if (req_str(r, "design", JARGS_REQUIRED, 1, 32, &id, &e)) {
        req_fail_args(r, &e);
        return NULL;
    }
    struct dmem *d = catalog_design(req_server(r)->catalog, design_parse_id(id));
    if (!d || !dmem_visible(d, r->sess)) {
        req_fail(r, CC_ENOTFOUND, "no such design", json_pack("{ss}", "field", "design"));
        return NULL;
    }
    return d;
}

/* Appends ,"my_vote":V (the viewer's vote on design id, null when none) for a
 * logged-in viewer: a client shows the viewer's own vote from it (docs/protocol.md). */
static int append_my_vote(struct server *srv, MDB_txn *txn, uint64_t design, uint64_t viewer,
                          struct ccbuf *b)
{
    if (!viewer)
        return 0;
    int value;
    int rc = votes_lookup(srv->view.seen, txn, srv->store, design, viewer, &value);
    if (rc)
        return rc;
    char text[32];
    int n = !value ? snprintf(text, sizeof text, ",\"my_vote\":null")
                   : snprintf(text, sizeof text, ",\"my_vote\":%d", value);
    ccbuf_append(b, text, (size_t)n);
    return 0;
}

void design_reply(struct req *r, struct dmem *d)
{
    struct server *srv = req_server(r);
    MDB_txn *txn;
    struct ccbuf b;
    ccbuf_init(&b);
    int rc = store_read_begin(srv->store, &txn);
    if (!rc) {
        ccbuf_append(&b, "{\"design\":", 10);
        rc = design_item_json(&srv->view, txn, d, r->sess, &b);
        if (!rc) {
            /* The timeline joins the design object (which has the comment count). */
            design_timeline_splice(txn, srv->store, d->id, &b);
            b.len--;
            rc = append_my_vote(srv, txn, d->id, r->sess->account, &b);
            if (r->sess->role == ROLE_BRAND) /* SPEC §8: look-alikes, for the brand */
                search_similar_json(srv->search, d, &b);
            ccbuf_append(&b, "}}", 2);
        }
        store_read_end(srv->store, txn);
    }
    if (rc)
        req_fail(r, CC_EINTERNAL, NULL, NULL);
    else
        req_ok_raw(r, (const char *)b.data, b.len);
    ccbuf_free(&b);
}

void op_design_get(struct req *r)
{
    struct dmem *d = design_arg(r);
    if (d)
        design_reply(r, d);
}

void op_design_watch(struct req *r)
{
    struct dmem *d = design_arg(r);
    if (!d)
        return;
    int rc = live_watch(req_server(r)->live, r->sess, d);
    if (rc) {
        req_fail(r, rc, "too many subscriptions on this connection",
                 json_pack("{si}", "limit", LIVE_SUBS_PER_CONN));
        return;
    }
    design_reply(r, d);
}

void op_design_unwatch(struct req *r)
{
    struct jargs_err e;
    const char *id;
    if (req_str(r, "design", JARGS_REQUIRED, 1, 32, &id, &e)) {
        req_fail_args(r, &e);
        return;
    }
    if (live_unwatch(req_server(r)->live, r->sess, design_parse_id(id)))
        req_fail(r, CC_ENOTFOUND, "this connection does not watch that design",
                 json_pack("{ss}", "field", "design"));
    else
        req_ok(r, NULL);
}
