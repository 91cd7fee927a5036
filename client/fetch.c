/* HTTP GETs on the connection's server (thumbnails, renders, originals, any route):
 * an lws client HTTP wsi per fetch in the connection's context, so https:// uses the
 * same TLS settings as wss://. The body is kept in memory (up to CC_MAX_BODY) or
 * handed to the caller's sink as it arrives. */
#include "client_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes read from lws per RECEIVE_CLIENT_HTTP. */
#define FETCH_READ 4096

struct cl_fetch {
    int tag; /* CL_TAG_FETCH */
    struct cc_conn *c;
    struct cl_fetch *next;
    struct lws *wsi;
    cc_body_fn cb;
    void *user;
    cc_sink_fn sink;
    void *sink_user;
    const char *const *want; /* header names to keep (the caller's) */
    struct cc_body body;
    size_t cap;
    int stopped; /* the sink said stop, or the body passed CC_MAX_BODY */
    uint64_t deadline; /* uv_now() ms: nothing came for the timeout by then */
    struct cc_error err;
};

/* Unlinks f from its connection, tells its caller and frees it. */
static void finish(struct cl_fetch *f, const struct cc_error *err)
{
    struct cc_conn *c = f->c;
    struct cl_fetch **pp = &c->fetches;
    while (*pp && *pp != f)
        pp = &(*pp)->next;
    if (*pp)
        *pp = f->next;
    if (f->wsi)
        lws_set_opaque_user_data(f->wsi, NULL);
    f->cb(c, &f->body, err, f->user);
    free(f->body.data);
    json_decref(f->body.headers);
    cc_error_clear(&f->err);
    free(f);
}

static void append(struct cl_fetch *f, const void *in, size_t len)
{
    if (f->stopped)
        return;
    if (f->sink) {
        if (f->sink(&f->body, in, len, f->sink_user)) {
            f->stopped = 1;
            cl_error(&f->err, CC_ERR_USAGE, "stopped by the sink");
        }
        return;
    }
    if (f->body.len + len > CC_MAX_BODY) {
        f->stopped = 1;
        cl_error(&f->err, CC_ERR_PROTOCOL, "a response body past %u bytes (use a sink)",
                 CC_MAX_BODY);
        return;
    }
    if (f->body.len + len + 1 > f->cap) {
        size_t cap = f->cap ? f->cap : 4096;
        while (cap < f->body.len + len + 1)
            cap *= 2;
        unsigned char *p = realloc(f->body.data, cap);
        if (!p)
            abort();
        f->body.data = p;
        f->cap = cap;
    }
    memcpy(f->body.data + f->body.len, in, len);
    f->body.len += len;
    f->body.data[f->body.len] = '\0';
}

/* The value of response header name (lowercase) into buf: lws parses the headers it
 * knows into tokens and keeps the others by name. Returns its length or -1. */
static int header(struct lws *wsi, const char *name, char *buf, int len)
{
    char key[64];
    int n = snprintf(key, sizeof key, "%s:", name);
    if (n <= 1 || n >= (int)sizeof key)
        return -1;
    for (int t = 0; t < WSI_TOKEN_COUNT; t++) {
        const unsigned char *ts = lws_token_to_string((enum lws_token_indexes)t);
        if (ts && !strcmp((const char *)ts, key))
            return lws_hdr_copy(wsi, buf, len, (enum lws_token_indexes)t);
    }
    return lws_hdr_custom_copy(wsi, buf, len, key, n);
}

/* The headers the caller asked for, from the response's header table. */
static void keep_headers(struct cl_fetch *f, struct lws *wsi)
{
    char v[1024];
    if (!f->want)
        return;
    f->body.headers = json_object();
    for (const char *const *h = f->want; *h; h++)
        if (header(wsi, *h, v, sizeof v) >= 0)
            json_object_set_new(f->body.headers, *h, json_string(v)); /* NULL: not UTF-8 */
}

