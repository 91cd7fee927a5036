/* Group-commit writer. See writer.h.
 * Thread use: `mu` guards queue, done list, stopping; `pending` and `stats` reads
 * outside the lock happen on the loop thread only for metrics (approximate is fine
 * for stats; `pending` is loop-thread-only). */
#include "writer.h"

#include <stdlib.h>

#include "ccerr.h"
#include "log.h"
#include "util.h"

struct writer {
    uv_loop_t *loop;
    struct store *store;
    uv_thread_t thread;
    uv_async_t async; /* writer → loop: batches done */
    uv_mutex_t mu;
    uv_cond_t cond;
    struct write_req *queue, **queue_tail; /* waiting for the next batch */
    struct write_req *done, **done_tail;   /* committed, waiting for the loop */
    uint64_t queued;                       /* in queue or in the current batch */
    int stopping;
    uint64_t pending; /* loop thread only: submitted, done not yet called */
    struct writer_stats stats;
};

/* Applies every request of the batch in one transaction and commits it. Sets each
 * request's status.
 *
 * Fast path: every request applied straight into the batch's transaction. A nested
 * transaction per request costs LMDB two allocations of its page lists and a merge
 * into the parent, ~4 us a request; most batches have no failing request, so they
 * do not need the isolation. When one fails (its writes may be half done), the whole
 * transaction is dropped and the batch re-applied with a nested transaction per
 * request, so that only the failing one rolls back (writer.h: applies may run more
 * than once). A full map grows and the batch is re-applied either way. */
static void run_batch(struct writer *w, struct write_req *batch, uint64_t n)
{
    int isolate = 0;
    for (;;) {
        MDB_txn *txn;
        int rc = store_write_begin(w->store, &txn), full = 0, failed = 0;
        if (rc) {
            for (struct write_req *r = batch; r; r = r->next)
                r->status = CC_EINTERNAL;
            return;
        }
        for (struct write_req *r = batch; r && !full && !failed; r = r->next) {
            if (!isolate) {
                r->status = r->apply(r, txn);
                full = r->status == STORE_EMAPFULL;
                failed = r->status != 0;
                continue;
            }
            MDB_txn *child;
            if ((rc = mdb_txn_begin(store_env(w->store), txn, 0, &child))) {
                r->status = store_err(rc);
                full = r->status == STORE_EMAPFULL;
                continue;
            }
            r->status = r->apply(r, child);
            if (r->status == 0)
                r->status = store_err(mdb_txn_commit(child));
            else
                mdb_txn_abort(child);
            if (r->status == STORE_EMAPFULL)
                full = 1;
        }
        if (failed && !full) {
            /* one request failed on the fast path: redo the batch isolated */
            store_write_abort(w->store, txn);
            isolate = 1;
            uv_mutex_lock(&w->mu);
            w->stats.isolated++;
            uv_mutex_unlock(&w->mu);
            continue;
        }
        if (!full) {
            rc = store_write_commit(w->store, txn);
            if (rc == STORE_EMAPFULL) {
                full = 1;
            } else {
                if (rc)
                    for (struct write_req *r = batch; r; r = r->next)
                        r->status = CC_EINTERNAL;
                uv_mutex_lock(&w->mu);
                w->stats.commits += rc == 0;
                w->stats.requests += n;
                if (n > w->stats.max_batch)
                    w->stats.max_batch = n;
                uv_mutex_unlock(&w->mu);
                return;
            }
        } else {
            store_write_abort(w->store, txn);
        }
        if (store_grow(w->store)) {
            for (struct write_req *r = batch; r; r = r->next)
                r->status = CC_EINTERNAL;
            return;
        }
        uv_mutex_lock(&w->mu);
        w->stats.map_growths++;
        uv_mutex_unlock(&w->mu);
    }
}

