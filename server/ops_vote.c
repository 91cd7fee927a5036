/* Ops `vote.cast` and `vote.clear` (SPEC §2, §4): one vote per (account, design),
 * casting again replaces it. Checked here against the catalog, then a "vote" change
 * record (change_vote.c: its apply reads the previous vote inside the commit, so
 * concurrent votes serialise, and shortlists at a threshold); the catalog counts it in
 * the post-commit step, so the tally in the reply is durable. */
#include <stdio.h>
#include <stdlib.h>

#include "catalog.h"
#include "ccerr.h"
#include "changes.h"
#include "contests.h"
#include "design_view.h"
#include "designs.h"
#include "ops.h"
#include "req.h"
#include "server.h"
#include "util.h"

/* The reply: the design's tally after the post-commit step counted the vote. */
static void vote_reply(struct req *r, struct change *c, int status)
{
    struct server *srv = req_server(r);
    struct dmem *d = catalog_design(srv->catalog, c->f.vote.design);
    change_free(c);
    if (status == CC_ECLOSED && d) { /* the phase moved on while the vote was in flight */
        enum phase p = contest_phase(catalog_contest(d), server_now(srv));
        char msg[96];
        snprintf(msg, sizeof msg, "voting is not open (the contest is in %s)", phase_name(p));
        req_fail(r, status, msg, json_pack("{ss}", "phase", phase_name(p)));
        return;
    }
    if (status || !d) {
        req_fail(r, status ? status : CC_EINTERNAL, NULL, NULL);
        return;
    }
    struct ccbuf res; /* {"tally":{...}}, written without a JSON tree */
    ccbuf_init(&res);
    ccbuf_append(&res, "{\"tally\":", 9);
    design_tally_json(d, &res);
    ccbuf_append(&res, "}", 1);
    req_ok_raw(r, (const char *)res.data, res.len);
    ccbuf_free(&res);
}

/* Checks what vote.cast and vote.clear share; returns the design or fails r. */
static struct dmem *vote_target(struct req *r)
{
    struct jargs_err e;
    const char *id;
    if (req_str(r, "design", JARGS_REQUIRED, 1, 32, &id, &e)) {
        req_fail_args(r, &e);
        return NULL;
    }
    struct server *srv = req_server(r);
    struct dmem *d = catalog_design(srv->catalog, design_parse_id(id));
    if (!d || !dmem_visible(d, r->sess)) {
        req_fail(r, CC_ENOTFOUND, "no such design", json_pack("{ss}", "field", "design"));
        return NULL;
    }
    if (d->creator == r->sess->account) {
        req_fail(r, CC_EFORBIDDEN, "you cannot vote on your own design", NULL);
        return NULL;
    }
    const struct contest *c = catalog_contest(d);
    enum phase p = contest_phase(c, server_now(srv));
    if (p != PHASE_SUBMISSIONS && p != PHASE_VOTING) {
        char msg[96];
        snprintf(msg, sizeof msg, "voting is not open (the contest is in %s)", phase_name(p));
        req_fail(r, CC_ECLOSED, msg, json_pack("{ss}", "phase", phase_name(p)));
        return NULL;
    }
    return d;
}

static void vote_submit(struct req *r, struct dmem *d, int value)
{
    if (req_rate_limit(r, RATE_VOTES))
        return;
    req_change(r,
               change_vote_new(server_now(req_server(r)), r->sess->account, d->id,
                               catalog_contest_id(d), value),
               vote_reply);
}

void op_vote_cast(struct req *r)
{
    struct dmem *d = vote_target(r);
    if (!d)
        return;
    json_int_t value;
    struct jargs_err e;
    if (req_int(r, "value", JARGS_REQUIRED, -1000, 1000, &value, &e)) {
        req_fail_args(r, &e);
        return;
    }
    const struct scale *s = catalog_scale(d);
    if (!s->valid((int)value)) {
        e.field = "value";
        snprintf(e.why, sizeof e.why, "must be %s on the %s scale", s->values, s->name);
        req_fail_args(r, &e);
        return;
    }
    vote_submit(r, d, (int)value);
}

void op_vote_clear(struct req *r)
{
    struct dmem *d = vote_target(r);
    if (d)
        vote_submit(r, d, 0);
}
