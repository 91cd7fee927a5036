/* wsclient: see wsclient.h. Reads go into one client-wide scratch buffer and frames
 * are parsed from there in place; only the bytes of an incomplete frame are copied into
 * the connection, so 10,000 idle connections cost little more than their sockets.
 * Output is queued per connection and written once per wsc_run, so the replies a
 * callback sends while handling one batch of events leave in few system calls. */
#include "wsclient.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Bytes read per read(2) into the shared scratch buffer. */
#define SCRATCH_SIZE (256 * 1024)
/* Longest HTTP response head accepted during the handshake. */
#define MAX_HANDSHAKE 8192
/* Output buffers bigger than this are given back once they drain. */
#define OUT_KEEP (64 * 1024)
/* Events taken per epoll_wait. */
#define MAX_EVENTS 1024
/* RFC 6455 §1.3: the GUID appended to the key before hashing. */
static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

enum conn_state {
    ST_CONNECTING, /* TCP connect in progress */
    ST_HANDSHAKE,  /* request sent, waiting for 101 */
    ST_OPEN,
    ST_CLOSING,    /* we sent a close frame */
    ST_DEAD,       /* fd closed, on_close ran; freed at the end of wsc_run */
};

struct wsc_conn {
    struct wsc *w;
    int fd;
    enum conn_state state;
    int epollout;       /* EPOLLOUT is in the interest set */
    int dirty;          /* on w->dirty */
    int peer_close;     /* close code the peer sent (0 = none yet) */
    int many;           /* started by the wsc_connect_many in progress */
    void *user;
    struct wsc_conn **slot; /* wsc_connect_many's conns[i], cleared if c dies */
    uint64_t rng;
    char accept[32];    /* the Sec-WebSocket-Accept we expect */
    /* bytes of an incomplete frame (or handshake) carried to the next read */
    uint8_t *in;
    size_t in_len, in_cap;
    /* a fragmented message being reassembled; msg_op 0 = none */
    uint8_t *msg;
    size_t msg_len, msg_cap;
    int msg_op;
    /* output not yet written: out[out_off, out_len) */
    uint8_t *out;
    size_t out_off, out_len, out_cap;
    struct wsc_conn *next_dirty, *next_dead;
    struct wsc_conn *prev_all, *next_all;
};

struct wsc {
    int ep;
    char *host, *path, *protocol;
    int port;
    struct sockaddr_in addr;
    size_t max_message;
    uint64_t seed;
    uint64_t serial;
    struct wsc_handlers h;
    struct wsc_stats stats;
    int many_pending; /* connections of wsc_connect_many still connecting/handshaking */
    struct wsc_conn *all, *dirty, *dead;
    uint8_t *scratch; /* SCRATCH_SIZE + 1 (room for the NUL after a message) */
};

/* ---- small helpers ---- */

uint64_t wsc_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

long wsc_raise_fd_limit(long want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl))
        return -1;
    if (rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur < want) {
        rlim_t target = (rlim_t)want;
        if (rl.rlim_max != RLIM_INFINITY && target > rl.rlim_max)
            target = rl.rlim_max;
        rl.rlim_cur = target;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur == RLIM_INFINITY ? want : (long)rl.rlim_cur;
}

/* xorshift64*: a cheap PRNG for masks and handshake keys (RFC 6455 asks for
 * unpredictable masks against proxies; on 127.0.0.1 a fast PRNG is what we want). */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static void *xrealloc_or_die(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q) {
        fprintf(stderr, "wsclient: out of memory (%zu bytes)\n", n);
        abort();
    }
    return q;
}

/* Grows *buf (capacity *cap) to hold at least need bytes. */
static void reserve(uint8_t **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return;
    size_t n = *cap ? *cap : 256;
    while (n < need)
        n *= 2;
    *buf = xrealloc_or_die(*buf, n);
    *cap = n;
}

/* ---- connection lifetime ---- */

