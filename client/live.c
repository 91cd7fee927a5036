/* Live windows (gallery.subscribe) and watched designs (design.watch): the library
 * keeps what the server showed last, applying each gallery.update (docs/protocol.md,
 * "Galleries and live updates": `order` is the whole window when it changed; an item
 * new to the window comes whole, one already there as {id, tally, comments, score,
 * status}; a full window has every item whole) and each design.update. */
#include "client_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cc_sub {
    struct cc_conn *c;
    struct cc_sub *next;
    char id[32];      /* "" until the reply */
    json_t *items;    /* the window, in order: design objects (ours) */
    long long total;
    unsigned long updates;
    cc_sub_fn fn;
    void *user;
    cc_reply_fn cb;   /* the subscribe call's completion */
    void *cb_user;
    int failed;       /* the subscribe was refused: inactive */
    int blocking;     /* a refusal frees it (the blocking call returns NULL) */
};

struct cc_watch {
    struct cc_conn *c;
    struct cc_watch *next;
    char design[32];
    json_t *current;  /* the design as last shown (ours), NULL until the reply */
    unsigned long updates;
    cc_watch_fn fn;
    void *user;
    cc_reply_fn cb;
    void *cb_user;
    int replied, failed, blocking;
};

/* ---- windows ---- */

/* The design object of id in the array a, or NULL. */
static json_t *find_id(json_t *a, const char *id)
{
    size_t i;
    json_t *d;
    json_array_foreach(a, i, d) {
        const char *did = json_string_value(json_object_get(d, "id"));
        if (did && !strcmp(did, id))
            return d;
    }
    return NULL;
}

void cl_window_apply(json_t **window, long long *total, json_t *ev)
{
    json_t *items = json_object_get(ev, "items"), *order = json_object_get(ev, "order");
    json_t *fresh = json_array(); /* designs not in the window before */
    size_t i;
    json_t *it;
    if (json_is_integer(json_object_get(ev, "total")))
        *total = json_integer_value(json_object_get(ev, "total"));
    json_array_foreach(items, i, it) {
        const char *id = json_string_value(json_object_get(it, "id"));
        if (!id)
            continue;
        json_t *have = find_id(*window, id);
        /* A whole design object (it has its title) replaces; a delta is merged. */
        int whole = json_object_get(it, "title") != NULL;
        if (have && !whole) {
            json_object_update(have, it);
        } else if (have) {
            json_object_clear(have);
            json_object_update(have, it);
        } else {
            json_array_append_new(fresh, json_deep_copy(it));
        }
    }
    if (json_is_array(order)) {
        json_t *win = json_array();
        json_array_foreach(order, i, it) {
            const char *id = json_string_value(it);
            if (!id)
                continue;
            json_t *d = find_id(*window, id);
            if (!d)
                d = find_id(fresh, id);
            /* an id shown with no data for it (the server sends it whole): keep its id */
            json_array_append_new(win, d ? json_incref(d) : json_pack("{ss}", "id", id));
        }
        json_decref(*window);
        *window = win;
    }
    json_decref(fresh);
}

static void sub_unlink(struct cc_sub *s)
{
    struct cc_sub **pp = &s->c->subs;
    while (*pp && *pp != s)
        pp = &(*pp)->next;
    if (*pp)
        *pp = s->next;
}

static void sub_free(struct cc_sub *s)
{
    json_decref(s->items);
    free(s);
}

static void sub_reply(struct cc_conn *c, json_t *result, const struct cc_error *err, void *user)
{
    struct cc_sub *s = user;
    const char *id = json_string_value(json_object_get(result, "sub"));
    cc_reply_fn cb = s->cb;
    void *cb_user = s->cb_user;
    if (s->c == NULL) { /* unsubscribed or closed before the reply: only the call is left */
        free(s);
        cb(c, result, err, cb_user);
        return;
    }
    if (!result || !id) {
        s->failed = 1;
        if (s->blocking) {
            sub_unlink(s);
            sub_free(s);
        }
        cb(c, result, err, cb_user);
        return;
    }
    snprintf(s->id, sizeof s->id, "%s", id);
    json_decref(s->items);
    s->items = json_deep_copy(json_object_get(result, "items"));
    if (!json_is_array(s->items))
        json_decref(s->items), s->items = json_array();
    s->total = json_integer_value(json_object_get(result, "total"));
    if (s->fn)
        s->fn(s, NULL, s->user);
    cb(c, result, err, cb_user);
}

