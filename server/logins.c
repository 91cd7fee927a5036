/* Who is logged in where. See logins.h. */
#include "logins.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"
#include "server.h"
#include "session.h"

static void touch(struct server *srv, uint64_t session)
{
    if (session)
        u64map_put(&srv->last_seen, session, (void *)(intptr_t)server_now(srv));
}

void logins_add(struct server *srv, struct session *s, uint64_t account, uint64_t session,
                enum role role, const char *name)
{
    logins_remove(s);
    s->account = account;
    s->session_id = session;
    s->role = role;
    snprintf(s->name, sizeof s->name, "%s", name);
    s->login_prev = NULL;
    s->login_next = srv->logins;
    if (srv->logins)
        srv->logins->login_prev = s;
    srv->logins = s;
    s->listed = 1;
    touch(srv, session);
}

void logins_remove(struct session *s)
{
    if (!s || !s->listed)
        return;
    struct server *srv = s->srv;
    touch(srv, s->session_id);
    if (s->login_prev)
        s->login_prev->login_next = s->login_next;
    else
        srv->logins = s->login_next;
    if (s->login_next)
        s->login_next->login_prev = s->login_prev;
    s->login_next = s->login_prev = NULL;
    s->listed = 0;
}

void logins_close(struct server *srv, uint64_t account, uint64_t session, uint64_t keep,
                  const char *reason)
{
    for (struct session *s = srv->logins, *next; s; s = next) {
        next = s->login_next;
        if (s->account != account || (session ? s->session_id != session
                                              : s->session_id == keep))
            continue;
        /* It acts as nobody from now on: a request still in its buffer finds it logged
         * out, and the close frame tells the client why. */
        logins_remove(s);
        s->account = 0;
        s->session_id = 0;
        s->role = ROLE_NONE;
        net_conn_close_with(s->conn, LOGINS_CLOSE_REVOKED, reason);
    }
}

void logins_notify(struct server *srv, uint64_t account, json_t *ev)
{
    char *text = account && ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    json_decref(ev);
    if (!text)
        return;
    size_t len = strlen(text);
    for (struct session *s = srv->logins; s; s = s->login_next)
        if (s->account == account)
            net_conn_send(s->conn, text, len, 0);
    free(text);
}

int64_t logins_last_seen(struct server *srv, uint64_t session)
{
    for (struct session *s = srv->logins; s; s = s->login_next)
        if (s->session_id == session)
            return server_now(srv);
    return (int64_t)(intptr_t)u64map_get(&srv->last_seen, session);
}

void logins_free(struct server *srv)
{
    u64map_free(&srv->last_seen);
}