static void set_epollout(struct wsc_conn *c, int on)
{
    if (c->epollout == on)
        return;
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(c->w->ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->epollout = on;
}

/* Closes c's socket and reports it; the memory goes at the end of wsc_run. */
static void conn_kill(struct wsc_conn *c, int code, const char *why)
{
    struct wsc *w = c->w;
    if (c->state == ST_DEAD)
        return;
    if (c->state == ST_CONNECTING || c->state == ST_HANDSHAKE) {
        w->many_pending -= c->many;
        w->stats.failed++;
    } else {
        w->stats.open--;
    }
    c->state = ST_DEAD;
    epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    if (c->slot)
        *c->slot = NULL;
    c->next_dead = w->dead;
    w->dead = c;
    if (w->h.on_close)
        w->h.on_close(c, code, why, w->h.user);
}

static void conn_free(struct wsc_conn *c)
{
    struct wsc *w = c->w;
    if (c->prev_all)
        c->prev_all->next_all = c->next_all;
    else
        w->all = c->next_all;
    if (c->next_all)
        c->next_all->prev_all = c->prev_all;
    free(c->in);
    free(c->msg);
    free(c->out);
    free(c);
}

static void reap(struct wsc *w)
{
    while (w->dead) {
        struct wsc_conn *c = w->dead;
        w->dead = c->next_dead;
        /* A connection that was sent to and then died in the same turn is still on the
         * dirty list: take it off before it is freed (wsc_flush would read it). */
        for (struct wsc_conn **p = &w->dirty; c->dirty && *p; p = &(*p)->next_dirty)
            if (*p == c) {
                *p = c->next_dirty;
                c->dirty = 0;
                break;
            }
        conn_free(c);
    }
}

/* ---- output ---- */

static void mark_dirty(struct wsc_conn *c)
{
    if (c->dirty)
        return;
    c->dirty = 1;
    c->next_dirty = c->w->dirty;
    c->w->dirty = c;
}

/* Writes c's queued bytes while the socket takes them. Returns 0 or -1 (c died). */
static int conn_write(struct wsc_conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                set_epollout(c, 1);
                return 0;
            }
            conn_kill(c, 0, strerror(errno));
            return -1;
        }
        c->out_off += (size_t)n;
        c->w->stats.bytes_out += (uint64_t)n;
    }
    c->out_off = c->out_len = 0;
    if (c->out_cap > OUT_KEEP) {
        free(c->out);
        c->out = NULL;
        c->out_cap = 0;
    }
    if (c->state != ST_CONNECTING)
        set_epollout(c, 0);
    return 0;
}

void wsc_flush(struct wsc *w)
{
    while (w->dirty) {
        struct wsc_conn *c = w->dirty;
        w->dirty = c->next_dirty;
        c->dirty = 0;
        if (c->state != ST_DEAD && c->state != ST_CONNECTING && !c->epollout)
            conn_write(c);
    }
}

/* XORs n bytes of src with the 4-byte mask into dst, 8 bytes at a time. */
static void mask_copy(uint8_t *dst, const uint8_t *src, size_t n, const uint8_t mask[4])
{
    uint8_t m8[8];
    uint64_t m, v;
    memcpy(m8, mask, 4);
    memcpy(m8 + 4, mask, 4);
    memcpy(&m, m8, 8);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&v, src + i, 8);
        v ^= m;
        memcpy(dst + i, &v, 8);
    }
    for (; i < n; i++)
        dst[i] = src[i] ^ mask[i & 3];
}

