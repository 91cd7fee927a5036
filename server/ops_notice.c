/* Ops `notice.list` and `notice.read` (SPEC §8): the caller's notices, newest first,
 * with the unread count; marking them read is a "notice.read" change record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccerr.h"
#include "changes.h"
#include "notices.h"
#include "ops.h"
#include "req.h"
#include "server.h"

/* The caller's unread count now (0 on a store error). */
static uint64_t unread(struct req *r)
{
    struct server *srv = req_server(r);
    MDB_txn *txn;
    uint64_t n = 0;
    if (!store_read_begin(srv->store, &txn)) {
        n = notice_unread(txn, srv->store, r->sess->account);
        store_read_end(srv->store, txn);
    }
    return n;
}

void op_notice_list(struct req *r)
{
    uint64_t before;
    size_t limit;
    if (req_page_args(r, "a notice id", 50, NOTICE_PAGE_MAX, &before, &limit))
        return;
    struct server *srv = req_server(r);
    MDB_txn *txn;
    json_t *items = NULL;
    int more = 0;
    uint64_t n = 0;
    if (!store_read_begin(srv->store, &txn)) {
        items = notice_list(txn, srv->store, r->sess->account, before, limit, &more);
        n = notice_unread(txn, srv->store, r->sess->account);
        store_read_end(srv->store, txn);
    }
    if (!items) {
        req_fail(r, CC_EINTERNAL, NULL, NULL);
        return;
    }
    req_ok(r, json_pack("{sosbsI}", "items", items, "more", more, "unread", (json_int_t)n));
}

static void read_reply(struct req *r, struct change *c, int status)
{
    change_free(c);
    if (status)
        req_fail(r, status, NULL, NULL);
    else
        req_ok(r, json_pack("{sI}", "unread", (json_int_t)unread(r)));
}

void op_notice_read(struct req *r)
{
    struct jargs_err e;
    const char *upto;
    if (req_str(r, "upto", JARGS_REQUIRED, 1, 24, &upto, &e)) {
        req_fail_args(r, &e);
        return;
    }
    uint64_t id = strtoull(upto, NULL, 10);
    char s[24];
    if (!id || snprintf(s, sizeof s, "%llu", (unsigned long long)id) < 0 || strcmp(s, upto)) {
        e.field = "upto";
        snprintf(e.why, sizeof e.why, "must be a notice id");
        req_fail_args(r, &e);
        return;
    }
    req_change_new(r, CH_NOTICE_READ, json_pack("{ss}", "upto", s), read_reply);
}

uint64_t ops_unread(struct req *r)
{
    return unread(r);
}
