/* livebench: live galleries under load, and what connections cost the server.
 *
 * fanout: --subs connections each subscribe to the same gallery window (the `open`
 *   contest, sort top, limit --window); --voters other connections, each its own
 *   account, cast heart votes on the designs of that window at a paced --rate per
 *   second for --seconds (after --warmup). Vote number n goes to design n % window
 *   from voter n / window, so no (voter, design) pair repeats and every vote raises a
 *   tally by one. Voters and subscribers live in this one process, so the vote's send
 *   and ack and each subscriber's gallery.update share a clock: for every measured vote
 *   and every subscriber, the delay from the vote's ack (and from its send) to the
 *   first update that shows the design with at least that tally. An update processed
 *   before its vote's ack counts as delay 0 from the ack. After the votes, waits up to
 *   --drain seconds for every subscriber to catch up, then counts what never arrived.
 *   Identical updates (all subscribers of a window get the same bytes) are parsed once.
 *   Across servers (the nodes of a cluster): --vote-port is where the voters connect and
 *   --sub-port P[,P...] where the subscribers do (subscriber i to port[i * ports /
 *   subs]); both default to --port. The delays are then from the ack on the voters'
 *   node to the update on each subscriber's node, overall and for each --sub-port.
 *
 * memory: reads the server's VmRSS/RssAnon (/proc/--server-pid/status) idle, after
 *   opening --conns idle connections, after one gallery.subscribe each on the same
 *   window, and after a second subscription each on its own window (offset = index).
 *
 * One JSON line on stdout, a summary on stderr. Exit 0; 3 on error replies, closed
 * connections or votes/updates that never arrived; 1 when it could not start.
 *
 *   livebench fanout --port P [--subs 10000] [--rate 1000] [--seconds 10] [--warmup 1]
 *                    [--window 24] [--voters N] [--drain 5]
 *                    [--vote-port P] [--sub-port P[,P...]]
 *   livebench memory --port P --server-pid PID [--conns 10000] [--window 24] */
#define _GNU_SOURCE /* memmem */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "benchlib.h"
#include "wsclient.h"

#define PROTOCOL "cocreate.v1"
#define MAX_WINDOW 100
#define CACHE 8
#define CONNECT_BATCH 256
#define SETUP_NS (120ull * 1000000000u)
#define SUB_ID 1
/* Most servers the subscribers are spread over. */
#define MAX_SUB_PORTS 8

/* What a vote became: its design slot, when it went out and was acknowledged, and how
 * many subscribers saw its tally before the ack was processed. */
struct vote {
    uint64_t send_ns, ack_ns;
    uint32_t early;                  /* all subscribers */
    uint32_t early_g[MAX_SUB_PORTS]; /* by the subscriber's --sub-port */
    uint8_t measured;
};

/* A parsed update body (design slot and hearts of each item it carries). */
struct parsed {
    uint8_t *data;
    size_t len;
    int n;
    int slot[MAX_WINDOW];
    uint32_t hearts[MAX_WINDOW];
};

struct lb_conn {
    struct lb *lb;
    struct wsc_conn *c;
    int index;
    int voter;
    int replies; /* setup replies received */
};

struct lb {
    /* flags */
    const char *mode;
    int port, subs, voters, window, server_pid, conns;
    int vote_port, sub_port[MAX_SUB_PORTS], nsub_ports;
    double rate, seconds, warmup, drain;
    char run_id[16];
    /* connections */
    struct wsc *w;
    struct lb_conn *lc; /* subs first, then voters */
    int setup_ok, setup_want;
    /* the window */
    int nwin;
    uint64_t win_id[MAX_WINDOW];
    uint32_t base[MAX_WINDOW];   /* hearts when the run began */
    uint32_t *seen;              /* subs × window: hearts last seen */
    /* per design slot, the vote that raised hearts to base + h (h ≥ 1) */
    struct vote *votes;          /* window × cap_h */
    uint32_t cap_h;
    uint32_t acked_h[MAX_WINDOW]; /* highest h acknowledged */
    uint64_t *vote_send;          /* by vote number: send time */
    uint64_t max_votes, sent, acked, measured_votes;
    int measuring, voting, done;
    struct parsed cache[CACHE];
    int cache_next;
    /* results */
    struct hist ack_delay, send_delay, vote_rtt;
    struct hist ack_delay_g[MAX_SUB_PORTS]; /* by the subscriber's --sub-port */
    uint64_t updates, update_bytes, full_updates, early, errors, closed, anomalies;
    uint64_t t_measure, t_measure_end;
};

