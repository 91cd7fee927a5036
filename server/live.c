/* Live updates. See live.h. */
#include "live.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "ccerr.h"
#include "comments.h"
#include "contests.h"
#include "design_view.h"
#include "designs.h"
#include "log.h"
#include "net.h"
#include "reports.h"
#include "u64map.h"
#include "util.h"

struct window;
struct watch;

/* One subscription (gallery.subscribe) or watch (design.watch) of one connection. */
struct live_sub {
    char id[24];
    struct session *sess;
    struct window *w; /* a gallery subscription, or */
    struct watch *wt; /* a design watch */
    int stale;        /* skipped while its connection was backed up */
    int fresh;        /* holds a newer window than the one last sent to the others:
                         its next update is the full window */
    uint64_t seen_comment; /* a watch: the newest comment id it was sent or had when it
                              started watching (a resync sends it the ones after) */
    struct live_sub *prev, *next; /* in its window's or watch's list */
    struct live_sub *snext;       /* in its session's list */
};

/* A gallery window shared by every subscription with the same query. */
struct window {
    struct gallery_query q;
    const struct cgal *gal;
    int filtered;
    struct live_sub *subs;
    size_t nsubs;
    uint64_t ids[CATALOG_PAGE_MAX]; /* as last sent */
    uint32_t versions[CATALOG_PAGE_MAX];
    size_t n, total;
    int dirty;
    uint64_t last_flush;
    /* The last full window sent (a resync), for the other subscribers with the same
     * sub id that resync before the window changes: built once, not per reader. */
    struct net_msg *full;
    char full_id[24];
    uint64_t full_at;
    struct window *gnext, *gprev; /* in the (gallery, sort) list */
    struct window *dnext;         /* in the dirty list */
};

struct watch {
    uint64_t design;
    struct live_sub *subs;
    char **comments;  /* new comments since the last event, oldest first (malloc'd) */
    size_t ncomments; /* ≤ LIVE_COMMENTS_MAX */
    int comments_gap; /* some were left out */
    uint64_t last_comment;    /* the newest comment id posted while watched */
    uint64_t flushed_comment; /* the newest one an event has carried */
    uint32_t pub_version;     /* the design's version at the last event: watchers who
                                 may not see a sealed tally are told only of the rest */
    int dirty;
    uint64_t last_flush;
    struct watch *dnext;
};

struct live {
    const struct design_view *view; /* borrowed: catalog, store, reports */
    const struct live_io *io;       /* borrowed: how to send */
    struct u64map lists;   /* gallery pointer * SORT_COUNT + sort + 1 → struct window * */
    struct u64map watches; /* design id → struct watch * */
    struct window *dirty_w;
    struct watch *dirty_d;
    uv_timer_t timer;
    size_t subs, windows;
};

static uint64_t list_key(const struct cgal *g, enum sort s)
{
    return (uint64_t)(uintptr_t)g * SORT_COUNT + (uint64_t)s + 1;
}

static uint64_t now_ms(void)
{
    return now_ms_monotonic();
}

/* ---- scheduling ---- */

static void on_timer(uv_timer_t *t);

/* Makes sure the timer fires when the earliest dirty entry is due. */
static void schedule(struct live *lv, uint64_t last_flush)
{
    uint64_t due = last_flush + LIVE_INTERVAL_MS, now = now_ms();
    uint64_t wait = due > now ? due - now : 0;
    if (uv_is_active((uv_handle_t *)&lv->timer) && uv_timer_get_due_in(&lv->timer) <= wait)
        return;
    uv_timer_start(&lv->timer, on_timer, wait, 0);
}

static void window_dirty(struct live *lv, struct window *w)
{
    if (w->dirty)
        return;
    net_msg_unref(w->full); /* the window may change: a resync builds a new one */
    w->full = NULL;
    w->dirty = 1;
    w->dnext = lv->dirty_w;
    lv->dirty_w = w;
    schedule(lv, w->last_flush);
}

