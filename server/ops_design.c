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

struct dmem *find_design(struct req *r)
{
    struct jargs_err e;
    const char *id;
    if (jargs_string(r->msg, "design", JARGS_REQUIRED, 1, 32, &id, &e)) {
        req_fail_args(r, &e);
        return NULL;
    }
    struct dmem *d = catalog_design(req_server(r), design_parse_id(id));
    if (!d || (d->hidden && r->sess->role != ROLE_BRAND && d->creator != r->sess->account)) {
        req_fail(r, CC_ENOTFOUND, "no such design", json_pack("{ss}", "field", "design"));
        return NULL;
    }
    return d;
}

/* Replies {design} with the timeline and comment count. */
static void reply_design(struct req *r, struct dmem *d)
{
    struct server *srv = req_server(r);
    MDB_txn *txn;
    struct ccbuf b;
    ccbuf_init(&b);
    int rc = store_read_begin(srv->store, &txn);
    if (!rc) {
        ccbuf_append(&b, "{\"design\":", 10);
        rc = catalog_item_json(srv, txn, d, &b);
        if (!rc) {
            /* The timeline joins the design object (which has the comment count). */
            b.len--;
            json_t *tl = design_timeline(txn, srv->store, d->id);
            char *text = json_dumps(tl, JSON_COMPACT);
            json_decref(tl);
            ccbuf_append(&b, ",\"timeline\":", 12);
            ccbuf_append(&b, text, strlen(text));
            free(text);
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
    struct dmem *d = find_design(r);
    if (d)
        reply_design(r, d);
}

void op_design_watch(struct req *r)
{
    struct dmem *d = find_design(r);
    if (!d)
        return;
    int rc = live_watch(req_server(r), r->sess, d);
    if (rc) {
        req_fail(r, rc, "too many subscriptions on this connection",
                 json_pack("{si}", "limit", LIVE_SUBS_PER_CONN));
        return;
    }
    reply_design(r, d);
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
