/* echod: the benchmarks' baseline server. The project's own network layer (server/net.c:
 * libwebsockets on a libuv loop, same send queues and settings as cocreated) echoing
 * every WebSocket message back, with no JSON, dispatch or storage. What cocreated does
 * beyond this costs the difference between the two in tools/bench/run.
 *
 *   echod [--listen HOST:PORT] [--reply-bytes N [--records M [--in-order]]]
 *         (default 127.0.0.1:9001, N = 0: echo)
 *
 * --reply-bytes N (1..65536, SPEC §6's text frame bound): each text message is answered
 * with exactly N bytes instead, the message itself with the contents of its "pad"
 * string lengthened (or shortened) to fit — what loadgen's echo scenario sends and
 * accepts back — so the network layer's cost of replies as big as a gallery page can
 * be measured beside the echo. The reply is built in one reused buffer with NET_PRE
 * bytes of room and sent with net_conn_send_pre (one copy into the queue while the net
 * is corked; cocreated builds each reply in a buffer of its own that the queue takes). A
 * text message without a plain "pad":"..." string, or too long to fit in N bytes with
 * its pad emptied, is echoed unchanged and counted ("unpadded" in the exit summary).
 *
 * --records M (with --reply-bytes N): the pad is filled instead with the bytes of
 * ECHOD_PAGE_RECORDS records picked at random out of M records of N / ECHOD_PAGE_RECORDS
 * bytes each, every record a block of its own on the heap (the last one picked cut
 * where the pad ends) — what a server keeping a gallery's items whole in memory must
 * read for a page at a random offset, beside the network layer's work: the page's
 * share of the floor under cocreated's random pages (tools/bench/run). The 24 records
 * are asked for (prefetched) before any is copied, as cocreated's page does.
 * --in-order: the 24 are consecutive records from a random first one instead, the
 * records allocated one after another (adjacent on the heap): a page whose items are
 * kept in the order the gallery ranks them, read in one sweep.
 *
 * GET /healthz answers 200 "ok" (readiness); SIGINT/SIGTERM stop it cleanly. */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchlib.h"
#include "log.h"
#include "net.h"
#include "util.h"
#include "wsclient.h"

/* Longest binary message echoed; a longer one closes the connection (SPEC §6: every
 * buffer has a bound). Big enough for the upload benchmarks' chunks. */
#define ECHOD_MAX_BINARY (1u << 20)
/* Descriptors wanted: the fan-out benchmarks hold 10,000+ connections. */
#define ECHOD_FDS 65536
/* --records: records a reply is made of (a gallery page's items), and the most records
 * held (a gallery of 10M designs). */
#define ECHOD_PAGE_RECORDS 24
#define ECHOD_RECORDS_MAX 10000000

/* Loop thread only. */
struct echod {
    uv_loop_t loop;
    uv_signal_t sigint, sigterm;
    struct net *net;
    size_t reply_bytes; /* 0: echo as received */
    struct ccbuf reply; /* the padded reply being built (reused) */
    uint64_t unpadded;  /* --reply-bytes: messages echoed unchanged (no pad to resize) */
    char **records;     /* --records: nrecords blocks of record_bytes (NULL: none) */
    size_t nrecords, record_bytes;
    int in_order; /* --in-order: a reply's records are consecutive ones */
    uint64_t rng; /* which records a reply reads */
};

/* --records: fills pad[0, len) with the bytes of ECHOD_PAGE_RECORDS records picked at
 * random, all of them asked for before the first is copied. */
static void fill_from_records(struct echod *d, uint8_t *pad, size_t len)
{
    const char *pick[ECHOD_PAGE_RECORDS];
    size_t first = 0;
    if (d->in_order)
        first = d->nrecords > ECHOD_PAGE_RECORDS
                    ? bench_rand(&d->rng) % (d->nrecords - ECHOD_PAGE_RECORDS + 1)
                    : 0;
    for (int i = 0; i < ECHOD_PAGE_RECORDS; i++) {
        pick[i] = d->in_order ? d->records[(first + (size_t)i) % d->nrecords]
                              : d->records[bench_rand(&d->rng) % d->nrecords];
        for (size_t at = 0; at < d->record_bytes; at += 64)
            prefetch(pick[i] + at);
        prefetch(pick[i] + d->record_bytes - 1);
    }
    for (int i = 0; i < ECHOD_PAGE_RECORDS && len; i++) {
        size_t n = len < d->record_bytes ? len : d->record_bytes;
        memcpy(pad, pick[i], n);
        pad += n;
        len -= n;
    }
    memset(pad, 'x', len); /* a pad longer than the records (a short message) */
}

/* --records M: M records of d->record_bytes, each allocated on its own. */
static void make_records(struct echod *d, size_t m)
{
    d->nrecords = m;
    d->records = xmalloc(m * sizeof *d->records);
    for (size_t i = 0; i < m; i++) {
        d->records[i] = xmalloc(d->record_bytes);
        memset(d->records[i], 'a' + (int)(i % 26), d->record_bytes);
    }
    d->rng = 0x9E3779B97F4A7C15ull;
}

