/* libcocreate's connection: one libwebsockets client context per connection on a libuv
 * loop (the caller's, or a private one for the blocking form), the WebSocket to the
 * server, its send queue, requests matched to replies by id, deadlines, and teardown.
 *
 * Teardown of an lws 4.1 context on a loop that may keep running (the caller's) is
 * done in steps from our own timer, never from inside an lws callback: the first
 * lws_context_destroy closes every wsi; once lws's own static handles (the ones whose
 * data is the context: its idle and timer) are gone from the loop, a second destroy
 * frees the context (lws does not do that step by itself on a foreign loop, upstream
 * issue #2595; destroying twice at once frees handles libuv still holds). */
#include "client_int.h"

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

/* Teardown: how often the step timer looks whether lws's handles are gone (ms). */
#define TEARDOWN_POLL_MS 2
/* cc_close of an open connection waits this long at most for the server's close frame
 * (RFC 6455's closing handshake) before the socket goes. */
#define CLOSE_HANDSHAKE_MS 1000
/* The most file descriptor numbers one context can hold (lws 4.1 keeps a table of them
 * per context: pollfds and wsi pointers, 16 bytes each). */
#define FD_LIMIT_MAX 65536

/* ---- logging: mirrors lws's process-wide log ---- */

static cc_log_fn log_fn;
static void *log_user;
static int log_set;
static pthread_once_t log_once = PTHREAD_ONCE_INIT;

static void log_emit(int level, const char *line)
{
    if (log_fn)
        log_fn(level, line, log_user);
}

void cc_set_log(cc_log_fn fn, void *user, int mask)
{
    log_fn = fn;
    log_user = user;
    log_set = 1;
    lws_set_log_level(fn ? mask : 0, log_emit);
}

/* The library prints nothing unless asked: lws logs to stderr by default. */
static void log_default(void)
{
    if (!log_set)
        lws_set_log_level(0, log_emit);
}

/* ---- the cancel pipe's second close ----
 * lws 4.1's libuv event lib closes a context's cancel pipe (an eventfd) twice when the
 * context is destroyed: at once, inside lws_context_destroy, and again when the pipe's
 * uv handle has closed, a loop iteration later (fixed upstream in 2026: "pipe-close-vs-
 * fd-reuse-and-fdsan"; Debian 12 ships 4.1.6). A thread that made a descriptor in
 * between was handed that number, and the second close closed its file: another
 * connection's socket, say, which lws then found already in its table (an assertion,
 * SIGABRT). So the number is taken back the moment the first close has returned, by a
 * placeholder that the second close then closes. The library makes every descriptor of
 * its own under fd_mutex, which is held across that first close and the taking back,
 * so none of its threads can be handed the number in between; docs/client.md says
 * what is left for the application's own threads. */

static pthread_mutex_t fd_mutex;
static pthread_once_t fd_once = PTHREAD_ONCE_INIT;

static void fd_mutex_init(void)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    /* recursive: lws calls us back from inside a connect or a destroy */
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&fd_mutex, &a);
    pthread_mutexattr_destroy(&a);
}

void cl_fd_lock(void)
{
    pthread_once(&fd_once, fd_mutex_init);
    pthread_mutex_lock(&fd_mutex);
}

void cl_fd_unlock(void)
{
    pthread_mutex_unlock(&fd_mutex);
}

/* The poll handles on a loop, sorted, to tell which one lws_create_context added. */
struct polls {
    uv_handle_t **h;
    size_t n, cap;
};

static void collect_poll(uv_handle_t *h, void *arg)
{
    struct polls *p = arg;
    if (h->type != UV_POLL || uv_is_closing(h))
        return;
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 16;
        if (!(p->h = realloc(p->h, p->cap * sizeof *p->h)))
            abort();
    }
    p->h[p->n++] = h;
}

static int cmp_handle(const void *a, const void *b)
{
    const uv_handle_t *x = *(uv_handle_t *const *)a, *y = *(uv_handle_t *const *)b;
    return ((uintptr_t)x > (uintptr_t)y) - ((uintptr_t)x < (uintptr_t)y);
}

/* The descriptor of the one eventfd poll handle on the loop that is not in before, or -1
 * when there is not exactly one (then the workaround stands aside). */
static int find_cancel_pipe(uv_loop_t *loop, struct polls *before)
{
    struct polls after = {0};
    int fd = -1, found = 0;
    if (before->n)
        qsort(before->h, before->n, sizeof *before->h, cmp_handle);
    uv_walk(loop, collect_poll, &after);
    for (size_t i = 0; i < after.n; i++) {
        if (before->n && bsearch(&after.h[i], before->h, before->n, sizeof *before->h,
                                 cmp_handle))
            continue;
        uv_os_fd_t f = -1;
        char link[64], path[32];
        if (uv_fileno(after.h[i], &f))
            continue;
        snprintf(path, sizeof path, "/proc/self/fd/%d", f);
        ssize_t n = readlink(path, link, sizeof link - 1);
        if (n <= 0)
            continue;
        link[n] = 0;
        if (strcmp(link, "anon_inode:[eventfd]"))
            continue;
        fd = f;
        found++;
    }
    free(after.h);
    return found == 1 ? fd : -1;
}

