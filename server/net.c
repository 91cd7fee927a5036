/* libwebsockets on the application's libuv loop. See net.h and the shutdown notes in
 * docs/architecture.md (lws 4.1 needs lws_context_destroy twice: once from a loop
 * callback, once after uv_run returns).
 * Thread use: loop thread only. */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libwebsockets.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ccerr.h"
#include "log.h"
#include "util.h"

/* Most bytes one lws_write may hand to send() at once (lws's default is rx_buffer_size,
 * 4 KiB, which split every bigger message into a send, a copy into lws's own buffer
 * and a second send after another POLLOUT round trip). */
#define NET_TX_PACKET (256 * 1024)
/* The scratch buffer of immediate writes is kept up to this size between messages. */
#define NET_SCRATCH_KEEP (64 * 1024)
/* lws's buffer for one request's header (info.max_http_header_data; lws 4.1.6's default
 * is 4096). It holds the request target and the field values lws knows by name, and
 * the names and values of the fields it does not know (plus 8 bytes each); a request
 * that does not fit is closed by lws without a response (lws_parse fails in
 * roles/http/parsers.c, lws_handshake_server drops the connection). It must hold a
 * target one byte past NET_HTTP_MAX_URL with fields one byte past
 * NET_HTTP_MAX_HEADER_BYTES, so that those requests are seen whole and answered 414 and
 * 431. lws allocates it per connection only while a request header is being read (from
 * the accept, or the end of the previous request, until the header is complete, at
 * most 10 s: lws's timeout_secs_ah_idle) and frees it then. It is malloc'd, not zeroed:
 * a header costs the pages it fills (measured, docs/protocol.md: +3.4 KiB RSS for 3.5 KB
 * of fields, +11.7 KiB for 12 KB; idle connections cost what they did with 4096).
 * info.max_http_header_pool stays at lws's default, one buffer per connection up to the
 * fd limit: a smaller pool would make new connections queue for a buffer behind as few
 * clients as the pool holds, each keeping one for 10 s. */
#define NET_LWS_HEADER_DATA (16 * 1024)
_Static_assert(NET_LWS_HEADER_DATA >= NET_HTTP_MAX_URL + NET_HTTP_MAX_HEADER_BYTES + 1024 &&
                   NET_LWS_HEADER_DATA <= 65535,
               "lws's header buffer holds both limits (and is an unsigned short)");
/* A request body (on a 405, or a GET that carries one) up to this size is read and
 * dropped so the connection stays usable; a longer one closes it after the response. */
#define NET_HTTP_MAX_DISCARD (64 * 1024)
/* The Server header of every response (lws's info.server_string). */
#define NET_SERVER_STRING "cocreated"
/* The methods every route allows (SPEC §4) and the 405 for the others. */
#define NET_HTTP_ALLOW "GET, HEAD"
#define NET_HTTP_405_TEXT "method not allowed\n"
/* The content type of the texts this layer answers itself (405, 414, 431, 500). */
#define NET_TEXT_TYPE "text/plain; charset=utf-8"

/* A refcounted message many connections may queue (net.h): data at buf + LWS_PRE. */
struct net_msg {
    int refs;
    size_t len;
    unsigned char buf[];
};

/* One queued outgoing message: its own copy (data starts LWS_PRE bytes into buf) or a
 * reference to a shared net_msg. */
struct outmsg {
    struct outmsg *next;
    struct net_msg *shared;
    size_t len;
    int binary;
    unsigned char buf[];
};

struct net_conn {
    struct net *net;
    struct lws *wsi; /* NULL once closed */
    int refs;        /* 1 for the open connection + 1 per holder */
    int closing;     /* close once the queue is empty */
    int close_code;  /* the close frame's status (0: 1008, policy violation) */
    int close_sent;  /* the closing handshake was started */
    struct net_conn *prev, *next; /* in the net's list of open connections */
    struct outmsg *q_head, **q_tail;
    size_t queued;
    struct ccbuf rx;  /* text message being reassembled */
    size_t rx_total;  /* its length so far, counting discarded bytes */
    int rx_binary;    /* the message in progress is binary */
    void *app;
    char peer[64];
};

struct net_http {
    struct net *net;
    struct lws *wsi; /* NULL once the client left */
    int refs;        /* 1 for the transaction + 1 while the app holds it */
    int responded, headers_sent;
    int waiting;     /* the stream's read said NET_BODY_WAIT */
    int head;        /* a HEAD request: headers only */
    int close_after; /* `connection: close`, and close once the response is out */
    int status;
    const char *content_type;
    char *hdr_name[NET_HTTP_MAX_HEADERS], *hdr_value[NET_HTTP_MAX_HEADERS];
    int nhdr;
    size_t len, sent;
    unsigned char *body; /* a buffered body, or */
    struct net_body stream;
};