/* Appends one masked frame to c's output. */
static void queue_frame(struct wsc_conn *c, int op, int fin, const void *data, size_t len)
{
    uint8_t hdr[14];
    size_t h = 0;
    hdr[h++] = (uint8_t)((fin ? 0x80 : 0) | (op & 0x0f));
    if (len < 126) {
        hdr[h++] = (uint8_t)(0x80 | len);
    } else if (len <= 0xffff) {
        hdr[h++] = 0x80 | 126;
        hdr[h++] = (uint8_t)(len >> 8);
        hdr[h++] = (uint8_t)len;
    } else {
        hdr[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            hdr[h++] = (uint8_t)((uint64_t)len >> (8 * i));
    }
    uint32_t key = (uint32_t)(rng_next(&c->rng) >> 32);
    uint8_t *mask = hdr + h;
    memcpy(mask, &key, 4);
    h += 4;
    reserve(&c->out, &c->out_cap, c->out_len + h + len);
    memcpy(c->out + c->out_len, hdr, h);
    if (len)
        mask_copy(c->out + c->out_len + h, data, len, mask);
    c->out_len += h + len;
    c->w->stats.msgs_out++;
    mark_dirty(c);
}

int wsc_send_frame(struct wsc_conn *c, enum wsc_opcode op, int fin, const void *data,
                   size_t len)
{
    if (c->state != ST_OPEN)
        return -EPIPE;
    queue_frame(c, (int)op, fin, data, len);
    return 0;
}

int wsc_send_text(struct wsc_conn *c, const char *data, size_t len)
{
    return wsc_send_frame(c, WSC_TEXT, 1, data, len);
}

int wsc_send_binary(struct wsc_conn *c, const void *data, size_t len)
{
    return wsc_send_frame(c, WSC_BINARY, 1, data, len);
}

void wsc_close(struct wsc_conn *c, int code)
{
    if (c->state == ST_CONNECTING || c->state == ST_HANDSHAKE) {
        conn_kill(c, 0, "closed before the handshake completed");
        return;
    }
    if (c->state != ST_OPEN)
        return;
    uint8_t body[2] = {(uint8_t)(code >> 8), (uint8_t)code};
    queue_frame(c, WSC_CLOSE, 1, body, code ? 2 : 0);
    c->state = ST_CLOSING;
}

/* ---- input ---- */

/* A protocol violation by the server: close with code 1002 (or 1009) and report why. */
static void fail(struct wsc_conn *c, int code, const char *why)
{
    if (c->state == ST_OPEN) {
        uint8_t body[2] = {(uint8_t)(code >> 8), (uint8_t)code};
        queue_frame(c, WSC_CLOSE, 1, body, 2);
        conn_write(c);
    }
    if (c->state != ST_DEAD)
        conn_kill(c, 0, why);
}

static void deliver(struct wsc_conn *c, int op, uint8_t *data, size_t len)
{
    struct wsc *w = c->w;
    w->stats.msgs_in++;
    if (!w->h.on_message)
        return;
    /* data[len] is always inside the buffer (one spare byte): NUL it for the callback
     * and put back what was there (the next frame's first byte). */
    uint8_t saved = data[len];
    data[len] = 0;
    w->h.on_message(c, op == WSC_BINARY, data, len, w->h.user);
    data[len] = saved;
}

static void on_control(struct wsc_conn *c, int op, const uint8_t *p, size_t len)
{
    if (op == WSC_PING) {
        if (c->state == ST_OPEN)
            queue_frame(c, WSC_PONG, 1, p, len);
        return;
    }
    if (op == WSC_PONG)
        return;
    /* WSC_CLOSE: answer (unless we started it), then close the socket. */
    int code = len >= 2 ? (p[0] << 8 | p[1]) : 1005;
    c->peer_close = code;
    if (c->state == ST_OPEN) {
        queue_frame(c, WSC_CLOSE, 1, p, len >= 2 ? 2 : 0);
        c->state = ST_CLOSING;
        conn_write(c);
    }
    if (c->state != ST_DEAD)
        conn_kill(c, code, NULL);
}

/* Parses whole frames from buf[0, len) (buf has one spare byte after len). Returns the
 * bytes consumed, or -1 when c died. */
static long parse_frames(struct wsc_conn *c, uint8_t *buf, size_t len)
{
    struct wsc *w = c->w;
    size_t pos = 0;
    while (c->state == ST_OPEN || c->state == ST_CLOSING) {
        uint8_t *p = buf + pos;
        size_t avail = len - pos;
        if (avail < 2)
            break;
        int fin = p[0] & 0x80, op = p[0] & 0x0f;
        size_t h = 2;
        uint64_t plen = p[1] & 0x7f;
        if (p[0] & 0x70) {
            fail(c, 1002, "frame with reserved bits set");
            return -1;
        }
        if (p[1] & 0x80) {
            fail(c, 1002, "masked frame from the server");
            return -1;
        }
        if (plen == 126) {
            if (avail < 4)
                break;
            plen = (uint64_t)p[2] << 8 | p[3];
            h = 4;
        } else if (plen == 127) {
            if (avail < 10)
                break;
            plen = 0;
            for (int i = 0; i < 8; i++)
                plen = plen << 8 | p[2 + i];
            h = 10;
        }
        if (op >= 8) {
            if (!fin || plen > 125) {
                fail(c, 1002, "fragmented or long control frame");
                return -1;
            }
        } else if (op != WSC_CONT && op != WSC_TEXT && op != WSC_BINARY) {
            fail(c, 1002, "unknown opcode");
            return -1;
        }
        if (plen > w->max_message || (op == WSC_CONT && c->msg_len + plen > w->max_message)) {
            fail(c, 1009, "message larger than max_message");
            return -1;
        }
        if (avail - h < plen)
            break;
        uint8_t *data = p + h;
        size_t n = (size_t)plen;
        pos += h + n;
        if (op >= 8) {
            on_control(c, op, data, n);
            continue;
        }
        if (op == WSC_CONT) {
            if (!c->msg_op) {
                fail(c, 1002, "continuation without a message");
                return -1;
            }
        } else if (c->msg_op) {
            fail(c, 1002, "new message inside a fragmented one");
            return -1;
        } else if (fin) {
            deliver(c, op, data, n);
            continue;
        } else {
            c->msg_op = op;
        }
        reserve(&c->msg, &c->msg_cap, c->msg_len + n + 1);
        memcpy(c->msg + c->msg_len, data, n);
        c->msg_len += n;
        if (fin) {
            int mop = c->msg_op;
            size_t mlen = c->msg_len;
            c->msg_op = 0;
            c->msg_len = 0;
            deliver(c, mop, c->msg, mlen);
        }
    }
    if (c->state == ST_DEAD)
        return -1;
    return (long)pos;
}

/* Finds the value of header name (lowercase) in the response head; copies it. */
static int header_value(const char *head, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    const char *line = strstr(head, "\r\n");
    while (line && line[2] != '\r') {
        line += 2;
        if (!strncasecmp(line, name, nl) && line[nl] == ':') {
            const char *v = line + nl + 1, *end = strstr(v, "\r\n");
            while (*v == ' ' || *v == '\t')
                v++;
            size_t n = (size_t)(end - v);
            while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
                n--;
            if (n >= outlen)
                return -1;
            memcpy(out, v, n);
            out[n] = '\0';
            return 0;
        }
        line = strstr(line, "\r\n");
    }
    return -1;
}

/* Checks the server's 101 response in c->in. Returns the head's length (> 0), 0 when
 * it is not complete yet, or -1 when c died. */
static long check_handshake(struct wsc_conn *c)
{
    struct wsc *w = c->w;
    reserve(&c->in, &c->in_cap, c->in_len + 1);
    c->in[c->in_len] = 0;
    const char *head = (const char *)c->in;
    const char *end = strstr(head, "\r\n\r\n");
    if (!end) {
        if (c->in_len > MAX_HANDSHAKE || strlen(head) != c->in_len) {
            conn_kill(c, 0, "malformed handshake response");
            return -1;
        }
        return 0;
    }
    char val[128], why[200];
    if (strncmp(head, "HTTP/1.1 101", 12)) {
        const char *eol = strstr(head, "\r\n");
        snprintf(why, sizeof why, "handshake refused: %.*s", (int)(eol - head), head);
        conn_kill(c, 0, why);
        return -1;
    }
    if (header_value(head, "sec-websocket-accept", val, sizeof val) ||
        strcmp(val, c->accept)) {
        conn_kill(c, 0, "handshake: wrong or missing Sec-WebSocket-Accept");
        return -1;
    }
    if (w->protocol && (header_value(head, "sec-websocket-protocol", val, sizeof val) ||
                        strcmp(val, w->protocol))) {
        conn_kill(c, 0, "handshake: the server did not accept our subprotocol");
        return -1;
    }
    return (long)(end + 4 - head);
}

/* Handles the bytes just read (in w->scratch or appended to c->in). */
static void conn_input(struct wsc_conn *c, size_t n)
{
    struct wsc *w = c->w;
    w->stats.bytes_in += n;
    if (c->state == ST_HANDSHAKE || c->in_len) {
        reserve(&c->in, &c->in_cap, c->in_len + n + 1);
        memcpy(c->in + c->in_len, w->scratch, n);
        c->in_len += n;
        size_t used = 0;
        if (c->state == ST_HANDSHAKE) {
            long hl = check_handshake(c);
            if (hl <= 0)
                return;
            used = (size_t)hl;
            c->state = ST_OPEN;
            w->many_pending -= c->many;
            w->stats.opened++;
            w->stats.open++;
            if (w->h.on_open)
                w->h.on_open(c, w->h.user);
            if (c->state != ST_OPEN)
                return;
        }
        long got = parse_frames(c, c->in + used, c->in_len - used);
        if (got < 0)
            return;
        used += (size_t)got;
        memmove(c->in, c->in + used, c->in_len - used);
        c->in_len -= used;
        return;
    }
    long got = parse_frames(c, w->scratch, n);
    if (got < 0 || (size_t)got == n)
        return;
    size_t rest = n - (size_t)got;
    reserve(&c->in, &c->in_cap, rest + 1);
    memcpy(c->in, w->scratch + got, rest);
    c->in_len = rest;
}

static void conn_readable(struct wsc_conn *c)
{
    struct wsc *w = c->w;
    for (int i = 0; i < 4 && c->state != ST_DEAD; i++) {
        ssize_t n = read(c->fd, w->scratch, SCRATCH_SIZE);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                conn_kill(c, 0, strerror(errno));
            return;
        }
        if (n == 0) {
            if (c->state == ST_HANDSHAKE)
                conn_kill(c, 0, "the server closed the connection during the handshake");
            else
                conn_kill(c, c->peer_close ? c->peer_close : 1006,
                          c->peer_close ? NULL : "connection closed by the server");
            return;
        }
        conn_input(c, (size_t)n);
        if (n < SCRATCH_SIZE)
            return;
    }
}

