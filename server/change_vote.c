/* Change records of votes: "vote" {design, contest, value} by the voter — value 0
 * clears the voter's vote. The apply decides what stays true whichever node applies
 * it: the phase at the record's time (`closed` once voting has ended, from the
 * contest's stored settings), the previous vote it replaces, the audit entry chained
 * in the same transaction, the supports counter and a threshold promotion
 * (workflow.c). The design's contest is the accepting side's input: it never changes. */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "catalog.h"
#include "ccerr.h"
#include "changes_after.h"
#include "changes_int.h"
#include "contests.h"
#include "designs.h"
#include "server.h"
#include "stages.h"
#include "util.h"
#include "votes.h"
#include "workflow.h"

struct change *change_vote_new(int64_t at, uint64_t by, uint64_t design, const char *contest,
                               int value)
{
    struct change *c = change_new(CH_VOTE, at, by, NULL);
    c->f.vote.design = design;
    c->f.vote.value = value;
    str_copy(c->f.vote.contest, sizeof c->f.vote.contest, contest);
    return c;
}

/* The record's fields: {"contest", "design" (a decimal string), "value"}. */
int ch_vote_to_json(const struct change *c, json_t *o)
{
    char id[24];
    snprintf(id, sizeof id, "%llu", (unsigned long long)c->f.vote.design);
    json_object_set_new(o, "design", json_string(id));
    json_object_set_new(o, "contest", json_string(c->f.vote.contest));
    json_object_set_new(o, "value", json_integer(c->f.vote.value));
    return 0;
}

/* {"at":…,"by":"…","contest":"…","design":"…","type":"vote","v":1,"value":…}: the keys in
 * jansson's sorted order. A contest id that is not plain printable ASCII is left to
 * jansson. */
int ch_vote_encode(const struct change *c, struct ccbuf *out)
{
    const char *contest = c->f.vote.contest;
    for (const unsigned char *p = (const unsigned char *)contest; *p; p++)
        if (*p < 0x20 || *p == '"' || *p == '\\' || *p >= 0x7f)
            return 1; /* escaped, or UTF-8 that jansson checks */
    ccbuf_append_str(out, "{\"at\":");
    ccbuf_append_i64(out, c->at);
    ccbuf_append_str(out, ",\"by\":\"");
    ccbuf_append_u64(out, c->by);
    ccbuf_append_str(out, "\",\"contest\":\"");
    ccbuf_append_str(out, contest);
    ccbuf_append_str(out, "\",\"design\":\"");
    ccbuf_append_u64(out, c->f.vote.design);
    ccbuf_append_str(out, "\",\"type\":\"vote\",\"v\":");
    ccbuf_append_u64(out, CHANGE_FORMAT);
    ccbuf_append_str(out, ",\"value\":");
    ccbuf_append_i64(out, c->f.vote.value);
    ccbuf_append(out, "}", 1);
    return 0;
}

int ch_vote_from_json(struct change *c, json_t *o)
{
    const char *design = json_string_value(json_object_get(o, "design"));
    const char *contest = json_string_value(json_object_get(o, "contest"));
    json_t *v = json_object_get(o, "value");
    if (!design || !contest || strlen(contest) >= sizeof c->f.vote.contest ||
        !json_is_integer(v))
        return CC_EBADARGS;
    c->f.vote.design = design_parse_id(design);
    c->f.vote.value = (int)json_integer_value(v);
    str_copy(c->f.vote.contest, sizeof c->f.vote.contest, contest);
    json_object_clear(o); /* the typed fields hold them */
    return 0;
}