static void fail_msg(struct lb *lb, const char *what)
{
    if (lb->errors++ < 5)
        fprintf(stderr, "livebench: %s\n", what);
}

/* ---- parsing ---- */

static int slot_of(const struct lb *lb, uint64_t id)
{
    for (int k = 0; k < lb->nwin; k++)
        if (lb->win_id[k] == id)
            return k;
    return -1;
}

/* Items of a window reply or update: each design object starts {"id":"N" and has a
 * "hearts":H in its tally. Fills ids/hearts; returns the count. */
static int parse_items(const char *s, size_t len, uint64_t *ids, uint32_t *hearts, int max)
{
    const char *end = s + len, *p = find_key(s, len, "items");
    int n = 0;
    static const char pat[] = "{\"id\":\"";
    while (p && n < max) {
        p = memmem(p, (size_t)(end - p), pat, sizeof pat - 1);
        if (!p)
            break;
        p += sizeof pat - 1;
        ids[n] = strtoull(p, NULL, 10);
        const char *h = find_key(p, (size_t)(end - p), "hearts");
        if (!h)
            break;
        hearts[n++] = (uint32_t)strtoul(h, NULL, 10);
        p = h;
    }
    return n;
}

/* The parsed form of an update body, from the cache when the same bytes were seen. */
static const struct parsed *parse_update(struct lb *lb, const uint8_t *data, size_t len)
{
    for (int i = 0; i < CACHE; i++) {
        struct parsed *c = &lb->cache[i];
        if (c->len == len && c->data && !memcmp(c->data, data, len))
            return c;
    }
    struct parsed *c = &lb->cache[lb->cache_next];
    lb->cache_next = (lb->cache_next + 1) % CACHE;
    free(c->data);
    c->data = malloc(len);
    memcpy(c->data, data, len);
    c->len = len;
    uint64_t ids[MAX_WINDOW];
    int n = parse_items((const char *)data, len, ids, c->hearts, MAX_WINDOW);
    c->n = 0;
    for (int i = 0; i < n; i++) {
        int k = slot_of(lb, ids[i]);
        if (k < 0)
            continue;
        c->slot[c->n] = k;
        c->hearts[c->n++] = c->hearts[i];
    }
    return c;
}

/* ---- fan-out ---- */

/* CPU seconds this process used so far (user + system). */
static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Which of --sub-port subscriber i is connected to. */
static int sub_group(const struct lb *lb, int i)
{
    return (int)((long)i * lb->nsub_ports / lb->subs);
}

static struct vote *vote_at(struct lb *lb, int k, uint32_t h)
{
    return h >= 1 && h <= lb->cap_h ? &lb->votes[(size_t)k * lb->cap_h + (h - 1)] : NULL;
}

/* Subscriber i now shows design slot k with hearts: every vote it had not seen yet
 * that this covers gets its delay. */