/* The response is whole: its outcome by status. */
static void complete(struct cl_fetch *f)
{
    struct cc_error e = {0};
    if (f->err.kind) {
        cl_error_copy(&e, &f->err);
    } else if (f->body.status != 200) {
        cl_error(&e, CC_ERR_HTTP, "HTTP %d%s%.*s", f->body.status, f->body.len ? ": " : "",
                 f->body.data ? (int)strcspn((const char *)f->body.data, "\r\n") : 0,
                 f->body.data ? (const char *)f->body.data : "");
        e.http_status = f->body.status;
    }
    if (!f->body.data && !f->sink) { /* an empty body is "" */
        f->body.data = calloc(1, 1);
        if (!f->body.data)
            abort();
    }
    finish(f, &e);
    cc_error_clear(&e);
}

int cl_fetch_callback(struct lws *wsi, enum lws_callback_reasons reason, struct cl_fetch *f,
                      void *in, size_t len)
{
    struct cc_error e = {0};
    struct cc_conn *c = f->c;
    int rc = 0;
    c->depth++;
    f->deadline = uv_now(c->loop) + (uint64_t)c->timeout_ms; /* it is alive */
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
        unsigned char **p = in, *end = *p + len;
        char auth[200];
        if (c->token[0]) {
            int n = snprintf(auth, sizeof auth, "Bearer %s", c->token);
            if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
                                             (unsigned char *)auth, n, p, end))
                rc = -1;
        }
        break;
    }
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
        f->body.status = (int)lws_http_client_http_response(wsi);
        if (lws_hdr_copy(wsi, f->body.content_type, sizeof f->body.content_type,
                         WSI_TOKEN_HTTP_CONTENT_TYPE) < 0)
            f->body.content_type[0] = '\0';
        keep_headers(f, wsi);
        break;
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
        char buf[LWS_PRE + FETCH_READ], *px = buf + LWS_PRE;
        int n = FETCH_READ;
        rc = lws_http_client_read(wsi, &px, &n) < 0 ? -1 : 0;
        break;
    }
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
        append(f, in, len);
        rc = f->stopped ? -1 : 0;
        if (rc) {
            f->wsi = wsi;
            complete(f); /* with f->err */
        }
        break;
    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
        f->wsi = wsi;
        complete(f);
        rc = -1; /* one request per connection: close it now */
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        cl_error(&e, CC_ERR_CONNECT, "cannot fetch from %s:%d: %.*s", c->host, c->port,
                 in ? (int)len : 6, in ? (const char *)in : "failed");
        f->wsi = wsi; /* finish unhooks f from it: lws may call back once more for it */
        finish(f, &e);
        break;
    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
        cl_error(&e, CC_ERR_CLOSED, "the connection closed before the whole response");
        e.close_code = 1006;
        f->wsi = wsi; /* as above: the wsi's last callbacks must not find the freed f */
        finish(f, &e);
        break;
    default:
        break;
    }
    cc_error_clear(&e);
    c->depth--;
    return rc;
}

uint64_t cl_fetch_deadline(const struct cc_conn *c)
{
    uint64_t when = 0;
    for (const struct cl_fetch *f = c->fetches; f; f = f->next)
        if (!when || f->deadline < when)
            when = f->deadline;
    return when;
}

