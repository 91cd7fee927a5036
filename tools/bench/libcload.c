/* libcload: loadgen's closed loop (hello or gallery.get) made by libcocreate's
 * event-driven form instead of wsclient, to show what the library costs a client: its
 * own CPU (getrusage over the measured window) per request, beside loadgen's. All
 * connections run on one libuv loop (cc_connect_loop), each keeping --depth calls in
 * flight with cc_hello / cc_gallery_get and a reply callback that sends the next one.
 * Prints one JSON line (loadgen's keys: rps, p50_ms, p99_ms, errors, cpu_us_per_req,
 * ...) on stdout and a summary on stderr; exits 3 when a call failed, 1 when it could
 * not start, 2 on usage errors.
 *
 *   libcload --port P [--host H] [--conns 64] [--depth 1] [--seconds 5] [--warmup 0]
 *            --scenario hello|gallery [--designs N] [--offset O] */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include <cocreate/client.h>

#include "benchlib.h"

/* gallery: a page, as loadgen's gallery scenario asks (SPEC §4: limit 1–100). */
#define PAGE 24
/* How long the connections have to open, and the in-flight calls to end. */
#define SETUP_MS 30000
#define DRAIN_MS 10000

enum phase { PH_SETUP, PH_WARMUP, PH_MEASURE, PH_DRAIN, PH_DONE };

struct lc;

/* One call in flight on a connection (depth of them per connection). */
struct slot {
    struct lconn *l;
    uint64_t sent_ns;
};

struct lconn {
    struct lc *lc;
    struct cc_conn *c;
    struct slot *slots;
    int open;
    uint64_t rng;
};

/* The run: one loop thread touches all of it. */
struct lc {
    const char *host;
    int port, conns, depth;
    double seconds, warmup;
    int gallery;
    long long designs, offset;
    uv_loop_t loop;
    uv_timer_t timer;
    struct lconn *lcs;
    enum phase phase;
    int opened, failed_open;
    uint64_t inflight;
    uint64_t t_measure, t_end, cpu_measure, cpu_end;
    uint64_t ok_measured, ok_total, errors;
    struct hist hist;
};

static uint64_t now_ns(void)
{
    return uv_hrtime();
}

static void on_reply(struct cc_conn *c, json_t *result, const struct cc_error *err, void *user);

/* Sends slot's next call. */
static void send_call(struct slot *s)
{
    struct lconn *l = s->l;
    struct lc *lc = l->lc;
    struct cc_call call = {.cb = on_reply, .user = s};
    s->sent_ns = now_ns();
    int rc;
    if (lc->gallery) {
        long long span = lc->designs > PAGE ? lc->designs - PAGE + 1 : 1;
        struct cc_gallery_query q = {
            .sort = "top",
            .limit = PAGE,
            .offset = (int)(lc->offset >= 0 ? lc->offset : (long long)(bench_rand(&l->rng) % (uint64_t)span)),
        };
        rc = cc_gallery_get(l->c, &q, &call);
    } else {
        rc = cc_hello(l->c, "libcload", &call);
    }
    if (rc) { /* the callback never fires */
        lc->errors++;
        cc_call_clear(&call);
        return;
    }
    lc->inflight++;
}

static void on_reply(struct cc_conn *c, json_t *result, const struct cc_error *err, void *user)
{
    (void)c;
    (void)result;
    struct slot *s = user;
    struct lc *lc = s->l->lc;
    lc->inflight--;
    if (err->kind) {
        if (lc->phase < PH_DRAIN || err->kind != CC_ERR_CLOSED)
            lc->errors++;
        return;
    }
    lc->ok_total++;
    if (lc->phase == PH_MEASURE) {
        lc->ok_measured++;
        hist_add(&lc->hist, (now_ns() - s->sent_ns) / 1000);
    }
    if (lc->phase == PH_WARMUP || lc->phase == PH_MEASURE)
        send_call(s);
}

