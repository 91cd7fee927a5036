/* The writer in journal mode (writer.h): the journal thread writes and syncs the next
 * batches' records while the applier is still applying an earlier one (the first
 * request's apply holds the applier until the test has seen every later record in the
 * journal file), and the applier then applies everything journaled in one commit; a
 * batch whose record cannot be encoded fails whole, is not applied, leaves nothing in
 * the journal and no gap in the sequences; what one iteration of the loop submits is one
 * batch (the writer is woken once, after it); checkpoints every millisecond under load
 * (rounds of 50 requests, each acknowledged before the next) lose nothing; every acknowledged write is in LMDB with the journal's last sequence,
 * and a clean stop leaves the journal empty. Last, a journal that refuses syncs: its
 * descriptor swapped for /dev/null (every write taken, every fdatasync refused) for one
 * request, which fails; its records cannot be cut off either (the zeroing's sync fails
 * too), so where the journal ends on disk is unknown and the writer must refuse the
 * next request, once the real file is back — acknowledged, its record would follow a
 * gap at which a restart's replay stops. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "ccerr.h"
#include "check.h"
#include "journal.h"
#include "store.h"
#include "util.h"
#include "writer.h"

struct put_req {
    struct write_req wr;
    struct store *st;
    uint64_t key;
    int bad_record; /* its encode fails */
    int status;
    int done;
};

static uv_sem_t gate_started, gate_open;
static struct put_req *gated;
static int done_count;

static int put_apply(struct write_req *wr, MDB_txn *txn)
{
    struct put_req *p = container_of(wr, struct put_req, wr);
    if (p == gated) {
        gated = NULL;
        uv_sem_post(&gate_started);
        uv_sem_wait(&gate_open);
    }
    uint8_t k[8];
    put_be64(k, p->key);
    return store_put(txn, store_dbs(p->st)->meta, k, 8, k, 8, 0);
}

static int put_encode(struct write_req *wr, struct ccbuf *out)
{
    struct put_req *p = container_of(wr, struct put_req, wr);
    if (p->bad_record)
        return -1;
    char text[32];
    int n = snprintf(text, sizeof text, "put %llu", (unsigned long long)p->key);
    ccbuf_append(out, text, (size_t)n);
    return 0;
}

static void put_done(struct write_req *wr, int status)
{
    struct put_req *p = container_of(wr, struct put_req, wr);
    p->status = status;
    p->done = 1;
    done_count++;
}

/* The records in the journal file, in order. */
struct seen {
    uint64_t n, first, last;
    int in_order;
    uint64_t keys_sum;
};

static int collect(void *user, uint64_t seq, const uint8_t *data, size_t len)
{
    struct seen *s = user;
    if (!s->n)
        s->first = seq;
    else if (seq != s->last + 1)
        s->in_order = 0;
    s->last = seq;
    s->n++;
    char text[32];
    ASSERT(len < sizeof text);
    memcpy(text, data, len);
    text[len] = 0;
    s->keys_sum += strtoull(text + 4, NULL, 10);
    return 0;
}

/* after: the sequence LMDB has (a reset journal keeps its older frames behind it) */
static struct seen journal_now(const char *dir, uint64_t after)
{
    struct seen s = {.in_order = 1};
    ASSERT(journal_each(dir, after, collect, &s) >= 0);
    return s;
}

/* This process's descriptor open on path, or -1. */
static int fd_of(const char *path)
{
    DIR *d = opendir("/proc/self/fd");
    ASSERT(d);
    int found = -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        char link[300], target[4096];
        snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n > 0) {
            target[n] = 0;
            if (!strcmp(target, path))
                found = atoi(e->d_name);
        }
    }
    closedir(d);
    return found;
}

static char dir[] = "/tmp/cc-test-writer-journal-XXXXXX";
static struct put_req reqs[4000];

static void submit(struct writer *w, struct store *st, size_t i, int bad)
{
    reqs[i] = (struct put_req){.st = st, .key = 1000 + i, .bad_record = bad};
    ASSERT_EQ(writer_submit_record(w, &reqs[i].wr, put_apply, put_done, put_encode), 0);
}

static void run_until(uv_loop_t *loop, int count)
{
    while (done_count < count)
        uv_run(loop, UV_RUN_ONCE);
}

