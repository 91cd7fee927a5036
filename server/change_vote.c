/* Change records of votes: "vote" {design, contest, value} by the voter — value 0
 * clears the voter's vote. The apply decides what stays true whichever node applies
 * it: the phase at the record's time (`closed` once voting has ended, from the
 * contest's stored settings), the previous vote it replaces, the audit entry chained
 * in the same transaction, the supports counter and a threshold promotion
 * (workflow.c). The design's contest is the accepting side's input: it never changes. */
#include <string.h>

#include "audit.h"
#include "catalog.h"
#include "ccerr.h"
#include "changes_after.h"
#include "changes_int.h"
#include "contests.h"
#include "server.h"
#include "util.h"
#include "workflow.h"

int ch_vote_apply(struct change *c, MDB_txn *txn, const struct store *st)
{
    uint64_t design = change_id(c, "design");
    const char *contest = change_str(c, "contest");
    json_t *jv = json_object_get(c->args, "value");
    json_int_t value = json_integer_value(jv);
    if (!design || !c->by || !contest || !json_is_integer(jv) || value < -1 || value > 5)
        return CC_EBADARGS;
    struct contest k;
    int rc = contest_load(txn, st, contest, &k);
    if (rc)
        return rc == CC_ENOTFOUND ? CC_EBADARGS : rc;
    enum phase p = contest_phase(&k, c->out.at);
    if (p != PHASE_SUBMISSIONS && p != PHASE_VOTING)
        return CC_ECLOSED;
    MDB_dbi dbi = store_dbs(st)->votes;
    uint8_t key[16];
    put_be64(key, design);
    put_be64(key + 8, c->by);
    MDB_val old;
    rc = store_get(txn, dbi, key, 16, &old);
    if (rc && rc != CC_ENOTFOUND)
        return rc;
    c->out.old = rc == 0 && old.mv_size == 1 ? (int8_t)((const uint8_t *)old.mv_data)[0] : 0;
    if (value == c->out.old)
        return 0; /* nothing changes: no log entry either */
    uint8_t val = (uint8_t)(int8_t)value;
    rc = value ? store_put(txn, dbi, key, 16, &val, 1, 0) : store_del(txn, dbi, key, 16);
    if (rc)
        return rc;
    /* In the same transaction as the vote: the log and the tallies never disagree. */
    rc = audit_vote(txn, st, contest, c->out.at, design, c->by, c->out.old, (int)value);
    if (rc)
        return rc;
    struct workflow_vote wv = {
        .design = design,
        .contest = contest,
        .scale = k.scale,
        .old_value = c->out.old,
        .new_value = (int)value,
        .threshold = k.threshold,
        .maybe_submitted = 1,
        .at = c->out.at,
    };
    rc = workflow_vote(txn, st, &wv);
    c->out.flag = wv.promoted;
    c->out.count = wv.supports;
    return rc;
}

void ch_vote_post(struct change *c, struct server *srv)
{
    struct dmem *d = catalog_design(srv->catalog, change_id(c, "design"));
    if (d)
        after_vote(srv, d, c->out.old, (int)json_integer_value(json_object_get(c->args, "value")),
                   c->out.flag);
}