/* The TCP connect finished (or failed): send the handshake request. */
static void conn_connected(struct wsc_conn *c)
{
    int err = 0;
    socklen_t el = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err) {
        conn_kill(c, 0, strerror(err));
        return;
    }
    c->state = ST_HANDSHAKE;
    conn_write(c);
}

/* ---- client ---- */

int wsc_new(struct wsc **out, const struct wsc_config *cfg, const struct wsc_handlers *h)
{
    *out = NULL;
    struct wsc *w = calloc(1, sizeof *w);
    if (!w)
        return -ENOMEM;
    w->addr.sin_family = AF_INET;
    w->addr.sin_port = htons((uint16_t)cfg->port);
    if (inet_pton(AF_INET, cfg->host, &w->addr.sin_addr) != 1) {
        free(w);
        return -EINVAL;
    }
    w->ep = epoll_create1(EPOLL_CLOEXEC);
    if (w->ep < 0) {
        int e = errno;
        free(w);
        return -e;
    }
    w->host = strdup(cfg->host);
    w->path = strdup(cfg->path ? cfg->path : "/ws");
    w->protocol = cfg->protocol ? strdup(cfg->protocol) : NULL;
    w->port = cfg->port;
    w->max_message = cfg->max_message ? cfg->max_message : WSC_DEFAULT_MAX_MESSAGE;
    w->seed = cfg->seed ? cfg->seed : wsc_now_ns() ^ ((uint64_t)getpid() << 32);
    w->h = *h;
    w->scratch = malloc(SCRATCH_SIZE + 1);
    if (!w->host || !w->path || (cfg->protocol && !w->protocol) || !w->scratch) {
        wsc_free(w);
        return -ENOMEM;
    }
    *out = w;
    return 0;
}

