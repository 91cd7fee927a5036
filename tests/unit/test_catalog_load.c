/* The catalog's start-up on one thread and on several (issue 16): a data dir with
 * designs in five contests of every scale (one contest, one tag and hidden designs
 * only past the middle of the ids, so that later parts bring galleries and tags of
 * their own), creation times out of id order and tied, gaps in the ids, votes
 * (some on designs that do not exist), comment counts, statuses and records the
 * scanner leaves to jansson. Each load is dumped whole — every design's fields, tag
 * ids, the gallery list and, per gallery, its ranked indexes, hidden list, status and
 * tag lists and contest mean — and the dumps of 2, 3 and 5 threads must equal the one
 * thread's byte for byte. The one-thread load is also checked against answers worked
 * out here: tallies from the votes written, every ranked index against a sort of the
 * designs by SPEC §5's order, and creators' points, wins and leaderboard, and their
 * accounts' names, roles and creation times (records the creators' scanner reads and
 * ones it leaves to jansson: escaped names, names past the 32 bytes kept). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "catalog_int.h"
#include "check.h"
#include "creators.h"
#include "fixture.h"
#include "rank.h"
#include "util.h"

#define DESIGNS 3000
#define ACCOUNTS 40

static const char *const contests[] = {"open", "ud", "s5", "late", "s5b"};
static const char *const tag_pool[] = {"red", "blue", "green", "q\"t", "pixel", "bold"};

/* Account a's name: plain, with a quote and a backslash (escaped in the record: the
 * creators' scanner leaves it to jansson), UTF-8, or past the 32 bytes a creator keeps. */
static void account_name(uint64_t a, char *out, size_t cap)
{
    unsigned long long n = (unsigned long long)a;
    switch (a % 4) {
    case 0: snprintf(out, cap, "acct%llu", n); break;
    case 1: snprintf(out, cap, "q\"t\\%llu", n); break;
    case 2: snprintf(out, cap, "\xc3\xa9t\xc3\xa9 %llu", n); break;
    default: snprintf(out, cap, "a-name-longer-than-thirty-two-bytes-%llu", n); break;
    }
}

static const char *account_role(uint64_t a)
{
    return a % 5 == 0 ? "brand" : "member";
}

/* Account a's record: its fields among others (an object and an array the scanner
 * skips, before and after them); created = a. */
static void write_account(struct fixture *f, MDB_txn *txn, uint64_t a)
{
    char ids[24], name[64];
    snprintf(ids, sizeof ids, "%llu", (unsigned long long)a);
    account_name(a, name, sizeof name);
    json_t *rec = json_pack("{s{ss}sIsssssss[ii]}", "contact", "email", "x\"y@example.com",
                            "created", (json_int_t)a, "id", ids, "name", name, "role",
                            account_role(a), "sessions", 1, 2);
    fx_record(txn, store_dbs(f->st)->accounts, a, rec);
}

/* What the test wrote, to work the answers out. */
struct want {
    int exists, hidden, contest, status;
    uint64_t creator;
    uint32_t votes, supports, up, down, stars[5];
    uint64_t sum;
};
static struct want want[DESIGNS + 1];

/* The data: the same every run (random() with a fixed seed). */
static uint64_t next_rand(void) { return (uint64_t)random(); }

static const char *const statuses[] = {"submitted",    "shortlisted",   "winner",
                                       "not_selected", "in_production", "launched"};

/* A design record written by hand, with what the catalog's scanner must skip in the
 * fields it does not keep (escaped quotes and backslashes, one at the end of a string,
 * nesting, brackets inside strings), before and between the fields it keeps. */