static void watch_dirty(struct live *lv, struct watch *wt)
{
    if (wt->dirty)
        return;
    wt->dirty = 1;
    wt->dnext = lv->dirty_d;
    lv->dirty_d = wt;
    schedule(lv, wt->last_flush);
}

/* ---- sending ---- */

/* Whether sub's connection can take an event now; if it is backed up, marks sub stale
 * (it gets a fresh full window when the connection drains). */
static int can_send(const struct live *lv, struct live_sub *sub)
{
    struct net_conn *c = sub->sess->conn;
    if (sub->stale || lv->io->closed(c))
        return 0;
    if (lv->io->queued(c) > LIVE_QUEUE_BOUND) {
        sub->stale = 1;
        sub->sess->live_stale++;
        return 0;
    }
    return 1;
}

/* The bytes of one gallery.update, pre + sub id + post, shared by every subscriber
 * whose sub id is the same (ids are per connection: most connections' first
 * subscription is "s1"), so a window's update is built once, not once per subscriber. */
#define LIVE_MSG_CACHE 8
struct msg_cache {
    const struct ccbuf *pre, *post;
    struct {
        char id[24];
        struct net_msg *msg;
    } e[LIVE_MSG_CACHE];
    size_t n, next;
};

static void cache_init(struct msg_cache *mc, const struct ccbuf *pre, const struct ccbuf *post)
{
    memset(mc, 0, sizeof *mc);
    mc->pre = pre;
    mc->post = post;
}

static struct net_msg *cache_get(struct msg_cache *mc, const char *id)
{
    for (size_t i = 0; i < mc->n; i++)
        if (!strcmp(mc->e[i].id, id))
            return mc->e[i].msg;
    size_t idl = strlen(id), k;
    if (mc->n < LIVE_MSG_CACHE) {
        k = mc->n++;
    } else { /* replace round robin */
        k = mc->next;
        mc->next = (mc->next + 1) % LIVE_MSG_CACHE;
        net_msg_unref(mc->e[k].msg);
    }
    struct ccbuf b;
    ccbuf_init(&b);
    ccbuf_append(&b, mc->pre->data, mc->pre->len);
    ccbuf_append(&b, id, idl);
    ccbuf_append(&b, mc->post->data, mc->post->len);
    snprintf(mc->e[k].id, sizeof mc->e[k].id, "%s", id);
    mc->e[k].msg = net_msg_new(b.data, b.len);
    ccbuf_free(&b);
    return mc->e[k].msg;
}

static void cache_free(struct msg_cache *mc)
{
    for (size_t i = 0; i < mc->n; i++)
        net_msg_unref(mc->e[i].msg);
}

/* Whether w's subscribers are shown tallies: in a sealed contest (SPEC §8) only the
 * brand's windows and a creator's window of their own designs show them. */
static int window_tallies(const struct window *w)
{
    return w->q.hidden_of || !contest_sealed(catalog_gallery_contest(w->gal));
}

/* What a window remembers of d as sent: its data's version (the high half: a change
 * there sends the design whole) and, when the window shows tallies, its tally's (the
 * low half: a change there alone sends the delta). Without tallies, a vote (which
 * changes only the tally and the score) is no change to show. */
static uint32_t seen_version(const struct dmem *d, int tallies)
{
    return (uint32_t)d->version << 16 | (tallies ? d->tversion : 0);
}

/* Appends "items":[...] to b: the whole design object of each item, except those
 * marked 1 in delta (held by the subscribers, only their tally and score changed),
 * which carry only what changes (design_delta_json); items marked 0 in changed are left out;
 * tallies as window_tallies says. For the brand's windows (brand), whole items carry `reports`. */
static int append_items(struct live *lv, struct ccbuf *b, struct dmem **items, size_t n,
                        const int *changed, const int *delta, int tallies, int brand)
{
    MDB_txn *txn = NULL;
    int rc = 0;
    ccbuf_append_str(b, "\"items\":[");
    int first = 1;
    for (size_t i = 0; i < n && !rc; i++) {
        if (changed && !changed[i])
            continue;
        if (!first)
            ccbuf_append(b, ",", 1);
        first = 0;
        if (delta && delta[i]) {
            design_delta_json(items[i], tallies, b);
            continue;
        }
        if (!txn && (rc = store_read_begin(lv->view->store, &txn)))
            break;
        rc = design_json(lv->view, txn, items[i], tallies, b);
        if (!rc && brand)
            reports_splice(lv->view->reports, items[i]->id, b);
    }
    if (txn)
        store_read_end(lv->view->store, txn);
    ccbuf_append(b, "]", 1);
    return rc;
}

