/* wsclient: a small, fast WebSocket client for benchmarks and tests. One thread, plain
 * non-blocking sockets and epoll, many connections to one server (RFC 6455: masked
 * client frames, text/binary/continuation, ping→pong, close; 7/16/64-bit lengths).
 * No libwebsockets on purpose: the load generator must not share the stack it measures.
 *
 * Use: wsc_new → wsc_connect (or wsc_connect_many) → wsc_run in a loop, sending from the
 * callbacks → wsc_free. Thread use: everything on the thread that calls wsc_run. */
#ifndef CC_WSCLIENT_H
#define CC_WSCLIENT_H

#include <stddef.h>
#include <stdint.h>

/* Frame opcodes (RFC 6455 §5.2). */
enum wsc_opcode {
    WSC_CONT = 0x0,
    WSC_TEXT = 0x1,
    WSC_BINARY = 0x2,
    WSC_CLOSE = 0x8,
    WSC_PING = 0x9,
    WSC_PONG = 0xA,
};

/* Default bound of one received message (reassembled fragments included). */
#define WSC_DEFAULT_MAX_MESSAGE (16u << 20)

struct wsc;
struct wsc_conn;

struct wsc_handlers {
    void *user; /* passed to every callback */
    /* The handshake completed: c may send from now on. */
    void (*on_open)(struct wsc_conn *c, void *user);
    /* One whole message (fragments reassembled). data is borrowed until the callback
     * returns and is NUL-terminated (the NUL is not counted in len). */
    void (*on_message)(struct wsc_conn *c, int binary, const uint8_t *data, size_t len,
                       void *user);
    /* c is closed (by either side, or it never opened). code is the peer's close code,
     * or 0 with why set when the connection failed or broke the protocol. c is freed
     * after this returns: drop every pointer to it. */
    void (*on_close)(struct wsc_conn *c, int code, const char *why, void *user);
};

struct wsc_config {
    const char *host;         /* IPv4 address, e.g. "127.0.0.1" */
    int port;
    const char *path;         /* request path; NULL = "/ws" */
    const char *protocol;     /* Sec-WebSocket-Protocol to ask for and verify; NULL = none */
    size_t max_message;       /* 0 = WSC_DEFAULT_MAX_MESSAGE; larger closes with 1009 */
    uint64_t seed;            /* mask PRNG seed; 0 = from the clock */
};

/* Counters over all connections of a client. */
struct wsc_stats {
    uint64_t open;            /* connections open now */
    uint64_t opened, failed;  /* handshakes completed / connections that never opened */
    uint64_t msgs_in, msgs_out, bytes_in, bytes_out;
};

/* Creates a client (no connections yet). Returns 0 or -errno; cfg's strings are copied. */
int wsc_new(struct wsc **out, const struct wsc_config *cfg, const struct wsc_handlers *h);
/* Closes every connection at once (no close handshake, no callbacks) and frees w.
 * NULL-safe. Do not call from a callback. */
void wsc_free(struct wsc *w);

/* Connections started from now on go to port (of the same host; the ones started before
 * keep theirs): one client for several servers. Returns 0 or -EINVAL. */
int wsc_set_port(struct wsc *w, int port);

/* Starts one connection; on_open or on_close follows from wsc_run. user is stored in
 * the connection (wsc_conn_user). Returns the connection, or NULL with errno set when
 * no socket could be made (EMFILE, ...); then no callback fires. */
struct wsc_conn *wsc_connect(struct wsc *w, void *user);
/* Connects n connections, keeping at most batch handshakes pending at once, and runs
 * the loop until all are open or failed or timeout_ms passed (stragglers are closed).
 * conns[i] (conns may be NULL) gets the i-th connection, users[i] (users may be NULL)
 * its user pointer. Returns how many opened. A failed one got on_close (or, when not
 * even a socket could be made, no callback) and its conns[i] is NULL. */
int wsc_connect_many(struct wsc *w, int n, int batch, int timeout_ms, struct wsc_conn **conns,
                     void **users);
/* Flushes pending output, then waits up to timeout_ms for events and handles them
 * (callbacks run from here). Returns the number of events handled, or -errno. */
int wsc_run(struct wsc *w, int timeout_ms);

/* wsc_connect_many over several servers of the same host: connection i goes to
 * ports[i * nports / n] (contiguous blocks, as even as n allows). Returns how many
 * opened. */
int wsc_connect_spread(struct wsc *w, const int *ports, int nports, int n, int batch,
                       int timeout_ms, struct wsc_conn **conns, void **users);

/* Queues one whole message as a single masked frame (a copy of data); the bytes go out
 * from the next wsc_run (or wsc_flush). Returns 0, or -EPIPE when c is closing. */
int wsc_send_text(struct wsc_conn *c, const char *data, size_t len);
int wsc_send_binary(struct wsc_conn *c, const void *data, size_t len);
/* Queues one frame with any opcode and FIN bit: for fragmented messages (WSC_TEXT/
 * WSC_BINARY with fin = 0, then WSC_CONT frames) and for hand-made control frames. */
int wsc_send_frame(struct wsc_conn *c, enum wsc_opcode op, int fin, const void *data,
                   size_t len);
/* Writes what every connection has queued, as far as the sockets take it now. */
void wsc_flush(struct wsc *w);
/* Sends a close frame with code (and no reason) and closes once the peer answers, or
 * at once when the handshake is not done. on_close follows. */
void wsc_close(struct wsc_conn *c, int code);

/* Closes every open connection with code (close handshakes) and runs the loop until
 * all are closed or timeout_ms passed. Do not call from a callback. */
void wsc_close_all(struct wsc *w, int code, int timeout_ms);

/* The user pointer given at connect; wsc_conn_set_user replaces it. */
void *wsc_conn_user(const struct wsc_conn *c);
void wsc_conn_set_user(struct wsc_conn *c, void *user);
/* Whether the handshake completed and the connection is not closing. */
int wsc_conn_is_open(const struct wsc_conn *c);
/* Bytes queued on c and not yet written to its socket. */
size_t wsc_conn_queued(const struct wsc_conn *c);
/* The client's counters. */
void wsc_get_stats(const struct wsc *w, struct wsc_stats *out);

/* Raises RLIMIT_NOFILE's soft limit to at least want descriptors (up to the hard
 * limit). Returns the soft limit now in force. */
long wsc_raise_fd_limit(long want);
/* Monotonic clock in nanoseconds. */
uint64_t wsc_now_ns(void);

#endif
