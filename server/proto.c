/* The envelope and dispatch of SPEC §4: the net handlers, parsing a frame, checking
 * id/op/auth, calling the op. Replies are req.c's. See proto.h.
 * Thread use: loop thread only. */
#include "proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ccerr.h"
#include "jflat.h"
#include "live.h"
#include "log.h"
#include "logins.h"
#include "ops.h"
#include "req.h"
#include "server.h"
#include "util.h"

/* ---- net handlers ---- */

static void on_open(struct net_conn *c, void *user)
{
    struct session *s = net_conn_app(c);
    s->srv = user;
    s->conn = c;
    s->addr_key = rate_addr_key(net_conn_peer(c));
}

static void on_close(struct net_conn *c, void *user)
{
    (void)user;
    struct session *s = net_conn_app(c);
    upload_on_close(s);
    live_session_closed(s->srv->live, s);
    logins_remove(s);
}

static void on_drain(struct net_conn *c, void *user)
{
    (void)user;
    struct session *s = net_conn_app(c);
    live_session_drained(s->srv->live, s);
}

static void on_text_too_large(struct net_conn *c, size_t len, void *user)
{
    (void)user;
    char msg[96];
    snprintf(msg, sizeof msg, "text frame of %zu bytes; the limit is %d", len, NET_MAX_TEXT);
    req_send_error(net_conn_app(c), NULL, CC_ETOOLARGE, msg,
               json_pack("{sIsi}", "bytes", (json_int_t)len, "limit", NET_MAX_TEXT));
}

static void on_binary(struct net_conn *c, const uint8_t *buf, size_t len, int final,
                      void *user)
{
    (void)user;
    upload_on_binary(net_conn_app(c), buf, len, final);
}

/* Four hex digits at s (n bytes available) into *v; 0 if there are not. */
static int hex4(const char *s, size_t n, uint32_t *v)
{
    uint8_t b[2];
    if (n < 4 || hex_decode(s, b, 2))
        return 0;
    *v = (uint32_t)b[0] << 8 | b[1];
    return 1;
}

/* Copies a frame into out, replacing with the character mark each invalid UTF-8
 * sequence inside a string and each \u escape JSON text may not carry here (a lone
 * surrogate, \u0000). Returns how many it replaced. */
static size_t repair_strings(const char *buf, size_t len, char mark, struct ccbuf *out)
{
    size_t bad = 0, i = 0;
    int in_str = 0;
    while (i < len) {
        unsigned char ch = (unsigned char)buf[i];
        size_t n = 1;
        uint32_t u, lo;
        if (!in_str) {
            in_str = ch == '"';
        } else if (ch == '"') {
            in_str = 0;
        } else if (ch == '\\' && i + 1 < len && buf[i + 1] == 'u' &&
                   hex4(buf + i + 2, len - i - 2, &u)) {
            n = 6;
            if (u >= 0xD800 && u <= 0xDBFF && i + 12 <= len && buf[i + 6] == '\\' &&
                buf[i + 7] == 'u' && hex4(buf + i + 8, len - i - 8, &lo) && lo >= 0xDC00 &&
                lo <= 0xDFFF) {
                n = 12; /* a surrogate pair */
            } else if (u == 0 || (u >= 0xD800 && u <= 0xDFFF)) {
                ccbuf_append(out, &mark, 1);
                bad++;
                i += n;
                continue;
            }
        } else if (ch == '\\') {
            n = i + 1 < len ? 2 : 1;
        } else if (ch >= 0x80) {
            n = (size_t)utf8_decode((const uint8_t *)buf + i, len - i, &u);
            if (!n) {
                ccbuf_append(out, &mark, 1);
                bad++;
                i++;
                continue;
            }
        }
        ccbuf_append(out, buf + i, n);
        i += n;
    }
    return bad;
}

/* A frame jansson refused may be a good request but for a string that is not valid
 * UTF-8: then this returns the request with those strings patched, and names the
 * top-level argument that holds them in *field (borrowed from the result). Patching
 * twice with different marks shows which argument the bad bytes are in. NULL when the
 * frame is bad JSON for another reason. */
