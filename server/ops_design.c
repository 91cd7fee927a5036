/* Op `design.get` (SPEC §4): the design object with tally, status timeline and comment
 * count. Hidden designs exist only for their creator and the brand. */
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "ccerr.h"
#include "contests.h"
#include "designs.h"
#include "live.h"
#include "ops.h"
#include "reports.h"
#include "server.h"

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

int design_item_json(struct server *srv, MDB_txn *txn, const struct dmem *d,
                     const struct session *viewer, struct ccbuf *out)
{
    int rc = catalog_item_json(srv, txn, d, out);
    if (!rc && viewer && viewer->role == ROLE_BRAND)
        reports_splice(srv, d->id, out);
    return rc;
}

struct dmem *design_arg(struct req *r)
{
    struct jargs_err e;
    const char *id;
    if (jargs_string(r->msg, "design", JARGS_REQUIRED, 1, 32, &id, &e)) {
        req_fail_args(r, &e);
        return NULL;
    }
    struct dmem *d = catalog_design(req_server(r), design_parse_id(id));
    if (!d || !dmem_visible(d, r->sess)) {
        req_fail(r, CC_ENOTFOUND, "no such design", json_pack("{ss}", "field", "design"));
        return NULL;
    }
    return d;
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
        rc = design_item_json(srv, txn, d, r->sess, &b);
        if (!rc) {
            /* The timeline joins the design object (which has the comment count). */
            design_timeline_splice(txn, srv->store, d->id, &b);
            ccbuf_append(&b, "}", 1);
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
    int rc = live_watch(req_server(r), r->sess, d);
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
    if (jargs_string(r->msg, "design", JARGS_REQUIRED, 1, 32, &id, &e)) {
        req_fail_args(r, &e);
        return;
    }
    if (live_unwatch(req_server(r), r->sess, design_parse_id(id)))
        req_fail(r, CC_ENOTFOUND, "this connection does not watch that design",
                 json_pack("{ss}", "field", "design"));
    else
        req_ok(r, NULL);
}
