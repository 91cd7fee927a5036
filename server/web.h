/* The web client's files (assets/web/, SPEC §4 "GET /"): loaded into memory once at
 * start-up, gzip-compressed there when that helps, and served with their content types
 * and cache headers. Page routes (/, /design/<id>, ...) answer the client's index.html
 * (no-cache); everything else lives under /assets/<version>/, where version is a hash
 * of the whole tree, so those responses are immutable. See docs/web.md.
 *
 * Thread use: web_load before the loop serves, then loop thread only (read-only). */
#ifndef CC_WEB_H
#define CC_WEB_H

#include "net.h"

/* Limits of the tree loaded (all of it is held in memory). */
#define WEB_MAX_FILES 512
#define WEB_MAX_BYTES (32u << 20)
#define WEB_MAX_DEPTH 8

struct web;

/* Loads every regular file under dir (dotfiles and symlinks skipped), plus the sample
 * levels (*.json) of dir/../samples as samples/<name>, computes the version and the
 * gzip variants. Returns 0, or -1 with a one-line reason in err. */
int web_load(struct web **out, const char *dir, char *err, size_t errlen);
void web_free(struct web *w);

/* The tree's version (12 hex chars), as in /assets/<version>/. */
const char *web_version(const struct web *w);

/* Answers path if it is a page route or an asset and returns 1; returns 0 (nothing
 * sent) for any other path. w may be NULL (no client installed): always 0. */
int web_route(const struct web *w, struct net_http *h, const char *path);
/* A path nothing answers: the web client's page with status 404 (it shows its
 * not-found page), and 1; 0 (nothing sent) without a client or under /assets/. */
int web_not_found(const struct web *w, struct net_http *h, const char *path);

#endif
