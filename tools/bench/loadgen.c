/* loadgen: closed-loop WebSocket load against cocreated (or echod), over wsclient.
 * Every connection keeps --depth requests in flight; each reply sends the next one
 * (with --interval-ms, no sooner than that long after the previous one: a paced probe).
 * After --warmup seconds the measured window runs --seconds (or until --max-requests
 * were sent), then no new requests go out and the ones in flight are waited for.
 * Prints one JSON line on stdout (with cpu_us_per_req: this client's own CPU, user +
 * system, over the measured window per request answered in it) and a human summary on
 * stderr; exits 0 on a clean run,
 * 3 when any error reply, unexpected close or unanswered request happened, 1 when it
 * could not start (bad flags, connections refused), 2 on usage errors.
 *
 *   loadgen --port P[,P...] [--host H] [--conns 64] [--depth 1] [--seconds 5] [--warmup 0]
 *           --scenario echo|hello|register|vote|gallery [--designs N] [--offset O]
 *           [--interval-ms MS] [--max-requests N] [--run-id ID] [--expect-bytes N]
 *
 * Scenarios: echo (a 64-byte message, for echod), hello, register (auth.register with
 * a new name), vote (each connection registers its own account first, then votes
 * heart=1 on designs 1..N of the `open` contest, each connection starting at its own
 * place: a first pass of vote.cast on N distinct designs, then vote.clear on the same,
 * and so on, so that every request changes a vote), gallery (gallery.get sort top,
 * limit 24, at a random offset in [0, N - 24]; --offset O: always at O, e.g. 0 for first
 * pages only). vote and gallery need --designs N.
 * --expect-bytes N counts every reply that is not exactly N bytes long as an error
 * (echo against `echod --reply-bytes N`: the run measured the replies it says).
 * Several ports (servers of one host, e.g. the nodes of a cluster) share the
 * connections in contiguous blocks: connection i goes to port[i * ports / conns]; the
 * figures are the whole run's (the sum of the rates, one histogram). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchlib.h"
#include "wsclient.h"

/* SPEC §4: the subprotocol every client asks for. */
#define PROTOCOL "cocreate.v1"
/* Size of the echo scenario's message, like the NOTES.md echo measurements. */
#define ECHO_BYTES 64
/* Longest wait for the requests still in flight after the window. */
#define DRAIN_NS (10ull * 1000000000u)
/* Longest wait for the server's close frames at the end. */
#define CLOSE_MS 2000
/* Most servers one run spreads its connections over. */
#define MAX_PORTS 16
/* Defaults of the bounds every run has. */
#define DEFAULT_MAX_REQUESTS 20000000ull
#define CONNECT_BATCH 256
#define CONNECT_TIMEOUT_MS 30000

/* Longest wait for every connection's account (vote). */
#define SETUP_NS (30ull * 1000000000u)
/* The id of a connection's auth.register before the run (never a slot's id). */
#define SETUP_ID (1ll << 40)
/* SPEC §4: the default page. */
#define GALLERY_PAGE 24

enum scenario { SC_ECHO, SC_HELLO, SC_REGISTER, SC_VOTE, SC_GALLERY };
static const char *const scenario_names[] = {"echo", "hello", "register", "vote", "gallery"};

enum phase { PH_SETUP, PH_WARMUP, PH_MEASURE, PH_DRAIN, PH_DONE };

/* ---- the run ---- */

struct lg_conn {
    struct loadgen *lg;
    struct wsc_conn *c;
    int index;
    int inflight;
    uint64_t *sent_ns;  /* per slot: when its request went out */
    long long *slot_id; /* per slot: the id in flight, -1 when free */
    long long *next_id; /* --interval-ms: per slot, the id to send when due (-1: none) */
    int ready;          /* vote: its account is registered */
    uint64_t k;         /* vote: requests made so far */
    uint64_t rng;       /* gallery: offsets */
};

