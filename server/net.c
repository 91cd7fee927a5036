/* libwebsockets on the application's libuv loop. See net.h and the shutdown notes in
 * docs/architecture.md (lws 4.1 needs lws_context_destroy twice: once from a loop
 * callback, once after uv_run returns).
 * Thread use: loop thread only. */
#include "net.h"
#include "net_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libwebsockets.h>
#include <malloc.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ccerr.h"
#include "log.h"
#include "util.h"

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

/* Frees buf, a message's malloc'd buffer, or keeps it for net_buf_take. */
static void buf_give(struct net *n, unsigned char *buf)
{
    size_t cap = buf ? malloc_usable_size(buf) : 0;
    if (cap < NET_SPARE_MIN || cap > NET_SPARE_MAX || n->nspare == NET_SPARE_BUFS) {
        free(buf);
        return;
    }
    n->spare[n->nspare++] = (struct spare_buf){buf, cap};
}

unsigned char *net_buf_take(struct net_conn *c, size_t min, size_t *cap)
{
    struct net *n = c->net;
    for (int i = n->nspare - 1; i >= 0; i--)
        if (n->spare[i].cap >= min) {
            unsigned char *buf = n->spare[i].buf;
            *cap = n->spare[i].cap;
            n->spare[i] = n->spare[--n->nspare];
            return buf;
        }
    *cap = min < NET_SPARE_MIN ? min : (min + NET_SPARE_MIN - 1) / NET_SPARE_MIN * NET_SPARE_MIN;
    return xmalloc(*cap);
}

/* A message header with no bytes of its own (they are shared or owned). */
static struct outmsg *outmsg_head(struct net *n)
{
    struct outmsg *m = n->free_heads;
    if (!m)
        return xmalloc(sizeof *m);
    n->free_heads = m->next;
    n->nfree_heads--;
    return m;
}

static void outmsg_free(struct net *n, struct outmsg *m)
{
    int head = m->shared || m->owned; /* (else its bytes follow it: freed) */
    net_msg_unref(m->shared);
    buf_give(n, m->owned);
    if (!head || n->nfree_heads == NET_FREE_HEADS_MAX) {
        free(m);
        return;
    }
    m->next = n->free_heads;
    n->free_heads = m;
    n->nfree_heads++;
}

static unsigned char *outmsg_data(struct outmsg *m)
{
    return m->shared ? m->shared->buf + LWS_PRE : m->owned ? m->owned + LWS_PRE : m->buf + LWS_PRE;
}

static void drop_queue(struct net_conn *c)
{
    struct outmsg *m = c->q_head;
    while (m) {
        struct outmsg *next = m->next;
        outmsg_free(c->net, m);
        m = next;
    }
    c->net->queued_total -= c->queued;
    c->queued = 0;
    c->q_head = NULL;
    c->q_tail = &c->q_head;
}

/* c's queue passed its bound: c is closed (its client does not read). */
static void overflow(struct net_conn *c)
{
    c->net->stats.queue_overflows++;
    log_warn("closing %s: its send queue passed %zu bytes", c->peer, c->net->send_queue_max);
    drop_queue(c);
    net_conn_close(c);
}

/* Whether a message of len bytes may be queued on c; closes c when it would pass the
 * queue's bound. Sets *rc to what the send returns. */
static int can_queue(struct net_conn *c, size_t len, int *rc)
{
    *rc = 0;
    if (!c->wsi || c->closing)
        return 0;
    /* A corked queue holds this iteration's messages, most of which the socket takes
     * at net_uncork: the bound counts what is left then. */
    if (!c->corked && c->queued + len > c->net->send_queue_max) {
        overflow(c);
        *rc = CC_ETOOLARGE;
        return 0;
    }
    return 1;
}

/* Writes data (with LWS_PRE writable bytes before it) at once when nothing is queued
 * ahead of it: one send() instead of a POLLOUT round trip (two epoll_ctl and a
 * writeable callback). lws keeps what a short send leaves (the socket's buffer full)
 * and finishes it itself before its next writeable callback; until then the messages
 * after it are queued here. (Not lws_send_pipe_choked: that asks the kernel with a
 * poll() for every message, a syscall a reply on the hottest path.) Returns 1 when
 * written, 0 when the message must be queued, -1 when the socket failed (c is
 * closing). */
