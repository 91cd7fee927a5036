/* libcocreate: a C11 client library for Cocreate servers (SPEC §4, §7, §8: the
 * WebSocket protocol at ws[s]://HOST:PORT/ws, subprotocol cocreate.v1, and the HTTP
 * routes /t/ /r/ /d/ on the same port). This header is the reference; docs/client.md
 * shows it at work.
 *
 * TWO FORMS, ONE API
 *   Blocking: cc_connect() gives a connection with a private event loop. Every call
 *   waits for its reply (under the connection's timeout) and returns it in its
 *   struct cc_call / struct cc_fetch. Pushed events (gallery updates, design updates,
 *   notices) are handled during any blocking call and in cc_poll().
 *   Event-driven: cc_connect_loop() runs the connection on the caller's libuv loop
 *   (libwebsockets on a foreign loop). Set call.cb: the call returns at once and cb
 *   runs on that loop with the reply. Blocking calls (cb NULL) on such a connection
 *   are refused with CC_ERR_USAGE: the caller owns the loop.
 *   A blocking connection may also take calls with cb set: their callbacks run during
 *   later blocking calls or cc_poll(). Inside any callback, calls must set cb (a
 *   blocking call there is refused with CC_ERR_USAGE: the loop is already running).
 *   As in libuv: when a call that takes a callback returns non-zero, that callback
 *   never fires; when it returns 0, it fires exactly once (with the reply, an error,
 *   or CC_ERR_CLOSED when the connection closes or is closed first).
 *
 * JSON
 *   Results are jansson objects (json_t *), exactly the server's `result` (SPEC §4,
 *   docs/protocol.md name every field). In a struct cc_call they are the caller's
 *   (cc_call_clear releases them); in a callback they are borrowed for the call
 *   (json_incref to keep one). Arguments passed as json_t * are taken (the library
 *   json_decref()s them, even on an error). Object ids (design, account, contest,
 *   comment, session) are strings, as on the wire.
 *
 * ERRORS
 *   Every call returns 0 or a CC_ERR_* kind, and fills a struct cc_error: for a
 *   refusal by the server (CC_ERR_SERVER) its code ("invalid_design", "rate_limited",
 *   ...), message and detail object exactly as sent (e.g. detail.rule, row, col of a
 *   level); otherwise a transport error: cannot connect, closed (with the WebSocket
 *   close code: 1008 policy, 4001 revoked, 1006 dropped), timeout, HTTP status.
 *
 * THREADS
 *   Thread-compatible, not thread-safe: a connection (and everything made from it:
 *   subscriptions, watches) is used by one thread at a time; different connections
 *   may be used by different threads at once. A connection on a caller's loop is used
 *   on that loop's thread only. The library keeps no global state of its own besides
 *   the log handler (cc_set_log), which mirrors libwebsockets' process-wide log: set it
 *   before starting threads. The library never exits, aborts on a server's input, or
 *   prints: libwebsockets' log is silent unless cc_set_log routes it somewhere.
 *
 * LINKING
 *   pkg-config cocreate (Requires: jansson), or CMake find_package(cocreate) and the
 *   target cocreate::client. The event-driven form also needs libuv's header. */
#ifndef COCREATE_CLIENT_H
#define COCREATE_CLIENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* uv_loop_t of <uv.h> (typedef struct uv_loop_s uv_loop_t). */
struct uv_loop_s;

#define CC_CLIENT_VERSION "0.1.0"
/* Default deadline of a connect and of each request, in milliseconds. */
#define CC_DEFAULT_TIMEOUT_MS 30000
/* Largest message (a reply or an event) accepted from the server; larger closes the
 * connection with CC_ERR_PROTOCOL. */
#define CC_MAX_MESSAGE (64u << 20)
/* Largest HTTP body cc_fetch keeps in memory (a sink takes any size). */
#define CC_MAX_BODY (256u << 20)
/* Bytes per binary frame of an upload. */
#define CC_UPLOAD_CHUNK (64u << 10)

/* ---- errors ---- */

