/* A request of SPEC §4, from the frame that carries it until its one reply (which may
 * come later, e.g. after its change record is applied), and the API the op handlers
 * answer with: ok and error replies, change records made by a request, rate limits,
 * pushed events. Thread use: loop thread only. */
#ifndef CC_REQ_H
#define CC_REQ_H

#include <jansson.h>
#include <stdint.h>

#include "jargs.h"
#include "jflat.h"
#include "net.h"
#include "ratelimit.h"
#include "session.h"
#include "util.h"
#include "writer.h"

struct server;
struct change;
struct req;

/* The reply of a request made into a change record (req_change): runs on the loop once
 * the change is applied and durable (status 0) or failed (status < 0), after the
 * post-commit step. It owns c (change_free) and must end r. */
typedef void (*req_change_fn)(struct req *r, struct change *c, int status);

/* One request, from its frame to its reply. Its arguments are the request object's
 * members: read them with req_str, req_int, req_bool (or req_msg for a tree). */
struct req {
    struct session *sess; /* holds a reference on sess->conn */
    json_t *msg;          /* the request object as a jansson tree (owned): read by
                             jansson, or built from flat by the first req_msg */
    struct jflat *flat;   /* the request as jflat read it (NULL: read by jansson), its
                             strings in the request's own copy of the frame */
    int64_t id;           /* the client's id (valid when has_id) */
    int has_id;
    struct write_req wr;  /* for ops that go through the writer */
    void *ctx;            /* op-specific state; the op frees it before replying */
    req_change_fn change_reply; /* req_change's */
    uint64_t start_ns;    /* uv_hrtime() when its frame was parsed */
    unsigned op_slot;     /* 1 + the op's index in the op table once dispatched, else 0 */
};

/* Submits the change c (taken) that r makes (changes.h). reply runs exactly once and
 * owns c: after c is applied, or at once with the writer's code when it refuses
 * (CC_EBUSY: full or stopping). */
void req_change(struct req *r, struct change *c, req_change_fn reply);
/* req_change of a new change of kind (changes.h) with fields args (taken), made by the
 * request's account and accepted now. */
void req_change_new(struct req *r, int kind, json_t *args, req_change_fn reply);
/* Replies ok with result (taken; NULL = {}), then frees r. */
void req_ok(struct req *r, json_t *result);
/* Replies ok with a result already serialised as a JSON object (len bytes), then
 * frees r. For hot paths that build their JSON by hand. */
void req_ok_raw(struct req *r, const char *result, size_t len);
/* An ok reply built in place, for results too big to copy around: req_reply_open
 * starts b (its own buffer, room for about hint more bytes) with the reply's head;
 * append the serialised result object to b; req_reply_send closes it, sends it
 * without another copy, frees b, then frees r. To fail instead, ccbuf_free(b) and
 * req_fail(r, ...). */
void req_reply_open(struct req *r, struct ccbuf *b, size_t hint);
void req_reply_send(struct req *r, struct ccbuf *b);
/* Replies with error code err (CC_E*), a message (NULL = the default for the code) and
 * detail (taken; may be NULL), then frees r. */
void req_fail(struct req *r, int err, const char *message, json_t *detail);
/* Replies bad_args from a jargs error: detail {"field": ...}. */
void req_fail_args(struct req *r, const struct jargs_err *e);
/* The paging arguments of a newest-first list (comment.list, moderation.list,
 * notice.list): before, the id of the last item of the previous page (a decimal string;
 * *before 0 when absent), and limit, 1..max (dflt when absent). -1 after failing r with
 * bad_args naming the argument (`what` says what before must be: "a comment id"). */
int req_page_args(struct req *r, const char *what, size_t dflt, size_t max, uint64_t *before,
                  size_t *limit);
/* Takes a token of kind for the request's account and address (ratelimit.h). Returns
 * 0, or fails r with rate_limited (detail {retry_after, kind, scope}) and returns -1.
 * Brand accounts are never limited. */
int req_rate_limit(struct req *r, enum rate_kind kind);
/* Fails r with rate_limited for the refusal v of a limit of kind. */
void req_fail_rate(struct req *r, enum rate_kind kind, const struct rate_verdict *v);
/* The server a request belongs to. */
struct server *req_server(const struct req *r);

/* Sends an event object (taken) to a connection. */
void req_send_event(struct net_conn *c, json_t *ev);
/* An error reply to a frame that is no request yet (id NULL when unknown), for the
 * dispatcher; detail is taken. */
void req_send_error(struct session *s, json_t *id, int err, const char *message,
                    json_t *detail);
/* The dispatcher's (proto.c): a request of session s, for a frame read by jansson
 * (msg, taken) or by jflat (flat, its pointers into text[0..len), copied). */
struct req *req_new(struct session *s, json_t *msg, const struct jflat *flat, const char *text,
                    size_t len);

/* The request object as a jansson tree (borrowed from r), built on first use for a
 * request jflat read: for the arguments the getters below do not read (nested ones). */
json_t *req_msg(struct req *r);
/* r's member called name into *tmp: returns tmp (or a member of r's view), or NULL
 * when r has none. Strings borrowed from r. */
const struct jflat_field *req_arg(struct req *r, const char *name, struct jflat_field *tmp);
/* jargs_string, jargs_int and jargs_bool (jargs.h) of r's arguments, with no tree for a
 * request jflat read; strings borrowed from r. */
int req_str(struct req *r, const char *name, int required, size_t minlen, size_t maxlen,
            const char **out, struct jargs_err *e);
int req_int(struct req *r, const char *name, int required, json_int_t min, json_int_t max,
            json_int_t *out, struct jargs_err *e);
int req_bool(struct req *r, const char *name, int required, int *out, struct jargs_err *e);

#endif
