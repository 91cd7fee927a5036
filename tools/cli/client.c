/* Implementation of client.h: plain blocking sockets for HTTP, wsclient for the
 * WebSocket. Every wait is bounded by CLI_TIMEOUT_MS of silence. */
#include "client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"
#include "wsclient.h"

/* Longest silence of the server before a request gives up. */
#define CLI_TIMEOUT_MS 120000

int cli_server_parse(const char *url, struct cli_server *s, char *err, size_t errlen)
{
    const char *p = url;
    if (!strncmp(p, "http://", 7))
        p += 7;
    else if (!strncmp(p, "ws://", 5))
        p += 5;
    else if (strstr(p, "://")) {
        snprintf(err, errlen, "%s: only http:// URLs are supported", url);
        return -1;
    }
    char host[256];
    const char *colon = strrchr(p, ':');
    size_t hlen = colon ? (size_t)(colon - p) : strcspn(p, "/");
    if (!hlen || hlen >= sizeof host) {
        snprintf(err, errlen, "%s: no host", url);
        return -1;
    }
    memcpy(host, p, hlen);
    host[hlen] = '\0';
    s->port = 80;
    if (colon) {
        char *end;
        long port = strtol(colon + 1, &end, 10);
        if (port < 1 || port > 65535 || (*end && strcmp(end, "/"))) {
            snprintf(err, errlen, "%s: bad port", url);
            return -1;
        }
        s->port = (int)port;
    }
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *ai;
    int rc = getaddrinfo(host, NULL, &hints, &ai);
    if (rc) {
        snprintf(err, errlen, "%s: %s", host, gai_strerror(rc));
        return -1;
    }
    inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, s->host,
              sizeof s->host);
    freeaddrinfo(ai);
    return 0;
}

/* ---- HTTP ---- */

struct conn {
    int fd;
    uint8_t buf[64 * 1024];
    size_t off, len; /* unread bytes: buf[off..len) */
};

/* Reads more into c->buf (after compacting). Returns bytes read, 0 at EOF, -1. */
static long conn_fill(struct conn *c, char *err, size_t errlen)
{
    if (c->off) {
        memmove(c->buf, c->buf + c->off, c->len - c->off);
        c->len -= c->off;
        c->off = 0;
    }
    if (c->len == sizeof c->buf) {
        snprintf(err, errlen, "response line too long");
        return -1;
    }
    struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
    int prc = poll(&pfd, 1, CLI_TIMEOUT_MS);
    if (prc <= 0) {
        snprintf(err, errlen, "no answer from the server for %d s", CLI_TIMEOUT_MS / 1000);
        return -1;
    }
    ssize_t n = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
    if (n < 0) {
        snprintf(err, errlen, "read: %s", strerror(errno));
        return -1;
    }
    c->len += (size_t)n;
    return n;
}

/* A line ending in CRLF (copied into out without it). 0 or -1. */
static int conn_line(struct conn *c, char *out, size_t cap, char *err, size_t errlen)
{
    for (;;) {
        uint8_t *nl = memchr(c->buf + c->off, '\n', c->len - c->off);
        if (nl) {
            size_t n = (size_t)(nl - (c->buf + c->off));
            if (n && c->buf[c->off + n - 1] == '\r')
                n--;
            if (n >= cap) {
                snprintf(err, errlen, "response line too long");
                return -1;
            }
            memcpy(out, c->buf + c->off, n);
            out[n] = '\0';
            c->off = (size_t)(nl - c->buf) + 1;
            return 0;
        }
        long got = conn_fill(c, err, errlen);
        if (got <= 0) {
            if (!got)
                snprintf(err, errlen, "the server closed the connection mid-response");
            return -1;
        }
    }
}

/* Passes up to want bytes (all when want < 0, until EOF) to sink. Returns the count
 * passed, or -1. */
