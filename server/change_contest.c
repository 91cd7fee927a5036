/* Change records of contests: "contest" {create, args} by a brand — args are the
 * fields of contest.create / contest.update as the brand sent them (the contest's id
 * as "contest" for an update). The apply checks them in full against the stored
 * record (contests.c: contest_from_args), so two updates in flight never lose each
 * other's fields, and a slug taken is decided in apply order. */
#include <string.h>

#include "catalog.h"
#include "ccerr.h"
#include "changes_after.h"
#include "changes_int.h"
#include "contests.h"
#include "server.h"

int ch_contest_apply(struct change *c, MDB_txn *txn, const struct store *st)
{
    json_t *args = json_object_get(c->args, "args");
    json_t *create = json_object_get(c->args, "create");
    if (!json_is_object(args) || !json_is_boolean(create))
        return CC_EBADARGS;
    json_t *base = NULL;
    int rc;
    if (!json_is_true(create)) {
        const char *id = json_string_value(json_object_get(args, "contest"));
        if (!id)
            return CC_EBADARGS;
        if (!strcmp(id, CONTEST_OPEN))
            return CC_EFORBIDDEN;
        if ((rc = contest_record(txn, st, id, &base)))
            return rc;
    }
    rc = contest_from_args(args, base, &c->out.record, &c->out.e);
    json_decref(base);
    if (rc)
        return rc;
    struct contest k;
    contest_from_record(c->out.record, &k);
    enum phase now = contest_phase(&k, c->out.at);
    /* SPEC §8: a contest made or moved past its voting shows its tallies from now on */
    contest_reveal_due(c->out.record, now);
    rc = contest_put(txn, st, c->out.record, json_is_true(create));
    if (rc || !json_is_true(create))
        return rc;
    /* Its phase now is the first one the clock will compare with (phases.c): a later
     * change is told to its creators, this one is no change. */
    return contest_phase_tell(txn, st, k.id, now);
}

void ch_contest_post(struct change *c, struct server *srv)
{
    after_contest(srv, c->out.record);
}

void ch_contest_phase_post(struct change *c, struct server *srv)
{
    if (c->out.record) /* the phase revealed its hidden tallies (change_notice.c) */
        after_contest(srv, c->out.record);
}