/* After a destroy step: once lws has closed the cancel pipe, its number is taken back by
 * a placeholder of our own (a pipe's end: its inode tells it apart later). */
static void hold_cancel_pipe(struct cc_conn *c)
{
    if (c->pipe_fd < 0 || c->pipe_held)
        return;
    if (fcntl(c->pipe_fd, F_GETFD) != -1 || errno != EBADF)
        return; /* not closed yet */
    int p[2];
    if (pipe(p))
        return;
    /* the lowest free number is usually that one: then the pipe's end is the
     * placeholder; else a duplicate is made at it */
    int h;
    if (p[0] == c->pipe_fd || p[1] == c->pipe_fd)
        h = fcntl(c->pipe_fd, F_SETFD, FD_CLOEXEC) ? -1 : c->pipe_fd;
    else
        h = fcntl(p[0], F_DUPFD_CLOEXEC, c->pipe_fd);
    struct stat st;
    if (h == c->pipe_fd && !fstat(h, &st)) {
        c->pipe_held = 1;
        c->hold_ino = (unsigned long)st.st_ino;
        c->hold_dev = (unsigned long)st.st_dev;
    } else if (h >= 0) {
        close(h); /* someone else has the number now: nothing left to protect */
    }
    if (p[0] != c->pipe_fd)
        close(p[0]);
    if (p[1] != c->pipe_fd)
        close(p[1]);
}

/* When the context is gone: lws's second close closed the placeholder. Should a lws
 * that no longer closes twice have left it open, it is ours to close. */
static void release_cancel_pipe(struct cc_conn *c)
{
    struct stat st;
    if (c->pipe_held && !fstat(c->pipe_fd, &st) &&
        (unsigned long)st.st_ino == c->hold_ino && (unsigned long)st.st_dev == c->hold_dev)
        close(c->pipe_fd);
    c->pipe_held = 0;
    c->pipe_fd = -1;
}

/* ---- errors ---- */

static const char *const kind_names[] = {
    [CC_OK] = "ok",           [CC_ERR_SERVER] = "server",     [CC_ERR_CONNECT] = "connect",
    [CC_ERR_CLOSED] = "closed", [CC_ERR_TIMEOUT] = "timeout", [CC_ERR_PROTOCOL] = "protocol",
    [CC_ERR_HTTP] = "http",   [CC_ERR_IO] = "io",             [CC_ERR_USAGE] = "usage",
};

const char *cc_error_kind_name(enum cc_error_kind kind)
{
    if ((unsigned)kind >= sizeof kind_names / sizeof kind_names[0])
        return "unknown";
    return kind_names[kind];
}

void cc_error_clear(struct cc_error *e)
{
    if (!e)
        return;
    json_decref(e->detail);
    memset(e, 0, sizeof *e);
}