/* lws's per-session area (for both HTTP and WebSocket wsi). */
struct pss {
    struct net_conn *conn;
    struct net_http *http;
};

struct net {
    struct lws_context *ctx;
    struct lws_protocols protocols[2];
    struct net_handlers h;
    size_t app_size, send_queue_max, ws_sndbuf;
    int refusing;
    struct net_conn *conns; /* open WebSocket connections */
    size_t queued_total;
    struct net_stats stats;
    void *loops[1];
    struct ccbuf scratch; /* LWS_PRE + a message, for writes that need no queue */
    char iface[INET_ADDRSTRLEN]; /* the listen address as lws wants it (kept by lws) */
};

/* ---- connections ---- */

void *net_conn_app(struct net_conn *c)
{
    return c->app;
}

void net_conn_ref(struct net_conn *c)
{
    c->refs++;
}

void net_conn_unref(struct net_conn *c)
{
    if (--c->refs > 0)
        return;
    ccbuf_free(&c->rx);
    free(c->app);
    free(c);
}

int net_conn_closed(const struct net_conn *c)
{
    return c->wsi == NULL;
}

const char *net_conn_peer(const struct net_conn *c)
{
    return c->peer;
}

size_t net_conn_queued(const struct net_conn *c)
{
    return c->queued;
}

struct net_msg *net_msg_new(const void *buf, size_t len)
{
    struct net_msg *m = xmalloc(sizeof *m + LWS_PRE + len);
    m->refs = 1;
    m->len = len;
    if (len)
        memcpy(m->buf + LWS_PRE, buf, len);
    return m;
}

const void *net_msg_data(const struct net_msg *m, size_t *len)
{
    *len = m->len;
    return m->buf + LWS_PRE;
}

struct net_msg *net_msg_ref(struct net_msg *m)
{
    m->refs++;
    return m;
}

void net_msg_unref(struct net_msg *m)
{
    if (m && --m->refs == 0)
        free(m);
}

static void outmsg_free(struct outmsg *m)
{
    net_msg_unref(m->shared);
    free(m);
}

static unsigned char *outmsg_data(struct outmsg *m)
{
    return m->shared ? m->shared->buf + LWS_PRE : m->buf + LWS_PRE;
}

static void drop_queue(struct net_conn *c)
{
    struct outmsg *m = c->q_head;
    while (m) {
        struct outmsg *next = m->next;
        outmsg_free(m);
        m = next;
    }
    c->net->queued_total -= c->queued;
    c->queued = 0;
    c->q_head = NULL;
    c->q_tail = &c->q_head;
}

/* Whether a message of len bytes may be queued on c; closes c when it would pass the
 * queue's bound. Sets *rc to what the send returns. */
static int can_queue(struct net_conn *c, size_t len, int *rc)
{
    *rc = 0;
    if (!c->wsi || c->closing)
        return 0;
    if (c->queued + len > c->net->send_queue_max) {
        c->net->stats.queue_overflows++;
        log_warn("closing %s: its send queue passed %zu bytes", c->peer,
                 c->net->send_queue_max);
        drop_queue(c);
        net_conn_close(c);
        *rc = CC_ETOOLARGE;
        return 0;
    }
    return 1;
}

/* Writes data (with LWS_PRE writable bytes before it) at once when nothing is queued
 * ahead of it and the socket takes it: one send() instead of a POLLOUT round trip
 * (two epoll_ctl and a writeable callback). lws keeps what a short send leaves and
 * finishes it itself before its next writeable callback. Returns 1 when written, 0
 * when the message must be queued, -1 when the socket failed (c is closing). */
