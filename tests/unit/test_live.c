/* Live views alone (no network): live.c on a catalog (fixture.c) with fake connections
 * behind its live_io. Coalescing (many changes, one update per window and interval),
 * shared windows, `order` only when the order changed, windows a change cannot reach
 * left alone, backpressure (a backed-up subscriber is skipped, marked stale and resynced
 * with the full window when it drains), watches. Waits for conditions on the loop,
 * never for durations. The loop closes cleanly at the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "check.h"
#include "design_view.h"
#include "fixture.h"
#include "live.h"
#include "net.h"
#include "reports.h"
#include "session.h"

/* A connection as live.c sees it: what it was sent, how much is queued. */
struct fake_conn {
    int closed;
    size_t queued;
    char *msgs[64];
    size_t n;
};

static struct fake_conn *fc(const struct net_conn *c) { return (struct fake_conn *)(uintptr_t)c; }

static void record(struct net_conn *c, const void *buf, size_t len)
{
    struct fake_conn *f = fc(c);
    ASSERT(f->n < CC_ARRAY_LEN(f->msgs));
    char *m = xmalloc(len + 1);
    memcpy(m, buf, len);
    m[len] = 0;
    f->msgs[f->n++] = m;
}

static int io_closed(const struct net_conn *c) { return fc(c)->closed; }
static size_t io_queued(const struct net_conn *c) { return fc(c)->queued; }
static int io_send_msg(struct net_conn *c, struct net_msg *m)
{
    size_t len;
    const void *p = net_msg_data(m, &len);
    record(c, p, len);
    return 0;
}
static int io_send(struct net_conn *c, const void *buf, size_t len, int binary)
{
    ASSERT(!binary);
    record(c, buf, len);
    return 0;
}

static const struct live_io fake_io = {io_closed, io_queued, io_send_msg, io_send};

struct peer {
    struct fake_conn conn;
    struct session s;
};

static void peer_init(struct peer *p, uint64_t account, enum role role)
{
    memset(p, 0, sizeof *p);
    p->s.conn = (struct net_conn *)&p->conn;
    p->s.account = account;
    p->s.role = role;
}

static void peer_free(struct peer *p)
{
    for (size_t i = 0; i < p->conn.n; i++)
        free(p->conn.msgs[i]);
}

static const char *last(const struct peer *p) { return p->conn.n ? p->conn.msgs[p->conn.n - 1] : ""; }

/* Runs the loop until p has n messages (a test that never gets them times out). */
static void wait_msgs(struct fixture *f, const struct peer *p, size_t n)
{
    while (p->conn.n < n)
        uv_run(&f->loop, UV_RUN_ONCE);
}

struct world {
    struct fixture f;
    struct reports *rp;
    struct design_view view;
    struct live *lv;
};

static void world_open(struct world *w)
{
    fx_init(&w->f);
    MDB_txn *txn = fx_begin(&w->f);
    for (uint64_t id = 1; id <= 6; id++) /* no votes: `top` is oldest first */
        fx_design(&w->f, txn, id, "open", 50 + id % 2, 1000 + (int64_t)id, "submitted", 0, "");
    fx_commit(&w->f, txn);
    fx_open(&w->f);
    ASSERT_EQ(reports_open(&w->rp, w->f.st), 0);
    w->view = (struct design_view){w->f.st, w->f.cat, w->rp, NULL, NULL, 0, NULL};
    ASSERT_EQ(live_open(&w->lv, &w->f.loop, &w->view, &fake_io), 0);
}

static void world_close(struct world *w)
{
    size_t subs, windows, watches;
    live_counts(w->lv, &subs, &windows, &watches);
    ASSERT_EQ(subs + windows + watches, 0);
    live_stop(w->lv);
    fx_close(&w->f); /* runs the loop to its end */
    live_close(w->lv);
    reports_close(w->rp);
}

/* A vote as changes_after.c's after_vote makes it, without creators. */
static void vote(struct world *w, uint64_t id, int old_value, int new_value)
{
    struct dmem *d = catalog_design(w->f.cat, id);
    unsigned sorts = live_watched_sorts(w->lv, catalog_gallery_of(d));
    size_t before[SORT_COUNT], after[SORT_COUNT];
    catalog_positions(d, sorts, before);
    catalog_vote(w->f.cat, d, old_value, new_value);
    catalog_positions(d, sorts, after);
    live_design_changed(w->lv, d, before, after);
}

