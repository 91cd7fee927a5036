/* A request's life from its frame to its one reply: replies, errors, events, change
 * records made by a request, its rate-limit check. See req.h.
 * Thread use: loop thread only. */
#include "req.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccerr.h"
#include "changes.h"
#include "designs.h"
#include "histo.h"
#include "log.h"
#include "server.h"
#include "util.h"

struct req *req_new(struct session *s, json_t *msg, const struct jflat *flat, const char *text,
                    size_t len)
{
    struct req *r;
    if (flat) { /* the view and the frame it points into, after the request */
        size_t view = offsetof(struct jflat, f) + flat->n * sizeof flat->f[0];
        r = xmalloc(sizeof *r + sizeof(struct jflat) + len + 1);
        memset(r, 0, sizeof *r);
        r->flat = (struct jflat *)(r + 1);
        char *copy = (char *)(r->flat + 1);
        memcpy(copy, text, len);
        copy[len] = '\0';
        memcpy(r->flat, flat, view);
        jflat_move(r->flat, text, copy);
    } else {
        r = xcalloc(1, sizeof *r);
    }
    r->sess = s;
    r->msg = msg;
    net_conn_ref(s->conn);
    s->srv->inflight++;
    s->srv->stats.requests++;
    r->start_ns = uv_hrtime();
    return r;
}

static void req_free(struct req *r)
{
    struct server_stats *st = &r->sess->srv->stats;
    if (r->op_slot)
        histo_add(&st->op_latency[r->op_slot - 1], &histo_latency, uv_hrtime() - r->start_ns);
    r->sess->srv->inflight--;
    net_conn_unref(r->sess->conn);
    json_decref(r->msg);
    free(r);
}

struct server *req_server(const struct req *r)
{
    return r->sess->srv;
}

json_t *req_msg(struct req *r)
{
    if (!r->msg && r->flat && !(r->msg = jflat_tree(r->flat)))
        abort(); /* out of memory */
    return r->msg;
}

const struct jflat_field *req_arg(struct req *r, const char *name, struct jflat_field *tmp)
{
    if (r->flat)
        return jflat_get(r->flat, name);
    return jargs_member(r->msg, name, tmp) ? tmp : NULL;
}

int req_str(struct req *r, const char *name, int required, size_t minlen, size_t maxlen,
            const char **out, struct jargs_err *e)
{
    struct jflat_field tmp;
    return jargs_field_string(req_arg(r, name, &tmp), name, required, minlen, maxlen, out, e);
}

int req_int(struct req *r, const char *name, int required, json_int_t min, json_int_t max,
            json_int_t *out, struct jargs_err *e)
{
    struct jflat_field tmp;
    return jargs_field_int(req_arg(r, name, &tmp), name, required, min, max, out, e);
}

int req_bool(struct req *r, const char *name, int required, int *out, struct jargs_err *e)
{
    struct jflat_field tmp;
    return jargs_field_bool(req_arg(r, name, &tmp), name, required, out, e);
}

/* Serialises obj (taken) and queues it on c. */
static void send_json(struct net_conn *c, json_t *obj)
{
    char *text = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    if (!text) {
        log_error("proto: cannot serialise a reply");
        return;
    }
    net_conn_send(c, text, strlen(text), 0);
    free(text);
}

static json_t *envelope(json_t *id, int ok)
{
    json_t *o = json_object();
    json_object_set(o, "id", id ? id : json_null());
    json_object_set_new(o, "ok", json_boolean(ok));
    return o;
}

static void change_replied(struct change *c, int status, void *user)
{
    struct req *r = user;
    r->change_reply(r, c, status);
}

void req_change(struct req *r, struct change *c, req_change_fn reply)
{
    r->change_reply = reply;
    int rc = changes_submit(req_server(r)->changes, c, change_replied, r);
    if (rc)
        reply(r, c, rc);
}

void req_change_new(struct req *r, int kind, json_t *args, req_change_fn reply)
{
    req_change(r,
               change_new((enum change_kind)kind, server_now(req_server(r)), r->sess->account,
                          args),
               reply);
}

/* r's id as JSON (NULL when it has none): new. */
static json_t *id_json(const struct req *r) { return r->has_id ? json_integer(r->id) : NULL; }

void req_ok(struct req *r, json_t *result)
{
    json_t *id = id_json(r), *o = envelope(id, 1);
    json_decref(id);
    json_object_set_new(o, "result", result ? result : json_object());
    send_json(r->sess->conn, o);
    req_free(r);
}