void cl_error(struct cc_error *e, enum cc_error_kind kind, const char *fmt, ...)
{
    json_decref(e->detail);
    memset(e, 0, sizeof *e);
    e->kind = kind;
    snprintf(e->code, sizeof e->code, "%s", cc_error_kind_name(kind));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

void cl_error_copy(struct cc_error *dst, const struct cc_error *src)
{
    *dst = *src;
    json_incref(dst->detail);
}

void cc_call_clear(struct cc_call *call)
{
    if (!call)
        return;
    json_decref(call->result);
    call->result = NULL;
    cc_error_clear(&call->error);
}

/* ---- requests ---- */

static void pending_unlink(struct cc_conn *c, struct cl_pending *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        c->pend_head = p->next;
    if (p->next)
        p->next->prev = p->prev;
    else
        c->pend_tail = p->prev;
}

void cl_want_write(struct cc_conn *c)
{
    if (c->state == CL_OPEN && c->wsi)
        lws_callback_on_writable(c->wsi);
}

static void enqueue(struct cc_conn *c, const void *data, size_t len, int binary)
{
    struct cl_out *m = malloc(sizeof *m + LWS_PRE + len);
    if (!m)
        abort(); /* out of memory on a small allocation */
    m->next = NULL;
    m->len = len;
    m->binary = binary;
    memcpy(m->buf + LWS_PRE, data, len);
    *c->out_tail = m;
    c->out_tail = &m->next;
    cl_want_write(c);
}

void cl_send_binary(struct cc_conn *c, const void *data, size_t len)
{
    enqueue(c, data, len, 1);
}

int cl_send_request(struct cc_conn *c, const char *op, json_t *args, cc_reply_fn cb, void *user,
                    struct cc_error *err)
{
    if (c->close_asked || c->state == CL_CLOSED) {
        json_decref(args);
        if (c->close_asked)
            cl_error(err, CC_ERR_USAGE, "the connection was closed by cc_close");
        else
            cl_error_copy(err, &c->why);
        return err->kind;
    }
    if (!op || (args && !json_is_object(args))) {
        json_decref(args);
        cl_error(err, CC_ERR_USAGE, "%s", op ? "the arguments must be a JSON object"
                                             : "no op given");
        return CC_ERR_USAGE;
    }
    json_t *msg = args ? args : json_object();
    long long id = ++c->next_id;
    json_object_set_new(msg, "id", json_integer(id));
    json_object_set_new(msg, "op", json_string(op));
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (!text) {
        cl_error(err, CC_ERR_USAGE, "%s: the arguments cannot be written as JSON", op);
        return CC_ERR_USAGE;
    }
    struct cl_pending *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    p->id = id;
    p->cb = cb;
    p->user = user;
    p->deadline = cl_now(c) + (uint64_t)c->timeout_ms;
    p->prev = c->pend_tail;
    if (c->pend_tail)
        c->pend_tail->next = p;
    else
        c->pend_head = p;
    c->pend_tail = p;
    enqueue(c, text, strlen(text), 0);
    free(text);
    cl_arm_timer(c);
    return 0;
}

int cc_request(struct cc_conn *c, const char *op, json_t *args, struct cc_call *call)
{
    struct cl_waiter w;
    cc_reply_fn cb;
    void *user;
    if (!c || !call) {
        json_decref(args);
        return CC_ERR_USAGE;
    }
    if (cl_call_begin(c, call, &w, &cb, &user)) {
        json_decref(args);
        return CC_ERR_USAGE;
    }
    return cl_call_end(c, call, &w, cl_send_request(c, op, args, cb, user, &call->error));
}

/* The string member key of o, or def. */
static const char *str_or(json_t *o, const char *key, const char *def)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : def;
}

/* The server's error object e as err (detail borrowed from e). */
static void server_error(struct cc_error *err, json_t *e)
{
    memset(err, 0, sizeof *err);
    err->kind = CC_ERR_SERVER;
    snprintf(err->code, sizeof err->code, "%s", str_or(e, "code", "internal"));
    snprintf(err->message, sizeof err->message, "%s", str_or(e, "message", ""));
    err->detail = json_object_get(e, "detail");
    if (!json_is_object(err->detail))
        err->detail = NULL;
}

/* Completes p with the reply m (p is off the list already). */
static void complete(struct cc_conn *c, struct cl_pending *p, json_t *m)
{
    struct cc_error err = {0};
    json_t *result = NULL;
    if (json_is_true(json_object_get(m, "ok"))) {
        if (!json_is_object(json_object_get(m, "result")))
            json_object_set_new(m, "result", json_object());
        result = json_object_get(m, "result");
    } else {
        server_error(&err, json_object_get(m, "error"));
    }
    p->cb(c, result, &err, p->user);
    free(p);
}

/* Fails every pending request with err. */
static void fail_pending(struct cc_conn *c, const struct cc_error *err)
{
    struct cl_pending *p;
    while ((p = c->pend_head)) {
        pending_unlink(c, p);
        p->cb(c, NULL, err, p->user);
        free(p);
    }
}

/* An error reply without an id: about a frame that was no request (a binary frame of
 * an upload, or a text message past the server's limit). */
static void orphan(struct cc_conn *c, json_t *m)
{
    struct cc_error err;
    server_error(&err, json_object_get(m, "error"));
    if (!cl_upload_orphan(c, &err) && c->on_event && !c->close_asked)
        c->on_event(c, "error", m, c->user);
}

static void on_message(struct cc_conn *c, const char *buf, size_t len)
{
    json_error_t je;
    json_t *m = json_loadb(buf, len, 0, &je);
    if (!json_is_object(m)) {
        json_decref(m);
        lwsl_warn("cocreate: a message that is no JSON object: %s\n", je.text);
        return;
    }
    json_t *id = json_object_get(m, "id");
    const char *ev = json_string_value(json_object_get(m, "ev"));
    if (json_is_integer(id)) {
        long long want = json_integer_value(id);
        struct cl_pending *p = c->pend_head;
        while (p && p->id != want)
            p = p->next;
        if (p) { /* else: answered after its deadline passed */
            pending_unlink(c, p);
            complete(c, p, m);
            cl_arm_timer(c);
        }
    } else if (ev) {
        if (!cl_live_event(c, ev, m) && c->on_event && !c->close_asked)
            c->on_event(c, ev, m, c->user);
    } else {
        orphan(c, m);
    }
    json_decref(m);
}

/* ---- deadlines ---- */

static void on_timer(uv_timer_t *t);

