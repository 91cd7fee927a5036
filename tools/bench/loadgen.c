/* loadgen: closed-loop WebSocket load against cocreated (or echod), over wsclient.
 * Every connection keeps --depth requests in flight; each reply sends the next one.
 * After --warmup seconds the measured window runs --seconds (or until --max-requests
 * were sent), then no new requests go out and the ones in flight are waited for.
 * Prints one JSON line on stdout and a human summary on stderr; exits 0 on a clean run,
 * 3 when any error reply, unexpected close or unanswered request happened, 1 when it
 * could not start (bad flags, connections refused), 2 on usage errors.
 *
 *   loadgen --port P [--host H] [--conns 64] [--depth 1] [--seconds 5] [--warmup 0]
 *           --scenario echo|hello|register [--max-requests N] [--run-id ID] */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wsclient.h"

/* SPEC §4: the subprotocol every client asks for. */
#define PROTOCOL "cocreate.v1"
/* Size of the echo scenario's message, like the NOTES.md echo measurements. */
#define ECHO_BYTES 64
/* Longest wait for the requests still in flight after the window. */
#define DRAIN_NS (10ull * 1000000000u)
/* Longest wait for the server's close frames at the end. */
#define CLOSE_NS (2ull * 1000000000u)
/* Defaults of the bounds every run has. */
#define DEFAULT_MAX_REQUESTS 20000000ull
#define CONNECT_BATCH 256
#define CONNECT_TIMEOUT_MS 30000
/* Distinct error codes remembered for the report (SPEC §4 has 13). */
#define MAX_CODES 16

enum scenario { SC_ECHO, SC_HELLO, SC_REGISTER };
static const char *const scenario_names[] = {"echo", "hello", "register"};

enum phase { PH_WARMUP, PH_MEASURE, PH_DRAIN, PH_DONE };

/* ---- latency histogram ----
 * Log-linear over microseconds: values below HIST_SUB are exact, above that every
 * power of two is cut into HIST_SUB/2 buckets (relative error < 2/HIST_SUB ≈ 3 %). */
#define HIST_SUB_BITS 6
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_BUCKETS (HIST_SUB + (32 - HIST_SUB_BITS) * (HIST_SUB / 2))

struct hist {
    uint64_t n[HIST_BUCKETS];
    uint64_t count, max;
};

static unsigned hist_index(uint32_t v)
{
    if (v < HIST_SUB)
        return v;
    unsigned msb = 31 - (unsigned)__builtin_clz(v);
    unsigned shift = msb - (HIST_SUB_BITS - 1);
    return HIST_SUB + (shift - 1) * (HIST_SUB / 2) + ((v >> shift) - HIST_SUB / 2);
}

/* The middle of bucket i, in microseconds. */
static double hist_value(unsigned i)
{
    if (i < HIST_SUB)
        return i;
    unsigned shift = (i - HIST_SUB) / (HIST_SUB / 2) + 1;
    unsigned sub = (i - HIST_SUB) % (HIST_SUB / 2) + HIST_SUB / 2;
    return ((double)sub + 0.5) * (double)(1u << shift);
}

static void hist_add(struct hist *h, uint64_t us)
{
    uint32_t v = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
    h->n[hist_index(v)]++;
    h->count++;
    if (us > h->max)
        h->max = us;
}

/* The q-quantile (0..1) in milliseconds; 0 when empty. */
static double hist_quantile_ms(const struct hist *h, double q)
{
    if (!h->count)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)(h->count - 1)) + 1, seen = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        seen += h->n[i];
        if (seen >= rank)
            return hist_value(i) / 1000.0;
    }
    return (double)h->max / 1000.0;
}

/* ---- reply scanning ----
 * Only what the counting needs: the top-level "id", "ok", "ev" and error.code. */
struct reply {
    int has_id;
    long long id;
    int ok; /* 1 true, 0 false, -1 absent */
    int is_event;
    char code[32];
};

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* Skips a string starting at its opening quote; returns just past the closing quote. */
static const char *skip_string(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\')
            p++;
        else if (*p == '"')
            return p + 1;
    }
    return NULL;
}

