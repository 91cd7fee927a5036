/* votecost: what the storage path alone lets durable votes reach — the server's own
 * writer (server/writer.c: the journal thread's write and fdatasync, the applier's LMDB
 * transaction, the checkpoints every --checkpoint-ms) applying the server's own vote
 * records (change_apply: the vote log and its folds, the audit chain, the supports counter),
 * with --conns votes in flight and no network, no protocol, no loop-thread work: each
 * vote's done callback submits that voter's next one at once. Its votes/s is the
 * ceiling cocreated's vote row can reach on this disk with this store, measured in the
 * same run as that row (tools/bench/run, section votes).
 *
 *   votecost --data DIR [--designs N] [--conns 64] [--seconds 5] [--rounds 3]
 *            [--checkpoint-ms 1000] [--rtt-ms MS]
 *
 * --rtt-ms: a voter's next vote is submitted MS after its vote is done instead of at
 * once — the network's round trip (the reply's way out, the next request's way in) as
 * the echo row of the same run measures it, so that the closed loop has the shape of
 * the vote row's: C connections at depth 1 over that network, a server whose only cost
 * is its storage path.
 *
 * DIR: a copy of the vote row's data directory (gendata's: designs 1..N in the `open`
 * contest), used as a server would use it (its journal and checkpoint included) and left
 * as the run leaves it. --conns voters are made first (account records); voter i walks
 * the designs from i * N / conns, casting 1 on one pass and clearing on the next, as
 * loadgen's vote scenario does, so every vote changes the stored one. The rounds run
 * back to back on the same data, as the bench's rounds on one server do.
 *
 * Output: one JSON line a round: {"round", "votes", "seconds", "rps", "commits",
 * "batch" (votes a commit), "cpu_us_per_vote" (the whole process: every thread),
 * "checkpoints", "checkpoint_max_ms" (the longest so far), "disk_writes_per_vote" and
 * "disk_pages_per_vote" (the write I/Os and 4 KiB of the device holding DIR over the
 * round, whoever made them: 0 when unknown), "failed"}. */
#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "benchlib.h"
#include "changes.h"
#include "designs.h"
#include "journal.h"
#include "log.h"
#include "secret.h"
#include "store.h"
#include "util.h"
#include "writer.h"

#define MAX_CONNS 4096

struct voter {
    struct run *run;
    uint64_t account;
    uint64_t start, k;
    struct change *c; /* in flight, NULL when idle */
    uint64_t due_ns;  /* --rtt-ms: when its next vote goes (its reply's way back and the
                         vote's way in) */
    struct voter *next_due;
};

struct run {
    uv_loop_t loop;
    struct store *st;
    struct writer *w;
    struct voter voters[MAX_CONNS];
    int conns;
    uint64_t designs;
    int stopping;   /* the round's time is up: no new votes */
    int in_flight;  /* submitted or waiting for their round trip */
    uint64_t rtt_ns; /* --rtt-ms */
    int tfd;         /* timerfd for the round trips (all of one length: a FIFO) */
    uv_poll_t tpoll;
    struct voter *due_head, **due_tail;
    uint64_t done, failed;
};

static int wr_apply(struct write_req *wr, MDB_txn *txn)
{
    struct change *c = container_of(wr, struct change, wr);
    struct voter *v = c->user;
    return change_apply(c, txn, v->run->st);
}

static int wr_encode(struct write_req *wr, struct ccbuf *out)
{
    return change_encode(container_of(wr, struct change, wr), out);
}

static void submit_next(struct voter *v);

/* Arms the timerfd for the first voter waiting out its round trip. */
static void arm(struct run *r)
{
    uint64_t at = r->due_head->due_ns, now = uv_hrtime();
    uint64_t in = at > now ? at - now : 1;
    struct itimerspec its = {.it_value = {(time_t)(in / 1000000000), (long)(in % 1000000000)}};
    timerfd_settime(r->tfd, 0, &its, NULL);
}

/* The voters whose round trip is over send their next vote. */
static void on_due(uv_poll_t *h, int status, int events)
{
    (void)status, (void)events;
    struct run *r = h->data;
    uint64_t ticks;
    ssize_t got = read(r->tfd, &ticks, sizeof ticks); /* -1 (EAGAIN): woken early */
    (void)got;
    uint64_t now = uv_hrtime();
    while (r->due_head && r->due_head->due_ns <= now) {
        struct voter *v = r->due_head;
        r->due_head = v->next_due;
        if (!r->due_head)
            r->due_tail = &r->due_head;
        r->in_flight--;
        if (!r->stopping)
            submit_next(v);
    }
    if (r->due_head)
        arm(r);
    else if (r->stopping && !r->in_flight)
        uv_stop(&r->loop);
}

