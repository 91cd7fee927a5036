/* commitcost: the durable-commit ceiling of LMDB on this disk for vote-shaped write
 * transactions, measured in process on one thread: no network, no server loop, no
 * other thread. It opens a fresh environment with the server's own store code
 * (store_open: the same tables, map size handling and flags, MDB_NOTLS only: no
 * MDB_NOSYNC, MDB_NOMETASYNC or MDB_WRITEMAP, so every commit syncs the data and then
 * the meta page as cocreated's do), writes --designs design records, and then, for
 * each batch size B of --batches, runs for --seconds (after --warmup) transactions of
 * B votes, each committed durably (mdb_txn_commit) before the next begins: the
 * server's writer (server/writer.c) with a batch of B requests, alone on the machine.
 *
 * Each vote, applied straight into the batch's transaction as the writer's fast path
 * does (--nested: each in its own nested transaction, as the writer re-applies a
 * batch in which a request failed):
 *   votes        get of (be64 design, be64 account), design uniform in 1..D and account
 *                from a pool of --accounts; then a put of the 1-byte value when absent
 *                or a delete when present (like loadgen's cast/clear: every vote changes
 *                the table);
 *   audit        --audit raw (default): a get of the pseudonym key in meta and of the
 *                contest's 48-byte chain head in audit_heads, a put of an entry of
 *                --audit-bytes under contest id + NUL + be64 seq (seqs in increasing
 *                order, MDB_NOOVERWRITE as audit.c does), a put of the new head.
 *                --audit server: the server's own audit_vote() instead (the same
 *                reads and writes plus its HMAC pseudonym, entry text and SHA-256
 *                chain link; its entries weigh ~258 bytes, hence --audit-bytes 260).
 *
 *   commitcost --dir DIR [--designs 10000] [--accounts 64] [--batches 1,8,32,64,128,256]
 *              [--seconds 3] [--warmup 0.5] [--conns 64] [--rtt-ms MS]
 *              [--rounds 1] [--audit raw|server] [--audit-bytes 260] [--map-size BYTES]
 *              [--nested] [--markdown] [--vs-echo REQ_PER_S]
 *
 * --rounds N runs all the sizes N times, interleaved, and reports for each size its
 * median round (the machine is shared: noise then falls on every size alike).
 * The map starts at 1 GiB (--map-size; the server starts at 64 MiB) so that no growth
 * falls inside a default run; it grows as the server's does when full (map_growths).
 *
 * DIR must be on the filesystem whose syncs are to be measured (tools/bench/run passes
 * its temp dir, where the servers' data dirs are); the environment is made in a new
 * subdirectory and removed at exit. Output: one JSON line per batch size, then one
 * with the closed-loop bounds for --conns connections at depth 1 (below); --markdown
 * prints a table and the bounds as text instead (--vs-echo R adds a column votes/s ÷ R,
 * R being the echo baseline of the same run).
 *
 * The bounds: with the writer's double-buffered group commit and C connections each
 * with one vote in flight, a commit carries about C/2 votes while the other C/2 wait
 * for the next, so votes/s ≤ (C/2) / T(C/2), T(B) being the mean time from begin to
 * durable of a batch of B. If instead all C went into one batch each round trip,
 * votes/s ≤ C / (T(C) + rtt). Both T are measured (C/2 and C are added to the batch
 * sizes); rtt is --rtt-ms when given, else the inputs are printed. These are what the
 * disk and LMDB allow, not a model of the server: the server's CPU, its loop, its
 * other threads and the client share the machine on top of them. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "audit.h"
#include "benchlib.h"
#include "ccerr.h"
#include "store.h"
#include "util.h"

#define MAX_BATCHES 32
#define MAX_BATCH 100000
#define MAX_ROUNDS 15
/* Bytes of a pre-created design record (gendata's records are ~230–280 bytes of JSON). */
#define DESIGN_RECORD_BYTES 256
/* Pseudonym key in meta (what audit.c reads for every vote). */
#define SECRET_KEY "audit.secret"
/* Default initial map: large enough that no growth falls inside the measurements of
 * a default run (the server's default is 64 MiB, doubling; growth is handled anyway). */
#define DEFAULT_MAP ((size_t)1 << 30)

