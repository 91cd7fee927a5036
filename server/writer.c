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
#include "votes.h"

/* What the journal thread hands the applier: the requests it took from the queue at
 * once, their records written to the journal; `synced` says when they are durable. */
struct batch {
    struct batch *next;
    struct write_req *head, **tail;
    uint64_t n;
    uint64_t first_seq, last_seq; /* last_seq 0: no record in it */
    uint64_t journal_before;      /* the journal's size before its records */
    uint64_t start_ns;            /* taken from the queue */
    int synced; /* mu: its records are durable (or failed is set) */
    int failed; /* mu: its records could not be written or synced */
    int skip;   /* the applier's copy of failed: not applied */
};

struct writer {
    uv_loop_t *loop;
    struct store *store;
    uv_thread_t thread;  /* the applier: the LMDB write transactions */
    uv_thread_t jthread; /* journal mode: appends and syncs the records */
    int jthread_started;
    uv_async_t async; /* writer → loop: batches done */
    uv_check_t kick_check; /* loop: wakes the writer once an iteration */
    uv_idle_t kick_idle;   /* keeps the loop's poll from blocking while a kick waits */
    int kick_pending;
    int handles_open;
    uv_mutex_t mu;
    uv_cond_t cond;  /* the applier waits on it */
    uv_cond_t jcond; /* the journal thread waits on it */
    struct write_req *queue, **queue_tail; /* waiting for the next batch */
    struct batch *ready, **ready_tail;     /* journaled, waiting for the applier */
    struct write_req *done, **done_tail;   /* committed, waiting for the loop */
    uint64_t queued;                       /* submitted and not yet done */
    int stopping;
    int jbusy;    /* the journal thread holds a batch */
    int jpaused;  /* the applier asked it to take none (a checkpoint, a rewind) */
    int jexited;
    int jbroken;  /* mu: a failed batch's records could not be cut off the journal, so
                     where its records end is unknown: every later write is refused */
    uint64_t jbytes; /* the journal's size after the last batch (mu) */
    uint64_t pending; /* loop thread only: submitted, done not yet called */
    struct writer_stats stats;
    /* journal mode: the journal thread's, or the applier's while the journal is paused */
    struct journal *journal;
    uint64_t next_seq;
    struct ccbuf enc;
    /* the applier's */
    uint64_t checkpoint_ns; /* when the last checkpoint was made */
    uint64_t checkpoint_ms; /* the interval */
};

/* The journal thread: appends the batch's records and writes them to the journal
 * file (not yet synced). Returns 0 with *last the last sequence given (0: the batch has
 * no record), or -1 (nothing of it in the journal). */
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
    if (journal_write(w->journal)) {
        log_error("journal: cannot write the journal: %s", strerror(errno));
        return -1;
    }
    uv_mutex_lock(&w->mu);
    w->stats.journaled += seq - w->next_seq;
    uv_mutex_unlock(&w->mu);
    w->next_seq = seq;
    *last = seq - 1;
    return 0;
}

/* The applier, mu held: waits until the journal thread holds no batch, and makes it
 * take none until journal_resume. Returns whether it was paused already. */
static int journal_pause(struct writer *w)
{
    int was = w->jpaused;
    w->jpaused = 1;
    while (w->jbusy)
        uv_cond_wait(&w->cond, &w->mu);
    return was;
}

static void journal_resume(struct writer *w)
{
    w->jpaused = 0;
    uv_cond_signal(&w->jcond);
}

/* mu held: every journaled batch, in order (NULL: none). */
static struct batch *take_ready(struct writer *w)
{
    struct batch *b = w->ready;
    for (struct batch *x = b; x; x = x->next)
        w->stats.journaled_waiting -= x->n;
    w->ready = NULL;
    w->ready_tail = &w->ready;
    return b;
}

static void fail_reqs(struct batch *b)
{
    for (struct write_req *r = b->head; r; r = r->next)
        r->status = CC_EINTERNAL;
}

/* The applier: folds the vote log into the votes table (votes.h). A failure leaves the
 * log as it is (read as before) and is logged. */