static void seen_hearts(struct lb *lb, int i, int k, uint32_t hearts, uint64_t now)
{
    uint32_t *seen = &lb->seen[(size_t)i * lb->window + k];
    uint32_t to = hearts - lb->base[k];
    if (hearts < lb->base[k] || to <= *seen)
        return;
    for (uint32_t h = *seen + 1; h <= to; h++) {
        struct vote *v = vote_at(lb, k, h);
        if (!v) {
            lb->anomalies++;
            continue;
        }
        if (!v->ack_ns) {
            v->early++; /* the ack is on its way: resolved when it arrives */
            v->early_g[sub_group(lb, i)]++;
            continue;
        }
        if (!v->measured)
            continue;
        hist_add(&lb->ack_delay, (now - v->ack_ns) / 1000);
        hist_add(&lb->ack_delay_g[sub_group(lb, i)], (now - v->ack_ns) / 1000);
        hist_add(&lb->send_delay, (now - v->send_ns) / 1000);
    }
    *seen = to;
}

static void on_update(struct lb *lb, struct lb_conn *l, const uint8_t *data, size_t len)
{
    uint64_t now = wsc_now_ns();
    lb->updates++;
    lb->update_bytes += len;
    const struct parsed *p = parse_update(lb, data, len);
    if (p->n == lb->nwin && find_key((const char *)data, len, "order"))
        lb->full_updates++;
    for (int j = 0; j < p->n; j++)
        seen_hearts(lb, l->index, p->slot[j], p->hearts[j], now);
}

static void on_vote_ack(struct lb *lb, long long n, const char *s, size_t len)
{
    uint64_t now = wsc_now_ns();
    if (n < 0 || (uint64_t)n >= lb->sent) {
        fail_msg(lb, "a reply to no vote");
        return;
    }
    int k = (int)(n % lb->nwin);
    long long hearts = find_int(s, len, "hearts", -1);
    struct vote *v = hearts >= 0 ? vote_at(lb, k, (uint32_t)(hearts - lb->base[k])) : NULL;
    lb->acked++;
    if (!v || v->ack_ns) {
        lb->anomalies++;
        return;
    }
    v->send_ns = lb->vote_send[n];
    v->ack_ns = now;
    v->measured = lb->vote_send[n] >= lb->t_measure;
    if ((uint32_t)(hearts - lb->base[k]) > lb->acked_h[k])
        lb->acked_h[k] = (uint32_t)(hearts - lb->base[k]);
    if (v->measured) {
        lb->measured_votes++;
        hist_add(&lb->vote_rtt, (now - v->send_ns) / 1000);
        hist_add_n(&lb->ack_delay, 0, v->early);
        for (int g = 0; g < lb->nsub_ports; g++)
            hist_add_n(&lb->ack_delay_g[g], 0, v->early_g[g]);
        hist_add_n(&lb->send_delay, (now - v->send_ns) / 1000, v->early);
    }
    lb->early += v->early;
}

static void send_vote(struct lb *lb)
{
    uint64_t n = lb->sent;
    int k = (int)(n % (uint64_t)lb->nwin);
    int voter = (int)(n / (uint64_t)lb->nwin) % lb->voters;
    struct lb_conn *l = &lb->lc[lb->subs + voter];
    char buf[128];
    int len = snprintf(buf, sizeof buf,
                       "{\"id\":%" PRIu64 ",\"op\":\"vote.cast\",\"design\":\"%" PRIu64
                       "\",\"value\":1}",
                       n, lb->win_id[k]);
    if (!l->c || wsc_send_text(l->c, buf, (size_t)len)) {
        fail_msg(lb, "a voter connection is gone");
        return;
    }
    lb->vote_send[n] = wsc_now_ns();
    lb->sent++;
}

/* ---- messages ---- */