static void close_all(struct lc *lc)
{
    for (int i = 0; i < lc->conns; i++) {
        cc_close(lc->lcs[i].c);
        lc->lcs[i].c = NULL;
    }
    uv_timer_stop(&lc->timer);
    uv_close((uv_handle_t *)&lc->timer, NULL);
}

/* The phases, by the clock: warm-up, measured window, drain. */
static void on_timer(uv_timer_t *t)
{
    struct lc *lc = t->data;
    uint64_t now = now_ns();
    switch (lc->phase) {
    case PH_SETUP: /* the connections did not all open in time */
        fprintf(stderr, "libcload: only %d of %d connections opened\n", lc->opened, lc->conns);
        lc->failed_open = 1;
        lc->phase = PH_DONE;
        close_all(lc);
        return;
    case PH_WARMUP:
        lc->phase = PH_MEASURE;
        lc->t_measure = now;
        lc->cpu_measure = bench_cpu_us();
        uv_timer_start(t, on_timer, (uint64_t)(lc->seconds * 1000), 0);
        return;
    case PH_MEASURE:
        lc->phase = PH_DRAIN;
        lc->t_end = now;
        lc->cpu_end = bench_cpu_us();
        uv_timer_start(t, on_timer, 1, 1);
        return;
    case PH_DRAIN:
        if (lc->inflight && now - lc->t_end < (uint64_t)DRAIN_MS * 1000000)
            return;
        lc->phase = PH_DONE;
        close_all(lc);
        return;
    case PH_DONE:
        return;
    }
}

static void on_open(struct cc_conn *c, const struct cc_error *err, void *user)
{
    (void)c;
    struct lconn *l = user;
    struct lc *lc = l->lc;
    if (err->kind) {
        fprintf(stderr, "libcload: %s\n", err->message);
        lc->errors++;
        return;
    }
    l->open = 1;
    if (++lc->opened < lc->conns)
        return;
    /* all open: start every slot, then the clock */
    lc->phase = lc->warmup > 0 ? PH_WARMUP : PH_MEASURE;
    lc->t_measure = now_ns();
    lc->cpu_measure = bench_cpu_us();
    for (int i = 0; i < lc->conns; i++)
        for (int k = 0; k < lc->depth; k++)
            send_call(&lc->lcs[i].slots[k]);
    uint64_t first = (uint64_t)((lc->warmup > 0 ? lc->warmup : lc->seconds) * 1000);
    uv_timer_start(&lc->timer, on_timer, first, 0);
}

static int usage(void)
{
    fprintf(stderr, "usage: libcload --port P [--host H] [--conns 64] [--depth 1] "
                    "[--seconds 5] [--warmup 0]\n"
                    "                --scenario hello|gallery [--designs N] [--offset O]\n");
    return 2;
}

