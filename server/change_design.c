/* Change records of designs:
 *   "design.create" {contest, kind, title, tags, blob, bytes} + binary "stored" (the
 *       codec-framed blob) and "thumb" (its thumbnail) when the bytes are new — an
 *       upload validated, encoded and rendered by the accepting side;
 *   "status" {design, status, note?} — the brand's move (SPEC §2);
 *   "hide" {design, hidden, reason?} — the brand's hide (in the moderation log);
 *   "report" {design, reason} — a member's report;
 *   "design.edit" {design, title?, tags?} — its creator's fix (SPEC §7);
 *   "withdraw" {design} — its creator's withdrawal (SPEC §7).
 * Each apply decides against the stored state (the duplicate rules, the phase at the
 * record's time, the stored status and flag), so concurrent changes serialise in
 * apply order the same way everywhere. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "audit.h"
#include "blobs.h"
#include "catalog.h"
#include "ccerr.h"
#include "changes_after.h"
#include "changes_int.h"
#include "contests.h"
#include "designs.h"
#include "kind.h"
#include "moderation.h"
#include "reports.h"
#include "server.h"
#include "stages.h"
#include "util.h"
#include "workflow.h"

/* ---- design.create ---- */

int ch_design_create_apply(struct change *c, MDB_txn *txn, const struct store *st)
{
    const char *contest = change_str(c, "contest"), *title = change_str(c, "title");
    const char *hex = change_str(c, "blob");
    const struct kind *kind = kind_find(change_str(c, "kind") ? change_str(c, "kind") : "");
    json_t *tags = json_object_get(c->args, "tags");
    json_int_t bytes = json_integer_value(json_object_get(c->args, "bytes"));
    uint8_t sha[32];
    if (!contest || !title || !kind || !json_is_array(tags) || bytes < 1 || !hex ||
        strlen(hex) != 64 || hex_decode(hex, sha, 32) || !c->by)
        return CC_EBADARGS;
    const struct store_dbs *db = store_dbs(st);
    int rc;
    /* SPEC §7's duplicate rules, decided here for good: another upload of the same bytes
     * may have been applied since the accepting side looked. */
    if ((rc = blob_holders(txn, st, sha, c->by, contest, &c->out.holders)))
        return rc;
    if (c->out.holders.other || c->out.holders.own)
        return CC_ECONFLICT;
    struct contest k;
    if ((rc = contest_load(txn, st, contest, &k)))
        return rc == CC_ENOTFOUND ? CC_EBADARGS : rc;
    if (!contest_accepts_kind(&k, kind->name))
        return CC_EBADARGS;
    if (contest_phase(&k, c->out.at) != PHASE_SUBMISSIONS)
        return CC_ECLOSED;
    const char *terms = change_str(c, "terms");
    if (strcmp(k.terms, terms ? terms : ""))
        return CC_EBADARGS; /* the contest's terms changed since the upload began */
    const struct ccbuf *stored = &c->att[ATT_STORED], *thumb = &c->att[ATT_THUMB];
    if (!stored->len) {
        /* have: true — the bytes are held, as the kind and size they were validated as */
        const struct blob_holders *h = &c->out.holders;
        if ((rc = blob_exists(txn, st, sha)) <= 0)
            return rc ? rc : CC_EBADARGS;
        if (h->known && (strcmp(h->kind, kind->name) || h->bytes != (uint64_t)bytes))
            return CC_EBADARGS;
    } else {
        if (!thumb->len)
            return CC_EBADARGS;
        if ((rc = blob_put(txn, st, db->blobs, sha, stored->data, stored->len)) < 0)
            return rc;
        c->out.flag = rc; /* a new blob */
        if ((rc = blob_put(txn, st, db->thumbs, sha, thumb->data, thumb->len)) < 0)
            return rc;
        if (c->out.flag && (rc = blobs_count(txn, st, kind)) < 0)
            return rc;
    }
    json_t *account;
    if ((rc = account_get(txn, st, c->by, &account)))
        return rc == CC_ENOTFOUND ? CC_EBADARGS : rc;
    struct design_new d = {
        .creator = c->by,
        .creator_name = json_string_value(json_object_get(account, "name")),
        .contest = contest,
        .kind = kind->name,
        .title = title,
        .tags = tags,
        .bytes = (uint64_t)bytes,
        .created = c->out.at,
        .terms = change_str(c, "terms"),
        .fp = change_str(c, "fp"),
        .similar = json_is_array(json_object_get(c->args, "similar"))
                       ? json_object_get(c->args, "similar")
                       : NULL,
    };
    memcpy(d.sha, sha, 32);
    rc = d.creator_name ? design_create(txn, st, &d) : CC_EINTERNAL;
    json_decref(account);
    c->out.id = d.id;
    c->out.record = d.record;
    if (!rc && k.nstages) /* SPEC §8: its first stage's window opens */
        rc = stage_open(txn, st, c->out.record, d.id, &k, c->out.at);
    if (!rc && k.nstages)
        rc = design_save(txn, st, d.id, c->out.record);
    return rc;
}