struct loadgen {
    /* flags */
    const char *host;
    int port, conns, depth; /* port: the first of ports */
    int ports[MAX_PORTS], nports;
    double seconds, warmup;
    enum scenario sc;
    uint64_t max_requests;
    uint64_t designs;     /* vote, gallery: designs 1..designs exist */
    long long offset;     /* gallery: every page's offset (-1: random) */
    uint64_t interval_ns; /* paced: least time between a slot's requests (0 = closed loop) */
    size_t expect_bytes;  /* replies must be this long (0 = any) */
    char run_id[16];
    /* state */
    struct wsc *w;
    struct lg_conn *lc;
    enum phase phase;
    uint64_t t_start, t_measure, t_end, t_drain_end;
    uint64_t cpu_measure, cpu_end; /* bench_cpu_us() at t_measure and t_end */
    uint64_t sent, inflight;
    int ready; /* connections with their account (vote) */
    /* results */
    uint64_t ok_measured, ok_total;
    uint64_t closed, events;
    struct errcount err;
    struct hist hist;
};

static void count_error(struct loadgen *lg, const char *code)
{
    errcount_add(&lg->err, code);
}

/* Ends the measured window: nothing new is sent from now on. */
static void start_drain(struct loadgen *lg, uint64_t now)
{
    if (lg->phase >= PH_DRAIN)
        return;
    if (lg->phase == PH_WARMUP) {
        lg->t_measure = now;
        lg->cpu_measure = bench_cpu_us();
    }
    lg->phase = PH_DRAIN;
    lg->t_end = now;
    lg->cpu_end = bench_cpu_us();
    lg->t_drain_end = now + DRAIN_NS;
}

/* Sends the next request of slot on l (id = previous id + depth, so id % depth = slot). */
static void send_request(struct lg_conn *l, int slot, long long id)
{
    struct loadgen *lg = l->lg;
    char buf[160];
    int n;
    switch (lg->sc) {
    case SC_ECHO: {
        static const char pad[] = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
        int head = snprintf(buf, sizeof buf, "{\"id\":%lld,\"op\":\"echo\",\"pad\":\"\"}", id);
        int padlen = head < ECHO_BYTES ? ECHO_BYTES - head : 0;
        n = snprintf(buf, sizeof buf, "{\"id\":%lld,\"op\":\"echo\",\"pad\":\"%.*s\"}", id,
                     padlen, pad);
        break;
    }
    case SC_HELLO:
        n = snprintf(buf, sizeof buf, "{\"id\":%lld,\"op\":\"hello\"}", id);
        break;
    case SC_VOTE: {
        /* Pass p = k / N over this connection's N designs: cast on even passes, clear
         * on odd ones, so each request changes the stored vote. */
        uint64_t k = l->k++, start = (uint64_t)l->index * lg->designs / (uint64_t)lg->conns;
        unsigned long long design = 1 + (start + k) % lg->designs;
        if ((k / lg->designs) % 2 == 0)
            n = snprintf(buf, sizeof buf,
                         "{\"id\":%lld,\"op\":\"vote.cast\",\"design\":\"%llu\",\"value\":1}",
                         id, design);
        else
            n = snprintf(buf, sizeof buf,
                         "{\"id\":%lld,\"op\":\"vote.clear\",\"design\":\"%llu\"}", id,
                         design);
        break;
    }
    case SC_GALLERY: {
        uint64_t span = lg->designs > GALLERY_PAGE ? lg->designs - GALLERY_PAGE + 1 : 1;
        uint64_t offset = lg->offset >= 0 ? (uint64_t)lg->offset : bench_rand(&l->rng) % span;
        n = snprintf(buf, sizeof buf,
                     "{\"id\":%lld,\"op\":\"gallery.get\",\"sort\":\"top\",\"offset\":%llu,"
                     "\"limit\":%d}",
                     id, (unsigned long long)offset, GALLERY_PAGE);
        break;
    }
    default:
        n = snprintf(buf, sizeof buf,
                     "{\"id\":%lld,\"op\":\"auth.register\",\"name\":\"b%s_%d_%lld\"}", id,
                     lg->run_id, l->index, id);
        break;
    }
    if (wsc_send_text(l->c, buf, (size_t)n))
        return;
    l->slot_id[slot] = id;
    l->sent_ns[slot] = wsc_now_ns();
    l->inflight++;
    lg->inflight++;
    if (++lg->sent >= lg->max_requests)
        start_drain(lg, l->sent_ns[slot]);
}

