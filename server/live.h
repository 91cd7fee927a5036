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
 * Thread use: loop thread only. */
#ifndef CC_LIVE_H
#define CC_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
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

struct server;

int live_open(struct server *srv);
void live_stop(struct server *srv);
void live_close(struct server *srv);

/* gallery.subscribe: registers q for s, and appends the reply's result (with `sub`,
 * `total`, `items`) to out. Returns 0, CC_ENOTFOUND (contest), CC_ETOOLARGE (too many
 * subscriptions on the connection). */
int live_subscribe(struct server *srv, struct session *s, const struct gallery_query *q,
                   struct ccbuf *out);
/* gallery.unsubscribe. CC_ENOTFOUND if s has no such sub. */
int live_unsubscribe(struct server *srv, struct session *s, const char *sub);
/* design.watch / design.unwatch. */
int live_watch(struct server *srv, struct session *s, struct dmem *d);
int live_unwatch(struct server *srv, struct session *s, uint64_t design);

/* The connection closed: drop its subscriptions and watches. */
void live_session_closed(struct server *srv, struct session *s);
/* The connection's send queue drained: send fresh windows to its stale subscriptions. */
void live_session_drained(struct server *srv, struct session *s);

/* Whether any window watches this contest gallery and sort (so the catalog computes
 * positions only when someone can see them). */
int live_watching(struct server *srv, const struct cgal *g, enum sort sort);
/* d's data changed (tally, status, hidden); pos_old/pos_new: its positions in each
 * sort before and after, (size_t)-1 where not indexed or not computed. */
void live_design_changed(struct server *srv, struct dmem *d, const size_t *pos_old,
                         const size_t *pos_new);
/* Comment id (its JSON object, copied) was stored on d: its watchers get it in their
 * next design.update as "comments_new" (a watcher skipped while backed up gets the
 * ones it missed with its resync). Call after catalog_set_comments. */
void live_comment_posted(struct server *srv, struct dmem *d, uint64_t id, const char *json);
/* Designs were added to or removed from gallery g: every window of g may change. */
void live_gallery_changed(struct server *srv, const struct cgal *g);
/* Subscriptions and watches open (for /metrics and the benchmarks). */
void live_counts(struct server *srv, size_t *subs, size_t *windows, size_t *watches);

#endif
