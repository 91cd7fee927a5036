/* uploadgen: concurrent closed-loop uploads to cocreated. Each connection registers
 * its own account, then uploads again and again: upload.begin → (reply: have must be
 * false) → the bytes in binary messages of --chunk bytes → upload.commit → (reply) →
 * the next upload. Every upload is distinct (tools/bench/gen.c: a new level, or an
 * artwork whose last row differs), so nothing dedupes. After --warmup seconds the
 * window runs --seconds; uploads committed in it count, and their latency (upload.begin
 * sent → upload.commit answered) goes into the percentiles. Then nothing new starts
 * and the uploads under way are waited for.
 * Prints one JSON line on stdout and a summary on stderr; exits 0 on a clean run, 3
 * on error replies, closed connections or unfinished uploads, 1 when it could not
 * start, 2 on usage errors.
 *
 *   uploadgen --port P --kind level|artwork --bytes N [--conns 8] [--seconds 5]
 *             [--warmup 1] [--chunk 262144] [--host 127.0.0.1] */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchlib.h"
#include "gen.h"
#include "kind.h"
#include "wsclient.h"

#define PROTOCOL "cocreate.v1"
/* Longest wait for the uploads under way after the window, and for accounts. */
#define DRAIN_NS (60ull * 1000000000u)
#define SETUP_NS (30ull * 1000000000u)
#define CLOSE_MS 2000

enum phase { PH_SETUP, PH_WARMUP, PH_MEASURE, PH_DRAIN, PH_DONE };
enum ustate { U_REGISTER, U_BEGIN, U_COMMIT, U_IDLE };

struct up_conn {
    struct ug *ug;
    struct wsc_conn *c;
    int index;
    enum ustate state;
    long long id;   /* of the request awaited */
    uint64_t n;     /* uploads started */
    uint64_t t0;    /* upload.begin sent */
    struct ccbuf body; /* a level, or an artwork's tail (after the shared prefix) */
    size_t size;       /* bytes of the whole upload */
    char sha_hex[65];
};

struct ug {
    const char *host;
    int port, conns;
    double seconds, warmup;
    const struct kind *kind;
    size_t bytes, chunk;
    struct gen_png png;
    uint64_t nonce;
    char run_id[16];
    struct wsc *w;
    struct up_conn *uc;
    enum phase phase;
    int ready;
    uint64_t t_measure, t_end;
    uint64_t busy; /* connections with an upload under way */
    uint64_t ok_measured, ok_total, bytes_measured;
    uint64_t closed;
    struct errcount err;
    struct hist hist;
};

static void count_error(struct ug *ug, const char *code)
{
    errcount_add(&ug->err, code);
}

/* Makes the next upload's bytes and sends upload.begin. */
static void start_upload(struct up_conn *u)
{
    struct ug *ug = u->ug;
    if (ug->phase > PH_MEASURE) {
        u->state = U_IDLE;
        return;
    }
    /* Serials never repeat: per run (nonce), connection and upload. */
    uint64_t serial = ug->nonce * 1000003u + (uint64_t)u->index * 100000000u + u->n++;
    uint8_t sha[32];
    u->body.len = 0;
    if (ug->kind->compress) {
        gen_level(serial, ug->bytes, &u->body);
        sha256(u->body.data, u->body.len, sha);
        u->size = u->body.len;
    } else {
        gen_png_tail(&ug->png, serial, &u->body, sha);
        u->size = ug->png.prefix.len + u->body.len;
    }
    hex_encode(sha, 32, u->sha_hex);
    char buf[320];
    u->id++;
    int n = snprintf(buf, sizeof buf,
                     "{\"id\":%lld,\"op\":\"upload.begin\",\"kind\":\"%s\",\"title\":\"bench %s "
                     "%d %llu\",\"tags\":[\"bench\"],\"bytes\":%zu,\"sha256\":\"%s\"}",
                     u->id, ug->kind->name, ug->run_id, u->index, (unsigned long long)u->n,
                     u->size, u->sha_hex);
    if (wsc_send_text(u->c, buf, (size_t)n))
        return;
    u->state = U_BEGIN;
    u->t0 = wsc_now_ns();
    ug->busy++;
}

