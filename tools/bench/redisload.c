/* redisload: the closed loop of loadgen against redis-server, for the leaderboard
 * comparisons of docs/performance.md: --conns connections with --depth commands in
 * flight each, over plain sockets and epoll (RESP2), latency from send to reply.
 * Scenarios: ping; zincrby (ZINCRBY KEY 1 d<n>, n uniform in 1..--members: one vote);
 * zrevrange (ZREVRANGE KEY o o+23 WITHSCORES at a uniform random offset o: one page of
 * 24). `seed` fills KEY with --members members first (ZADD in batches, skewed
 * scores) and exits. Prints one JSON line like loadgen's (rps, p50_ms, p99_ms, errors);
 * exits 0, 3 on error replies or closed connections, 1 when it could not start.
 *
 *   redisload --port P --scenario ping|zincrby|zrevrange|seed [--members 10000]
 *             [--conns 64] [--depth 1] [--seconds 5] [--warmup 1] [--key lb] */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "benchlib.h"

#define PAGE 24
#define DRAIN_NS (10ull * 1000000000u)
#define SEED_BATCH 1000

enum scenario { SC_PING, SC_ZINCRBY, SC_ZREVRANGE, SC_SEED };
static const char *const names[] = {"ping", "zincrby", "zrevrange", "seed"};

struct rconn {
    int fd;
    uint64_t *sent;  /* ring of send times, in reply order */
    int head, count; /* ring */
    char *in;        /* unparsed input */
    size_t in_len, in_cap;
    char out[256];
    size_t out_len;
};

struct rl {
    int port, conns, depth;
    double seconds, warmup;
    enum scenario sc;
    uint64_t members;
    const char *key;
    int ep;
    struct rconn *rc;
    uint64_t rng;
    int measuring, draining;
    uint64_t inflight, ok_measured, errors, closed;
    struct hist hist;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Appends a RESP array of bulk strings for argv to b. */
static size_t resp_cmd(char *b, size_t cap, int argc, const char *const *argv)
{
    size_t n = (size_t)snprintf(b, cap, "*%d\r\n", argc);
    for (int i = 0; i < argc && n < cap; i++)
        n += (size_t)snprintf(b + n, cap - n, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
    return n;
}

/* Skips one complete RESP2 reply at p; returns the end of it, or NULL when it is not
 * all there yet. *err is set for an error reply. */
static const char *resp_skip(const char *p, const char *end, int *err)
{
    if (p >= end)
        return NULL;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl)
        return NULL;
    switch (*p) {
    case '-':
        *err = 1;
        return nl + 1;
    case '+':
    case ':':
        return nl + 1;
    case '$': {
        long len = strtol(p + 1, NULL, 10);
        if (len < 0)
            return nl + 1;
        return end - (nl + 1) >= len + 2 ? nl + 1 + len + 2 : NULL;
    }
    case '*': {
        long n = strtol(p + 1, NULL, 10);
        const char *q = nl + 1;
        for (long i = 0; i < n; i++)
            if (!(q = resp_skip(q, end, err)))
                return NULL;
        return q;
    }
    default:
        *err = 1;
        return end;
    }
}

static void send_cmd(struct rl *rl, struct rconn *c)
{
    char a[32], b[32], m[32];
    uint64_t r = bench_rand(&rl->rng);
    switch (rl->sc) {
    case SC_PING: {
        const char *argv[] = {"PING"};
        c->out_len = resp_cmd(c->out, sizeof c->out, 1, argv);
        break;
    }
    case SC_ZINCRBY: {
        snprintf(m, sizeof m, "d%" PRIu64, 1 + r % rl->members);
        const char *argv[] = {"ZINCRBY", rl->key, "1", m};
        c->out_len = resp_cmd(c->out, sizeof c->out, 4, argv);
        break;
    }
    default: {
        uint64_t span = rl->members > PAGE ? rl->members - PAGE + 1 : 1, o = r % span;
        snprintf(a, sizeof a, "%" PRIu64, o);
        snprintf(b, sizeof b, "%" PRIu64, o + PAGE - 1);
        const char *argv[] = {"ZREVRANGE", rl->key, a, b, "WITHSCORES"};
        c->out_len = resp_cmd(c->out, sizeof c->out, 5, argv);
        break;
    }
    }
    /* Small commands on a socket that is not backed up: one write takes them. */
    ssize_t w = write(c->fd, c->out, c->out_len);
    if (w != (ssize_t)c->out_len) {
        rl->errors++;
        return;
    }
    c->sent[(c->head + c->count) % rl->depth] = now_ns();
    c->count++;
    rl->inflight++;
}

static void on_readable(struct rl *rl, struct rconn *c)
{
    for (;;) {
        if (c->in_cap - c->in_len < 65536) {
            c->in_cap = c->in_cap ? c->in_cap * 2 : 131072;
            c->in = realloc(c->in, c->in_cap);
            if (!c->in)
                abort();
        }
        ssize_t n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            rl->closed++;
            epoll_ctl(rl->ep, EPOLL_CTL_DEL, c->fd, NULL);
            close(c->fd);
            c->fd = -1;
            rl->inflight -= (uint64_t)c->count;
            c->count = 0;
            return;
        }
        c->in_len += (size_t)n;
        if (c->in_len < c->in_cap) /* the socket had no more for now */
            break;
    }
    const char *p = c->in, *end = c->in + c->in_len, *q;
    int err = 0;
    uint64_t now = now_ns();
    while (c->count && (q = resp_skip(p, end, &err))) {
        p = q;
        uint64_t sent = c->sent[c->head];
        c->head = (c->head + 1) % rl->depth;
        c->count--;
        rl->inflight--;
        if (err) {
            rl->errors++;
            err = 0;
        } else if (rl->measuring) {
            rl->ok_measured++;
            hist_add(&rl->hist, (now - sent) / 1000);
        }
        if (!rl->draining)
            send_cmd(rl, c);
    }
    memmove(c->in, p, (size_t)(end - p));
    c->in_len = (size_t)(end - p);
}