int main(int argc, char **argv)
{
    static struct lc lc; /* the histogram is big: not on the stack */
    lc.host = "127.0.0.1";
    lc.conns = 64;
    lc.depth = 1;
    lc.seconds = 5;
    lc.offset = -1;
    const char *scenario = NULL;
    static const struct option opts[] = {
        {"host", required_argument, NULL, 'h'},    {"port", required_argument, NULL, 'p'},
        {"conns", required_argument, NULL, 'c'},   {"depth", required_argument, NULL, 'd'},
        {"seconds", required_argument, NULL, 's'}, {"warmup", required_argument, NULL, 'w'},
        {"scenario", required_argument, NULL, 'S'}, {"designs", required_argument, NULL, 'n'},
        {"offset", required_argument, NULL, 'o'},  {NULL, 0, NULL, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'h': lc.host = optarg; break;
        case 'p': lc.port = atoi(optarg); break;
        case 'c': lc.conns = atoi(optarg); break;
        case 'd': lc.depth = atoi(optarg); break;
        case 's': lc.seconds = atof(optarg); break;
        case 'w': lc.warmup = atof(optarg); break;
        case 'S': scenario = optarg; break;
        case 'n': lc.designs = atoll(optarg); break;
        case 'o': lc.offset = atoll(optarg); break;
        default: return usage();
        }
    }
    if (!scenario || (strcmp(scenario, "hello") && strcmp(scenario, "gallery")) ||
        lc.port < 1 || lc.port > 65535 || lc.conns < 1 || lc.conns > 10000 || lc.depth < 1 ||
        lc.depth > 1024 || lc.seconds <= 0 || lc.warmup < 0)
        return usage();
    lc.gallery = !strcmp(scenario, "gallery");
    if (lc.gallery && lc.designs < 1) {
        fprintf(stderr, "libcload: --scenario gallery needs --designs N\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    char url[300];
    snprintf(url, sizeof url, "ws://%s:%d/ws", lc.host, lc.port);
    uv_loop_init(&lc.loop);
    uv_timer_init(&lc.loop, &lc.timer);
    lc.timer.data = &lc;
    lc.lcs = calloc((size_t)lc.conns, sizeof *lc.lcs);
    if (!lc.lcs)
        return 1;
    int rc = 0;
    for (int i = 0; i < lc.conns; i++) {
        struct lconn *l = &lc.lcs[i];
        l->lc = &lc;
        l->rng = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1) ^ now_ns();
        l->slots = calloc((size_t)lc.depth, sizeof *l->slots);
        if (!l->slots)
            return 1;
        for (int k = 0; k < lc.depth; k++)
            l->slots[k].l = l;
        struct cc_options o = {.url = url};
        struct cc_error err = {0};
        if (cc_connect_loop(&l->c, &lc.loop, &o, on_open, l, &err)) {
            fprintf(stderr, "libcload: %s\n", err.message);
            cc_error_clear(&err);
            rc = 1;
            break;
        }
    }
    if (!rc)
        uv_timer_start(&lc.timer, on_timer, SETUP_MS, 0);
    else
        close_all(&lc);
    uv_run(&lc.loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&lc.loop))
        fprintf(stderr, "libcload: the loop did not close cleanly\n");
    for (int i = 0; i < lc.conns; i++)
        free(lc.lcs[i].slots);
    free(lc.lcs);
    if (rc || lc.failed_open)
        return 1;

    double secs = (double)(lc.t_end - lc.t_measure) / 1e9;
    double rps = secs > 0 ? (double)lc.ok_measured / secs : 0;
    uint64_t cpu = lc.cpu_end - lc.cpu_measure;
    double per = lc.ok_measured ? (double)cpu / (double)lc.ok_measured : 0;
    double p50 = hist_quantile_ms(&lc.hist, 0.5), p99 = hist_quantile_ms(&lc.hist, 0.99);
    printf("{\"scenario\":\"%s\",\"client\":\"libcocreate\",\"conns\":%d,\"depth\":%d,"
           "\"seconds\":%.3f,\"requests\":%" PRIu64 ",\"rps\":%.1f,\"p50_ms\":%.3f,"
           "\"p99_ms\":%.3f,\"errors\":%" PRIu64 ",\"ok_total\":%" PRIu64 ",\"cpu_us\":%" PRIu64
           ",\"cpu_us_per_req\":%.2f}\n",
           scenario, lc.conns, lc.depth, secs, lc.ok_measured, rps, p50, p99, lc.errors,
           lc.ok_total, cpu, per);
    fprintf(stderr,
            "%s (libcocreate): %d conns x depth %d, %.2f s: %.0f req/s, p50 %.3f ms, "
            "p99 %.3f ms, client %.1f µs CPU/req, %" PRIu64 " errors\n",
            scenario, lc.conns, lc.depth, secs, rps, p50, p99, per, lc.errors);
    return lc.errors || !lc.ok_measured ? 3 : 0;
}