void cl_arm_timer(struct cc_conn *c)
{
    if (!c->timer_open || c->close_asked)
        return;
    uint64_t when = 0, u = cl_upload_deadline(c), f = cl_fetch_deadline(c);
    if (c->pend_head)
        when = c->pend_head->deadline;
    if (u && (!when || u < when))
        when = u;
    if (f && (!when || f < when))
        when = f;
    if (c->state == CL_CONNECTING && (!when || c->connect_deadline < when))
        when = c->connect_deadline;
    if (!when) {
        uv_timer_stop(&c->timer);
        return;
    }
    uint64_t now = uv_now(c->loop);
    uv_timer_start(&c->timer, on_timer, when > now ? when - now : 0, 0);
}

static void set_closed(struct cc_conn *c, const struct cc_error *why);

uint64_t cl_now(struct cc_conn *c)
{
    uv_update_time(c->loop);
    return uv_now(c->loop);
}

static void on_timer(uv_timer_t *t)
{
    struct cc_conn *c = t->data;
    uint64_t now = uv_now(c->loop);
    c->depth++;
    if (c->state == CL_CONNECTING && now >= c->connect_deadline) {
        struct cc_error e = {0};
        cl_error(&e, CC_ERR_TIMEOUT, "no connection to %s:%d within %d ms", c->host, c->port,
                 c->timeout_ms);
        set_closed(c, &e);
    }
    struct cc_error te = {0};
    cl_error(&te, CC_ERR_TIMEOUT, "no reply within %d ms", c->timeout_ms);
    struct cl_pending *p;
    while ((p = c->pend_head) && p->deadline <= now) {
        pending_unlink(c, p);
        p->cb(c, NULL, &te, p->user);
        free(p);
    }
    cl_upload_expire(c, now);
    cl_fetch_expire(c, now);
    c->depth--;
    cl_arm_timer(c);
}

/* ---- the lws callback ---- */

/* The connection is over (or never opened): every waiter learns why, once. */
static void set_closed(struct cc_conn *c, const struct cc_error *why)
{
    if (c->state == CL_CLOSED)
        return;
    int was_open = c->state == CL_OPEN;
    c->state = CL_CLOSED;
    if (c->wsi) {
        lws_set_opaque_user_data(c->wsi, NULL);
        c->wsi = NULL;
    }
    cl_error_copy(&c->why, why);
    struct cl_out *m;
    while ((m = c->out_head)) {
        c->out_head = m->next;
        free(m);
    }
    c->out_tail = &c->out_head;
    cl_upload_abort(c, why);
    fail_pending(c, why);
    if (c->close_asked)
        return;
    if (!was_open) { /* on_close is for a connection that was open */
        cc_open_fn fn = c->opened;
        c->opened = NULL;
        if (fn)
            fn(c, why, c->opened_user);
    } else if (c->on_close) {
        c->on_close(c, why, c->user);
    }
}