enum cc_error_kind {
    CC_OK = 0,
    CC_ERR_SERVER,   /* the server refused: code, message, detail are its own */
    CC_ERR_CONNECT,  /* cannot connect: refused, unreachable, TLS handshake, bad upgrade */
    CC_ERR_CLOSED,   /* the connection closed: close_code (1006 when it just dropped) */
    CC_ERR_TIMEOUT,  /* no reply within the connection's timeout */
    CC_ERR_PROTOCOL, /* the server sent what the protocol does not allow */
    CC_ERR_HTTP,     /* an HTTP fetch got a status other than 200 (http_status) */
    CC_ERR_IO,       /* a local file could not be read */
    CC_ERR_USAGE,    /* a bad argument, or a blocking call on a caller's loop */
};

struct cc_error {
    enum cc_error_kind kind;
    char code[32];      /* CC_ERR_SERVER: the server's code; else a short name of kind */
    char message[256];  /* what went wrong, in words (the server's message when it sent one) */
    json_t *detail;     /* CC_ERR_SERVER: the server's detail object, or NULL */
    int close_code;     /* CC_ERR_CLOSED: the WebSocket close code */
    int http_status;    /* CC_ERR_HTTP: the response status */
};

/* Releases e->detail and zeroes e. NULL-safe. */
void cc_error_clear(struct cc_error *e);
/* A static name of a kind ("server", "connect", "closed", ...). */
const char *cc_error_kind_name(enum cc_error_kind kind);

/* ---- connections ---- */

struct cc_conn;

/* A pushed event no subscription or watch took (SPEC §8 `notice`, ...): name is its
 * "ev", event the whole object (borrowed). */
typedef void (*cc_event_fn)(struct cc_conn *c, const char *name, json_t *event, void *user);
/* The open connection closed (by the server or the network); err says why (borrowed).
 * Not called for cc_close(), nor for a connect that failed (cc_connect's error,
 * cc_connect_loop's opened say that). */
typedef void (*cc_close_fn)(struct cc_conn *c, const struct cc_error *err, void *user);
/* cc_connect_loop's result: err->kind is CC_OK once the WebSocket is open. */
typedef void (*cc_open_fn)(struct cc_conn *c, const struct cc_error *err, void *user);

struct cc_options {
    /* ws://HOST[:PORT][/PATH] or wss://... (http:// and https:// mean the same); the
     * path defaults to /ws, the port to 80 or 443. Copied. */
    const char *url;
    /* wss://: a PEM file of CA certificates trusted besides the system's, or NULL.
     * The server's certificate must be valid for HOST. Copied. */
    const char *ca_file;
    int timeout_ms;        /* connect and request deadline; 0 = CC_DEFAULT_TIMEOUT_MS */
    cc_event_fn on_event;  /* may be NULL */
    cc_close_fn on_close;  /* may be NULL */
    void *user;            /* passed to on_event and on_close */
};

/* Blocking form: connects (a private loop and libwebsockets context) and waits until
 * the WebSocket is open. Returns 0 with *out set, or an error kind with err filled
 * (CC_ERR_CONNECT, CC_ERR_TIMEOUT, CC_ERR_USAGE for a bad URL); *out is then NULL. */
int cc_connect(struct cc_conn **out, const struct cc_options *opt, struct cc_error *err);
/* Event-driven form on the caller's libuv loop (a uv_loop_t *): returns 0 with *out
 * set at once, and opened runs on the loop when the WebSocket opened or failed (then
 * the connection is closed: call cc_close on it). Calls made before it opened are
 * sent once it does. Returns an error kind (and never calls opened) when the URL is
 * bad or libwebsockets cannot start on the loop. */
int cc_connect_loop(struct cc_conn **out, struct uv_loop_s *loop, const struct cc_options *opt,
                    cc_open_fn opened, void *user, struct cc_error *err);
/* Closes the connection: every call still waiting gets CC_ERR_CLOSED (its callback
 * runs now), subscriptions and watches are freed, and no callback of c runs after this
 * returns. An open connection ends with the WebSocket closing handshake (our close
 * frame, 1000, then the server's; at most 1 s). Blocking form: everything is released
 * before it returns. Event-driven
 * form: the libwebsockets context is torn down on the loop over the next iterations
 * (the loop's uv_run returns once that is done, uv_loop_close then succeeds). Safe
 * inside the connection's own callbacks. NULL-safe. */
