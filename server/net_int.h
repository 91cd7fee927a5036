/* The inside of the network module (net.c: WebSocket connections and the lws
 * callback; net_http.c: HTTP): its structures, limits and the functions the two
 * files share. Nothing outside them includes this. Loop thread only. */
#ifndef CC_NET_INT_H
#define CC_NET_INT_H

#include <netinet/in.h>
#include <stddef.h>

#include <libwebsockets.h>
#include <uv.h>

#include "net.h"
#include "util.h"

/* Most bytes one lws_write may hand to send() at once (lws's default is rx_buffer_size,
 * 4 KiB, which split every bigger message into a send, a copy into lws's own buffer
 * and a second send after another POLLOUT round trip). */
#define NET_TX_PACKET (256 * 1024)
/* The scratch buffer of immediate writes is kept up to this size between messages. */
#define NET_SCRATCH_KEEP (64 * 1024)
/* lws's buffer for one request's header (info.max_http_header_data; lws 4.1.6's default
 * is 4096). It holds the request target and the field values lws knows by name, and
 * the names and values of the fields it does not know (plus 8 bytes each); a request
 * that does not fit is closed by lws without a response (lws_parse fails in
 * roles/http/parsers.c, lws_handshake_server drops the connection). It must hold a
 * target one byte past NET_HTTP_MAX_URL with fields one byte past
 * NET_HTTP_MAX_HEADER_BYTES, so that those requests are seen whole and answered 414 and
 * 431. lws allocates it per connection only while a request header is being read (from
 * the accept, or the end of the previous request, until the header is complete, at
 * most 10 s: lws's timeout_secs_ah_idle) and frees it then. It is malloc'd, not zeroed:
 * a header costs the pages it fills (measured, docs/protocol.md: +3.4 KiB RSS for 3.5 KB
 * of fields, +11.7 KiB for 12 KB; idle connections cost what they did with 4096).
 * info.max_http_header_pool stays at lws's default, one buffer per connection up to the
 * fd limit: a smaller pool would make new connections queue for a buffer behind as few
 * clients as the pool holds, each keeping one for 10 s. */
#define NET_LWS_HEADER_DATA (16 * 1024)
_Static_assert(NET_LWS_HEADER_DATA >= NET_HTTP_MAX_URL + NET_HTTP_MAX_HEADER_BYTES + 1024 &&
                   NET_LWS_HEADER_DATA <= 65535,
               "lws's header buffer holds both limits (and is an unsigned short)");
/* A request body (on a 405, or a GET that carries one) up to this size is read and
 * dropped so the connection stays usable; a longer one closes it after the response. */
#define NET_HTTP_MAX_DISCARD (64 * 1024)
/* The Server header of every response (lws's info.server_string). */
#define NET_SERVER_STRING "cocreated"
/* The methods every route allows (SPEC §4) and the 405 for the others. */
#define NET_HTTP_ALLOW "GET, HEAD"
#define NET_HTTP_405_TEXT "method not allowed\n"
/* The content type of the texts this layer answers itself (405, 414, 431, 500). */
#define NET_TEXT_TYPE "text/plain; charset=utf-8"

/* A refcounted message many connections may queue (net.h): data at buf + LWS_PRE. */
struct net_msg {
    int refs;
    size_t len;
    unsigned char buf[];
};

/* One queued outgoing message: its own copy (data starts LWS_PRE bytes into buf) or a
 * reference to a shared net_msg. */
struct outmsg {
    struct outmsg *next;
    struct net_msg *shared;
    unsigned char *owned; /* or a buffer the net took (net_conn_send_take), freed with it */
    size_t len;
    int binary;
    unsigned char buf[];
};

