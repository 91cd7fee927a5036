/* The typed ops: each builds its arguments and goes through cc_request (SPEC §4, §7,
 * §8). A new op is one function here, its declaration in client.h, and its test.
 * Optional arguments given as NULL (or a limit of 0) go out as JSON null, which the
 * server takes as absent (docs/protocol.md, Envelope). */
#include "client_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An integer argument where 0 (or less) means "the server's default": null. */
static json_t *opt_int(long long v)
{
    return v > 0 ? json_integer(v) : NULL;
}

/* cc_request, after checking that the arguments could be built (json_pack refuses
 * NULL for a required string, and text that is not UTF-8). */
static int call_op(struct cc_conn *c, const char *op, json_t *args, struct cc_call *call)
{
    if (!args) {
        if (call) {
            memset(&call->error, 0, sizeof call->error);
            call->result = NULL;
            cl_error(&call->error, CC_ERR_USAGE, "%s: a required argument is missing, or "
                                                 "text is not valid UTF-8", op);
        }
        return CC_ERR_USAGE;
    }
    return cc_request(c, op, args, call);
}

/* A JSON array of n strings (NULL when one is not UTF-8). */
static json_t *string_array(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        if (json_array_append_new(a, json_string(v[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* ---- accounts: the connection remembers its token (for HTTP fetches) ---- */

struct auth_relay {
    cc_reply_fn cb;
    void *user;
    int forget; /* logout, delete: the token is no more */
    char token[160];
};

static void auth_reply(struct cc_conn *c, json_t *result, const struct cc_error *err,
                       void *user)
{
    struct auth_relay *r = user;
    if (result) {
        const char *t = json_string_value(json_object_get(result, "token"));
        if (r->forget)
            c->token[0] = '\0';
        else if (t || r->token[0])
            snprintf(c->token, sizeof c->token, "%s", t ? t : r->token);
    }
    r->cb(c, result, err, r->user);
    free(r);
}

static int auth_call(struct cc_conn *c, const char *op, json_t *args, const char *token,
                     int forget, struct cc_call *call)
{
    struct cl_waiter w;
    cc_reply_fn cb;
    void *user;
    if (!c || !call || !args) {
        if (!args)
            return call_op(c, op, NULL, call);
        json_decref(args);
        return CC_ERR_USAGE;
    }
    if (cl_call_begin(c, call, &w, &cb, &user)) {
        json_decref(args);
        return CC_ERR_USAGE;
    }
    struct auth_relay *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    r->cb = cb;
    r->user = user;
    r->forget = forget;
    snprintf(r->token, sizeof r->token, "%s", token ? token : "");
    int rc = cl_send_request(c, op, args, auth_reply, r, &call->error);
    if (rc)
        free(r);
    return cl_call_end(c, call, &w, rc);
}

int cc_hello(struct cc_conn *c, const char *client, struct cc_call *call)
{
    return call_op(c, "hello", json_pack("{ss?}", "client", client), call);
}

int cc_register(struct cc_conn *c, const char *name, const char *password, const char *contact,
                const char *device, struct cc_call *call)
{
    return auth_call(c, "auth.register",
                     json_pack("{ss ss? ss? ss?}", "name", name, "password", password, "contact",
                               contact, "device", device),
                     NULL, 0, call);
}

int cc_login_token(struct cc_conn *c, const char *token, struct cc_call *call)
{
    return auth_call(c, "auth.login", json_pack("{ss}", "token", token), token, 0, call);
}

int cc_login_password(struct cc_conn *c, const char *name, const char *password,
                      const char *device, struct cc_call *call)
{
    return auth_call(c, "auth.login",
                     json_pack("{ss ss ss?}", "name", name, "password", password, "device",
                               device),
                     NULL, 0, call);
}

int cc_logout(struct cc_conn *c, struct cc_call *call)
{
    return auth_call(c, "auth.logout", json_object(), NULL, 1, call);
}

int cc_sessions(struct cc_conn *c, struct cc_call *call)
{
    return call_op(c, "auth.sessions", json_object(), call);
}

int cc_revoke(struct cc_conn *c, const char *session, struct cc_call *call)
{
    return call_op(c, "auth.revoke", json_pack("{ss}", "session", session), call);
}

int cc_set_password(struct cc_conn *c, const char *password, const char *old,
                    struct cc_call *call)
{
    return call_op(c, "auth.set_password", json_pack("{ss ss?}", "password", password, "old", old),
                   call);
}

int cc_set_contact(struct cc_conn *c, const char *contact, struct cc_call *call)
{
    return call_op(c, "auth.set_contact", json_pack("{ss}", "contact", contact), call);
}

int cc_delete_account(struct cc_conn *c, const char *password, struct cc_call *call)
{
    return auth_call(c, "auth.delete", json_pack("{ss?}", "password", password), NULL, 1, call);
}

/* ---- designs ---- */

int cc_design_get(struct cc_conn *c, const char *design, struct cc_call *call)
{
    return call_op(c, "design.get", json_pack("{ss}", "design", design), call);
}

int cc_design_edit(struct cc_conn *c, const char *design, const char *title,
                   const char *const *tags, size_t ntags, struct cc_call *call)
{
    json_t *t = tags ? string_array(tags, ntags) : NULL;
    if (tags && !t)
        return call_op(c, "design.edit", NULL, call);
    return call_op(c, "design.edit",
                   json_pack("{ss ss? so?}", "design", design, "title", title, "tags", t), call);
}

int cc_design_withdraw(struct cc_conn *c, const char *design, struct cc_call *call)
{
    return call_op(c, "design.withdraw", json_pack("{ss}", "design", design), call);
}

int cc_design_report(struct cc_conn *c, const char *design, const char *reason,
                     struct cc_call *call)
{
    return call_op(c, "design.report", json_pack("{ss ss}", "design", design, "reason", reason),
                   call);
}

int cc_design_set_status(struct cc_conn *c, const char *design, const char *status,
                         const char *note, struct cc_call *call)
{
    return call_op(c, "design.set_status",
                   json_pack("{ss ss ss?}", "design", design, "status", status, "note", note),
                   call);
}

int cc_design_hide(struct cc_conn *c, const char *design, int hidden, const char *reason,
                   struct cc_call *call)
{
    return call_op(c, "design.hide",
                   json_pack("{ss sb ss?}", "design", design, "hidden", hidden, "reason", reason),
                   call);
}

/* ---- votes and comments ---- */

int cc_vote_cast(struct cc_conn *c, const char *design, int value, struct cc_call *call)
{
    return call_op(c, "vote.cast", json_pack("{ss si}", "design", design, "value", value), call);
}

int cc_vote_clear(struct cc_conn *c, const char *design, struct cc_call *call)
{
    return call_op(c, "vote.clear", json_pack("{ss}", "design", design), call);
}

int cc_comment_post(struct cc_conn *c, const char *design, const char *text,
                    struct cc_call *call)
{
    return call_op(c, "comment.post", json_pack("{ss ss}", "design", design, "text", text), call);
}

int cc_comment_list(struct cc_conn *c, const char *design, const char *before, int limit,
                    struct cc_call *call)
{
    return call_op(c, "comment.list",
                   json_pack("{ss ss? so?}", "design", design, "before", before, "limit",
                             opt_int(limit)),
                   call);
}

int cc_comment_hide(struct cc_conn *c, const char *comment, int hidden, const char *reason,
                    struct cc_call *call)
{
    return call_op(c, "comment.hide",
                   json_pack("{ss sb ss?}", "comment", comment, "hidden", hidden, "reason",
                             reason),
                   call);
}

/* ---- galleries ---- */

json_t *cl_gallery_args(const struct cc_gallery_query *q)
{
    static const struct cc_gallery_query none = {0};
    if (!q)
        q = &none;
    return json_pack("{ss? ss so? so? ss? ss? ss? ss? so? ss?}", "contest", q->contest, "sort",
                     q->sort ? q->sort : "new", "offset", opt_int(q->offset), "limit",
                     opt_int(q->limit), "creator", q->creator, "tag", q->tag, "status",
                     q->status, "kind", q->kind, "seed", opt_int(q->seed), "until", q->until);
}

int cc_gallery_get(struct cc_conn *c, const struct cc_gallery_query *q, struct cc_call *call)
{
    return call_op(c, "gallery.get", cl_gallery_args(q), call);
}

/* ---- contests, results, creators, search, notices ---- */

int cc_contest_create(struct cc_conn *c, json_t *fields, struct cc_call *call)
{
    if (!json_is_object(fields)) {
        json_decref(fields);
        fields = json_object();
    }
    return call_op(c, "contest.create", fields, call);
}

int cc_contest_update(struct cc_conn *c, const char *contest, json_t *fields,
                      struct cc_call *call)
{
    if (!json_is_object(fields)) {
        json_decref(fields);
        fields = json_object();
    }
    json_t *id = contest ? json_string(contest) : NULL;
    if (!id) {
        json_decref(fields);
        return call_op(c, "contest.update", NULL, call);
    }
    json_object_set_new(fields, "contest", id);
    return call_op(c, "contest.update", fields, call);
}

int cc_contest_get(struct cc_conn *c, const char *contest, struct cc_call *call)
{
    return call_op(c, "contest.get", json_pack("{ss}", "contest", contest), call);
}

int cc_contest_list(struct cc_conn *c, const char *phase, struct cc_call *call)
{
    return call_op(c, "contest.list", json_pack("{ss?}", "phase", phase), call);
}

int cc_contest_results(struct cc_conn *c, const char *contest, int offset, int limit,
                       struct cc_call *call)
{
    return call_op(c, "contest.results",
                   json_pack("{ss so? so?}", "contest", contest, "offset", opt_int(offset),
                             "limit", opt_int(limit)),
                   call);
}

int cc_creator_get(struct cc_conn *c, const char *account, struct cc_call *call)
{
    return call_op(c, "creator.get", json_pack("{ss}", "account", account), call);
}

int cc_creator_top(struct cc_conn *c, int offset, int limit, struct cc_call *call)
{
    return call_op(c, "creator.top",
                   json_pack("{so? so?}", "offset", opt_int(offset), "limit", opt_int(limit)),
                   call);
}

int cc_search(struct cc_conn *c, const char *q, const char *contest, const char *kind,
              int offset, int limit, struct cc_call *call)
{
    return call_op(c, "search",
                   json_pack("{ss ss? ss? so? so?}", "q", q, "contest", contest, "kind", kind,
                             "offset", opt_int(offset), "limit", opt_int(limit)),
                   call);
}

int cc_notice_list(struct cc_conn *c, const char *before, int limit, struct cc_call *call)
{
    return call_op(c, "notice.list",
                   json_pack("{ss? so?}", "before", before, "limit", opt_int(limit)), call);
}

int cc_notice_read(struct cc_conn *c, const char *upto, struct cc_call *call)
{
    return call_op(c, "notice.read", json_pack("{ss}", "upto", upto), call);
}

/* ---- moderation ---- */

int cc_account_suspend(struct cc_conn *c, const char *account, int suspended,
                       const char *reason, struct cc_call *call)
{
    return call_op(c, "account.suspend",
                   json_pack("{ss sb ss}", "account", account, "suspended", suspended, "reason",
                             reason),
                   call);
}

int cc_moderation_list(struct cc_conn *c, const char *before, int limit, struct cc_call *call)
{
    return call_op(c, "moderation.list",
                   json_pack("{ss? so?}", "before", before, "limit", opt_int(limit)), call);
}

int cc_review_list(struct cc_conn *c, const char *contest, int limit, struct cc_call *call)
{
    return call_op(c, "review.list",
                   json_pack("{ss? so?}", "contest", contest, "limit", opt_int(limit)), call);
}

int cc_review_dismiss(struct cc_conn *c, const char *design, struct cc_call *call)
{
    return call_op(c, "review.dismiss", json_pack("{ss}", "design", design), call);
}
