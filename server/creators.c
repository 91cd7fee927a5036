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
#include "store.h"
#include "u64map.h"
#include "util.h"

struct creators {
    struct store *store; /* borrowed: a new creator's account is read */
    struct u64map by_id; /* account id → struct creator * */
    struct rank *top;    /* every creator, by points */
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

void creators_close(struct creators *cs)
{
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

static void push_design(struct creator *c, struct dmem *d)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 4;
        c->designs = xrealloc(c->designs, c->cap * sizeof *c->designs);
    }
    c->designs[c->n++] = d;
}

int creators_design_added(struct creators *cs, struct dmem *d)
{
    struct creator *c = u64map_get(&cs->by_id, d->creator);
    if (!c) {
        /* A first design after start-up: its account joins the leaderboard. */
        c = xcalloc(1, sizeof *c);
        c->id = d->creator;
        MDB_txn *txn;
        json_t *account = NULL;
        int rc = store_read_begin(cs->store, &txn);
        if (!rc) {
            rc = account_get(txn, cs->store, d->creator, &account);
            store_read_end(cs->store, txn);
        }
        if (rc) {
            free(c);
            return rc;
        }
        set_account(c, account);
        json_decref(account);
        rank_insert(cs->top, 0, c);
        u64map_put(&cs->by_id, c->id, c);
    }
    push_design(c, d);
    struct creator_share none = {0, 0};
    creators_after(cs, d, &none);
    return 0;
}

/* Start-up: d into its creator's list (designs come oldest first). */
static int add_loaded(void *user, struct dmem *d)
{
    struct creators *cs = user;
    struct creator *c = u64map_get(&cs->by_id, d->creator);
    if (!c) {
        c = xcalloc(1, sizeof *c);
        c->id = d->creator;
        u64map_put(&cs->by_id, c->id, c);
    }
    push_design(c, d);
    return 0;
}

int creators_open(struct creators **out, const struct catalog *cat, struct store *st)
{
    struct creators *cs = xcalloc(1, sizeof *cs);
    *out = cs;
    cs->store = st;
    u64map_init(&cs->by_id);
    cs->top = rank_new(tie, key);
    catalog_each_design(cat, add_loaded, cs);
    MDB_txn *txn;
    int rc = store_read_begin(st, &txn);
    if (rc)
        return rc;
    /* Each creator's account, once, and the shares of its designs. */
    for (size_t i = 0; i < cs->by_id.cap && !rc; i++) {
        if (!cs->by_id.keys[i])
            continue;
        struct creator *c = cs->by_id.vals[i];
        json_t *account;
        rc = account_get(txn, st, c->id, &account);
        if (rc) {
            log_error("creators: designs name account %llu, which cannot be read",
                      (unsigned long long)c->id);
            if (rc == CC_ENOTFOUND)
                rc = CC_EINTERNAL;
            break;
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
    store_read_end(st, txn);
    return rc;
}

struct dmem *const *creators_designs_of(void *user, uint64_t account, size_t *n)
{
    const struct creator *c = u64map_get(&((struct creators *)user)->by_id, account);
    *n = c ? c->n : 0;
    return c ? c->designs : NULL;
}

void creators_after(struct creators *cs, const struct dmem *d, const struct creator_share *s)
{
    struct creator *c = u64map_get(&cs->by_id, d->creator);
    if (!c)
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

const struct creator *creators_get(struct creators *cs, uint64_t account)
{
    return u64map_get(&cs->by_id, account);
}

int64_t creators_points(struct creators *cs, uint64_t account)
{
    const struct creator *c = creators_get(cs, account);
    return c ? c->points : 0;
}

size_t creators_rank(struct creators *cs, const struct creator *c)
{
    return rank_position(cs->top, (double)c->points, c) + 1;
}

size_t creators_top(struct creators *cs, size_t offset, size_t limit, const struct creator **out)
{
    return rank_page(cs->top, offset, limit, (void **)out);
}

size_t creators_count(struct creators *cs) { return rank_count(cs->top); }

void creators_account_json(struct creators *cs, json_t *account, int detail)
{
    const struct creator *c =
        creators_get(cs, design_parse_id(json_string_value(json_object_get(account, "id"))));
    json_object_set_new(account, "points", json_integer(c ? c->points : 0));
    if (detail) {
        json_object_set_new(account, "wins", json_integer(c ? c->wins : 0));
        json_object_set_new(account, "rank",
                            c ? json_integer((json_int_t)creators_rank(cs, c)) : json_null());
    }
}
