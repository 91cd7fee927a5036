/* The group-commit writer and the store: requests queued while a commit runs join one
 * batch (the first request's apply holds the writer until every other is queued, so the
 * batches are exactly two, whatever the machine's speed); a failing request rolls back only itself (its batch re-applied with a nested
 * transaction per request); a full map grows and the batch is
 * re-applied; everything acknowledged is there after reopening; a newer schema is
 * refused. The loop closes cleanly at the end (no leaked handle). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "ccerr.h"
#include "check.h"
#include "store.h"
#include "util.h"
#include "writer.h"

struct put_req {
    struct write_req wr;
    struct store *st;
    uint64_t key;
    size_t vlen;
    int fail;    /* the apply writes, then fails: nothing of it may remain */
    int status;  /* as the done callback saw it */
    int applied; /* times apply ran */
};

static int done_count;

/* The gate: the first request's apply (on the writer thread) says it started, then waits
 * until the test has queued every other request. */
static uv_sem_t gate_started, gate_open;
static struct put_req *gated;

static int put_apply(struct write_req *wr, MDB_txn *txn)
{
    struct put_req *p = container_of(wr, struct put_req, wr);
    if (p == gated && !p->applied) {
        uv_sem_post(&gate_started);
        uv_sem_wait(&gate_open);
    }
    p->applied++;
    uint8_t k[8];
    put_be64(k, p->key);
    uint8_t *v = xcalloc(1, p->vlen);
    memset(v, (int)(p->key & 0xff), p->vlen);
    int rc = store_put(txn, store_dbs(p->st)->meta, k, 8, v, p->vlen, 0);
    free(v);
    if (rc)
        return rc;
    return p->fail ? CC_ECONFLICT : 0;
}

static void put_done(struct write_req *wr, int status)
{
    struct put_req *p = container_of(wr, struct put_req, wr);
    p->status = status;
    done_count++;
}

static char dir[] = "/tmp/cc-test-writer-XXXXXX";

static struct put_req reqs[3000];

static void check_stored(size_t n, int expect_fail_gone)
{
    struct store *st;
    char err[256];
    ASSERT_EQ(store_open(&st, dir, 0, err, sizeof err), 0);
    MDB_txn *txn;
    ASSERT_EQ(store_read_begin(st, &txn), 0);
    for (size_t i = 0; i < n; i++) {
        uint8_t k[8];
        put_be64(k, reqs[i].key);
        MDB_val v;
        int rc = store_get(txn, store_dbs(st)->meta, k, 8, &v);
        if (reqs[i].fail && expect_fail_gone) {
            ASSERT_EQ(rc, CC_ENOTFOUND);
        } else {
            ASSERT_EQ(rc, 0);
            ASSERT_EQ(v.mv_size, reqs[i].vlen);
            ASSERT_EQ(((uint8_t *)v.mv_data)[reqs[i].vlen - 1], reqs[i].key & 0xff);
        }
    }
    store_read_end(st, txn);
    store_close(st);
}

/* mdb_reader_list's rows whose txnid is "-": read txns reset and kept. */
static int count_reset(const char *msg, void *ctx)
{
    unsigned pid;
    size_t thread;
    char txnid[32];
    if (sscanf(msg, " %u %zx %31s", &pid, &thread, txnid) == 3 && !strcmp(txnid, "-"))
        ++*(int *)ctx;
    return 0;
}

static int reset_readers(struct store *st)
{
    int n = 0;
    ASSERT(mdb_reader_list(store_env(st), count_reset, &n) >= 0);
    return n;
}

