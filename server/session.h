/* A WebSocket connection's state (the application area of each net_conn, zeroed at
 * open): who is logged in, the upload in flight, the live subscriptions. proto.c opens
 * and closes it; the ops, live.c and design_view.c read it. Loop thread only. */
#ifndef CC_SESSION_H
#define CC_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "accounts.h"
#include "net.h"

struct server;
struct upload;
struct live_sub;

struct session {
    struct server *srv;
    struct net_conn *conn;
    uint64_t account; /* 0 until auth.register / auth.login (logins.c sets it) */
    uint64_t session_id; /* the session (SPEC §7) it logged in with */
    struct session *login_next, *login_prev; /* logins.c's list of logged-in ones */
    int listed;                              /* on that list */
    uint64_t addr_key; /* the peer address's rate-limit key (rate_addr_key) */
    enum role role;
    char name[33];          /* the account's name */
    struct upload *upload;  /* the one upload in flight (ops_upload.c), or NULL */
    uint64_t upload_seq;    /* last upload id handed out on this connection */
    struct live_sub *live;  /* subscriptions and watches (live.c) */
    uint64_t live_seq;      /* last sub id handed out */
    size_t live_count;      /* entries in `live` */
    size_t live_stale;      /* of them, skipped while the connection was backed up */
};

#endif
