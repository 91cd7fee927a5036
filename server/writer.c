/* Group-commit writer. See writer.h.
 * Thread use: `mu` guards queue, done list, stopping; `pending` and `stats` reads
 * outside the lock happen on the loop thread only for metrics (approximate is fine
 * for stats; `pending` is loop-thread-only). */
#include "writer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ccerr.h"
#include "journal.h"
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
    /* journal mode (writer thread only, after writer_set_journal) */
    struct journal *journal;
    uint64_t next_seq;
    uint64_t checkpoint_ns; /* when the last checkpoint was made */
    uint64_t checkpoint_ms; /* the interval */
    struct ccbuf enc;
};

/* Journal mode: appends the batch's records and syncs the journal. Returns 0 with
 * *last the last sequence given (0: the batch has no record), or -1. */
static int journal_batch(struct writer *w, struct write_req *batch, uint64_t *last)
{
    uint64_t seq = w->next_seq;
    *last = 0;
    for (struct write_req *r = batch; r; r = r->next) {
        if (!r->encode)
            continue;
        w->enc.len = 0;
        if (r->encode(r, &w->enc)) {
            log_error("journal: a change record could not be encoded");
            journal_rewind(w->journal, journal_size(w->journal)); /* drops what is buffered */
            return -1;
        }
        journal_append(w->journal, seq++, w->enc.data, w->enc.len);
    }
    if (seq == w->next_seq)
        return 0;
    if (journal_sync(w->journal)) {
        log_error("journal: cannot write or sync the journal: %s", strerror(errno));
        return -1;
    }
    uv_mutex_lock(&w->mu);
    w->stats.journaled += seq - w->next_seq;
    uv_mutex_unlock(&w->mu);
    w->next_seq = seq;
    *last = seq - 1;
    return 0;
}

static void checkpoint(struct writer *w, int force)
{
    uint64_t now = uv_hrtime();
    if (!force && now - w->checkpoint_ns < w->checkpoint_ms * 1000000 &&
        journal_size(w->journal) < WRITER_CHECKPOINT_BYTES)
        return;
    w->checkpoint_ns = now;
    if (store_checkpoint(w->store, 1)) {
        log_error("journal: the checkpoint failed: the journal keeps every record since "
                  "the last one");
        return;
    }
    if (journal_reset(w->journal))
        log_error("journal: cannot empty the journal after a checkpoint: %s",
                  strerror(errno));
    uint64_t ms = (uv_hrtime() - now) / 1000000;
    uv_mutex_lock(&w->mu);
    w->stats.checkpoints++;
    w->stats.checkpoint_last_ms = ms;
    if (ms > w->stats.checkpoint_max_ms)
        w->stats.checkpoint_max_ms = ms;
    uv_mutex_unlock(&w->mu);
}

/* Every request of the batch failed as a whole (CC_EINTERNAL): in journal mode its
 * records leave the journal, since none was applied. */
static void fail_batch(struct writer *w, struct write_req *batch, uint64_t journal_before,
                       uint64_t first_seq)
{
    if (w->journal && w->next_seq != first_seq) {
        if (journal_rewind(w->journal, journal_before))
            log_error("journal: cannot cut off the records of a failed batch: they will "
                      "be applied at the next start");
        w->next_seq = first_seq;
    }
    for (struct write_req *r = batch; r; r = r->next)
        r->status = CC_EINTERNAL;
}

/* Applies every request of the batch in one transaction and commits it. Sets each
 * request's status. In journal mode the batch's records are first appended to the
 * journal and synced; the commit then does not sync (store_set_journaled).
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
    uint64_t start_ns = uv_hrtime();
    uint64_t last_seq = 0, first_seq = w->next_seq;
    uint64_t journal_before = w->journal ? journal_size(w->journal) : 0;
    if (w->journal && journal_batch(w, batch, &last_seq)) {
        fail_batch(w, batch, journal_before, first_seq);
        return;
    }
    for (;;) {
        MDB_txn *txn;
        int rc = store_write_begin(w->store, &txn), full = 0, failed = 0;
        if (rc) {
            fail_batch(w, batch, journal_before, first_seq);
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
        rc = 0;
        if (!full && last_seq) { /* where start-up resumes the journal */
            uint8_t be[8];
            put_be64(be, last_seq);
            rc = store_put(txn, store_dbs(w->store)->meta, JOURNAL_SEQ_KEY,
                           strlen(JOURNAL_SEQ_KEY), be, 8, 0);
            full = rc == STORE_EMAPFULL;
        }
        if (!full && rc) {
            store_write_abort(w->store, txn);
        } else if (!full) {
            rc = store_write_commit(w->store, txn);
            full = rc == STORE_EMAPFULL;
        } else {
            store_write_abort(w->store, txn);
        }
        if (!full) {
            if (rc)
                fail_batch(w, batch, journal_before, first_seq);
            uv_mutex_lock(&w->mu);
            w->stats.commits += rc == 0;
            if (rc == 0) {
                histo_add(&w->stats.batch, &histo_sizes, n);
                histo_add(&w->stats.commit_ns, &histo_latency, uv_hrtime() - start_ns);
            }
            w->stats.requests += n;
            if (n > w->stats.max_batch)
                w->stats.max_batch = n;
            uv_mutex_unlock(&w->mu);
            if (!rc && w->journal)
                checkpoint(w, 0);
            return;
        }
        if (store_grow(w->store)) {
            fail_batch(w, batch, journal_before, first_seq);
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
    if (w->journal)
        checkpoint(w, 1); /* a clean stop leaves the journal empty */
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

static int submit(struct writer *w, struct write_req *req, write_apply_fn apply,
                  write_done_fn done, write_encode_fn encode)
{
    req->apply = apply;
    req->done = done;
    req->encode = encode;
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

int writer_submit_record(struct writer *w, struct write_req *req, write_apply_fn apply,
                         write_done_fn done, write_encode_fn encode)
{
    return submit(w, req, apply, done, encode);
}

int writer_submit(struct writer *w, struct write_req *req, write_apply_fn apply,
                  write_done_fn done)
{
    return submit(w, req, apply, done, NULL);
}

void writer_set_journal(struct writer *w, struct journal *j, uint64_t next_seq,
                        int checkpoint_ms)
{
    uv_mutex_lock(&w->mu);
    w->checkpoint_ms = checkpoint_ms > 0 ? (uint64_t)checkpoint_ms : WRITER_CHECKPOINT_MS;
    w->journal = j;
    w->next_seq = next_seq;
    w->checkpoint_ns = uv_hrtime();
    uv_mutex_unlock(&w->mu);
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
    ccbuf_free(&w->enc);
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