int ch_vote_apply(struct change *c, MDB_txn *txn, const struct store *st)
{
    uint64_t design = c->f.vote.design;
    const char *contest = c->f.vote.contest;
    int value = c->f.vote.value;
    if (!design || !c->by || !contest[0] || value < -1 || value > 5)
        return CC_EBADARGS;
    struct contest k;
    int rc = contest_load(txn, st, contest, &k);
    if (rc)
        return rc == CC_ENOTFOUND ? CC_EBADARGS : rc;
    enum phase p = contest_phase(&k, c->out.at);
    if (p != PHASE_SUBMISSIONS && p != PHASE_VOTING)
        return CC_ECLOSED;
    if (k.nstages) { /* SPEC §8: an expired design takes no more votes */
        json_t *rec;
        if ((rc = design_load(txn, st, design, &rec)))
            return rc == CC_ENOTFOUND ? CC_EBADARGS : rc;
        const char *s = json_string_value(json_object_get(rec, "status"));
        int expired = s && !strcmp(s, "expired");
        json_decref(rec);
        if (expired)
            return CC_ECLOSED;
    }
    if ((rc = votes_get(txn, st, design, c->by, &c->out.old)))
        return rc;
    if (value == c->out.old)
        return 0; /* nothing changes: no log entry either */
    if ((rc = votes_set(txn, st, design, c->by, c->out.old, value, &c->out.vseq)))
        return rc;
    /* In the same transaction as the vote: the log and the tallies never disagree. */
    rc = audit_vote(txn, st, contest, c->out.at, design, c->by, c->out.old, value);
    if (rc)
        return rc;
    struct workflow_vote wv = {
        .design = design,
        .contest = contest,
        .scale = k.scale,
        .old_value = c->out.old,
        .new_value = value,
        .threshold = k.threshold,
        .maybe_submitted = 1,
        .at = c->out.at,
        .counted = k.nstages > 0,
    };
    rc = workflow_vote(txn, st, &wv);
    c->out.flag = wv.promoted;
    c->out.count = wv.supports;
    int staged = 0;
    if (!rc && k.nstages && k.scale->supports(value) > k.scale->supports(c->out.old))
        rc = stage_votes(txn, st, design, &k, wv.supports, c->out.at, c, &staged);
    c->out.flag |= staged;
    char text[96];
    if (!rc && wv.promoted) {
        snprintf(text, sizeof text, "Your design reached its contest's threshold of %llu "
                 "supports and is shortlisted.", (unsigned long long)k.threshold);
        rc = change_notice_design(c, txn, st, design, "threshold", 0, text, "shortlisted",
                                  NULL, wv.supports);
    }
    return rc;
}

void ch_vote_post(struct change *c, struct server *srv)
{
    if (c->out.vseq)
        votes_seen_note(srv->view.seen, srv->store, c->f.vote.design, c->by, c->f.vote.value,
                        c->out.vseq);
    struct dmem *d = catalog_design(srv->catalog, c->f.vote.design);
    if (!d)
        return;
    after_vote(srv, d, c->out.old, c->f.vote.value, c->out.flag);
    if (c->out.designs_written) /* a stage reached (stages.c): the record shows it */
        after_record_changed(srv, d);
}

/* "milestone" {design, supports} by the clock (0): submitted after the commit of a vote
 * that brought the design's supports (as the catalog counts them) to a milestone; its
 * apply counts the stored votes, and tells the creator once per milestone (the record
 * keeps the highest told), however many nodes submitted it. */
int ch_milestone_apply(struct change *c, MDB_txn *txn, const struct store *st)
{
    uint64_t design = change_id(c, "design");
    json_int_t m = json_integer_value(json_object_get(c->args, "supports"));
    if (!design || (m != 10 && m != 100 && m != 1000 && m != 10000))
        return CC_EBADARGS;
    json_t *rec;
    int rc = design_load(txn, st, design, &rec);
    if (rc)
        return rc;
    struct contest k;
    const char *contest = json_string_value(json_object_get(rec, "contest"));
    uint32_t n = 0;
    rc = contest ? contest_load(txn, st, contest, &k) : CC_EINTERNAL;
    if (!rc && json_integer_value(json_object_get(rec, "milestone")) < m)
        rc = workflow_count_supports(txn, st, design, k.scale, &n);
    if (!rc && n >= m) {
        json_object_set_new(rec, "milestone", json_integer(m));
        rc = design_save(txn, st, design, rec);
        c->out.flag = !rc; /* the post-commit step shows it */
        char text[64];
        snprintf(text, sizeof text, "Your design reached %lld supports.", (long long)m);
        if (!rc)
            rc = change_notice_design(c, txn, st, design, "milestone", 0, text, NULL, NULL,
                                      (uint64_t)m);
    }
    json_decref(rec);
    return rc;
}

void ch_milestone_post(struct change *c, struct server *srv)
{
    struct dmem *d = c->out.flag ? catalog_design(srv->catalog, change_id(c, "design")) : NULL;
    if (d)
        after_record_changed(srv, d); /* its "milestone" */
}