static void append_order(struct ccbuf *b, struct dmem **items, size_t n)
{
    ccbuf_append_str(b, ",\"order\":[");
    for (size_t i = 0; i < n; i++) {
        char id[32];
        int len = snprintf(id, sizeof id, "%s\"%llu\"", i ? "," : "",
                           (unsigned long long)items[i]->id);
        ccbuf_append(b, id, (size_t)len);
    }
    ccbuf_append(b, "]", 1);
}

/* Builds the two halves of a gallery.update around the sub id: with every item (whole)
 * and the order when full, else only what changed since the window was last sent —
 * designs new to the window whole, designs already in it as a delta — and then
 * updates the window's memory of what was sent. Returns 0 when there is nothing to
 * send. */
static int window_event(struct live *lv, struct window *w, int full, struct ccbuf *pre,
                        struct ccbuf *post)
{
    struct dmem *items[CATALOG_PAGE_MAX];
    size_t total = 0;
    int n = catalog_page(lv->view->catalog, &w->q, items, &total);
    if (n < 0)
        return 0;
    int changed[CATALOG_PAGE_MAX], delta[CATALOG_PAGE_MAX], any = 0,
        order = (size_t)n != w->n, tallies = window_tallies(w);
    for (int i = 0; i < n; i++) {
        changed[i] = 1;
        delta[i] = 0;
        if (!order && w->ids[i] != items[i]->id)
            order = 1;
        for (size_t j = 0; j < w->n; j++)
            if (w->ids[j] == items[i]->id) {
                changed[i] = w->versions[j] != seen_version(items[i], tallies);
                /* held, and only what a delta carries changed: the delta */
                delta[i] = w->versions[j] >> 16 == items[i]->version;
                break;
            }
        any |= changed[i];
    }
    if (!full && !any && !order && total == w->total)
        return 0;
    ccbuf_append_str(pre, "{\"ev\":\"gallery.update\",\"sub\":\"");
    char head[64];
    int len = snprintf(head, sizeof head, "\",\"total\":%zu", total);
    ccbuf_append(post, head, (size_t)len);
    if (full || order)
        append_order(post, items, (size_t)n);
    ccbuf_append(post, ",", 1);
    /* Windows that show hidden designs (the brand's, a creator's own) send changed items
     * whole: `hidden` changes while such a window shows the design. */
    if (append_items(lv, post, items, (size_t)n, full ? NULL : changed,
                     full || w->q.hidden_of ? NULL : delta, tallies,
                     w->q.hidden_of == CATALOG_HIDDEN_ALL))
        return 0;
    ccbuf_append(post, "}", 1);
    if (!full) {
        w->n = (size_t)n;
        w->total = total;
        for (int i = 0; i < n; i++) {
            w->ids[i] = items[i]->id;
            w->versions[i] = seen_version(items[i], tallies);
        }
    }
    return 1;
}