struct cfg {
    const char *dir;
    uint64_t designs, accounts;
    int batches[MAX_BATCHES], nbatches;
    double seconds, warmup;
    int conns, rounds;
    double rtt_ms; /* < 0: not given */
    int server_audit;
    int nested; /* a nested txn per vote */
    size_t audit_bytes;
    size_t map_size;
    int markdown;
    double vs_echo; /* the echo baseline's req/s for a ratio column (0: none) */
    const char *contest;
};

struct result {
    int batch;
    uint64_t commits, growths;
    double seconds;
    double cycle_sum_us, apply_sum_us, commit_sum_us;
    struct hist cycle, commit;
    double round_vps[MAX_ROUNDS]; /* votes/s of every round, ascending */
};

/* State the votes share: the rng, the clock of the audit entries. */
struct run {
    const struct cfg *cfg;
    struct store *st;
    uint64_t rng;
    uint64_t *pairs; /* the batch's (design, account), 2 per vote: kept for a retry */
    uint8_t *entry;  /* raw audit entry value (audit_bytes) */
    int64_t at;
};

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "commitcost: %s failed (%d)\n", what, rc);
    exit(1);
}

/* The raw audit writes of one vote (see the header): what audit_vote stores, without
 * its CPU work. */
static int audit_raw(MDB_txn *txn, struct run *r)
{
    const struct store_dbs *db = store_dbs(r->st);
    const char *contest = r->cfg->contest;
    MDB_val v;
    int rc = store_get(txn, db->meta, SECRET_KEY, strlen(SECRET_KEY), &v);
    if (rc)
        return rc;
    struct audit_head h;
    if ((rc = audit_head(txn, r->st, contest, &h)))
        return rc;
    uint64_t seq = h.length + 1;
    size_t clen = strlen(contest);
    uint8_t key[80];
    memcpy(key, contest, clen);
    key[clen] = 0;
    put_be64(key + clen + 1, seq);
    put_be64(r->entry, seq); /* distinct bytes per entry, as hashes are */
    rc = store_put(txn, db->audit, key, clen + 9, r->entry, r->cfg->audit_bytes, MDB_NOOVERWRITE);
    if (rc)
        return rc;
    uint8_t head[48];
    put_be64(head, seq);
    put_be64(head + 8, h.bytes + AUDIT_LINE_LEN(r->cfg->audit_bytes - 32));
    memcpy(head + 16, r->entry, 32);
    return store_put(txn, db->audit_heads, contest, clen, head, sizeof head, 0);
}

/* One vote into txn: what vote_apply and audit_vote write. */
static int vote_apply(MDB_txn *txn, struct run *r, uint64_t design, uint64_t account)
{
    MDB_dbi votes = store_dbs(r->st)->votes;
    uint8_t key[16];
    put_be64(key, design);
    put_be64(key + 8, account);
    MDB_val old;
    int rc = store_get(txn, votes, key, 16, &old), had = rc == 0;
    if (rc && rc != CC_ENOTFOUND)
        return rc;
    uint8_t one = 1;
    rc = had ? store_del(txn, votes, key, 16) : store_put(txn, votes, key, 16, &one, 1, 0);
    if (rc)
        return rc;
    return r->cfg->server_audit
               ? audit_vote(txn, r->st, r->cfg->contest, r->at, design, account, had, !had)
               : audit_raw(txn, r);
}

/* One vote into the batch's transaction, or (--nested) in its own nested one. */
static int vote(MDB_txn *parent, struct run *r, uint64_t design, uint64_t account)
{
    if (!r->cfg->nested)
        return vote_apply(parent, r, design, account);
    MDB_txn *txn;
    int rc = mdb_txn_begin(store_env(r->st), parent, 0, &txn);
    if (rc)
        return store_err(rc);
    if ((rc = vote_apply(txn, r, design, account))) {
        mdb_txn_abort(txn);
        return rc;
    }
    return store_err(mdb_txn_commit(txn));
}

/* One durable batch of n votes (the pairs already drawn). Retries after growing the
 * map, as the writer does. Adds the times to res when given. */
