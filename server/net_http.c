/* HTTP on the WebSocket port (net.h): requests handed to the application's on_http,
 * responses buffered or streamed, and the HTTP/1.1 rules every route shares — HEAD
 * without a body, 405 for other methods (request bodies read and dropped, or the
 * connection closed), 414 and 431 for oversized requests (docs/protocol.md, "HTTP").
 * The inside of net.c's module (net_int.h). Thread use: loop thread only. */
#include "net.h"
#include "net_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

int net_http_header(struct net_http *h, int lws_token, char *buf, size_t len)
{
    int n = lws_hdr_total_length(h->wsi, (enum lws_token_indexes)lws_token);
    if (n <= 0 || (size_t)n >= len)
        return -1;
    return lws_hdr_copy(h->wsi, buf, (int)len, (enum lws_token_indexes)lws_token);
}

int net_http_etag_matches(struct net_http *h, const char *etag)
{
    char buf[1024];
    if (net_http_header(h, WSI_TOKEN_HTTP_IF_NONE_MATCH, buf, sizeof buf) <= 0)
        return 0;
    if (!strcmp(buf, "*"))
        return 1;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        t += strspn(t, " ");
        size_t n = strlen(t);
        while (n && t[n - 1] == ' ')
            t[--n] = '\0';
        if (!strcmp(t, etag))
            return 1;
    }
    return 0;
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

void net_http_observe(struct net_http *h, struct histo *latency)
{
    h->latency = latency;
}

/* The transaction is over (sent or the client left): lws forgets h. */
void net_http_detach(struct pss *pss)
{
    struct net_http *h = pss->http;
    if (!h)
        return;
    pss->http = NULL;
    if (h->latency)
        histo_add(h->latency, &histo_latency, uv_hrtime() - h->start_ns);
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
int net_http_on_writeable(struct net_http *h)
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
int net_http_finish(struct pss *pss, struct lws *wsi)
{
    int close_after = pss->http && pss->http->close_after;
    net_http_detach(pss);
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

/* Whether the request announces a body (Content-Length above 0, or chunked). */
static int request_has_body(struct lws *wsi)
{
    char cl[24];
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0)
        return 1;
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
    if (n <= 0)
        return 0;
    if (n >= (int)sizeof cl || lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) != n)
        return 1;
    return strspn(cl, "0") != (size_t)n; /* "0", "00": no body */
}

static void respond_plain(struct net_http *h, int status, const char *text)
{
    net_http_respond(h, status, NET_TEXT_TYPE, xstrdup(text), strlen(text));
}

/* One HTTP request, from lws's LWS_CALLBACK_HTTP: the checks every route shares (the
 * limits, the method), then the application's on_http for GET and HEAD. */
int net_http_on_request(struct net *n, struct pss *pss, struct lws *wsi, const char *path,
                        size_t path_len)
{
    n->stats.http_requests++;
    net_http_detach(pss);
    struct net_http *h = pss->http = xcalloc(1, sizeof *h);
    h->net = n;
    h->wsi = wsi;
    h->refs = 1;
    h->start_ns = uv_hrtime();
    h->head = lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0;
    h->has_body = request_has_body(wsi);
    h->close_after = h->has_body || body_forces_close(wsi);
    if (request_url_bytes(wsi, path_len) > NET_HTTP_MAX_URL) {
        h->close_after = 1;
        respond_plain(h, 414, "URI too long\n");
    } else if (request_header_bytes(wsi) > NET_HTTP_MAX_HEADER_BYTES) {
        h->close_after = 1;
        respond_plain(h, 431, "request header fields too large\n");
    } else if (h->has_body && (h->head || lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0)) {
        /* GET and HEAD have no body here (RFC 9110 §9.3.1: no defined meaning). Such a
         * request is answered at once and the connection closed: its route may take
         * time (a render, a snapshot), and lws 4.1 spins on a pipelined body that never
         * comes once the peer has shut its side
         * (tests/fuzz/corpus/http/regress-pipelined-body-eof.http). */
        respond_plain(h, 400, "a GET or HEAD request has no body\n");
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
        return net_http_finish(pss, wsi);
    if (h->has_body && h->body) {
        /* A request that carried a body (a 400 or a 405): its whole answer now, then
         * close, without handing the connection back to lws to skip the body. */
        int rc = net_http_on_writeable(h);
        if (rc)
            return rc < 0 ? -1 : net_http_finish(pss, wsi);
    }
    lws_callback_on_writable(wsi);
    return 0;
}


/* A CONNECT request: lws 4.1.6 turns it into a raw socket bound to protocols[0]
 * (lws_http_to_fallback, roles/http/server/server.c), with no timeout. Answer it as
 * any other method, then close (returns -1 for the callback). */
int net_http_on_connect(struct net *n, struct lws *wsi)
{
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
