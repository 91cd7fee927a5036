/* GET /export/<contest> (brand only): the production export, a ustar archive of the
 * contest's winners streamed one design at a time (export.c; docs/protocol.md). Loop
 * thread. */
#ifndef CC_EXPORT_H
#define CC_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "net.h"

struct server;

/* Answers h for contest (its id, borrowed). */
void export_http(struct net_http *h, struct server *s, const char *contest);
/* GET /me/export (SPEC §7): the signed-in account's own data as the same kind of
 * archive — its designs' files, and a manifest.json with the account (contact
 * included), its designs, comments, votes, sessions and notices. */
void export_me_http(struct net_http *h, struct server *s);
/* For /metrics: exports started, design bytes the exports hold now (made and not yet
 * sent) and the most they ever held at once. */
struct export_stats {
    uint64_t started;
    size_t held, held_max;
};
void export_get_stats(struct export_stats *out);

#endif
