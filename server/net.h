/* The network layer: libwebsockets running on the application's libuv loop as a
 * foreign loop, serving WebSocket (`/ws`, subprotocol cocreate.v1) and HTTP on one
 * port. It owns connections, reassembles text messages (≤ NET_MAX_TEXT bytes), streams
 * binary fragments, keeps a bounded send queue per connection, and hands everything
 * else to the application through struct net_handlers.
 *
 * Thread use: loop thread only. */
#ifndef CC_NET_H
#define CC_NET_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "histo.h"

/* SPEC §6: text frames ≤ 64 KiB. */
#define NET_MAX_TEXT (64 * 1024)
/* Default bound of one connection's outgoing queue (SPEC §6 bounded memory). */
#define NET_DEFAULT_SEND_QUEUE (4u << 20)
/* HTTP request limits (RFC 9110 §15.5.15, §15.5.20; docs/protocol.md, HTTP). A request
 * target (the path lws hands over, after percent-decoding and dot-segment removal, plus
 * `?` and the query) longer than NET_HTTP_MAX_URL bytes is answered 414; header fields
 * longer than NET_HTTP_MAX_HEADER_BYTES in total (each counted as `Name: value` CRLF)
 * 431. Both then close the connection. */
#define NET_HTTP_MAX_URL 4096
#define NET_HTTP_MAX_HEADER_BYTES (8 * 1024)
/* Default SO_SNDBUF of a WebSocket connection's socket (the kernel doubles it for its
 * bookkeeping). Without it Linux grows a socket's send buffer up to tcp_wmem's maximum
 * (4 MiB here) for a peer that stops reading: 1,000 stalled subscribers would hold up
 * to 4 GB of kernel memory. WebSocket traffic from the server is small messages; HTTP
 * responses (thumbnails, originals, exports) keep the kernel's autotuning. */
#define NET_DEFAULT_WS_SNDBUF (64u << 10)

struct net;
struct net_conn;
struct net_http;

struct net_handlers {
    void *user;
    /* A WebSocket connection opened; its app area (app_size bytes) is zeroed. */
    void (*on_open)(struct net_conn *c, void *user);
    /* One whole text message of len ≤ NET_MAX_TEXT bytes (NUL-terminated; buf borrowed). */
    void (*on_text)(struct net_conn *c, char *buf, size_t len, void *user);
    /* A text message longer than NET_MAX_TEXT arrived and was discarded. */
    void (*on_text_too_large)(struct net_conn *c, size_t len, void *user);
    /* Part of a binary message (buf borrowed); final = last part of the message. */
    void (*on_binary)(struct net_conn *c, const uint8_t *buf, size_t len, int final, void *user);
    /* The send queue has just been written out completely (it had something queued):
     * a reader that fell behind has caught up. May be NULL. */
    void (*on_drain)(struct net_conn *c, void *user);
    /* The connection closed; the app area stays valid until the last reference goes. */
    void (*on_close)(struct net_conn *c, void *user);
    /* An HTTP GET or HEAD for path (borrowed): answer it with net_http_respond*, now
     * or, after net_http_hold, later. Answer a HEAD exactly as a GET: this layer sends
     * its headers (Content-Length included) without the body. Other methods never get
     * here (405), nor requests past the limits above (414, 431). */
    void (*on_http)(struct net_http *h, const char *path, void *user);
};

struct net_config {
    const char *host;       /* IPv4 address to listen on */
    int port;
    size_t app_size;        /* bytes of per-connection application area */
    size_t send_queue_max;  /* 0 = NET_DEFAULT_SEND_QUEUE */
    size_t ws_sndbuf;       /* SO_SNDBUF of WebSocket sockets; 0 = the kernel's autotuning */
    const char *tls_cert;   /* PEM certificate (chain) file: TLS on the port; NULL = none */
    const char *tls_key;    /* PEM private key file of tls_cert */
};

struct net_stats {
    uint64_t conns_open, conns_total, conns_refused;
    uint64_t msgs_in, msgs_out, bytes_in, bytes_out, http_requests;
    uint64_t queue_overflows;
};

