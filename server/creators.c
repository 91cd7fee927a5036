/* Creators, their points and the leaderboard. See creators.h. */
#include "creators.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "accounts.h"
#include "catalog.h"
#include "contests.h"
#include "ccerr.h"
#include "designs.h"
#include "jscan.h"
#include "log.h"
#include "radix.h"
#include "rank.h"
#include "store.h"
#include "u64map.h"
#include "util.h"

/* Threads that read the creators' accounts at start-up (issue 16: two cores). */
#define CREATORS_ACCOUNT_THREADS 2

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
    void *val;
    for (size_t at = 0; u64map_next(&cs->by_id, &at, NULL, &val);) {
        struct creator *c = val;
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
    if (contest_sealed(catalog_contest(d)))
        t.supports = 0; /* SPEC §8: counted once its contest's voting closed */
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

void creators_rename(struct creators *cs, uint64_t account, const char *name)
{
    struct creator *c = u64map_get(&cs->by_id, account);
    if (c)
        snprintf(c->name, sizeof c->name, "%s", name);
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

/* Start-up: d and its creator, for sorting by creator. */
static int add_pair(void *user, struct dmem *d)
{
    struct radix_item **at = user;
    *(*at)++ = (struct radix_item){d->creator, d};
    return 0;
}

/* Start-up: the catalog's designs by creator (sorted stably from id order, so each
 * creator's come oldest first): each creator made once with its list at its size, and
 * each design's share added while it is at hand. Returns the creators in id order,
 * *n of them (the caller frees the array). */
static struct creator **add_loaded(struct creators *cs, const struct catalog *cat, size_t *n)
{
    size_t bytes, designs;
    catalog_memory(cat, &bytes, &designs);
    size_t room = designs * sizeof(struct radix_item);
    struct radix_item *a = radix_scratch(room), *tmp = radix_scratch(room), *at = a;
    catalog_each_design(cat, add_pair, &at);
    const struct radix_item *s = radix_sort(a, tmp, designs);
    size_t m = 0;
    for (size_t i = 0; i < designs; i++)
        m += !i || s[i].key != s[i - 1].key;
    struct creator **all = xmalloc((m ? m : 1) * sizeof *all);
    m = 0;
    for (size_t i = 0, j; i < designs; i = j) {
        for (j = i + 1; j < designs && s[j].key == s[i].key;)
            j++;
        struct creator *c = xcalloc(1, sizeof *c);
        c->id = s[i].key;
        c->n = c->cap = j - i;
        c->designs = xmalloc(c->cap * sizeof *c->designs);
        for (size_t k = i; k < j; k++) {
            if (k + 8 < designs) /* the designs are in creator order now, not memory's */
                __builtin_prefetch(s[k + 8].item);
            struct creator_share sh;
            c->designs[k - i] = s[k].item;
            creators_before(s[k].item, &sh);
            c->points += sh.points;
            c->wins += (uint32_t)sh.wins;
        }
        u64map_put(&cs->by_id, c->id, c);
        all[m++] = c;
    }
    radix_scratch_free(tmp, room);
    radix_scratch_free(a, room);
    *n = m;
    return all;
}

/* Start-up: the creators whose accounts one thread reads (in id order, the store's),
 * each written by that thread only. */
struct account_part {
    struct store *st;
    struct creator **c;
    size_t n;
    int rc;
};

/* One member of an account record into c (jscan_members): name, role and created. */
static int account_field(struct jscan *sc, const char *k, size_t kn, void *user)
{
    struct creator *c = user;
    const char *v;
    size_t vn;
    if (JSCAN_KEY(k, kn, "name")) /* escaped, or longer than kept: set_account cuts it */
        return jscan_plain_string(sc, &v, &vn) && jscan_copy(c->name, sizeof c->name, v, vn);
    if (JSCAN_KEY(k, kn, "role"))
        return jscan_plain_string(sc, &v, &vn) && jscan_copy(c->role, sizeof c->role, v, vn);
    if (JSCAN_KEY(k, kn, "created"))
        return jscan_int(sc, &c->created);
    return jscan_skip(sc);
}

/* Fills c's name, role and created from an account record's bytes as set_account does
 * from its tree, with jscan.h's scanner (issue 16: a big start-up built a tree for each
 * creator's account). Returns 1, or 0 to read it with jansson. */
static int account_scan(const char *data, size_t len, struct creator *c)
{
    c->name[0] = '\0';
    snprintf(c->role, sizeof c->role, "member");
    c->created = 0;
    return jscan_members(data, len, account_field, c);
}

static void read_accounts(void *arg)
{
    struct account_part *p = arg;
    MDB_txn *txn;
    p->rc = store_read_begin(p->st, &txn);
    for (size_t i = 0; !p->rc && i < p->n; i++) {
        MDB_val raw;
        p->rc = account_get_raw(txn, p->st, p->c[i]->id, &raw);
        if (!p->rc && account_scan(raw.mv_data, raw.mv_size, p->c[i]))
            continue;
        json_t *account = NULL;
        if (!p->rc)
            p->rc = account_get(txn, p->st, p->c[i]->id, &account);
        if (p->rc) {
            log_error("creators: designs name account %llu, which cannot be read",
                      (unsigned long long)p->c[i]->id);
            if (p->rc == CC_ENOTFOUND)
                p->rc = CC_EINTERNAL;
            break;
        }
        set_account(p->c[i], account);
        json_decref(account);
    }
    store_read_end(p->st, txn);
}

int creators_open(struct creators **out, const struct catalog *cat, struct store *st)
{
    struct creators *cs = xcalloc(1, sizeof *cs);
    *out = cs;
    cs->store = st;
    u64map_init(&cs->by_id);
    cs->top = rank_new(tie, key);
    size_t n;
    struct creator **all = add_loaded(cs, cat, &n);
    /* Each creator's account, once: half of them on a thread of their own (issue 16:
     * start-up), the rest here. */
    struct account_part parts[CREATORS_ACCOUNT_THREADS];
    uv_thread_t threads[CREATORS_ACCOUNT_THREADS];
    int started[CREATORS_ACCOUNT_THREADS] = {0};
    for (size_t i = 0, at = 0; i < CREATORS_ACCOUNT_THREADS; i++) {
        size_t k = (n - at) / (CREATORS_ACCOUNT_THREADS - i);
        parts[i] = (struct account_part){st, all + at, k, 0};
        at += k;
        started[i] = i && k && !uv_thread_create(&threads[i], read_accounts, &parts[i]);
    }
    int rc = 0;
    for (size_t i = 0; i < CREATORS_ACCOUNT_THREADS; i++) {
        if (!i || !started[i])
            read_accounts(&parts[i]);
        else
            uv_thread_join(&threads[i]);
        if (!rc)
            rc = parts[i].rc;
    }
    /* The leaderboard, built in its order (rank_append) rather than by random inserts:
     * from id order, stably by creation time (tie()), then by points, most first. */
    if (!rc && n) {
        size_t room = n * sizeof(struct radix_item);
        struct radix_item *a = radix_scratch(room), *tmp = radix_scratch(room), *s;
        for (size_t i = 0; i < n; i++)
            a[i] = (struct radix_item){radix_key_i64(all[i]->created), all[i]};
        s = radix_sort(a, tmp, n);
        for (size_t i = 0; i < n; i++)
            s[i].key = ~radix_key_double(key(s[i].item));
        s = radix_sort(s, s == a ? tmp : a, n);
        for (size_t i = 0; i < n; i++)
            if (rank_append(cs->top, s[i].item))
                rank_insert(cs->top, key(s[i].item), s[i].item);
        radix_scratch_free(tmp, room);
        radix_scratch_free(a, room);
    }
    free(all);
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