static int write_now(struct net_conn *c, unsigned char *data, size_t len, int binary)
{
    if (c->q_head || lws_send_pipe_choked(c->wsi))
        return 0;
    int n = lws_write(c->wsi, data, len, binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
    if (n < (int)len) {
        net_conn_close(c);
        return -1;
    }
    c->net->stats.msgs_out++;
    c->net->stats.bytes_out += len;
    return 1;
}

static void enqueue(struct net_conn *c, struct outmsg *m)
{
    m->next = NULL;
    *c->q_tail = m;
    c->q_tail = &m->next;
    c->queued += m->len;
    c->net->queued_total += m->len;
    lws_callback_on_writable(c->wsi);
}

static void queue_copy(struct net_conn *c, const void *buf, size_t len, int binary)
{
    struct outmsg *m = xmalloc(sizeof *m + LWS_PRE + len);
    m->shared = NULL;
    m->len = len;
    m->binary = binary;
    memcpy(m->buf + LWS_PRE, buf, len);
    enqueue(c, m);
}

int net_conn_send(struct net_conn *c, const void *buf, size_t len, int binary)
{
    int rc;
    if (!can_queue(c, len, &rc))
        return rc;
    if (!c->q_head) { /* try at once from the net's scratch buffer: no allocation */
        struct ccbuf *sc = &c->net->scratch;
        sc->len = 0;
        unsigned char *p = ccbuf_reserve(sc, LWS_PRE + len) + LWS_PRE;
        memcpy(p, buf, len);
        int w = write_now(c, p, len, binary);
        if (sc->cap > NET_SCRATCH_KEEP)
            ccbuf_free(sc);
        if (w)
            return 0;
    }
    queue_copy(c, buf, len, binary);
    return 0;
}

_Static_assert(NET_PRE == LWS_PRE, "NET_PRE must be lws's LWS_PRE");

int net_conn_send_pre(struct net_conn *c, unsigned char *msg, size_t len)
{
    int rc;
    if (!can_queue(c, len, &rc))
        return rc;
    if (!write_now(c, msg, len, 0))
        queue_copy(c, msg, len, 0);
    return 0;
}

int net_conn_send_msg(struct net_conn *c, struct net_msg *msg)
{
    int rc;
    if (!can_queue(c, msg->len, &rc))
        return rc;
    /* lws writes the frame header into the LWS_PRE bytes before the data: the same
     * bytes for every connection (server frames are unmasked), so sharing is safe on
     * this one thread. */
    if (write_now(c, msg->buf + LWS_PRE, msg->len, 0))
        return 0;
    struct outmsg *m = xmalloc(sizeof *m);
    m->shared = net_msg_ref(msg);
    m->len = msg->len;
    m->binary = 0;
    enqueue(c, m);
    return 0;
}

void net_conn_close(struct net_conn *c)
{
    if (!c->wsi || c->closing)
        return;
    c->closing = 1;
    lws_callback_on_writable(c->wsi);
}

/* Writes queued messages while the socket takes them. Returns -1 to close. */
static int conn_writeable(struct net_conn *c)
{
    while (c->q_head && !lws_send_pipe_choked(c->wsi)) {
        struct outmsg *m = c->q_head;
        int n = lws_write(c->wsi, outmsg_data(m), m->len,
                          m->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
        if (n < (int)m->len)
            return -1; /* lws buffers partial writes itself; < len means the socket died */
        c->q_head = m->next;
        if (!c->q_head)
            c->q_tail = &c->q_head;
        c->queued -= m->len;
        c->net->queued_total -= m->len;
        c->net->stats.msgs_out++;
        c->net->stats.bytes_out += m->len;
        outmsg_free(m);
    }
    if (c->q_head) {
        lws_callback_on_writable(c->wsi);
        return 0;
    }
    if (!c->closing && c->net->h.on_drain)
        c->net->h.on_drain(c, c->net->h.user);
    if (c->closing && !c->close_sent) {
        /* The closing handshake: lws sends the close frame (after the queue, which
         * is empty now), waits for the client's close and only then closes the
         * socket, by which time the client has stopped sending. Returning -1 here
         * would not do: lws takes -1 from a writeable callback for a dead socket and
         * drops it without a close frame, and a socket closed with unread input is
         * reset, which throws away replies still in its buffer. A close requested
         * from the wsi's timer callback takes the polite path (LWS_CALLBACK_TIMER). */
        c->close_sent = 1;
        lws_close_reason(c->wsi,
                         c->close_code ? (enum lws_close_status)c->close_code
                                       : LWS_CLOSE_STATUS_POLICY_VIOLATION,
                         NULL, 0);
        lws_set_timer_usecs(c->wsi, 1);
    }
    return 0;
}

static void conn_receive(struct net_conn *c, const void *in, size_t len)
{
    struct net *n = c->net;
    struct lws *wsi = c->wsi;
    int final = lws_is_final_fragment(wsi);
    n->stats.bytes_in += len;
    if (c->rx_total == 0 && c->rx.len == 0)
        c->rx_binary = lws_frame_is_binary(wsi);
    if (c->rx_binary) {
        c->rx_total += len;
        if (final)
            c->rx_total = 0, n->stats.msgs_in++;
        if (n->h.on_binary)
            n->h.on_binary(c, in, len, final, n->h.user);
        return;
    }
    c->rx_total += len;
    if (c->rx_total <= NET_MAX_TEXT)
        ccbuf_append(&c->rx, in, len);
    else if (c->rx.data) /* past the bound: stop buffering, keep counting */
        ccbuf_free(&c->rx);
    if (!final)
        return;
    n->stats.msgs_in++;
    size_t total = c->rx_total;
    c->rx_total = 0;
    if (total > NET_MAX_TEXT) {
        n->h.on_text_too_large(c, total, n->h.user);
        return;
    }
    ccbuf_append(&c->rx, "", 1); /* NUL for the JSON parser */
    c->rx.len = 0;
    n->h.on_text(c, (char *)c->rx.data, total, n->h.user);
    /* Keep small buffers for the next message; give back big ones. */
    if (c->rx.cap > 4096)
        ccbuf_free(&c->rx);
}

/* ---- HTTP ---- */

int net_http_header(struct net_http *h, int lws_token, char *buf, size_t len)
{
    int n = lws_hdr_total_length(h->wsi, (enum lws_token_indexes)lws_token);
    if (n <= 0 || (size_t)n >= len)
        return -1;
    return lws_hdr_copy(h->wsi, buf, (int)len, (enum lws_token_indexes)lws_token);
}

void net_http_add_header(struct net_http *h, const char *name, const char *value)
{
    if (h->nhdr == NET_HTTP_MAX_HEADERS) {
        log_error("http: too many response headers, dropping %s", name);
        return;
    }
    h->hdr_name[h->nhdr] = xstrdup(name);
    h->hdr_value[h->nhdr] = xstrdup(value);
    h->nhdr++;
}

static void http_start(struct net_http *h)
{
    if (h->wsi && h->refs > 1) { /* responding later, from outside lws's callback */
        lws_set_timeout(h->wsi, NO_PENDING_TIMEOUT, 0);
        lws_callback_on_writable(h->wsi);
    }
}

void net_http_respond(struct net_http *h, int status, const char *content_type, void *body,
                      size_t len)
{
    if (h->responded || !h->wsi) {
        free(body);
        return;
    }
    h->responded = 1;
    h->status = status;
    h->content_type = content_type;
    h->body = body;
    h->len = len;
    http_start(h);
}

void net_http_respond_stream(struct net_http *h, int status, const char *content_type,
                             size_t len, struct net_body body)
{
    if (h->responded || !h->wsi) {
        body.free(body.user);
        return;
    }
    h->responded = 1;
    h->status = status;
    h->content_type = content_type;
    h->stream = body;
    h->len = len;
    http_start(h);
}

void net_http_resume(struct net_http *h)
{
    if (h->waiting && h->wsi) {
        h->waiting = 0;
        lws_callback_on_writable(h->wsi);
    }
}

void net_http_hold(struct net_http *h)
{
    h->refs++;
    /* Work off the loop may take a while: keep lws from timing the client out. */
    lws_set_timeout(h->wsi, PENDING_TIMEOUT_HTTP_CONTENT, 60);
}

static void http_unref(struct net_http *h)
{
    if (!h || --h->refs > 0)
        return;
    for (int i = 0; i < h->nhdr; i++) {
        free(h->hdr_name[i]);
        free(h->hdr_value[i]);
    }
    free(h->body);
    if (h->stream.free)
        h->stream.free(h->stream.user);
    free(h);
}

void net_http_release(struct net_http *h)
{
    http_unref(h);
}

/* The transaction is over (sent or the client left): lws forgets h. */
static void http_detach(struct pss *pss)
{
    struct net_http *h = pss->http;
    if (!h)
        return;
    pss->http = NULL;
    h->wsi = NULL;
    http_unref(h);
}

/* Whether wsi is an HTTP/1 connection, not a stream of an HTTP/2 one (lws serves h2
 * after an `Upgrade: h2c`): h2 has no reason phrases and no Connection header. */
static int is_h1(struct lws *wsi)
{
    return lws_get_network_wsi(wsi) == wsi;
}

/* The status line (and Server header). lws 4.1.6's lws_add_http_header_status has no
 * reason phrase for 431 ("HTTP/1.1 431 ") and spells 414's "Request URI too Long":
 * over HTTP/1 those two lines are written here, as lws would write them otherwise. */
static int http_status_line(struct lws *wsi, int status, unsigned char **p, unsigned char *end)
{
    const char *reason = status == 414   ? "URI Too Long"
                         : status == 431 ? "Request Header Fields Too Large"
                                         : NULL;
    if (!reason || !is_h1(wsi))
        return lws_add_http_header_status(wsi, (unsigned)status, p, end);
    char version[16] = "", line[64];
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP) < (int)sizeof version)
        lws_hdr_copy(wsi, version, sizeof version, WSI_TOKEN_HTTP);
    int n = snprintf(line, sizeof line, "%s %d %s",
                     strcmp(version, "HTTP/1.0") ? "HTTP/1.1" : "HTTP/1.0", status, reason);
    return lws_add_http_header_by_name(wsi, NULL, (const unsigned char *)line, n, p, end) ||
           lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_SERVER,
                                        (const unsigned char *)NET_SERVER_STRING,
                                        (int)strlen(NET_SERVER_STRING), p, end);
}

