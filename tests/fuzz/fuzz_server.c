/* See fuzz_server.h. */
#include "fuzz_server.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "accounts.h"
#include "changes.h"
#include "fuzz.h"
#include "log.h"
#include "startup.h"
#include "store.h"
#include "util.h"

/* How long the graceful shutdown at exit may take (--drain-ms). */
#define FUZZ_DRAIN_MS 2000
/* How much longer than its drain the server may take to stop. */
#define FUZZ_STOP_GRACE_MS 5000
/* How long the server may take to start listening. */
#define FUZZ_START_MS 30000

static struct fuzz_server server;
static struct server_config cfg;
static pthread_t thread;
static int started;
static volatile sig_atomic_t exit_code = -1; /* server_run's, once it returned */
/* The targets' connections, all on this thread. */
static struct wsc *client;

struct fuzz_ws {
    struct wsc_conn *c; /* NULL once closed */
    int open;
    long long want;  /* the id waited for */
    json_t *reply;   /* its reply, once here */
    int replies;     /* replies to any id since fuzz_ws_wait_any began */
};

static const struct wsc_handlers fuzz_ws_handlers;

static void *serve(void *arg)
{
    (void)arg;
    exit_code = server_run(&cfg);
    return NULL;
}

/* A port nothing listens on now (the kernel's next ephemeral one). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    FUZZ_CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
               getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    close(fd);
    return ntohs(a.sin_port);
}

static int can_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* `cocreated --make-brand fuzzbrand` on the empty data directory: the same record and
 * apply. */
static void make_brand(const char *dir, char token[65])
{
    struct store *st;
    char err[256];
    FUZZ_CHECK(store_open(&st, dir, 0, err, sizeof err) == 0);
    struct change *c = change_account_new("fuzzbrand", ROLE_BRAND, now_unix(), token);
    FUZZ_CHECK(changes_apply_now(st, c) == 0);
    change_free(c);
    store_close(st);
}

/* At exit: the client's sockets closed, then SIGTERM and the graceful shutdown, which
 * must end with exit code 0 (every handle closed); the data directory removed. */
static void stop_server(void)
{
    wsc_free(client);
    client = NULL;
    kill(getpid(), SIGTERM);
    uint64_t deadline = now_ms_monotonic() + FUZZ_DRAIN_MS + FUZZ_STOP_GRACE_MS;
    while (exit_code < 0 && now_ms_monotonic() < deadline)
        usleep(10000);
    if (exit_code < 0)
        fprintf(stderr, "fuzz_server: cocreated did not stop within %d ms of SIGTERM\n",
                FUZZ_DRAIN_MS + FUZZ_STOP_GRACE_MS);
    FUZZ_CHECK(exit_code >= 0);
    pthread_join(thread, NULL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", server.dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz_server: could not remove %s\n", server.dir);
    if (exit_code != 0)
        fprintf(stderr, "fuzz_server: cocreated exited %d\n", exit_code);
    FUZZ_CHECK(exit_code == 0);
}

const struct fuzz_server *fuzz_server_start(const char *web_dir)
{
    if (started)
        return &server;
    started = 1;
    log_max_level = LOG_ERROR;
    const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(server.dir, sizeof server.dir, "%s/cc-fuzz-XXXXXX", tmp);
    FUZZ_CHECK(mkdtemp(server.dir) != NULL);
    make_brand(server.dir, server.brand_token);
    server.port = free_port();
    cfg.host = "127.0.0.1";
    cfg.port = server.port;
    cfg.data_dir = server.dir;
    cfg.drain_ms = FUZZ_DRAIN_MS;
    cfg.web_dir = web_dir;
    cfg.web_required = web_dir != NULL;
    rate_config_defaults(&cfg.rate);
    cfg.rate.off = 1;
    /* libFuzzer's SIGINT handler (Ctrl-C: stop and print the stats) is kept: the
     * server's own, installed as it starts, is put back to it. SIGTERM stays the
     * server's: stop_server sends it. */
    struct sigaction fuzzer_int;
    sigaction(SIGINT, NULL, &fuzzer_int);
    FUZZ_CHECK(pthread_create(&thread, NULL, serve, NULL) == 0);
    uint64_t deadline = now_ms_monotonic() + FUZZ_START_MS;
    while (!can_connect(server.port)) {
        FUZZ_CHECK(exit_code < 0 && now_ms_monotonic() < deadline);
        usleep(10000);
    }
    sigaction(SIGINT, &fuzzer_int, NULL);
    atexit(stop_server);
    const struct wsc_config wc = {.host = "127.0.0.1", .port = server.port,
                                  .protocol = "cocreate.v1", .seed = 1};
    FUZZ_CHECK(wsc_new(&client, &wc, &fuzz_ws_handlers) == 0);
    return &server;
}

const char *fuzz_server_member(void)
{
    static char token[65];
    if (!token[0]) {
        struct fuzz_ws *w = fuzz_ws_open(NULL);
        json_t *r = fuzz_ws_call(w, 1, "auth.register", "\"name\":\"fuzzmember\"");
        const char *t = json_string_value(json_object_get(json_object_get(r, "result"), "token"));
        FUZZ_CHECK(t != NULL);
        snprintf(token, sizeof token, "%s", t);
        json_decref(r);
        fuzz_ws_close(w);
    }
    return token;
}

/* ---- the client side ---- */

