/* redisload: the closed loop of loadgen against redis-server, for the comparisons of
 * docs/performance.md: --conns connections with --depth requests in flight each, over
 * plain sockets and epoll (RESP2), latency from a request's first send to its last
 * reply. Prints one JSON line like loadgen's (rps, p50_ms, p99_ms, errors, bytes_in,
 * ok_total); exits 0, 3 on error replies, nil replies or closed connections, 1 when it
 * could not start.
 *
 * Scenarios doing what cocreated does (issue 16's fair rows):
 * - vote: one EVALSHA a request of VOTE_SCRIPT (loaded with SCRIPT LOAD first), a vote
 *   with its real semantics: the voter's previous vote on the design (HGET), the new
 *   one stored (HSET) or removed (HDEL), the design's score in the sorted set KEY moved
 *   by the difference (ZINCRBY ±1), and an audit entry in cocreated's shape (~237
 *   bytes stored) appended to KEY:log (RPUSH), chained by hash to the previous one (SHA-1 of
 *   the previous hash and the entry, redis.sha1hex: the only hash scripts have; the
 *   head in KEY:head). Voters and designs as loadgen's vote: connection i is voter i
 *   (names unique to the run), designs 1..--members, starting at i * members / conns
 *   and walking forward: cast (value 1) on a first pass of all designs, clear on the
 *   next, and so on, so that every request changes a vote.
 * - page: ZREVRANGE KEY o o+23 WITHSCORES, then MGET of the 24 members' JSON records
 *   (KEY:<member>), two dependent round trips a page; o uniform in [0, members - 24],
 *   or --offset O for every page (0: first pages).
 * Bare commands, for reference: ping; zincrby (ZINCRBY KEY 1 d<n>, n uniform in
 * 1..--members); zrevrange (ZREVRANGE KEY o o+23 WITHSCORES, o as page's).
 * `seed` fills KEY with --members members d1..dN first (ZADD in batches, skewed
 * scores) and, with --record-bytes N > 0, each member's record KEY:d<n>: a JSON object
 * in the shape of a cocreated gallery item, its title padded to N bytes; then exits.
 *
 *   redisload --port P --scenario ping|zincrby|zrevrange|vote|page|seed
 *             [--members 10000] [--conns 64] [--depth 1] [--seconds 5] [--warmup 1]
 *             [--key lb] [--offset O] [--record-bytes 370] */
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

/* SPEC §4: the default page. */
#define PAGE 24
#define DRAIN_NS (10ull * 1000000000u)
#define SEED_BATCH 1000
/* A cocreated gallery item's size: a page of 24 from gendata's designs is ~8,980 bytes
 * of reply, ~370 a design (measured with `gallery.get`; `run` measures its own). */
#define RECORD_BYTES 370
#define RECORD_MAX 4096
/* Longest command sent in the loop: MGET of a page's keys, or the vote's EVALSHA. */
#define OUT_MAX 4096
/* Reply bits of resp_skip. */
#define R_ERR 1
#define R_NIL 2

/* The vote (see the file's comment). KEYS: votes hash, scores, log, head; ARGV: voter
 * account, voter pseudonym, design, value (1 cast, 0 clear). Returns {old, new, score},
 * or {old, new} when the vote changes nothing (acknowledged and not logged, as in
 * cocreated: the loop never sends such a vote, and counts them as "unchanged"). */