static void on_message(struct wsc_conn *c, int binary, const uint8_t *data, size_t len,
                       void *user)
{
    struct lb *lb = user;
    struct lb_conn *l = wsc_conn_user(c);
    const char *s = (const char *)data;
    if (binary) {
        fail_msg(lb, "a binary message");
        return;
    }
    /* Events first, without scanning the whole (long) object. */
    if (len > 8 && !memcmp(s, "{\"ev\":", 6)) {
        if (!l->voter)
            on_update(lb, l, data, len);
        return;
    }
    struct reply r;
    if (scan_reply(s, len, &r) || !r.has_id || r.ok != 1) {
        char msg[160];
        snprintf(msg, sizeof msg, "error reply: %.120s", s);
        fail_msg(lb, msg);
        return;
    }
    if (l->voter && lb->voting && r.id < (1ll << 40)) {
        on_vote_ack(lb, r.id, s, len);
        return;
    }
    /* A setup reply: auth.register (voters) or gallery.subscribe (subscribers). */
    l->replies++;
    lb->setup_ok++;
    if (!l->voter && r.id == SUB_ID && lb->seen) {
        uint64_t ids[MAX_WINDOW];
        uint32_t hearts[MAX_WINDOW];
        int n = parse_items(s, len, ids, hearts, MAX_WINDOW);
        if (!lb->nwin) { /* the first reply defines the window */
            lb->nwin = n;
            memcpy(lb->win_id, ids, (size_t)n * sizeof *ids);
            memcpy(lb->base, hearts, (size_t)n * sizeof *hearts);
        }
        for (int j = 0; j < n; j++) {
            int k = slot_of(lb, ids[j]);
            if (k < 0 || hearts[j] != lb->base[k])
                lb->anomalies++; /* the window moved during setup */
        }
    }
}

static void on_close(struct wsc_conn *c, int code, const char *why, void *user)
{
    struct lb *lb = user;
    struct lb_conn *l = wsc_conn_user(c);
    if (!l || l->c != c)
        return;
    l->c = NULL;
    if (lb->done) /* our own goodbye */
        return;
    if (lb->closed++ < 5)
        fprintf(stderr, "livebench: connection %d closed (%d%s%s)\n", l->index, code,
                why ? ": " : "", why ? why : "");
}

/* ---- setup ---- */

/* Opens n connections for lc[first..first+n), spread over ports; returns 0 when all
 * opened. */
static int open_conns(struct lb *lb, int first, int n, const int *ports, int nports)
{
    struct wsc_conn **conns = calloc((size_t)n, sizeof *conns);
    void **users = calloc((size_t)n, sizeof *users);
    for (int i = 0; i < n; i++)
        users[i] = &lb->lc[first + i];
    int opened = wsc_connect_spread(lb->w, ports, nports, n, CONNECT_BATCH, 60000, conns, users);
    for (int i = 0; i < n; i++)
        lb->lc[first + i].c = conns[i];
    free(conns);
    free(users);
    if (opened < n) {
        fprintf(stderr, "livebench: only %d of %d connections opened\n", opened, n);
        return -1;
    }
    return 0;
}

/* Runs the loop until want more setup replies arrived. */
static int await_setup(struct lb *lb, int want, const char *what)
{
    lb->setup_want = lb->setup_ok + want;
    uint64_t end = wsc_now_ns() + SETUP_NS;
    while (lb->setup_ok < lb->setup_want && !lb->errors && !lb->closed && wsc_now_ns() < end)
        wsc_run(lb->w, 10);
    if (lb->setup_ok >= lb->setup_want)
        return 0;
    fprintf(stderr, "livebench: %s: %d of %d replies\n", what, want - (lb->setup_want - lb->setup_ok),
            want);
    return -1;
}

static void subscribe(struct lb *lb, int i, int id, int offset)
{
    char buf[160];
    int n = snprintf(buf, sizeof buf,
                     "{\"id\":%d,\"op\":\"gallery.subscribe\",\"sort\":\"top\",\"offset\":%d,"
                     "\"limit\":%d}",
                     id, offset, lb->window);
    wsc_send_text(lb->lc[i].c, buf, (size_t)n);
}

/* Runs the loop for ms milliseconds. */
static void run_for(struct lb *lb, int ms)
{
    uint64_t end = wsc_now_ns() + (uint64_t)ms * 1000000u;
    while (wsc_now_ns() < end)
        wsc_run(lb->w, 10);
}

