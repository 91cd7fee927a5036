/* Op `design.get` (SPEC §4): the design object with tally, status timeline and comment
 * count. Hidden designs exist only for their creator and the brand. */
#include <string.h>

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
    uint64_t did = design_parse_id(id);
    json_t *rec = NULL;
    struct contest c;
    MDB_txn *txn;
    int rc = did ? store_read_begin(srv->store, &txn) : CC_ENOTFOUND;
    if (!rc) {
        rc = design_load(txn, srv->store, did, &rec);
        if (!rc)
            rc = contest_load(txn, srv->store,
                              json_string_value(json_object_get(rec, "contest")), &c);
        store_read_end(srv->store, txn);
    }
    if (!rc && !design_visible(rec, r->sess->account, r->sess->role))
        rc = CC_ENOTFOUND;
    if (rc) {
        json_decref(rec);
        req_fail(r, rc == CC_ENOTFOUND ? rc : CC_EINTERNAL,
                 rc == CC_ENOTFOUND ? "no such design" : NULL,
                 rc == CC_ENOTFOUND ? json_pack("{ss}", "field", "design") : NULL);
        return;
    }
    struct tally t = {0};
    json_t *d = design_public(rec, &t, c.scale, 0);
    json_object_set(d, "timeline", json_object_get(rec, "timeline"));
    json_object_set_new(d, "comments", json_integer(0));
    json_decref(rec);
    req_ok(r, json_pack("{so}", "design", d));
}
