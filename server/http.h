/* HTTP routes on the WebSocket port (SPEC §4): /healthz, /metrics, /t/ /r/ /d/, the
 * web client's pages and assets (web.c), and 404 for the rest. The on_http handler of
 * net.h, user = struct server. Loop thread only. */
#ifndef CC_HTTP_H
#define CC_HTTP_H

#include "net.h"

void http_route(struct net_http *h, const char *path, void *user);

/* Whether the request's If-None-Match lists etag (or is "*"). */
int http_etag_matches(struct net_http *h, const char *etag);

#endif