static void on_message(struct wsc_conn *c, int binary, const uint8_t *data, size_t len,
                       void *user)
{
    (void)user;
    struct lg_conn *l = wsc_conn_user(c);
    struct loadgen *lg = l->lg;
    struct reply r;
    if (binary || scan_reply((const char *)data, len, &r)) {
        count_error(lg, "(unparsable reply)");
        return;
    }
    if (lg->expect_bytes && len != lg->expect_bytes && !r.is_event) {
        count_error(lg, "(reply not of --expect-bytes)");
        return;
    }
    if (r.is_event && !r.has_id) {
        lg->events++;
        return;
    }
    if (r.has_id && r.id == SETUP_ID && !l->ready) {
        if (r.ok == 1) {
            l->ready = 1;
            lg->ready++;
        } else {
            count_error(lg, r.code[0] ? r.code : "(auth.register failed)");
        }
        return;
    }
    int slot = r.has_id && r.id >= 0 ? (int)(r.id % lg->depth) : -1;
    if (slot < 0 || l->slot_id[slot] != r.id) {
        /* an error about a frame the server could not read has "id":null */
        count_error(lg, r.ok == 0 && r.code[0] ? r.code : "(reply to no request)");
        return;
    }
    uint64_t now = wsc_now_ns();
    l->slot_id[slot] = -1;
    l->inflight--;
    lg->inflight--;
    int good = lg->sc == SC_ECHO ? r.ok == -1 : r.ok == 1;
    if (!good)
        count_error(lg, r.code[0] ? r.code : "(reply without ok)");
    else
        lg->ok_total++;
    if (good && lg->phase == PH_MEASURE) {
        lg->ok_measured++;
        hist_add(&lg->hist, (now - l->sent_ns[slot]) / 1000);
    }
    if (lg->phase > PH_MEASURE)
        return;
    if (lg->interval_ns)
        l->next_id[slot] = r.id + lg->depth; /* sent by send_due when it is time */
    else
        send_request(l, slot, r.id + lg->depth);
}

/* --interval-ms: sends every slot's next request once interval has passed since the
 * previous one went out. Returns the ms until the next is due (for wsc_run). */
static int send_due(struct loadgen *lg, uint64_t now)
{
    uint64_t next = now + 5000000u;
    for (int i = 0; i < lg->conns; i++) {
        struct lg_conn *l = &lg->lc[i];
        for (int s = 0; s < lg->depth && l->c; s++) {
            if (l->next_id[s] < 0)
                continue;
            uint64_t due = l->sent_ns[s] + lg->interval_ns;
            if (due <= now && lg->phase <= PH_MEASURE) {
                long long id = l->next_id[s];
                l->next_id[s] = -1;
                send_request(l, s, id);
            } else if (due < next) {
                next = due;
            }
        }
    }
    return next > now ? (int)((next - now + 999999) / 1000000) : 0;
}

/* vote: every connection registers its own account before the run. Returns 0 when
 * all did within SETUP_NS. */
static int setup_accounts(struct loadgen *lg)
{
    for (int i = 0; i < lg->conns; i++) {
        char buf[128];
        int n = snprintf(buf, sizeof buf,
                         "{\"id\":%lld,\"op\":\"auth.register\",\"name\":\"v%s_%d\"}",
                         SETUP_ID, lg->run_id, i);
        wsc_send_text(lg->lc[i].c, buf, (size_t)n);
    }
    uint64_t end = wsc_now_ns() + SETUP_NS;
    while (lg->ready < lg->conns && !lg->err.total && !lg->closed && wsc_now_ns() < end)
        wsc_run(lg->w, 5);
    if (lg->ready == lg->conns)
        return 0;
    fprintf(stderr, "loadgen: only %d of %d accounts registered\n", lg->ready, lg->conns);
    return -1;
}

static void on_close(struct wsc_conn *c, int code, const char *why, void *user)
{
    struct loadgen *lg = user;
    struct lg_conn *l = wsc_conn_user(c);
    if (l && !l->c && lg->t_start == 0 && lg->closed++ == 0) /* still connecting */
        fprintf(stderr, "loadgen: cannot connect to %s:%d%s: %s\n", lg->host, lg->port,
                lg->nports > 1 ? " (or another of --port)" : "", why ? why : "closed");
    if (l && l->c == c) {
        lg->inflight -= (uint64_t)l->inflight;
        l->inflight = 0;
        l->c = NULL;
        if (lg->phase != PH_DONE) {
            lg->closed++;
            fprintf(stderr, "loadgen: connection %d closed (%d%s%s)\n", l->index, code,
                    why ? ": " : "", why ? why : "");
        }
    }
}