static void tricky_design(struct fixture *f, MDB_txn *txn, uint64_t id, const struct want *w,
                          int64_t created, const char *tags)
{
    char list[96] = "", *at = list;
    char buf[64];
    snprintf(buf, sizeof buf, "%s", tags);
    for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        at += sprintf(at, "%s\"%s\"", at == list ? "" : ",", t);
    char rec[1024];
    int n = snprintf(rec, sizeof rec,
                     "{\"title\":\"say \\\"hi\\\" \\\\\",\"id\":\"%llu\",\"meta\":{\"a\":[1,"
                     "{\"b\":\"}]\\\"\"}],\"c\":null},\"contest\":\"%s\",\"creator\":\"%llu\","
                     "\"name\":\"\\u00e9\\\\\",\"created\":%lld,\"tags\":[%s],\"status\":\"%s\","
                     "\"hidden\":%s,\"bytes\":12}",
                     (unsigned long long)id, contests[w->contest], (unsigned long long)w->creator,
                     (long long)created, list, statuses[w->status], w->hidden ? "true" : "false");
    ASSERT(n > 0 && (size_t)n < sizeof rec);
    json_error_t e;
    json_t *check = json_loads(rec, 0, &e); /* valid JSON */
    ASSERT(check);
    json_decref(check);
    uint8_t key[8];
    put_be64(key, id);
    ASSERT_EQ(store_put(txn, store_dbs(f->st)->designs, key, 8, rec, (size_t)n, 0), 0);
}

static void write_data(struct fixture *f)
{
    MDB_txn *txn = fx_begin(f);
    fx_contest(f, txn, "ud", "updown");
    fx_contest(f, txn, "s5", "stars5");
    fx_contest(f, txn, "late", "heart");
    fx_contest(f, txn, "s5b", "stars5");
    for (uint64_t a = 1; a <= ACCOUNTS; a++)
        write_account(f, txn, a);
    for (uint64_t id = 1; id <= DESIGNS; id++) {
        if (id % 7 == 3 || (id > 1200 && id < 1300))
            continue; /* gaps */
        struct want *w = &want[id];
        w->exists = 1;
        int upper = id > DESIGNS / 2;
        w->contest = (int)(next_rand() % (upper ? 5 : 3)); /* late, s5b: upper half only */
        w->creator = 1 + next_rand() % ACCOUNTS;
        w->status = next_rand() % 3 ? 0 : (int)(1 + next_rand() % 5);
        w->hidden = next_rand() % 20 == 0 || (upper && id % 97 == 0);
        char tags[64] = "";
        for (int t = 0; t < 6; t++)
            if (next_rand() % 4 == 0) {
                if (tags[0])
                    strcat(tags, ",");
                strcat(tags, tag_pool[t]);
            }
        if (upper && id % 5 == 0)
            strcat(tags, tags[0] ? ",latetag" : "latetag");
        /* Creation times out of id order, with ties. */
        int64_t created = 50000 + (int64_t)(next_rand() % 400);
        if (id % 11 == 0 && !strchr(tags, '"'))
            tricky_design(f, txn, id, w, created, tags);
        else
            fx_design(f, txn, id, contests[w->contest], w->creator, created,
                      statuses[w->status], w->hidden, tags);
    }
    /* Votes (and some on ids with no design). */
    for (uint64_t id = 1; id <= DESIGNS + 20; id++) {
        int n = (int)(next_rand() % 12);
        struct want *w = id <= DESIGNS ? &want[id] : NULL;
        for (int k = 0; k < n; k++) {
            uint64_t voter = 1000 + (uint64_t)k * 3 + next_rand() % 3;
            int c = w && w->exists ? w->contest : 0;
            int value = c == 1             ? (next_rand() % 2 ? 1 : -1)
                        : c == 2 || c == 4 ? (int)(1 + next_rand() % 5)
                                           : 1;
            fx_vote(f, txn, id, voter, value);
            if (!w || !w->exists)
                continue;
            w->votes++;
            if (c == 1) {
                *(value > 0 ? &w->up : &w->down) += 1;
                w->supports += value > 0;
            } else if (c == 2 || c == 4) {
                w->stars[value - 1]++;
                w->sum += (uint64_t)value;
                w->supports += value >= 4;
            } else {
                w->supports++;
            }
        }
        /* A value its scale never takes (-1 on stars), stored by hand: not counted, and
         * kept out of the scale's counters (stars5's counter(-1) lies past them). */
        if (w && w->exists && (w->contest == 2 || w->contest == 4) && id % 13 == 0)
            fx_vote(f, txn, id, 999, -1);
        if (w && w->exists && next_rand() % 4 == 0) {
            uint8_t key[8], count[8];
            put_be64(key, id);
            put_be64(count, 1 + next_rand() % 50);
            ASSERT_EQ(store_put(txn, store_dbs(f->st)->comment_counts, key, 8, count, 8, 0), 0);
        }
    }
    fx_commit(f, txn);
}

