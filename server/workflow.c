/* The status workflow and the threshold. See workflow.h. */
#include "workflow.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "ccerr.h"
#include "designs.h"
#include "util.h"
#include "votes.h"

int workflow_allowed(enum dstatus from, enum dstatus to)
{
    switch (from) {
    case ST_SUBMITTED: /* (expired: the clock's move, stages.c) */
        return to == ST_SHORTLISTED || to == ST_NOT_SELECTED || to == ST_EXPIRED;
    case ST_SHORTLISTED:
        return to == ST_WINNER || to == ST_NOT_SELECTED;
    case ST_WINNER:
        return to == ST_IN_PRODUCTION;
    case ST_IN_PRODUCTION:
        return to == ST_LAUNCHED;
    case ST_EXPIRED: /* SPEC §8: the brand may give it another chance */
        return to == ST_SUBMITTED;
    default:
        return 0;
    }
}

/* The stored record of design id (*rec, new reference) and status, if the move to
 * `to` is allowed from it; else CC_ECONFLICT (or a store error) and no record. */
static int move_check(MDB_txn *txn, const struct store *st, uint64_t id, enum dstatus to,
                      json_t **rec, enum dstatus *from)
{
    int rc = design_load(txn, st, id, rec);
    if (rc)
        return rc;
    int s = status_parse(json_string_value(json_object_get(*rec, "status")) ?: "");
    *from = s < 0 ? ST_SUBMITTED : (enum dstatus)s;
    if (!workflow_allowed(*from, to)) {
        json_decref(*rec);
        *rec = NULL;
        return CC_ECONFLICT;
    }
    return 0;
}

/* Writes a checked move: record (taken), timeline, audit entry. */
static int move_write(MDB_txn *txn, const struct store *st, const char *contest, uint64_t id,
                      json_t *rec, enum dstatus from, enum dstatus to, const char *note,
                      uint64_t by, int64_t at)
{
    json_object_set_new(rec, "status", json_string(status_name(to)));
    int rc = design_save(txn, st, id, rec);
    json_decref(rec);
    if (!rc)
        rc = design_timeline_add(txn, st, id, status_name(to), note, by, at);
    if (rc)
        return rc;
    char ids[24], bys[24];
    snprintf(ids, sizeof ids, "%llu", (unsigned long long)id);
    snprintf(bys, sizeof bys, "%llu", (unsigned long long)by);
    json_t *f =
        json_pack("{sssssssoss}", "design", ids, "from", status_name(from), "to", status_name(to),
                  "note", note ? json_string(note) : json_null(), "by", bys);
    rc = audit_append(txn, st, contest, at, "status", f);
    json_decref(f);
    return rc;
}

int workflow_move(MDB_txn *txn, const struct store *st, const char *contest, uint64_t id,
                  enum dstatus to, const char *note, uint64_t by, int64_t at, enum dstatus *from)
{
    json_t *rec;
    int rc = move_check(txn, st, id, to, &rec, from);
    return rc ? rc : move_write(txn, st, contest, id, rec, *from, to, note, by, at);
}

/* Supports among the stored votes of design (the vote of this transaction included):
 * the vote log folded first (once a design, when its counter starts; and at milestones),
 * then counted from the design's tally of the folded votes. */
static int count_supports(MDB_txn *txn, const struct store *st, const struct workflow_vote *v,
                          uint32_t *out)
{
    struct vote_counts c;
    int rc = votes_fold(txn, st);
    if (rc || (rc = votes_tally_get(txn, st, v->design, &c)))
        return rc;
    uint32_t n = 0;
    for (int i = 0; i < VOTES_VALUES; i++)
        if (c.n[i])
            n += c.n[i] * (uint32_t)v->scale->supports(votes_value(i));
    *out = n;
    return 0;
}

int workflow_count_supports(MDB_txn *txn, const struct store *st, uint64_t design,
                            const struct scale *scale, uint32_t *out)
{
    struct workflow_vote v = {.design = design, .scale = scale};
    return count_supports(txn, st, &v, out);
}

int workflow_vote(MDB_txn *txn, const struct store *st, struct workflow_vote *v)
{
    v->promoted = 0;
    v->supports = 0;
    int delta = v->scale->supports(v->new_value) - v->scale->supports(v->old_value);
    if (!delta)
        return 0; /* supports unchanged: neither the counter nor the threshold moves */
    MDB_dbi dbi = store_dbs(st)->supports;
    uint8_t key[8];
    put_be64(key, v->design);
    MDB_val cur;
    int rc = store_get(txn, dbi, key, 8, &cur);
    uint32_t n = 0;
    if (rc == CC_ENOTFOUND) {
        /* No counter yet: only a threshold or stages need one (the catalog counts in
         * memory; milestones are checked after the commit, changes_after.c). */
        if (!v->threshold && !v->counted)
            return 0;
        if ((rc = count_supports(txn, st, v, &n)))
            return rc;
    } else if (rc) {
        return rc;
    } else if (cur.mv_size != 4 && cur.mv_size != 8) {
        return CC_EINTERNAL;
    } else {
        uint32_t was = get_be32(cur.mv_data);
        n = delta > 0 ? was + 1 : (was ? was - 1 : 0);
    }
    uint8_t val[4];
    put_be32(val, n);
    if ((rc = store_put(txn, dbi, key, 8, val, 4, 0)))
        return rc;
    v->supports = n;
    if (delta < 0 || !v->threshold || n < v->threshold || !v->maybe_submitted)
        return 0;
    enum dstatus from;
    json_t *rec;
    rc = move_check(txn, st, v->design, ST_SHORTLISTED, &rec, &from);
    if (rc == CC_ECONFLICT)
        return 0; /* already past `submitted` (the catalog had not caught up) */
    if (rc)
        return rc;
    char ids[24];
    snprintf(ids, sizeof ids, "%llu", (unsigned long long)v->design);
    json_t *f = json_pack("{sssI}", "design", ids, "supports", (json_int_t)n);
    rc = audit_append(txn, st, v->contest, v->at, "threshold", f);
    json_decref(f);
    if (rc) {
        json_decref(rec);
        return rc;
    }
    rc = move_write(txn, st, v->contest, v->design, rec, from, ST_SHORTLISTED, NULL,
                    WORKFLOW_BY_SYSTEM, v->at);
    if (!rc)
        v->promoted = 1;
    return rc;
}
