/* The brand's ops on designs and the members' reports (SPEC §2, §4):
 * `design.set_status` (brand) along SPEC §2's moves with an optional public note,
 * `design.hide` (brand), and `design.report` (any member, once per design). Each is a
 * change record ("status", "hide", "report": change_design.c) decided by its apply
 * against the stored record, so concurrent moves (or a threshold promotion)
 * serialise; the catalog and live views follow in the post-commit step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "ccerr.h"
#include "changes.h"
#include "contests.h"
#include "designs.h"
#include "moderation.h"
#include "ops.h"
#include "req.h"
#include "reports.h"
#include "server.h"
#include "util.h"
#include "workflow.h"

/* A text argument of 1..max Unicode characters; 1 when absent and optional. */
static int text_arg(struct req *r, const char *name, int required, size_t max, const char **out)
{
    struct jargs_err e;
    int rc = req_str(r, name, required, 0, 4 * max, out, &e);
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

static void status_reply(struct req *r, struct change *c, int status)
{
    struct dmem *d = catalog_design(req_server(r)->catalog, change_id(c, "design"));
    enum dstatus from = (enum dstatus)c->out.old;
    enum dstatus to = (enum dstatus)status_parse(change_str(c, "status"));
    change_free(c);
    if (status == CC_ECONFLICT) {
        char msg[96];
        snprintf(msg, sizeof msg, "a design cannot move from %s to %s", status_name(from),
                 status_name(to));
        req_fail(r, status, msg,
                 json_pack("{ssss}", "from", status_name(from), "to", status_name(to)));
    } else if (status == CC_ECLOSED && d &&
               contest_phase(catalog_contest(d), server_now(req_server(r))) != PHASE_CLOSED) {
        enum phase p = contest_phase(catalog_contest(d), server_now(req_server(r)));
        char msg[128];
        snprintf(msg, sizeof msg, "winners are picked once submissions have closed (the "
                 "contest is in %s)", phase_name(p));
        req_fail(r, status, msg, json_pack("{ss}", "phase", phase_name(p)));
    } else if (status == CC_ECLOSED) {
        req_fail(r, status, "the contest is closed: only production moves remain",
                 json_pack("{ss}", "phase", phase_name(PHASE_CLOSED)));
    } else if (status || !d) {
        req_fail(r, status ? status : CC_EINTERNAL, NULL, NULL);
    } else {
        design_reply(r, d);
    }
}

/* The design arg as the record's id (a string). */
static void design_id(const struct dmem *d, char id[24])
{
    snprintf(id, 24, "%llu", (unsigned long long)d->id);
}

void op_design_set_status(struct req *r)
{
    struct dmem *d = design_arg(r);
    if (!d)
        return;
    struct jargs_err e;
    const char *status, *note = NULL;
    if (req_str(r, "status", JARGS_REQUIRED, 1, 32, &status, &e)) {
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
    char id[24];
    design_id(d, id);
    json_t *args = json_pack("{ssss}", "design", id, "status", status);
    if (note)
        json_object_set_new(args, "note", json_string(note));
    req_change_new(r, CH_STATUS, args, status_reply);
}

/* ---- design.hide ---- */

static void hide_reply(struct req *r, struct change *c, int status)
{
    struct dmem *d = catalog_design(req_server(r)->catalog, change_id(c, "design"));
    change_free(c);
    if (status || !d)
        req_fail(r, status ? status : CC_EINTERNAL, NULL, NULL);
    else
        design_reply(r, d);
}

void op_design_hide(struct req *r)
{
    struct dmem *d = design_arg(r);
    if (!d)
        return;
    struct jargs_err e;
    int hidden;
    const char *reason = NULL;
    if (req_bool(r, "hidden", JARGS_REQUIRED, &hidden, &e) ||
        req_str(r, "reason", JARGS_OPTIONAL, 1, MODERATION_REASON_MAX, &reason, &e) < 0) {
        req_fail_args(r, &e);
        return;
    }
    char id[24];
    design_id(d, id);
    json_t *args = json_pack("{sssb}", "design", id, "hidden", hidden);
    if (reason)
        json_object_set_new(args, "reason", json_string(reason));
    req_change_new(r, CH_HIDE, args, hide_reply);
}

/* ---- design.report ---- */

static void report_reply(struct req *r, struct change *c, int status)
{
    change_free(c);
    if (status == CC_ECONFLICT)
        req_fail(r, status, "you have reported this design already",
                 json_pack("{ss}", "field", "design"));
    else if (status)
        req_fail(r, status, NULL, NULL);
    else
        req_ok(r, NULL);
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
    char id[24];
    design_id(d, id);
    req_change_new(r, CH_REPORT, json_pack("{ssss}", "design", id, "reason", reason),
                   report_reply);
}