void wsc_free(struct wsc *w)
{
    if (!w)
        return;
    reap(w);
    while (w->all) {
        struct wsc_conn *c = w->all;
        if (c->fd >= 0)
            close(c->fd);
        conn_free(c);
    }
    if (w->ep >= 0)
        close(w->ep);
    free(w->host);
    free(w->path);
    free(w->protocol);
    free(w->scratch);
    free(w);
}

int wsc_set_port(struct wsc *w, int port)
{
    if (port < 1 || port > 65535)
        return -EINVAL;
    w->addr.sin_port = htons((uint16_t)port); /* wsc_connect reads both at once */
    w->port = port;
    return 0;
}

static void base64(const uint8_t *in, size_t n, char *out)
{
    EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

struct wsc_conn *wsc_connect(struct wsc *w, void *user)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return NULL;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&w->addr, sizeof w->addr) && errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        errno = e;
        return NULL;
    }
    struct wsc_conn *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        errno = ENOMEM;
        return NULL;
    }
    c->w = w;
    c->fd = fd;
    c->user = user;
    c->state = ST_CONNECTING;
    c->rng = w->seed ^ (++w->serial * 0x9E3779B97F4A7C15ull);
    if (!c->rng)
        c->rng = 1;

    /* The handshake request waits in the output buffer until the connect completes. */
    uint8_t key[16];
    char key64[32], buf[1024];
    for (int i = 0; i < 16; i += 8) {
        uint64_t r = rng_next(&c->rng);
        memcpy(key + i, &r, 8);
    }
    base64(key, sizeof key, key64);
    char cat[64];
    uint8_t digest[SHA_DIGEST_LENGTH];
    int cl = snprintf(cat, sizeof cat, "%s%s", key64, ws_guid);
    SHA1((const unsigned char *)cat, (size_t)cl, digest);
    base64(digest, sizeof digest, c->accept);
    int n = snprintf(buf, sizeof buf,
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                     "Sec-WebSocket-Version: 13\r\n%s%s%s\r\n",
                     w->path, w->host, w->port, key64,
                     w->protocol ? "Sec-WebSocket-Protocol: " : "",
                     w->protocol ? w->protocol : "", w->protocol ? "\r\n" : "");
    reserve(&c->out, &c->out_cap, (size_t)n);
    memcpy(c->out, buf, (size_t)n);
    c->out_len = (size_t)n;

    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev)) {
        int e = errno;
        close(fd);
        free(c->out);
        free(c);
        errno = e;
        return NULL;
    }
    c->epollout = 1;
    c->next_all = w->all;
    if (w->all)
        w->all->prev_all = c;
    w->all = c;
    return c;
}