void cc_close(struct cc_conn *c);
/* Blocking form: handles what arrives (events, callbacks of async calls) for up to
 * timeout_ms (0: only what is there now). Returns 0, CC_ERR_CLOSED once the connection
 * is closed, or CC_ERR_USAGE on a caller's loop. */
int cc_poll(struct cc_conn *c, int timeout_ms);
/* Whether the WebSocket is open now. */
int cc_is_open(const struct cc_conn *c);
/* Why the connection closed (kind CC_OK while it is open); borrowed. */
const struct cc_error *cc_close_reason(const struct cc_conn *c);
/* Sets the deadline of the requests sent from now on (0 = CC_DEFAULT_TIMEOUT_MS). */
void cc_set_timeout(struct cc_conn *c, int timeout_ms);
/* The token of the last successful register or login on c (used as the bearer token
 * of its HTTP fetches), or NULL. Borrowed. */
const char *cc_token(const struct cc_conn *c);

/* Sets the bearer token of c's HTTP fetches without a login (a tool holding a brand
 * token for GET /export/<contest>); NULL clears it. Copied. */
void cc_set_token(struct cc_conn *c, const char *token);

/* ---- calls ---- */

/* An async call's reply: result borrowed (NULL on an error), err borrowed. */
typedef void (*cc_reply_fn)(struct cc_conn *c, json_t *result, const struct cc_error *err,
                            void *user);

/* How one call completes. Zero it ({0}) before use; cc_call_clear after.
 * Blocking: leave cb NULL; on return result (the caller's) and error are set.
 * Event-driven: set cb (and user); the call returns at once and cb gets the reply. */
struct cc_call {
    cc_reply_fn cb;
    void *user;
    json_t *result;
    struct cc_error error;
};
/* Releases result and error, keeping cb and user. NULL-safe. */
void cc_call_clear(struct cc_call *call);

/* The generic call under every wrapper: sends {"id", "op": op, ...args} (args: a JSON
 * object, taken; NULL = none) and completes call with the reply's result or error.
 * A new op needs nothing more than this. */
int cc_request(struct cc_conn *c, const char *op, json_t *args, struct cc_call *call);

/* ---- SPEC §4 / §7: hello, accounts, sessions (docs/protocol.md "Accounts") ----
 * Optional string arguments may be NULL (left out); so may limits of 0. */

/* hello {client?} → {server, version, limits} */
int cc_hello(struct cc_conn *c, const char *client, struct cc_call *call);
/* auth.register {name, password?, contact?, device?} → {account, token, session};
 * the connection is logged in as the new account. */
int cc_register(struct cc_conn *c, const char *name, const char *password, const char *contact,
                const char *device, struct cc_call *call);
/* auth.login {token} → {account, session, unread} */
int cc_login_token(struct cc_conn *c, const char *token, struct cc_call *call);
/* auth.login {name, password, device?} → {account, token, session, unread} */
int cc_login_password(struct cc_conn *c, const char *name, const char *password,
                      const char *device, struct cc_call *call);
/* auth.logout → {} (this session ends; the connection stays, signed out) */
int cc_logout(struct cc_conn *c, struct cc_call *call);
/* auth.sessions → {sessions:[{session, device, created, last_seen, current}]} */
int cc_sessions(struct cc_conn *c, struct cc_call *call);
/* auth.revoke {session} → {} (its connections close with 4001) */
int cc_revoke(struct cc_conn *c, const char *session, struct cc_call *call);
/* auth.set_password {password, old?} → {account} */
int cc_set_password(struct cc_conn *c, const char *password, const char *old,
                    struct cc_call *call);
/* auth.set_contact {contact} → {account} ("" removes it) */
int cc_set_contact(struct cc_conn *c, const char *contact, struct cc_call *call);
/* auth.delete {password?} → {} */
int cc_delete_account(struct cc_conn *c, const char *password, struct cc_call *call);

/* ---- uploads (SPEC §3, §4: upload.begin, binary frames, upload.commit) ---- */