static void batch(struct run *r, int n, struct result *res)
{
    double t0 = now_us();
    for (;;) {
        MDB_txn *txn;
        int rc = store_write_begin(r->st, &txn);
        if (rc)
            die("store_write_begin", rc);
        for (int i = 0; i < n && !rc; i++)
            rc = vote(txn, r, r->pairs[2 * i], r->pairs[2 * i + 1]);
        double t1 = now_us();
        if (!rc)
            rc = store_write_commit(r->st, txn);
        else
            store_write_abort(r->st, txn);
        double t2 = now_us();
        if (rc == STORE_EMAPFULL) {
            if (store_grow(r->st))
                die("store_grow", CC_EINTERNAL);
            if (res)
                res->growths++;
            continue;
        }
        if (rc)
            die("a vote transaction", rc);
        if (res) {
            res->commits++;
            res->cycle_sum_us += t2 - t0;
            res->apply_sum_us += t1 - t0;
            res->commit_sum_us += t2 - t1;
            hist_add(&res->cycle, (uint64_t)(t2 - t0));
            hist_add(&res->commit, (uint64_t)(t2 - t1));
        }
        return;
    }
}

static void draw(struct run *r, int n)
{
    for (int i = 0; i < n; i++) {
        r->pairs[2 * i] = 1 + bench_rand(&r->rng) % r->cfg->designs;
        r->pairs[2 * i + 1] = 1000001 + bench_rand(&r->rng) % r->cfg->accounts;
    }
}

/* Batches of n for warmup seconds unmeasured, then for seconds measured. */
static void run_size(struct run *r, int n, struct result *res)
{
    memset(res, 0, sizeof *res);
    res->batch = n;
    double end = now_us() + r->cfg->warmup * 1e6;
    while (now_us() < end) {
        draw(r, n);
        batch(r, n, NULL);
    }
    double t0 = now_us(), t;
    end = t0 + r->cfg->seconds * 1e6;
    do {
        draw(r, n);
        batch(r, n, res);
    } while ((t = now_us()) < end);
    res->seconds = (t - t0) / 1e6;
}

/* The environment: D design records (ids 1..D, in order) and the pseudonym key. */
static void populate(struct run *r)
{
    const struct store_dbs *db = store_dbs(r->st);
    uint8_t rec[DESIGN_RECORD_BYTES], secret[32];
    memset(rec, 'd', sizeof rec);
    random_bytes(secret, sizeof secret);
    MDB_txn *txn;
    int rc = store_write_begin(r->st, &txn);
    if (rc)
        die("store_write_begin", rc);
    if (!r->cfg->server_audit &&
        (rc = store_put(txn, db->meta, SECRET_KEY, strlen(SECRET_KEY), secret, 32, 0)))
        die("the pseudonym key", rc);
    for (uint64_t id = 1; id <= r->cfg->designs; id++) {
        uint8_t key[8];
        put_be64(key, id);
        put_be64(rec, id);
        rc = store_put(txn, db->designs, key, 8, rec, sizeof rec, MDB_APPEND);
        if (rc == STORE_EMAPFULL) {
            fprintf(stderr, "commitcost: the map is too small for the designs; raise --map-size\n");
            exit(1);
        }
        if (rc)
            die("a design record", rc);
    }
    if ((rc = store_write_commit(r->st, txn)))
        die("commit of the designs", rc);
}

static double mean_ms(double sum_us, uint64_t n) { return n ? sum_us / (double)n / 1e3 : 0; }

static double votes_per_s(const struct result *x)
{
    return x->seconds > 0 ? (double)(x->commits * (uint64_t)x->batch) / x->seconds : 0;
}

static int cmp_vps(const void *a, const void *b)
{
    double x = votes_per_s(a), y = votes_per_s(b);
    return (x > y) - (x < y);
}

/* Runs every batch size once per round, in interleaved rounds (forward, then backward:
 * noise from elsewhere and the tables' growth fall on all sizes alike), and keeps for
 * each size the round with the median votes/s in out[i], with every round's rate. */
