/* The vote store (votes.h): every vote reads back as the last one set, through commits,
 * roll-backs (whole and nested), folds (alone and inside a transaction rolled back),
 * and another writer's commit the index was not told of; the loop thread's view and a
 * snapshot's agree; the count of votes standing follows; the tallies count the folded
 * table; the fold's limit. Checked against a model, step by random step. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ccerr.h"
#include "check.h"
#include "store.h"
#include "util.h"
#include "votes.h"

#define DESIGNS 40
#define ACCOUNTS 12

static struct store *st;
static int model[DESIGNS + 1][ACCOUNTS + 1];      /* committed */
static int pending[DESIGNS + 1][ACCOUNTS + 1];    /* in the running transaction */

static MDB_txn *begin(void)
{
    MDB_txn *txn;
    ASSERT_EQ(store_write_begin(st, &txn), 0);
    memcpy(pending, model, sizeof model);
    return txn;
}

static void commit(MDB_txn *txn)
{
    ASSERT_EQ(store_write_commit(st, txn), 0);
    memcpy(model, pending, sizeof model);
}

static void set(MDB_txn *txn, uint64_t d, uint64_t a, int value)
{
    int old;
    uint64_t seq;
    ASSERT_EQ(votes_get(txn, st, d, a, &old), 0);
    ASSERT_EQ(old, pending[d][a]);
    ASSERT_EQ(votes_set(txn, st, d, a, old, value, &seq), 0);
    ASSERT(seq > 0);
    pending[d][a] = value;
}

static int standing(void)
{
    int n = 0;
    for (int d = 1; d <= DESIGNS; d++)
        for (int a = 1; a <= ACCOUNTS; a++)
            n += model[d][a] != 0;
    return n;
}

struct collected {
    int value[DESIGNS + 1];
    uint64_t last;
};

static int collect(void *user, uint64_t design, int value)
{
    struct collected *c = user;
    ASSERT(design > c->last && design <= DESIGNS); /* in design order, once each */
    ASSERT(value != 0);
    c->last = design;
    c->value[design] = value;
    return 0;
}

/* The tallies count the folded table (each design's votes of each value, an entry only
 * for a design with some), and the model's votes once the log is folded. */
static void check_tallies(MDB_txn *rd)
{
    static uint32_t table[DESIGNS + 1][VOTES_VALUES];
    memset(table, 0, sizeof table);
    MDB_cursor *cur;
    MDB_val k, v;
    ASSERT_EQ(mdb_cursor_open(rd, store_dbs(st)->votes, &cur), 0);
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !rc;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        int value = (int8_t)((const uint8_t *)v.mv_data)[0];
        ASSERT(value >= -1 && value <= 5 && value != 0);
        table[get_be64(k.mv_data)][value < 0 ? 0 : value]++;
    }
    mdb_cursor_close(cur);
    MDB_stat ms;
    ASSERT_EQ(mdb_stat(rd, store_dbs(st)->vote_log, &ms), 0);
    int folded = ms.ms_entries == 0;
    size_t with = 0;
    for (int d = 1; d <= DESIGNS; d++) {
        struct vote_counts c;
        ASSERT_EQ(votes_tally_get(rd, st, (uint64_t)d, &c), 0);
        uint32_t any = 0;
        for (int i = 0; i < VOTES_VALUES; i++) {
            if (c.n[i] != table[d][i])
                fprintf(stderr, "design %d value %d: tally %u, table %u\n", d, votes_value(i),
                        c.n[i], table[d][i]);
            ASSERT_EQ(c.n[i], table[d][i]);
            any |= c.n[i];
            uint32_t m = 0;
            for (int a = 1; a <= ACCOUNTS; a++)
                m += model[d][a] == votes_value(i);
            if (folded)
                ASSERT_EQ(c.n[i], m);
        }
        with += any != 0;
    }
    ASSERT_EQ(mdb_stat(rd, store_dbs(st)->tallies, &ms), 0);
    ASSERT_EQ(ms.ms_entries, with);
}

