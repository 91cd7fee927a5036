/* The consistent snapshot of a contest (contest.results and the export): sequenced
 * through the writer like a write whose apply only reads the audit log's head, so its
 * done callback runs after the done callbacks of every write applied before it and
 * before any later one: the catalog then holds exactly the tallies of the log's first
 * `length` entries. A lone snapshot commits an empty transaction (no disk sync). See
 * snapshot.h. Loop thread, except snapshot_apply (writer). */
#include "snapshot.h"

#include <stdio.h>
#include <stdlib.h>

#include "catalog.h"
#include "contests.h"
#include "server.h"
#include "util.h"
#include "writer.h"

struct snapshot {
    struct write_req wr;
    struct server *srv;
    char contest[CONTEST_ID_MAX + 1];
    struct audit_head head;
    snapshot_fn cb;
    void *user;
};

static int snapshot_apply(struct write_req *wr, MDB_txn *txn)
{
    struct snapshot *s = container_of(wr, struct snapshot, wr);
    return audit_head(txn, s->srv->store, s->contest, &s->head);
}

static void snapshot_done(struct write_req *wr, int status)
{
    struct snapshot *s = container_of(wr, struct snapshot, wr);
    if (!status) /* the ranking is exact, not as of the last rescoring pass */
        catalog_settle(s->srv->catalog, s->contest);
    s->cb(s->user, status, &s->head);
    free(s);
}

int snapshot_take(struct server *srv, const char *contest, snapshot_fn cb, void *user)
{
    struct snapshot *s = xcalloc(1, sizeof *s);
    s->srv = srv;
    snprintf(s->contest, sizeof s->contest, "%s", contest);
    s->cb = cb;
    s->user = user;
    int rc = writer_submit(srv->writer, &s->wr, snapshot_apply, snapshot_done);
    if (rc)
        free(s);
    return rc;
}

