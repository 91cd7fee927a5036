/* Op `design.get` (SPEC §4): the design object with tally, status timeline and comment
 * count. Hidden designs exist only for their creator and the brand. */
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "ccerr.h"
#include "contests.h"
#include "designs.h"
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

void op_design_get(struct req *r)
{
    struct jargs_err e;
    const char *id;
    if (jargs_string(r->msg, "design", JARGS_REQUIRED, 1, 32, &id, &e)) {
        req_fail_args(r, &e);
        return;
    }
    struct server *srv = req_server(r);
    struct dmem *d = catalog_design(srv, design_parse_id(id));
    if (!d || (d->hidden && r->sess->role != ROLE_BRAND && d->creator != r->sess->account)) {
        req_fail(r, CC_ENOTFOUND, "no such design", json_pack("{ss}", "field", "design"));
        return;
    }
    MDB_txn *txn;
    struct ccbuf b;
    ccbuf_init(&b);
    int rc = store_read_begin(srv->store, &txn);
    if (!rc) {
        ccbuf_append(&b, "{\"design\":", 10);
        rc = catalog_item_json(srv, txn, d, &b);
        if (!rc) {
            /* The timeline and the comment count join the design object. */
            b.len--;
            json_t *tl = design_timeline(txn, srv->store, d->id);
            char *text = json_dumps(tl, JSON_COMPACT);
            json_decref(tl);
            ccbuf_append(&b, ",\"timeline\":", 12);
            ccbuf_append(&b, text, strlen(text));
            free(text);
            ccbuf_append(&b, ",\"comments\":0}}", 15);
        }
        store_read_end(srv->store, txn);
    }
    if (rc)
        req_fail(r, CC_EINTERNAL, NULL, NULL);
    else
        req_ok_raw(r, (const char *)b.data, b.len);
    ccbuf_free(&b);
}