/* Called as the upload's bytes go out: sent grows from the first chunk to total, in
 * increasing values (not called when the server already has the bytes). */
typedef void (*cc_progress_fn)(size_t sent, size_t total, void *user);

struct cc_upload {
    const char *kind;      /* "level" or "artwork" */
    const char *title;
    const char *const *tags; /* ntags tags, or NULL */
    size_t ntags;
    const char *contest;   /* NULL = "open" */
    const char *accept_terms; /* the contest's terms version, or NULL */
    const void *data;      /* the bytes (copied), or NULL to read path */
    size_t len;
    const char *path;      /* a file to upload when data is NULL */
    cc_progress_fn progress; /* may be NULL */
    void *progress_user;
};
/* The whole upload: SHA-256 computed here, upload.begin, the bytes in binary frames
 * of CC_UPLOAD_CHUNK unless the server has them (`have`), upload.commit. Result:
 * commit's {design}, with "have": true added when no bytes were sent. A refusal at
 * either step is its CC_ERR_SERVER error as sent (invalid_design with detail.rule,
 * row, col; conflict with detail.design; too_large; ...). One upload at a time per
 * connection (CC_ERR_USAGE otherwise). CC_ERR_IO when path cannot be read. */
int cc_upload(struct cc_conn *c, const struct cc_upload *u, struct cc_call *call);

/* ---- designs ---- */

/* design.get {design} → {design} (timeline, my_vote; similar for the brand) */
int cc_design_get(struct cc_conn *c, const char *design, struct cc_call *call);
/* design.edit {design, title?, tags?} → {design}; tags NULL leaves them, ntags 0 with
 * a non-NULL tags clears them. */
int cc_design_edit(struct cc_conn *c, const char *design, const char *title,
                   const char *const *tags, size_t ntags, struct cc_call *call);
/* design.withdraw {design} → {design} */
int cc_design_withdraw(struct cc_conn *c, const char *design, struct cc_call *call);
/* design.report {design, reason} → {} */
int cc_design_report(struct cc_conn *c, const char *design, const char *reason,
                     struct cc_call *call);
/* design.set_status {design, status, note?} → {design} (brand) */
int cc_design_set_status(struct cc_conn *c, const char *design, const char *status,
                         const char *note, struct cc_call *call);
/* design.hide {design, hidden, reason?} → {design} (brand) */
int cc_design_hide(struct cc_conn *c, const char *design, int hidden, const char *reason,
                   struct cc_call *call);

/* ---- votes and comments ---- */

/* vote.cast {design, value} → {tally}: 1–5 (stars5), 1 or -1 (updown), 1 (heart) */
int cc_vote_cast(struct cc_conn *c, const char *design, int value, struct cc_call *call);
/* vote.clear {design} → {tally} */
int cc_vote_clear(struct cc_conn *c, const char *design, struct cc_call *call);
/* comment.post {design, text} → {comment} */
int cc_comment_post(struct cc_conn *c, const char *design, const char *text,
                    struct cc_call *call);
/* comment.list {design, before?, limit?} → {comments, more} */
int cc_comment_list(struct cc_conn *c, const char *design, const char *before, int limit,
                    struct cc_call *call);
/* comment.hide {comment, hidden, reason} → {comment} (brand) */
int cc_comment_hide(struct cc_conn *c, const char *comment, int hidden, const char *reason,
                    struct cc_call *call);

/* ---- galleries (SPEC §4, §5, §8) ---- */

/* A gallery's filters and page. Zero it and set what you need. */
struct cc_gallery_query {
    const char *contest;  /* NULL = "open" */
    const char *sort;     /* "new", "top", "hot", "random" (gallery.get only); NULL = "new" */
    int offset;           /* 0 = the first */
    int limit;            /* 1–100; 0 = the server's default (24) */
    const char *creator, *tag, *status, *kind; /* filters, NULL = none */
    long long seed;       /* random: the order's seed (1–2^53); 0 = a new one (in the reply) */
    const char *until;    /* random: the newest design id covered, or NULL */
};
/* gallery.get {...} → {total, items} (random: also seed, until). q NULL: "new", open. */
int cc_gallery_get(struct cc_conn *c, const struct cc_gallery_query *q, struct cc_call *call);