/* Every vote as a write transaction, a snapshot and the counters see it: the model's. */
static void check_all(void)
{
    MDB_txn *txn = begin();
    for (int d = 1; d <= DESIGNS; d++)
        for (int a = 1; a <= ACCOUNTS; a++) {
            int v;
            ASSERT_EQ(votes_get(txn, st, (uint64_t)d, (uint64_t)a, &v), 0);
            if (v != model[d][a])
                fprintf(stderr, "design %d account %d: %d, model %d\n", d, a, v, model[d][a]);
            ASSERT_EQ(v, model[d][a]);
        }
    commit(txn); /* counts the votes standing */
    MDB_txn *rd;
    ASSERT_EQ(store_read_begin(st, &rd), 0);
    check_tallies(rd);
    for (int a = 1; a <= ACCOUNTS; a++) {
        struct collected c = {{0}, 0};
        ASSERT_EQ(votes_of_account(rd, st, (uint64_t)a, collect, &c), 0);
        for (int d = 1; d <= DESIGNS; d++)
            ASSERT_EQ(c.value[d], model[d][a]);
    }
    store_read_end(st, rd);
    struct votes_stats vs;
    votes_stats(st, &vs);
    ASSERT_EQ(vs.standing, standing());
}

/* Another writer's commit (another process, say): straight into the log, the index not
 * told. */
static void foreign_vote(uint64_t d, uint64_t a, int value)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    ASSERT_EQ(mdb_txn_begin(store_env(st), NULL, 0, &txn), 0);
    ASSERT_EQ(mdb_cursor_open(txn, store_dbs(st)->vote_log, &cur), 0);
    MDB_val k, v;
    uint64_t next = 1;
    if (mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0) {
        next = get_be64(k.mv_data) + 1;
    } else {
        MDB_val fk = {12, "votes.folded"}, fv;
        if (mdb_get(txn, store_dbs(st)->meta, &fk, &fv) == 0)
            next = get_be64(fv.mv_data) + 1;
    }
    mdb_cursor_close(cur);
    uint8_t key[8], val[17];
    put_be64(key, next);
    put_be64(val, d);
    put_be64(val + 8, a);
    val[16] = (uint8_t)(int8_t)value;
    k = (MDB_val){8, key};
    v = (MDB_val){17, val};
    ASSERT_EQ(mdb_put(txn, store_dbs(st)->vote_log, &k, &v, MDB_APPEND), 0);
    ASSERT_EQ(mdb_txn_commit(txn), 0);
    model[d][a] = value;
}

static void scripted(void)
{
    struct votes_stats vs;
    /* set, read back in the same and the next transaction */
    MDB_txn *txn = begin();
    set(txn, 1, 1, 1);
    set(txn, 1, 2, -1);
    set(txn, 1, 1, 0); /* cleared in the same transaction */
    set(txn, 2, 1, 3);
    commit(txn);
    check_all();

    /* a roll-back after changes: none of them stays */
    txn = begin();
    set(txn, 3, 3, 1);
    set(txn, 2, 1, 0);
    votes_stats(st, &vs);
    uint64_t rebuilds = vs.rebuilds;
    store_write_abort(st, txn);
    check_all();
    votes_stats(st, &vs);
    ASSERT(vs.rebuilds > rebuilds); /* read again from the log */

    /* a nested transaction rolled back after a change; its parent's change stays */
    txn = begin();
    set(txn, 4, 1, 2);
    MDB_txn *child;
    uint64_t mark;
    ASSERT_EQ(store_child_begin(st, txn, &child, &mark), 0);
    int saved[DESIGNS + 1][ACCOUNTS + 1];
    memcpy(saved, pending, sizeof saved);
    set(child, 4, 2, 5);
    set(child, 4, 1, 0);
    ASSERT_EQ(store_child_end(st, child, CC_EBADARGS, mark), CC_EBADARGS);
    memcpy(pending, saved, sizeof saved);
    int v;
    ASSERT_EQ(votes_get(txn, st, 4, 1, &v), 0);
    ASSERT_EQ(v, 2);
    ASSERT_EQ(votes_get(txn, st, 4, 2, &v), 0);
    ASSERT_EQ(v, 0);
    /* ... and one committed into its parent */
    ASSERT_EQ(store_child_begin(st, txn, &child, &mark), 0);
    set(child, 5, 5, 4);
    ASSERT_EQ(store_child_end(st, child, 0, mark), 0);
    commit(txn);
    check_all();

    /* a fold: the table holds everything, the log nothing, sequences go on */
    ASSERT_EQ(votes_fold_store(st), 0);
    votes_stats(st, &vs);
    ASSERT_EQ(vs.unfolded, 0);
    ASSERT(vs.folds >= 1);
    check_all();
    MDB_txn *rd;
    MDB_stat ms;
    ASSERT_EQ(store_read_begin(st, &rd), 0);
    ASSERT_EQ(mdb_stat(rd, store_dbs(st)->vote_log, &ms), 0);
    ASSERT_EQ(ms.ms_entries, 0);
    ASSERT_EQ(mdb_stat(rd, store_dbs(st)->votes, &ms), 0);
    ASSERT_EQ(ms.ms_entries, standing());
    store_read_end(st, rd);

    /* a fold inside a transaction rolled back: the log is back, and read again */
    txn = begin();
    set(txn, 6, 1, 1);
    commit(txn);
    txn = begin();
    set(txn, 6, 2, 2);
    ASSERT_EQ(votes_fold(txn, st), 0);
    set(txn, 6, 3, 3);
    store_write_abort(st, txn);
    check_all();

    /* another writer's commit: seen at the next transaction */
    foreign_vote(7, 7, 5);
    foreign_vote(6, 1, 0);
    check_all();
}