/* Sends sub the full window now (a resync), outside the window's flushes. */
static void send_full(struct live *lv, struct live_sub *sub)
{
    struct window *w = sub->w;
    uint64_t now = now_ms();
    /* Readers that fell behind together catch up together: reuse the full window
     * built for the last of them while the window has not changed (not dirty since;
     * at most LIVE_INTERVAL_MS old, for what changes without dirtying it). */
    if (w->full && !strcmp(w->full_id, sub->id) && now - w->full_at < LIVE_INTERVAL_MS) {
        lv->io->send_msg(sub->sess->conn, w->full);
        sub->fresh = 0; /* not dirty: nothing unflushed to miss */
        return;
    }
    struct ccbuf pre, post;
    ccbuf_init(&pre);
    ccbuf_init(&post);
    if (window_event(lv, w, 1, &pre, &post)) {
        struct msg_cache mc;
        cache_init(&mc, &pre, &post);
        struct net_msg *m = cache_get(&mc, sub->id);
        lv->io->send_msg(sub->sess->conn, m);
        if (!w->dirty) {
            net_msg_unref(w->full);
            w->full = net_msg_ref(m);
            snprintf(w->full_id, sizeof w->full_id, "%s", sub->id);
            w->full_at = now;
        }
        cache_free(&mc);
        /* Changes not yet flushed: the others will get them as deltas against the
         * window last sent, which this subscriber may not hold whole. */
        sub->fresh = w->dirty;
    }
    ccbuf_free(&pre);
    ccbuf_free(&post);
}

static void window_flush(struct live *lv, struct window *w)
{
    int fresh = 0;
    for (struct live_sub *s = w->subs; s; s = s->next)
        fresh |= s->fresh;
    struct ccbuf pre, post, fpre, fpost;
    ccbuf_init(&pre);
    ccbuf_init(&post);
    ccbuf_init(&fpre);
    ccbuf_init(&fpost);
    /* Subscribers that joined (or resynced) since the last flush get the full window,
     * built before window_event below moves the window's memory on. */
    int have_full = fresh && window_event(lv, w, 1, &fpre, &fpost);
    if (window_event(lv, w, 0, &pre, &post) || have_full) {
        struct msg_cache mc, fmc;
        cache_init(&mc, &pre, &post);
        cache_init(&fmc, &fpre, &fpost);
        for (struct live_sub *s = w->subs; s; s = s->next) {
            int f = s->fresh;
            if (!can_send(lv, s))
                continue;
            s->fresh = 0;
            if (f && have_full)
                lv->io->send_msg(s->sess->conn, cache_get(&fmc, s->id));
            else if (pre.len)
                lv->io->send_msg(s->sess->conn, cache_get(&mc, s->id));
        }
        cache_free(&mc);
        cache_free(&fmc);
    }
    ccbuf_free(&pre);
    ccbuf_free(&post);
    ccbuf_free(&fpre);
    ccbuf_free(&fpost);
}

/* {"ev":"design.update","design":{...}} for a watch's design (no sub id: the design
 * names it), its tally shown or not (tally: design_json), with the watch's new
 * comments (newest first) when comments is set; for a resync (resync set), the stored
 * comments it missed instead: those after its seen_comment up to the last one an
 * event carried (newer ones are pending, and come with the next event). */
static int watch_event(struct live *lv, struct watch *wt, int tally, int comments,
                       struct live_sub *resync, struct ccbuf *msg)
{
    struct dmem *d = catalog_design(lv->view->catalog, wt->design);
    MDB_txn *txn;
    if (!d || store_read_begin(lv->view->store, &txn))
        return 0;
    ccbuf_append_str(msg, "{\"ev\":\"design.update\",\"design\":");
    int rc = design_json(lv->view, txn, d, tally, msg);
    if (!rc)
        design_timeline_splice(txn, lv->view->store, d->id, msg);
    if (!rc && resync && resync->seen_comment < wt->flushed_comment) {
        struct ccbuf missed;
        ccbuf_init(&missed);
        int more = 0;
        rc = comment_range(txn, lv->view->store, d->id, resync->seen_comment, wt->flushed_comment,
                           LIVE_COMMENTS_MAX, 0, &missed, &more); /* one event for all
                                                      watchers: what anyone may see */
        if (!rc && missed.len) {
            ccbuf_append_str(msg, ",\"comments_new\":[");
            ccbuf_append(msg, missed.data, missed.len);
            ccbuf_append(msg, "]", 1);
            if (more)
                ccbuf_append_str(msg, ",\"comments_gap\":true");
        }
        ccbuf_free(&missed);
        if (!rc)
            resync->seen_comment = wt->flushed_comment;
    }
    store_read_end(lv->view->store, txn);
    if (comments && wt->ncomments) {
        ccbuf_append_str(msg, ",\"comments_new\":[");
        for (size_t i = wt->ncomments; i-- > 0;) {
            ccbuf_append_str(msg, wt->comments[i]);
            if (i)
                ccbuf_append(msg, ",", 1);
        }
        ccbuf_append(msg, "]", 1);
        if (wt->comments_gap)
            ccbuf_append_str(msg, ",\"comments_gap\":true");
    }
    ccbuf_append(msg, "}", 1);
    return rc == 0;
}