static void usage(FILE *f)
{
    fprintf(f, "usage: loadgen --port P[,P...] --scenario echo|hello|register|vote|gallery\n"
               "               [--host 127.0.0.1] [--conns 64] [--depth 1] [--seconds 5]\n"
               "               [--warmup 0] [--designs N] [--offset O] [--interval-ms MS]\n"
               "               [--max-requests %llu] [--run-id ID] [--expect-bytes N]\n"
               "Closed-loop WebSocket load: each connection keeps DEPTH requests in flight\n"
               "(paced: a slot's next request no sooner than MS after its previous one).\n"
               "vote and gallery act on designs 1..N of the open contest (--designs N).\n"
               "gallery: pages at random offsets; --offset O: all at O (0: first pages).\n"
               "--expect-bytes N: a reply of any other length counts as an error.\n"
               "Several ports: the connections are spread over them in blocks (one figure).\n"
               "Prints one JSON line on stdout and a summary on stderr. Exit 0: clean run;\n"
               "3: error replies, closed connections or unanswered requests; 1: no start.\n",
            DEFAULT_MAX_REQUESTS);
}

static int parse_args(struct loadgen *lg, int argc, char **argv)
{
    static const struct option opts[] = {
        {"host", required_argument, NULL, 'H'},
        {"port", required_argument, NULL, 'p'},
        {"conns", required_argument, NULL, 'c'},
        {"depth", required_argument, NULL, 'd'},
        {"seconds", required_argument, NULL, 's'},
        {"warmup", required_argument, NULL, 'w'},
        {"scenario", required_argument, NULL, 'S'},
        {"max-requests", required_argument, NULL, 'm'},
        {"run-id", required_argument, NULL, 'r'},
        {"designs", required_argument, NULL, 'D'},
        {"offset", required_argument, NULL, 'o'},
        {"interval-ms", required_argument, NULL, 'i'},
        {"expect-bytes", required_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, sc = -1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'H':
            lg->host = optarg;
            break;
        case 'p':
            lg->nports = bench_parse_ports(optarg, lg->ports, MAX_PORTS);
            if (lg->nports < 1) {
                fprintf(stderr, "loadgen: --port wants P[,P...] (at most %d ports)\n",
                        MAX_PORTS);
                return 2;
            }
            lg->port = lg->ports[0];
            break;
        case 'c':
            lg->conns = atoi(optarg);
            break;
        case 'd':
            lg->depth = atoi(optarg);
            break;
        case 's':
            lg->seconds = atof(optarg);
            break;
        case 'w':
            lg->warmup = atof(optarg);
            break;
        case 'S':
            for (int i = 0; i < (int)(sizeof scenario_names / sizeof *scenario_names); i++)
                if (!strcmp(optarg, scenario_names[i]))
                    sc = i;
            if (sc < 0) {
                fprintf(stderr, "loadgen: unknown scenario '%s'\n", optarg);
                return 2;
            }
            break;
        case 'm':
            lg->max_requests = strtoull(optarg, NULL, 10);
            break;
        case 'D':
            lg->designs = strtoull(optarg, NULL, 10);
            break;
        case 'o':
            lg->offset = strtoll(optarg, NULL, 10);
            if (lg->offset < 0) {
                fprintf(stderr, "loadgen: --offset wants O >= 0\n");
                return 2;
            }
            break;
        case 'i':
            lg->interval_ns = (uint64_t)(atof(optarg) * 1e6);
            break;
        case 'e':
            lg->expect_bytes = (size_t)strtoull(optarg, NULL, 10);
            break;
        case 'r':
            if (strlen(optarg) > 6 || strspn(optarg, "abcdefghijklmnopqrstuvwxyz0123456789") !=
                                          strlen(optarg)) {
                fprintf(stderr, "loadgen: --run-id wants 1-6 of [a-z0-9]\n");
                return 2;
            }
            snprintf(lg->run_id, sizeof lg->run_id, "%s", optarg);
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return 2;
        }
    }
    if (sc < 0 || lg->nports < 1 || lg->conns < lg->nports || lg->depth < 1 ||
        lg->depth > 4096 || lg->seconds <= 0 || lg->warmup < 0 || lg->max_requests < 1 ||
        optind < argc) {
        usage(stderr);
        return 2;
    }
    if ((sc == SC_VOTE || sc == SC_GALLERY) && lg->designs < 1) {
        fprintf(stderr, "loadgen: --scenario %s needs --designs N\n", scenario_names[sc]);
        return 2;
    }
    lg->sc = (enum scenario)sc;
    return 0;
}