void ch_design_create_post(struct change *c, struct server *srv)
{
    after_design_added(srv, c->out.record);
}

/* ---- status ---- */

/* The moves still open once a contest is closed (its results are final). */
static int production_move(enum dstatus to)
{
    return to == ST_IN_PRODUCTION || to == ST_LAUNCHED;
}

/* The stored record of the record's design and its contest's settings. */
static int load_design(struct change *c, MDB_txn *txn, const struct store *st, json_t **rec,
                       struct contest *k)
{
    uint64_t id = change_id(c, "design");
    if (!id)
        return CC_EBADARGS;
    int rc = design_load(txn, st, id, rec);
    if (rc)
        return rc;
    rc = contest_load(txn, st, json_string_value(json_object_get(*rec, "contest")), k);
    if (rc) {
        json_decref(*rec);
        *rec = NULL;
        return rc == CC_ENOTFOUND ? CC_EINTERNAL : rc;
    }
    return 0;
}

int ch_status_apply(struct change *c, MDB_txn *txn, const struct store *st)
{
    int to = status_parse(change_str(c, "status") ? change_str(c, "status") : "");
    json_t *note = json_object_get(c->args, "note");
    if (to < 0 || (note && !json_is_string(note)))
        return CC_EBADARGS;
    json_t *rec;
    struct contest k;
    int rc = load_design(c, txn, st, &rec, &k);
    if (rc)
        return rc;
    json_decref(rec);
    enum dstatus from = ST_SUBMITTED;
    enum phase ph = contest_phase(&k, c->out.at);
    if (k.closed && !production_move((enum dstatus)to))
        rc = CC_ECLOSED;
    else if (to == ST_WINNER && strcmp(k.id, "open") &&
             (ph == PHASE_UPCOMING || ph == PHASE_SUBMISSIONS))
        rc = CC_ECLOSED; /* SPEC §7: winners once the crowd is done */
    else if (to == ST_WITHDRAWN || to == ST_EXPIRED)
        rc = CC_EBADARGS; /* the creator's move (withdraw) and the clock's, not the brand's */
    else
        rc = workflow_move(txn, st, k.id, change_id(c, "design"), (enum dstatus)to,
                           json_string_value(note), c->by, c->out.at, &from);
    c->out.old = (int)from;
    if (!rc && from == ST_EXPIRED && k.nstages) { /* back to submitted: the stage again */
        json_t *again;
        if (!(rc = design_load(txn, st, change_id(c, "design"), &again))) {
            rc = stage_open(txn, st, again, change_id(c, "design"), &k, c->out.at);
            if (!rc)
                rc = design_save(txn, st, change_id(c, "design"), again);
            json_decref(again);
        }
    }
    if (rc)
        return rc;
    /* SPEC §8: the creator is told, with the public note when there is one. */
    char text[64];
    snprintf(text, sizeof text, "Your design is now %s.", status_name((enum dstatus)to));
    return change_notice_design(c, txn, st, change_id(c, "design"), "status", c->by,
                                note ? json_string_value(note) : text,
                                status_name((enum dstatus)to),
                                note ? json_string_value(note) : NULL, 0);
}

