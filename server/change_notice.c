/* Notices made by the applies (SPEC §8) and the "notice.read" {upto} record (by the
 * account: everything up to that id is read). See notices.h. */
#include <stdio.h>
#include <stdlib.h>

#include "ccerr.h"
#include "changes_int.h"
#include "designs.h"
#include "notices.h"

int change_notice_design(struct change *c, MDB_txn *txn, const struct store *st,
                         uint64_t design, const char *kind, uint64_t actor, const char *text,
                         const char *status, uint64_t supports)
{
    json_t *rec;
    int rc = design_load(txn, st, design, &rec);
    if (rc)
        return rc == CC_ENOTFOUND ? 0 : rc;
    const char *creator = json_string_value(json_object_get(rec, "creator"));
    uint64_t to = creator ? strtoull(creator, NULL, 10) : 0;
    if (to && to != actor) {
        struct notice_new n = {
            .account = to,
            .kind = kind,
            .design = design,
            .contest = json_string_value(json_object_get(rec, "contest")),
            .actor = actor,
            .text = text,
            .status = status,
            .supports = supports,
        };
        if (!c->out.notices)
            c->out.notices = json_array();
        rc = notice_add(txn, st, &n, c->out.at, c->out.notices);
    }
    json_decref(rec);
    return rc;
}

int ch_notice_read_apply(struct change *c, MDB_txn *txn, const struct store *st)
{
    uint64_t upto = change_id(c, "upto");
    if (!c->by || !upto)
        return CC_EBADARGS;
    return notice_mark_read(txn, st, c->by, upto);
}