void req_reply_open(struct req *r, struct ccbuf *b, size_t hint)
{
    ccbuf_init(b);
    if (hint >= 2048) /* a page's size: a buffer the net freed lately (net_buf_take) */
        b->data = net_buf_take(r->sess->conn, NET_PRE + 64 + hint, &b->cap);
    ccbuf_reserve(b, NET_PRE + 64 + hint);
    b->len = NET_PRE;
    ccbuf_append_str(b, "{\"id\":"); /* without printf: ~1 % of a vote's loop time */
    ccbuf_append_i64(b, r->id);
    ccbuf_append_str(b, ",\"ok\":true,\"result\":");
}

void req_reply_send(struct req *r, struct ccbuf *b)
{
    ccbuf_append(b, "}", 1);
    net_conn_send_take(r->sess->conn, b->data, b->len - NET_PRE); /* the net frees it */
    ccbuf_init(b);
    req_free(r);
}

void req_ok_raw(struct req *r, const char *result, size_t len)
{
    struct ccbuf b;
    req_reply_open(r, &b, len);
    ccbuf_append(&b, result, len);
    req_reply_send(r, &b);
}

/* Sends an error reply for id on c. */
void req_send_error(struct session *s, json_t *id, int err, const char *message,
                    json_t *detail)
{
    int code = err < 0 && err >= CC_ERR_MIN ? -err : -CC_EINTERNAL;
    s->srv->stats.errors[code]++;
    json_t *o = envelope(id, 0), *e = json_object();
    json_object_set_new(e, "code", json_string(ccerr_wire(err)));
    json_object_set_new(e, "message", json_string(message ? message : ccerr_message(err)));
    if (detail)
        json_object_set_new(e, "detail", detail);
    json_object_set_new(o, "error", e);
    send_json(s->conn, o);
}

void req_fail(struct req *r, int err, const char *message, json_t *detail)
{
    /* busy always says when to come back (SPEC §6's retry_after, as rate limits do). */
    if (err == CC_EBUSY && !detail)
        detail = json_pack("{si}", "retry_after", 1);
    json_t *id = id_json(r);
    req_send_error(r->sess, id, err, message, detail);
    json_decref(id);
    req_free(r);
}

void req_fail_args(struct req *r, const struct jargs_err *e)
{
    char msg[160];
    snprintf(msg, sizeof msg, "%s %s", e->field, e->why);
    req_fail(r, CC_EBADARGS, msg, json_pack("{ss}", "field", e->field));
}

int req_page_args(struct req *r, const char *what, size_t dflt, size_t max, uint64_t *before,
                  size_t *limit)
{
    struct jargs_err e;
    const char *id = NULL;
    json_int_t n = (json_int_t)dflt;
    if (req_str(r, "before", JARGS_OPTIONAL, 1, 24, &id, &e) < 0 ||
        req_int(r, "limit", JARGS_OPTIONAL, 1, (json_int_t)max, &n, &e) < 0) {
        req_fail_args(r, &e);
        return -1;
    }
    *before = 0;
    if (id && !(*before = design_parse_id(id))) {
        e.field = "before";
        snprintf(e.why, sizeof e.why, "must be %s", what);
        req_fail_args(r, &e);
        return -1;
    }
    *limit = (size_t)n;
    return 0;
}

void req_fail_rate(struct req *r, enum rate_kind kind, const struct rate_verdict *v)
{
    char msg[128];
    snprintf(msg, sizeof msg, "too many %s from this %s: retry in %llu s", rate_kind_name(kind),
             rate_scope_name(v->scope), (unsigned long long)v->retry_after_s);
    req_fail(r, CC_ERATELIMITED, msg,
             json_pack("{sIssss}", "retry_after", (json_int_t)v->retry_after_s, "kind",
                       rate_kind_name(kind), "scope", rate_scope_name(v->scope)));
}

int req_rate_limit(struct req *r, enum rate_kind kind)
{
    struct server *srv = r->sess->srv;
    struct rate_verdict v;
    if (r->sess->role == ROLE_BRAND ||
        !ratelimit_take(srv->rate, kind, r->sess->account, r->sess->addr_key,
                        server_now_ms(srv), &v))
        return 0;
    req_fail_rate(r, kind, &v);
    return -1;
}

void req_send_event(struct net_conn *c, json_t *ev)
{
    send_json(c, ev);
}