/* Appends label, then v in decimal. */
static void out(struct ccbuf *b, const char *label, uint64_t v)
{
    ccbuf_append(b, label, strlen(label));
    ccbuf_append_u64(b, v);
}

/* Appends x's bits: equal dumps mean equal doubles. */
static void out_double(struct ccbuf *b, double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    out(b, " ", u);
}

static const char *tag_name(const struct catalog *cat, uint32_t id)
{
    void *val;
    for (size_t at = 0; u64map_next(&cat->tags, &at, NULL, &val);)
        for (const struct tag_name *t = val; t; t = t->next)
            if (t->id == id)
                return t->name;
    return "?";
}

static void out_list(struct ccbuf *b, const struct dvec *v)
{
    for (size_t i = 0; i < v->n; i++)
        out(b, " ", v->v[i]->id);
    ccbuf_append(b, "\n", 1);
}

/* Everything the load built, as text. */
static void dump(struct catalog *cat, struct ccbuf *b)
{
    out(b, "designs ", cat->designs);
    ccbuf_append(b, "\n", 1);
    out(b, "tags ", cat->next_tag);
    ccbuf_append(b, "\n", 1);
    for (uint32_t t = 1; t <= cat->next_tag; t++) {
        const char *name = tag_name(cat, t);
        ccbuf_append(b, name, strlen(name));
        out(b, " ", t);
        ccbuf_append(b, "\n", 1);
    }
    for (size_t i = 0; i < cat->cap_id; i++) {
        const struct dmem *d = cat->by_id[i];
        if (!d)
            continue;
        out(b, "d ", d->id);
        out(b, " c", d->creator);
        ccbuf_append(b, " ", 1);
        ccbuf_append(b, d->gal->id, strlen(d->gal->id));
        for (int s = 0; s < SORT_COUNT; s++)
            out_double(b, d->score[s]);
        for (int k = 0; k < SCALE_COUNTERS; k++)
            out(b, " ", d->c[k]);
        out(b, " v", d->version);
        out(b, " st", d->status);
        out(b, " h", d->hidden);
        out(b, " cm", d->comments);
        for (int t = 0; t < d->ntags; t++)
            out(b, " t", d->tags[t]);
        ccbuf_append(b, "\n", 1);
    }
    for (const struct cgal *g = cat->gals; g; g = g->next) {
        ccbuf_append(b, "gallery ", 8);
        ccbuf_append(b, g->id, strlen(g->id));
        out(b, " sum ", g->mean_sum);
        out(b, " votes ", g->mean_votes);
        out_double(b, g->mean_ranked);
        ccbuf_append(b, "\n", 1);
        for (int s = 0; s < SORT_COUNT; s++) {
            size_t n = rank_count(g->rank[s]);
            struct dmem **all = xmalloc((n ? n : 1) * sizeof *all);
            ASSERT_EQ(rank_page(g->rank[s], 0, n, (void **)all), n);
            out(b, "rank ", (uint64_t)s);
            ccbuf_append(b, ":", 1);
            for (size_t i = 0; i < n; i++)
                out(b, " ", all[i]->id);
            ccbuf_append(b, "\n", 1);
            free(all);
        }
        ccbuf_append(b, "hidden", 6);
        out_list(b, &g->hidden);
        for (int s = 0; s < ST_COUNT; s++) {
            out(b, "status ", (uint64_t)s);
            ccbuf_append(b, ":", 1);
            out_list(b, &g->by_status[s]);
        }
        for (uint32_t t = 1; t <= cat->next_tag; t++) {
            const struct dvec *v = u64map_get(&g->by_tag, t);
            out(b, "tag ", t);
            ccbuf_append(b, ":", 1);
            if (v)
                out_list(b, v);
            else
                ccbuf_append(b, "\n", 1);
        }
    }
    ccbuf_append(b, "", 1);
}