static void free_records(struct echod *d)
{
    for (size_t i = 0; i < d->nrecords; i++)
        free(d->records[i]);
    free(d->records);
}

/* Writes into d->reply, after NET_PRE bytes of room, the message buf[0, len) with the
 * contents of its "pad" string resized so that the whole is d->reply_bytes long.
 * Returns -1 (nothing written) when it has no "pad":"..." string without escapes, or
 * cannot be made that short. */
static int pad_reply(struct echod *d, const char *buf, size_t len)
{
    static const char key[] = "\"pad\":\"";
    const char *v = memmem(buf, len, key, sizeof key - 1);
    if (!v)
        return -1;
    v += sizeof key - 1; /* the pad's first byte */
    const char *q = memchr(v, '"', len - (size_t)(v - buf));
    if (!q || memchr(v, '\\', (size_t)(q - v)))
        return -1;
    size_t head = (size_t)(v - buf), tail = len - (size_t)(q - buf);
    if (head + tail > d->reply_bytes)
        return -1;
    size_t pad = d->reply_bytes - head - tail;
    d->reply.len = 0;
    uint8_t *p = ccbuf_reserve(&d->reply, NET_PRE + d->reply_bytes) + NET_PRE;
    memcpy(p, buf, head);
    if (d->records)
        fill_from_records(d, p + head, pad);
    else
        memset(p + head, 'x', pad);
    memcpy(p + head + pad, q, tail);
    d->reply.len = NET_PRE + d->reply_bytes;
    return 0;
}

/* Per-connection application area: the binary message being reassembled. */
struct echo_conn {
    struct ccbuf bin;
};

static void on_text(struct net_conn *c, char *buf, size_t len, void *user)
{
    struct echod *d = user;
    if (d->reply_bytes) {
        if (!pad_reply(d, buf, len)) {
            net_conn_send_pre(c, d->reply.data + NET_PRE, d->reply.len - NET_PRE);
            return;
        }
        d->unpadded++;
    }
    net_conn_send(c, buf, len, 0);
}

static void on_text_too_large(struct net_conn *c, size_t len, void *user)
{
    (void)user;
    (void)len;
    net_conn_close(c);
}

static void on_binary(struct net_conn *c, const uint8_t *buf, size_t len, int final, void *user)
{
    (void)user;
    struct echo_conn *e = net_conn_app(c);
    if (e->bin.len + len > ECHOD_MAX_BINARY) {
        ccbuf_free(&e->bin);
        net_conn_close(c);
        return;
    }
    ccbuf_append(&e->bin, buf, len);
    if (!final)
        return;
    net_conn_send(c, e->bin.data, e->bin.len, 1);
    e->bin.len = 0;
}

static void on_close(struct net_conn *c, void *user)
{
    (void)user;
    struct echo_conn *e = net_conn_app(c);
    ccbuf_free(&e->bin);
}

static void on_http(struct net_http *h, const char *path, void *user)
{
    (void)user;
    int ok = !strcmp(path, "/healthz");
    const char *body = ok ? "ok\n" : "not found\n";
    net_http_respond(h, ok ? 200 : 404, "text/plain", xstrdup(body), strlen(body));
}

/* Shutdown order of NOTES.md / server.c: destroy the lws context once from a loop
 * callback and close our own handles; uv_run then returns by itself. */
static void on_signal(uv_signal_t *sig, int signum)
{
    struct echod *d = sig->data;
    (void)signum;
    if (uv_is_closing((uv_handle_t *)&d->sigint))
        return;
    uv_close((uv_handle_t *)&d->sigint, NULL);
    uv_close((uv_handle_t *)&d->sigterm, NULL);
    net_stop(d->net);
}

static int parse_listen(const char *arg, char *host, size_t hostlen, int *port)
{
    const char *colon = strrchr(arg, ':');
    char *end;
    long p = colon ? strtol(colon + 1, &end, 10) : 0;
    if (!colon || colon == arg || (size_t)(colon - arg) >= hostlen || *end || p < 1 ||
        p > 65535)
        return -1;
    snprintf(host, hostlen, "%.*s", (int)(colon - arg), arg);
    *port = (int)p;
    return 0;
}

/* A decimal number in [lo, hi] (--reply-bytes, --records): 0, or -1 (*out untouched). */
static int parse_number(const char *arg, unsigned long long lo, unsigned long long hi, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (!*arg || *arg == '-' || *end || errno || v < lo || v > hi)
        return -1;
    *out = (size_t)v;
    return 0;
}

