/* The inside of libcocreate, shared by its files: the connection (conn.c: lws on a
 * libuv loop, the send queue, requests and replies, blocking waits, teardown), uploads
 * (upload.c), live windows and watches (live.c), HTTP fetches (fetch.c) and the typed
 * ops (ops.c). Never installed.
 * Thread use: a connection and everything hanging from it on one thread at a time. */
#ifndef CC_CLIENT_INT_H
#define CC_CLIENT_INT_H

#include <libwebsockets.h>
#include <uv.h>

#include "cocreate/client.h"

/* What an lws wsi's opaque user data points at (both start with the tag). */
enum cl_tag { CL_TAG_CONN = 0x434f4e4e, CL_TAG_FETCH = 0x46455443, CL_TAG_CLOSING = 0x434c4f53 };

enum cl_state { CL_CONNECTING, CL_OPEN, CL_CLOSED };

/* One outgoing WebSocket message, LWS_PRE bytes of room before its data. */
struct cl_out {
    struct cl_out *next;
    size_t len;
    int binary;
    unsigned char buf[]; /* LWS_PRE + len */
};

/* A request sent (or queued) and not yet answered, in send order. */
struct cl_pending {
    struct cl_pending *next, *prev;
    long long id;
    uint64_t deadline; /* uv_now() ms */
    cc_reply_fn cb;
    void *user;
};

struct cl_upload;
struct cl_fetch;

struct cc_conn {
    int tag; /* CL_TAG_CONN */
    uv_loop_t *loop;   /* the caller's, or &own_loop */
    uv_loop_t own_loop;
    int owns_loop;     /* the blocking form */
    struct lws_context *ctx; /* NULL once lws freed it (info.pcontext) */
    int pipe_fd;       /* lws's cancel pipe in ctx, -1 unknown: see conn.c, the pipe's
                          second close */
    int pipe_held;     /* pipe_fd's number is held by our placeholder (hold_ino) */
    unsigned long hold_ino, hold_dev;
    void *foreign[1];
    struct lws_protocols protocols[3];
    struct lws *wsi;   /* the WebSocket, NULL once closed */
    enum cl_state state;
    struct cc_error why; /* why it closed (kind CC_OK while open) */
    int peer_close;      /* close code the server sent, 0 = none */
    char peer_reason[128];
    char host[256], path[512], *ca_file;
    int port, tls, fd_limit;
    int timeout_ms;
    uint64_t connect_deadline;
    cc_event_fn on_event;
    cc_close_fn on_close;
    void *user;
    cc_open_fn opened;
    void *opened_user;
    long long next_id;
    struct cl_pending *pend_head, *pend_tail;
    struct cl_out *out_head, **out_tail;
    unsigned char *rx;
    size_t rx_len, rx_cap;
    int rx_skip; /* a message past CC_MAX_MESSAGE or binary: dropped until its end */
    uv_timer_t timer;  /* deadlines, and the teardown's steps */
    int timer_open;
    int depth;         /* our callbacks and blocking waits in progress on the stack */
    int close_asked;   /* cc_close was called: nothing more reaches the caller */
    int tearing_down;
    /* cc_close of an open connection: its WebSocket, sending our close frame and
     * waiting for the server's (opaque data &closing_tag), until close_deadline */
    int closing_tag; /* CL_TAG_CLOSING */
    struct lws *closing_wsi;
    uint64_t close_deadline;
    struct cc_sub *subs;
    struct cc_watch *watches;
    struct cl_upload *upload;
    struct cl_fetch *fetches;
    char token[160];
};

/* conn.c */
/* Held (recursively) while the library makes a descriptor of its own: a loop, a
 * context, a connect; and while a context's cancel pipe number is closed and taken
 * back (conn.c). */