static int fanout(struct lb *lb)
{
    if (lb->voters <= 0) /* enough that no (voter, design) pair repeats */
        lb->voters = (int)((lb->rate * (lb->seconds + lb->warmup) + 2.0 * lb->window) /
                               lb->window + 1);
    lb->max_votes = (uint64_t)(lb->rate * (lb->seconds + lb->warmup)) + 16;
    lb->lc = calloc((size_t)(lb->subs + lb->voters), sizeof *lb->lc);
    for (int i = 0; i < lb->subs + lb->voters; i++) {
        lb->lc[i].lb = lb;
        lb->lc[i].index = i;
        lb->lc[i].voter = i >= lb->subs;
    }
    lb->seen = calloc((size_t)lb->subs * (size_t)lb->window, sizeof *lb->seen);
    lb->vote_send = calloc(lb->max_votes, sizeof *lb->vote_send);
    uint64_t t0 = wsc_now_ns();
    if (open_conns(lb, lb->subs, lb->voters, &lb->vote_port, 1))
        return 1;
    for (int i = lb->subs; i < lb->subs + lb->voters; i++) {
        char buf[128];
        int n = snprintf(buf, sizeof buf,
                         "{\"id\":%lld,\"op\":\"auth.register\",\"name\":\"fv%s_%d\"}",
                         1ll << 41, lb->run_id, i - lb->subs);
        wsc_send_text(lb->lc[i].c, buf, (size_t)n);
    }
    if (await_setup(lb, lb->voters, "registering voters") ||
        open_conns(lb, 0, lb->subs, lb->sub_port, lb->nsub_ports))
        return 1;
    for (int i = 0; i < lb->subs; i++)
        subscribe(lb, i, SUB_ID, 0);
    if (await_setup(lb, lb->subs, "subscribing"))
        return 1;
    if (lb->nwin < 1) {
        fprintf(stderr, "livebench: the gallery is empty\n");
        return 1;
    }
    lb->cap_h = (uint32_t)(lb->max_votes / (uint64_t)lb->nwin + 2);
    lb->votes = calloc((size_t)lb->nwin * lb->cap_h, sizeof *lb->votes);
    double setup_s = (double)(wsc_now_ns() - t0) / 1e9;
    fprintf(stderr, "livebench: %d subscribers on a window of %d, %d voters, ready in %.1f s\n",
            lb->subs, lb->nwin, lb->voters, setup_s);

    /* Votes, paced. */
    uint64_t interval = (uint64_t)(1e9 / lb->rate), start = wsc_now_ns(), next = start;
    uint64_t measure_at = start + (uint64_t)(lb->warmup * 1e9);
    uint64_t stop_at = measure_at + (uint64_t)(lb->seconds * 1e9);
    lb->voting = 1;
    lb->t_measure = measure_at;
    double cpu0 = cpu_seconds();
    for (;;) {
        uint64_t now = wsc_now_ns();
        if (!lb->measuring && now >= measure_at)
            lb->measuring = 1;
        if (now >= stop_at)
            break;
        while (next <= now && lb->sent < lb->max_votes) {
            send_vote(lb);
            next += interval;
        }
        uint64_t wait = next > now ? (next - now) / 1000000u : 0;
        wsc_run(lb->w, wait > 10 ? 10 : (int)wait);
    }
    lb->t_measure_end = wsc_now_ns();
    uint64_t sent_measured = 0;
    for (uint64_t n = 0; n < lb->sent; n++)
        sent_measured += lb->vote_send[n] >= measure_at;
    /* Drain: until every ack arrived and every subscriber shows every acked vote. */
    uint64_t drain_end = lb->t_measure_end + (uint64_t)(lb->drain * 1e9);
    uint64_t missing = 0;
    for (;;) {
        wsc_run(lb->w, 10);
        missing = 0;
        for (int i = 0; i < lb->subs; i++)
            for (int k = 0; k < lb->nwin; k++) {
                uint32_t s = lb->seen[(size_t)i * lb->window + k];
                missing += s < lb->acked_h[k] ? lb->acked_h[k] - s : 0;
            }
        if ((missing == 0 && lb->acked == lb->sent) || wsc_now_ns() >= drain_end)
            break;
    }
    lb->measuring = 0;
    double client_cpu = (cpu_seconds() - cpu0) / ((double)(wsc_now_ns() - start) / 1e9);
    double secs = (double)(lb->t_measure_end - measure_at) / 1e9;
    double upd_s = (double)lb->updates / ((double)(wsc_now_ns() - start) / 1e9);
    printf("{\"mode\":\"fanout\",\"subs\":%d,\"voters\":%d,\"window\":%d,\"rate\":%.0f,"
           "\"seconds\":%.3f,\"setup_s\":%.1f,\"votes_sent\":%" PRIu64 ",\"votes_acked\":%" PRIu64
           ",\"votes_per_s\":%.1f,\"vote_p50_ms\":%.3f,\"vote_p99_ms\":%.3f,"
           "\"updates\":%" PRIu64 ",\"updates_per_s\":%.0f,\"full_updates\":%" PRIu64
           ",\"update_mib_s\":%.1f,\"samples\":%" PRIu64 ",\"ack_p50_ms\":%.3f,"
           "\"ack_p99_ms\":%.3f,\"ack_max_ms\":%.3f,\"send_p50_ms\":%.3f,\"send_p99_ms\":%.3f,"
           "\"client_cpu\":%.0f,\"early\":%" PRIu64 ",\"missing\":%" PRIu64 ",\"anomalies\":%" PRIu64
           ",\"errors\":%" PRIu64 ",\"closed\":%" PRIu64,
           lb->subs, lb->voters, lb->nwin, lb->rate, secs, setup_s, lb->sent, lb->acked,
           (double)sent_measured / secs, hist_quantile_ms(&lb->vote_rtt, 0.5),
           hist_quantile_ms(&lb->vote_rtt, 0.99), lb->updates, upd_s, lb->full_updates,
           (double)lb->update_bytes / 1048576.0 / ((double)(wsc_now_ns() - start) / 1e9),
           lb->ack_delay.count, hist_quantile_ms(&lb->ack_delay, 0.5),
           hist_quantile_ms(&lb->ack_delay, 0.99), (double)lb->ack_delay.max / 1000.0,
           hist_quantile_ms(&lb->send_delay, 0.5), hist_quantile_ms(&lb->send_delay, 0.99),
           client_cpu * 100, lb->early, missing, lb->anomalies, lb->errors, lb->closed);
    /* the same line goes on: the ports, and the ack → update delays by subscriber port */
    printf(",\"vote_port\":%d,\"sub_ports\":%d", lb->vote_port, lb->nsub_ports);
    for (int g = 0; g < lb->nsub_ports; g++) {
        const struct hist *h = &lb->ack_delay_g[g];
        int subs = 0;
        for (int i = 0; i < lb->subs; i++)
            subs += sub_group(lb, i) == g;
        printf(",\"g%d_port\":%d,\"g%d_subs\":%d,\"g%d_samples\":%" PRIu64
               ",\"g%d_ack_p50_ms\":%.3f,\"g%d_ack_p99_ms\":%.3f,\"g%d_ack_max_ms\":%.3f",
               g, lb->sub_port[g], g, subs, g, h->count, g, hist_quantile_ms(h, 0.5), g,
               hist_quantile_ms(h, 0.99), g, (double)h->max / 1000.0);
    }
    printf("}\n");
    fprintf(stderr,
            "livebench fanout: %.0f votes/s for %.1f s to %d subscribers: vote ack → update "
            "p50 %.1f ms, p99 %.1f ms, max %.1f ms; %.0f updates/s; %" PRIu64
            " vote-updates missing at the end\n",
            (double)sent_measured / secs, secs, lb->subs, hist_quantile_ms(&lb->ack_delay, 0.5),
            hist_quantile_ms(&lb->ack_delay, 0.99), (double)lb->ack_delay.max / 1000.0, upd_s,
            missing);
    for (int g = 0; g < lb->nsub_ports && lb->nsub_ports > 1; g++)
        fprintf(stderr, "livebench fanout: subscribers on port %d: ack (on port %d) → update "
                        "p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
                lb->sub_port[g], lb->vote_port, hist_quantile_ms(&lb->ack_delay_g[g], 0.5),
                hist_quantile_ms(&lb->ack_delay_g[g], 0.99),
                (double)lb->ack_delay_g[g].max / 1000.0);
    return lb->errors || lb->closed || missing || lb->acked < lb->sent ? 3 : 0;
}