static void subscribe(struct world *w, struct peer *p, enum sort sort, size_t offset,
                      size_t limit)
{
    struct gallery_query q = fx_query("open", sort);
    q.offset = offset;
    q.limit = limit;
    struct ccbuf b;
    ccbuf_init(&b);
    ASSERT_EQ(live_subscribe(w->lv, &p->s, &q, &b), 0);
    ccbuf_append(&b, "", 1);
    ASSERT(strstr((const char *)b.data, "\"sub\":\"s1\",\"total\":6,\"items\":["));
    ccbuf_free(&b);
}

static void test_coalescing_and_order(void)
{
    struct world w;
    world_open(&w);
    struct peer a, b, far;
    peer_init(&a, 7, ROLE_MEMBER);
    peer_init(&b, 8, ROLE_MEMBER);
    peer_init(&far, 9, ROLE_MEMBER);
    subscribe(&w, &a, SORT_TOP, 0, 3);
    subscribe(&w, &b, SORT_TOP, 0, 3); /* the same query: the same window */
    subscribe(&w, &far, SORT_TOP, 4, 2);
    size_t subs, windows, watches;
    live_counts(w.lv, &subs, &windows, &watches);
    ASSERT(subs == 3 && windows == 2 && watches == 0);
    ASSERT(live_watched_sorts(w.lv, catalog_gallery(w.f.cat, "open")) == 1u << SORT_TOP);

    /* Ten votes on the first design: it stays first, so no `order`; one update for all
     * ten, the same bytes to both subscribers; the far window cannot change. */
    for (uint64_t v = 0; v < 10; v++)
        vote(&w, 1, 0, 1);
    wait_msgs(&w.f, &a, 1);
    ASSERT_EQ(b.conn.n, 1);
    ASSERT_STREQ(a.conn.msgs[0], b.conn.msgs[0]);
    ASSERT(strstr(last(&a), "\"ev\":\"gallery.update\",\"sub\":\"s1\""));
    ASSERT(strstr(last(&a), "\"hearts\":10"));
    ASSERT(!strstr(last(&a), "\"order\""));
    ASSERT_EQ(far.conn.n, 0); /* flushed in the same timer pass had it been dirty */

    /* A vote that brings the third design to the top: the order changes. */
    vote(&w, 3, 0, 1);
    for (int i = 0; i < 10; i++)
        vote(&w, 3, 0, 1);
    wait_msgs(&w.f, &a, 2);
    ASSERT_EQ(a.conn.n, 2); /* nothing between the two */
    ASSERT(strstr(last(&a), "\"order\":[\"3\",\"1\",\"2\"]"));

    /* A design moving from the far window's range into the first one dirties both. */
    for (int i = 0; i < 20; i++)
        vote(&w, 6, 0, 1);
    wait_msgs(&w.f, &a, 3);
    wait_msgs(&w.f, &far, 1);
    ASSERT(strstr(last(&a), "\"order\":[\"6\",\"3\",\"1\"]"));
    ASSERT(strstr(last(&far), "\"order\":[\"4\",\"5\"]"));

    ASSERT_EQ(live_unsubscribe(w.lv, &a.s, "s1"), 0);
    ASSERT(live_unsubscribe(w.lv, &a.s, "s1") != 0);
    live_session_closed(w.lv, &b.s);
    live_session_closed(w.lv, &far.s);
    peer_free(&a);
    peer_free(&b);
    peer_free(&far);
    world_close(&w);
}