static void on_open(struct wsc_conn *c, void *user)
{
    (void)user;
    struct fuzz_ws *w = wsc_conn_user(c);
    if (w)
        w->open = 1;
}

static void on_message(struct wsc_conn *c, int binary, const uint8_t *data, size_t len,
                       void *user)
{
    (void)user;
    struct fuzz_ws *w = wsc_conn_user(c);
    if (!w)
        return; /* closing */
    FUZZ_CHECK(!binary); /* the server sends text only (SPEC §4) */
    json_error_t e;
    json_t *m = json_loadb((const char *)data, len, 0, &e);
    if (!json_is_object(m))
        fprintf(stderr, "fuzz_server: not a JSON object from the server: %.*s\n",
                (int)(len > 200 ? 200 : len), (const char *)data);
    FUZZ_CHECK(json_is_object(m)); /* every message is one JSON object */
    json_t *id = json_object_get(m, "id");
    if (!json_object_get(m, "ev")) { /* a reply: id, ok, result or error */
        json_t *ok = json_object_get(m, "ok");
        FUZZ_CHECK(id != NULL && json_is_boolean(ok));
        FUZZ_CHECK(json_is_true(ok) ? json_is_object(json_object_get(m, "result"))
                                    : json_is_string(json_object_get(
                                          json_object_get(m, "error"), "code")));
        w->replies++;
        if (json_is_integer(id) && json_integer_value(id) == w->want && !w->reply) {
            w->reply = m;
            return;
        }
    } else {
        FUZZ_CHECK(id == NULL); /* an event never has an id */
    }
    json_decref(m);
}

static void on_close(struct wsc_conn *c, int code, const char *why, void *user)
{
    (void)code;
    (void)why;
    (void)user;
    struct fuzz_ws *w = wsc_conn_user(c);
    if (w)
        w->c = NULL;
}

static const struct wsc_handlers fuzz_ws_handlers = {NULL, on_open, on_message, on_close};

struct fuzz_ws *fuzz_ws_open(const char *token)
{
    FUZZ_CHECK(client != NULL);
    struct fuzz_ws *w = xcalloc(1, sizeof *w);
    w->c = wsc_connect(client, w);
    FUZZ_CHECK(w->c != NULL);
    uint64_t deadline = now_ms_monotonic() + FUZZ_REPLY_MS;
    while (w->c && !w->open && now_ms_monotonic() < deadline)
        wsc_run(client, 10);
    FUZZ_CHECK(w->c && w->open);
    if (token) {
        char args[128];
        snprintf(args, sizeof args, "\"token\":\"%s\"", token);
        json_t *r = fuzz_ws_call(w, 1, "auth.login", args);
        FUZZ_CHECK(json_is_true(json_object_get(r, "ok")));
        json_decref(r);
    }
    return w;
}

void fuzz_ws_close(struct fuzz_ws *w)
{
    if (!w)
        return;
    if (w->c) {
        wsc_conn_set_user(w->c, NULL);
        wsc_close(w->c, 1000);
        wsc_run(client, 0);
    }
    json_decref(w->reply);
    free(w);
}

int fuzz_ws_closed(const struct fuzz_ws *w)
{
    return w->c == NULL;
}

void fuzz_ws_send(struct fuzz_ws *w, enum wsc_opcode op, int fin, const void *data, size_t len)
{
    if (w->c)
        wsc_send_frame(w->c, op, fin, data, len);
}

json_t *fuzz_ws_wait(struct fuzz_ws *w, long long id)
{
    json_decref(w->reply);
    w->reply = NULL;
    w->want = id;
    uint64_t deadline = now_ms_monotonic() + FUZZ_REPLY_MS;
    while (w->c && !w->reply && now_ms_monotonic() < deadline)
        wsc_run(client, 10);
    if (!w->c && !w->reply)
        return NULL;
    if (!w->reply)
        fprintf(stderr, "fuzz_server: no reply to request %lld in %d ms\n", id,
                FUZZ_REPLY_MS);
    FUZZ_CHECK(w->reply != NULL);
    json_t *r = w->reply;
    w->reply = NULL;
    return r;
}

int fuzz_ws_wait_any(struct fuzz_ws *w, int n)
{
    w->replies = 0;
    w->want = LLONG_MIN;
    uint64_t deadline = now_ms_monotonic() + FUZZ_REPLY_MS;
    while (w->c && w->replies < n && now_ms_monotonic() < deadline)
        wsc_run(client, 10);
    if (w->c && w->replies < n)
        fprintf(stderr, "fuzz_server: %d of %d replies in %d ms\n", w->replies, n,
                FUZZ_REPLY_MS);
    FUZZ_CHECK(!w->c || w->replies >= n);
    return w->replies;
}

json_t *fuzz_ws_call(struct fuzz_ws *w, long long id, const char *op, const char *args)
{
    struct ccbuf b;
    ccbuf_init(&b);
    char head[96];
    int n = snprintf(head, sizeof head, "{\"id\":%lld,\"op\":\"%s\"%s", id, op,
                     args && *args ? "," : "");
    ccbuf_append(&b, head, (size_t)n);
    if (args)
        ccbuf_append_str(&b, args);
    ccbuf_append(&b, "}", 1);
    fuzz_ws_send(w, WSC_TEXT, 1, b.data, b.len);
    ccbuf_free(&b);
    return fuzz_ws_wait(w, id);
}
