/* Envelope, dispatch and replies of SPEC §4. See proto.h.
 * Thread use: loop thread only. */
#include "proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccerr.h"
#include "live.h"
#include "log.h"
#include "ops.h"
#include "server.h"
#include "util.h"

static struct req *req_new(struct session *s, json_t *msg)
{
    struct req *r = xcalloc(1, sizeof *r);
    r->sess = s;
    r->msg = msg;
    net_conn_ref(s->conn);
    s->srv->inflight++;
    s->srv->stats.requests++;
    return r;
}

static void req_free(struct req *r)
{
    r->sess->srv->inflight--;
    net_conn_unref(r->sess->conn);
    json_decref(r->msg);
    free(r);
}

struct server *req_server(const struct req *r)
{
    return r->sess->srv;
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

void req_ok(struct req *r, json_t *result)
{
    json_t *o = envelope(r->id, 1);
    json_object_set_new(o, "result", result ? result : json_object());
    send_json(r->sess->conn, o);
    req_free(r);
}

void req_ok_raw(struct req *r, const char *result, size_t len)
{
    struct ccbuf b;
    ccbuf_init(&b);
    char head[64];
    int n = snprintf(head, sizeof head, "{\"id\":%" JSON_INTEGER_FORMAT ",\"ok\":true,\"result\":",
                     json_integer_value(r->id));
    ccbuf_append(&b, head, (size_t)n);
    ccbuf_append(&b, result, len);
    ccbuf_append(&b, "}", 1);
    net_conn_send(r->sess->conn, b.data, b.len, 0);
    ccbuf_free(&b);
    req_free(r);
}

/* Sends an error reply for id on c. */
static void send_error(struct session *s, json_t *id, int err, const char *message,
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
    send_error(r->sess, r->id, err, message, detail);
    req_free(r);
}

void req_fail_args(struct req *r, const struct jargs_err *e)
{
    char msg[160];
    snprintf(msg, sizeof msg, "%s %s", e->field, e->why);
    req_fail(r, CC_EBADARGS, msg, json_pack("{ss}", "field", e->field));
}

void proto_send_event(struct net_conn *c, json_t *ev)
{
    send_json(c, ev);
}

/* ---- net handlers ---- */

static void on_open(struct net_conn *c, void *user)
{
    struct session *s = net_conn_app(c);
    s->srv = user;
    s->conn = c;
}

static void on_close(struct net_conn *c, void *user)
{
    (void)user;
    struct session *s = net_conn_app(c);
    upload_on_close(s);
    live_session_closed(s->srv, s);
}

static void on_drain(struct net_conn *c, void *user)
{
    (void)user;
    struct session *s = net_conn_app(c);
    live_session_drained(s->srv, s);
}

static void on_text_too_large(struct net_conn *c, size_t len, void *user)
{
    (void)user;
    char msg[96];
    snprintf(msg, sizeof msg, "text frame of %zu bytes; the limit is %d", len, NET_MAX_TEXT);
    send_error(net_conn_app(c), NULL, CC_ETOOLARGE, msg,
               json_pack("{sIsi}", "bytes", (json_int_t)len, "limit", NET_MAX_TEXT));
}

static void on_binary(struct net_conn *c, const uint8_t *buf, size_t len, int final,
                      void *user)
{
    (void)user;
    upload_on_binary(net_conn_app(c), buf, len, final);
}

static void on_text(struct net_conn *c, char *buf, size_t len, void *user)
{
    (void)user;
    struct session *s = net_conn_app(c);
    json_error_t jerr;
    json_t *msg = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!msg || !json_is_object(msg)) {
        char text[200];
        if (msg)
            snprintf(text, sizeof text, "a request must be a JSON object");
        else
            snprintf(text, sizeof text, "invalid JSON at byte %d: %s", jerr.position, jerr.text);
        json_decref(msg);
        send_error(s, NULL, CC_EBADJSON, text, NULL);
        return;
    }
    struct req *r = req_new(s, msg);
    json_t *id = json_object_get(msg, "id");
    if (!json_is_integer(id)) {
        struct jargs_err e = {"id", "must be an integer"};
        if (!id)
            snprintf(e.why, sizeof e.why, "is required");
        req_fail_args(r, &e);
        return;
    }
    r->id = id;
    json_t *name = json_object_get(msg, "op");
    if (!json_is_string(name)) {
        struct jargs_err e = {"op", "must be a string"};
        if (!name)
            snprintf(e.why, sizeof e.why, "is required");
        req_fail_args(r, &e);
        return;
    }
    const struct op *op = ops_find(json_string_value(name));
    if (!op) {
        char text[120];
        snprintf(text, sizeof text, "unknown op '%.80s'", json_string_value(name));
        req_fail(r, CC_EUNKNOWNOP, text, NULL);
        return;
    }
    if (s->srv->draining) {
        req_fail(r, CC_EBUSY, "the server is shutting down; retry later", NULL);
        return;
    }
    if ((op->flags & (OP_AUTH | OP_BRAND)) && !s->account) {
        req_fail(r, CC_EUNAUTHORIZED, "log in first (auth.login)", NULL);
        return;
    }
    if ((op->flags & OP_BRAND) && s->role != ROLE_BRAND) {
        req_fail(r, CC_EFORBIDDEN, "only the brand may do this", NULL);
        return;
    }
    op->fn(r);
}

const struct net_handlers proto_handlers = {
    .on_open = on_open,
    .on_text = on_text,
    .on_text_too_large = on_text_too_large,
    .on_binary = on_binary,
    .on_close = on_close,
    .on_drain = on_drain,
    .on_http = NULL, /* set by server.c (http.c) */
};