static void run_rounds(struct run *r, struct result *out)
{
    const struct cfg *c = r->cfg;
    struct result *all = calloc((size_t)c->rounds * (size_t)c->nbatches, sizeof *all);
    if (!all)
        die("calloc", CC_EINTERNAL);
    for (int k = 0; k < c->rounds; k++)
        for (int j = 0; j < c->nbatches; j++) {
            int i = k % 2 ? c->nbatches - 1 - j : j;
            struct result *x = &all[(size_t)i * (size_t)c->rounds + (size_t)k];
            run_size(r, c->batches[i], x);
            fprintf(stderr,
                    "commitcost: round %d/%d, batch %d: %" PRIu64 " commits in %.2f s, "
                    "%.3f ms each, %.0f votes/s\n",
                    k + 1, c->rounds, x->batch, x->commits, x->seconds,
                    mean_ms(x->cycle_sum_us, x->commits), votes_per_s(x));
        }
    for (int i = 0; i < c->nbatches; i++) {
        struct result *rs = &all[(size_t)i * (size_t)c->rounds];
        qsort(rs, (size_t)c->rounds, sizeof *rs, cmp_vps);
        out[i] = rs[(c->rounds - 1) / 2];
        for (int k = 0; k < c->rounds; k++)
            out[i].round_vps[k] = votes_per_s(&rs[k]);
    }
    free(all);
}

static const struct result *find(const struct result *res, int n, int batch)
{
    for (int i = 0; i < n; i++)
        if (res[i].batch == batch)
            return &res[i];
    return NULL;
}

/* T(C/2) and T(C): the mean begin → durable ms of those batch sizes (median rounds). */
static void bound_inputs(const struct cfg *c, const struct result *res, int n, double *th,
                         double *tf)
{
    const struct result *h = find(res, n, c->conns / 2), *f = find(res, n, c->conns);
    *th = mean_ms(h->cycle_sum_us, h->commits);
    *tf = mean_ms(f->cycle_sum_us, f->commits);
}

static void print_json(const struct cfg *c, const struct result *res, int n,
                       double audit_value_bytes, uint64_t entries)
{
    for (int i = 0; i < n; i++) {
        const struct result *x = &res[i];
        printf("{\"batch\":%d,\"commits\":%" PRIu64 ",\"votes\":%" PRIu64 ",\"seconds\":%.3f,"
               "\"cycle_ms\":%.3f,\"cycle_p50_ms\":%.3f,\"cycle_p99_ms\":%.3f,"
               "\"apply_ms\":%.3f,\"commit_ms\":%.3f,\"commit_p50_ms\":%.3f,"
               "\"commit_p99_ms\":%.3f,\"votes_per_s\":%.1f,\"commits_per_s\":%.1f,"
               "\"map_growths\":%" PRIu64 ",\"rounds_votes_per_s\":[",
               x->batch, x->commits, x->commits * (uint64_t)x->batch, x->seconds,
               mean_ms(x->cycle_sum_us, x->commits), hist_quantile_ms(&x->cycle, 0.5),
               hist_quantile_ms(&x->cycle, 0.99), mean_ms(x->apply_sum_us, x->commits),
               mean_ms(x->commit_sum_us, x->commits), hist_quantile_ms(&x->commit, 0.5),
               hist_quantile_ms(&x->commit, 0.99), votes_per_s(x), (double)x->commits / x->seconds,
               x->growths);
        for (int k = 0; k < c->rounds; k++)
            printf("%s%.1f", k ? "," : "", x->round_vps[k]);
        printf("]}\n");
    }
    double th, tf;
    bound_inputs(c, res, n, &th, &tf);
    printf("{\"bound\":\"closed_loop_depth_1\",\"conns\":%d,\"half\":%d,\"t_half_ms\":%.3f,"
           "\"double_buffered_votes_per_s\":%.1f,\"t_conns_ms\":%.3f,",
           c->conns, c->conns / 2, th, (c->conns / 2) / (th / 1e3), tf);
    if (c->rtt_ms >= 0)
        printf("\"rtt_ms\":%.3f,\"single_batch_votes_per_s\":%.1f,", c->rtt_ms,
               c->conns / ((tf + c->rtt_ms) / 1e3));
    else
        printf("\"rtt_ms\":null,\"single_batch_votes_per_s\":null,");
    printf("\"rounds\":%d,\"designs\":%" PRIu64 ",\"accounts\":%" PRIu64 ",\"audit\":\"%s\","
           "\"audit_value_bytes\":%.0f,\"audit_entries\":%" PRIu64 "}\n",
           c->rounds, c->designs, c->accounts, c->server_audit ? "server" : "raw",
           audit_value_bytes, entries);
}

