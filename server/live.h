/* Live updates (SPEC §4): gallery subscriptions and design watches.
 *
 * Subscriptions with the same query share one `window`; windows are indexed by contest
 * and sort, so a vote looks only at the windows of its contest whose range it can
 * change (its old and new positions), never at every subscriber. A changed window is
 * recomputed at most once per LIVE_INTERVAL_MS and the same update goes to all its
 * subscribers (`order` only when the order changed, `items` only for entries whose
 * data changed). A subscriber whose connection has more than LIVE_QUEUE_BOUND bytes
 * unsent is skipped and marked stale; when its queue drains it gets one fresh full
 * window instead of everything it missed. Watches work the same way per design.
 * It reads designs through a design_view and sends through a live_io (net.c's
 * functions in the server, a test's own in tests/unit/test_live.c).
 * Thread use: loop thread only. */
#ifndef CC_LIVE_H
#define CC_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "catalog.h"
#include "design_view.h"
#include "net.h"
#include "session.h"

/* SPEC §4: at most one event per subscription per 100 ms. */
#define LIVE_INTERVAL_MS 100
/* Events are not queued on a connection that has this many bytes waiting. */
#define LIVE_QUEUE_BOUND (64 * 1024)
/* Most subscriptions and watches one connection may hold. */
#define LIVE_SUBS_PER_CONN 64
/* Most new comments one design.update carries; when more came in one interval, the
 * oldest are left out and the event says "comments_gap": true. */
#define LIVE_COMMENTS_MAX 100

struct live;

/* How live sends to a connection: net.c's functions of the same signatures. */
struct live_io {
    /* Whether the peer is gone (net_conn_closed). */
    int (*closed)(const struct net_conn *c);
    /* Bytes queued for c (net_conn_queued). */
    size_t (*queued)(const struct net_conn *c);
    /* Queues the shared message m, which stays the caller's (net_conn_send_msg). */
    int (*send_msg)(struct net_conn *c, struct net_msg *m);
    /* Queues a copy of a text message (net_conn_send, binary = 0). */
    int (*send)(struct net_conn *c, const void *buf, size_t len, int binary);
};

/* Starts live updates on loop. view and io are borrowed and outlive the set. Returns
 * 0 (*out set). */
int live_open(struct live **out, uv_loop_t *loop, const struct design_view *view,
              const struct live_io *io);
/* Shutdown (loop thread, before the loop ends): stops the timer. NULL-safe. */
void live_stop(struct live *lv);
/* After the loop ended and every connection closed: frees everything. NULL-safe. */
void live_close(struct live *lv);

/* gallery.subscribe: registers q for s, and appends the reply's result (with `sub`,
 * `total`, `items`) to out. Returns 0, CC_ENOTFOUND (contest), CC_ETOOLARGE (too many
 * subscriptions on the connection). */
int live_subscribe(struct live *lv, struct session *s, const struct gallery_query *q,
                   struct ccbuf *out);
/* gallery.unsubscribe. CC_ENOTFOUND if s has no such sub. */
int live_unsubscribe(struct live *lv, struct session *s, const char *sub);
/* design.watch / design.unwatch. */
int live_watch(struct live *lv, struct session *s, struct dmem *d);
int live_unwatch(struct live *lv, struct session *s, uint64_t design);

/* The connection closed: drop its subscriptions and watches. */
void live_session_closed(struct live *lv, struct session *s);
/* The connection's send queue drained: send fresh windows to its stale subscriptions. */
void live_session_drained(struct live *lv, struct session *s);

/* The sorts of gallery g that some window shows, as bits 1 << sort (so positions are
 * computed only when someone can see them: catalog_positions). */
unsigned live_watched_sorts(const struct live *lv, const struct cgal *g);
/* d's data changed (tally, status, hidden); pos_old/pos_new: its positions in each
 * sort before and after, (size_t)-1 where not indexed or not computed. */
void live_design_changed(struct live *lv, struct dmem *d, const size_t *pos_old,
                         const size_t *pos_new);
/* Comment id (its JSON object, copied) was stored on d: its watchers get it in their
 * next design.update as "comments_new" (a watcher skipped while backed up gets the
 * ones it missed with its resync). Call after catalog_set_comments and
 * live_design_changed. */
void live_comment_posted(struct live *lv, struct dmem *d, uint64_t id, const char *json);
/* Designs were added to or removed from gallery g: every window of g may change. */
void live_gallery_changed(struct live *lv, const struct cgal *g);
/* Subscriptions and watches open (for /metrics and the benchmarks). */
void live_counts(struct live *lv, size_t *subs, size_t *windows, size_t *watches);

#endif