static const char VOTE_SCRIPT[] =
    "local f = ARGV[1] .. ':' .. ARGV[3]\n"
    "local old = tonumber(redis.call('HGET', KEYS[1], f) or 0)\n"
    "local new = tonumber(ARGV[4])\n"
    "if old == new then return {old, new} end\n"
    "if new == 0 then redis.call('HDEL', KEYS[1], f) else redis.call('HSET', KEYS[1], f, new) "
    "end\n"
    "local score = redis.call('ZINCRBY', KEYS[2], new - old, 'd' .. ARGV[3])\n"
    "local prev = redis.call('GET', KEYS[4]) or string.rep('0', 40)\n"
    "local seq = redis.call('LLEN', KEYS[3]) + 1\n"
    "local at = redis.call('TIME')[1]\n"
    "local entry = '{\"at\":' .. at .. ',\"design\":\"' .. ARGV[3] .. '\",\"old\":' .. old ..\n"
    "  ',\"prev\":\"' .. prev .. '\",\"seq\":' .. seq .. ',\"type\":\"vote\",\"value\":' ..\n"
    "  new .. ',\"voter\":\"' .. ARGV[2] .. '\"}'\n"
    "local hash = redis.sha1hex(prev .. entry)\n"
    "redis.call('RPUSH', KEYS[3], hash .. entry)\n"
    "redis.call('SET', KEYS[4], hash)\n"
    "return {old, new, score}\n";

enum scenario { SC_PING, SC_ZINCRBY, SC_ZREVRANGE, SC_VOTE, SC_PAGE, SC_SEED };
static const char *const names[] = {"ping", "zincrby", "zrevrange", "vote", "page", "seed"};

/* A command in flight: its request's first send, and whether a reply ends the request
 * (page's ZREVRANGE is followed by the MGET). */
struct pending {
    uint64_t sent;
    int first_of_page;
};

struct rconn {
    int fd;
    struct pending *ring; /* --depth commands in flight, in reply order */
    int head, count;
    char *in; /* unparsed input */
    size_t in_len, in_cap;
    char out[OUT_MAX];
    size_t out_len;
    /* vote: this connection's voter and its walk over the designs */
    char voter[32], pseudonym[65];
    uint64_t k, start;
};

