/* The real cocreated inside a fuzz target, for the targets that speak to it as a client
 * does (request, upload, http): server_run (server/startup.c: the journal, the writer,
 * the catalog, live views, lws on libuv) on its own thread, on 127.0.0.1 and a free
 * port, over a fresh data directory, with a brand account made the way `cocreated
 * --make-brand` makes one. Rate limits are off (the fuzzer is faster than any person).
 * At exit it is stopped with SIGTERM like any daemon (its graceful shutdown, checked to
 * end with every handle closed), so LeakSanitizer sees a server that has let go of
 * everything. The targets run with libFuzzer's -handle_term=0 (run_target) so that the
 * SIGTERM reaches the server's handler.
 *
 * The server keeps what inputs before wrote (accounts, designs, votes): an input runs
 * against the state of the inputs before it, as a request to a live server does. A crash
 * found that way may need some of them to happen again (docs/testing.md). */
#ifndef CC_FUZZ_SERVER_H
#define CC_FUZZ_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "wsclient.h"

struct fuzz_server {
    int port;
    char dir[64];            /* the data directory */
    char brand_token[65];    /* the brand account `fuzzbrand` */
};

/* Starts the server once per process (web_dir: its --web, or NULL); later calls return
 * the same one. Aborts if it does not start. */
const struct fuzz_server *fuzz_server_start(const char *web_dir);

/* The token of the member account `fuzzmember`, registered at the first call. */
const char *fuzz_server_member(void);

/* A WebSocket connection to the server for the targets, one request at a time: send a
 * frame, wait for the reply with a given id. Replies to other ids and events are
 * counted and dropped. */
struct fuzz_ws;
/* Connects (subprotocol cocreate.v1) and, when token is not NULL, logs in with it.
 * Aborts if it cannot. */
struct fuzz_ws *fuzz_ws_open(const char *token);
void fuzz_ws_close(struct fuzz_ws *w); /* NULL-safe: closes with 1000 and waits */
/* Whether the server has closed the connection. */
int fuzz_ws_closed(const struct fuzz_ws *w);
/* Sends a text or binary frame (fin = 0: a fragment, continued by WSC_CONT frames). */
void fuzz_ws_send(struct fuzz_ws *w, enum wsc_opcode op, int fin, const void *data,
                  size_t len);
/* Waits up to FUZZ_REPLY_MS for the reply whose id is id (a JSON integer) and returns it
 * (a new reference; json_decref it), or NULL if the connection closed first. A reply
 * that never comes to a request the server received is a broken promise (SPEC §4: one
 * reply per request): it aborts. */
#define FUZZ_REPLY_MS 10000
json_t *fuzz_ws_wait(struct fuzz_ws *w, long long id);
/* Waits up to FUZZ_REPLY_MS for n replies to any id (frames whose id the server could
 * not read are answered with id null). Returns how many came before a close. */
int fuzz_ws_wait_any(struct fuzz_ws *w, int n);
/* Sends {"id":id,"op":op,...args} (args: a JSON object text without its braces, or "")
 * and returns the reply as fuzz_ws_wait does. */
json_t *fuzz_ws_call(struct fuzz_ws *w, long long id, const char *op, const char *args);

#endif