/* ---- memory ---- */

static int mem_sample(struct lb *lb, long *rss, long *anon)
{
    run_for(lb, 1000); /* let the server settle (and free what it sent) */
    if (proc_memory_kib(lb->server_pid, rss, anon)) {
        fprintf(stderr, "livebench: cannot read /proc/%d/status\n", lb->server_pid);
        return -1;
    }
    return 0;
}

static int memory(struct lb *lb)
{
    long rss[4], anon[4];
    int n = lb->conns;
    lb->lc = calloc((size_t)n, sizeof *lb->lc);
    for (int i = 0; i < n; i++) {
        lb->lc[i].lb = lb;
        lb->lc[i].index = i;
        lb->lc[i].voter = 1; /* no fan-out bookkeeping: just count replies */
    }
    if (mem_sample(lb, &rss[0], &anon[0]) || open_conns(lb, 0, n, &lb->port, 1) ||
        mem_sample(lb, &rss[1], &anon[1]))
        return 1;
    for (int i = 0; i < n; i++)
        subscribe(lb, i, SUB_ID, 0);
    if (await_setup(lb, n, "subscribing") || mem_sample(lb, &rss[2], &anon[2]))
        return 1;
    for (int i = 0; i < n; i++)
        subscribe(lb, i, SUB_ID + 1, i + 1);
    if (await_setup(lb, n, "subscribing to distinct windows") || mem_sample(lb, &rss[3], &anon[3]))
        return 1;
    double per_conn = (double)(anon[1] - anon[0]) * 1024 / n;
    double per_sub = (double)(anon[2] - anon[1]) * 1024 / n;
    double per_win = (double)(anon[3] - anon[2]) * 1024 / n;
    double rss_conn = (double)(rss[1] - rss[0]) * 1024 / n;
    printf("{\"mode\":\"memory\",\"conns\":%d,\"rss_kib\":[%ld,%ld,%ld,%ld],"
           "\"anon_kib\":[%ld,%ld,%ld,%ld],\"conn_anon_bytes\":%.0f,\"conn_rss_bytes\":%.0f,"
           "\"sub_anon_bytes\":%.0f,\"window_sub_anon_bytes\":%.0f,\"errors\":%" PRIu64
           ",\"closed\":%" PRIu64 "}\n",
           n, rss[0], rss[1], rss[2], rss[3], anon[0], anon[1], anon[2], anon[3], per_conn,
           rss_conn, per_sub, per_win, lb->errors, lb->closed);
    fprintf(stderr,
            "livebench memory: %d connections: %.0f B anon (%.0f B RSS) each idle, +%.0f B per "
            "subscription to a shared window, +%.0f B per subscription with its own window\n",
            n, per_conn, rss_conn, per_sub, per_win);
    return lb->errors || lb->closed ? 3 : 0;
}