static void report(struct loadgen *lg, int opened)
{
    double secs = (double)(lg->t_end - lg->t_measure) / 1e9;
    double rps = secs > 0 ? (double)lg->ok_measured / secs : 0;
    uint64_t cpu = lg->cpu_end - lg->cpu_measure;
    double p50 = hist_quantile_ms(&lg->hist, 0.50), p90 = hist_quantile_ms(&lg->hist, 0.90),
           p99 = hist_quantile_ms(&lg->hist, 0.99), mx = (double)lg->hist.max / 1000.0;
    printf("{\"scenario\":\"%s\",\"ports\":%d,\"conns\":%d,\"opened\":%d,\"depth\":%d,\"seconds\":%.3f,"
           "\"requests\":%" PRIu64 ",\"rps\":%.1f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,"
           "\"p99_ms\":%.3f,\"max_ms\":%.3f,",
           scenario_names[lg->sc], lg->nports, lg->conns, opened, lg->depth, secs, lg->ok_measured, rps,
           p50, p90, p99, mx);
    errcount_json(&lg->err, stdout);
    struct wsc_stats st;
    wsc_get_stats(lg->w, &st);
    printf(",\"closed\":%" PRIu64 ",\"unanswered\":%" PRIu64 ",\"sent\":%" PRIu64
           ",\"ok_total\":%" PRIu64 ",\"bytes_in\":%" PRIu64 ",\"warmup_s\":%.3f,"
           "\"cpu_us\":%" PRIu64 ",\"cpu_us_per_req\":%.2f,\"run_id\":\"%s\"}\n",
           lg->closed, lg->inflight, lg->sent, lg->ok_total, st.bytes_in, lg->warmup, cpu,
           lg->ok_measured ? (double)cpu / (double)lg->ok_measured : 0.0, lg->run_id);
    fflush(stdout);

    fprintf(stderr,
            "%s: %d conns x depth %d, %.2f s: %.0f req/s, p50 %.3f ms, p90 %.3f ms, "
            "p99 %.3f ms, max %.3f ms\n",
            scenario_names[lg->sc], opened, lg->depth, secs, rps, p50, p90, p99, mx);
    if (lg->err.total || lg->closed || lg->inflight) {
        fprintf(stderr, "%s: THIS RUN HAD ERRORS: ", scenario_names[lg->sc]);
        errcount_text(&lg->err, stderr);
        fprintf(stderr, ", %" PRIu64 " connections closed, %" PRIu64 " unanswered\n", lg->closed,
                lg->inflight);
    }
}

