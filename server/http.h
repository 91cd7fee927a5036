/* HTTP routes on the WebSocket port (SPEC §4): /healthz, /metrics, /t/ /r/ /d/, /log/,
 * /export/ (export.c), the web client's pages and assets (web.c), and 404 for the rest.
 * The on_http handler of net.h, user = struct server. Loop thread only. */
#ifndef CC_HTTP_H
#define CC_HTTP_H

#include <stdint.h>

#include "net.h"
#include "util.h"

struct server;

void http_route(struct net_http *h, const char *path, void *user);

#endif
