/* The brand's ops on designs and the members' reports (SPEC §2, §4):
 * `design.set_status` (brand) along SPEC §2's moves with an optional public note,
 * `design.hide` (brand), and `design.report` (any member, once per design). Each is
 * decided on the writer thread against the stored record, so concurrent moves (or a
 * threshold promotion) serialise; the catalog and live views follow after the commit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "catalog.h"
#include "ccerr.h"
#include "changes_after.h"
#include "contests.h"
#include "designs.h"
#include "ops.h"
#include "proto.h"
#include "reports.h"
#include "server.h"
#include "util.h"
#include "workflow.h"

/* A text argument of 1..max Unicode characters; 1 when absent and optional. */
static int text_arg(struct req *r, const char *name, int required, size_t max, const char **out)
{
    struct jargs_err e;
    int rc = jargs_string(r->msg, name, required, 0, 4 * max, out, &e);
    if (rc == 0) {
        long n = utf8_count(*out, strlen(*out), NULL);
        if (n >= 1 && (size_t)n <= max)
            return 0;
        e.field = name;
        snprintf(e.why, sizeof e.why, "must be 1 to %zu characters long", max);
        rc = CC_EBADARGS;
    }
    if (rc < 0)
        req_fail_args(r, &e);
    return rc;
}

/* ---- design.set_status ---- */

struct status_ctx {
    struct dmem *d;
    const char *contest; /* the catalog's (fixed for the process) */
    enum dstatus to;
    enum dstatus from; /* out: the stored status */
    const char *note;  /* borrowed from r->msg; NULL = none */
    uint64_t by;
    int64_t at;
};

/* The moves still open once a contest is closed (its results are final). */
static int production_move(enum dstatus to) { return to == ST_IN_PRODUCTION || to == ST_LAUNCHED; }

static int status_apply(struct write_req *wr, MDB_txn *txn)
{
    struct req *r = container_of(wr, struct req, wr);
    struct status_ctx *c = r->ctx;
    const struct store *st = req_server(r)->store;
    struct contest k;
    int rc = contest_load(txn, st, c->contest, &k);
    if (rc)
        return rc == CC_ENOTFOUND ? CC_EINTERNAL : rc;
    if (k.closed && !production_move(c->to))
        return CC_ECLOSED;
    return workflow_move(txn, st, c->contest, c->d->id, c->to, c->note, c->by, c->at, &c->from);
}

static void status_done(struct write_req *wr, int status)
{
    struct req *r = container_of(wr, struct req, wr);
    struct status_ctx *c = r->ctx;
    r->ctx = NULL;
    struct dmem *d = c->d;
    enum dstatus from = c->from, to = c->to;
    free(c);
    if (status == CC_ECONFLICT) {
        char msg[96];
        snprintf(msg, sizeof msg, "a design cannot move from %s to %s", status_name(from),
                 status_name(to));
        req_fail(r, status, msg,
                 json_pack("{ssss}", "from", status_name(from), "to", status_name(to)));
    } else if (status == CC_ECLOSED) {
        req_fail(r, status, "the contest is closed: only production moves remain",
                 json_pack("{ss}", "phase", phase_name(PHASE_CLOSED)));
    } else if (status) {
        req_fail(r, status, NULL, NULL);
    } else {
        after_status(req_server(r), d, to);
        design_reply(r, d);
    }
}

void op_design_set_status(struct req *r)
{
    struct dmem *d = design_arg(r);
    if (!d)
        return;
    struct jargs_err e;
    const char *status, *note = NULL;
    if (jargs_string(r->msg, "status", JARGS_REQUIRED, 1, 32, &status, &e)) {
        req_fail_args(r, &e);
        return;
    }
    int to = status_parse(status);
    if (to < 0) {
        e.field = "status";
        snprintf(e.why, sizeof e.why, "is not a design status");
        req_fail_args(r, &e);
        return;
    }
    if (text_arg(r, "note", JARGS_OPTIONAL, WORKFLOW_NOTE_MAX, &note) < 0)
        return;
    struct status_ctx *c = xcalloc(1, sizeof *c);
    c->d = d;
    c->contest = catalog_contest_id(d);
    c->to = (enum dstatus)to;
    c->note = note;
    c->by = r->sess->account;
    c->at = server_now(req_server(r));
    req_submit(r, c, status_apply, status_done);
}

