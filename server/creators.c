/* Creators, their points and the leaderboard. See creators.h. */
#include "creators.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "catalog.h"
#include "ccerr.h"
#include "designs.h"
#include "log.h"
#include "rank.h"
#include "server.h"
#include "store.h"
#include "u64map.h"
#include "util.h"

struct creators {
    struct u64map by_id; /* account id → struct creator * */
    struct rank *top;    /* every creator, by points */
    int loading;         /* between creators_open and creators_loaded */
};

/* Ties: older account first, then smaller id. */
static int tie(const void *a, const void *b)
{
    const struct creator *x = a, *y = b;
    if (x->created != y->created)
        return x->created < y->created ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* The leaderboard's key (rank_key_fn): points, kept equal to what c is ranked under. */
static double key(const void *a)
{
    return (double)((const struct creator *)a)->points;
}

void creators_open(struct server *srv)
{
    struct creators *cs = xcalloc(1, sizeof *cs);
    u64map_init(&cs->by_id);
    cs->top = rank_new(tie, key);
    cs->loading = 1;
    srv->creators = cs;
}

void creators_close(struct server *srv)
{
    struct creators *cs = srv->creators;
    if (!cs)
        return;
    for (size_t i = 0; i < cs->by_id.cap; i++)
        if (cs->by_id.keys[i]) {
            struct creator *c = cs->by_id.vals[i];
            free(c->designs);
            free(c);
        }
    u64map_free(&cs->by_id);
    rank_free(cs->top);
    free(cs);
    srv->creators = NULL;
}

static int winner_status(int status)
{
    return status == ST_WINNER || status == ST_IN_PRODUCTION || status == ST_LAUNCHED;
}

void creators_before(const struct dmem *d, struct creator_share *s)
{
    s->points = 0;
    s->wins = 0;
    if (d->hidden)
        return;
    struct tally t;
    catalog_tally(d, &t);
    s->wins = winner_status(d->status);
    s->points = POINTS_DESIGN + (int64_t)t.supports * POINTS_SUPPORT + s->wins * POINTS_WINNER;
}

/* Copies an account record's name, role and created time into c. */
static void set_account(struct creator *c, const json_t *account)
{
    snprintf(c->name, sizeof c->name, "%s",
             json_string_value(json_object_get(account, "name")) ?: "");
    snprintf(c->role, sizeof c->role, "%s",
             json_string_value(json_object_get(account, "role")) ?: "member");
    c->created = json_integer_value(json_object_get(account, "created"));
}

int creators_design_added(struct server *srv, struct dmem *d)
{
    struct creators *cs = srv->creators;
    struct creator *c = u64map_get(&cs->by_id, d->creator);
    if (!c) {
        c = xcalloc(1, sizeof *c);
        c->id = d->creator;
        if (!cs->loading) {
            /* A first design after start-up: its account joins the leaderboard. */
            MDB_txn *txn;
            json_t *account = NULL;
            int rc = store_read_begin(srv->store, &txn);
            if (!rc) {
                rc = account_get(txn, srv->store, d->creator, &account);
                store_read_end(srv->store, txn);
            }
            if (rc) {
                free(c);
                return rc;
            }
            set_account(c, account);
            json_decref(account);
            rank_insert(cs->top, 0, c);
        }
        u64map_put(&cs->by_id, c->id, c);
    }
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 4;
        c->designs = xrealloc(c->designs, c->cap * sizeof *c->designs);
    }
    c->designs[c->n++] = d;
    if (!cs->loading) {
        struct creator_share none = {0, 0};
        creators_after(srv, d, &none);
    }
    return 0;
}

int creators_loaded(struct server *srv, MDB_txn *txn)
{
    struct creators *cs = srv->creators;
    for (size_t i = 0; i < cs->by_id.cap; i++) {
        if (!cs->by_id.keys[i])
            continue;
        struct creator *c = cs->by_id.vals[i];
        json_t *account;
        int rc = account_get(txn, srv->store, c->id, &account);
        if (rc) {
            log_error("creators: designs name account %llu, which cannot be read",
                      (unsigned long long)c->id);
            return rc == CC_ENOTFOUND ? CC_EINTERNAL : rc;
        }
        set_account(c, account);
        json_decref(account);
        for (size_t k = 0; k < c->n; k++) {
            struct creator_share s;
            creators_before(c->designs[k], &s);
            c->points += s.points;
            c->wins += (uint32_t)s.wins;
        }
        rank_insert(cs->top, (double)c->points, c);
    }
    cs->loading = 0;
    return 0;
}

void creators_after(struct server *srv, const struct dmem *d, const struct creator_share *s)
{
    struct creators *cs = srv->creators;
    struct creator *c = u64map_get(&cs->by_id, d->creator);
    if (!c || cs->loading)
        return;
    struct creator_share now;
    creators_before(d, &now);
    if (now.points == s->points && now.wins == s->wins)
        return;
    int64_t points = c->points + now.points - s->points;
    rank_update(cs->top, (double)c->points, (double)points, c);
    c->points = points;
    c->wins = (uint32_t)((int64_t)c->wins + now.wins - s->wins);
}

const struct creator *creators_get(struct server *srv, uint64_t account)
{
    return u64map_get(&srv->creators->by_id, account);
}

int64_t creators_points(struct server *srv, uint64_t account)
{
    const struct creator *c = creators_get(srv, account);
    return c ? c->points : 0;
}

size_t creators_rank(struct server *srv, const struct creator *c)
{
    return rank_position(srv->creators->top, (double)c->points, c) + 1;
}

size_t creators_top(struct server *srv, size_t offset, size_t limit, const struct creator **out)
{
    return rank_page(srv->creators->top, offset, limit, (void **)out);
}

size_t creators_count(struct server *srv) { return rank_count(srv->creators->top); }

void creators_account_json(struct server *srv, json_t *account, int detail)
{
    const struct creator *c =
        creators_get(srv, design_parse_id(json_string_value(json_object_get(account, "id"))));
    json_object_set_new(account, "points", json_integer(c ? c->points : 0));
    if (detail) {
        json_object_set_new(account, "wins", json_integer(c ? c->wins : 0));
        json_object_set_new(account, "rank",
                            c ? json_integer((json_int_t)creators_rank(srv, c)) : json_null());
    }
}