/* Skips one JSON value; returns just past it, or NULL when malformed. */
static const char *skip_value(const char *p, const char *end)
{
    p = skip_ws(p, end);
    if (p >= end)
        return NULL;
    if (*p == '"')
        return skip_string(p, end);
    if (*p != '{' && *p != '[') {
        while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ')
            p++;
        return p;
    }
    int depth = 0;
    while (p < end) {
        if (*p == '"') {
            if (!(p = skip_string(p, end)))
                return NULL;
            continue;
        }
        if (*p == '{' || *p == '[')
            depth++;
        else if ((*p == '}' || *p == ']') && --depth == 0)
            return p + 1;
        p++;
    }
    return NULL;
}

/* Walks the members of the object at p, calling member() with each key (the bytes
 * between the quotes) and a pointer to its value. Returns 0, or -1 when malformed. */
static int scan_object(const char *p, const char *end,
                       void (*member)(const char *key, size_t klen, const char *val,
                                      const char *end, void *arg),
                       void *arg)
{
    p = skip_ws(p, end);
    if (p >= end || *p != '{')
        return -1;
    p = skip_ws(p + 1, end);
    while (p < end && *p != '}') {
        if (*p != '"')
            return -1;
        const char *k = p + 1, *kend = skip_string(p, end);
        if (!kend)
            return -1;
        p = skip_ws(kend, end);
        if (p >= end || *p != ':')
            return -1;
        const char *val = skip_ws(p + 1, end);
        member(k, (size_t)(kend - 1 - k), val, end, arg);
        if (!(p = skip_value(val, end)))
            return -1;
        p = skip_ws(p, end);
        if (p < end && *p == ',')
            p = skip_ws(p + 1, end);
    }
    return p < end ? 0 : -1;
}

static int key_is(const char *k, size_t klen, const char *name)
{
    return strlen(name) == klen && !memcmp(k, name, klen);
}

static void error_member(const char *k, size_t klen, const char *val, const char *end,
                         void *arg)
{
    struct reply *r = arg;
    const char *e;
    if (!key_is(k, klen, "code") || *val != '"' || !(e = skip_string(val, end)))
        return;
    snprintf(r->code, sizeof r->code, "%.*s", (int)(e - val - 2), val + 1);
}

static void reply_member(const char *k, size_t klen, const char *val, const char *end,
                         void *arg)
{
    struct reply *r = arg;
    if (key_is(k, klen, "id")) {
        char *e;
        errno = 0;
        long long id = strtoll(val, &e, 10);
        if (e != val && !errno) {
            r->has_id = 1;
            r->id = id;
        }
    } else if (key_is(k, klen, "ok")) {
        r->ok = end - val >= 4 && !memcmp(val, "true", 4);
    } else if (key_is(k, klen, "ev")) {
        r->is_event = 1;
    } else if (key_is(k, klen, "error")) {
        scan_object(val, end, error_member, r);
    }
}

static int scan_reply(const char *s, size_t len, struct reply *r)
{
    memset(r, 0, sizeof *r);
    r->ok = -1;
    return scan_object(s, s + len, reply_member, r);
}

/* ---- the run ---- */

struct lg_conn {
    struct loadgen *lg;
    struct wsc_conn *c;
    int index;
    int inflight;
    uint64_t *sent_ns;  /* per slot: when its request went out */
    long long *slot_id; /* per slot: the id in flight, -1 when free */
};

struct code_count {
    char code[32];
    uint64_t n;
};

struct loadgen {
    /* flags */
    const char *host;
    int port, conns, depth;
    double seconds, warmup;
    enum scenario sc;
    uint64_t max_requests;
    char run_id[16];
    /* state */
    struct wsc *w;
    struct lg_conn *lc;
    enum phase phase;
    uint64_t t_start, t_measure, t_end, t_drain_end;
    uint64_t sent, inflight;
    /* results */
    uint64_t ok_measured, ok_total;
    uint64_t errors, closed, events;
    struct code_count codes[MAX_CODES];
    int ncodes;
    struct hist hist;
};