int wsc_run(struct wsc *w, int timeout_ms)
{
    struct epoll_event ev[MAX_EVENTS];
    wsc_flush(w);
    int n = epoll_wait(w->ep, ev, MAX_EVENTS, timeout_ms);
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    for (int i = 0; i < n; i++) {
        struct wsc_conn *c = ev[i].data.ptr;
        uint32_t e = ev[i].events;
        if (c->state == ST_DEAD)
            continue;
        if (c->state == ST_CONNECTING) {
            if (e & (EPOLLOUT | EPOLLERR | EPOLLHUP))
                conn_connected(c);
            continue;
        }
        if ((e & EPOLLOUT) && conn_write(c))
            continue;
        if (e & (EPOLLIN | EPOLLHUP | EPOLLERR))
            conn_readable(c);
    }
    reap(w);
    return n;
}

int wsc_connect_many(struct wsc *w, int n, int batch, int timeout_ms, struct wsc_conn **conns,
                     void **users)
{
    uint64_t deadline = wsc_now_ns() + (uint64_t)timeout_ms * 1000000u;
    uint64_t opened0 = w->stats.opened;
    int started = 0;
    if (batch < 1)
        batch = 1;
    if (conns)
        for (int i = 0; i < n; i++)
            conns[i] = NULL;
    w->many_pending = 0;
    for (;;) {
        if ((started == n && w->many_pending == 0) || wsc_now_ns() >= deadline)
            break;
        for (; started < n && w->many_pending < batch; started++) {
            struct wsc_conn *c = wsc_connect(w, users ? users[started] : NULL);
            if (!c) {
                w->stats.failed++; /* no socket: no callback, conns[i] stays NULL */
                continue;
            }
            c->many = 1;
            w->many_pending++;
            if (conns) {
                conns[started] = c;
                c->slot = &conns[started];
            }
        }
        wsc_run(w, 10);
    }
    /* Give up on the stragglers (their on_close runs), then forget this call. */
    for (struct wsc_conn *c = w->all; c; c = c->next_all)
        if (c->many && (c->state == ST_CONNECTING || c->state == ST_HANDSHAKE))
            conn_kill(c, 0, "connect timed out");
    for (struct wsc_conn *c = w->all; c; c = c->next_all) {
        c->many = 0;
        c->slot = NULL;
    }
    w->many_pending = 0;
    reap(w);
    return (int)(w->stats.opened - opened0);
}

int wsc_connect_spread(struct wsc *w, const int *ports, int nports, int n, int batch,
                       int timeout_ms, struct wsc_conn **conns, void **users)
{
    int opened = 0, keep = w->port;
    for (int i = 0, j; i < n; i = j) {
        long g = (long)i * nports / n;
        for (j = i; j < n && (long)j * nports / n == g; j++)
            ;
        if (wsc_set_port(w, ports[g]))
            break;
        opened += wsc_connect_many(w, j - i, batch, timeout_ms, conns ? conns + i : NULL,
                                   users ? users + i : NULL);
    }
    wsc_set_port(w, keep);
    return opened;
}

void wsc_close_all(struct wsc *w, int code, int timeout_ms)
{
    for (struct wsc_conn *c = w->all; c; c = c->next_all)
        if (c->state == ST_OPEN)
            wsc_close(c, code);
    uint64_t end = wsc_now_ns() + (uint64_t)timeout_ms * 1000000u;
    while (w->stats.open > 0 && wsc_now_ns() < end)
        wsc_run(w, 5);
}

void *wsc_conn_user(const struct wsc_conn *c)
{
    return c->user;
}

void wsc_conn_set_user(struct wsc_conn *c, void *user)
{
    c->user = user;
}

int wsc_conn_is_open(const struct wsc_conn *c)
{
    return c->state == ST_OPEN;
}

size_t wsc_conn_queued(const struct wsc_conn *c)
{
    return c->out_len - c->out_off;
}

void wsc_get_stats(const struct wsc *w, struct wsc_stats *out)
{
    *out = w->stats;
}