static int ws_writeable(struct cc_conn *c)
{
    struct cl_out *m;
    while ((m = c->out_head) && !lws_send_pipe_choked(c->wsi)) {
        int n = lws_write(c->wsi, m->buf + LWS_PRE, m->len,
                          m->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
        if (n < (int)m->len)
            return -1; /* lws keeps what a short send leaves; less means the socket died */
        c->out_head = m->next;
        if (!c->out_head)
            c->out_tail = &c->out_head;
        free(m);
    }
    if (!c->out_head && cl_upload_deadline(c) && !lws_send_pipe_choked(c->wsi))
        cl_upload_write(c);
    /* more to write: queued messages, or upload bytes (not while it waits for a reply,
     * which would spin the loop on writeable callbacks) */
    if (c->state == CL_OPEN && c->wsi && (c->out_head || cl_upload_deadline(c)))
        lws_callback_on_writable(c->wsi);
    return 0;
}

/* A piece of a message. Returns -1 to close the connection (a message past
 * CC_MAX_MESSAGE: the reply it was would never come whole). */
static int ws_receive(struct cc_conn *c, struct lws *wsi, const void *in, size_t len)
{
    if (c->rx_len == 0 && !c->rx_skip && lws_frame_is_binary(wsi))
        c->rx_skip = 1; /* the server sends no binary messages: dropped */
    if (!c->rx_skip) {
        if (c->rx_len + len > CC_MAX_MESSAGE) {
            struct cc_error e = {0};
            cl_error(&e, CC_ERR_PROTOCOL, "the server sent a message past %u bytes",
                     CC_MAX_MESSAGE);
            set_closed(c, &e);
            cc_error_clear(&e);
            return -1;
        } else {
            if (c->rx_len + len + 1 > c->rx_cap) {
                size_t cap = c->rx_cap ? c->rx_cap : 4096;
                while (cap < c->rx_len + len + 1)
                    cap *= 2;
                unsigned char *p = realloc(c->rx, cap);
                if (!p)
                    abort();
                c->rx = p;
                c->rx_cap = cap;
            }
            memcpy(c->rx + c->rx_len, in, len);
            c->rx_len += len;
        }
    }
    if (!lws_is_final_fragment(wsi))
        return 0;
    size_t n = c->rx_len;
    int skip = c->rx_skip;
    c->rx_len = 0;
    c->rx_skip = 0;
    if (!skip)
        on_message(c, (const char *)c->rx, n);
    if (c->rx_cap > 65536) { /* keep small buffers, give back big ones */
        free(c->rx);
        c->rx = NULL;
        c->rx_cap = 0;
    }
    return 0;
}

/* A WebSocket reason for connection c. Returns what lws wants back. */
static int ws_callback(struct cc_conn *c, struct lws *wsi, enum lws_callback_reasons reason,
                       void *in, size_t len)
{
    struct cc_error e = {0};
    char why[128];
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        c->state = CL_OPEN;
        c->wsi = wsi;
        cl_arm_timer(c);
        if (c->opened && !c->close_asked) {
            cc_open_fn fn = c->opened;
            c->opened = NULL;
            fn(c, &e, c->opened_user);
        }
        if (c->state == CL_OPEN && (c->out_head || cl_upload_deadline(c)))
            lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        /* lws passes its reason as text (in, len), or nothing */
        snprintf(why, sizeof why, "%.*s", in ? (int)len : 6, in ? (const char *)in : "failed");
        cl_error(&e, CC_ERR_CONNECT, "cannot connect to %s://%s:%d%s: %s%s",
                 c->tls ? "wss" : "ws", c->host, c->port, c->path, why,
                 /* lws's TLS reasons are OpenSSL's numbers: say what usually is wrong */
                 c->tls && strstr(why, "SSL")
                     ? " (TLS: is the server's certificate made for this host and signed "
                       "by a CA of ca_file or the system's?)"
                     : "");
        c->wsi = NULL;
        set_closed(c, &e);
        cc_error_clear(&e);
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        return ws_receive(c, wsi, in, len);
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return c->state == CL_OPEN ? ws_writeable(c) : 0;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (len >= 2) {
            const unsigned char *p = in;
            c->peer_close = (p[0] << 8) | p[1];
            snprintf(c->peer_reason, sizeof c->peer_reason, "%.*s", (int)(len - 2),
                     (const char *)p + 2);
        }
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (c->peer_close)
            cl_error(&e, CC_ERR_CLOSED, "the server closed the connection (%d%s%s)",
                     c->peer_close, c->peer_reason[0] ? ": " : "", c->peer_reason);
        else
            cl_error(&e, CC_ERR_CLOSED, "the connection dropped (no close frame)");
        e.close_code = c->peer_close ? c->peer_close : 1006;
        c->wsi = NULL;
        set_closed(c, &e);
        cc_error_clear(&e);
        return 0;
    default:
        return 0;
    }
}

/* The WebSocket of a connection cc_close closes: at its next writeable it sets its timer,
 * whose callback asks lws to close it; lws then sends our close frame (lws_close_reason
 * set the code) and waits for the server's. Not -1 from the writeable callback: lws 4.1
 * on libuv takes that for a dead socket and drops it without a close frame (as
 * server/net.c found). Nor the timer set from cc_close: set outside lws's service, it
 * may wait for something else to wake lws. */
static int closing_callback(struct lws *wsi, enum lws_callback_reasons reason, int *tag)
{
    struct cc_conn *c = (struct cc_conn *)((char *)tag - offsetof(struct cc_conn, closing_tag));
    switch (reason) {
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        lws_set_timer_usecs(wsi, 1);
        return 0;
    case LWS_CALLBACK_TIMER:
        return -1;
    case LWS_CALLBACK_CLIENT_CLOSED:
    case LWS_CALLBACK_WSI_DESTROY:
        lws_set_opaque_user_data(wsi, NULL);
        c->closing_wsi = NULL;
        return 0;
    default:
        return 0;
    }
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    (void)user;
    int *tag = wsi ? lws_get_opaque_user_data(wsi) : NULL;
    if (!tag)
        return 0;
    if (*tag == CL_TAG_FETCH)
        return cl_fetch_callback(wsi, reason, (struct cl_fetch *)tag, in, len);
    if (*tag == CL_TAG_CLOSING)
        return closing_callback(wsi, reason, tag);
    struct cc_conn *c = (struct cc_conn *)tag;
    if (c->state == CL_CLOSED)
        return reason == LWS_CALLBACK_CLIENT_WRITEABLE ? -1 : 0;
    c->depth++;
    int rc = ws_callback(c, wsi, reason, in, len);
    c->depth--;
    return rc;
}

/* ---- connecting ---- */

