/* The WebSocket protocol of SPEC §4, top of the server: one JSON object per text frame,
 * the envelope (`id`, `op`, args), and dispatch through the op table of ops.c to the
 * handlers, which answer through req.h. Thread use: loop thread only. */
#ifndef CC_PROTO_H
#define CC_PROTO_H


#include "net.h"
#include "server.h"

/* The net_handlers of the protocol, user = struct server. */
extern const struct net_handlers proto_handlers;

/* Names s's per-op latency histograms after the op table and notes the start time
 * (for /metrics). Call once, before the network starts. */
void proto_stats_init(struct server_stats *s);

#endif
