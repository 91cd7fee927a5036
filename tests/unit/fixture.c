/* See fixture.h. */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "contests.h"
#include "util.h"
#include "votes.h"

static int64_t read_clock(void *user)
{
    return ((struct fixture *)user)->now;
}

static void rescored(void *user, const struct cgal *g)
{
    (void)g;
    ((struct fixture *)user)->rescored++;
}

void fx_init(struct fixture *f)
{
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/cc-test-catalog-XXXXXX");
    ASSERT(mkdtemp(f->dir));
    char err[256];
    ASSERT_EQ(store_open(&f->st, f->dir, 0, err, sizeof err), 0);
    ASSERT_EQ(uv_loop_init(&f->loop), 0);
    f->now = 100000;
    f->clock = (struct clock){read_clock, f};
}

MDB_txn *fx_begin(struct fixture *f)
{
    MDB_txn *txn;
    ASSERT_EQ(store_write_begin(f->st, &txn), 0);
    return txn;
}

void fx_commit(struct fixture *f, MDB_txn *txn)
{
    ASSERT_EQ(store_write_commit(f->st, txn), 0);
}

void fx_contest(struct fixture *f, MDB_txn *txn, const char *id, const char *scale)
{
    json_t *rec = json_pack("{ssssssss}", "id", id, "slug", id, "kind", "any", "scale", scale);
    ASSERT_EQ(contest_put(txn, f->st, rec, 1), 0);
    json_decref(rec);
}

void fx_record(MDB_txn *txn, MDB_dbi dbi, uint64_t id, json_t *rec)
{
    char *text = json_dumps(rec, JSON_COMPACT);
    uint8_t key[8];
    put_be64(key, id);
    ASSERT_EQ(store_put(txn, dbi, key, 8, text, strlen(text), 0), 0);
    free(text);
    json_decref(rec);
}

void fx_design(struct fixture *f, MDB_txn *txn, uint64_t id, const char *contest,
               uint64_t creator, int64_t created, const char *status, int hidden,
               const char *tags)
{
    char ids[24], cr[24];
    snprintf(ids, sizeof ids, "%llu", (unsigned long long)id);
    snprintf(cr, sizeof cr, "%llu", (unsigned long long)creator);
    json_t *t = json_array();
    char buf[256];
    snprintf(buf, sizeof buf, "%s", tags);
    for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        json_array_append_new(t, json_string(tok));
    json_t *rec = json_pack("{sssssssssIsssbso}", "id", ids, "contest", contest, "creator", cr,
                            "title", "a design", "created", (json_int_t)created, "status",
                            status, "hidden", hidden, "tags", t);
    fx_record(txn, store_dbs(f->st)->designs, id, rec);
}

void fx_vote(struct fixture *f, MDB_txn *txn, uint64_t design, uint64_t account, int value)
{
    ASSERT_EQ(votes_table_set(txn, f->st, design, account, value), 0);
}

void fx_account(struct fixture *f, MDB_txn *txn, uint64_t id, const char *name)
{
    char ids[24];
    snprintf(ids, sizeof ids, "%llu", (unsigned long long)id);
    json_t *rec = json_pack("{sssssssI}", "id", ids, "name", name, "role", "member", "created",
                            (json_int_t)id);
    fx_record(txn, store_dbs(f->st)->accounts, id, rec);
}

/* The creator filter's index, as creators.c keeps it: the designs of one account,
 * collected on demand (oldest first) into a buffer that lives until the next call. */
struct collect {
    uint64_t creator;
    size_t n;
};
static struct dmem *collected[16384];

static int collect_one(void *user, struct dmem *d)
{
    struct collect *c = user;
    if (d->creator == c->creator && c->n < CC_ARRAY_LEN(collected))
        collected[c->n++] = d;
    return 0;
}

struct dmem *const *fx_designs_of(void *user, uint64_t creator, size_t *n)
{
    struct collect c = {creator, 0};
    catalog_each_design(((struct fixture *)user)->cat, collect_one, &c);
    *n = c.n;
    return collected;
}

void fx_open(struct fixture *f)
{
    ASSERT_EQ(catalog_open(&f->cat, &f->loop, f->st, &f->clock), 0);
    catalog_on_rescored(f->cat, rescored, f);
    catalog_set_designs_of(f->cat, fx_designs_of, f);
}

void fx_close(struct fixture *f)
{
    catalog_stop(f->cat);
    ASSERT_EQ(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    catalog_close(f->cat);
    ASSERT_EQ(uv_loop_close(&f->loop), 0);
    store_close(f->st);
    CHECK_RMDIR(f->dir);
}

size_t fx_page(struct fixture *f, const struct gallery_query *q, uint64_t *ids, size_t max,
               size_t *total)
{
    struct dmem *items[CATALOG_PAGE_MAX];
    int n = catalog_page(f->cat, q, items, total);
    ASSERT(n >= 0);
    ASSERT((size_t)n <= max);
    for (int i = 0; i < n; i++)
        ids[i] = items[i]->id;
    return (size_t)n;
}

struct gallery_query fx_query(const char *contest, enum sort sort)
{
    struct gallery_query q;
    memset(&q, 0, sizeof q);
    snprintf(q.contest, sizeof q.contest, "%s", contest);
    q.sort = sort;
    q.limit = CATALOG_PAGE_MAX;
    q.status = -1;
    return q;
}