/* ---- main ---- */

static void usage(FILE *f)
{
    fprintf(f, "usage: livebench fanout --port P [--subs 10000] [--rate 1000] [--seconds 10]\n"
               "                        [--warmup 1] [--window 24] [--voters N] [--drain 5]\n"
               "                        [--vote-port P] [--sub-port P[,P...]]\n"
               "         (voters on --vote-port, subscribers spread over --sub-port's;\n"
               "          both default to --port)\n"
               "       livebench memory --port P --server-pid PID [--conns 10000] [--window 24]\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"port", required_argument, NULL, 'p'},   {"subs", required_argument, NULL, 'S'},
        {"rate", required_argument, NULL, 'r'},   {"seconds", required_argument, NULL, 's'},
        {"warmup", required_argument, NULL, 'w'}, {"window", required_argument, NULL, 'W'},
        {"voters", required_argument, NULL, 'v'}, {"drain", required_argument, NULL, 'd'},
        {"conns", required_argument, NULL, 'c'},  {"server-pid", required_argument, NULL, 'P'},
        {"vote-port", required_argument, NULL, 'V'},
        {"sub-port", required_argument, NULL, 'B'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    static struct lb lb;
    lb.subs = 10000, lb.rate = 1000, lb.seconds = 10, lb.warmup = 1, lb.window = 24;
    lb.drain = 5, lb.conns = 10000;
    if (argc < 2 || (strcmp(argv[1], "fanout") && strcmp(argv[1], "memory"))) {
        usage(stderr);
        return 2;
    }
    lb.mode = argv[1];
    optind = 2;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'p': lb.port = atoi(optarg); break;
        case 'S': lb.subs = atoi(optarg); break;
        case 'r': lb.rate = atof(optarg); break;
        case 's': lb.seconds = atof(optarg); break;
        case 'w': lb.warmup = atof(optarg); break;
        case 'W': lb.window = atoi(optarg); break;
        case 'v': lb.voters = atoi(optarg); break;
        case 'd': lb.drain = atof(optarg); break;
        case 'c': lb.conns = atoi(optarg); break;
        case 'P': lb.server_pid = atoi(optarg); break;
        case 'V': lb.vote_port = atoi(optarg); break;
        case 'B':
            lb.nsub_ports = bench_parse_ports(optarg, lb.sub_port, MAX_SUB_PORTS);
            if (lb.nsub_ports < 1) {
                fprintf(stderr, "livebench: --sub-port wants P[,P...] (at most %d)\n",
                        MAX_SUB_PORTS);
                return 2;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    int mem = !strcmp(lb.mode, "memory");
    if (!lb.vote_port)
        lb.vote_port = lb.port;
    if (!lb.nsub_ports && lb.port > 0)
        lb.sub_port[lb.nsub_ports++] = lb.port;
    if ((mem ? lb.port < 1 : lb.vote_port < 1 || lb.vote_port > 65535 || !lb.nsub_ports) ||
        lb.subs < lb.nsub_ports || lb.subs < 1 || lb.rate <= 0 || lb.seconds <= 0 || lb.window < 1 ||
        lb.window > MAX_WINDOW || lb.conns < 1 || (mem && lb.server_pid < 1) || optind < argc) {
        usage(stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    bench_run_id(lb.run_id, sizeof lb.run_id);
    long want = (mem ? lb.conns : lb.subs + 4096L) + 64;
    long fds = wsc_raise_fd_limit(want);
    if (fds < want) {
        fprintf(stderr, "livebench: only %ld descriptors allowed, %ld wanted\n", fds, want);
        return 1;
    }
    struct wsc_config cfg = {.host = "127.0.0.1", .port = mem ? lb.port : lb.vote_port,
                             .protocol = PROTOCOL};
    struct wsc_handlers h = {.user = &lb, .on_message = on_message, .on_close = on_close};
    if (wsc_new(&lb.w, &cfg, &h)) {
        fprintf(stderr, "livebench: cannot start the client\n");
        return 1;
    }
    int rc = mem ? memory(&lb) : fanout(&lb);
    lb.done = 1;
    wsc_close_all(lb.w, 1000, 5000);
    wsc_free(lb.w);
    for (int i = 0; i < CACHE; i++)
        free(lb.cache[i].data);
    free(lb.lc);
    free(lb.seen);
    free(lb.votes);
    free(lb.vote_send);
    return rc;
}