struct rl {
    int port, conns, depth;
    double seconds, warmup;
    enum scenario sc;
    uint64_t members;
    long long offset; /* zrevrange, page: every page's offset (-1: random) */
    int record_bytes;
    const char *key;
    char keys[3][128]; /* vote: KEY:votes, KEY:log, KEY:head */
    char sha[41];      /* vote: the loaded script */
    int ep;
    struct rconn *rc;
    uint64_t rng;
    int measuring, draining;
    uint64_t inflight, ok_measured, ok_total, errors, closed, unchanged, bytes_in;
    struct hist hist;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Writes a RESP array of the argc bulk strings argv into b. */
static size_t resp_cmd(char *b, size_t cap, int argc, const char *const *argv)
{
    size_t n = (size_t)snprintf(b, cap, "*%d\r\n", argc);
    for (int i = 0; i < argc && n < cap; i++)
        n += (size_t)snprintf(b + n, cap - n, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
    return n;
}

/* Skips one complete RESP2 reply at p; returns the end of it, or NULL when it is not
 * all there yet. Sets R_ERR in *flags for an error reply, R_NIL for a nil anywhere. */
static const char *resp_skip(const char *p, const char *end, int *flags)
{
    if (p >= end)
        return NULL;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl)
        return NULL;
    switch (*p) {
    case '-':
        *flags |= R_ERR;
        return nl + 1;
    case '+':
    case ':':
        return nl + 1;
    case '$': {
        long len = strtol(p + 1, NULL, 10);
        if (len < 0) {
            *flags |= R_NIL;
            return nl + 1;
        }
        return end - (nl + 1) >= len + 2 ? nl + 1 + len + 2 : NULL;
    }
    case '*': {
        long n = strtol(p + 1, NULL, 10);
        if (n < 0)
            *flags |= R_NIL;
        const char *q = nl + 1;
        for (long i = 0; i < n; i++)
            if (!(q = resp_skip(q, end, flags)))
                return NULL;
        return q;
    }
    default:
        *flags |= R_ERR;
        return end;
    }
}

/* page: writes into c->out the MGET of the records of the members in the complete
 * ZREVRANGE ... WITHSCORES reply [p, end) (member, score, member, ...). Returns 0, or
 * -1 when it holds no members. */
static int page_mget(struct rl *rl, struct rconn *c, const char *p, const char *end)
{
    long n = *p == '*' ? strtol(p + 1, NULL, 10) / 2 : 0;
    if (n < 1 || n > PAGE)
        return -1;
    c->out_len = (size_t)snprintf(c->out, sizeof c->out, "*%ld\r\n$4\r\nMGET\r\n", n + 1);
    p = (const char *)memchr(p, '\n', (size_t)(end - p)) + 1;
    size_t klen = strlen(rl->key);
    for (long i = 0; i < 2 * n; i++) {
        long len = strtol(p + 1, NULL, 10);
        const char *s = (const char *)memchr(p, '\n', (size_t)(end - p)) + 1;
        if (i % 2 == 0)
            c->out_len += (size_t)snprintf(c->out + c->out_len, sizeof c->out - c->out_len,
                                           "$%zu\r\n%s:%.*s\r\n", klen + 1 + (size_t)len,
                                           rl->key, (int)len, s);
        p = s + len + 2;
    }
    return 0;
}

/* Writes c->out (small commands on a socket that is not backed up: one write takes
 * them) and queues its reply. Returns 0, or -1 (counted as an error). */
static int send_out(struct rl *rl, struct rconn *c, uint64_t sent, int first_of_page)
{
    ssize_t w = write(c->fd, c->out, c->out_len);
    if (w != (ssize_t)c->out_len) {
        rl->errors++;
        return -1;
    }
    c->ring[(c->head + c->count) % rl->depth] = (struct pending){sent, first_of_page};
    c->count++;
    return 0;
}

/* Starts the next request on c. */
static void send_request(struct rl *rl, struct rconn *c)
{
    char a[32], b[32], m[32];
    uint64_t r = bench_rand(&rl->rng);
    uint64_t span = rl->members > PAGE ? rl->members - PAGE + 1 : 1;
    uint64_t o = rl->offset >= 0 ? (uint64_t)rl->offset : r % span;
    snprintf(a, sizeof a, "%" PRIu64, o);
    snprintf(b, sizeof b, "%" PRIu64, o + PAGE - 1);
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
    case SC_VOTE: {
        /* loadgen's walk: pass k / N over N designs, cast on even passes, clear on odd. */
        uint64_t k = c->k++;
        snprintf(m, sizeof m, "%" PRIu64, 1 + (c->start + k) % rl->members);
        const char *value = (k / rl->members) % 2 == 0 ? "1" : "0";
        const char *argv[] = {"EVALSHA",   rl->sha,      "4",         rl->keys[0],
                              rl->key,     rl->keys[1],  rl->keys[2], c->voter,
                              c->pseudonym, m,            value};
        c->out_len = resp_cmd(c->out, sizeof c->out, 11, argv);
        break;
    }
    default: { /* zrevrange, and page's first round trip */
        const char *argv[] = {"ZREVRANGE", rl->key, a, b, "WITHSCORES"};
        c->out_len = resp_cmd(c->out, sizeof c->out, 5, argv);
        break;
    }
    }
    if (send_out(rl, c, now_ns(), rl->sc == SC_PAGE) == 0)
        rl->inflight++;
}