/* Writes the status line and headers: Content-Length (a HEAD's too: what its GET would
 * send; none on a 304, RFC 9110 §8.6), or `connection: close` when the close ends the
 * body or the connection cannot be kept. Returns -1 to close. */
static int http_send_headers(struct net_http *h)
{
    unsigned char buf[LWS_PRE + 2048], *start = buf + LWS_PRE, *p = start,
                                       *end = buf + sizeof buf - 1;
    h->headers_sent = 1;
    if (h->len == NET_HTTP_LENGTH_UNKNOWN)
        h->close_after = 1;
    if (http_status_line(h->wsi, h->status, &p, end))
        return -1;
    if (h->content_type &&
        lws_add_http_header_by_token(h->wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
                                     (const unsigned char *)h->content_type,
                                     (int)strlen(h->content_type), &p, end))
        return -1;
    if (h->len != NET_HTTP_LENGTH_UNKNOWN && h->status != 304 &&
        lws_add_http_header_content_length(h->wsi, (lws_filepos_t)h->len, &p, end))
        return -1;
    if (h->close_after && is_h1(h->wsi) &&
        lws_add_http_header_by_token(h->wsi, WSI_TOKEN_CONNECTION,
                                     (const unsigned char *)"close", 5, &p, end))
        return -1;
    for (int i = 0; i < h->nhdr; i++)
        if (lws_add_http_header_by_name(h->wsi, (const unsigned char *)h->hdr_name[i],
                                        (const unsigned char *)h->hdr_value[i],
                                        (int)strlen(h->hdr_value[i]), &p, end))
            return -1;
    if (lws_finalize_write_http_header(h->wsi, start, &p, end))
        return -1;
    return 0;
}

