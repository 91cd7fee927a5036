/* Notices made by the applies (SPEC §8) and the "notice.read" {upto} record (by the
 * account: everything up to that id is read). See notices.h. */
#include <stdio.h>
#include <stdlib.h>

#include "ccerr.h"
#include "contests.h"
#include "changes_int.h"
#include "designs.h"
#include "notices.h"

int change_notice_design(struct change *c, MDB_txn *txn, const struct store *st,
                         uint64_t design, const char *kind, uint64_t actor, const char *text,
                         const char *status, const char *note, uint64_t supports)
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
            .note = note,
            .supports = supports,
        };
        if (!c->out.notices)
            c->out.notices = json_array();
        rc = notice_add(txn, st, &n, c->out.at, c->out.notices);
    }
    json_decref(rec);
    return rc;
}

/* "contest.phase" {contest, phase}: the clock moved contest into phase (phases.c).
 * Made once: a record whose phase is not the contest's at its time, or was told
 * already, changes nothing. Every creator with a design in it is told. */
int ch_contest_phase_apply(struct change *c, MDB_txn *txn, const struct store *st)
{
    const char *id = change_str(c, "contest");
    int want = phase_parse(change_str(c, "phase") ? change_str(c, "phase") : "");
    if (!id || want < 0)
        return CC_EBADARGS;
    struct contest k;
    json_t *rec;
    int rc = contest_load(txn, st, id, &k);
    if (rc)
        return rc;
    int told = contest_phase_told(txn, st, id);
    if ((int)contest_phase(&k, c->out.at) != want || told == want)
        return 0;
    if ((rc = contest_phase_tell(txn, st, id, (enum phase)want)) ||
        (rc = contest_record(txn, st, id, &rec)))
        return rc;
    /* SPEC §8: voting closed, so hidden tallies count and show from now on (the post
     * step brings the catalog and the points along: change_contest.c) */
    if (contest_reveal_due(rec, (enum phase)want)) {
        if ((rc = contest_put(txn, st, rec, 0))) {
            json_decref(rec);
            return rc;
        }
        c->out.record = json_incref(rec);
    }
    if (told < 0) { /* the first phase the clock sees (a new contest): no change to tell */
        json_decref(rec);
        return 0;
    }
    const char *title = json_string_value(json_object_get(rec, "title"));
    static const char *const says[] = {"opens soon", "takes submissions", "is open for votes",
                                       "is being judged", "is closed: the results are final"};
    char text[200];
    snprintf(text, sizeof text, "“%s” %s.", title ? title : id, says[want]);
    uint64_t *ids;
    size_t n;
    if (!(rc = designs_creators_in(txn, st, id, &ids, &n))) {
        if (!c->out.notices)
            c->out.notices = json_array();
        for (size_t i = 0; i < n && !rc; i++) {
            struct notice_new nn = {.account = ids[i], .kind = "contest", .contest = id,
                                    .text = text};
            rc = notice_add(txn, st, &nn, c->out.at, c->out.notices);
        }
        free(ids);
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