int cc_gallery_subscribe(struct cc_conn *c, const struct cc_gallery_query *q, cc_sub_fn fn,
                         void *user, struct cc_sub **sub, struct cc_call *call)
{
    struct cl_waiter w;
    cc_reply_fn cb;
    void *cb_user;
    if (!c || !call || !sub)
        return CC_ERR_USAGE;
    *sub = NULL;
    if (cl_call_begin(c, call, &w, &cb, &cb_user))
        return CC_ERR_USAGE;
    struct cc_sub *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    s->c = c;
    s->items = json_array();
    s->fn = fn;
    s->user = user;
    s->cb = cb;
    s->cb_user = cb_user;
    s->blocking = !call->cb;
    int rc = cl_send_request(c, "gallery.subscribe", cl_gallery_args(q), sub_reply, s,
                             &call->error);
    if (rc) {
        sub_free(s);
        return rc;
    }
    s->next = c->subs;
    c->subs = s;
    *sub = s;
    rc = cl_call_end(c, call, &w, 0);
    if (rc && !call->cb)
        *sub = NULL; /* freed by sub_reply */
    return rc;
}

int cc_gallery_unsubscribe(struct cc_conn *c, struct cc_sub *s, struct cc_call *call)
{
    struct cl_waiter w;
    cc_reply_fn cb;
    void *user;
    if (!c || !s || !call || s->c != c)
        return CC_ERR_USAGE;
    if (cl_call_begin(c, call, &w, &cb, &user))
        return CC_ERR_USAGE;
    sub_unlink(s);
    char id[32];
    snprintf(id, sizeof id, "%s", s->id);
    int failed = s->failed;
    if (!id[0] && !failed) { /* the reply is still to come: it frees what is left */
        json_decref(s->items);
        s->items = NULL;
        s->c = NULL;
        cl_error(&call->error, CC_ERR_USAGE, "unsubscribed before the subscription's reply");
        return CC_ERR_USAGE;
    }
    sub_free(s);
    if (failed) {
        cl_error(&call->error, CC_ERR_USAGE, "that subscription was refused");
        return CC_ERR_USAGE;
    }
    return cl_call_end(c, call, &w,
                       cl_send_request(c, "gallery.unsubscribe", json_pack("{ss}", "sub", id),
                                       cb, user, &call->error));
}

json_t *cc_sub_items(const struct cc_sub *s)
{
    return s->items;
}

size_t cc_sub_size(const struct cc_sub *s)
{
    return json_array_size(s->items);
}

json_t *cc_sub_item(const struct cc_sub *s, size_t i)
{
    return json_array_get(s->items, i);
}

long long cc_sub_total(const struct cc_sub *s)
{
    return s->total;
}

const char *cc_sub_id(const struct cc_sub *s)
{
    return s->id;
}

unsigned long cc_sub_updates(const struct cc_sub *s)
{
    return s->updates;
}

/* ---- watches ---- */

static void watch_unlink(struct cc_watch *w)
{
    struct cc_watch **pp = &w->c->watches;
    while (*pp && *pp != w)
        pp = &(*pp)->next;
    if (*pp)
        *pp = w->next;
}

static void watch_free(struct cc_watch *w)
{
    json_decref(w->current);
    free(w);
}

static void watch_reply(struct cc_conn *c, json_t *result, const struct cc_error *err,
                        void *user)
{
    struct cc_watch *w = user;
    cc_reply_fn cb = w->cb;
    void *cb_user = w->cb_user;
    json_t *d = json_object_get(result, "design");
    w->replied = 1;
    if (w->c == NULL) { /* unwatched or closed before the reply */
        watch_free(w);
    } else if (!json_is_object(d)) {
        w->failed = 1;
        if (w->blocking) {
            watch_unlink(w);
            watch_free(w);
        }
    } else {
        w->current = json_deep_copy(d);
    }
    cb(c, result, err, cb_user);
}