static void wr_done(struct write_req *wr, int status)
{
    struct change *c = container_of(wr, struct change, wr);
    struct voter *v = c->user;
    struct run *r = v->run;
    r->done++;
    r->failed += status != 0;
    change_free(c);
    v->c = NULL;
    if (!r->stopping && r->rtt_ns) { /* the reply's and the next vote's trip */
        int was_empty = !r->due_head;
        v->due_ns = uv_hrtime() + r->rtt_ns;
        v->next_due = NULL;
        *r->due_tail = v;
        r->due_tail = &v->next_due;
        if (was_empty)
            arm(r);
        return;
    }
    r->in_flight--;
    if (!r->stopping)
        submit_next(v);
    else if (!r->in_flight)
        uv_stop(&r->loop); /* the round is over (the writer's handles keep the loop) */
}

/* The voter's next vote: a cast on even passes over its designs, a clear on odd ones. */
static void submit_next(struct voter *v)
{
    struct run *r = v->run;
    uint64_t k = v->k++;
    uint64_t design = 1 + (v->start + k) % r->designs;
    int value = (k / r->designs) % 2 == 0 ? 1 : 0;
    struct change *c = change_vote_new(now_unix(), v->account, design, "open", value);
    c->user = v;
    v->c = c;
    if (writer_submit_record(r->w, &c->wr, wr_apply, wr_done, wr_encode)) {
        fprintf(stderr, "votecost: the writer refused a vote\n");
        change_free(c);
        v->c = NULL;
        r->stopping = 1;
        return;
    }
    r->in_flight++;
}

static void on_round_end(uv_timer_t *t)
{
    struct run *r = t->data;
    r->stopping = 1;
    uv_close((uv_handle_t *)t, NULL);
    if (!r->in_flight)
        uv_stop(&r->loop);
}

/* Registers the voters (one account record each, applied before the writer runs). */
static int make_voters(struct run *r)
{
    for (int i = 0; i < r->conns; i++) {
        char name[64], token[65];
        snprintf(name, sizeof name, "votecost-%d-%llx", i,
                 (unsigned long long)(now_unix() ^ (uint64_t)uv_hrtime()));
        struct change *c = change_account_new(name, ROLE_MEMBER, now_unix(), token);
        int rc = changes_apply_now(r->st, c);
        uint64_t id = c->out.id;
        change_free(c);
        if (rc || !id) {
            fprintf(stderr, "votecost: cannot make voter %d (%d)\n", i, rc);
            return -1;
        }
        r->voters[i] = (struct voter){
            .run = r, .account = id,
            .start = (uint64_t)i * r->designs / (uint64_t)r->conns};
    }
    return 0;
}

/* The writes the device holding dir has completed so far (I/Os and 512-byte sectors,
 * /sys/dev/block/MAJ:MIN/stat): the whole device's, whoever made them. 0 when unknown. */