static void watch_clear_comments(struct watch *wt)
{
    for (size_t i = 0; i < wt->ncomments; i++)
        free(wt->comments[i]);
    free(wt->comments);
    wt->comments = NULL;
    wt->ncomments = 0;
    wt->comments_gap = 0;
}

/* Whether the subscriber of sub is shown d's tally (design_tally_seen), read in *txn,
 * begun here when first needed (NULL until then; the caller ends it). */
static int sub_sees_tally(struct live *lv, MDB_txn **txn, const struct dmem *d,
                          const struct live_sub *sub)
{
    if (!dmem_sealed(d))
        return 1;
    if (!*txn && store_read_begin(lv->view->store, txn))
        return 0;
    return design_tally_seen(lv->view, *txn, d, sub->sess);
}

/* One event for all the watchers of wt — two when its tally is sealed (SPEC §8): with
 * it for those who may see it, without it for the others, who hear nothing when only
 * the tally changed. */
static void watch_flush(struct live *lv, struct watch *wt)
{
    struct dmem *d = catalog_design(lv->view->catalog, wt->design);
    struct net_msg *m[2] = {NULL, NULL}; /* [tally shown] */
    int made[2] = {0, 0};
    int public_news = d && d->version != wt->pub_version;
    MDB_txn *txn = NULL; /* for the watchers' votes on a sealed design */
    for (struct live_sub *s = d ? wt->subs : NULL; s; s = s->next) {
        if (!dmem_visible(d, s->sess) || !can_send(lv, s)) /* hidden: creator, brand */
            continue;
        int t = sub_sees_tally(lv, &txn, d, s);
        if (!t && !public_news)
            continue;
        if (!made[t]) {
            made[t] = 1;
            if (txn) { /* watch_event reads in a txn of its own: never two at once */
                store_read_end(lv->view->store, txn);
                txn = NULL;
            }
            struct ccbuf msg;
            ccbuf_init(&msg);
            if (watch_event(lv, wt, t, 1, NULL, &msg))
                m[t] = net_msg_new(msg.data, msg.len);
            ccbuf_free(&msg);
        }
        if (m[t]) {
            lv->io->send_msg(s->sess->conn, m[t]);
            s->seen_comment = wt->last_comment;
        }
    }
    if (txn)
        store_read_end(lv->view->store, txn);
    if (d) {
        wt->flushed_comment = wt->last_comment;
        wt->pub_version = d->version;
    }
    for (int i = 0; i < 2; i++)
        if (m[i])
            net_msg_unref(m[i]);
    watch_clear_comments(wt);
}

static void on_timer(uv_timer_t *t)
{
    struct live *lv = container_of(t, struct live, timer);
    uint64_t now = now_ms(), next = UINT64_MAX;
    struct window **pw = &lv->dirty_w;
    while (*pw) {
        struct window *w = *pw;
        if (w->last_flush + LIVE_INTERVAL_MS <= now) {
            *pw = w->dnext;
            w->dirty = 0;
            w->last_flush = now;
            window_flush(lv, w);
        } else {
            if (w->last_flush + LIVE_INTERVAL_MS < next)
                next = w->last_flush + LIVE_INTERVAL_MS;
            pw = &w->dnext;
        }
    }
    struct watch **pd = &lv->dirty_d;
    while (*pd) {
        struct watch *wt = *pd;
        if (wt->last_flush + LIVE_INTERVAL_MS <= now) {
            *pd = wt->dnext;
            wt->dirty = 0;
            wt->last_flush = now;
            watch_flush(lv, wt);
        } else {
            if (wt->last_flush + LIVE_INTERVAL_MS < next)
                next = wt->last_flush + LIVE_INTERVAL_MS;
            pd = &wt->dnext;
        }
    }
    if (next != UINT64_MAX)
        uv_timer_start(&lv->timer, on_timer, next > now ? next - now : 0, 0);
}