static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a)) {
        perror("redisload: connect");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Reads n replies on a blocking socket; returns the number of error replies, or -1. */
static long read_replies(int fd, long n)
{
    static char buf[1 << 20];
    size_t len = 0;
    long errs = 0;
    while (n > 0) {
        ssize_t r = read(fd, buf + len, sizeof buf - len);
        if (r <= 0)
            return -1;
        len += (size_t)r;
        const char *p = buf, *end = buf + len, *q;
        int err = 0;
        while (n > 0 && (q = resp_skip(p, end, &err))) {
            p = q, n--;
            errs += err;
            err = 0;
        }
        memmove(buf, p, (size_t)(end - p));
        len = (size_t)(end - p);
    }
    return errs;
}

/* ZADD KEY in batches: member d<i> with a skewed score (like gendata's votes). */
static int seed(struct rl *rl)
{
    int fd = dial(rl->port);
    if (fd < 0)
        return 1;
    const char *del[] = {"DEL", rl->key};
    char cmd[64];
    size_t n = resp_cmd(cmd, sizeof cmd, 2, del);
    if (write(fd, cmd, n) != (ssize_t)n || read_replies(fd, 1) != 0)
        return 1;
    size_t cap = (size_t)SEED_BATCH * 64 + 64;
    char *b = malloc(cap);
    long sent = 0;
    for (uint64_t i = 1; i <= rl->members; i += SEED_BATCH) {
        uint64_t k = rl->members - i + 1 < SEED_BATCH ? rl->members - i + 1 : SEED_BATCH;
        size_t len = (size_t)snprintf(b, cap, "*%" PRIu64 "\r\n$4\r\nZADD\r\n$%zu\r\n%s\r\n",
                                      2 + 2 * k, strlen(rl->key), rl->key);
        for (uint64_t j = i; j < i + k; j++) {
            char sc[24], m[24];
            int sl = snprintf(sc, sizeof sc, "%u",
                              (unsigned)(1000.0 / pow((double)(1 + (j * 7919) % 1000), 0.8)));
            int ml = snprintf(m, sizeof m, "d%" PRIu64, j);
            len += (size_t)snprintf(b + len, cap - len, "$%d\r\n%s\r\n$%d\r\n%s\r\n", sl, sc, ml,
                                    m);
        }
        if (write(fd, b, len) != (ssize_t)len)
            return 1;
        sent++;
    }
    free(b);
    long errs = read_replies(fd, sent);
    close(fd);
    if (errs) {
        fprintf(stderr, "redisload: seeding failed\n");
        return 1;
    }
    printf("{\"scenario\":\"seed\",\"members\":%" PRIu64 "}\n", rl->members);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: redisload --port P --scenario ping|zincrby|zrevrange|seed\n"
               "                 [--members 10000] [--conns 64] [--depth 1] [--seconds 5]\n"
               "                 [--warmup 1] [--key lb]\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"port", required_argument, NULL, 'p'},    {"scenario", required_argument, NULL, 'S'},
        {"members", required_argument, NULL, 'm'}, {"conns", required_argument, NULL, 'c'},
        {"depth", required_argument, NULL, 'd'},   {"seconds", required_argument, NULL, 's'},
        {"warmup", required_argument, NULL, 'w'},  {"key", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    static struct rl rl;
    rl.conns = 64, rl.depth = 1, rl.seconds = 5, rl.warmup = 1, rl.members = 10000;
    rl.key = "lb";
    int c, sc = -1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'p': rl.port = atoi(optarg); break;
        case 'S':
            for (int i = 0; i < 4; i++)
                if (!strcmp(optarg, names[i]))
                    sc = i;
            break;
        case 'm': rl.members = strtoull(optarg, NULL, 10); break;
        case 'c': rl.conns = atoi(optarg); break;
        case 'd': rl.depth = atoi(optarg); break;
        case 's': rl.seconds = atof(optarg); break;
        case 'w': rl.warmup = atof(optarg); break;
        case 'k': rl.key = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (sc < 0 || rl.port < 1 || rl.conns < 1 || rl.depth < 1 || rl.members < 1 ||
        rl.seconds <= 0 || optind < argc) {
        usage(stderr);
        return 2;
    }
    rl.sc = (enum scenario)sc;
    signal(SIGPIPE, SIG_IGN);
    if (rl.sc == SC_SEED)
        return seed(&rl);
    rl.rng = now_ns() | 1;
    rl.ep = epoll_create1(0);
    rl.rc = calloc((size_t)rl.conns, sizeof *rl.rc);
    for (int i = 0; i < rl.conns; i++) {
        struct rconn *r = &rl.rc[i];
        r->sent = calloc((size_t)rl.depth, sizeof *r->sent);
        if ((r->fd = dial(rl.port)) < 0)
            return 1;
        fcntl(r->fd, F_SETFL, fcntl(r->fd, F_GETFL) | O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = r};
        epoll_ctl(rl.ep, EPOLL_CTL_ADD, r->fd, &ev);
    }
    uint64_t t0 = now_ns(), t_measure = t0 + (uint64_t)(rl.warmup * 1e9);
    uint64_t t_end = t_measure + (uint64_t)(rl.seconds * 1e9), t_done = 0;
    rl.measuring = rl.warmup <= 0;
    for (int i = 0; i < rl.conns; i++)
        for (int d = 0; d < rl.depth; d++)
            send_cmd(&rl, &rl.rc[i]);
    struct epoll_event evs[256];
    for (;;) {
        int n = epoll_wait(rl.ep, evs, 256, 5);
        for (int i = 0; i < n; i++)
            on_readable(&rl, evs[i].data.ptr);
        uint64_t now = now_ns();
        if (!rl.measuring && !rl.draining && now >= t_measure) {
            rl.measuring = 1;
            t_measure = now;
            t_end = now + (uint64_t)(rl.seconds * 1e9);
        }
        if (rl.measuring && !rl.draining && now >= t_end) {
            rl.measuring = 0;
            rl.draining = 1;
            t_end = now;
            t_done = now + DRAIN_NS;
        }
        if (rl.draining && (rl.inflight == 0 || now >= t_done))
            break;
    }
    double secs = (double)(t_end - t_measure) / 1e9;
    double rps = (double)rl.ok_measured / secs;
    printf("{\"scenario\":\"%s\",\"conns\":%d,\"depth\":%d,\"seconds\":%.3f,\"requests\":%" PRIu64
           ",\"rps\":%.1f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
           "\"errors\":%" PRIu64 ",\"closed\":%" PRIu64 ",\"unanswered\":%" PRIu64 "}\n",
           names[rl.sc], rl.conns, rl.depth, secs, rl.ok_measured, rps,
           hist_quantile_ms(&rl.hist, 0.5), hist_quantile_ms(&rl.hist, 0.9),
           hist_quantile_ms(&rl.hist, 0.99), (double)rl.hist.max / 1000.0, rl.errors, rl.closed,
           rl.inflight);
    fprintf(stderr, "redisload %s: %d conns x depth %d, %.2f s: %.0f req/s, p50 %.3f ms, p99 %.3f ms\n",
            names[rl.sc], rl.conns, rl.depth, secs, rps, hist_quantile_ms(&rl.hist, 0.5),
            hist_quantile_ms(&rl.hist, 0.99));
    for (int i = 0; i < rl.conns; i++) {
        if (rl.rc[i].fd >= 0)
            close(rl.rc[i].fd);
        free(rl.rc[i].sent);
        free(rl.rc[i].in);
    }
    free(rl.rc);
    close(rl.ep);
    return rl.errors || rl.closed || rl.inflight || !rl.ok_measured ? 3 : 0;
}