static void send_chunks(struct up_conn *u, const uint8_t *p, size_t len)
{
    size_t chunk = u->ug->chunk;
    for (size_t off = 0; off < len; off += chunk)
        wsc_send_binary(u->c, p + off, len - off < chunk ? len - off : chunk);
}

/* upload.begin was accepted: the bytes, then upload.commit. */
static void send_upload(struct up_conn *u, const char *upload)
{
    struct ug *ug = u->ug;
    if (!ug->kind->compress)
        send_chunks(u, ug->png.prefix.data, ug->png.prefix.len);
    send_chunks(u, u->body.data, u->body.len);
    char buf[128];
    u->id++;
    int n = snprintf(buf, sizeof buf, "{\"id\":%lld,\"op\":\"upload.commit\",\"upload\":\"%s\"}",
                     u->id, upload);
    wsc_send_text(u->c, buf, (size_t)n);
    u->state = U_COMMIT;
}

static void on_message(struct wsc_conn *c, int binary, const uint8_t *data, size_t len,
                       void *user)
{
    struct ug *ug = user;
    struct up_conn *u = wsc_conn_user(c);
    const char *s = (const char *)data;
    struct reply r;
    if (binary || scan_reply(s, len, &r)) {
        count_error(ug, "(unparsable reply)");
        return;
    }
    if (!r.has_id || r.id != u->id) {
        /* upload errors about binary frames come as events with "id":null */
        count_error(ug, r.ok == 0 && r.code[0] ? r.code : "(reply to no request)");
        return;
    }
    if (r.ok != 1) {
        count_error(ug, r.code[0] ? r.code : "(reply without ok)");
        if (u->state == U_REGISTER)
            return;
        ug->busy--;
        start_upload(u);
        return;
    }
    switch (u->state) {
    case U_REGISTER:
        ug->ready++;
        u->state = U_IDLE;
        break;
    case U_BEGIN: {
        char upload[24];
        const char *have = find_key(s, len, "have");
        if (find_string(s, len, "upload", upload, sizeof upload) || !have) {
            count_error(ug, "(upload.begin reply without upload/have)");
            ug->busy--;
            start_upload(u);
            return;
        }
        if (have[0] == 't') {
            /* the server holds these bytes already: the benchmark meant to avoid that */
            count_error(ug, "(deduplicated: have true)");
            ug->busy--;
            start_upload(u);
            return;
        }
        send_upload(u, upload);
        break;
    }
    case U_COMMIT: {
        uint64_t now = wsc_now_ns();
        ug->busy--;
        ug->ok_total++;
        if (ug->phase == PH_MEASURE) {
            ug->ok_measured++;
            ug->bytes_measured += u->size;
            hist_add(&ug->hist, (now - u->t0) / 1000);
        }
        start_upload(u);
        break;
    }
    default:
        count_error(ug, "(reply while idle)");
        break;
    }
}

static void on_close(struct wsc_conn *c, int code, const char *why, void *user)
{
    struct ug *ug = user;
    struct up_conn *u = wsc_conn_user(c);
    if (!u || u->c != c)
        return;
    u->c = NULL;
    if (u->state == U_BEGIN || u->state == U_COMMIT)
        ug->busy--;
    u->state = U_IDLE;
    if (ug->phase != PH_DONE) {
        ug->closed++;
        fprintf(stderr, "uploadgen: connection %d closed (%d%s%s)\n", u->index, code,
                why ? ": " : "", why ? why : "");
    }
}

static void usage(FILE *f)
{
    fprintf(f, "usage: uploadgen --port P --kind level|artwork --bytes N [--conns 8]\n"
               "                 [--seconds 5] [--warmup 1] [--chunk 262144] [--host H]\n");
}