void cl_fd_lock(void);
void cl_fd_unlock(void);
/* Sets e to a library error (not the server's). */
void cl_error(struct cc_error *e, enum cc_error_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A copy of src into dst (detail referenced again). */
void cl_error_copy(struct cc_error *dst, const struct cc_error *src);
/* Sends op with args (taken) and calls cb once with the reply (the libuv rule: not
 * when this returns non-zero, err then filled). */
int cl_send_request(struct cc_conn *c, const char *op, json_t *args, cc_reply_fn cb, void *user,
                    struct cc_error *err);
/* Queues a binary message (a copy of data) behind what is queued. */
void cl_send_binary(struct cc_conn *c, const void *data, size_t len);
/* Asks lws for a writeable callback when the socket is open. */
void cl_want_write(struct cc_conn *c);
/* Runs the private loop until *done (or the connection closes, when stop_on_close).
 * The caller checked c->owns_loop. */
void cl_wait(struct cc_conn *c, const int *done);
/* After a blocking wait: finishes a cc_close asked for during it (c is then freed). */
void cl_after_wait(struct cc_conn *c);
/* lws's connect info for a connection to c's server at path: TLS as c's, opaque user
 * data user, the new wsi into *pwsi. The caller adds what its kind needs. */
void cl_connect_info(const struct cc_conn *c, struct lws_client_connect_info *ci,
                     const char *path, void *user, struct lws **pwsi);
/* Whether blocking calls are refused here (a caller's loop); fills err then. */
int cl_refuse_blocking(struct cc_conn *c, struct cc_error *err);
/* (Re)arms the deadline timer for the earliest deadline pending. */
void cl_arm_timer(struct cc_conn *c);
/* Now on c's loop in ms, the clock read again: for a deadline set from a caller's call
 * (the blocking form's loop does not run between calls, so uv_now() is when the last one
 * ended: a request after a long idle would time out at once). */
uint64_t cl_now(struct cc_conn *c);
/* A call with a blocking or an async completion: begin picks the reply callback (the
 * caller's cb, or a waiter) — or refuses a blocking call where none may run
 * (cl_refuse_blocking: CC_ERR_USAGE, call->error filled) —, end waits when blocking. */
struct cl_waiter {
    struct cc_call *call;
    int done;
};
int cl_call_begin(struct cc_conn *c, struct cc_call *call, struct cl_waiter *w, cc_reply_fn *cb,
                  void **user);
int cl_call_end(struct cc_conn *c, struct cc_call *call, struct cl_waiter *w, int rc);
/* The waiter's reply callback (cl_call_begin hands it out). */
void cl_waiter_reply(struct cc_conn *c, json_t *result, const struct cc_error *err, void *user);

/* upload.c */
/* Writes the next chunks of the upload in flight while the socket takes them; after
 * the last one, sends upload.commit. */
void cl_upload_write(struct cc_conn *c);
/* An error reply with a null id (about a binary frame): fails the upload, if any. */
int cl_upload_orphan(struct cc_conn *c, const struct cc_error *err);
/* The connection closed: the upload fails with err. */
void cl_upload_abort(struct cc_conn *c, const struct cc_error *err);
/* A stalled upload's deadline, 0 = none. */
uint64_t cl_upload_deadline(const struct cc_conn *c);
void cl_upload_expire(struct cc_conn *c, uint64_t now);

/* ops.c */
/* The query q (NULL: the defaults) as gallery.get / gallery.subscribe arguments. */
json_t *cl_gallery_args(const struct cc_gallery_query *q);

/* live.c */
/* Applies a gallery.update ev to a window (an array of design objects, replaced when
 * the order changes) and its total. */
void cl_window_apply(json_t **window, long long *total, json_t *ev);
/* A gallery.update or design.update: applied to its window or watches. Returns 1 when
 * one took it. */
int cl_live_event(struct cc_conn *c, const char *name, json_t *ev);
/* Frees every subscription and watch (cc_close). */
void cl_live_free_all(struct cc_conn *c);

/* fetch.c */
/* The lws callback's HTTP client reasons for a fetch's wsi. */
int cl_fetch_callback(struct lws *wsi, enum lws_callback_reasons reason, struct cl_fetch *f,
                      void *in, size_t len);
/* The earliest deadline of a fetch in flight (no byte for the timeout), 0 = none;
 * expiring fails those past it with CC_ERR_TIMEOUT and drops their connections. */
uint64_t cl_fetch_deadline(const struct cc_conn *c);
void cl_fetch_expire(struct cc_conn *c, uint64_t now);
/* Fails every fetch in flight with err (cc_close). */
void cl_fetch_abort_all(struct cc_conn *c, const struct cc_error *err);

#endif