/* A request's last reply came (flags from resp_skip; first byte of the reply at p). */
static void request_done(struct rl *rl, struct rconn *c, uint64_t sent, uint64_t now, int flags,
                         const char *p)
{
    rl->inflight--;
    if (flags) {
        rl->errors++;
    } else {
        rl->ok_total++;
        /* the script's reply to a vote that changed nothing is {old, new} */
        if (rl->sc == SC_VOTE && !strncmp(p, "*2\r\n", 4))
            rl->unchanged++;
        if (rl->measuring) {
            rl->ok_measured++;
            hist_add(&rl->hist, (now - sent) / 1000);
        }
    }
    if (!rl->draining)
        send_request(rl, c);
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
            rl->inflight -= (uint64_t)c->count; /* one command in flight a request */
            c->count = 0;
            return;
        }
        c->in_len += (size_t)n;
        rl->bytes_in += (uint64_t)n;
        if (c->in_len < c->in_cap) /* the socket had no more for now */
            break;
    }
    const char *p = c->in, *end = c->in + c->in_len, *q;
    int flags = 0;
    uint64_t now = now_ns();
    while (c->count && (q = resp_skip(p, end, &flags))) {
        struct pending pd = c->ring[c->head];
        c->head = (c->head + 1) % rl->depth;
        c->count--;
        if (pd.first_of_page && !flags) {
            /* the page's members: now their records, same request */
            if (page_mget(rl, c, p, q) == 0) {
                if (send_out(rl, c, pd.sent, 0))
                    rl->inflight--;
            } else {
                request_done(rl, c, pd.sent, now, R_NIL, p);
            }
        } else {
            request_done(rl, c, pd.sent, now, flags, p);
        }
        p = q;
        flags = 0;
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

/* Reads n replies on a blocking socket; copies the first one's bulk string (if it is
 * one, up to cap - 1 bytes) into first when not NULL. Returns the number of error
 * replies, or -1. */
static long read_replies(int fd, long n, char *first, size_t cap)
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
        int flags = 0;
        while (n > 0 && (q = resp_skip(p, end, &flags))) {
            if (first && *p == '$' && !flags) {
                const char *s = (const char *)memchr(p, '\n', (size_t)(q - p)) + 1;
                snprintf(first, cap, "%.*s", (int)(q - 2 - s), s);
                first = NULL;
            }
            p = q, n--;
            errs += (flags & R_ERR) != 0;
            flags = 0;
        }
        memmove(buf, p, (size_t)(end - p));
        len = (size_t)(end - p);
    }
    return errs;
}

/* Sends the command argv on a blocking socket and reads its reply (see read_replies). */
static long command(int fd, int argc, const char *const *argv, char *first, size_t cap)
{
    static char cmd[8192];
    size_t n = resp_cmd(cmd, sizeof cmd, argc, argv);
    if (n >= sizeof cmd || write(fd, cmd, n) != (ssize_t)n)
        return -1;
    return read_replies(fd, 1, first, cap);
}

/* Member j's record into out (cap > RECORD_MAX): the shape of a cocreated gallery item
 * of a gendata design, the title padded so the whole is `bytes` long (or longer). */
static int record(char *out, size_t cap, uint64_t j, unsigned score, int bytes)
{
    static const char *const tags[] = {"bold", "cute", "retro", "pixel"};
    char title[RECORD_MAX];
    int pad = 0, n = 0;
    for (int pass = 0; pass < 2; pass++) {
        snprintf(title, sizeof title, "Generated design %" PRIu64 "%*s", j, pad, "");
        n = snprintf(out, cap,
                     "{\"id\":\"%" PRIu64 "\",\"contest\":\"open\",\"creator\":\"%" PRIu64
                     "\",\"creator_name\":\"gen\",\"kind\":\"artwork\",\"title\":\"%s\","
                     "\"tags\":[\"%s\"],\"blob\":\"67d7b054a24255e642803cfeee11acd5ea3bc4b54997f"
                     "106951a2c36d4b5069a\",\"bytes\":1000,\"created\":%" PRIu64
                     ",\"status\":\"submitted\",\"hidden\":false,\"tally\":{\"votes\":%u,"
                     "\"supports\":%u,\"hearts\":%u},\"comments\":0,\"score\":%u,\"thumb\":"
                     "\"/t/%" PRIu64 ".png\"}",
                     j, 1 + j % 500, title, tags[j % 4], 1796540000 + j, score, score, score,
                     score, j);
        if (n >= bytes)
            break;
        pad = bytes - n;
    }
    return n;
}