static void test_backpressure(void)
{
    struct world w;
    world_open(&w);
    struct peer ok, slow;
    peer_init(&ok, 7, ROLE_MEMBER);
    peer_init(&slow, 8, ROLE_MEMBER);
    subscribe(&w, &ok, SORT_NEW, 0, 4);
    subscribe(&w, &slow, SORT_NEW, 0, 4);
    slow.conn.queued = LIVE_QUEUE_BOUND + 1; /* not reading */
    vote(&w, 6, 0, 1);
    wait_msgs(&w.f, &ok, 1);
    ASSERT_EQ(slow.conn.n, 0); /* skipped, */
    ASSERT_EQ(slow.s.live_stale, 1); /* and stale */
    vote(&w, 5, 0, 1); /* still backed up: skipped again, no second mark */
    wait_msgs(&w.f, &ok, 2);
    ASSERT_EQ(slow.conn.n, 0);
    ASSERT_EQ(slow.s.live_stale, 1);
    /* Its queue drains: one full window (every item whole, the order), then it is a
     * subscriber like the others. */
    slow.conn.queued = 0;
    live_session_drained(w.lv, &slow.s);
    ASSERT_EQ(slow.conn.n, 1);
    ASSERT_EQ(slow.s.live_stale, 0);
    ASSERT(strstr(last(&slow), "\"order\":[\"6\",\"5\",\"4\",\"3\"]"));
    ASSERT(strstr(last(&slow), "\"title\":")); /* whole items, not deltas */
    vote(&w, 4, 0, 1);
    wait_msgs(&w.f, &ok, 3);
    wait_msgs(&w.f, &slow, 2);
    ASSERT_STREQ(last(&ok), last(&slow));
    /* A closed connection gets nothing and is not marked. */
    slow.conn.closed = 1;
    vote(&w, 3, 0, 1);
    wait_msgs(&w.f, &ok, 4);
    ASSERT_EQ(slow.conn.n, 2);
    ASSERT_EQ(slow.s.live_stale, 0);
    live_session_closed(w.lv, &ok.s);
    live_session_closed(w.lv, &slow.s);
    peer_free(&ok);
    peer_free(&slow);
    world_close(&w);
}

static void test_watch(void)
{
    struct world w;
    world_open(&w);
    struct peer creator, other, brand;
    peer_init(&creator, 51, ROLE_MEMBER); /* design 1's creator */
    peer_init(&other, 8, ROLE_MEMBER);
    peer_init(&brand, 9, ROLE_BRAND);
    struct dmem *d = catalog_design(w.f.cat, 1);
    ASSERT_EQ(live_watch(w.lv, &creator.s, d), 0);
    ASSERT_EQ(live_watch(w.lv, &other.s, d), 0);
    ASSERT_EQ(live_watch(w.lv, &brand.s, d), 0);
    ASSERT_EQ(live_watch(w.lv, &other.s, d), 0); /* already watching: nothing new */
    size_t subs, windows, watches;
    live_counts(w.lv, &subs, &windows, &watches);
    ASSERT(subs == 3 && watches == 1);
    catalog_set_comments(d, 1);
    const size_t none[SORT_COUNT] = {(size_t)-1, (size_t)-1, (size_t)-1};
    live_design_changed(w.lv, d, none, none);
    live_comment_posted(w.lv, d, 41, "{\"id\":\"41\",\"text\":\"hi\"}");
    wait_msgs(&w.f, &other, 1);
    ASSERT(strstr(last(&other), "\"ev\":\"design.update\",\"design\":{\"id\":\"1\""));
    ASSERT(strstr(last(&other), "\"comments_new\":[{\"id\":\"41\",\"text\":\"hi\"}]"));
    ASSERT(strstr(last(&other), "\"comments\":1"));
    /* Hidden: its watchers hear of it only if they may still see it. */
    ASSERT_EQ(catalog_set_hidden(w.f.cat, d, HIDE_BRAND, 1), 1);
    live_design_changed(w.lv, d, none, none);
    wait_msgs(&w.f, &creator, 2);
    wait_msgs(&w.f, &brand, 2);
    ASSERT_EQ(other.conn.n, 1);
    ASSERT(strstr(last(&brand), "\"design\":{\"id\":\"1\""));
    ASSERT_EQ(live_unwatch(w.lv, &other.s, 1), 0);
    ASSERT(live_unwatch(w.lv, &other.s, 1) != 0);
    live_session_closed(w.lv, &creator.s);
    live_session_closed(w.lv, &brand.s);
    peer_free(&creator);
    peer_free(&other);
    peer_free(&brand);
    world_close(&w);
}

int main(void)
{
    test_coalescing_and_order();
    test_backpressure();
    test_watch();
    return 0;
}