/* Parses ws[s]://HOST[:PORT][/PATH] (or http[s]://) into c. */
static int parse_url(struct cc_conn *c, const char *url, struct cc_error *err)
{
    const char *p = url;
    if (!url)
        goto bad;
    if (!strncasecmp(p, "wss://", 6) || !strncasecmp(p, "https://", 8))
        c->tls = 1, p += p[1] == 's' || p[1] == 'S' ? 6 : 8;
    else if (!strncasecmp(p, "ws://", 5) || !strncasecmp(p, "http://", 7))
        c->tls = 0, p += p[1] == 's' || p[1] == 'S' ? 5 : 7;
    else
        goto bad;
    size_t hl = strcspn(p, ":/");
    if (hl == 0 || hl >= sizeof c->host)
        goto bad;
    memcpy(c->host, p, hl);
    c->host[hl] = '\0';
    p += hl;
    c->port = c->tls ? 443 : 80;
    if (*p == ':') {
        char *end;
        long port = strtol(p + 1, &end, 10);
        if (end == p + 1 || port < 1 || port > 65535 || (*end && *end != '/'))
            goto bad;
        c->port = (int)port;
        p = end;
    }
    if (strlen(p) >= sizeof c->path)
        goto bad;
    snprintf(c->path, sizeof c->path, "%s", *p ? p : "/ws");
    if (!strcmp(c->path, "/"))
        snprintf(c->path, sizeof c->path, "/ws");
    return 0;
bad:
    cl_error(err, CC_ERR_USAGE, "not a ws://, wss://, http:// or https:// URL: %s",
             url ? url : "(null)");
    return CC_ERR_USAGE;
}

static int fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY ||
        rl.rlim_cur > FD_LIMIT_MAX)
        return FD_LIMIT_MAX;
    return rl.rlim_cur < 1024 ? 1024 : (int)rl.rlim_cur;
}

/* The context on c->loop and the WebSocket's start. On failure err is set and the
 * caller frees c (nothing of lws to tear down). */
static int start(struct cc_conn *c, const struct cc_options *opt, struct cc_error *err)
{
    if (parse_url(c, opt->url, err))
        return err->kind;
    if (opt->ca_file && !(c->ca_file = strdup(opt->ca_file)))
        abort();
    c->tag = CL_TAG_CONN;
    c->pipe_fd = -1;
    c->timeout_ms = opt->timeout_ms > 0 ? opt->timeout_ms : CC_DEFAULT_TIMEOUT_MS;
    c->on_event = opt->on_event;
    c->on_close = opt->on_close;
    c->user = opt->user;
    c->out_tail = &c->out_head;
    c->state = CL_CONNECTING;
    c->protocols[0] = (struct lws_protocols){
        .name = "cocreate.v1", .callback = callback, .rx_buffer_size = 65536};
    c->protocols[1] = (struct lws_protocols){.name = "cc-http", .callback = callback};
    c->foreign[0] = c->loop;
    pthread_once(&log_once, log_default);

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.options = LWS_SERVER_OPTION_LIBUV;
    if (c->tls) /* the client's SSL_CTX (and the system's CA store): only for wss:// */
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = c->protocols;
    info.foreign_loops = c->foreign;
    info.pcontext = &c->ctx;
    info.client_ssl_ca_filepath = c->ca_file;
    info.fd_limit_per_thread = (unsigned int)fd_limit();
    struct polls before = {0};
    uv_walk(c->loop, collect_poll, &before);
    cl_fd_lock();
    c->ctx = lws_create_context(&info);
    c->pipe_fd = c->ctx ? find_cancel_pipe(c->loop, &before) : -1;
    cl_fd_unlock();
    free(before.h);
    if (!c->ctx) {
        cl_error(err, CC_ERR_CONNECT,
                 "cannot start libwebsockets on the libuv loop (is the package "
                 "libwebsockets-evlib-uv installed? is ca_file readable?)");
        return CC_ERR_CONNECT;
    }
    uv_timer_init(c->loop, &c->timer);
    c->timer.data = c;
    c->timer_open = 1;
    c->connect_deadline = cl_now(c) + (uint64_t)c->timeout_ms;

    struct lws_client_connect_info ci;
    cl_connect_info(c, &ci, c->path, c, &c->wsi); /* wsi known from the start, NULL
                                                     again if it fails */
    ci.protocol = "cocreate.v1";
    c->depth++;
    cl_fd_lock();
    struct lws *wsi = lws_client_connect_via_info(&ci);
    cl_fd_unlock();
    c->depth--;
    if (!wsi && c->state == CL_CONNECTING) {
        struct cc_error e = {0};
        cl_error(&e, CC_ERR_CONNECT, "cannot connect to %s:%d", c->host, c->port);
        set_closed(c, &e);
        cc_error_clear(&e);
    }
    cl_arm_timer(c);
    return 0;
}

static void teardown(struct cc_conn *c);

void cl_connect_info(const struct cc_conn *c, struct lws_client_connect_info *ci,
                     const char *path, void *user, struct lws **pwsi)
{
    memset(ci, 0, sizeof *ci);
    ci->context = c->ctx;
    ci->address = c->host;
    ci->port = c->port;
    ci->path = path;
    ci->host = c->host;
    ci->origin = c->host;
    ci->ssl_connection = c->tls ? LCCSCF_USE_SSL : 0;
    ci->opaque_user_data = user;
    ci->pwsi = pwsi;
}

