/* Ops `contest.create`, `contest.update` (brand), `contest.get`, `contest.list`
 * (SPEC §2, §4). Creates and updates are "contest" change records (change_contest.c),
 * checked in full by their apply against the stored record, so two concurrent updates
 * cannot lose each other's fields. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "ccerr.h"
#include "changes.h"
#include "contests.h"
#include "ops.h"
#include "req.h"
#include "server.h"
#include "util.h"

static void contest_reply(struct req *r, struct change *c, int status)
{
    if (status == CC_EBADARGS) {
        req_fail_args(r, &c->out.e);
    } else if (status) {
        const char *msg = status == CC_ECONFLICT    ? "a contest with this slug exists"
                          : status == CC_ENOTFOUND  ? "no such contest"
                          : status == CC_EFORBIDDEN ? "the open contest cannot be changed"
                                                    : NULL;
        req_fail(r, status, msg, NULL);
    } else {
        req_ok(r, json_pack("{so}", "contest",
                            contest_json(c->out.record, server_now(req_server(r)))));
    }
    change_free(c);
}

/* A "contest" record of the request's fields (all but the envelope's). */
static void submit(struct req *r, int create)
{
    json_t *args = json_deep_copy(req_msg(r));
    json_object_del(args, "id");
    json_object_del(args, "op");
    req_change_new(r, CH_CONTEST, json_pack("{sbso}", "create", create, "args", args),
                   contest_reply);
}

void op_contest_create(struct req *r)
{
    submit(r, 1);
}

void op_contest_update(struct req *r)
{
    struct jargs_err e;
    const char *id;
    if (req_str(r, "contest", JARGS_REQUIRED, 1, CONTEST_ID_MAX, &id, &e)) {
        req_fail_args(r, &e);
        return;
    }
    submit(r, 0);
}

void op_contest_get(struct req *r)
{
    struct jargs_err e;
    const char *id;
    if (req_str(r, "contest", JARGS_REQUIRED, 1, CONTEST_ID_MAX, &id, &e)) {
        req_fail_args(r, &e);
        return;
    }
    struct server *srv = req_server(r);
    MDB_txn *txn;
    json_t *rec = NULL;
    int rc = store_read_begin(srv->store, &txn);
    if (!rc) {
        rc = contest_record(txn, srv->store, id, &rec);
        store_read_end(srv->store, txn);
    }
    if (rc) {
        req_fail(r, rc, rc == CC_ENOTFOUND ? "no such contest" : NULL,
                 rc == CC_ENOTFOUND ? json_pack("{ss}", "field", "contest") : NULL);
        return;
    }
    json_t *c = contest_json(rec, server_now(srv));
    json_decref(rec);
    req_ok(r, json_pack("{so}", "contest", c));
}

void op_contest_list(struct req *r)
{
    struct jargs_err e;
    const char *phase = NULL;
    if (req_str(r, "phase", JARGS_OPTIONAL, 1, 16, &phase, &e) < 0) {
        req_fail_args(r, &e);
        return;
    }
    if (phase && phase_parse(phase) < 0) {
        e.field = "phase";
        snprintf(e.why, sizeof e.why, "must be upcoming, submissions, voting, judging or closed");
        req_fail_args(r, &e);
        return;
    }
    struct server *srv = req_server(r);
    json_t *all = json_array(), *out = json_array();
    MDB_txn *txn;
    int rc = store_read_begin(srv->store, &txn);
    if (!rc) {
        rc = contest_all(txn, srv->store, all);
        store_read_end(srv->store, txn);
    }
    size_t i;
    json_t *rec;
    int64_t now = server_now(srv);
    json_array_foreach(all, i, rec)
    {
        json_t *c = contest_json(rec, now);
        if (!phase || !strcmp(json_string_value(json_object_get(c, "phase")), phase))
            json_array_append_new(out, c);
        else
            json_decref(c);
    }
    json_decref(all);
    if (rc) {
        json_decref(out);
        req_fail(r, rc, NULL, NULL);
        return;
    }
    req_ok(r, json_pack("{so}", "contests", out));
}
