/* Stages. See stages.h. */
#include "stages.h"

#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "ccerr.h"
#include "changes_int.h"
#include "designs.h"
#include "util.h"
#include "workflow.h"

#define DAY_S 86400

static int due_key(MDB_txn *txn, const struct store *st, int64_t due, uint64_t design, int put)
{
    uint8_t key[16];
    put_be64(key, (uint64_t)due);
    put_be64(key + 8, design);
    if (put)
        return store_put(txn, store_dbs(st)->stage_due, key, 16, "", 0, 0);
    int rc = store_del(txn, store_dbs(st)->stage_due, key, 16);
    return rc == CC_ENOTFOUND ? 0 : rc;
}

/* Drops rec's due date (from the table too). */
static int clear_due(MDB_txn *txn, const struct store *st, json_t *rec, uint64_t design)
{
    json_t *due = json_object_get(rec, "stage_due");
    int rc = json_is_integer(due) ? due_key(txn, st, json_integer_value(due), design, 0) : 0;
    json_object_del(rec, "stage_due");
    return rc;
}

int stage_open(MDB_txn *txn, const struct store *st, json_t *rec, uint64_t design,
               const struct contest *k, int64_t at)
{
    json_int_t stage = json_integer_value(json_object_get(rec, "stage"));
    int rc = clear_due(txn, st, rec, design);
    if (rc || stage >= k->nstages)
        return rc;
    int64_t due = at + (int64_t)k->stages[stage].days * DAY_S;
    json_object_set_new(rec, "stage", json_integer(stage));
    json_object_set_new(rec, "stage_due", json_integer(due));
    return due_key(txn, st, due, design, 1);
}

int stage_votes(MDB_txn *txn, const struct store *st, uint64_t design, const struct contest *k,
                uint32_t supports, int64_t at, struct change *c, int *shortlisted)
{
    *shortlisted = 0;
    json_t *rec;
    int rc = design_load(txn, st, design, &rec);
    if (rc)
        return rc;
    json_int_t stage = json_integer_value(json_object_get(rec, "stage"));
    const char *status = json_string_value(json_object_get(rec, "status"));
    int reached = 0;
    while (status && !strcmp(status, "submitted") && stage < k->nstages &&
           supports >= k->stages[stage].supports) {
        stage++;
        reached = 1;
        char text[96];
        snprintf(text, sizeof text, "Your design reached stage %lld of %d (%u supports).",
                 (long long)stage, k->nstages, supports);
        if ((rc = change_notice_design(c, txn, st, design, "milestone", 0, text, NULL, NULL,
                                       supports)))
            break;
    }
    if (!rc && reached) {
        json_object_set_new(rec, "stage", json_integer(stage));
        rc = stage < k->nstages ? stage_open(txn, st, rec, design, k, at)
                                : clear_due(txn, st, rec, design);
        if (!rc)
            rc = design_save(txn, st, design, rec);
        enum dstatus from;
        if (!rc && stage == k->nstages) { /* the last stage: shortlisted */
            rc = workflow_move(txn, st, k->id, design, ST_SHORTLISTED, NULL,
                               WORKFLOW_BY_SYSTEM, at, &from);
            *shortlisted = !rc;
        }
    }
    json_decref(rec);
    return rc;
}

int stage_expire(MDB_txn *txn, const struct store *st, uint64_t design, int64_t at,
                 int *expired)
{
    *expired = 0;
    json_t *rec;
    int rc = design_load(txn, st, design, &rec);
    if (rc)
        return rc == CC_ENOTFOUND ? 0 : rc;
    json_t *due = json_object_get(rec, "stage_due");
    const char *status = json_string_value(json_object_get(rec, "status"));
    const char *contest = json_string_value(json_object_get(rec, "contest"));
    char cid[CONTEST_ID_MAX + 1];
    snprintf(cid, sizeof cid, "%s", contest ? contest : "");
    if (!json_is_integer(due) || json_integer_value(due) > at || !status ||
        strcmp(status, "submitted")) {
        json_decref(rec);
        return 0; /* reached meanwhile, moved on, or not due yet */
    }
    rc = clear_due(txn, st, rec, design);
    if (!rc)
        rc = design_save(txn, st, design, rec);
    json_decref(rec);
    enum dstatus from;
    if (!rc)
        rc = workflow_move(txn, st, cid, design, ST_EXPIRED, NULL, WORKFLOW_BY_SYSTEM, at, &from);
    *expired = !rc;
    return rc;
}

size_t stages_due(MDB_txn *txn, const struct store *st, int64_t now, uint64_t *ids, size_t max)
{
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, store_dbs(st)->stage_due, &cur))
        return 0;
    MDB_val k, v;
    size_t n = 0;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !rc && n < max;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 16 || (int64_t)get_be64(k.mv_data) > now)
            break;
        ids[n++] = get_be64((const uint8_t *)k.mv_data + 8);
    }
    mdb_cursor_close(cur);
    return n;
}