/* ---- windows, watches, subscriptions ---- */

static int same_query(const struct gallery_query *a, const struct gallery_query *b)
{
    return a->sort == b->sort && a->offset == b->offset && a->limit == b->limit &&
           a->creator == b->creator && a->status == b->status && !strcmp(a->contest, b->contest) &&
           !strcmp(a->tag, b->tag) && a->hidden_of == b->hidden_of && a->kind == b->kind;
}

static struct window *window_get(struct live *lv, const struct cgal *g,
                                 const struct gallery_query *q)
{
    uint64_t key = list_key(g, q->sort);
    struct window *head = u64map_get(&lv->lists, key);
    for (struct window *w = head; w; w = w->gnext)
        if (same_query(&w->q, q))
            return w;
    struct window *w = xcalloc(1, sizeof *w);
    w->q = *q;
    w->gal = g;
    w->filtered = q->creator || q->tag[0] || q->status >= 0 || q->hidden_of || q->kind;
    struct dmem *items[CATALOG_PAGE_MAX];
    int n = catalog_page(lv->view->catalog, q, items, &w->total);
    int tallies = window_tallies(w);
    for (int i = 0; i < n; i++) {
        w->ids[i] = items[i]->id;
        w->versions[i] = seen_version(items[i], tallies);
    }
    w->n = n > 0 ? (size_t)n : 0;
    w->gnext = head;
    if (head)
        head->gprev = w;
    u64map_put(&lv->lists, key, w);
    lv->windows++;
    return w;
}

/* Drops a window with no subscriber left. A dirty one is freed by the timer. */
static void window_release(struct live *lv, struct window *w)
{
    if (w->nsubs)
        return;
    uint64_t key = list_key(w->gal, w->q.sort);
    if (w->gprev)
        w->gprev->gnext = w->gnext;
    else if (w->gnext)
        u64map_put(&lv->lists, key, w->gnext);
    else
        u64map_del(&lv->lists, key);
    if (w->gnext)
        w->gnext->gprev = w->gprev;
    lv->windows--;
    if (w->dirty) { /* unlink from the dirty list */
        for (struct window **p = &lv->dirty_w; *p; p = &(*p)->dnext)
            if (*p == w) {
                *p = w->dnext;
                break;
            }
    }
    net_msg_unref(w->full);
    free(w);
}

static void watch_release(struct live *lv, struct watch *wt)
{
    if (wt->subs)
        return;
    u64map_del(&lv->watches, wt->design);
    watch_clear_comments(wt);
    if (wt->dirty)
        for (struct watch **p = &lv->dirty_d; *p; p = &(*p)->dnext)
            if (*p == wt) {
                *p = wt->dnext;
                break;
            }
    free(wt);
}

static struct live_sub *sub_new(struct session *s, const char *prefix)
{
    struct live_sub *sub = xcalloc(1, sizeof *sub);
    snprintf(sub->id, sizeof sub->id, "%s%llu", prefix, (unsigned long long)++s->live_seq);
    sub->sess = s;
    sub->snext = s->live;
    s->live = sub;
    s->live_count++;
    return sub;
}

static void link_sub(struct live_sub **head, struct live_sub *sub)
{
    sub->next = *head;
    if (*head)
        (*head)->prev = sub;
    *head = sub;
}

/* Unlinks sub from its window or watch and frees it (not from its session's list). */
static void sub_free(struct live *lv, struct live_sub *sub)
{
    struct live_sub **head = sub->w ? &sub->w->subs : &sub->wt->subs;
    if (sub->prev)
        sub->prev->next = sub->next;
    else
        *head = sub->next;
    if (sub->next)
        sub->next->prev = sub->prev;
    if (sub->stale)
        sub->sess->live_stale--;
    sub->sess->live_count--;
    lv->subs--;
    if (sub->w) {
        sub->w->nsubs--;
        window_release(lv, sub->w);
    } else {
        watch_release(lv, sub->wt);
    }
    free(sub);
}