static long long conn_pass(struct conn *c, long long want, cli_sink_fn sink, void *user,
                           char *err, size_t errlen)
{
    long long done = 0;
    while (want < 0 || done < want) {
        if (c->off == c->len) {
            c->off = c->len = 0;
            long got = conn_fill(c, err, errlen);
            if (got < 0)
                return -1;
            if (got == 0) {
                if (want < 0)
                    return done;
                snprintf(err, errlen, "the body ended after %lld of %lld bytes", done, want);
                return -1;
            }
        }
        size_t n = c->len - c->off;
        if (want >= 0 && (long long)n > want - done)
            n = (size_t)(want - done);
        if (sink(user, c->buf + c->off, n)) {
            if (!err[0])
                snprintf(err, errlen, "stopped reading the body");
            return -1;
        }
        c->off += n;
        done += (long long)n;
    }
    return done;
}

int cli_http_header(const struct cli_http_resp *r, const char *name, char *out, size_t len)
{
    size_t n = strlen(name);
    for (const char *p = strchr(r->head, '\n'); p; p = strchr(p, '\n')) {
        p++;
        if (!strncasecmp(p, name, n) && p[n] == ':') {
            const char *v = p + n + 1;
            v += strspn(v, " \t");
            size_t vlen = strcspn(v, "\r\n");
            if (vlen >= len)
                return -1;
            memcpy(out, v, vlen);
            out[vlen] = '\0';
            return 0;
        }
    }
    return -1;
}

int cli_http_get(const struct cli_server *s, const char *path, const char *token,
                 struct cli_http_resp *resp, cli_sink_fn sink, void *user, char *err,
                 size_t errlen)
{
    err[0] = '\0';
    struct conn *c = xcalloc(1, sizeof *c);
    int rc = -1;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
    inet_pton(AF_INET, s->host, &sa.sin_addr);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof sa)) {
        snprintf(err, errlen, "cannot connect to %s:%d: %s", s->host, s->port, strerror(errno));
        goto out;
    }
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n%s%s%s\r\n", path,
                     s->host, s->port, token ? "Authorization: Bearer " : "",
                     token ? token : "", token ? "\r\n" : "");
    if (n >= (int)sizeof req || write(c->fd, req, (size_t)n) != n) {
        snprintf(err, errlen, "cannot send the request");
        goto out;
    }
    /* The head: status line and headers up to the empty line. */
    size_t hl = 0;
    resp->head[0] = '\0';
    resp->length = -1;
    int chunked = 0;
    for (;;) {
        char line[4096];
        if (conn_line(c, line, sizeof line, err, errlen))
            goto out;
        if (!line[0])
            break;
        size_t ll = strlen(line);
        if (hl + ll + 2 >= sizeof resp->head) {
            snprintf(err, errlen, "response head too long");
            goto out;
        }
        memcpy(resp->head + hl, line, ll);
        memcpy(resp->head + hl + ll, "\n", 2);
        hl += ll + 1;
    }
    if (sscanf(resp->head, "HTTP/1.%*d %d", &resp->status) != 1) {
        snprintf(err, errlen, "not an HTTP response");
        goto out;
    }
    char v[64];
    if (!cli_http_header(resp, "content-length", v, sizeof v))
        resp->length = strtoll(v, NULL, 10);
    if (!cli_http_header(resp, "transfer-encoding", v, sizeof v) && !strcasecmp(v, "chunked"))
        chunked = 1;
    if (!chunked) {
        rc = conn_pass(c, resp->length, sink, user, err, errlen) < 0 ? -1 : 0;
        goto out;
    }
    for (;;) {
        char line[128];
        if (conn_line(c, line, sizeof line, err, errlen))
            goto out;
        char *end;
        long long size = strtoll(line, &end, 16);
        if (end == line || size < 0) {
            snprintf(err, errlen, "bad chunk size '%s'", line);
            goto out;
        }
        if (size == 0)
            break;
        if (conn_pass(c, size, sink, user, err, errlen) < 0 ||
            conn_line(c, line, sizeof line, err, errlen))
            goto out;
    }
    rc = 0;
out:
    if (c->fd >= 0)
        close(c->fd);
    free(c);
    return rc;
}

/* ---- WebSocket requests ---- */

struct cli_rpc {
    struct wsc *w;
    struct wsc_conn *c;
    int open, closed;
    char why[200];
    long long next_id;
    long long want;  /* the id awaited */
    json_t *reply;   /* its reply once here */
};