static void fold_votes(struct writer *w)
{
    if (votes_fold_store(w->store))
        log_error("votes: the vote log could not be folded into the votes table; it is "
                  "kept, and folding is tried again");
}

/* The applier, the journal paused (no batch held by the journal thread, every
 * journaled one applied): makes every commit so far durable in the data file, so the
 * journal starts again empty. */
static void checkpoint(struct writer *w)
{
    uint64_t now = uv_hrtime();
    w->checkpoint_ns = now;
    fold_votes(w); /* the checkpoint then writes each leaf the log's votes touch once */
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
    w->jbytes = journal_size(w->journal);
    w->stats.checkpoints++;
    w->stats.checkpoint_last_ms = ms;
    if (ms > w->stats.checkpoint_max_ms)
        w->stats.checkpoint_max_ms = ms;
    uv_mutex_unlock(&w->mu);
}

/* The applier, mu held: at least every checkpoint_ms, and when the journal passes
 * WRITER_CHECKPOINT_BYTES. */
static int checkpoint_due(const struct writer *w)
{
    return uv_hrtime() - w->checkpoint_ns >= w->checkpoint_ms * 1000000 ||
           w->jbytes >= WRITER_CHECKPOINT_BYTES;
}

/* The requests of batches b to apply, in order: the next after r (NULL: the first). */
static struct write_req *next_req(struct batch **b, struct write_req *r)
{
    if (r && r->next)
        return r->next;
    for (*b = r ? (*b)->next : *b; *b; *b = (*b)->next)
        if (!(*b)->skip && (*b)->head)
            return (*b)->head;
    return NULL;
}

/* The journal thread, or the applier with it paused: cuts a failed batch's records off
 * the journal (zeroed and synced from `before`, its size before them) and gives their
 * sequences out again. Returns 1, or 0 when that failed too: the journal's end on disk
 * is then unknown (records written after it could follow a gap that a restart's replay
 * stops at), so the writer refuses every later write and says so. */
static int cut_off(struct writer *w, uint64_t before, uint64_t first_seq)
{
    if (journal_rewind(w->journal, before)) {
        log_error("journal: cannot cut off the records of a failed batch (%s): every write "
                  "is refused from now on; restart the server once the disk is sound (the "
                  "journal's durable records are applied at start)", strerror(errno));
        return 0;
    }
    w->next_seq = first_seq;
    return 1;
}

/* The batches b..end failed as a whole (their transaction could not commit): every
 * request CC_EINTERNAL. In journal mode their records leave the journal, since none
 * was applied — and so do the records journaled after them, whose batches (taken here
 * and chained after b's last) fail too. */
static void fail_batches(struct writer *w, struct batch *b)
{
    struct batch *last = b;
    while (last->next)
        last = last->next;
    if (w->journal) {
        uv_mutex_lock(&w->mu);
        int was = journal_pause(w);
        last->next = take_ready(w);
        uv_mutex_unlock(&w->mu);
        int cut = cut_off(w, b->journal_before, b->first_seq);
        uv_mutex_lock(&w->mu);
        w->jbroken |= !cut;
        w->jbytes = journal_size(w->journal);
        if (!was)
            journal_resume(w);
        uv_mutex_unlock(&w->mu);
    }
    for (; b; b = b->next)
        fail_reqs(b);
}

/* The applier, before a commit: waits until the records of batches b..last are
 * durable (the journal thread syncs them while they are applied). Returns 1, or 0 when
 * a batch's records failed: it is skipped from now on and its requests fail. */
static int sync_wait(struct writer *w, struct batch *b, const struct batch *last)
{
    int ok = 1;
    uv_mutex_lock(&w->mu);
    while (!last->synced)
        uv_cond_wait(&w->cond, &w->mu);
    for (; b; b = b->next)
        if (b->failed && !b->skip) {
            b->skip = 1;
            fail_reqs(b);
            ok = 0;
        }
    uv_mutex_unlock(&w->mu);
    return ok;
}

