/* The WebSocket protocol of SPEC §4, top of the server: one JSON object per text frame,
 * the envelope (`id`, `op`, args), and dispatch through the op table of ops.c to the
 * handlers, which answer through req.h. Thread use: loop thread only. */
#ifndef CC_PROTO_H
#define CC_PROTO_H


#include "net.h"

/* The net_handlers of the protocol, user = struct server. */
extern const struct net_handlers proto_handlers;

#endif
