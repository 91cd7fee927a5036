/* Ops `vote.cast` and `vote.clear` (SPEC §2, §4): one vote per (account, design),
 * casting again replaces it. The writer reads the previous vote inside the commit
 * (so concurrent votes serialise correctly) and the catalog applies the change only
 * after the commit: the tally in the reply is durable. A vote that brings a design's
 * supports to its contest's threshold shortlists it in the same transaction
 * (workflow.c). */
#include <stdio.h>
#include <stdlib.h>

#include "audit.h"
#include "catalog.h"
#include "ccerr.h"
#include "changes_after.h"
#include "contests.h"
#include "design_view.h"
#include "designs.h"
#include "ops.h"
#include "proto.h"
#include "server.h"
#include "util.h"
#include "workflow.h"

struct vote_ctx {
    struct dmem *d;
    uint64_t design;
    char contest[CONTEST_ID_MAX + 1]; /* copied on the loop: the writer never reads d */
    int64_t at;                       /* the server's clock when the vote arrived */
    uint64_t account;
    int value; /* new value; 0 = clear */
    int old;   /* set by the writer: previous value, 0 = none */
    struct workflow_vote wv; /* the threshold's view of it (workflow.h) */
};

static int vote_apply(struct write_req *wr, MDB_txn *txn)
{
    struct req *r = container_of(wr, struct req, wr);
    struct vote_ctx *v = r->ctx;
    const struct store *st = req_server(r)->store;
    MDB_dbi dbi = store_dbs(st)->votes;
    uint8_t key[16];
    put_be64(key, v->design);
    put_be64(key + 8, v->account);
    MDB_val old;
    int rc = store_get(txn, dbi, key, 16, &old);
    if (rc && rc != CC_ENOTFOUND)
        return rc;
    v->old = rc == 0 && old.mv_size == 1 ? (int8_t)((const uint8_t *)old.mv_data)[0] : 0;
    v->wv.promoted = 0;
    if (v->value == v->old)
        return 0; /* nothing changes: no log entry either */
    uint8_t val = (uint8_t)(int8_t)v->value;
    rc = v->value ? store_put(txn, dbi, key, 16, &val, 1, 0) : store_del(txn, dbi, key, 16);
    if (rc)
        return rc;
    /* In the same transaction as the vote: the log and the tallies never disagree. */
    rc = audit_vote(txn, st, v->contest, v->at, v->design, v->account, v->old, v->value);
    if (rc)
        return rc;
    v->wv.old_value = v->old;
    v->wv.new_value = v->value;
    return workflow_vote(txn, st, &v->wv);
}

static void vote_done(struct write_req *wr, int status)
{
    struct req *r = container_of(wr, struct req, wr);
    struct vote_ctx *v = r->ctx;
    r->ctx = NULL;
    if (status) {
        free(v);
        req_fail(r, status, NULL, NULL);
        return;
    }
    after_vote(req_server(r), v->d, v->old, v->value, v->wv.promoted);
    struct ccbuf res; /* {"tally":{...}}, written without a JSON tree */
    ccbuf_init(&res);
    ccbuf_append(&res, "{\"tally\":", 9);
    design_tally_json(v->d, &res);
    ccbuf_append(&res, "}", 1);
    free(v);
    req_ok_raw(r, (const char *)res.data, res.len);
    ccbuf_free(&res);
}

/* Checks what vote.cast and vote.clear share; returns the design (and its contest's
 * threshold) or fails r. */
static struct dmem *vote_target(struct req *r, uint64_t *threshold)
{
    struct jargs_err e;
    const char *id;
    if (jargs_string(r->msg, "design", JARGS_REQUIRED, 1, 32, &id, &e)) {
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
    *threshold = c->threshold;
    return d;
}

static void vote_submit(struct req *r, struct dmem *d, int value, uint64_t threshold)
{
    if (req_rate_limit(r, RATE_VOTES))
        return;
    struct vote_ctx *v = xcalloc(1, sizeof *v);
    v->d = d;
    v->design = d->id;
    snprintf(v->contest, sizeof v->contest, "%s", catalog_contest_id(d));
    v->at = server_now(req_server(r));
    v->account = r->sess->account;
    v->value = value;
    v->wv.design = d->id;
    v->wv.contest = catalog_contest_id(d);
    v->wv.scale = catalog_scale(d);
    v->wv.threshold = threshold;
    v->wv.maybe_submitted = d->status == ST_SUBMITTED;
    v->wv.at = server_now(req_server(r));
    req_submit(r, v, vote_apply, vote_done);
}

void op_vote_cast(struct req *r)
{
    uint64_t threshold;
    struct dmem *d = vote_target(r, &threshold);
    if (!d)
        return;
    json_int_t value;
    struct jargs_err e;
    if (jargs_int(r->msg, "value", JARGS_REQUIRED, -1000, 1000, &value, &e)) {
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
    vote_submit(r, d, (int)value, threshold);
}

void op_vote_clear(struct req *r)
{
    uint64_t threshold;
    struct dmem *d = vote_target(r, &threshold);
    if (d)
        vote_submit(r, d, 0, threshold);
}