/* Applies every request of the batches b (their records journaled) in one transaction
 * and commits it. Sets each request's status; more batches may be chained after b's
 * last (fail_batches).
 *
 * Fast path: every request applied straight into the transaction. A nested
 * transaction per request costs LMDB two allocations of its page lists and a merge
 * into the parent, ~4 us a request; most batches have no failing request, so they
 * do not need the isolation. When one fails (its writes may be half done), the whole
 * transaction is dropped and the batch re-applied with a nested transaction per
 * request, so that only the failing one rolls back (writer.h: applies may run more
 * than once). A full map grows and the batch is re-applied either way. */
static void apply_batches(struct writer *w, struct batch *b)
{
    int isolate = 0;
    struct batch *last = b;
    while (last->next)
        last = last->next;
    for (;;) {
        uint64_t n = 0, last_seq = 0;
        for (struct batch *x = b; x; x = x->next) {
            n += x->skip ? 0 : x->n;
            if (!x->skip && x->last_seq)
                last_seq = x->last_seq;
        }
        if (!n) { /* nothing to apply; the journal thread lets go of them when synced */
            sync_wait(w, b, last);
            return;
        }
        MDB_txn *txn;
        int rc = store_write_begin(w->store, &txn), full = 0, failed = 0;
        if (rc) {
            fail_batches(w, b);
            return;
        }
        struct batch *at = b;
        for (struct write_req *r = next_req(&at, NULL); r && !full && !failed;
             r = next_req(&at, r)) {
            if (!isolate) {
                r->status = r->apply(r, txn);
                full = r->status == STORE_EMAPFULL;
                failed = r->status != 0;
                continue;
            }
            MDB_txn *child;
            uint64_t mark;
            if ((r->status = store_child_begin(w->store, txn, &child, &mark))) {
                full = r->status == STORE_EMAPFULL;
                continue;
            }
            r->status = store_child_end(w->store, child, r->apply(r, child), mark);
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
        if (!full && !sync_wait(w, b, last)) {
            /* a record of the transaction did not become durable: without its batch */
            store_write_abort(w->store, txn);
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
                fail_batches(w, b);
            uv_mutex_lock(&w->mu);
            w->stats.commits += rc == 0;
            if (rc == 0) {
                histo_add(&w->stats.batch, &histo_sizes, n);
                histo_add(&w->stats.commit_ns, &histo_latency, uv_hrtime() - b->start_ns);
            }
            w->stats.requests += n;
            if (n > w->stats.max_batch)
                w->stats.max_batch = n;
            uv_mutex_unlock(&w->mu);
            return;
        }
        if (store_grow(w->store)) {
            fail_batches(w, b);
            return;
        }
        uv_mutex_lock(&w->mu);
        w->stats.map_growths++;
        uv_mutex_unlock(&w->mu);
    }
}

/* mu held: the requests of batches b go to the loop, in order; b is freed (the first
 * may be the caller's). */
static void finish(struct writer *w, struct batch *b, struct batch *own)
{
    while (b) {
        struct batch *next = b->next;
        if (b->head) {
            *w->done_tail = b->head;
            w->done_tail = b->tail;
        }
        w->queued -= b->n;
        if (b != own)
            free(b);
        b = next;
    }
    uv_async_send(&w->async);
}

/* mu held: the queue as one batch in b. */
static void take_queue(struct writer *w, struct batch *b)
{
    memset(b, 0, sizeof *b);
    b->head = w->queue;
    b->tail = w->queue_tail;
    b->start_ns = uv_hrtime();
    for (struct write_req *r = b->head; r; r = r->next)
        b->n++;
    w->queue = NULL;
    w->queue_tail = &w->queue;
}

/* The journal thread (journal mode): takes everything queued, writes its records to
 * the journal, hands the batch to the applier and syncs the journal while the applier
 * applies it; the applier commits once the sync is done. A batch's sync thus overlaps
 * its apply (and the commit of the batch before). */
static void journal_main(void *arg)
{
    struct writer *w = arg;
    uv_mutex_lock(&w->mu);
    for (;;) {
        while ((!w->queue && !w->stopping) || w->jpaused)
            uv_cond_wait(&w->jcond, &w->mu);
        if (!w->queue)
            break; /* stopping and drained */
        struct batch *b = xmalloc(sizeof *b);
        take_queue(w, b);
        w->jbusy = 1;
        int broken = w->jbroken;
        uv_mutex_unlock(&w->mu);

        b->first_seq = w->next_seq;
        b->journal_before = journal_size(w->journal);
        int rc = broken ? -1 : journal_batch(w, b->head, &b->last_seq);
        if (rc) { /* nothing of it in the journal: the applier passes it on */
            b->failed = b->skip = 1;
            fail_reqs(b);
        }
        uv_mutex_lock(&w->mu);
        *w->ready_tail = b; /* the applier's from here (it frees it once synced is set);
                               its flags under mu */
        w->ready_tail = &b->next;
        w->stats.journaled_waiting += b->n;
        uv_cond_signal(&w->cond);
        uv_mutex_unlock(&w->mu);

        if (!rc && b->last_seq && journal_datasync(w->journal)) {
            log_error("journal: cannot sync the journal: %s", strerror(errno));
            rc = -1;
        }
        int cut = !rc || broken || cut_off(w, b->journal_before, b->first_seq);

        uv_mutex_lock(&w->mu);
        w->jbroken |= !cut;
        if (rc)
            b->failed = 1;
        b->synced = 1;
        w->jbytes = journal_size(w->journal);
        w->jbusy = 0;
        uv_cond_signal(&w->cond);
    }
    w->jexited = 1;
    uv_cond_signal(&w->cond);
    uv_mutex_unlock(&w->mu);
}

/* The applier. Journal mode: applies what the journal thread has synced, every batch
 * waiting at once in one transaction, and makes the checkpoints (the journal paused).
 * Otherwise it takes the queue itself (cluster mode: the stream is the journal, and
 * each commit syncs). */
static void writer_main(void *arg)
{
    struct writer *w = arg;
    struct batch own;
    uv_mutex_lock(&w->mu);
    for (;;) {
        struct batch *b;
        if (w->journal) {
            while (!w->ready && !w->jexited)
                uv_cond_wait(&w->cond, &w->mu);
            if (!(b = take_ready(w)))
                break; /* the journal thread stopped, nothing left */
        } else {
            while (!w->queue && !w->stopping && !w->journal)
                uv_cond_wait(&w->cond, &w->mu);
            if (w->journal)
                continue; /* journal mode began (before any submit) */
            if (!w->queue)
                break; /* stopping and drained */
            take_queue(w, b = &own);
            own.synced = 1; /* no journal: each commit syncs */
        }
        uv_mutex_unlock(&w->mu);

        apply_batches(w, b);

        uv_mutex_lock(&w->mu);
        if (w->journal && checkpoint_due(w)) {
            /* before the batch is handed back, as a checkpoint always was: once a
             * request is answered, nothing it caused is still being written */
            journal_pause(w);
            struct batch *more = take_ready(w); /* journaled: applied before the
                                                   journal empties */
            uv_mutex_unlock(&w->mu);
            if (more)
                apply_batches(w, more);
            checkpoint(w);
            uv_mutex_lock(&w->mu);
            finish(w, b, &own);
            if (more)
                finish(w, more, NULL);
            journal_resume(w);
        } else {
            finish(w, b, &own);
        }
        if (votes_fold_due(w->store, uv_hrtime())) { /* cluster mode's, or a long log's, between */
            uv_mutex_unlock(&w->mu);
            fold_votes(w);
            uv_mutex_lock(&w->mu);
        }
    }
    uv_mutex_unlock(&w->mu);
    if (w->journal)
        checkpoint(w); /* a clean stop leaves the journal empty */
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

/* Nothing to do: while it is started, the loop's poll does not block, so the check
 * below runs in this iteration even when the submit came from a timer. */
static void on_idle(uv_idle_t *h)
{
    (void)h;
}

/* Loop thread, after each iteration's I/O: what was submitted in it wakes the writer
 * once (one batch for everything a poll brought, one futex wake-up). */
static void on_kick(uv_check_t *h)
{
    struct writer *w = container_of(h, struct writer, kick_check);
    if (!w->kick_pending)
        return;
    w->kick_pending = 0;
    uv_idle_stop(&w->kick_idle);
    uv_mutex_lock(&w->mu);
    uv_cond_signal(w->journal ? &w->jcond : &w->cond);
    uv_mutex_unlock(&w->mu);
}

int writer_start(struct writer **out, uv_loop_t *loop, struct store *store)
{
    struct writer *w = xcalloc(1, sizeof *w);
    w->loop = loop;
    w->store = store;
    w->queue_tail = &w->queue;
    w->ready_tail = &w->ready;
    w->done_tail = &w->done;
    if (uv_mutex_init(&w->mu))
        goto fail_free;
    if (uv_cond_init(&w->cond))
        goto fail_mutex;
    if (uv_cond_init(&w->jcond))
        goto fail_cond1;
    if (uv_async_init(loop, &w->async, on_async))
        goto fail_cond;
    uv_check_init(loop, &w->kick_check);
    uv_idle_init(loop, &w->kick_idle);
    uv_check_start(&w->kick_check, on_kick);
    uv_unref((uv_handle_t *)&w->kick_check); /* it alone keeps no loop running */
    w->handles_open = 3;
    if (uv_thread_create(&w->thread, writer_main, w)) {
        uv_close((uv_handle_t *)&w->async, NULL);
        uv_close((uv_handle_t *)&w->kick_check, NULL);
        uv_close((uv_handle_t *)&w->kick_idle, NULL);
        /* the handles live in w: run the loop once so the closes complete */
        uv_run(loop, UV_RUN_NOWAIT);
        goto fail_cond;
    }
    *out = w;
    return 0;

fail_cond:
    uv_cond_destroy(&w->jcond);
fail_cond1:
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
    uv_mutex_unlock(&w->mu);
    if (!w->kick_pending) {
        w->kick_pending = 1;
        uv_idle_start(&w->kick_idle, on_idle);
    }
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

int writer_set_journal(struct writer *w, struct journal *j, uint64_t next_seq,
                       int checkpoint_ms)
{
    uv_mutex_lock(&w->mu);
    w->checkpoint_ms = checkpoint_ms > 0 ? (uint64_t)checkpoint_ms : WRITER_CHECKPOINT_MS;
    w->journal = j;
    w->next_seq = next_seq;
    w->jbytes = journal_size(j);
    w->checkpoint_ns = uv_hrtime();
    int rc = uv_thread_create(&w->jthread, journal_main, w);
    w->jthread_started = rc == 0;
    if (rc)
        w->journal = NULL;
    uv_cond_signal(&w->cond); /* the applier waits for the journal thread from now on */
    uv_mutex_unlock(&w->mu);
    return rc ? CC_EINTERNAL : 0;
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
    struct writer *w = h->data;
    if (--w->handles_open)
        return;
    uv_cond_destroy(&w->cond);
    uv_cond_destroy(&w->jcond);
    uv_mutex_destroy(&w->mu);
    ccbuf_free(&w->enc);
    free(w);
}

void writer_stop(struct writer *w)
{
    uv_mutex_lock(&w->mu);
    w->stopping = 1;
    uv_cond_signal(&w->cond);
    uv_cond_signal(&w->jcond);
    uv_mutex_unlock(&w->mu);
    /* The threads exit once the queue is empty; joining waits at most for the batches
     * being journaled and committed. Then deliver what they finished before the handle
     * closes. */
    if (w->jthread_started)
        uv_thread_join(&w->jthread);
    uv_thread_join(&w->thread);
    on_async(&w->async);
    w->async.data = w->kick_check.data = w->kick_idle.data = w;
    uv_close((uv_handle_t *)&w->async, on_closed);
    uv_close((uv_handle_t *)&w->kick_check, on_closed);
    uv_close((uv_handle_t *)&w->kick_idle, on_closed);
}