static void randomized(void)
{
    uint64_t r = 0x9e3779b97f4a7c15ull;
    for (int step = 0; step < 3000; step++) {
        MDB_txn *txn = begin();
        int n = 1 + (int)(check_rand(&r) % 6);
        for (int i = 0; i < n; i++) {
            uint64_t d = 1 + check_rand(&r) % DESIGNS, a = 1 + check_rand(&r) % ACCOUNTS;
            int value = (int)(check_rand(&r) % 7) - 1;
            int what = (int)(check_rand(&r) % 20);
            if (what == 0) {
                ASSERT_EQ(votes_fold(txn, st), 0);
            } else if (what <= 2) { /* a request alone in a nested transaction */
                MDB_txn *child;
                uint64_t mark;
                int saved[DESIGNS + 1][ACCOUNTS + 1];
                memcpy(saved, pending, sizeof saved);
                ASSERT_EQ(store_child_begin(st, txn, &child, &mark), 0);
                set(child, d, a, value);
                int fail = what == 1;
                ASSERT_EQ(store_child_end(st, child, fail ? CC_ECLOSED : 0, mark),
                          fail ? CC_ECLOSED : 0);
                if (fail)
                    memcpy(pending, saved, sizeof saved);
            } else {
                set(txn, d, a, value);
            }
        }
        switch (check_rand(&r) % 10) {
        case 0: store_write_abort(st, txn); break;
        case 1: commit(txn); ASSERT_EQ(votes_fold_store(st), 0); break;
        case 2: commit(txn); foreign_vote(1 + check_rand(&r) % DESIGNS,
                                          1 + check_rand(&r) % ACCOUNTS,
                                          (int)(check_rand(&r) % 3)); break;
        default: commit(txn);
        }
        if (step % 100 == 0)
            check_all();
    }
    check_all();
}

/* The loop thread's view: a vote noted after its commit reads as noted until a fold
 * covers it, then from the table; notes past the sweep size forget the folded ones. */
static void seen(void)
{
    struct votes_seen *vs = votes_seen_new();
    MDB_txn *txn = begin();
    int old;
    uint64_t seq;
    ASSERT_EQ(votes_get(txn, st, 30, 1, &old), 0);
    ASSERT_EQ(votes_set(txn, st, 30, 1, old, 4, &seq), 0);
    pending[30][1] = 4;
    commit(txn);
    votes_seen_note(vs, st, 30, 1, 4, seq);
    MDB_txn *rd;
    int v;
    ASSERT_EQ(store_read_begin(st, &rd), 0);
    ASSERT_EQ(votes_lookup(vs, rd, st, 30, 1, &v), 0);
    ASSERT_EQ(v, 4);
    ASSERT_EQ(votes_lookup(vs, rd, st, 30, 2, &v), 0); /* none: from the table */
    ASSERT_EQ(v, model[30][2]);
    store_read_end(st, rd);
    /* folded: the table answers; then cleared (noted) */
    ASSERT_EQ(votes_fold_store(st), 0);
    txn = begin();
    ASSERT_EQ(votes_set(txn, st, 30, 1, 4, 0, &seq), 0);
    pending[30][1] = 0;
    commit(txn);
    ASSERT_EQ(store_read_begin(st, &rd), 0);
    ASSERT_EQ(votes_lookup(vs, rd, st, 30, 1, &v), 0); /* not noted yet: the table's */
    ASSERT_EQ(v, 4);
    store_read_end(st, rd);
    votes_seen_note(vs, st, 30, 1, 0, seq);
    ASSERT_EQ(store_read_begin(st, &rd), 0);
    ASSERT_EQ(votes_lookup(vs, rd, st, 30, 1, &v), 0);
    ASSERT_EQ(v, 0);
    store_read_end(st, rd);

    /* the sweep: 5,000 notes of votes folded on the way keep fewer than that */
    uint64_t account = 1000;
    for (int i = 0; i < 5000; i++) {
        txn = begin();
        ASSERT_EQ(votes_set(txn, st, 31, account + (uint64_t)i, 0, 1, &seq), 0);
        commit(txn);
        votes_seen_note(vs, st, 31, account + (uint64_t)i, 1, seq);
        if (i == 2500)
            ASSERT_EQ(votes_fold_store(st), 0);
    }
    ASSERT(votes_seen_count(vs) < 5000);
    ASSERT_EQ(store_read_begin(st, &rd), 0);
    for (int i = 0; i < 5000; i += 7) {
        ASSERT_EQ(votes_lookup(vs, rd, st, 31, account + (uint64_t)i, &v), 0);
        ASSERT_EQ(v, 1);
    }
    store_read_end(st, rd);
    votes_seen_free(vs);
}