#define USAGE "usage: echod [--listen HOST:PORT] [--reply-bytes N [--records M [--in-order]]]\n"

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'},  {"reply-bytes", required_argument, NULL, 'r'},
        {"records", required_argument, NULL, 'm'}, {"in-order", no_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    char host[256] = "127.0.0.1";
    int port = 9001, c;
    size_t reply_bytes = 0, records = 0;
    int in_order = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'l' && !parse_listen(optarg, host, sizeof host, &port))
            continue;
        if (c == 'r') {
            if (parse_number(optarg, 0, NET_MAX_TEXT, &reply_bytes)) {
                fprintf(stderr,
                        "echod: --reply-bytes wants a number of bytes from 0 (echo) to %d "
                        "(SPEC's text frame bound), not '%s'\n",
                        NET_MAX_TEXT, optarg);
                return 2;
            }
            continue;
        }
        if (c == 'o') {
            in_order = 1;
            continue;
        }
        if (c == 'm') {
            if (parse_number(optarg, 1, ECHOD_RECORDS_MAX, &records)) {
                fprintf(stderr,
                        "echod: --records wants a number of records from 1 to %d, not '%s'\n",
                        ECHOD_RECORDS_MAX, optarg);
                return 2;
            }
            continue;
        }
        if (c == 'h') {
            printf(USAGE "WebSocket echo on ws://HOST:PORT/ws over the cocreated network layer\n"
                         "(default 127.0.0.1:9001). --reply-bytes N (1..%d): answer each text\n"
                         "message with exactly N bytes, its \"pad\" string resized to fit.\n"
                         "--records M (1..%d, with --reply-bytes N >= %d): fill the pad with\n"
                         "the bytes of %d records picked at random out of M records of\n"
                         "N / %d bytes, each allocated on its own (a page's items read from\n"
                         "memory). --in-order: 24 consecutive records instead (a page's items\n"
                         "kept in rank order).\n",
                   NET_MAX_TEXT, ECHOD_RECORDS_MAX, ECHOD_PAGE_RECORDS, ECHOD_PAGE_RECORDS,
                   ECHOD_PAGE_RECORDS);
            return 0;
        }
        fprintf(stderr, USAGE);
        return 2;
    }
    if (optind < argc) {
        fprintf(stderr, "echod: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (in_order && !records) {
        fprintf(stderr, "echod: --in-order wants --records\n");
        return 2;
    }
    if (records && reply_bytes < ECHOD_PAGE_RECORDS) {
        fprintf(stderr, "echod: --records wants --reply-bytes of at least %d (a byte a record)\n",
                ECHOD_PAGE_RECORDS);
        return 2;
    }
    log_max_level = LOG_WARN;
    signal(SIGPIPE, SIG_IGN);
    wsc_raise_fd_limit(ECHOD_FDS);

    struct echod d;
    memset(&d, 0, sizeof d);
    d.reply_bytes = reply_bytes;
    ccbuf_init(&d.reply);
    if (records) {
        d.record_bytes = reply_bytes / ECHOD_PAGE_RECORDS;
        d.in_order = in_order;
        make_records(&d, records);
    }
    if (uv_loop_init(&d.loop)) {
        fprintf(stderr, "echod: cannot create the event loop\n");
        return 1;
    }
    uv_signal_init(&d.loop, &d.sigint);
    uv_signal_init(&d.loop, &d.sigterm);
    d.sigint.data = d.sigterm.data = &d;

    struct net_handlers h = {
        .user = &d,
        .on_text = on_text,
        .on_text_too_large = on_text_too_large,
        .on_binary = on_binary,
        .on_close = on_close,
        .on_http = on_http,
    };
    /* the same socket settings as cocreated's defaults */
    struct net_config nc = {.host = host,
                            .port = port,
                            .app_size = sizeof(struct echo_conn),
                            .ws_sndbuf = NET_DEFAULT_WS_SNDBUF};
    char err[256];
    int rc = 0;
    if (net_start(&d.net, &d.loop, &nc, &h, err, sizeof err)) {
        /* lws 4.1: a context that failed to listen is destroyed only after the loop ran. */
        fprintf(stderr, "echod: %s\n", err);
        uv_close((uv_handle_t *)&d.sigint, NULL);
        uv_close((uv_handle_t *)&d.sigterm, NULL);
        rc = 1;
    } else {
        uv_signal_start(&d.sigint, on_signal, SIGINT);
        uv_signal_start(&d.sigterm, on_signal, SIGTERM);
        fprintf(stderr, "echod: listening on ws://%s:%d/ws", host, port);
        if (reply_bytes)
            fprintf(stderr, ", answering text messages with %zu bytes", reply_bytes);
        if (records)
            fprintf(stderr, " read from %d %s of %zu records of %zu bytes", ECHOD_PAGE_RECORDS,
                    in_order ? "consecutive" : "random", records, d.record_bytes);
        fprintf(stderr, "\n");
    }
    uv_run(&d.loop, UV_RUN_DEFAULT);
    if (rc == 0) {
        struct net_stats st;
        net_get_stats(d.net, &st);
        fprintf(stderr, "echod: stopped after %llu connections, %llu messages echoed",
                (unsigned long long)st.conns_total, (unsigned long long)st.msgs_out);
        if (reply_bytes)
            fprintf(stderr, " (%llu unpadded: no \"pad\" string to resize)",
                    (unsigned long long)d.unpadded);
        fprintf(stderr, "\n");
    }
    net_free(d.net);
    ccbuf_free(&d.reply);
    free_records(&d);
    if (uv_loop_close(&d.loop)) {
        fprintf(stderr, "echod: the event loop still has open handles at exit\n");
        rc = 1;
    }
    return rc;
}