/* The creators on cat, as text: every creator's points, wins, account and designs in
 * leaderboard order. */
static void dump_creators(struct fixture *f, struct ccbuf *b)
{
    struct creators *cs;
    ASSERT_EQ(creators_open(&cs, f->cat, f->st), 0);
    size_t n = creators_count(cs);
    const struct creator *top[ACCOUNTS];
    ASSERT(n <= ACCOUNTS);
    ASSERT_EQ(creators_top(cs, 0, n, top), n);
    for (size_t i = 0; i < n; i++) {
        out(b, "creator ", top[i]->id);
        out(b, " ", (uint64_t)top[i]->points);
        out(b, " ", top[i]->wins);
        out(b, " ", (uint64_t)top[i]->created);
        ccbuf_append(b, " ", 1);
        ccbuf_append(b, top[i]->name, strlen(top[i]->name));
        ccbuf_append(b, top[i]->role, strlen(top[i]->role));
        size_t nd;
        struct dmem *const *ds = creators_designs_of(cs, top[i]->id, &nd);
        for (size_t k = 0; k < nd; k++)
            out(b, k ? " " : ": ", ds[k]->id);
        ccbuf_append(b, "\n", 1);
    }
    ccbuf_append(b, "", 1);
    creators_close(cs);
}

static void load(struct fixture *f, int threads, struct ccbuf *b, struct ccbuf *creators)
{
    cat_load_threads = threads;
    fx_open(f);
    dump(f->cat, b);
    dump_creators(f, creators);
}

