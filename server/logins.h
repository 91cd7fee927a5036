/* Who is logged in where (SPEC §7 sessions): every connection acting as an account is
 * listed here with its session, so that a session ended anywhere — auth.revoke,
 * auth.logout, the 50-session cap, a suspension, an erased account, a rotated brand
 * token, on this node or another (the post-commit step runs on every node) — closes
 * its connections with 4001. Also each session's `last_seen` on this node (node-local
 * by SPEC §7: not replicated, not kept across restarts). Loop thread only. */
#ifndef CC_LOGINS_H
#define CC_LOGINS_H

#include <stdint.h>

#include <jansson.h>

#include "accounts.h"

struct server;
struct session;

/* The WebSocket close code of an ended session (SPEC §7). */
#define LOGINS_CLOSE_REVOKED 4001

/* s acts as account (role, name) in session from now on (auth.register, auth.login). */
void logins_add(struct server *srv, struct session *s, uint64_t account, uint64_t session,
                enum role role, const char *name);
/* s no longer acts as anyone (logout, or its connection closed). NULL-safe, idempotent. */
void logins_remove(struct session *s);
/* Closes, with LOGINS_CLOSE_REVOKED and reason, every connection of account in session
 * (0: in any of its sessions but keep). */
void logins_close(struct server *srv, uint64_t account, uint64_t session, uint64_t keep,
                  const char *reason);
/* Sends the event ev (taken) to every connection logged in as account. */
void logins_notify(struct server *srv, uint64_t account, json_t *ev);
/* When session was last used on this node (Unix seconds): now while a connection uses
 * it, else its last login or close here, else 0 (not seen since this node started). */
int64_t logins_last_seen(struct server *srv, uint64_t session);
/* Frees the node-local state at shutdown. */
void logins_free(struct server *srv);

#endif