int cc_design_watch(struct cc_conn *c, const char *design, cc_watch_fn fn, void *user,
                    struct cc_watch **watch, struct cc_call *call)
{
    struct cl_waiter wt;
    cc_reply_fn cb;
    void *cb_user;
    if (!c || !call || !watch || !design)
        return CC_ERR_USAGE;
    *watch = NULL;
    if (cl_call_begin(c, call, &wt, &cb, &cb_user))
        return CC_ERR_USAGE;
    struct cc_watch *w = calloc(1, sizeof *w);
    if (!w)
        abort();
    w->c = c;
    snprintf(w->design, sizeof w->design, "%s", design);
    w->fn = fn;
    w->user = user;
    w->cb = cb;
    w->cb_user = cb_user;
    w->blocking = !call->cb;
    int rc = cl_send_request(c, "design.watch", json_pack("{ss}", "design", design),
                             watch_reply, w, &call->error);
    if (rc) {
        free(w);
        return rc;
    }
    w->next = c->watches;
    c->watches = w;
    *watch = w;
    rc = cl_call_end(c, call, &wt, 0);
    if (rc && !call->cb)
        *watch = NULL; /* freed by watch_reply */
    return rc;
}

int cc_design_unwatch(struct cc_conn *c, struct cc_watch *w, struct cc_call *call)
{
    struct cl_waiter wt;
    cc_reply_fn cb;
    void *user;
    if (!c || !w || !call || w->c != c)
        return CC_ERR_USAGE;
    if (cl_call_begin(c, call, &wt, &cb, &user))
        return CC_ERR_USAGE;
    watch_unlink(w);
    if (!w->replied) { /* the reply frees it */
        w->c = NULL;
        cl_error(&call->error, CC_ERR_USAGE, "unwatched before the watch's reply");
        return CC_ERR_USAGE;
    }
    char design[32];
    snprintf(design, sizeof design, "%s", w->design);
    int failed = w->failed;
    watch_free(w);
    if (failed) {
        cl_error(&call->error, CC_ERR_USAGE, "that watch was refused");
        return CC_ERR_USAGE;
    }
    return cl_call_end(c, call, &wt,
                       cl_send_request(c, "design.unwatch", json_pack("{ss}", "design", design),
                                       cb, user, &call->error));
}

json_t *cc_watch_design(const struct cc_watch *w)
{
    return w->current;
}

unsigned long cc_watch_updates(const struct cc_watch *w)
{
    return w->updates;
}

/* ---- events ---- */

int cl_live_event(struct cc_conn *c, const char *name, json_t *ev)
{
    if (c->close_asked)
        return 1;
    if (!strcmp(name, "gallery.update")) {
        const char *id = json_string_value(json_object_get(ev, "sub"));
        for (struct cc_sub *s = c->subs; id && s; s = s->next)
            if (!strcmp(s->id, id)) {
                cl_window_apply(&s->items, &s->total, ev);
                s->updates++;
                if (s->fn)
                    s->fn(s, ev, s->user);
                return 1;
            }
        return 0;
    }
    if (!strcmp(name, "design.update")) {
        json_t *d = json_object_get(ev, "design");
        const char *id = json_string_value(json_object_get(d, "id"));
        int took = 0;
        struct cc_watch *w = c->watches, *next;
        for (; id && w; w = next) {
            next = w->next;
            if (strcmp(w->design, id) != 0 || !w->current)
                continue;
            json_object_update(w->current, d);
            w->updates++;
            took = 1;
            if (w->fn)
                w->fn(w, ev, w->user);
            if (c->close_asked)
                break;
        }
        return took;
    }
    return 0;
}

void cl_live_free_all(struct cc_conn *c)
{
    while (c->subs) {
        struct cc_sub *s = c->subs;
        c->subs = s->next;
        if (!s->id[0] && !s->failed) { /* its pending reply frees it */
            json_decref(s->items);
            s->items = NULL;
            s->c = NULL;
        } else {
            sub_free(s);
        }
    }
    while (c->watches) {
        struct cc_watch *w = c->watches;
        c->watches = w->next;
        if (!w->replied)
            w->c = NULL;
        else
            watch_free(w);
    }
}