/* Appends one batch of ZADD (or, records: MSET) of members i..i+k-1 to b. */
static size_t seed_batch(const struct rl *rl, char *b, size_t cap, uint64_t i, uint64_t k,
                         int records)
{
    size_t klen = strlen(rl->key);
    size_t len = (size_t)snprintf(b, cap, "*%" PRIu64 "\r\n", 1 + 2 * k + !records);
    len += records ? (size_t)snprintf(b + len, cap - len, "$4\r\nMSET\r\n")
                   : (size_t)snprintf(b + len, cap - len, "$4\r\nZADD\r\n$%zu\r\n%s\r\n", klen,
                                      rl->key);
    for (uint64_t j = i; j < i + k; j++) {
        unsigned sc = (unsigned)(1000.0 / pow((double)(1 + (j * 7919) % 1000), 0.8));
        char m[24], v[RECORD_MAX + 1];
        int ml = snprintf(m, sizeof m, "d%" PRIu64, j);
        if (records) {
            int vl = record(v, sizeof v, j, sc, rl->record_bytes);
            len += (size_t)snprintf(b + len, cap - len, "$%zu\r\n%s:%s\r\n$%d\r\n%s\r\n",
                                    klen + 1 + (size_t)ml, rl->key, m, vl, v);
        } else {
            int sl = snprintf(v, sizeof v, "%u", sc);
            len += (size_t)snprintf(b + len, cap - len, "$%d\r\n%s\r\n$%d\r\n%s\r\n", sl, v, ml,
                                    m);
        }
    }
    return len;
}

/* ZADD KEY in batches: member d<i> with a skewed score (like gendata's votes); with
 * --record-bytes, MSET KEY:d<i> to its record likewise. */
static int seed(struct rl *rl)
{
    int fd = dial(rl->port);
    if (fd < 0)
        return 1;
    const char *del[] = {"DEL", rl->key};
    if (command(fd, 2, del, NULL, 0) != 0)
        return 1;
    size_t cap = (size_t)SEED_BATCH * (RECORD_MAX + 128) + 128;
    char *b = malloc(cap);
    if (!b)
        return 1;
    long sent = 0, errs = 0;
    int passes = rl->record_bytes > 0 ? 2 : 1; /* the sorted set, then the records */
    for (int records = 0; records < passes; records++) {
        for (uint64_t i = 1; i <= rl->members; i += SEED_BATCH) {
            uint64_t k = rl->members - i + 1 < SEED_BATCH ? rl->members - i + 1 : SEED_BATCH;
            size_t len = seed_batch(rl, b, cap, i, k, records);
            if (write(fd, b, len) != (ssize_t)len)
                return 1;
            /* read as we go: the replies of a whole seed could fill both buffers */
            if (++sent % 16 == 0) {
                errs += read_replies(fd, 16, NULL, 0);
                sent = 0;
            }
        }
    }
    free(b);
    errs += read_replies(fd, sent, NULL, 0);
    close(fd);
    if (errs) {
        fprintf(stderr, "redisload: seeding failed\n");
        return 1;
    }
    char v[RECORD_MAX + 1];
    printf("{\"scenario\":\"seed\",\"members\":%" PRIu64 ",\"record_bytes\":%d}\n", rl->members,
           rl->record_bytes > 0 ? record(v, sizeof v, 1, 1, rl->record_bytes) : 0);
    return 0;
}

/* vote: loads VOTE_SCRIPT, names the keys, and gives each connection its voter (an
 * account name unique to the run, and a 64-hex pseudonym as cocreated's HMAC gives)
 * and its first design. Returns 0 or -1. */