/* Writes body chunks while the socket takes them. Returns -1 to close the connection,
 * 1 when the transaction is complete, 0 to wait for the next writeable callback. */
static int http_writeable(struct net_http *h)
{
    enum { CHUNK = 32 * 1024 };
    unsigned char buf[LWS_PRE + CHUNK];
    if (!h->responded)
        return 0; /* held: the answer is not ready */
    if (!h->headers_sent) {
        if (http_send_headers(h))
            return -1;
        if (h->len == 0 || h->head)
            return 1;
    }
    int unknown = h->len == NET_HTTP_LENGTH_UNKNOWN;
    while ((unknown || h->sent < h->len) && !lws_send_pipe_choked(h->wsi)) {
        size_t n = unknown || h->len - h->sent >= CHUNK ? CHUNK : h->len - h->sent;
        if (h->body) {
            memcpy(buf + LWS_PRE, h->body + h->sent, n);
        } else {
            long got = h->stream.read(h->stream.user, buf + LWS_PRE, n);
            if (got == NET_BODY_WAIT) {
                h->waiting = 1; /* net_http_resume asks for the next writeable */
                return 0;
            }
            if (got == 0 && unknown)
                return 1; /* the end: lws closes once what it buffered is out */
            if (got <= 0 || (size_t)got > n) {
                log_error("http: a streamed body ended at %zu of %zu bytes", h->sent, h->len);
                return -1;
            }
            n = (size_t)got;
        }
        int last = !unknown && h->sent + n == h->len;
        if (lws_write(h->wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) <
            (int)n)
            return -1;
        h->sent += n;
        h->net->stats.bytes_out += n;
    }
    if (unknown || h->sent < h->len) {
        lws_callback_on_writable(h->wsi);
        return 0;
    }
    return 1;
}

/* The response is out (or in lws's buffer, which lws sends before it closes). lws
 * completes the transaction once the request's body is read too (it drops what is
 * left of it: LRS_DISCARD_BODY), then waits for the next request. A close_after
 * response closes the connection (over h2: ends the stream, as a completed
 * transaction does there). */
