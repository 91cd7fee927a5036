/* HTTP routes on the WebSocket port (SPEC §4): /healthz, /metrics, /t/ /r/ /d/, /log/,
 * /export/ (export.c), the web client's pages and assets (web.c), and 404 for the rest.
 * The on_http handler of net.h, user = struct server. Loop thread only. */
#ifndef CC_HTTP_H
#define CC_HTTP_H

#include <stdint.h>

#include "net.h"
#include "accounts.h"
#include "util.h"

struct server;

void http_route(struct net_http *h, const char *path, void *user);

/* Whether the request's If-None-Match lists etag (or is "*"). */
int http_etag_matches(struct net_http *h, const char *etag);
/* Who is asking: the account of the token in "Authorization: Bearer <token>" or the
 * cookie cc_token, read in txn. *id = 0 and ROLE_NONE when absent or unknown. */
void http_viewer(struct net_http *h, MDB_txn *txn, struct server *s, uint64_t *id,
                 enum role *role);
/* Stores a freshly made full-size render of blob sha in the renders table through the
 * writer (taking png's bytes; png is left empty), so the next /r/ streams it. */
void http_cache_render(struct server *s, const uint8_t sha[32], struct ccbuf *png);

/* export.c: GET /export/<contest> (brand only): the production export, a ustar archive
 * streamed one design at a time. */
void export_http(struct net_http *h, struct server *s, const char *contest);
/* For /metrics: exports started, design bytes the exports hold now (made and not yet
 * sent) and the most they ever held at once. */
struct export_stats {
    uint64_t started;
    size_t held, held_max;
};
void export_get_stats(struct export_stats *out);

#endif