void cl_fetch_expire(struct cc_conn *c, uint64_t now)
{
    struct cl_fetch *f = c->fetches, *next;
    for (; f; f = next) {
        next = f->next;
        if (f->deadline > now)
            continue;
        struct cc_error e = {0};
        cl_error(&e, CC_ERR_TIMEOUT, "no HTTP response within %d ms", c->timeout_ms);
        if (f->wsi) /* lws closes it on its next turn (we are in no callback of it) */
            lws_set_timeout(f->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        finish(f, &e);
        cc_error_clear(&e);
        next = c->fetches; /* the callback may have started or ended fetches */
    }
}

void cl_fetch_abort_all(struct cc_conn *c, const struct cc_error *err)
{
    while (c->fetches)
        finish(c->fetches, err);
}

/* The blocking form's completion: the body moves into the caller's struct. */
struct fetch_waiter {
    struct cc_fetch *out;
    int done;
};

static void fetch_done(struct cc_conn *c, const struct cc_body *body,
                       const struct cc_error *err, void *user)
{
    (void)c;
    struct fetch_waiter *w = user;
    w->out->body = *body;
    ((struct cc_body *)body)->data = NULL; /* now the caller's */
    ((struct cc_body *)body)->headers = NULL;
    cl_error_copy(&w->out->error, err);
    w->done = 1;
}

void cc_fetch_clear(struct cc_fetch *f)
{
    if (!f)
        return;
    free(f->body.data);
    json_decref(f->body.headers);
    memset(&f->body, 0, sizeof f->body);
    cc_error_clear(&f->error);
}

int cc_fetch(struct cc_conn *c, const char *path, struct cc_fetch *f)
{
    if (!c || !f)
        return CC_ERR_USAGE;
    memset(&f->body, 0, sizeof f->body);
    memset(&f->error, 0, sizeof f->error);
    if (!f->cb && cl_refuse_blocking(c, &f->error))
        return CC_ERR_USAGE;
    if (!path || path[0] != '/') {
        cl_error(&f->error, CC_ERR_USAGE, "a path starts with /");
        return CC_ERR_USAGE;
    }
    if (c->close_asked || !c->ctx) {
        cl_error(&f->error, CC_ERR_USAGE, "the connection was closed by cc_close");
        return CC_ERR_USAGE;
    }
    struct fetch_waiter w = {f, 0};
    struct cl_fetch *x = calloc(1, sizeof *x);
    if (!x)
        abort();
    x->tag = CL_TAG_FETCH;
    x->c = c;
    x->cb = f->cb ? f->cb : fetch_done;
    x->user = f->cb ? f->user : &w;
    x->sink = f->sink;
    x->sink_user = f->sink_user;
    x->want = f->headers;
    x->next = c->fetches;
    c->fetches = x;
    x->deadline = cl_now(c) + (uint64_t)c->timeout_ms;

    struct lws_client_connect_info ci;
    cl_connect_info(c, &ci, path, x, &x->wsi);
    ci.method = "GET";
    ci.alpn = "http/1.1";
    ci.local_protocol_name = "cc-http";
    c->depth++;
    cl_fd_lock();
    struct lws *wsi = lws_client_connect_via_info(&ci);
    cl_fd_unlock();
    c->depth--;
    if (!wsi) {
        /* lws may have reported the failure already (then x is gone) */
        struct cl_fetch *y = c->fetches;
        while (y && y != x)
            y = y->next;
        if (y) {
            struct cc_error e = {0};
            cl_error(&e, CC_ERR_CONNECT, "cannot fetch from %s:%d", c->host, c->port);
            finish(x, &e);
            cc_error_clear(&e);
        }
    }
    cl_arm_timer(c);
    if (f->cb)
        return 0;
    cl_wait(c, &w.done);
    cl_after_wait(c);
    return f->error.kind;
}

/* GET prefix<design>suffix. */
static int fetch_design(struct cc_conn *c, const char *prefix, const char *design,
                        const char *suffix, struct cc_fetch *f)
{
    char path[256];
    if (!design || strlen(design) > 64 || strspn(design, "0123456789") != strlen(design) ||
        !design[0]) {
        if (f) {
            memset(&f->body, 0, sizeof f->body);
            memset(&f->error, 0, sizeof f->error);
            cl_error(&f->error, CC_ERR_USAGE, "not a design id: %s", design ? design : "(null)");
        }
        return CC_ERR_USAGE;
    }
    snprintf(path, sizeof path, "%s%s%s", prefix, design, suffix);
    return cc_fetch(c, path, f);
}

int cc_fetch_thumb(struct cc_conn *c, const char *design, struct cc_fetch *f)
{
    return fetch_design(c, "/t/", design, ".png", f);
}

int cc_fetch_render(struct cc_conn *c, const char *design, struct cc_fetch *f)
{
    return fetch_design(c, "/r/", design, ".png", f);
}

int cc_fetch_original(struct cc_conn *c, const char *design, struct cc_fetch *f)
{
    return fetch_design(c, "/d/", design, "", f);
}