int cc_connect(struct cc_conn **out, const struct cc_options *opt, struct cc_error *err)
{
    struct cc_error scratch = {0};
    if (!err)
        err = &scratch;
    *out = NULL;
    struct cc_conn *c = calloc(1, sizeof *c);
    if (!c || !opt)
        abort();
    cl_fd_lock();
    int rc = uv_loop_init(&c->own_loop);
    cl_fd_unlock();
    if (rc) {
        free(c);
        cl_error(err, CC_ERR_CONNECT, "cannot make an event loop");
        return CC_ERR_CONNECT;
    }
    c->owns_loop = 1;
    c->loop = &c->own_loop;
    if (start(c, opt, err)) {
        uv_loop_close(&c->own_loop);
        free(c->ca_file);
        free(c);
        return err->kind;
    }
    c->depth++;
    while (c->state == CL_CONNECTING && uv_run(c->loop, UV_RUN_ONCE))
        ;
    c->depth--;
    if (c->state != CL_OPEN) {
        cl_error_copy(err, &c->why);
        c->close_asked = 1;
        teardown(c);
        cc_error_clear(&scratch);
        return err->kind;
    }
    *out = c;
    return 0;
}

int cc_connect_loop(struct cc_conn **out, struct uv_loop_s *loop, const struct cc_options *opt,
                    cc_open_fn opened, void *user, struct cc_error *err)
{
    struct cc_error scratch = {0};
    if (!err)
        err = &scratch;
    *out = NULL;
    struct cc_conn *c = calloc(1, sizeof *c);
    if (!c || !opt || !loop)
        abort();
    c->loop = loop;
    c->opened = opened;
    c->opened_user = user;
    if (start(c, opt, err)) {
        free(c->ca_file);
        free(c);
        return err->kind;
    }
    *out = c;
    return 0;
}

/* ---- blocking waits ---- */

int cl_refuse_blocking(struct cc_conn *c, struct cc_error *err)
{
    if (c->owns_loop && !c->depth)
        return 0;
    /* a loop cannot be run again from inside one of its own callbacks */
    cl_error(err, CC_ERR_USAGE, "%s: set the call's cb",
             c->owns_loop ? "a blocking call inside one of the connection's callbacks"
                          : "a blocking call on a connection that runs on the caller's loop");
    return 1;
}

static void wake(uv_timer_t *t)
{
    *(int *)t->data = 1;
}

void cl_wait(struct cc_conn *c, const int *done)
{
    c->depth++;
    while (!*done && c->ctx)
        if (!uv_run(c->loop, UV_RUN_ONCE))
            break;
    c->depth--;
}

int cc_poll(struct cc_conn *c, int timeout_ms)
{
    if (!c || !c->owns_loop || c->close_asked || c->depth)
        return CC_ERR_USAGE;
    c->depth++;
    if (timeout_ms <= 0) {
        uv_run(c->loop, UV_RUN_NOWAIT);
    } else {
        int expired = 0;
        uv_timer_t t;
        uv_timer_init(c->loop, &t);
        t.data = &expired;
        uv_timer_start(&t, wake, (uint64_t)timeout_ms, 0);
        while (!expired && c->state != CL_CLOSED && !c->close_asked)
            uv_run(c->loop, UV_RUN_ONCE);
        uv_close((uv_handle_t *)&t, NULL);
        uv_run(c->loop, UV_RUN_NOWAIT); /* its close callback: t is on this stack */
    }
    c->depth--;
    if (c->close_asked && !c->depth) {
        teardown(c);
        return CC_ERR_CLOSED;
    }
    return c->state == CL_CLOSED ? CC_ERR_CLOSED : 0;
}

void cl_waiter_reply(struct cc_conn *c, json_t *result, const struct cc_error *err, void *user)
{
    (void)c;
    struct cl_waiter *w = user;
    w->call->result = json_incref(result);
    cc_error_clear(&w->call->error);
    cl_error_copy(&w->call->error, err);
    w->done = 1;
}

int cl_call_begin(struct cc_conn *c, struct cc_call *call, struct cl_waiter *w, cc_reply_fn *cb,
                  void **user)
{
    if (!call->cb && cl_refuse_blocking(c, &call->error))
        return CC_ERR_USAGE;
    w->call = call;
    w->done = 0;
    if (call->cb) {
        *cb = call->cb;
        *user = call->user;
    } else {
        call->result = NULL;
        memset(&call->error, 0, sizeof call->error);
        *cb = cl_waiter_reply;
        *user = w;
    }
    return 0;
}

void cl_after_wait(struct cc_conn *c)
{
    if (c->close_asked && !c->depth)
        teardown(c);
}