int main(void)
{
    ASSERT(mkdtemp(dir));
    uv_loop_t loop;
    ASSERT_EQ(uv_loop_init(&loop), 0);
    struct store *st;
    struct journal *j;
    char err[256];
    int busy;
    ASSERT_EQ(store_open(&st, dir, 0, err, sizeof err), 0);
    ASSERT_EQ(journal_open(&j, dir, &busy, err, sizeof err), 0);
    ASSERT_EQ(store_set_journaled(st, 1), 0);
    ASSERT_EQ(store_checkpoint(st, 1), 0);
    ASSERT_EQ(journal_reset(j), 0);
    struct writer *w;
    ASSERT_EQ(writer_start(&w, &loop, st), 0);
    ASSERT_EQ(writer_set_journal(w, j, 1, 60000), 0); /* no timed checkpoint here */
    ASSERT_EQ(uv_sem_init(&gate_started, 0), 0);
    ASSERT_EQ(uv_sem_init(&gate_open, 0), 0);

    /* 1. The applier held inside the first batch; the journal thread goes on. */
    gated = &reqs[0];
    submit(w, st, 0, 0);
    uv_run(&loop, UV_RUN_NOWAIT); /* the loop's iteration wakes the writer */
    uv_sem_wait(&gate_started);
    size_t n1 = 200;
    for (size_t i = 1; i < n1; i++)
        submit(w, st, i, 0);
    /* every record reaches the journal file, and every later batch the applier, while
     * the first apply still waits */
    struct seen s;
    struct writer_stats ws;
    for (uint64_t deadline = uv_hrtime() + 30ull * 1000000000;;) {
        s = journal_now(dir, 0);
        writer_get_stats(w, &ws);
        if (s.n == n1 && ws.journaled_waiting == n1 - 1)
            break;
        ASSERT(uv_hrtime() < deadline);
        uv_run(&loop, UV_RUN_NOWAIT); /* wakes the journal thread (nothing can be done) */
        uv_sleep(1);
    }
    ASSERT(s.in_order && s.first == 1 && s.last == n1);
    ASSERT(s.keys_sum == n1 * 1000 + n1 * (n1 - 1) / 2);
    ASSERT_EQ(done_count, 0); /* nothing acknowledged: the first batch has not committed */
    uv_sem_post(&gate_open);
    run_until(&loop, (int)n1);
    for (size_t i = 0; i < n1; i++)
        ASSERT_EQ(reqs[i].status, 0);
    writer_get_stats(w, &ws);
    /* the first batch alone, then every batch journaled behind it in one commit */
    ASSERT_EQ(ws.commits, 2);
    ASSERT_EQ(ws.max_batch, n1 - 1);
    ASSERT_EQ(ws.journaled, n1);

    /* 2. A record that cannot be encoded: its batch (alone: submitted when the writer
     * is idle) fails whole and leaves no trace; the sequences go on without a gap. */
    submit(w, st, n1, 1);
    run_until(&loop, (int)n1 + 1);
    ASSERT_EQ(reqs[n1].status, CC_EINTERNAL);
    submit(w, st, n1 + 1, 0);
    run_until(&loop, (int)n1 + 2);
    ASSERT_EQ(reqs[n1 + 1].status, 0);
    s = journal_now(dir, 0);
    ASSERT(s.in_order && s.n == n1 + 1 && s.last == n1 + 1);

    /* 3. Everything submitted in one iteration of the loop is one batch: the writer is
     * woken once, after the iteration, not by the first request. */
    writer_get_stats(w, &ws);
    uint64_t commits = ws.commits;
    size_t n3 = n1 + 2 + 100;
    for (size_t i = n1 + 2; i < n3; i++)
        submit(w, st, i, 0);
    run_until(&loop, (int)n3);
    writer_get_stats(w, &ws);
    ASSERT_EQ(ws.commits, commits + 1);
    ASSERT_EQ(ws.max_batch, n1 - 1); /* 100 < 199, the batch of part 1 */
    ASSERT_EQ(ws.batch.count, commits + 1);
    writer_stop(w);
    uv_run(&loop, UV_RUN_DEFAULT);

    /* 4. Checkpoints every millisecond while requests keep coming. */
    ASSERT_EQ(writer_start(&w, &loop, st), 0);
    ASSERT_EQ(writer_set_journal(w, j, n3, 1), 0);
    size_t n = CC_ARRAY_LEN(reqs), next = n3;
    while (next < n) { /* rounds of 50, each acknowledged (a sync) before the next */
        for (size_t k = 0; k < 50 && next < n; k++)
            submit(w, st, next++, 0);
        run_until(&loop, (int)next);
    }
    writer_get_stats(w, &ws);
    ASSERT(ws.checkpoints >= 1);
    writer_stop(w);
    uv_run(&loop, UV_RUN_DEFAULT);
    ASSERT_EQ(uv_loop_close(&loop), 0);
    ASSERT_EQ(journal_now(dir, n - 1).n, 0); /* a clean stop: the last checkpoint emptied it */

    /* Every acknowledged write is there, the failed one is not, and LMDB says where the
     * journal ends. */
    MDB_txn *txn;
    ASSERT_EQ(store_read_begin(st, &txn), 0);
    for (size_t i = 0; i < n; i++) {
        uint8_t k[8];
        put_be64(k, reqs[i].key);
        MDB_val v;
        ASSERT(reqs[i].done);
        ASSERT_EQ(store_get(txn, store_dbs(st)->meta, k, 8, &v), i == n1 ? CC_ENOTFOUND : 0);
    }
    MDB_val v;
    ASSERT_EQ(store_get(txn, store_dbs(st)->meta, JOURNAL_SEQ_KEY, strlen(JOURNAL_SEQ_KEY), &v),
              0);
    ASSERT_EQ(get_be64(v.mv_data), n - 1); /* one record for each but the failed one */
    store_read_end(st, txn);

    /* 5. A journal that refuses syncs. */
    ASSERT_EQ(uv_loop_init(&loop), 0);
    ASSERT_EQ(writer_start(&w, &loop, st), 0);
    ASSERT_EQ(writer_set_journal(w, j, n, 60000), 0);
    static struct put_req last[3];
    char path[4200], real[4096];
    snprintf(path, sizeof path, "%s/journal", dir);
    ASSERT(realpath(path, real));
    int fd = fd_of(real);
    ASSERT(fd >= 0);
    int saved = dup(fd), devnull = open("/dev/null", O_RDWR);
    ASSERT(saved >= 0 && devnull >= 0);
    for (int i = 0; i < 3; i++) {
        if (i == 1)
            ASSERT(dup2(devnull, fd) == fd); /* writes taken, fdatasync refused */
        last[i] = (struct put_req){.st = st, .key = 900000 + (uint64_t)i};
        ASSERT_EQ(writer_submit_record(w, &last[i].wr, put_apply, put_done, put_encode), 0);
        run_until(&loop, (int)n + i + 1);
        if (i == 1)
            ASSERT(dup2(saved, fd) == fd); /* the real file again */
    }
    ASSERT_EQ(last[0].status, 0);
    ASSERT(last[1].status != 0);
    /* Every acknowledged write is in LMDB and in the journal as a replay reads it. */
    uint64_t acked = 0;
    ASSERT_EQ(store_read_begin(st, &txn), 0);
    for (int i = 0; i < 3; i++) {
        uint8_t k[8];
        put_be64(k, last[i].key);
        int in_lmdb = store_get(txn, store_dbs(st)->meta, k, 8, &v) == 0;
        ASSERT_EQ(in_lmdb, last[i].status == 0);
        acked += last[i].status == 0 ? last[i].key : 0;
    }
    store_read_end(st, txn);
    ASSERT_EQ(journal_now(dir, n - 1).keys_sum, acked);
    ASSERT(last[2].status != 0); /* refused: where the journal ends is unknown */
    close(saved);
    close(devnull);
    writer_stop(w);
    uv_run(&loop, UV_RUN_DEFAULT);
    ASSERT_EQ(uv_loop_close(&loop), 0);

    uv_sem_destroy(&gate_started);
    uv_sem_destroy(&gate_open);
    journal_close(j);
    store_close(st);
    CHECK_RMDIR(dir);
    return 0;
}