/* VOTES_FOLD_ENTRIES: one short of it is not due, at it is; an old log is due. */
static void fold_limit(void)
{
    ASSERT_EQ(votes_fold_store(st), 0);
    ASSERT_EQ(votes_fold_due(st, 0), 0);
    MDB_txn *txn;
    ASSERT_EQ(store_write_begin(st, &txn), 0);
    for (uint64_t i = 0; i < VOTES_FOLD_ENTRIES - 1; i++) {
        uint64_t seq;
        int rc = votes_set(txn, st, 100 + i / 1000, 1 + i % 1000, 0, 1, &seq);
        if (rc == STORE_EMAPFULL) { /* a small map: grow it and go on */
            store_write_abort(st, txn);
            ASSERT_EQ(store_grow(st), 0);
            ASSERT_EQ(store_write_begin(st, &txn), 0);
            i = (uint64_t)-1;
            continue;
        }
        ASSERT_EQ(rc, 0);
    }
    ASSERT_EQ(store_write_commit(st, txn), 0);
    ASSERT_EQ(votes_fold_due(st, 0), 0);
    ASSERT_EQ(votes_fold_due(st, UINT64_MAX / 2), 1);
    ASSERT_EQ(store_write_begin(st, &txn), 0);
    uint64_t seq;
    ASSERT_EQ(votes_set(txn, st, 99, 1, 0, 1, &seq), 0);
    ASSERT_EQ(store_write_commit(st, txn), 0);
    ASSERT_EQ(votes_fold_due(st, 0), 1);
    ASSERT_EQ(votes_fold_store(st), 0);
    ASSERT_EQ(votes_fold_due(st, UINT64_MAX / 2), 0);
    struct votes_stats vs;
    votes_stats(st, &vs);
    ASSERT_EQ(vs.unfolded, 0);
    MDB_txn *rd;
    struct vote_counts c;
    ASSERT_EQ(store_read_begin(st, &rd), 0);
    ASSERT_EQ(votes_tally_get(rd, st, 100, &c), 0);
    ASSERT_EQ(c.n[1], 1000);
    ASSERT_EQ(votes_tally_get(rd, st, 99, &c), 0);
    ASSERT_EQ(c.n[1], 1);
    store_read_end(st, rd);
}

/* Votes written straight into the table (votes_table_set: tools, fixtures) keep their
 * tallies; tallies counted again from the table (the upgrade) come out the same. */
static void direct(void)
{
    ASSERT_EQ(votes_fold_store(st), 0);
    MDB_txn *txn = begin();
    int steps[][3] = {{5, 3, 2}, {5, 3, 5}, {5, 4, -1}, {6, 3, 1}, {5, 3, 0}, {7, 9, 0}};
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
        ASSERT_EQ(votes_table_set(txn, st, (uint64_t)steps[i][0], (uint64_t)steps[i][1],
                                  steps[i][2]),
                  0);
        pending[steps[i][0]][steps[i][1]] = steps[i][2];
    }
    ASSERT_EQ(votes_table_set(txn, st, 5, 1, 7), CC_EINTERNAL); /* not a vote */
    commit(txn);
    check_all();
    size_t designs;
    uint64_t votes;
    txn = begin();
    ASSERT_EQ(votes_tallies_build(txn, st, &designs, &votes), 0);
    commit(txn);
    ASSERT_EQ(votes, (uint64_t)standing());
    check_all();
}

int main(void)
{
    char dir[] = "/tmp/cc-votes-XXXXXX", err[256];
    ASSERT(mkdtemp(dir));
    ASSERT_EQ(store_open(&st, dir, 0, err, sizeof err), 0);
    scripted();
    randomized();
    direct();
    seen();
    fold_limit();
    store_close(st);
    CHECK_RMDIR(dir);
    printf("votes: ok\n");
    return 0;
}