static void unload(struct fixture *f)
{
    catalog_stop(f->cat);
    ASSERT_EQ(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    catalog_close(f->cat);
    f->cat = NULL;
}

/* SPEC §5's order of a ranked index: higher key first, then older, then smaller id. */
static int sort_of_cmp;
static int cmp_order(const void *a, const void *b)
{
    const struct dmem *x = *(const struct dmem *const *)a, *y = *(const struct dmem *const *)b;
    double kx = x->score[sort_of_cmp], ky = y->score[sort_of_cmp];
    if (kx != ky)
        return kx > ky ? -1 : 1;
    if (catalog_created(x) != catalog_created(y))
        return catalog_created(x) < catalog_created(y) ? -1 : 1;
    return x->id < y->id ? -1 : 1;
}

/* The one-thread load against the answers worked out from what was written. */
static void check_answers(struct fixture *f)
{
    struct catalog *cat = f->cat;
    size_t designs = 0;
    int64_t points[ACCOUNTS + 1] = {0};
    for (uint64_t id = 1; id <= DESIGNS; id++) {
        const struct want *w = &want[id];
        struct dmem *d = catalog_design(cat, id);
        ASSERT_EQ(d != NULL, w->exists);
        if (!d)
            continue;
        designs++;
        ASSERT_STREQ(catalog_contest_id(d), contests[w->contest]);
        ASSERT_EQ(d->status, w->status);
        ASSERT_EQ(d->hidden, w->hidden);
        struct tally t;
        catalog_tally(d, &t);
        ASSERT_EQ(t.votes, w->votes);
        ASSERT_EQ(t.supports, w->supports);
        ASSERT_EQ(t.up, w->up);
        ASSERT_EQ(t.down, w->down);
        ASSERT_EQ(t.sum, w->sum);
        for (int s = 0; s < 5; s++)
            ASSERT_EQ(t.stars[s], w->stars[s]);
        if (!w->hidden)
            points[w->creator] +=
                POINTS_DESIGN + w->supports +
                (w->status == ST_WINNER || w->status == ST_IN_PRODUCTION || w->status == ST_LAUNCHED
                     ? POINTS_WINNER
                     : 0);
    }
    ASSERT_EQ(cat->designs, designs);
    int galleries = 0;
    for (const struct cgal *g = cat->gals; g; g = g->next) {
        galleries++;
        struct dmem **vis = xmalloc(DESIGNS * sizeof *vis), **got = xmalloc(DESIGNS * sizeof *got);
        size_t n = 0;
        for (uint64_t id = 1; id <= DESIGNS; id++) {
            struct dmem *d = catalog_design(cat, id);
            if (d && !d->hidden && d->gal == g)
                vis[n++] = d;
        }
        for (int s = 0; s < SORT_COUNT; s++) {
            sort_of_cmp = s;
            qsort(vis, n, sizeof *vis, cmp_order);
            ASSERT_EQ(rank_page(g->rank[s], 0, DESIGNS, (void **)got), n);
            for (size_t i = 0; i < n; i++)
                ASSERT(got[i] == vis[i]);
        }
        free(got);
        free(vis);
    }
    ASSERT_EQ(galleries, 5);
    struct creators *cs;
    ASSERT_EQ(creators_open(&cs, cat, f->st), 0);
    const struct creator *top[ACCOUNTS];
    size_t n = creators_top(cs, 0, ACCOUNTS, top);
    for (size_t i = 0; i < n; i++) {
        char name[64], kept[33];
        account_name(top[i]->id, name, sizeof name);
        str_copy(kept, sizeof kept, name); /* a creator keeps 32 bytes */
        ASSERT_STREQ(top[i]->name, kept);
        ASSERT_STREQ(top[i]->role, account_role(top[i]->id));
        ASSERT_EQ(top[i]->created, (int64_t)top[i]->id);
        ASSERT_EQ(top[i]->points, points[top[i]->id]);
        size_t nd;
        struct dmem *const *ds = creators_designs_of(cs, top[i]->id, &nd);
        for (size_t k = 0; k < nd; k++) /* every design of theirs, oldest (smallest id) first */
            ASSERT(ds[k]->creator == top[i]->id && (!k || ds[k - 1]->id < ds[k]->id));
        if (i) /* more points first; ties: older account (fx_account: created = id) */
            ASSERT(top[i - 1]->points > top[i]->points ||
                   (top[i - 1]->points == top[i]->points && top[i - 1]->id < top[i]->id));
    }
    creators_close(cs);
}

int main(void)
{
    struct fixture f;
    fx_init(&f);
    srandom(16);
    write_data(&f);
    struct ccbuf one, one_cr;
    ccbuf_init(&one);
    ccbuf_init(&one_cr);
    load(&f, 1, &one, &one_cr);
    check_answers(&f);
    unload(&f);
    static const int threads[] = {2, 3, 5};
    for (size_t i = 0; i < CC_ARRAY_LEN(threads); i++) {
        struct ccbuf more, more_cr;
        ccbuf_init(&more);
        ccbuf_init(&more_cr);
        load(&f, threads[i], &more, &more_cr);
        if (strcmp((const char *)more.data, (const char *)one.data) != 0) {
            fprintf(stderr, "%d threads: the catalog differs from one thread's\n", threads[i]);
            ASSERT(0);
        }
        ASSERT_STREQ((const char *)more_cr.data, (const char *)one_cr.data);
        unload(&f);
        ccbuf_free(&more);
        ccbuf_free(&more_cr);
    }
    printf("test_catalog_load: ok (%zu bytes of dump, the same for 1, 2, 3 and 5 threads)\n",
           one.len);
    ccbuf_free(&one);
    ccbuf_free(&one_cr);
    cat_load_threads = CATALOG_LOAD_THREADS;
    fx_open(&f);
    fx_close(&f);
    return 0;
}