static int parse_args(struct ug *ug, int argc, char **argv)
{
    static const struct option opts[] = {
        {"host", required_argument, NULL, 'H'},   {"port", required_argument, NULL, 'p'},
        {"conns", required_argument, NULL, 'c'},  {"seconds", required_argument, NULL, 's'},
        {"warmup", required_argument, NULL, 'w'}, {"kind", required_argument, NULL, 'k'},
        {"bytes", required_argument, NULL, 'b'},  {"chunk", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'H': ug->host = optarg; break;
        case 'p': ug->port = atoi(optarg); break;
        case 'c': ug->conns = atoi(optarg); break;
        case 's': ug->seconds = atof(optarg); break;
        case 'w': ug->warmup = atof(optarg); break;
        case 'k': ug->kind = kind_find(optarg); break;
        case 'b': ug->bytes = strtoull(optarg, NULL, 10); break;
        case 'C': ug->chunk = strtoull(optarg, NULL, 10); break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return 2;
        }
    }
    if (!ug->kind || ug->port < 1 || ug->port > 65535 || ug->conns < 1 || ug->seconds <= 0 ||
        ug->warmup < 0 || ug->bytes < 64 || ug->chunk < 1 || optind < argc) {
        usage(stderr);
        return 2;
    }
    return 0;
}

static void report(struct ug *ug)
{
    double secs = (double)(ug->t_end - ug->t_measure) / 1e9;
    double ups = secs > 0 ? (double)ug->ok_measured / secs : 0;
    double mbs = secs > 0 ? (double)ug->bytes_measured / secs / 1048576.0 : 0;
    double p50 = hist_quantile_ms(&ug->hist, 0.5), p99 = hist_quantile_ms(&ug->hist, 0.99);
    size_t size = ug->kind->compress ? ug->uc[0].size : ug->png.prefix.len + ug->uc[0].body.len;
    printf("{\"kind\":\"%s\",\"bytes\":%zu,\"conns\":%d,\"seconds\":%.3f,\"uploads\":%" PRIu64
           ",\"ups\":%.2f,\"mib_s\":%.2f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,",
           ug->kind->name, size, ug->conns, secs, ug->ok_measured, ups, mbs, p50, p99,
           (double)ug->hist.max / 1000.0);
    errcount_json(&ug->err, stdout);
    printf(",\"closed\":%" PRIu64 ",\"unfinished\":%" PRIu64 ",\"ok_total\":%" PRIu64,
           ug->closed, ug->busy, ug->ok_total);
    if (!ug->kind->compress)
        printf(",\"width\":%u,\"height\":%u", ug->png.w, ug->png.h);
    printf("}\n");
    fflush(stdout);
    fprintf(stderr,
            "uploadgen: %d conns, %s of %zu bytes, %.2f s: %.2f uploads/s (%.1f MiB/s), "
            "p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
            ug->conns, ug->kind->name, size, secs, ups, mbs, p50, p99,
            (double)ug->hist.max / 1000.0);
    if (ug->err.total || ug->closed || ug->busy) {
        fprintf(stderr, "uploadgen: THIS RUN HAD ERRORS: ");
        errcount_text(&ug->err, stderr);
        fprintf(stderr, ", %" PRIu64 " closed, %" PRIu64 " unfinished\n", ug->closed, ug->busy);
    }
}