struct net_conn {
    struct net *net;
    struct lws *wsi; /* NULL once closed */
    int refs;        /* 1 for the open connection + 1 per holder */
    int closing;     /* close once the queue is empty */
    int close_code;  /* the close frame's status (0: 1008, policy violation) */
    char close_reason[104]; /* the close frame's reason ("" none) */
    int close_sent;  /* the closing handshake was started */
    struct net_conn *prev, *next; /* in the net's list of open connections */
    struct outmsg *q_head, **q_tail;
    size_t queued;
    int corked;       /* in the net's corked list: its queue is this iteration's replies */
    struct ccbuf rx;  /* text message being reassembled */
    size_t rx_total;  /* its length so far, counting discarded bytes */
    int rx_binary;    /* the message in progress is binary */
    void *app;
    char peer[64];
};

struct net_http {
    struct net *net;
    struct lws *wsi; /* NULL once the client left */
    int refs;        /* 1 for the transaction + 1 while the app holds it */
    int responded, headers_sent;
    int waiting;     /* the stream's read said NET_BODY_WAIT */
    int head;        /* a HEAD request: headers only */
    int close_after; /* `connection: close`, and close once the response is out */
    int has_body;    /* the request announced a body (we never read one) */
    int status;
    const char *content_type;
    char *hdr_name[NET_HTTP_MAX_HEADERS], *hdr_value[NET_HTTP_MAX_HEADERS];
    int nhdr;
    size_t len, sent;
    unsigned char *body; /* a buffered body, or */
    struct net_body stream;
    uint64_t start_ns;     /* uv_hrtime() when the request came */
    struct histo *latency; /* net_http_observe's, or NULL */
};

/* lws's per-session area (for both HTTP and WebSocket wsi). */
struct pss {
    struct net_conn *conn;
    struct net_http *http;
};

#define NET_SPARE_BUFS 16 /* buffers kept, each of NET_SPARE_MIN to NET_SPARE_MAX bytes */
#define NET_SPARE_MIN 4096
#define NET_SPARE_MAX (256 * 1024)
#define NET_FREE_HEADS_MAX 4096

struct net {
    struct lws_context *ctx;
    struct lws_protocols protocols[2];
    struct net_handlers h;
    size_t app_size, send_queue_max, ws_sndbuf;
    int refusing;
    struct net_conn *conns; /* open WebSocket connections */
    size_t queued_total;
    struct net_stats stats;
    void *loops[1];
    struct ccbuf scratch; /* LWS_PRE + a message, for writes that need no queue */
    uv_prepare_t cork_prepare; /* before the poll: messages wait in their queues */
    uv_check_t cork_check;     /* after it: they go out, one burst */
    int cork_handles;          /* the two above are open */
    int corked;                /* messages are queued, not written (net_cork) */
    struct net_conn **cork_list; /* connections whose queues net_uncork writes */
    size_t cork_n, cork_cap;
    char iface[INET_ADDRSTRLEN]; /* the listen address as lws wants it (kept by lws) */
    struct spare_buf {           /* big messages' buffers the net freed last */
        unsigned char *buf;      /* (net_buf_take): reused, not given back to malloc */
        size_t cap;
    } spare[NET_SPARE_BUFS];
    int nspare;
    struct outmsg *free_heads; /* headers of messages sent (no bytes of their own), */
    size_t nfree_heads;        /* reused: 64 replies a loop turn outrun malloc's cache */
};

/* net_http.c, called from net.c's lws callback. */
/* LWS_CALLBACK_HTTP: a request for path (len bytes). Returns the callback's value. */
int net_http_on_request(struct net *n, struct pss *pss, struct lws *wsi, const char *path,
                        size_t len);
/* Writes what it can of h's response: -1 to close, 1 when it is complete, 0 to wait. */
int net_http_on_writeable(struct net_http *h);
/* The response is out: ends the transaction (the callback's value). */
int net_http_finish(struct pss *pss, struct lws *wsi);
/* The transaction is over (sent or the client left): lws forgets pss->http. */
void net_http_detach(struct pss *pss);
/* LWS_CALLBACK_RAW_ADOPT (a CONNECT request): 405, then close. */
int net_http_on_connect(struct net *n, struct lws *wsi);

#endif