static void print_markdown(const struct cfg *c, const struct result *res, int n,
                           double audit_value_bytes)
{
    int ratio = c->vs_echo > 0;
    printf("| votes per commit | commits | ms per commit (begin → durable) | p50 ms | p99 ms "
           "| mdb_txn_commit alone: mean / p99 ms | votes/s | commits/s |%s\n",
           ratio ? " vs echo |" : "");
    printf("|---:|---:|---:|---:|---:|---:|---:|---:|%s\n", ratio ? "---:|" : "");
    for (int i = 0; i < n; i++) {
        const struct result *x = &res[i];
        printf("| %d | %" PRIu64 " | %.3f | %.3f | %.3f | %.3f / %.3f | %.0f | %.0f |", x->batch,
               x->commits, mean_ms(x->cycle_sum_us, x->commits), hist_quantile_ms(&x->cycle, 0.5),
               hist_quantile_ms(&x->cycle, 0.99), mean_ms(x->commit_sum_us, x->commits),
               hist_quantile_ms(&x->commit, 0.99), votes_per_s(x), (double)x->commits / x->seconds);
        if (ratio)
            printf(" %.2fx |", votes_per_s(x) / c->vs_echo);
        printf("\n");
    }
    printf("\n- each vote%s: a get and a put or delete in `votes` (design "
           "uniform in 1..%" PRIu64 ", account one of %" PRIu64 "), then %s; one durable "
           "mdb_txn_commit per batch; one thread, nothing else in the process; %.1f s a "
           "size after %.1f s of warm-up\n",
           c->nested ? " (each in a nested txn)" : " (straight into the batch's txn)", c->designs,
           c->accounts,
           c->server_audit
               ? "the server's own audit_vote() (HMAC pseudonym, entry text, SHA-256 link)"
               : "the audit writes: a get of the pseudonym key and of the chain head, a put of "
                 "the entry, a put of the 48-byte head",
           c->seconds, c->warmup);
    printf("- audit entries of %.0f bytes (32-byte hash + canonical entry) under contest id + "
           "NUL + be64 seq\n",
           audit_value_bytes);
    if (c->rounds > 1) {
        printf("- median of %d interleaved rounds; votes/s of the rounds:", c->rounds);
        for (int i = 0; i < n; i++) {
            printf("%s %d:", i ? ";" : "", res[i].batch);
            for (int k = 0; k < c->rounds; k++)
                printf(" %.0f", res[i].round_vps[k]);
        }
        printf("\n");
    }
    double th, tf;
    bound_inputs(c, res, n, &th, &tf);
    double dbl = (c->conns / 2) / (th / 1e3);
    printf("- closed-loop bound for %d connections at depth 1, double-buffered group commit "
           "(~%d votes a commit): (C/2) / T(C/2) = %d / %.3f ms = **%.0f votes/s**",
           c->conns, c->conns / 2, c->conns / 2, th, dbl);
    if (ratio)
        printf(" (%.2fx echo)", dbl / c->vs_echo);
    printf("\n- all %d in one batch per round trip: C / (T(C) + rtt) = %d / (%.3f ms + rtt)",
           c->conns, c->conns, tf);
    if (c->rtt_ms >= 0)
        printf(" = %d / %.3f ms = **%.0f votes/s**", c->conns, tf + c->rtt_ms,
               c->conns / ((tf + c->rtt_ms) / 1e3));
    printf("\n");
}

/* Adds batch size b unless present; keeps the list sorted. */
static void add_batch(struct cfg *c, int b)
{
    for (int i = 0; i < c->nbatches; i++)
        if (c->batches[i] == b)
            return;
    int i = c->nbatches++;
    while (i > 0 && c->batches[i - 1] > b) {
        c->batches[i] = c->batches[i - 1];
        i--;
    }
    c->batches[i] = b;
}