int main(int argc, char **argv)
{
    static struct loadgen lg; /* the histogram is big: not on the stack */
    lg.host = "127.0.0.1";
    lg.conns = 64;
    lg.depth = 1;
    lg.seconds = 5;
    lg.max_requests = DEFAULT_MAX_REQUESTS;
    lg.offset = -1;
    int rc = parse_args(&lg, argc, argv);
    if (rc)
        return rc;
    if (!lg.run_id[0])
        bench_run_id(lg.run_id, sizeof lg.run_id);
    signal(SIGPIPE, SIG_IGN);
    long fds = wsc_raise_fd_limit(lg.conns + 64L);
    if (fds < lg.conns + 16L) {
        fprintf(stderr, "loadgen: only %ld descriptors allowed; %d connections need more\n",
                fds, lg.conns);
        return 1;
    }

    struct wsc_config cfg = {.host = lg.host, .port = lg.port, .protocol = PROTOCOL};
    struct wsc_handlers h = {.user = &lg, .on_message = on_message, .on_close = on_close};
    if ((rc = wsc_new(&lg.w, &cfg, &h))) {
        fprintf(stderr, "loadgen: %s\n", strerror(-rc));
        return 1;
    }
    lg.lc = calloc((size_t)lg.conns, sizeof *lg.lc);
    struct wsc_conn **conns = calloc((size_t)lg.conns, sizeof *conns);
    void **users = calloc((size_t)lg.conns, sizeof *users);
    if (!lg.lc || !conns || !users) {
        fprintf(stderr, "loadgen: out of memory\n");
        return 1;
    }
    for (int i = 0; i < lg.conns; i++) {
        struct lg_conn *l = &lg.lc[i];
        l->lg = &lg;
        l->index = i;
        l->sent_ns = calloc((size_t)lg.depth, sizeof *l->sent_ns);
        l->slot_id = malloc((size_t)lg.depth * sizeof *l->slot_id);
        l->next_id = malloc((size_t)lg.depth * sizeof *l->next_id);
        if (!l->sent_ns || !l->slot_id || !l->next_id) {
            fprintf(stderr, "loadgen: out of memory\n");
            return 1;
        }
        for (int s = 0; s < lg.depth; s++)
            l->slot_id[s] = l->next_id[s] = -1;
        l->rng = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1) ^ wsc_now_ns();
        users[i] = l;
    }
    int opened = wsc_connect_spread(lg.w, lg.ports, lg.nports, lg.conns, CONNECT_BATCH,
                                    CONNECT_TIMEOUT_MS, conns, users);
    if (opened < lg.conns) {
        fprintf(stderr, "loadgen: only %d of %d connections to %s:%d%s opened\n", opened,
                lg.conns, lg.host, lg.port, lg.nports > 1 ? " (and the other ports)" : "");
        rc = 1;
        goto out;
    }
    for (int i = 0; i < lg.conns; i++)
        lg.lc[i].c = conns[i];
    if (lg.sc == SC_VOTE && setup_accounts(&lg)) {
        rc = 1;
        goto out;
    }

    lg.t_start = wsc_now_ns();
    uint64_t warm_end = lg.t_start + (uint64_t)(lg.warmup * 1e9);
    lg.phase = lg.warmup > 0 ? PH_WARMUP : PH_MEASURE;
    lg.t_measure = lg.t_start;
    lg.cpu_measure = bench_cpu_us();
    for (int i = 0; i < lg.conns; i++)
        for (int s = 0; s < lg.depth && lg.phase <= PH_MEASURE; s++)
            send_request(&lg.lc[i], s, s);
    uint64_t measure_end = warm_end + (uint64_t)(lg.seconds * 1e9);
    int wait_ms = 5;
    while (lg.phase != PH_DONE) {
        int n = wsc_run(lg.w, wait_ms);
        if (n < 0) {
            fprintf(stderr, "loadgen: epoll: %s\n", strerror(-n));
            break;
        }
        uint64_t now = wsc_now_ns();
        if (lg.phase == PH_WARMUP && now >= warm_end) {
            lg.phase = PH_MEASURE;
            lg.t_measure = now;
            lg.cpu_measure = bench_cpu_us();
            measure_end = now + (uint64_t)(lg.seconds * 1e9);
        }
        if (lg.phase == PH_MEASURE && now >= measure_end)
            start_drain(&lg, now);
        if (lg.phase == PH_DRAIN && (lg.inflight == 0 || now >= lg.t_drain_end))
            lg.phase = PH_DONE;
        if (lg.interval_ns)
            wait_ms = send_due(&lg, now);
    }
    report(&lg, opened);
    rc = lg.err.total || lg.closed || lg.inflight || lg.ok_measured == 0 ? 3 : 0;
    /* Say goodbye properly (close frames). */
    wsc_close_all(lg.w, 1000, CLOSE_MS);

out:
    lg.phase = PH_DONE;
    wsc_free(lg.w);
    for (int i = 0; i < lg.conns; i++) {
        free(lg.lc[i].sent_ns);
        free(lg.lc[i].slot_id);
        free(lg.lc[i].next_id);
    }
    free(lg.lc);
    free(conns);
    free(users);
    return rc;
}