void ch_status_post(struct change *c, struct server *srv)
{
    struct dmem *d = catalog_design(srv->catalog, change_id(c, "design"));
    if (d)
        after_status(srv, d, (enum dstatus)status_parse(change_str(c, "status")));
}

/* ---- hide ---- */

int ch_hide_apply(struct change *c, MDB_txn *txn, const struct store *st)
{
    json_t *jh = json_object_get(c->args, "hidden");
    if (!json_is_boolean(jh))
        return CC_EBADARGS;
    int hidden = json_is_true(jh);
    json_t *rec;
    struct contest k;
    int rc = load_design(c, txn, st, &rec, &k);
    if (rc)
        return rc;
    uint64_t id = change_id(c, "design");
    if (json_is_true(json_object_get(rec, "hidden")) != hidden) {
        json_object_set_new(rec, "hidden", json_boolean(hidden));
        rc = design_save(txn, st, id, rec);
        c->out.flag = 1;
    }
    json_decref(rec);
    if (rc || !c->out.flag)
        return rc; /* nothing changed: nothing to log */
    char ids[24], by[24];
    snprintf(ids, sizeof ids, "%llu", (unsigned long long)id);
    snprintf(by, sizeof by, "%llu", (unsigned long long)c->by);
    json_t *f = json_pack("{sssbss}", "design", ids, "hidden", hidden, "by", by);
    rc = audit_append(txn, st, k.id, c->out.at, "hide", f);
    json_decref(f);
    if (rc)
        return rc;
    json_t *target = json_pack("{sssb}", "design", ids, "hidden", hidden);
    rc = moderation_append(txn, st, c->out.at, c->by, "design.hide", target,
                           change_str(c, "reason"));
    json_decref(target);
    return rc;
}

void ch_hide_post(struct change *c, struct server *srv)
{
    struct dmem *d = catalog_design(srv->catalog, change_id(c, "design"));
    /* Out of (or back into) every window of its gallery, and its watchers told (those
     * who may still see it: creator and brand). */
    if (d && c->out.flag)
        after_hide(srv, d, json_is_true(json_object_get(c->args, "hidden")));
}

/* ---- design.edit, withdraw ---- */

/* The stored record of the record's design, which its creator (c->by) may still
 * change: CC_EFORBIDDEN for anyone else, CC_ECLOSED past its contest's submissions,
 * CC_ECONFLICT once withdrawn. */
static int own_design(struct change *c, MDB_txn *txn, const struct store *st, json_t **rec,
                      struct contest *k)
{
    int rc = load_design(c, txn, st, rec, k);
    if (rc)
        return rc;
    const char *creator = json_string_value(json_object_get(*rec, "creator"));
    const char *status = json_string_value(json_object_get(*rec, "status"));
    if (!c->by || !creator || strtoull(creator, NULL, 10) != c->by)
        rc = CC_EFORBIDDEN;
    else if (k->closed || contest_phase(k, c->out.at) != PHASE_SUBMISSIONS)
        rc = CC_ECLOSED;
    else if (status && !strcmp(status, "withdrawn"))
        rc = CC_ECONFLICT;
    if (rc) {
        json_decref(*rec);
        *rec = NULL;
    }
    return rc;
}

int ch_design_edit_apply(struct change *c, MDB_txn *txn, const struct store *st)
{
    json_t *title = json_object_get(c->args, "title"), *tags = json_object_get(c->args, "tags");
    struct jargs_err e;
    json_t *clean = NULL;
    if ((!title && !tags) || (title && !json_is_string(title)) || (tags && !json_is_array(tags)))
        return CC_EBADARGS;
    json_t *rec;
    struct contest k;
    int rc = own_design(c, txn, st, &rec, &k);
    if (rc)
        return rc;
    const char *t = title ? json_string_value(title)
                          : json_string_value(json_object_get(rec, "title"));
    if (design_check_meta(t ? t : "", tags ? tags : json_object_get(rec, "tags"), &clean, &e)) {
        json_decref(rec);
        return CC_EBADARGS;
    }
    if (title)
        json_object_set(rec, "title", title);
    if (tags)
        json_object_set(rec, "tags", clean);
    json_decref(clean);
    rc = design_save(txn, st, change_id(c, "design"), rec);
    json_decref(c->out.record);
    c->out.record = rec; /* the post-commit step reads the stored tags */
    return rc;
}