int live_subscribe(struct live *lv, struct session *s, const struct gallery_query *q,
                   struct ccbuf *out)
{
    if (s->live_count >= LIVE_SUBS_PER_CONN)
        return CC_ETOOLARGE;
    const struct cgal *g = catalog_gallery(lv->view->catalog, q->contest);
    if (!g)
        return CC_ENOTFOUND;
    struct window *w = window_get(lv, g, q);
    struct live_sub *sub = sub_new(s, "s");
    sub->w = w;
    sub->fresh = w->dirty; /* its first window is newer than the one last sent */
    link_sub(&w->subs, sub);
    w->nsubs++;
    lv->subs++;
    char prefix[48];
    snprintf(prefix, sizeof prefix, "\"sub\":\"%s\",", sub->id);
    return gallery_window_json(lv->view, q, s, out, prefix);
}

/* Finds and unlinks s's sub with this id from the session list. */
static struct live_sub *session_take(struct session *s, const char *id)
{
    for (struct live_sub **p = &s->live; *p; p = &(*p)->snext)
        if (!strcmp((*p)->id, id)) {
            struct live_sub *sub = *p;
            *p = sub->snext;
            return sub;
        }
    return NULL;
}

int live_unsubscribe(struct live *lv, struct session *s, const char *id)
{
    struct live_sub *sub = session_take(s, id);
    if (!sub)
        return CC_ENOTFOUND;
    if (!sub->w) { /* a watch's id: put it back */
        sub->snext = s->live;
        s->live = sub;
        return CC_ENOTFOUND;
    }
    sub_free(lv, sub);
    return 0;
}

int live_watch(struct live *lv, struct session *s, struct dmem *d)
{
    if (s->live_count >= LIVE_SUBS_PER_CONN)
        return CC_ETOOLARGE;
    for (struct live_sub *x = s->live; x; x = x->snext)
        if (x->wt && x->wt->design == d->id)
            return 0; /* already watching */
    struct watch *wt = u64map_get(&lv->watches, d->id);
    if (!wt) {
        wt = xcalloc(1, sizeof *wt);
        wt->design = d->id;
        wt->pub_version = d->version;
        u64map_put(&lv->watches, d->id, wt);
    }
    struct live_sub *sub = sub_new(s, "w");
    sub->wt = wt;
    /* A resync sends what came after this (comments pending on wt come anyway). */
    MDB_txn *txn;
    if (!store_read_begin(lv->view->store, &txn)) {
        if (comment_newest(txn, lv->view->store, d->id, &sub->seen_comment))
            sub->seen_comment = 0;
        store_read_end(lv->view->store, txn);
    }
    link_sub(&wt->subs, sub);
    lv->subs++;
    return 0;
}

int live_unwatch(struct live *lv, struct session *s, uint64_t design)
{
    for (struct live_sub **p = &s->live; *p; p = &(*p)->snext)
        if ((*p)->wt && (*p)->wt->design == design) {
            struct live_sub *sub = *p;
            *p = sub->snext;
            sub_free(lv, sub);
            return 0;
        }
    return CC_ENOTFOUND;
}

void live_session_closed(struct live *lv, struct session *s)
{
    while (s->live) {
        struct live_sub *sub = s->live;
        s->live = sub->snext;
        sub_free(lv, sub);
    }
}

void live_session_drained(struct live *lv, struct session *s)
{
    if (!s->live_stale)
        return;
    for (struct live_sub *sub = s->live; sub; sub = sub->snext) {
        if (!sub->stale)
            continue;
        sub->stale = 0;
        s->live_stale--;
        if (sub->w) {
            send_full(lv, sub);
            continue;
        }
        struct ccbuf msg;
        ccbuf_init(&msg);
        struct dmem *d = catalog_design(lv->view->catalog, sub->wt->design);
        MDB_txn *txn = NULL;
        int t = d && dmem_visible(d, s) ? sub_sees_tally(lv, &txn, d, sub) : -1;
        if (txn) /* before watch_event's own */
            store_read_end(lv->view->store, txn);
        if (t >= 0 && watch_event(lv, sub->wt, t, 0, sub, &msg))
            lv->io->send(s->conn, msg.data, msg.len, 0);
        ccbuf_free(&msg);
    }
}