static int write_now(struct net_conn *c, unsigned char *data, size_t len, int binary)
{
    if (c->q_head || c->net->corked || lws_partial_buffered(c->wsi))
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
    struct net *n = c->net;
    if (n->corked && !c->corked && c->q_head == m) {
        /* the first of this iteration's messages to c: net_uncork writes them */
        if (n->cork_n == n->cork_cap) {
            n->cork_cap = n->cork_cap ? 2 * n->cork_cap : 64;
            n->cork_list = xrealloc(n->cork_list, n->cork_cap * sizeof *n->cork_list);
        }
        n->cork_list[n->cork_n++] = c;
        c->corked = 1;
        net_conn_ref(c);
        return;
    }
    if (!c->corked)
        lws_callback_on_writable(c->wsi);
}

static void queue_copy(struct net_conn *c, const void *buf, size_t len, int binary)
{
    struct outmsg *m = xmalloc(sizeof *m + LWS_PRE + len);
    m->shared = NULL;
    m->owned = NULL;
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

int net_conn_send_take(struct net_conn *c, unsigned char *buf, size_t len)
{
    int rc;
    if (!can_queue(c, len, &rc) || write_now(c, buf + LWS_PRE, len, 0)) {
        buf_give(c->net, buf); /* dropped, written, or the socket failed */
        return rc;
    }
    struct outmsg *m = outmsg_head(c->net);
    m->shared = NULL;
    m->owned = buf;
    m->len = len;
    m->binary = 0;
    enqueue(c, m);
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
    struct outmsg *m = outmsg_head(c->net);
    m->shared = net_msg_ref(msg);
    m->owned = NULL;
    m->len = msg->len;
    m->binary = 0;
    enqueue(c, m);
    return 0;
}

void net_conn_close_with(struct net_conn *c, int code, const char *reason)
{
    if (!c->wsi || c->closing)
        return;
    c->close_code = code;
    snprintf(c->close_reason, sizeof c->close_reason, "%.100s", reason ? reason : "");
    net_conn_close(c);
}

void net_conn_close(struct net_conn *c)
{
    if (!c->wsi || c->closing)
        return;
    c->closing = 1;
    lws_callback_on_writable(c->wsi);
}

/* Writes c's queued messages while the socket takes them: until it is full (ask_kernel:
 * lws_send_pipe_choked, a poll(); else until lws holds the tail of a short write, which
 * it finishes itself before the next writeable callback). Returns -1 when the socket
 * failed. */
static int write_queue(struct net_conn *c, int ask_kernel)
{
    while (c->q_head && !(ask_kernel ? lws_send_pipe_choked(c->wsi)
                                     : lws_partial_buffered(c->wsi))) {
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
        outmsg_free(c->net, m);
    }
    return 0;
}

void net_cork(struct net *n)
{
    n->corked = 1;
}

void net_uncork(struct net *n)
{
    n->corked = 0;
    for (size_t i = 0; i < n->cork_n; i++) {
        struct net_conn *c = n->cork_list[i];
        c->corked = 0;
        if (!c->wsi) {
            /* closed meanwhile: its queue went with it */
        } else if (write_queue(c, 0)) {
            drop_queue(c); /* the socket died: the writeable callback closes it */
            net_conn_close(c);
        } else if (c->queued > n->send_queue_max) {
            overflow(c);
        } else if (c->q_head || c->closing) {
            lws_callback_on_writable(c->wsi); /* the rest, or the closing handshake */
        }
        net_conn_unref(c);
    }
    n->cork_n = 0;
}

/* Writes queued messages while the socket takes them. Returns -1 to close. */
static int conn_writeable(struct net_conn *c)
{
    if (write_queue(c, 1))
        return -1;
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
                         (unsigned char *)c->close_reason, strlen(c->close_reason));
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
        return in ? net_http_on_request(n, pss, wsi, in, len)
                  : net_http_on_request(n, pss, wsi, "/", 1);

    case LWS_CALLBACK_RAW_ADOPT: /* only a CONNECT request gets here */
        return net_http_on_connect(n, wsi);

    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        /* A body we did not ask for has been read (and dropped): nothing to do. The
         * response's end completes the transaction (http_finish); completing it here
         * too, while the response may still be going out, would let lws read the next
         * request in the middle of it. */
        return 0;

    case LWS_CALLBACK_HTTP_WRITEABLE: {
        if (!pss || !pss->http)
            return 0;
        int rc = net_http_on_writeable(pss->http);
        if (rc < 0)
            return -1;
        return rc ? net_http_finish(pss, wsi) : 0;
    }

    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (pss)
            net_http_detach(pss);
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

static void on_cork_prepare(uv_prepare_t *h)
{
    net_cork(h->data);
}

static void on_cork_check(uv_check_t *h)
{
    net_uncork(h->data);
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
    if (cfg->tls_cert) { /* TLS on the one port: wss:// and https:// (lws with OpenSSL) */
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = cfg->tls_cert;
        info.ssl_private_key_filepath = cfg->tls_key;
    }

    n->ctx = lws_create_context(&info);
    if (!n->ctx) {
        snprintf(err, errlen,
                 "cannot start libwebsockets on the libuv loop (is the Debian package "
                 "libwebsockets-evlib-uv installed?)");
        return CC_EINTERNAL;
    }
    if (!lws_get_vhost_by_name(n->ctx, "default")) {
        snprintf(err, errlen, "cannot listen on %s:%d (address in use or not local?%s)",
                 cfg->host, cfg->port,
                 cfg->tls_cert ? " or the TLS certificate and key refused" : "");
        return CC_EINTERNAL;
    }
    /* Every iteration's messages go out together after its poll (net_cork). Neither
     * handle keeps the loop running. */
    uv_prepare_init(loop, &n->cork_prepare);
    uv_check_init(loop, &n->cork_check);
    n->cork_prepare.data = n->cork_check.data = n;
    uv_prepare_start(&n->cork_prepare, on_cork_prepare);
    uv_check_start(&n->cork_check, on_cork_check);
    uv_unref((uv_handle_t *)&n->cork_prepare);
    uv_unref((uv_handle_t *)&n->cork_check);
    n->cork_handles = 1;
    return 0;
}

/* The first OpenSSL error queued, as text (the queue is emptied). */
static const char *tls_reason(char *buf, size_t len)
{
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (!e)
        return "not PEM";
    ERR_error_string_n(e, buf, len);
    return buf;
}

int net_tls_check(const char *cert, const char *key, char *err, size_t errlen)
{
    char why[256];
    X509 *x = NULL;
    EVP_PKEY *k = NULL;
    int rc = -1;
    FILE *f = fopen(cert, "r");
    if (!f) {
        snprintf(err, errlen, "--tls-cert %s: %s", cert, strerror(errno));
        return -1;
    }
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!x) {
        snprintf(err, errlen, "--tls-cert %s: no PEM certificate in it (%s)", cert,
                 tls_reason(why, sizeof why));
        return -1;
    }
    if (!(f = fopen(key, "r"))) {
        snprintf(err, errlen, "--tls-key %s: %s", key, strerror(errno));
        goto out;
    }
    k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (!k)
        snprintf(err, errlen, "--tls-key %s: no PEM private key in it (%s)", key,
                 tls_reason(why, sizeof why));
    else if (X509_check_private_key(x, k) != 1) {
        ERR_clear_error();
        snprintf(err, errlen, "--tls-key %s is not the key of the certificate in %s", key, cert);
    } else
        rc = 0;
out:
    EVP_PKEY_free(k);
    X509_free(x);
    return rc;
}

void net_refuse_new(struct net *n)
{
    n->refusing = 1;
}

size_t net_queued_total(const struct net *n)
{
    return n->queued_total;
}

size_t net_spare_bytes(const struct net *n)
{
    size_t bytes = n->nfree_heads * sizeof(struct outmsg);
    for (int i = 0; i < n->nspare; i++)
        bytes += n->spare[i].cap;
    return bytes;
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
    if (n && n->cork_handles) {
        net_uncork(n);
        uv_close((uv_handle_t *)&n->cork_prepare, NULL);
        uv_close((uv_handle_t *)&n->cork_check, NULL);
        n->cork_handles = 0;
    }
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
    free(n->cork_list);
    while (n->nspare)
        free(n->spare[--n->nspare].buf);
    while (n->free_heads) {
        struct outmsg *m = n->free_heads;
        n->free_heads = m->next;
        free(m);
    }
    free(n);
}