void ch_design_edit_post(struct change *c, struct server *srv)
{
    struct dmem *d = catalog_design(srv->catalog, change_id(c, "design"));
    if (!d)
        return;
    const char *tags[DESIGN_TAGS_MAX];
    int n = 0;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(c->out.record, "tags"), i, t)
    {
        if (n < DESIGN_TAGS_MAX && json_is_string(t))
            tags[n++] = json_string_value(t);
    }
    after_edited(srv, d, json_object_get(c->args, "tags") ? tags : NULL, n);
}

int design_withdraw(MDB_txn *txn, const struct store *st, uint64_t id, uint64_t by,
                    int64_t at)
{
    json_t *rec;
    int rc = design_load(txn, st, id, &rec);
    if (rc)
        return rc;
    int s = status_parse(json_string_value(json_object_get(rec, "status")) ?: "");
    const char *contest = json_string_value(json_object_get(rec, "contest"));
    uint8_t sha[32];
    if (s == ST_WINNER || s == ST_IN_PRODUCTION || s == ST_LAUNCHED || s == ST_WITHDRAWN ||
        !contest || design_blob(rec, sha)) {
        json_decref(rec);
        return CC_ECONFLICT;
    }
    char contest_id[CONTEST_ID_MAX + 1];
    snprintf(contest_id, sizeof contest_id, "%s", contest);
    json_object_set_new(rec, "status", json_string("withdrawn"));
    rc = design_save(txn, st, id, rec);
    json_decref(rec);
    if (!rc)
        rc = design_timeline_add(txn, st, id, "withdrawn", NULL, by, at);
    if (!rc)
        rc = blob_ref_drop(txn, st, sha, id);
    if (rc)
        return rc;
    char ids[24], bys[24];
    snprintf(ids, sizeof ids, "%llu", (unsigned long long)id);
    snprintf(bys, sizeof bys, "%llu", (unsigned long long)by);
    json_t *f = json_pack("{sssssssoss}", "design", ids, "from",
                          status_name(s < 0 ? ST_SUBMITTED : (enum dstatus)s), "to", "withdrawn",
                          "note", json_null(), "by", bys);
    rc = audit_append(txn, st, contest_id, at, "status", f);
    json_decref(f);
    return rc;
}

int ch_withdraw_apply(struct change *c, MDB_txn *txn, const struct store *st)
{
    json_t *rec;
    struct contest k;
    int rc = own_design(c, txn, st, &rec, &k);
    if (rc)
        return rc;
    json_decref(rec);
    return design_withdraw(txn, st, change_id(c, "design"), c->by, c->out.at);
}

void ch_withdraw_post(struct change *c, struct server *srv)
{
    struct dmem *d = catalog_design(srv->catalog, change_id(c, "design"));
    if (d)
        after_withdrawn(srv, d);
}

/* ---- expire ---- */

int ch_expire_apply(struct change *c, MDB_txn *txn, const struct store *st)
{
    uint64_t id = change_id(c, "design");
    if (!id)
        return CC_EBADARGS;
    int rc = stage_expire(txn, st, id, c->out.at, &c->out.flag);
    if (rc || !c->out.flag)
        return rc;
    return change_notice_design(c, txn, st, id, "status", 0,
                                "Your design missed its stage's deadline and has expired.",
                                "expired", NULL, 0);
}

void ch_expire_post(struct change *c, struct server *srv)
{
    struct dmem *d = c->out.flag ? catalog_design(srv->catalog, change_id(c, "design")) : NULL;
    if (d)
        after_status(srv, d, ST_EXPIRED);
}

/* ---- report ---- */

int ch_report_apply(struct change *c, MDB_txn *txn, const struct store *st)
{
    uint64_t id = change_id(c, "design");
    const char *reason = change_str(c, "reason");
    if (!id || !reason || !c->by)
        return CC_EBADARGS;
    return report_put(txn, st, id, c->by, reason, c->out.at);
}

void ch_report_post(struct change *c, struct server *srv)
{
    after_report(srv, change_id(c, "design"));
}