/* ---- changes ---- */

unsigned live_watched_sorts(const struct live *lv, const struct cgal *g)
{
    unsigned sorts = 0;
    for (int s = 0; s < SORT_COUNT; s++)
        if (u64map_get(&lv->lists, list_key(g, (enum sort)s)))
            sorts |= 1u << s;
    return sorts;
}

static int window_has(const struct window *w, uint64_t id)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->ids[i] == id)
            return 1;
    return 0;
}

void live_design_changed(struct live *lv, struct dmem *d, const size_t *pos_old,
                         const size_t *pos_new)
{
    const struct cgal *g = catalog_gallery_of(d);
    for (int s = 0; s < SORT_COUNT; s++) {
        for (struct window *w = u64map_get(&lv->lists, list_key(g, (enum sort)s)); w;
             w = w->gnext) {
            size_t a = pos_old[s], b = pos_new[s];
            int hit;
            if (w->filtered || a == (size_t)-1 || b == (size_t)-1) {
                /* Without positions: the window shows d now, or might after a move. */
                hit = window_has(w, d->id) || w->filtered || a != b;
            } else {
                size_t lo = a < b ? a : b, hi = a < b ? b : a;
                hit = lo < w->q.offset + w->q.limit && hi >= w->q.offset;
            }
            if (hit)
                window_dirty(lv, w);
        }
    }
    struct watch *wt = u64map_get(&lv->watches, d->id);
    if (wt)
        watch_dirty(lv, wt);
}

void live_comment_posted(struct live *lv, struct dmem *d, uint64_t id, const char *json)
{
    struct watch *wt = u64map_get(&lv->watches, d->id);
    if (!wt)
        return;
    if (id > wt->last_comment)
        wt->last_comment = id;
    if (wt->ncomments == LIVE_COMMENTS_MAX) {
        free(wt->comments[0]);
        memmove(wt->comments, wt->comments + 1, (LIVE_COMMENTS_MAX - 1) * sizeof *wt->comments);
        wt->ncomments--;
        wt->comments_gap = 1;
    }
    if (!wt->comments)
        wt->comments = xmalloc(LIVE_COMMENTS_MAX * sizeof *wt->comments);
    wt->comments[wt->ncomments++] = xstrdup(json);
    watch_dirty(lv, wt);
}

void live_gallery_changed(struct live *lv, const struct cgal *g)
{
    for (int s = 0; s < SORT_COUNT; s++)
        for (struct window *w = u64map_get(&lv->lists, list_key(g, (enum sort)s)); w;
             w = w->gnext)
            window_dirty(lv, w);
}

void live_counts(struct live *lv, size_t *subs, size_t *windows, size_t *watches)
{
    *subs = lv->subs;
    *windows = lv->windows;
    *watches = lv->watches.count;
}

/* ---- lifecycle ---- */

int live_open(struct live **out, uv_loop_t *loop, const struct design_view *view,
              const struct live_io *io)
{
    struct live *lv = xcalloc(1, sizeof *lv);
    lv->view = view;
    lv->io = io;
    u64map_init(&lv->lists);
    u64map_init(&lv->watches);
    uv_timer_init(loop, &lv->timer);
    *out = lv;
    return 0;
}

void live_stop(struct live *lv)
{
    if (lv && !uv_is_closing((uv_handle_t *)&lv->timer))
        uv_close((uv_handle_t *)&lv->timer, NULL);
}

void live_close(struct live *lv)
{
    if (!lv)
        return;
    /* Every connection closed before this, taking its subscriptions with it. */
    if (lv->subs)
        log_error("live: %zu subscriptions left at exit", lv->subs);
    u64map_free(&lv->lists);
    u64map_free(&lv->watches);
    free(lv);
}