/* Creates the lws context on loop and starts listening. Returns 0, or CC_EINTERNAL with
 * a one-line reason in err (port in use, the libuv plugin missing, ...). On failure the
 * caller runs the loop until it returns and then calls net_free. */
int net_start(struct net **out, uv_loop_t *loop, const struct net_config *cfg,
              const struct net_handlers *h, char *err, size_t errlen);
/* Checks before a start that cert (a PEM certificate, the server's first, then its
 * chain) and key (its PEM private key) can be read and belong together, so that a bad
 * file is a clear error rather than lws's failure to make its vhost. Returns 0, or -1
 * with a one-line reason in err. */
int net_tls_check(const char *cert, const char *key, char *err, size_t errlen);
/* Refuse new TCP connections from now on (graceful shutdown). */
void net_refuse_new(struct net *n);
/* Bytes waiting in all send queues. */
size_t net_queued_total(const struct net *n);
/* Bytes the net keeps for reuse (net_buf_take's buffers, queued messages' headers). */
size_t net_spare_bytes(const struct net *n);
void net_get_stats(const struct net *n, struct net_stats *out);
/* Graceful shutdown: closes every WebSocket connection with status 1001 (going away)
 * once its queue is sent, by the closing handshake: lws sends the close frame and
 * waits (reading and dropping what the client still sends) for the client's own close
 * before closing the socket. A socket closed with unread input is reset by the kernel,
 * and a reset discards the replies still in its send buffer. */
void net_close_all(struct net *n);
/* WebSocket connections open now. */
size_t net_conns_open(const struct net *n);
/* Begins destroying the context (closes every connection at once). Call once, from a
 * loop callback. NULL-safe. */
void net_stop(struct net *n);
/* After uv_run returned: finishes the destruction and frees n. NULL-safe. */
void net_free(struct net *n);
/* Corked, messages wait in their connections' queues; net_uncork writes them, each
 * connection's in order, as far as its socket takes them (the rest goes out when it
 * can, as before). The net corks itself before each poll of the loop and uncorks
 * after it: the replies to what one poll brought (and the writer's batch it finished)
 * leave together, after the work that made them, so a client's thread is woken once
 * for all of its replies rather than for each, and the replies cost fewer wake-ups to
 * write. The send queue's bound counts what the socket did not take at net_uncork. */
void net_cork(struct net *n);
void net_uncork(struct net *n);

/* The connection's application area (app_size bytes, zeroed at open). */
void *net_conn_app(struct net_conn *c);
/* References keep c (and its app area) allocated after it closes; loop thread only. */
void net_conn_ref(struct net_conn *c);
void net_conn_unref(struct net_conn *c);
/* Whether the peer is gone (sends are then dropped). */
int net_conn_closed(const struct net_conn *c);
/* The peer's address as text (borrowed, valid while c is). */
const char *net_conn_peer(const struct net_conn *c);
/* Queues a copy of a text (binary = 0) or binary message. Returns 0, or CC_ETOOLARGE
 * when the queue would pass its bound: the connection is then closed (the peer is not
 * reading). A closed connection drops the message and returns 0. */
int net_conn_send(struct net_conn *c, const void *buf, size_t len, int binary);
/* Room a message built in place must leave before its first byte (the WebSocket frame
 * header is written there): lws's LWS_PRE, checked in net.c. */
#define NET_PRE 16
/* Like net_conn_send for a text message at msg, with NET_PRE writable bytes before
 * it: sent from there without a copy when the socket takes it at once, outside a cork
 * (a copy is queued otherwise). The caller keeps the buffer. */
int net_conn_send_pre(struct net_conn *c, unsigned char *msg, size_t len);
/* Like net_conn_send_pre, for a message at buf + NET_PRE in a malloc'd buf that the net
 * takes (and frees): when it must wait in the queue (always while corked), it waits
 * there without a copy. */
int net_conn_send_take(struct net_conn *c, unsigned char *buf, size_t len);
/* A malloc'd buffer of at least min bytes (its size in *cap) for a message to give to
 * net_conn_send_take on c: one the net freed lately when it kept one that big, else a
 * new one. Replies of a page's size come and go with every request, and malloc's
 * search for a block of that size cost ~0.5 us a page. */