/* A live window (gallery.subscribe): the library applies every gallery.update to it
 * (new `order`, changed `items` merged by id; a full window replaces it), so it always
 * holds what the server showed last. Owned by its connection. */
struct cc_sub;
/* After each update applied to s (event: the gallery.update, borrowed; NULL for the
 * first window, when the subscribe's reply arrived). */
typedef void (*cc_sub_fn)(struct cc_sub *s, json_t *event, void *user);
/* gallery.subscribe {...}: *sub is set at once (before the reply, in the event-driven
 * form); call's result is the reply {sub, total, items}. Blocking: on an error *sub is
 * NULL again. Event-driven: a refused subscription (cb gets the error) stays, inactive,
 * until cc_gallery_unsubscribe (CC_ERR_USAGE, no request) or cc_close frees it. */
int cc_gallery_subscribe(struct cc_conn *c, const struct cc_gallery_query *q, cc_sub_fn fn,
                         void *user, struct cc_sub **sub, struct cc_call *call);
/* gallery.unsubscribe {sub}: s is freed at once (no more callbacks); call completes
 * with the server's reply. Before the subscribe's reply came it is CC_ERR_USAGE (s is
 * freed when that reply comes, and the server's subscription ends with the connection). */
int cc_gallery_unsubscribe(struct cc_conn *c, struct cc_sub *s, struct cc_call *call);
/* The window: its designs in order (a JSON array of design objects, borrowed: valid
 * until the next update), their number, and the gallery's total. */
json_t *cc_sub_items(const struct cc_sub *s);
size_t cc_sub_size(const struct cc_sub *s);
json_t *cc_sub_item(const struct cc_sub *s, size_t i);
long long cc_sub_total(const struct cc_sub *s);
/* The server's id of the subscription ("s1"), "" before the reply. */
const char *cc_sub_id(const struct cc_sub *s);
/* Updates applied so far (not counting the first window). */
unsigned long cc_sub_updates(const struct cc_sub *s);

/* A watched design (design.watch): the library merges each design.update into it. */
struct cc_watch;
/* After each design.update applied (event borrowed: its design, comments_new, ...). */
typedef void (*cc_watch_fn)(struct cc_watch *w, json_t *event, void *user);
/* design.watch {design}: *watch set at once; call's result is the reply {design}.
 * Refusals as for cc_gallery_subscribe. */
int cc_design_watch(struct cc_conn *c, const char *design, cc_watch_fn fn, void *user,
                    struct cc_watch **watch, struct cc_call *call);
/* design.unwatch {design}: w is freed at once. */
int cc_design_unwatch(struct cc_conn *c, struct cc_watch *w, struct cc_call *call);
/* The design as of the last update (borrowed), and updates applied so far. */
json_t *cc_watch_design(const struct cc_watch *w);
unsigned long cc_watch_updates(const struct cc_watch *w);

/* ---- contests, results, creators, search, notices ---- */

/* contest.create {fields...} → {contest} (brand); fields taken */
int cc_contest_create(struct cc_conn *c, json_t *fields, struct cc_call *call);
/* contest.update {contest, fields...} → {contest} (brand); fields taken */
int cc_contest_update(struct cc_conn *c, const char *contest, json_t *fields,
                      struct cc_call *call);
/* contest.get {contest} → {contest} */
int cc_contest_get(struct cc_conn *c, const char *contest, struct cc_call *call);
/* contest.list {phase?} → {contests} */
int cc_contest_list(struct cc_conn *c, const char *phase, struct cc_call *call);
/* contest.results {contest, offset?, limit?} → {contest, final, total, ranking, log_head, ...} */
int cc_contest_results(struct cc_conn *c, const char *contest, int offset, int limit,
                       struct cc_call *call);
/* creator.get {account} → {account} */
int cc_creator_get(struct cc_conn *c, const char *account, struct cc_call *call);
/* creator.top {offset?, limit?} → {creators, total} */
int cc_creator_top(struct cc_conn *c, int offset, int limit, struct cc_call *call);
/* search {q, contest?, kind?, offset?, limit?} → {total, items} */
int cc_search(struct cc_conn *c, const char *q, const char *contest, const char *kind,
              int offset, int limit, struct cc_call *call);