static void writer_main(void *arg)
{
    struct writer *w = arg;
    uv_mutex_lock(&w->mu);
    for (;;) {
        while (!w->queue && !w->stopping)
            uv_cond_wait(&w->cond, &w->mu);
        if (!w->queue)
            break; /* stopping and drained */
        struct write_req *batch = w->queue;
        uint64_t n = 0;
        for (struct write_req *r = batch; r; r = r->next)
            n++;
        w->queue = NULL;
        w->queue_tail = &w->queue;
        uv_mutex_unlock(&w->mu);

        run_batch(w, batch, n);

        uv_mutex_lock(&w->mu);
        *w->done_tail = batch;
        while (*w->done_tail)
            w->done_tail = &(*w->done_tail)->next;
        w->queued -= n;
        uv_async_send(&w->async);
    }
    uv_mutex_unlock(&w->mu);
}

/* Loop thread: runs the done callbacks of every finished request. */
static void on_async(uv_async_t *h)
{
    struct writer *w = container_of(h, struct writer, async);
    uv_mutex_lock(&w->mu);
    struct write_req *r = w->done;
    w->done = NULL;
    w->done_tail = &w->done;
    uv_mutex_unlock(&w->mu);
    while (r) {
        struct write_req *next = r->next;
        w->pending--;
        r->done(r, r->status);
        r = next;
    }
}

int writer_start(struct writer **out, uv_loop_t *loop, struct store *store)
{
    struct writer *w = xcalloc(1, sizeof *w);
    w->loop = loop;
    w->store = store;
    w->queue_tail = &w->queue;
    w->done_tail = &w->done;
    if (uv_mutex_init(&w->mu))
        goto fail_free;
    if (uv_cond_init(&w->cond))
        goto fail_mutex;
    if (uv_async_init(loop, &w->async, on_async))
        goto fail_cond;
    if (uv_thread_create(&w->thread, writer_main, w)) {
        uv_close((uv_handle_t *)&w->async, NULL);
        /* the handle lives in w: run the loop once so the close completes */
        uv_run(loop, UV_RUN_NOWAIT);
        goto fail_cond;
    }
    *out = w;
    return 0;

fail_cond:
    uv_cond_destroy(&w->cond);
fail_mutex:
    uv_mutex_destroy(&w->mu);
fail_free:
    free(w);
    return CC_EINTERNAL;
}

int writer_submit(struct writer *w, struct write_req *req, write_apply_fn apply,
                  write_done_fn done)
{
    req->apply = apply;
    req->done = done;
    req->next = NULL;
    req->status = 0;
    uv_mutex_lock(&w->mu);
    if (w->stopping || w->queued >= WRITER_MAX_QUEUED) {
        uv_mutex_unlock(&w->mu);
        return CC_EBUSY;
    }
    *w->queue_tail = req;
    w->queue_tail = &req->next;
    w->queued++;
    uv_cond_signal(&w->cond);
    uv_mutex_unlock(&w->mu);
    w->pending++;
    return 0;
}

uint64_t writer_pending(const struct writer *w)
{
    return w->pending;
}

void writer_get_stats(struct writer *w, struct writer_stats *out)
{
    uv_mutex_lock(&w->mu);
    *out = w->stats;
    out->queued = w->queued;
    uv_mutex_unlock(&w->mu);
}

static void on_closed(uv_handle_t *h)
{
    struct writer *w = container_of((uv_async_t *)h, struct writer, async);
    uv_cond_destroy(&w->cond);
    uv_mutex_destroy(&w->mu);
    free(w);
}

void writer_stop(struct writer *w)
{
    uv_mutex_lock(&w->mu);
    w->stopping = 1;
    uv_cond_signal(&w->cond);
    uv_mutex_unlock(&w->mu);
    /* The thread exits once the queue is empty; joining waits at most for the batch
     * being committed. Then deliver what it finished before the handle closes. */
    uv_thread_join(&w->thread);
    on_async(&w->async);
    uv_close((uv_handle_t *)&w->async, on_closed);
}