int cl_call_end(struct cc_conn *c, struct cc_call *call, struct cl_waiter *w, int rc)
{
    if (rc || call->cb)
        return rc;
    cl_wait(c, &w->done);
    if (!w->done) /* the context went away under us: cannot happen while waiting */
        cl_error(&call->error, CC_ERR_CLOSED, "the connection is gone");
    rc = call->error.kind;
    cl_after_wait(c);
    return rc;
}

/* ---- closing ---- */

int cc_is_open(const struct cc_conn *c)
{
    return c && c->state == CL_OPEN && !c->close_asked;
}

const struct cc_error *cc_close_reason(const struct cc_conn *c)
{
    return &c->why;
}

void cc_set_timeout(struct cc_conn *c, int timeout_ms)
{
    c->timeout_ms = timeout_ms > 0 ? timeout_ms : CC_DEFAULT_TIMEOUT_MS;
}

void cc_set_token(struct cc_conn *c, const char *token)
{
    snprintf(c->token, sizeof c->token, "%s", token ? token : "");
}

const char *cc_token(const struct cc_conn *c)
{
    return c->token[0] ? c->token : NULL;
}

/* Counts lws's static handles of the context (their data is the context). */
static void count_lws_handles(uv_handle_t *h, void *arg)
{
    void **a = arg;
    if (h->data == a[0])
        (*(int *)a[1])++;
}

static void on_timer_closed(uv_handle_t *h)
{
    struct cc_conn *c = h->data;
    if (!c->owns_loop) {
        cc_error_clear(&c->why);
        free(c->ca_file);
        free(c->rx);
        free(c);
    }
}

/* A teardown step (on the timer, outside every lws callback): the first destroy, then
 * the second once lws's handles are gone, then our timer, then c. */
static void teardown_step(uv_timer_t *t)
{
    struct cc_conn *c = t->data;
    if (c->closing_wsi && uv_now(c->loop) < c->close_deadline) {
        uv_timer_start(&c->timer, teardown_step, TEARDOWN_POLL_MS, 0);
        return; /* the closing handshake first */
    }
    if (c->closing_wsi) { /* no answer: the socket goes with the context */
        lws_set_opaque_user_data(c->closing_wsi, NULL);
        c->closing_wsi = NULL;
    }
    if (c->ctx && !c->tearing_down) {
        c->tearing_down = 1;
        cl_fd_lock();
        lws_context_destroy(c->ctx);
        hold_cancel_pipe(c);
        cl_fd_unlock();
    } else if (c->ctx) {
        int n = 0;
        void *a[2] = {c->ctx, &n};
        uv_walk(c->loop, count_lws_handles, a);
        if (!n) {
            cl_fd_lock();
            lws_context_destroy(c->ctx); /* frees it and sets c->ctx to NULL */
            hold_cancel_pipe(c);
            cl_fd_unlock();
        }
    }
    if (!c->ctx)
        release_cancel_pipe(c);
    if (c->ctx) {
        uv_timer_start(&c->timer, teardown_step, TEARDOWN_POLL_MS, 0);
        return;
    }
    c->timer_open = 0;
    uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}

/* Tears lws down in steps on the timer; the blocking form runs its loop until that is
 * done and frees c before returning. Once, after cc_close released everything. */
static void teardown(struct cc_conn *c)
{
    uv_timer_stop(&c->timer);
    uv_timer_start(&c->timer, teardown_step, 0, 0);
    if (!c->owns_loop)
        return;
    uv_run(c->loop, UV_RUN_DEFAULT);
    cc_error_clear(&c->why);
    if (uv_loop_close(c->loop))
        lwsl_err("cocreate: the private loop still has handles at close\n");
    free(c->ca_file);
    free(c->rx);
    free(c);
}

void cc_close(struct cc_conn *c)
{
    if (!c || c->close_asked)
        return;
    c->close_asked = 1;
    c->opened = NULL;
    c->on_close = NULL;
    c->on_event = NULL;
    /* Inside one of our callbacks or a blocking wait, the stack still uses c: the
     * pending calls fail now, the rest waits for the outermost frame to return. */
    struct cc_error e = {0};
    cl_error(&e, CC_ERR_CLOSED, "closed by cc_close");
    c->depth++;
    struct lws *open = c->state == CL_OPEN ? c->wsi : NULL;
    if (c->state != CL_CLOSED)
        set_closed(c, &e);
    if (open) { /* RFC 6455: our close frame, then the server's, before the socket goes */
        c->closing_tag = CL_TAG_CLOSING;
        c->closing_wsi = open;
        c->close_deadline = cl_now(c) + CLOSE_HANDSHAKE_MS;
        lws_set_opaque_user_data(open, &c->closing_tag);
        lws_close_reason(open, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
        lws_callback_on_writable(open);
    }
    cl_fetch_abort_all(c, &e);
    cl_live_free_all(c);
    c->depth--;
    cc_error_clear(&e);
    if (c->depth && c->owns_loop)
        return; /* the blocking frame below ends it (cl_call_end, cc_poll) */
    teardown(c);
}