static void count_error(struct loadgen *lg, const char *code)
{
    lg->errors++;
    for (int i = 0; i < lg->ncodes; i++)
        if (!strcmp(lg->codes[i].code, code)) {
            lg->codes[i].n++;
            return;
        }
    if (lg->ncodes == MAX_CODES)
        return;
    snprintf(lg->codes[lg->ncodes].code, sizeof lg->codes[0].code, "%s", code);
    lg->codes[lg->ncodes++].n = 1;
}

/* Ends the measured window: nothing new is sent from now on. */
static void start_drain(struct loadgen *lg, uint64_t now)
{
    if (lg->phase >= PH_DRAIN)
        return;
    if (lg->phase == PH_WARMUP)
        lg->t_measure = now;
    lg->phase = PH_DRAIN;
    lg->t_end = now;
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
    if (r.is_event && !r.has_id) {
        lg->events++;
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
    if (lg->phase <= PH_MEASURE)
        send_request(l, slot, r.id + lg->depth);
}

static void on_close(struct wsc_conn *c, int code, const char *why, void *user)
{
    struct loadgen *lg = user;
    struct lg_conn *l = wsc_conn_user(c);
    if (l && !l->c && lg->t_start == 0 && lg->closed++ == 0) /* still connecting */
        fprintf(stderr, "loadgen: cannot connect to %s:%d: %s\n", lg->host, lg->port,
                why ? why : "closed");
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
    fprintf(f, "usage: loadgen --port P --scenario echo|hello|register [--host 127.0.0.1]\n"
               "               [--conns 64] [--depth 1] [--seconds 5] [--warmup 0]\n"
               "               [--max-requests %llu] [--run-id ID]\n"
               "Closed-loop WebSocket load: each connection keeps DEPTH requests in flight.\n"
               "Prints one JSON line on stdout and a summary on stderr. Exit 0: clean run;\n"
               "3: error replies, closed connections or unanswered requests; 1: no start.\n",
            DEFAULT_MAX_REQUESTS);
}

/* A short id that makes this run's account names unique: base36 of clock and pid. */
static void make_run_id(char *out, size_t len)
{
    uint64_t v = wsc_now_ns() / 1000 ^ ((uint64_t)getpid() << 20);
    size_t i = 0;
    while (i < 6 && i + 1 < len) {
        out[i++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
        v /= 36;
    }
    out[i] = '\0';
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
            lg->port = atoi(optarg);
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
    if (sc < 0 || lg->port < 1 || lg->port > 65535 || lg->conns < 1 || lg->depth < 1 ||
        lg->depth > 4096 || lg->seconds <= 0 || lg->warmup < 0 || lg->max_requests < 1 ||
        optind < argc) {
        usage(stderr);
        return 2;
    }
    lg->sc = (enum scenario)sc;
    return 0;
}

static void report(struct loadgen *lg, int opened)
{
    double secs = (double)(lg->t_end - lg->t_measure) / 1e9;
    double rps = secs > 0 ? (double)lg->ok_measured / secs : 0;
    double p50 = hist_quantile_ms(&lg->hist, 0.50), p90 = hist_quantile_ms(&lg->hist, 0.90),
           p99 = hist_quantile_ms(&lg->hist, 0.99), mx = (double)lg->hist.max / 1000.0;
    printf("{\"scenario\":\"%s\",\"conns\":%d,\"opened\":%d,\"depth\":%d,\"seconds\":%.3f,"
           "\"requests\":%" PRIu64 ",\"rps\":%.1f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,"
           "\"p99_ms\":%.3f,\"max_ms\":%.3f,\"errors\":%" PRIu64 ",\"error_codes\":{",
           scenario_names[lg->sc], lg->conns, opened, lg->depth, secs, lg->ok_measured, rps,
           p50, p90, p99, mx, lg->errors);
    for (int i = 0; i < lg->ncodes; i++)
        printf("%s\"%s\":%" PRIu64, i ? "," : "", lg->codes[i].code, lg->codes[i].n);
    printf("},\"closed\":%" PRIu64 ",\"unanswered\":%" PRIu64 ",\"sent\":%" PRIu64
           ",\"ok_total\":%" PRIu64 ",\"warmup_s\":%.3f,\"run_id\":\"%s\"}\n",
           lg->closed, lg->inflight, lg->sent, lg->ok_total, lg->warmup, lg->run_id);
    fflush(stdout);

    fprintf(stderr,
            "%s: %d conns x depth %d, %.2f s: %.0f req/s, p50 %.3f ms, p90 %.3f ms, "
            "p99 %.3f ms, max %.3f ms\n",
            scenario_names[lg->sc], opened, lg->depth, secs, rps, p50, p90, p99, mx);
    if (lg->errors || lg->closed || lg->inflight) {
        fprintf(stderr, "%s: THIS RUN HAD ERRORS: %" PRIu64 " error replies", scenario_names[lg->sc],
                lg->errors);
        for (int i = 0; i < lg->ncodes; i++)
            fprintf(stderr, "%s%s ×%" PRIu64, i ? ", " : " (", lg->codes[i].code, lg->codes[i].n);
        fprintf(stderr, "%s, %" PRIu64 " connections closed, %" PRIu64 " unanswered\n",
                lg->ncodes ? ")" : "", lg->closed, lg->inflight);
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
    int rc = parse_args(&lg, argc, argv);
    if (rc)
        return rc;
    if (!lg.run_id[0])
        make_run_id(lg.run_id, sizeof lg.run_id);
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
        if (!l->sent_ns || !l->slot_id) {
            fprintf(stderr, "loadgen: out of memory\n");
            return 1;
        }
        for (int s = 0; s < lg.depth; s++)
            l->slot_id[s] = -1;
        users[i] = l;
    }
    int opened = wsc_connect_many(lg.w, lg.conns, CONNECT_BATCH, CONNECT_TIMEOUT_MS, conns, users);
    if (opened < lg.conns) {
        fprintf(stderr, "loadgen: only %d of %d connections to %s:%d opened\n", opened,
                lg.conns, lg.host, lg.port);
        rc = 1;
        goto out;
    }

    lg.t_start = wsc_now_ns();
    uint64_t warm_end = lg.t_start + (uint64_t)(lg.warmup * 1e9);
    lg.phase = lg.warmup > 0 ? PH_WARMUP : PH_MEASURE;
    lg.t_measure = lg.t_start;
    for (int i = 0; i < lg.conns; i++) {
        lg.lc[i].c = conns[i];
        for (int s = 0; s < lg.depth && lg.phase <= PH_MEASURE; s++)
            send_request(&lg.lc[i], s, s);
    }
    uint64_t measure_end = warm_end + (uint64_t)(lg.seconds * 1e9);
    while (lg.phase != PH_DONE) {
        int n = wsc_run(lg.w, 5);
        if (n < 0) {
            fprintf(stderr, "loadgen: epoll: %s\n", strerror(-n));
            break;
        }
        uint64_t now = wsc_now_ns();
        if (lg.phase == PH_WARMUP && now >= warm_end) {
            lg.phase = PH_MEASURE;
            lg.t_measure = now;
            measure_end = now + (uint64_t)(lg.seconds * 1e9);
        }
        if (lg.phase == PH_MEASURE && now >= measure_end)
            start_drain(&lg, now);
        if (lg.phase == PH_DRAIN && (lg.inflight == 0 || now >= lg.t_drain_end))
            lg.phase = PH_DONE;
    }
    report(&lg, opened);
    rc = lg.errors || lg.closed || lg.inflight || lg.ok_measured == 0 ? 3 : 0;

    /* Say goodbye properly (close frames), for at most CLOSE_NS. */
    for (int i = 0; i < lg.conns; i++)
        if (lg.lc[i].c)
            wsc_close(lg.lc[i].c, 1000);
    struct wsc_stats st;
    uint64_t close_end = wsc_now_ns() + CLOSE_NS;
    do
        wsc_run(lg.w, 5);
    while (wsc_get_stats(lg.w, &st), st.open > 0 && wsc_now_ns() < close_end);

out:
    lg.phase = PH_DONE;
    wsc_free(lg.w);
    for (int i = 0; i < lg.conns; i++) {
        free(lg.lc[i].sent_ns);
        free(lg.lc[i].slot_id);
    }
    free(lg.lc);
    free(conns);
    free(users);
    return rc;
}