static json_t *parse_bad_utf8(const char *buf, size_t len, const char **field)
{
    struct ccbuf a, b;
    ccbuf_init(&a);
    ccbuf_init(&b);
    json_t *ja = NULL, *jb = NULL;
    if (repair_strings(buf, len, 'A', &a) && repair_strings(buf, len, 'B', &b)) {
        ja = json_loadb((const char *)a.data, a.len, JSON_REJECT_DUPLICATES, NULL);
        jb = json_loadb((const char *)b.data, b.len, JSON_REJECT_DUPLICATES, NULL);
    }
    ccbuf_free(&a);
    ccbuf_free(&b);
    *field = NULL;
    if (json_is_object(ja) && json_is_object(jb)) {
        const char *key;
        json_t *v;
        json_object_foreach(ja, key, v)
        {
            json_t *w = json_object_get(jb, key);
            if (!w)
                break; /* the bad bytes are in a name: bad JSON */
            if (!json_equal(v, w)) {
                *field = key;
                break;
            }
        }
    }
    json_decref(jb);
    if (!*field) {
        json_decref(ja);
        return NULL;
    }
    return ja;
}

static void on_text(struct net_conn *c, char *buf, size_t len, void *user)
{
    (void)user;
    struct session *s = net_conn_app(c);
    json_error_t jerr;
    const char *bad_utf8 = NULL;
    json_t *msg = NULL;
    struct jflat flat; /* most requests: read in place, no tree */
    int is_flat = !jflat_scan(buf, len, &flat);
    if (!is_flat) { /* the rest as jansson reads them */
        msg = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!msg)
            msg = parse_bad_utf8(buf, len, &bad_utf8);
        if (!msg || !json_is_object(msg)) {
            char text[200];
            if (msg)
                snprintf(text, sizeof text, "a request must be a JSON object");
            else
                snprintf(text, sizeof text, "invalid JSON at byte %d: %s", jerr.position,
                         jerr.text);
            json_decref(msg);
            req_send_error(s, NULL, CC_EBADJSON, text, NULL);
            return;
        }
    }
    struct req *r = req_new(s, msg, is_flat ? &flat : NULL, buf, len);
    struct jflat_field tmp;
    const struct jflat_field *id = req_arg(r, "id", &tmp);
    if (!id || id->type != JFLAT_INT) {
        struct jargs_err e = {"id", "must be an integer"};
        if (!id)
            snprintf(e.why, sizeof e.why, "is required");
        req_fail_args(r, &e);
        return;
    }
    r->id = id->i;
    r->has_id = 1;
    char utf8_msg[160];
    if (bad_utf8)
        snprintf(utf8_msg, sizeof utf8_msg,
                 "%.40s must be valid UTF-8 (no stray, overlong or truncated sequences, "
                 "surrogates, code points past U+10FFFF or \\u0000)",
                 bad_utf8);
    if (bad_utf8 && !strcmp(bad_utf8, "op")) {
        req_fail(r, CC_EBADARGS, utf8_msg, json_pack("{ss}", "field", bad_utf8));
        return;
    }
    const struct jflat_field *name = req_arg(r, "op", &tmp);
    if (!name || name->type != JFLAT_STRING) {
        struct jargs_err e = {"op", "must be a string"};
        if (!name)
            snprintf(e.why, sizeof e.why, "is required");
        req_fail_args(r, &e);
        return;
    }
    const struct op *op = ops_find(name->s);
    if (!op) {
        char text[120];
        snprintf(text, sizeof text, "unknown op '%.80s'", name->s);
        req_fail(r, CC_EUNKNOWNOP, text, NULL);
        return;
    }
    size_t slot = ops_index(op);
    if (slot < SERVER_OPS_MAX)
        r->op_slot = (unsigned)slot + 1;
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
    if (bad_utf8) {
        req_fail(r, CC_EBADARGS, utf8_msg, json_pack("{ss}", "field", bad_utf8));
        return;
    }
    op->fn(r);
}

void proto_stats_init(struct server_stats *st)
{
    st->started_ns = uv_hrtime();
    st->started_unix = (int64_t)time(NULL);
    for (size_t i = 0; i < ops_count() && i < SERVER_OPS_MAX; i++)
        st->op_name[i] = ops_at(i)->name;
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