int main(int argc, char **argv)
{
    static struct ug ug;
    ug.host = "127.0.0.1";
    ug.conns = 8;
    ug.seconds = 5;
    ug.warmup = 1;
    ug.chunk = 256 * 1024;
    int rc = parse_args(&ug, argc, argv);
    if (rc)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    bench_run_id(ug.run_id, sizeof ug.run_id);
    ug.nonce = wsc_now_ns() / 1000 % 1000000007u;
    if (!ug.kind->compress && gen_png_init(&ug.png, ug.bytes, ug.kind->max_bytes)) {
        fprintf(stderr, "uploadgen: cannot make an artwork of %zu bytes\n", ug.bytes);
        return 1;
    }
    wsc_raise_fd_limit(ug.conns + 64L);
    struct wsc_config cfg = {.host = ug.host, .port = ug.port, .protocol = PROTOCOL};
    struct wsc_handlers h = {.user = &ug, .on_message = on_message, .on_close = on_close};
    if ((rc = wsc_new(&ug.w, &cfg, &h))) {
        fprintf(stderr, "uploadgen: cannot start the client (%d)\n", rc);
        return 1;
    }
    ug.uc = calloc((size_t)ug.conns, sizeof *ug.uc);
    struct wsc_conn **conns = calloc((size_t)ug.conns, sizeof *conns);
    void **users = calloc((size_t)ug.conns, sizeof *users);
    for (int i = 0; i < ug.conns; i++) {
        ug.uc[i].ug = &ug;
        ug.uc[i].index = i;
        ccbuf_init(&ug.uc[i].body);
        users[i] = &ug.uc[i];
    }
    int opened = wsc_connect_many(ug.w, ug.conns, 64, 30000, conns, users);
    if (opened < ug.conns) {
        fprintf(stderr, "uploadgen: only %d of %d connections opened\n", opened, ug.conns);
        rc = 1;
        goto out;
    }
    for (int i = 0; i < ug.conns; i++) {
        struct up_conn *u = &ug.uc[i];
        char buf[128];
        u->c = conns[i];
        u->id = 1;
        int n = snprintf(buf, sizeof buf,
                         "{\"id\":1,\"op\":\"auth.register\",\"name\":\"up%s_%d\"}", ug.run_id, i);
        wsc_send_text(u->c, buf, (size_t)n);
    }
    uint64_t end = wsc_now_ns() + SETUP_NS;
    while (ug.ready < ug.conns && !ug.err.total && !ug.closed && wsc_now_ns() < end)
        wsc_run(ug.w, 5);
    if (ug.ready < ug.conns) {
        fprintf(stderr, "uploadgen: only %d of %d accounts registered\n", ug.ready, ug.conns);
        rc = 1;
        goto out;
    }

    uint64_t t_start = wsc_now_ns(), measure_end = 0, drain_end = 0;
    ug.phase = ug.warmup > 0 ? PH_WARMUP : PH_MEASURE;
    ug.t_measure = t_start;
    if (ug.phase == PH_MEASURE)
        measure_end = t_start + (uint64_t)(ug.seconds * 1e9);
    for (int i = 0; i < ug.conns; i++)
        start_upload(&ug.uc[i]);
    while (ug.phase != PH_DONE) {
        if (wsc_run(ug.w, 5) < 0)
            break;
        uint64_t now = wsc_now_ns();
        if (ug.phase == PH_WARMUP && now >= t_start + (uint64_t)(ug.warmup * 1e9)) {
            ug.phase = PH_MEASURE;
            ug.t_measure = now;
            measure_end = now + (uint64_t)(ug.seconds * 1e9);
        }
        if (ug.phase == PH_MEASURE && now >= measure_end) {
            ug.phase = PH_DRAIN;
            ug.t_end = now;
            drain_end = now + DRAIN_NS;
        }
        if (ug.phase == PH_DRAIN && (ug.busy == 0 || now >= drain_end))
            ug.phase = PH_DONE;
    }
    report(&ug);
    rc = ug.err.total || ug.closed || ug.busy || ug.ok_measured == 0 ? 3 : 0;
    wsc_close_all(ug.w, 1000, CLOSE_MS);

out:
    ug.phase = PH_DONE;
    wsc_free(ug.w);
    for (int i = 0; i < ug.conns; i++)
        ccbuf_free(&ug.uc[i].body);
    free(ug.uc);
    free(conns);
    free(users);
    if (!ug.kind->compress)
        gen_png_free(&ug.png);
    return rc;
}