static int vote_setup(struct rl *rl)
{
    int fd = dial(rl->port);
    if (fd < 0)
        return -1;
    const char *load[] = {"SCRIPT", "LOAD", VOTE_SCRIPT};
    long rc = command(fd, 3, load, rl->sha, sizeof rl->sha);
    close(fd);
    if (rc != 0 || strlen(rl->sha) != 40) {
        fprintf(stderr, "redisload: SCRIPT LOAD failed\n");
        return -1;
    }
    static const char *const suffix[] = {"votes", "log", "head"};
    for (int i = 0; i < 3; i++)
        snprintf(rl->keys[i], sizeof rl->keys[i], "%s:%s", rl->key, suffix[i]);
    char run[16];
    bench_run_id(run, sizeof run);
    for (int i = 0; i < rl->conns; i++) {
        struct rconn *c = &rl->rc[i];
        snprintf(c->voter, sizeof c->voter, "v%s_%d", run, i);
        for (int h = 0; h < 4; h++)
            snprintf(c->pseudonym + 16 * h, 17, "%016" PRIx64, bench_rand(&rl->rng));
        c->start = (uint64_t)i * rl->members / (uint64_t)rl->conns;
    }
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: redisload --port P --scenario ping|zincrby|zrevrange|vote|page|seed\n"
               "                 [--members 10000] [--conns 64] [--depth 1] [--seconds 5]\n"
               "                 [--warmup 1] [--key lb] [--offset O] [--record-bytes %d]\n",
            RECORD_BYTES);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"port", required_argument, NULL, 'p'},    {"scenario", required_argument, NULL, 'S'},
        {"members", required_argument, NULL, 'm'}, {"conns", required_argument, NULL, 'c'},
        {"depth", required_argument, NULL, 'd'},   {"seconds", required_argument, NULL, 's'},
        {"warmup", required_argument, NULL, 'w'},  {"key", required_argument, NULL, 'k'},
        {"offset", required_argument, NULL, 'o'},  {"record-bytes", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    static struct rl rl;
    rl.conns = 64, rl.depth = 1, rl.seconds = 5, rl.warmup = 1, rl.members = 10000;
    rl.key = "lb", rl.offset = -1, rl.record_bytes = RECORD_BYTES;
    int c, sc = -1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'p': rl.port = atoi(optarg); break;
        case 'S':
            for (int i = 0; i < (int)(sizeof names / sizeof *names); i++)
                if (!strcmp(optarg, names[i]))
                    sc = i;
            break;
        case 'm': rl.members = strtoull(optarg, NULL, 10); break;
        case 'c': rl.conns = atoi(optarg); break;
        case 'd': rl.depth = atoi(optarg); break;
        case 's': rl.seconds = atof(optarg); break;
        case 'w': rl.warmup = atof(optarg); break;
        case 'k': rl.key = optarg; break;
        case 'o': rl.offset = strtoll(optarg, NULL, 10); break;
        case 'r': rl.record_bytes = atoi(optarg); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (sc < 0 || rl.port < 1 || rl.conns < 1 || rl.depth < 1 || rl.members < 1 ||
        rl.seconds <= 0 || rl.offset < -1 || rl.record_bytes < 0 ||
        rl.record_bytes > RECORD_MAX || strlen(rl.key) > 64 || optind < argc) {
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
    if (rl.sc == SC_VOTE && vote_setup(&rl))
        return 1;
    for (int i = 0; i < rl.conns; i++) {
        struct rconn *r = &rl.rc[i];
        r->ring = calloc((size_t)rl.depth, sizeof *r->ring);
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
            send_request(&rl, &rl.rc[i]);
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
           "\"errors\":%" PRIu64 ",\"closed\":%" PRIu64 ",\"unanswered\":%" PRIu64
           ",\"ok_total\":%" PRIu64 ",\"bytes_in\":%" PRIu64 ",\"unchanged\":%" PRIu64 "}\n",
           names[rl.sc], rl.conns, rl.depth, secs, rl.ok_measured, rps,
           hist_quantile_ms(&rl.hist, 0.5), hist_quantile_ms(&rl.hist, 0.9),
           hist_quantile_ms(&rl.hist, 0.99), (double)rl.hist.max / 1000.0, rl.errors, rl.closed,
           rl.inflight, rl.ok_total, rl.bytes_in, rl.unchanged);
    fprintf(stderr, "redisload %s: %d conns x depth %d, %.2f s: %.0f req/s, p50 %.3f ms, p99 %.3f ms\n",
            names[rl.sc], rl.conns, rl.depth, secs, rps, hist_quantile_ms(&rl.hist, 0.5),
            hist_quantile_ms(&rl.hist, 0.99));
    for (int i = 0; i < rl.conns; i++) {
        if (rl.rc[i].fd >= 0)
            close(rl.rc[i].fd);
        free(rl.rc[i].ring);
        free(rl.rc[i].in);
    }
    free(rl.rc);
    close(rl.ep);
    return rl.errors || rl.closed || rl.inflight || !rl.ok_measured ? 3 : 0;
}
