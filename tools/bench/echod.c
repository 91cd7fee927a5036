/* echod: the benchmarks' baseline server. The project's own network layer (server/net.c:
 * libwebsockets on a libuv loop, same send queues and settings as cocreated) echoing
 * every WebSocket message back, with no JSON, dispatch or storage. What cocreated does
 * beyond this costs the difference between the two in tools/bench/run.
 *
 *   echod [--listen HOST:PORT] [--reply-bytes N]     (default 127.0.0.1:9001, N = 0)
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
 * GET /healthz answers 200 "ok" (readiness); SIGINT/SIGTERM stop it cleanly. */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "net.h"
#include "util.h"
#include "wsclient.h"

/* Longest binary message echoed; a longer one closes the connection (SPEC §6: every
 * buffer has a bound). Big enough for the upload benchmarks' chunks. */
#define ECHOD_MAX_BINARY (1u << 20)
/* Descriptors wanted: the fan-out benchmarks hold 10,000+ connections. */
#define ECHOD_FDS 65536

/* Loop thread only. */
struct echod {
    uv_loop_t loop;
    uv_signal_t sigint, sigterm;
    struct net *net;
    size_t reply_bytes; /* 0: echo as received */
    struct ccbuf reply; /* the padded reply being built (reused) */
    uint64_t unpadded;  /* --reply-bytes: messages echoed unchanged (no pad to resize) */
};

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

/* --reply-bytes: a decimal number of bytes, 0 (echo) or 1..NET_MAX_TEXT. */
static int parse_reply_bytes(const char *arg, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (!*arg || *arg == '-' || *end || errno || v > NET_MAX_TEXT) {
        fprintf(stderr,
                "echod: --reply-bytes wants a number of bytes from 0 (echo) to %d "
                "(SPEC's text frame bound), not '%s'\n",
                NET_MAX_TEXT, arg);
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

#define USAGE "usage: echod [--listen HOST:PORT] [--reply-bytes N]\n"

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"reply-bytes", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char host[256] = "127.0.0.1";
    int port = 9001, c;
    size_t reply_bytes = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'l' && !parse_listen(optarg, host, sizeof host, &port))
            continue;
        if (c == 'r') {
            if (parse_reply_bytes(optarg, &reply_bytes))
                return 2;
            continue;
        }
        if (c == 'h') {
            printf(USAGE
                   "WebSocket echo on ws://HOST:PORT/ws over the cocreated network layer\n"
                   "(default 127.0.0.1:9001). --reply-bytes N (1..%d): answer each text\n"
                   "message with exactly N bytes, its \"pad\" string resized to fit.\n",
                   NET_MAX_TEXT);
            return 0;
        }
        fprintf(stderr, USAGE);
        return 2;
    }
    if (optind < argc) {
        fprintf(stderr, "echod: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    log_max_level = LOG_WARN;
    signal(SIGPIPE, SIG_IGN);
    wsc_raise_fd_limit(ECHOD_FDS);

    struct echod d;
    memset(&d, 0, sizeof d);
    d.reply_bytes = reply_bytes;
    ccbuf_init(&d.reply);
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
    if (uv_loop_close(&d.loop)) {
        fprintf(stderr, "echod: the event loop still has open handles at exit\n");
        rc = 1;
    }
    return rc;
}
