/* The consistent snapshot of a contest: its ranking in memory and its audit log's head
 * in LMDB as of the same moment (contest.results, the production export). Loop
 * thread. */
#ifndef CC_SNAPSHOT_H
#define CC_SNAPSHOT_H

#include "audit.h"

struct server;

/* cb(user, 0, head) runs on the loop once every write submitted before it is applied
 * to the catalog, with the log head as of then and the contest's `top` scores settled
 * (catalog_settle); or cb(user, error, ...) when the writer failed. Returns 0, or
 * CC_EBUSY (then cb never runs). */
typedef void (*snapshot_fn)(void *user, int status, const struct audit_head *head);
int snapshot_take(struct server *srv, const char *contest, snapshot_fn cb, void *user);

#endif