unsigned char *net_buf_take(struct net_conn *c, size_t min, size_t *cap);
/* A text message that many connections can queue without a copy each (a live update
 * sent to every subscriber of a window). Reference-counted; loop thread only. */
struct net_msg;
/* A new message holding a copy of buf (len bytes), with one reference for the caller. */
struct net_msg *net_msg_new(const void *buf, size_t len);
/* Takes one more reference on m for the caller; returns m. */
struct net_msg *net_msg_ref(struct net_msg *m);
/* Drops the caller's reference; the message is freed when the last queue lets go.
 * NULL-safe. */
void net_msg_unref(struct net_msg *m);
/* The message's bytes (borrowed while m is referenced) and their length. */
const void *net_msg_data(const struct net_msg *m, size_t *len);
/* Like net_conn_send for the text message m: the queue takes its own reference, m
 * stays the caller's. */
int net_conn_send_msg(struct net_conn *c, struct net_msg *m);
/* Bytes queued for c. */
size_t net_conn_queued(const struct net_conn *c);
/* Closes the connection after what is queued so far has been sent. */
void net_conn_close(struct net_conn *c);
/* The same, with a close frame of status code (4000–4999: the application's) and a
 * short reason (≤ 100 bytes kept). */
void net_conn_close_with(struct net_conn *c, int code, const char *reason);

/* The request header named by an lws token (e.g. WSI_TOKEN_HTTP_IF_NONE_MATCH) copied
 * into buf; returns its length, or -1 when absent or too long. */
int net_http_header(struct net_http *h, int lws_token, char *buf, size_t len);
/* Whether the request's If-None-Match lists etag (or is "*"). */
int net_http_etag_matches(struct net_http *h, const char *etag);
/* Adds a response header (name with the colon, e.g. "etag:") before responding. Both
 * strings are copied. At most NET_HTTP_MAX_HEADERS. */
#define NET_HTTP_MAX_HEADERS 8
void net_http_add_header(struct net_http *h, const char *name, const char *value);
/* Responds with status, content type and a body of len bytes, which is taken: it is
 * freed with free() when sent (body may be NULL for len 0). Sent in chunks as the
 * socket accepts them. */
void net_http_respond(struct net_http *h, int status, const char *content_type, void *body,
                      size_t len);

/* A body produced piece by piece as the socket drains, for large responses. */
/* Returned by a net_body read that has nothing yet (work off the loop is making the
 * next piece): writing pauses until net_http_resume. */
#define NET_BODY_WAIT (-2)
/* A response length of net_http_respond_stream that is not known up front: no
 * Content-Length, the body ends when read returns 0 and the connection then closes. */
#define NET_HTTP_LENGTH_UNKNOWN ((size_t)-1)
struct net_body {
    /* Writes up to cap bytes into buf; returns how many (> 0 unless the body is done;
     * 0 ends a body of unknown length), NET_BODY_WAIT, or -1 on an error (the
     * connection is then closed). Called on the loop thread. */
    long (*read)(void *user, uint8_t *buf, size_t cap);
    /* Releases user; called exactly once, when the response ends or is abandoned. */
    void (*free)(void *user);
    void *user;
};
/* Responds with a body of exactly len bytes (or NET_HTTP_LENGTH_UNKNOWN) read from
 * body (taken). */
void net_http_respond_stream(struct net_http *h, int status, const char *content_type,
                             size_t len, struct net_body body);
/* After a read returned NET_BODY_WAIT: its next piece is ready, write on. Call only while
 * the body is alive (it is freed, through its free callback, when the client leaves). */
void net_http_resume(struct net_http *h);

/* Keeps h for a response given later (after work off the loop): call inside on_http,
 * then net_http_respond* later, then net_http_release. If the client leaves first,
 * responding just frees the body. */
void net_http_hold(struct net_http *h);
void net_http_release(struct net_http *h);

/* Records h's latency in latency (histo_latency's scale, ns) when its transaction ends:
 * from the request's headers parsed to the response's last byte handed to the socket,
 * or to the client leaving. latency is borrowed and must outlive the transaction; call
 * it from on_http (a later call replaces the histogram). */
void net_http_observe(struct net_http *h, struct histo *latency);

#endif