int main(void)
{
    ASSERT(mkdtemp(dir));
    uv_loop_t loop;
    ASSERT_EQ(uv_loop_init(&loop), 0);
    struct store *st;
    char err[256];
    /* A small map (256 KiB) so that 3000 values of 512 bytes must grow it. */
    ASSERT_EQ(store_open(&st, dir, 256 << 10, err, sizeof err), 0);
    size_t map0 = store_map_size(st);
    /* The opening thread's reads reuse one txn, reset between them (store.c): one read
     * now leaves it idle through the map's growths below. */
    MDB_txn *first, *again;
    ASSERT_EQ(store_read_begin(st, &first), 0);
    store_read_end(st, first);
    ASSERT_EQ(reset_readers(st), 1); /* kept: its reader slot held, no snapshot */
    struct writer *w;
    ASSERT_EQ(writer_start(&w, &loop, st), 0);

    size_t n = CC_ARRAY_LEN(reqs);
    ASSERT_EQ(uv_sem_init(&gate_started, 0), 0);
    ASSERT_EQ(uv_sem_init(&gate_open, 0), 0);
    gated = &reqs[0];
    for (size_t i = 0; i < n; i++) {
        reqs[i].st = st;
        reqs[i].key = 1000 + i;
        reqs[i].vlen = 512;
        reqs[i].fail = i % 97 == 5;
        ASSERT_EQ(writer_submit(w, &reqs[i].wr, put_apply, put_done), 0);
        if (i == 0) {
            uv_run(&loop, UV_RUN_NOWAIT); /* the loop's iteration wakes the writer */
            uv_sem_wait(&gate_started);   /* the writer took a batch of one */
        }
    }
    uv_sem_post(&gate_open); /* the other n - 1 wait together: the next batch */
    while (done_count < (int)n)
        uv_run(&loop, UV_RUN_ONCE);
    ASSERT_EQ(writer_pending(w), 0);
    for (size_t i = 0; i < n; i++)
        ASSERT_EQ(reqs[i].status, reqs[i].fail ? CC_ECONFLICT : 0);

    struct writer_stats ws;
    writer_get_stats(w, &ws);
    ASSERT(ws.map_growths >= 1);
    ASSERT(store_map_size(st) > map0);
    /* Group commit: the gated request alone, then everything queued behind it at once. */
    ASSERT_EQ(ws.commits, 2);
    ASSERT_EQ(ws.requests, n);
    ASSERT_EQ(ws.max_batch, n - 1);
    ASSERT_EQ(ws.batch.count, 2);
    ASSERT_EQ(ws.batch.sum, n);
    ASSERT_EQ(ws.commit_ns.count, 2);
    /* The second batch holds failing requests: its fast path failed once and it was
     * re-applied isolated (through the map growths too); the first was not. */
    ASSERT_EQ(ws.isolated, 1);
    ASSERT_EQ(reqs[0].applied, 1);
    /* The idle read txn, renewed after the growths, sees the latest commit; a read
     * begun inside another takes a txn of its own. */
    ASSERT_EQ(store_read_begin(st, &again), 0);
    ASSERT(again == first);
    MDB_txn *inner;
    ASSERT_EQ(store_read_begin(st, &inner), 0);
    ASSERT(inner != again);
    for (size_t i = 0; i < n; i += 499) {
        uint8_t k[8];
        put_be64(k, reqs[i].key);
        MDB_val v0, v1;
        ASSERT_EQ(store_get(again, store_dbs(st)->meta, k, 8, &v0), reqs[i].fail ? CC_ENOTFOUND : 0);
        ASSERT_EQ(store_get(inner, store_dbs(st)->meta, k, 8, &v1), reqs[i].fail ? CC_ENOTFOUND : 0);
    }
    store_read_end(st, inner);
    store_read_end(st, again);
    uv_sem_destroy(&gate_started);
    uv_sem_destroy(&gate_open);

    writer_stop(w);
    uv_run(&loop, UV_RUN_DEFAULT);
    ASSERT_EQ(uv_loop_close(&loop), 0);
    store_close(st);

    check_stored(n, 1);

    /* A newer schema is refused with a clear message. */
    ASSERT_EQ(store_open(&st, dir, 0, err, sizeof err), 0);
    MDB_txn *txn;
    ASSERT_EQ(store_write_begin(st, &txn), 0);
    uint8_t v[8];
    put_be64(v, STORE_SCHEMA_VERSION + 1);
    ASSERT_EQ(store_put(txn, store_dbs(st)->meta, "schema", 6, v, 8, 0), 0);
    ASSERT_EQ(store_write_commit(st, txn), 0);
    store_close(st);
    ASSERT(store_open(&st, dir, 0, err, sizeof err) != 0);
    ASSERT(strstr(err, "newer") != NULL);

    CHECK_RMDIR(dir);
    return 0;
}