static void rpc_open(struct wsc_conn *c, void *user)
{
    (void)c;
    ((struct cli_rpc *)user)->open = 1;
}

static void rpc_message(struct wsc_conn *c, int binary, const uint8_t *data, size_t len,
                        void *user)
{
    (void)c;
    struct cli_rpc *r = user;
    if (binary)
        return;
    json_error_t e;
    json_t *m = json_loadb((const char *)data, len, 0, &e);
    json_t *id = json_object_get(m, "id");
    if (json_is_integer(id) && json_integer_value(id) == r->want && !r->reply)
        r->reply = m;
    else
        json_decref(m); /* events and strays */
}

static void rpc_close(struct wsc_conn *c, int code, const char *why, void *user)
{
    (void)c;
    struct cli_rpc *r = user;
    r->closed = 1;
    r->c = NULL;
    snprintf(r->why, sizeof r->why, "connection closed (%s)",
             why ? why : code ? "by the server" : "?");
}

/* Runs the client until done(r) or the connection closed or went silent. */
static int rpc_wait(struct cli_rpc *r, int (*done)(const struct cli_rpc *))
{
    uint64_t idle_since = wsc_now_ns();
    while (!done(r) && !r->closed) {
        int n = wsc_run(r->w, 100);
        if (n > 0)
            idle_since = wsc_now_ns();
        else if (wsc_now_ns() - idle_since > (uint64_t)CLI_TIMEOUT_MS * 1000000) {
            snprintf(r->why, sizeof r->why, "no answer from the server for %d s",
                     CLI_TIMEOUT_MS / 1000);
            return -1;
        }
    }
    return done(r) ? 0 : -1;
}

static int is_open(const struct cli_rpc *r)
{
    return r->open;
}

static int has_reply(const struct cli_rpc *r)
{
    return r->reply != NULL;
}

int cli_rpc_open(struct cli_rpc **out, const struct cli_server *s, char *err, size_t errlen)
{
    struct cli_rpc *r = xcalloc(1, sizeof *r);
    struct wsc_config cfg = {.host = s->host, .port = s->port, .path = "/ws",
                             .protocol = "cocreate.v1"};
    struct wsc_handlers h = {.user = r, .on_open = rpc_open, .on_message = rpc_message,
                             .on_close = rpc_close};
    if (wsc_new(&r->w, &cfg, &h) || !(r->c = wsc_connect(r->w, r)) ||
        rpc_wait(r, is_open)) {
        snprintf(err, errlen, "cannot open a WebSocket to %s:%d: %s", s->host, s->port,
                 r->why[0] ? r->why : strerror(errno));
        cli_rpc_close(r);
        return -1;
    }
    *out = r;
    return 0;
}

json_t *cli_rpc_call(struct cli_rpc *r, const char *op, json_t *args, char *err,
                     size_t errlen)
{
    json_t *msg = args ? args : json_object();
    r->want = ++r->next_id;
    json_object_set_new(msg, "id", json_integer(r->want));
    json_object_set_new(msg, "op", json_string(op));
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (!r->c || wsc_send_text(r->c, text, strlen(text)) || rpc_wait(r, has_reply)) {
        free(text);
        snprintf(err, errlen, "%s: %s", op, r->why[0] ? r->why : "cannot send");
        return NULL;
    }
    free(text);
    json_t *reply = r->reply, *res = NULL;
    r->reply = NULL;
    if (json_is_true(json_object_get(reply, "ok"))) {
        res = json_incref(json_object_get(reply, "result"));
    } else {
        json_t *e = json_object_get(reply, "error");
        const char *code = json_string_value(json_object_get(e, "code"));
        const char *message = json_string_value(json_object_get(e, "message"));
        snprintf(err, errlen, "%s: %s: %s", op, code ? code : "no reply",
                 message ? message : "");
    }
    json_decref(reply);
    return res;
}

void cli_rpc_close(struct cli_rpc *r)
{
    if (!r)
        return;
    wsc_free(r->w);
    json_decref(r->reply);
    free(r);
}