/* notice.list {before?, limit?} → {items, more, unread} */
int cc_notice_list(struct cc_conn *c, const char *before, int limit, struct cc_call *call);
/* notice.read {upto} → {unread} */
int cc_notice_read(struct cc_conn *c, const char *upto, struct cc_call *call);

/* ---- moderation (brand; SPEC §7, §8) ---- */

/* account.suspend {account, suspended, reason} → {account} */
int cc_account_suspend(struct cc_conn *c, const char *account, int suspended,
                       const char *reason, struct cc_call *call);
/* moderation.list {before?, limit?} → {entries, more} */
int cc_moderation_list(struct cc_conn *c, const char *before, int limit, struct cc_call *call);
/* review.list {contest?, limit?} → {items, total} */
int cc_review_list(struct cc_conn *c, const char *contest, int limit, struct cc_call *call);
/* review.dismiss {design} → {} */
int cc_review_dismiss(struct cc_conn *c, const char *design, struct cc_call *call);

/* ---- HTTP: thumbnails, renders, originals (same host, port and TLS as the socket) ---- */

/* An HTTP response. data is NUL-terminated (not counted in len). */
struct cc_body {
    unsigned char *data;
    size_t len;
    int status;
    char content_type[128];
    json_t *headers; /* the response headers asked for in cc_fetch.headers that came:
                        {"name": "value"}, names as asked; NULL when none were asked */
};
/* Takes body bytes as they arrive instead of keeping them (large downloads): head is
 * the response so far (status, content_type, headers; no data); return non-zero to
 * stop (the fetch then fails with CC_ERR_USAGE "stopped by the sink"). */
typedef int (*cc_sink_fn)(const struct cc_body *head, const unsigned char *data, size_t len,
                          void *user);
/* An async fetch's outcome: body (borrowed; data freed after the callback) and err. */
typedef void (*cc_body_fn)(struct cc_conn *c, const struct cc_body *body,
                           const struct cc_error *err, void *user);
/* How one fetch completes, like struct cc_call: zero it, set cb for the event-driven
 * form and sink to stream; cc_fetch_clear after. A status other than 200 is
 * CC_ERR_HTTP (body still holds the response). */
struct cc_fetch {
    cc_body_fn cb;
    void *user;
    cc_sink_fn sink;
    void *sink_user;
    /* response headers to keep in body.headers: lowercase names, NULL-terminated (e.g.
     * {"etag", "x-log-length", NULL}); borrowed until the fetch completes */
    const char *const *headers;
    struct cc_body body;
    struct cc_error error;
};
void cc_fetch_clear(struct cc_fetch *f);
/* GET path (e.g. "/healthz") on the connection's server, with the connection's token
 * (cc_token) as bearer when it has one (hidden designs, /me/export). CC_ERR_TIMEOUT
 * when nothing arrives for the connection's timeout. */
int cc_fetch(struct cc_conn *c, const char *path, struct cc_fetch *f);
/* /t/<design>.png (320×320 or 320×180 PNG), /r/<design>.png (full-size render),
 * /d/<design> (the original bytes, content_type as served). */
int cc_fetch_thumb(struct cc_conn *c, const char *design, struct cc_fetch *f);
int cc_fetch_render(struct cc_conn *c, const char *design, struct cc_fetch *f);
int cc_fetch_original(struct cc_conn *c, const char *design, struct cc_fetch *f);

/* ---- logging ---- */

/* libwebsockets' log lines (level: its LLL_ERR 1, LLL_WARN 2, LLL_NOTICE 4, ...) go to
 * fn when given for the levels in mask; fn NULL silences them (the default). Process-
 * wide, as libwebsockets' log is: call it before connections run on other threads. */
typedef void (*cc_log_fn)(int level, const char *line, void *user);
void cc_set_log(cc_log_fn fn, void *user, int mask);

#ifdef __cplusplus
}
#endif

#endif