static int disk_writes(const char *dir, uint64_t *ios, uint64_t *sectors)
{
    struct stat sb;
    char path[128];
    *ios = *sectors = 0;
    if (stat(dir, &sb))
        return 0;
    snprintf(path, sizeof path, "/sys/dev/block/%u:%u/stat", major(sb.st_dev),
             minor(sb.st_dev));
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    unsigned long long v[7];
    int ok = fscanf(f, "%llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                    &v[4], &v[5], &v[6]) == 7;
    fclose(f);
    if (ok)
        *ios = v[4], *sectors = v[6];
    return ok;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: votecost --data DIR [--designs N] [--conns 64] [--seconds 5] "
               "[--rounds 3] [--checkpoint-ms 1000] [--rtt-ms MS]\n"
               "Durable votes through the server's writer, journal and checkpoints in "
               "process (no network): the storage path's ceiling. DIR: a copy of gendata's "
               "data (designs 1..N in the open contest). One JSON line a round.\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, 0, 'd'},    {"designs", required_argument, 0, 'n'},
        {"conns", required_argument, 0, 'c'},   {"seconds", required_argument, 0, 's'},
        {"rounds", required_argument, 0, 'r'},  {"checkpoint-ms", required_argument, 0, 'k'},
        {"rtt-ms", required_argument, 0, 't'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    const char *dir = NULL;
    double seconds = 5;
    int rounds = 3, checkpoint_ms = 0, opt;
    static struct run r;
    r.conns = 64;
    r.designs = 10000;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case 'd': dir = optarg; break;
        case 'n': r.designs = strtoull(optarg, NULL, 10); break;
        case 'c': r.conns = atoi(optarg); break;
        case 's': seconds = atof(optarg); break;
        case 'r': rounds = atoi(optarg); break;
        case 'k': checkpoint_ms = atoi(optarg); break;
        case 't': r.rtt_ns = (uint64_t)(atof(optarg) * 1e6); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!dir || !r.designs || r.conns < 1 || r.conns > MAX_CONNS || seconds <= 0 ||
        rounds < 1) {
        usage(stderr);
        return 2;
    }
    log_max_level = LOG_WARN;

    /* As the server's start does (server/startup.c): the journal's lock, the data as its
     * last checkpoint left it, the secret, the journal's records applied again. */
    char err[512] = "", secret_path[4096];
    int busy = 0, restored = 0;
    struct journal *j = NULL;
    uint64_t next_seq = 1;
    secret_default_path(dir, secret_path, sizeof secret_path);
    if (journal_open(&j, dir, &busy, err, sizeof err) ||
        store_restore_checkpoint(dir, &restored, err, sizeof err) ||
        store_open(&r.st, dir, 0, err, sizeof err) || designs_upgrade(r.st) ||
        secret_load(r.st, secret_path, err, sizeof err)) {
        fprintf(stderr, "votecost: %s\n", err[0] ? err : "cannot open the data");
        return 1;
    }
    if (make_voters(&r) || store_set_journaled(r.st, 1) ||
        changes_recover(r.st, dir, &next_seq, err, sizeof err) < 0 ||
        store_checkpoint(r.st, 1) || journal_reset(j)) {
        fprintf(stderr, "votecost: %s\n", err[0] ? err : "cannot start the journal");
        return 1;
    }
    uv_loop_init(&r.loop);
    r.due_tail = &r.due_head;
    r.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (r.tfd < 0 || uv_poll_init(&r.loop, &r.tpoll, r.tfd)) {
        fprintf(stderr, "votecost: no timerfd\n");
        return 1;
    }
    r.tpoll.data = &r;
    uv_poll_start(&r.tpoll, UV_READABLE, on_due);
    if (writer_start(&r.w, &r.loop, r.st) ||
        writer_set_journal(r.w, j, next_seq, checkpoint_ms)) {
        fprintf(stderr, "votecost: cannot start the writer\n");
        return 1;
    }

    for (int round = 1; round <= rounds; round++) {
        struct writer_stats s0, s1;
        writer_get_stats(r.w, &s0);
        uint64_t done0 = r.done, failed0 = r.failed, cpu0 = bench_cpu_us();
        uint64_t ios0, sec0, ios1, sec1;
        int disk = disk_writes(dir, &ios0, &sec0);
        uint64_t t0 = uv_hrtime();
        r.stopping = 0;
        uv_timer_t timer;
        uv_timer_init(&r.loop, &timer);
        timer.data = &r;
        uv_timer_start(&timer, on_round_end, (uint64_t)(seconds * 1000), 0);
        for (int i = 0; i < r.conns; i++)
            submit_next(&r.voters[i]);
        uv_run(&r.loop, UV_RUN_DEFAULT); /* until the time is up and every vote done */
        uv_run(&r.loop, UV_RUN_NOWAIT);  /* the timer's close */
        double dt = (double)(uv_hrtime() - t0) / 1e9;
        uint64_t n = r.done - done0, cpu = bench_cpu_us() - cpu0;
        writer_get_stats(r.w, &s1);
        disk = disk && disk_writes(dir, &ios1, &sec1);
        uint64_t commits = s1.commits - s0.commits;
        printf("{\"round\":%d,\"votes\":%llu,\"seconds\":%.3f,\"rps\":%.1f,\"commits\":%llu,"
               "\"batch\":%.1f,\"cpu_us_per_vote\":%.2f,\"checkpoints\":%llu,"
               "\"checkpoint_max_ms\":%llu,\"disk_writes_per_vote\":%.3f,"
               "\"disk_pages_per_vote\":%.3f,\"failed\":%llu}\n",
               round, (unsigned long long)n, dt, n / dt, (unsigned long long)commits,
               commits ? (double)n / (double)commits : 0.0, n ? (double)cpu / n : 0.0,
               (unsigned long long)(s1.checkpoints - s0.checkpoints),
               (unsigned long long)s1.checkpoint_max_ms,
               disk && n ? (double)(ios1 - ios0) / n : 0.0,
               disk && n ? (double)(sec1 - sec0) / 8 / n : 0.0,
               (unsigned long long)(r.failed - failed0));
        fflush(stdout);
        if (r.failed - failed0 == n && n) {
            fprintf(stderr, "votecost: every vote failed\n");
            return 1;
        }
    }
    uv_close((uv_handle_t *)&r.tpoll, NULL);
    close(r.tfd);
    writer_stop(r.w);
    uv_run(&r.loop, UV_RUN_DEFAULT);
    uv_loop_close(&r.loop);
    store_close(r.st);
    journal_close(j);
    return 0;
}