/* --batches: sizes separated by commas, kept sorted and unique. */
static int parse_batches(struct cfg *c, const char *arg)
{
    c->nbatches = 0;
    for (const char *p = arg;;) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 1 || v > MAX_BATCH || (*end && *end != ',') ||
            c->nbatches == MAX_BATCHES - 2) {
            fprintf(stderr,
                    "commitcost: --batches wants up to %d comma-separated sizes from 1 to %d, "
                    "not '%s'\n",
                    MAX_BATCHES - 2, MAX_BATCH, arg);
            return -1;
        }
        add_batch(c, (int)v);
        if (!*end)
            return 0;
        p = end + 1;
    }
}

/* A whole decimal number in [lo, hi] for flag, or a message naming the flag. */
static int flag_u64(const char *flag, const char *arg, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (!*arg || *arg == '-' || *end || errno || v < lo || v > hi) {
        fprintf(stderr, "commitcost: %s wants a whole number from %llu to %llu, not '%s'\n", flag,
                (unsigned long long)lo, (unsigned long long)hi, arg);
        return -1;
    }
    *out = v;
    return 0;
}

static int flag_int(const char *flag, const char *arg, int lo, int hi, int *out)
{
    uint64_t v;
    if (flag_u64(flag, arg, (uint64_t)lo, (uint64_t)hi, &v))
        return -1;
    *out = (int)v;
    return 0;
}

static int flag_size(const char *flag, const char *arg, size_t lo, size_t hi, size_t *out)
{
    uint64_t v;
    if (flag_u64(flag, arg, lo, hi, &v))
        return -1;
    *out = (size_t)v;
    return 0;
}

/* A number in [lo, hi] for flag, or a message naming the flag. */
static int flag_double(const char *flag, const char *arg, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (!*arg || *end || errno || !(v >= lo && v <= hi)) {
        fprintf(stderr, "commitcost: %s wants a number from %g to %g, not '%s'\n", flag, lo, hi,
                arg);
        return -1;
    }
    *out = v;
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: commitcost --dir DIR [--designs 10000] [--accounts 64]\n"
               "         [--batches 1,8,32,64,128,256] [--seconds 3] [--warmup 0.5] [--rounds 1]\n"
               "         [--conns 64] [--rtt-ms MS] [--audit raw|server] [--audit-bytes 260]\n"
               "         [--map-size BYTES] [--nested] [--markdown] [--vs-echo REQ_PER_S]\n"
               "Durable LMDB commits of vote-shaped transactions of each batch size, in a new\n"
               "environment under DIR (the filesystem being measured), with the server's\n"
               "store settings. One JSON line per batch size and one with the closed-loop\n"
               "bounds for --conns connections at depth 1; --markdown: a table instead.\n");
}

