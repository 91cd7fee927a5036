/* Contests. Only the built-in `open` contest exists until contest.create lands
 * (issue 5); the phase rules are already SPEC §2's. */
#include "contests.h"

#include <stdio.h>
#include <string.h>

#include "ccerr.h"

int contest_load(MDB_txn *txn, const struct store *st, const char *id, struct contest *out)
{
    (void)txn;
    (void)st;
    if (strcmp(id, CONTEST_OPEN) != 0)
        return CC_ENOTFOUND;
    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "%s", CONTEST_OPEN);
    out->scale = SCALE_HEART;
    return 0;
}

enum phase contest_phase(const struct contest *c, int64_t now)
{
    if (c->closed)
        return PHASE_CLOSED;
    if (c->submit_open && now < c->submit_open)
        return PHASE_UPCOMING;
    if (!c->submit_close || now < c->submit_close)
        return PHASE_SUBMISSIONS;
    if (!c->vote_close || now < c->vote_close)
        return PHASE_VOTING;
    return PHASE_JUDGING;
}

const char *phase_name(enum phase p)
{
    static const char *const names[] = {"upcoming", "submissions", "voting", "judging",
                                        "closed"};
    return names[p];
}

int contest_accepts_kind(const struct contest *c, const char *kind)
{
    return !c->kind[0] || !strcmp(c->kind, kind);
}
