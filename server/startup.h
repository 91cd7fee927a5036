/* The daemon's lifecycle (startup.c): open the store, the writer, the in-memory state
 * and the network in order, serve, and stop gracefully. main.c's entry into the
 * server; nothing else includes this. */
#ifndef CC_STARTUP_H
#define CC_STARTUP_H

#include "server.h"

/* Runs the server until SIGINT/SIGTERM and a clean shutdown. Returns the process exit
 * code: 0 after a clean stop, 1 when it could not start (reason logged). */
int server_run(const struct server_config *cfg);

#endif