static int parse_args(struct cfg *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"dir", required_argument, NULL, 'd'},
        {"designs", required_argument, NULL, 'D'},
        {"accounts", required_argument, NULL, 'a'},
        {"batches", required_argument, NULL, 'b'},
        {"seconds", required_argument, NULL, 's'},
        {"warmup", required_argument, NULL, 'w'},
        {"rounds", required_argument, NULL, 'R'},
        {"conns", required_argument, NULL, 'c'},
        {"rtt-ms", required_argument, NULL, 'r'},
        {"audit", required_argument, NULL, 'A'},
        {"audit-bytes", required_argument, NULL, 'B'},
        {"map-size", required_argument, NULL, 'm'},
        {"markdown", no_argument, NULL, 'M'},
        {"vs-echo", required_argument, NULL, 'v'},
        {"nested", no_argument, NULL, 'N'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int o, rc = 0;
    while (!rc && (o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'd':
            c->dir = optarg;
            break;
        case 'D':
            rc = flag_u64("--designs", optarg, 1, 100000000, &c->designs);
            break;
        case 'a':
            rc = flag_u64("--accounts", optarg, 1, 100000000, &c->accounts);
            break;
        case 'b':
            rc = parse_batches(c, optarg);
            break;
        case 's':
            rc = flag_double("--seconds", optarg, 0.01, 3600, &c->seconds);
            break;
        case 'w':
            rc = flag_double("--warmup", optarg, 0, 3600, &c->warmup);
            break;
        case 'R':
            rc = flag_int("--rounds", optarg, 1, MAX_ROUNDS, &c->rounds);
            break;
        case 'c':
            rc = flag_int("--conns", optarg, 2, MAX_BATCH, &c->conns);
            break;
        case 'r':
            rc = flag_double("--rtt-ms", optarg, 0, 60000, &c->rtt_ms);
            break;
        case 'A':
            if (strcmp(optarg, "raw") && strcmp(optarg, "server")) {
                fprintf(stderr, "commitcost: --audit wants raw or server, not '%s'\n", optarg);
                rc = -1;
            }
            c->server_audit = !strcmp(optarg, "server");
            break;
        case 'B': /* a 32-byte hash + a canonical entry of at most AUDITLOG_ENTRY_MAX */
            rc = flag_size("--audit-bytes", optarg, 40, 32 + AUDITLOG_ENTRY_MAX, &c->audit_bytes);
            break;
        case 'm':
            rc = flag_size("--map-size", optarg, (size_t)1 << 20, (size_t)1 << 40, &c->map_size);
            break;
        case 'M':
            c->markdown = 1;
            break;
        case 'N':
            c->nested = 1;
            break;
        case 'v':
            rc = flag_double("--vs-echo", optarg, 0, 1e9, &c->vs_echo);
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
    }
    if (rc)
        return -1;
    if (optind < argc) {
        fprintf(stderr, "commitcost: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    struct stat sb;
    if (!c->dir || stat(c->dir, &sb) || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr,
                "commitcost: --dir wants an existing directory on the filesystem to "
                "measure%s%s\n",
                c->dir ? ", not " : "", c->dir ? c->dir : "");
        return -1;
    }
    add_batch(c, c->conns / 2);
    add_batch(c, c->conns);
    return 0;
}

int main(int argc, char **argv)
{
    static struct cfg c = {
        .designs = 10000,
        .accounts = 64,
        .batches = {1, 8, 32, 64, 128, 256},
        .nbatches = 6,
        .seconds = 3,
        .warmup = 0.5,
        .rounds = 1,
        .conns = 64,
        .rtt_ms = -1,
        .audit_bytes = 260,
        .map_size = DEFAULT_MAP,
        .contest = "open",
    };
    if (parse_args(&c, argc, argv))
        return 2;

    char dir[4096], err[256];
    if (bench_lmdb_tmpdir(dir, sizeof dir, c.dir, "commitcost")) {
        fprintf(stderr, "commitcost: cannot make a directory in %s: %s\n", c.dir, strerror(errno));
        return 1;
    }
    struct run r = {.cfg = &c, .rng = 0x9E3779B97F4A7C15ull ^ (uint64_t)now_us(), .at = now_unix()};
    if (store_open(&r.st, dir, c.map_size, err, sizeof err)) {
        fprintf(stderr, "commitcost: %s\n", err);
        bench_lmdb_rmdir(dir);
        return 1;
    }
    uint8_t secret[32];
    random_bytes(secret, sizeof secret); /* the node's secret (secret.h): any key will do */
    store_set_secret(r.st, secret);
    r.pairs = xmalloc(2 * sizeof *r.pairs * (size_t)c.batches[c.nbatches - 1]);
    r.entry = xmalloc(c.audit_bytes);
    memset(r.entry, 'e', c.audit_bytes);
    double t0 = now_us();
    populate(&r);
    fprintf(stderr, "commitcost: %" PRIu64 " design records in %.0f ms in %s\n", c.designs,
            (now_us() - t0) / 1e3, dir);

    static struct result res[MAX_BATCHES]; /* histograms: not on the stack */
    run_rounds(&r, res);

    /* What the audit entries weighed (the server's own when --audit server). */
    MDB_txn *txn;
    struct audit_head head = {0};
    int rc = store_read_begin(r.st, &txn);
    if (!rc) {
        rc = audit_head(txn, r.st, c.contest, &head);
        store_read_end(r.st, txn);
    }
    if (rc)
        die("reading the chain head", rc);
    double value_bytes =
        head.length ? (double)head.bytes / (double)head.length - AUDIT_LINE_LEN(0) + 32 : 0;
    if (c.markdown)
        print_markdown(&c, res, c.nbatches, value_bytes);
    else
        print_json(&c, res, c.nbatches, value_bytes, head.length);
    fflush(stdout);

    store_close(r.st);
    bench_lmdb_rmdir(dir);
    free(r.pairs);
    free(r.entry);
    return ferror(stdout) ? 1 : 0;
}
