/* The group-commit writer: one thread owns the LMDB write transaction. Requests from
 * the loop thread queue up; the writer takes everything queued, applies it in one
 * transaction (when a request fails, the batch is re-applied with a nested transaction
 * per request, so a failure rolls back only itself), commits, then hands every request
 * back to the loop thread. Requests that arrive while a batch is in progress join the
 * next one. The loop never waits on disk.
 *
 * Journal mode (single node) has a second thread, the journal's: it takes the queue,
 * writes the batch's change records to the journal and hands the batch to the applier,
 * then syncs the journal while the applier applies the batch; the applier commits (LMDB
 * without a sync) only once that sync is done, so nothing is visible to a reader, nor
 * acknowledged, before its record is durable. The next batch's records are written and
 * synced while the applier commits the one before. Otherwise (cluster mode: the stream
 * is the journal) the applier takes the queue itself and each commit syncs.
 *
 * Thread use: writer_submit and done callbacks on the loop thread; encode callbacks on
 * the journal thread and apply callbacks on the applier, where they may touch only the
 * txn and what their request owns. */
#ifndef CC_WRITER_H
#define CC_WRITER_H

#include <lmdb.h>
#include <stdint.h>
#include <uv.h>

#include "histo.h"
#include "store.h"
#include "util.h"

struct journal;

struct write_req;

/* Applies one request inside txn (the batch's transaction, or a nested one of it) on
 * the writer thread. Returns 0 to keep its changes, or a CC_E* code / STORE_EMAPFULL
 * to roll them back. It may run more than once (after a map growth, or when another
 * request of its batch failed): it must be idempotent up to its own writes and keep
 * its outputs in its request. */
typedef int (*write_apply_fn)(struct write_req *req, MDB_txn *txn);
/* Runs on the loop thread once the batch holding req is durably committed (status 0)
 * or failed (status < 0: the apply's code, or CC_EINTERNAL if the commit failed). */
typedef void (*write_done_fn)(struct write_req *req, int status);
/* Journal mode: writes req's change record (its docs/changes.md encoding) into out, on
 * the journal thread, before the batch is applied. 0, or nonzero: the batch fails. */
typedef int (*write_encode_fn)(struct write_req *req, struct ccbuf *out);

/* Embed in the caller's request struct; reach the owner with container_of. */
struct write_req {
    struct write_req *next; /* private to the writer */
    write_apply_fn apply;
    write_done_fn done;
    write_encode_fn encode; /* NULL: not a change record (a cache, a snapshot) */
    int status; /* private to the writer */
};

/* Statistics for /metrics, read on the loop thread. */
struct writer_stats {
    uint64_t commits;      /* transactions committed */
    uint64_t requests;     /* requests applied (committed or rolled back) */
    uint64_t max_batch;    /* largest number of requests in one commit */
    uint64_t map_growths;  /* times the map was grown */
    uint64_t isolated;     /* batches re-applied one nested transaction a request */
    uint64_t journaled;    /* records appended to the journal */
    uint64_t checkpoints;  /* checkpoints made (journal mode) */
    uint64_t checkpoint_last_ms, checkpoint_max_ms; /* how long they held the writer */
    uint64_t queued;       /* requests submitted and not yet done */
    uint64_t journaled_waiting; /* journal mode: requests written to the journal and
                                   waiting for the applier */
    struct histo batch;    /* requests per committed batch (histo_sizes) */
    struct histo commit_ns; /* a committed batch from when it left the queue to its
                             * commit, in ns (histo_latency): the journal's write and
                             * sync, the applies, the commit; a checkpoint after it is
                             * not counted */
};

struct writer;

/* Most requests that may wait at once; writer_submit says CC_EBUSY beyond it. */
#define WRITER_MAX_QUEUED 65536

/* Starts the writer thread for store on loop. Returns 0 or CC_EINTERNAL. */
int writer_start(struct writer **out, uv_loop_t *loop, struct store *store);
/* Queues req (borrowed until its done callback runs). Returns 0, or CC_EBUSY when
 * WRITER_MAX_QUEUED requests wait or the writer is stopping; then done never runs. The
 * writer is woken at the end of the loop's iteration (a check handle; an idle handle
 * keeps that iteration's poll from blocking), so that what one iteration submits is
 * one batch: the caller must run the loop. */
int writer_submit(struct writer *w, struct write_req *req, write_apply_fn apply,
                  write_done_fn done);
/* writer_submit for a change record: in journal mode it is in the synced journal
 * before its batch commits, and so before done runs with status 0. */
int writer_submit_record(struct writer *w, struct write_req *req, write_apply_fn apply,
                         write_done_fn done, write_encode_fn encode);
/* Journal mode (journal.h), before the first submit: starts the journal thread (0, or
 * CC_EINTERNAL); records go to j (borrowed until
 * writer_stop returns) with sequences from next_seq on; the writer makes a checkpoint
 * (store_checkpoint) at least every checkpoint_ms and when the journal passes
 * WRITER_CHECKPOINT_BYTES, and a last one when it stops, emptying the journal after
 * each. Each batch's transaction records its last sequence under JOURNAL_SEQ_KEY. */
int writer_set_journal(struct writer *w, struct journal *j, uint64_t next_seq,
                       int checkpoint_ms);
#define WRITER_CHECKPOINT_MS 1000 /* the default of checkpoint_ms (0) */
#define WRITER_CHECKPOINT_BYTES ((uint64_t)64 << 20)
#define JOURNAL_SEQ_KEY "journal.seq"
/* Number of submitted requests whose done callback has not run yet. */
uint64_t writer_pending(const struct writer *w);
void writer_get_stats(struct writer *w, struct writer_stats *out);
/* Stops accepting requests, lets the queued ones commit and their done callbacks run
 * (they run from the loop as usual), then joins the thread and closes its handle;
 * the struct is freed from the handle's close callback. Call once, on the loop thread. */
void writer_stop(struct writer *w);

#endif