static int http_finish(struct pss *pss, struct lws *wsi)
{
    int close_after = pss->http && pss->http->close_after;
    http_detach(pss);
    if (close_after)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* The bytes of the request's header fields, each counted as `Name: value` CRLF, for
 * the fields lws 4.1.6 knows by name (its token table: Host, Cookie, Authorization,
 * User-Agent, Referer, Accept*, ... every name that lws_token_to_string spells with a
 * colon; a repeated field is counted as one line holding all its values). lws has no
 * way to list the fields it does not know (lws_hdr_custom_length needs the name;
 * lws_hdr_custom_name_foreach came in 4.3): those are bounded by NET_LWS_HEADER_DATA
 * only. docs/protocol.md, HTTP. */
static size_t request_header_bytes(struct lws *wsi)
{
    size_t total = 0;
    for (int t = 0; t < (int)WSI_TOKEN_COUNT; t++) {
        const char *name = (const char *)lws_token_to_string((enum lws_token_indexes)t);
        size_t nlen = name ? strlen(name) : 0;
        /* methods ("get "), versions, "uri-args" and h2's ":path" are not fields */
        if (nlen < 2 || name[0] == ':' || name[nlen - 1] != ':')
            continue;
        int n = lws_hdr_total_length(wsi, (enum lws_token_indexes)t);
        if (n > 0)
            total += nlen + 1 + (size_t)n + 2;
    }
    return total;
}

/* The request target as lws hands it over: the path (percent-decoded, dot segments and
 * repeated slashes removed), then `?` and the query. */
static size_t request_url_bytes(struct lws *wsi, size_t path_len)
{
    int args = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS);
    return path_len + (args > 0 ? 1 + (size_t)args : 0);
}

/* Whether the connection must close after the response because the request's body
 * cannot be skipped in step with the next request. lws 4.1.6 (lws_http_action in
 * roles/http/server/server.c) reads a body by Content-Length only: it does not decode
 * Transfer-Encoding (it would parse a chunked body as the next request), and from a
 * POST, PUT or PATCH without Content-Length it expects 100 MiB. A client that sent
 * `Expect: 100-continue` may never send its body. Bodies past NET_HTTP_MAX_DISCARD are
 * not worth reading. */
static int body_forces_close(struct lws *wsi)
{
    char cl[24];
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0)
        return 1;
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
    if (n <= 0)
        return lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0 ||
               lws_hdr_total_length(wsi, WSI_TOKEN_PUT_URI) > 0 ||
               lws_hdr_total_length(wsi, WSI_TOKEN_PATCH_URI) > 0;
    if (n >= (int)sizeof cl ||
        lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) != n ||
        cl[strspn(cl, "0123456789")] != '\0')
        return 1;
    unsigned long long body = strtoull(cl, NULL, 10);
    return body > NET_HTTP_MAX_DISCARD ||
           (body > 0 && lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_EXPECT) > 0);
}

static void respond_plain(struct net_http *h, int status, const char *text)
{
    net_http_respond(h, status, NET_TEXT_TYPE, xstrdup(text), strlen(text));
}

/* One HTTP request, from lws's LWS_CALLBACK_HTTP: the checks every route shares (the
 * limits, the method), then the application's on_http for GET and HEAD. */
static int http_request(struct net *n, struct pss *pss, struct lws *wsi, const char *path,
                        size_t path_len)
{
    n->stats.http_requests++;
    http_detach(pss);
    struct net_http *h = pss->http = xcalloc(1, sizeof *h);
    h->net = n;
    h->wsi = wsi;
    h->refs = 1;
    h->head = lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0;
    h->close_after = body_forces_close(wsi);
    if (request_url_bytes(wsi, path_len) > NET_HTTP_MAX_URL) {
        h->close_after = 1;
        respond_plain(h, 414, "URI too long\n");
    } else if (request_header_bytes(wsi) > NET_HTTP_MAX_HEADER_BYTES) {
        h->close_after = 1;
        respond_plain(h, 431, "request header fields too large\n");
    } else if (!h->head && lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0) {
        /* POST, PUT, PATCH, DELETE, OPTIONS: lws answers methods it does not know
         * (TRACE, ...) 403 itself and turns CONNECT into a raw socket. */
        net_http_add_header(h, "allow:", NET_HTTP_ALLOW);
        respond_plain(h, 405, NET_HTTP_405_TEXT);
    } else {
        n->h.on_http(h, path, n->h.user);
    }
    if (!h->responded) {
        if (h->refs > 1)
            return 0; /* held: answered later */
        log_error("http: no response for %s", path);
        respond_plain(h, 500, "internal error\n");
    }
    if (http_send_headers(h))
        return -1;
    if (h->len == 0 || h->head)
        return http_finish(pss, wsi);
    lws_callback_on_writable(wsi);
    return 0;
}