/* ---- design.hide ---- */

struct hide_ctx {
    struct dmem *d;
    const char *contest; /* the catalog's (fixed for the process) */
    int hidden;
    uint64_t by;
    int64_t at;
    int changed; /* out: the stored flag was different */
};

static int hide_apply(struct write_req *wr, MDB_txn *txn)
{
    struct req *r = container_of(wr, struct req, wr);
    struct hide_ctx *c = r->ctx;
    const struct store *st = req_server(r)->store;
    json_t *rec;
    c->changed = 0;
    int rc = design_load(txn, st, c->d->id, &rec);
    if (rc)
        return rc;
    if (json_is_true(json_object_get(rec, "hidden")) != c->hidden) {
        json_object_set_new(rec, "hidden", json_boolean(c->hidden));
        rc = design_save(txn, st, c->d->id, rec);
        c->changed = 1;
    }
    json_decref(rec);
    if (rc || !c->changed)
        return rc; /* nothing changed: nothing to log */
    char id[24], by[24];
    snprintf(id, sizeof id, "%llu", (unsigned long long)c->d->id);
    snprintf(by, sizeof by, "%llu", (unsigned long long)c->by);
    json_t *f = json_pack("{sssbss}", "design", id, "hidden", c->hidden, "by", by);
    rc = audit_append(txn, st, c->contest, c->at, "hide", f);
    json_decref(f);
    return rc;
}

static void hide_done(struct write_req *wr, int status)
{
    struct req *r = container_of(wr, struct req, wr);
    struct hide_ctx *c = r->ctx;
    r->ctx = NULL;
    struct dmem *d = c->d;
    int hidden = c->hidden, changed = c->changed;
    free(c);
    if (status) {
        req_fail(r, status, NULL, NULL);
        return;
    }
    if (changed) /* out of (or back into) its gallery's windows, its watchers told */
        after_hide(req_server(r), d, hidden);
    design_reply(r, d);
}

void op_design_hide(struct req *r)
{
    struct dmem *d = design_arg(r);
    if (!d)
        return;
    struct jargs_err e;
    int hidden;
    if (jargs_bool(r->msg, "hidden", JARGS_REQUIRED, &hidden, &e)) {
        req_fail_args(r, &e);
        return;
    }
    struct hide_ctx *c = xcalloc(1, sizeof *c);
    c->d = d;
    c->contest = catalog_contest_id(d);
    c->hidden = !!hidden;
    c->by = r->sess->account;
    c->at = server_now(req_server(r));
    req_submit(r, c, hide_apply, hide_done);
}

/* ---- design.report ---- */

struct report_ctx {
    struct dmem *d;
    uint64_t account;
    const char *reason; /* borrowed from r->msg */
    int64_t at;
};

static int report_apply(struct write_req *wr, MDB_txn *txn)
{
    struct req *r = container_of(wr, struct req, wr);
    struct report_ctx *c = r->ctx;
    return report_put(txn, req_server(r)->store, c->d->id, c->account, c->reason, c->at);
}

static void report_done(struct write_req *wr, int status)
{
    struct req *r = container_of(wr, struct req, wr);
    struct report_ctx *c = r->ctx;
    r->ctx = NULL;
    uint64_t id = c->d->id;
    free(c);
    if (status == CC_ECONFLICT) {
        req_fail(r, status, "you have reported this design already",
                 json_pack("{ss}", "field", "design"));
    } else if (status) {
        req_fail(r, status, NULL, NULL);
    } else {
        after_report(req_server(r), id);
        req_ok(r, NULL);
    }
}

void op_design_report(struct req *r)
{
    struct dmem *d = design_arg(r);
    if (!d)
        return;
    const char *reason;
    if (text_arg(r, "reason", JARGS_REQUIRED, REPORT_REASON_MAX, &reason))
        return;
    if (d->creator == r->sess->account) {
        req_fail(r, CC_EFORBIDDEN, "you cannot report your own design", NULL);
        return;
    }
    struct report_ctx *c = xcalloc(1, sizeof *c);
    c->d = d;
    c->account = r->sess->account;
    c->reason = reason;
    c->at = server_now(req_server(r));
    req_submit(r, c, report_apply, report_done);
}