/* ---- the lws protocol callback ---- */

static int is_ws_path(struct lws *wsi)
{
    char uri[16];
    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) >= (int)sizeof uri)
        return 0;
    if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) < 0)
        return 0;
    return !strcmp(uri, "/ws");
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    struct lws_context *ctx = lws_get_context(wsi);
    struct net *n = ctx ? lws_context_user(ctx) : NULL;
    struct pss *pss = user;
    struct net_conn *c;

    switch (reason) {
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
        if (n && n->refusing) {
            n->stats.conns_refused++;
            return 1;
        }
        return 0;

    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return (n->refusing || !is_ws_path(wsi)) ? 1 : 0;

    case LWS_CALLBACK_ESTABLISHED:
        c = xcalloc(1, sizeof *c);
        c->net = n;
        c->wsi = wsi;
        c->refs = 1;
        c->q_tail = &c->q_head;
        c->app = xcalloc(1, n->app_size ? n->app_size : 1);
        lws_get_peer_simple(wsi, c->peer, sizeof c->peer);
        if (n->ws_sndbuf) {
            int fd = (int)lws_get_socket_fd(wsi), sz = (int)n->ws_sndbuf;
            if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz))
                log_debug("%s: cannot set SO_SNDBUF to %d", c->peer, sz);
        }
        pss->conn = c;
        c->next = n->conns;
        if (n->conns)
            n->conns->prev = c;
        n->conns = c;
        n->stats.conns_open++;
        n->stats.conns_total++;
        if (n->h.on_open)
            n->h.on_open(c, n->h.user);
        return 0;

    case LWS_CALLBACK_TIMER: /* set by conn_writeable: start the closing handshake */
        return pss && pss->conn && pss->conn->close_sent ? -1 : 0;

    case LWS_CALLBACK_RECEIVE:
        if (pss->conn && !pss->conn->closing)
            conn_receive(pss->conn, in, len);
        return 0;

    case LWS_CALLBACK_SERVER_WRITEABLE:
        return pss->conn ? conn_writeable(pss->conn) : 0;

    case LWS_CALLBACK_CLOSED:
        if (!(c = pss->conn))
            return 0;
        pss->conn = NULL;
        drop_queue(c);
        c->wsi = NULL;
        if (c->prev)
            c->prev->next = c->next;
        else
            n->conns = c->next;
        if (c->next)
            c->next->prev = c->prev;
        c->prev = c->next = NULL;
        n->stats.conns_open--;
        if (n->h.on_close)
            n->h.on_close(c, n->h.user);
        net_conn_unref(c);
        return 0;

    case LWS_CALLBACK_HTTP:
        return in ? http_request(n, pss, wsi, in, len) : http_request(n, pss, wsi, "/", 1);

    case LWS_CALLBACK_RAW_ADOPT: {
        /* Only a CONNECT request gets here: lws 4.1.6 turns it into a raw socket bound
         * to protocols[0] (lws_http_to_fallback, roles/http/server/server.c), with no
         * timeout. Answer it as any other method, then close. */
        unsigned char buf[LWS_PRE + 256];
        int resp = snprintf((char *)buf + LWS_PRE, sizeof buf - LWS_PRE,
                           "HTTP/1.1 405 Method Not Allowed\r\n"
                           "server: " NET_SERVER_STRING "\r\n"
                           "content-type: " NET_TEXT_TYPE "\r\n"
                           "content-length: %zu\r\n"
                           "connection: close\r\n"
                           "allow: " NET_HTTP_ALLOW "\r\n"
                           "\r\n" NET_HTTP_405_TEXT,
                           strlen(NET_HTTP_405_TEXT));
        if (n)
            n->stats.http_requests++;
        if (resp > 0 && (size_t)resp < sizeof buf - LWS_PRE)
            lws_write(wsi, buf + LWS_PRE, (size_t)resp, LWS_WRITE_RAW);
        return -1;
    }

    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        /* A body we did not ask for has been read (and dropped): nothing to do. The
         * response's end completes the transaction (http_finish); completing it here
         * too, while the response may still be going out, would let lws read the next
         * request in the middle of it. */
        return 0;

    case LWS_CALLBACK_HTTP_WRITEABLE: {
        if (!pss || !pss->http)
            return 0;
        int rc = http_writeable(pss->http);
        if (rc < 0)
            return -1;
        return rc ? http_finish(pss, wsi) : 0;
    }

    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (pss)
            http_detach(pss);
        return 0;

    default:
        return 0;
    }
}

/* ---- lifecycle ---- */

static void lws_log(int level, const char *line)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    log_msg(level == LLL_ERR ? LOG_ERROR : LOG_WARN, "lws: %.*s", (int)n, line);
}

/* lws 4.1 binds info.iface only as an IP literal or an interface name; it takes any
 * other host, or an address this machine lacks, for an interface that may come up
 * later: it logs and retries while the daemon runs without listening. So resolve the
 * host here (IPv4: lws runs with IPv6 off), try the bind, and hand lws the literal. */
static int resolve_listen(const char *host, int port, char *ip, size_t iplen, char *err,
                          size_t errlen)
{
    struct addrinfo hints, *res;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port, gai_strerror(rc));
        return CC_EINTERNAL;
    }
    struct sockaddr_in sa;
    memcpy(&sa, res->ai_addr, sizeof sa);
    freeaddrinfo(res);
    sa.sin_port = htons((uint16_t)port);
    inet_ntop(AF_INET, &sa.sin_addr, ip, (socklen_t)iplen);
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa)) {
        int e = errno;
        snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port, strerror(e));
        if (fd >= 0)
            close(fd);
        return CC_EINTERNAL;
    }
    close(fd);
    return 0;
}

int net_start(struct net **out, uv_loop_t *loop, const struct net_config *cfg,
              const struct net_handlers *h, char *err, size_t errlen)
{
    struct net *n = xcalloc(1, sizeof *n);
    *out = n;
    n->h = *h;
    n->app_size = cfg->app_size;
    n->send_queue_max = cfg->send_queue_max ? cfg->send_queue_max : NET_DEFAULT_SEND_QUEUE;
    n->ws_sndbuf = cfg->ws_sndbuf;
    n->loops[0] = loop;
    n->protocols[0] = (struct lws_protocols){
        .name = "cocreate.v1",
        .callback = callback,
        .per_session_data_size = sizeof(struct pss),
        .rx_buffer_size = 4096,
        .tx_packet_size = NET_TX_PACKET,
    };

    if (resolve_listen(cfg->host, cfg->port, n->iface, sizeof n->iface, err, errlen))
        return CC_EINTERNAL;
    lws_set_log_level(LLL_ERR | LLL_WARN, lws_log);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_DISABLE_IPV6;
    info.foreign_loops = n->loops;
    info.pcontext = &n->ctx;
    info.port = cfg->port;
    info.iface = n->iface;
    info.protocols = n->protocols;
    info.user = n;
    info.server_string = NET_SERVER_STRING;
    info.vhost_name = "default";
    info.max_http_header_data = NET_LWS_HEADER_DATA;

    n->ctx = lws_create_context(&info);
    if (!n->ctx) {
        snprintf(err, errlen,
                 "cannot start libwebsockets on the libuv loop (is the Debian package "
                 "libwebsockets-evlib-uv installed?)");
        return CC_EINTERNAL;
    }
    if (!lws_get_vhost_by_name(n->ctx, "default")) {
        snprintf(err, errlen, "cannot listen on %s:%d (address in use or not local?)",
                 cfg->host, cfg->port);
        return CC_EINTERNAL;
    }
    return 0;
}

void net_refuse_new(struct net *n)
{
    n->refusing = 1;
}

size_t net_queued_total(const struct net *n)
{
    return n->queued_total;
}

void net_get_stats(const struct net *n, struct net_stats *out)
{
    *out = n->stats;
}

void net_close_all(struct net *n)
{
    for (struct net_conn *c = n->conns; c; c = c->next)
        if (!c->closing) {
            c->close_code = LWS_CLOSE_STATUS_GOINGAWAY;
            net_conn_close(c);
        }
}

size_t net_conns_open(const struct net *n)
{
    return (size_t)n->stats.conns_open;
}

void net_stop(struct net *n)
{
    if (n && n->ctx)
        lws_context_destroy(n->ctx);
}

void net_free(struct net *n)
{
    if (!n)
        return;
    /* lws 4.1 on a foreign loop: the context outlives the first destroy until this
     * second one, after the loop has stopped (upstream issue #2595). */
    if (n->ctx)
        lws_context_destroy(n->ctx);
    ccbuf_free(&n->scratch);
    free(n);
}
