/* The vote store: `votes` (folded) and `vote_log` (appended), see votes.h.
 *
 * vote_log: be64 seq → be64 design, be64 account, int8 value (0: cleared). Sequences
 * only grow: a fold empties the log and writes the last one it covered under the meta
 * key "votes.folded", so that the next entry continues after it and a reader can tell
 * whether an entry it remembers is folded in the snapshot it reads. */
#include "votes.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "ccerr.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define FOLDED_KEY "votes.folded"

/* ---- an index of (design, account) → the last log entry for it ----
 * Open addressing, linear probing; design 0 marks an empty slot (design ids start at
 * 1). Entries are never removed one by one: the index is cleared or rebuilt. */

struct ventry {
    uint64_t design, account, seq;
    int value;
};

struct vmap {
    struct ventry *e;
    size_t cap, n; /* cap: 0 or a power of two */
};

static size_t vslot(const struct vmap *m, uint64_t design, uint64_t account)
{
    uint64_t h = design * 0x9e3779b97f4a7c15ull ^ account * 0xc2b2ae3d27d4eb4full;
    return (size_t)(h ^ (h >> 31)) & (m->cap - 1);
}

static struct ventry *vmap_find(const struct vmap *m, uint64_t design, uint64_t account)
{
    if (!m->n)
        return NULL;
    for (size_t i = vslot(m, design, account);; i = (i + 1) & (m->cap - 1)) {
        struct ventry *e = &m->e[i];
        if (!e->design)
            return NULL;
        if (e->design == design && e->account == account)
            return e;
    }
}

static void vmap_grow(struct vmap *m)
{
    struct vmap old = *m;
    m->cap = old.cap ? old.cap * 2 : 1024;
    m->e = xcalloc(m->cap, sizeof *m->e);
    m->n = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.e[i].design) {
            size_t j = vslot(m, old.e[i].design, old.e[i].account);
            while (m->e[j].design)
                j = (j + 1) & (m->cap - 1);
            m->e[j] = old.e[i];
            m->n++;
        }
    free(old.e);
}

/* The entry of (design, account), made (seq 0) when there was none. */
static struct ventry *vmap_put(struct vmap *m, uint64_t design, uint64_t account)
{
    if ((m->n + 1) * 10 > m->cap * 7)
        vmap_grow(m);
    size_t i = vslot(m, design, account);
    for (; m->e[i].design; i = (i + 1) & (m->cap - 1))
        if (m->e[i].design == design && m->e[i].account == account)
            return &m->e[i];
    m->e[i] = (struct ventry){.design = design, .account = account};
    m->n++;
    return &m->e[i];
}

/* Empties m; a large table is let go (a burst of votes does not keep its memory). */
static void vmap_clear(struct vmap *m)
{
    if (m->cap > 65536) {
        free(m->e);
        *m = (struct vmap){0};
    } else if (m->n) {
        memset(m->e, 0, m->cap * sizeof *m->e);
        m->n = 0;
    }
}

static void vmap_free(struct vmap *m)
{
    free(m->e);
    *m = (struct vmap){0};
}

static int cmp_entry(const void *a, const void *b)
{
    const struct ventry *x = *(struct ventry *const *)a, *y = *(struct ventry *const *)b;
    if (x->design != y->design)
        return x->design < y->design ? -1 : 1;
    return x->account < y->account ? -1 : x->account > y->account;
}

/* ---- the stored forms ---- */

static void vote_key(uint8_t key[16], uint64_t design, uint64_t account)
{
    put_be64(key, design);
    put_be64(key + 8, account);
}

/* ---- the tallies ---- */

static int slot_of(int value)
{
    return value < 0 ? 0 : value;
}

int votes_tally_decode(const MDB_val *v, struct vote_counts *out)
{
    if (v->mv_size != 4 * VOTES_VALUES)
        return -1;
    for (int i = 0; i < VOTES_VALUES; i++)
        out->n[i] = get_be32((const uint8_t *)v->mv_data + 4 * i);
    return 0;
}

int votes_tally_get(MDB_txn *txn, const struct store *st, uint64_t design,
                    struct vote_counts *out)
{
    uint8_t key[8];
    put_be64(key, design);
    MDB_val v;
    memset(out, 0, sizeof *out);
    int rc = store_get(txn, store_dbs(st)->tallies, key, 8, &v);
    if (rc)
        return rc == CC_ENOTFOUND ? 0 : rc;
    if (votes_tally_decode(&v, out)) {
        log_error("votes: the tally of design %llu is %zu bytes; counted as none",
                  (unsigned long long)design, v.mv_size);
        memset(out, 0, sizeof *out);
    }
    return 0;
}

/* Stores design's counts (none: no entry). flags: MDB_APPEND when the caller goes in
 * design order through a table it emptied. */
static int tally_put(MDB_txn *txn, const struct store *st, uint64_t design,
                     const struct vote_counts *c, unsigned flags)
{
    uint8_t key[8], val[4 * VOTES_VALUES];
    uint32_t any = 0;
    put_be64(key, design);
    for (int i = 0; i < VOTES_VALUES; i++) {
        put_be32(val + 4 * i, c->n[i]);
        any |= c->n[i];
    }
    if (any)
        return store_put(txn, store_dbs(st)->tallies, key, 8, val, sizeof val, flags);
    int rc = store_del(txn, store_dbs(st)->tallies, key, 8);
    return rc == CC_ENOTFOUND ? 0 : rc;
}

/* Writes to the folded table, its tallies kept in step: the changes to a design's counts
 * are gathered while its votes are written (callers go in design order) and stored when
 * the next design comes, or at table_done. */
struct table_edit {
    MDB_txn *txn;
    const struct store *st;
    MDB_cursor *cur;
    uint64_t design;
    int64_t delta[VOTES_VALUES];
};

static int table_begin(struct table_edit *e, MDB_txn *txn, const struct store *st)
{
    *e = (struct table_edit){.txn = txn, .st = st};
    return store_err(mdb_cursor_open(txn, store_dbs(st)->votes, &e->cur));
}

/* Adds the gathered changes to the design's stored counts. */
static int table_flush(struct table_edit *e)
{
    int64_t any = 0;
    for (int i = 0; i < VOTES_VALUES; i++)
        any |= e->delta[i];
    if (!any)
        return 0;
    struct vote_counts c;
    int rc = votes_tally_get(e->txn, e->st, e->design, &c);
    if (rc)
        return rc;
    for (int i = 0; i < VOTES_VALUES; i++) {
        int64_t n = (int64_t)c.n[i] + e->delta[i];
        if (n < 0 || n > UINT32_MAX) { /* not the table's count: made so by hand */
            log_error("votes: the tally of design %llu does not match its votes (value %d: "
                      "%lld)", (unsigned long long)e->design, votes_value(i), (long long)n);
            n = n < 0 ? 0 : UINT32_MAX;
        }
        c.n[i] = (uint32_t)n;
        e->delta[i] = 0;
    }
    return tally_put(e->txn, e->st, e->design, &c, 0);
}

static int table_vote(struct table_edit *e, uint64_t design, uint64_t account, int value)
{
    if (value < -1 || value >= VOTES_VALUES)
        return CC_EINTERNAL; /* scales give -1..5 */
    int rc;
    if (design != e->design) {
        if ((rc = table_flush(e)))
            return rc;
        e->design = design;
    }
    uint8_t key[16], b = (uint8_t)(int8_t)value;
    vote_key(key, design, account);
    MDB_val k = {16, key}, v;
    int old = 0;
    rc = mdb_cursor_get(e->cur, &k, &v, MDB_SET_KEY);
    if (rc && rc != MDB_NOTFOUND)
        return store_err(rc);
    int found = !rc;
    if (found && v.mv_size == 1)
        old = (int8_t)((const uint8_t *)v.mv_data)[0];
    if (found && v.mv_size == 1 && old == value)
        return 0;
    if (old < -1 || old >= VOTES_VALUES)
        old = 0; /* not a vote this build writes: replaced, not counted */
    k = (MDB_val){16, key};
    v = (MDB_val){1, &b};
    rc = value ? mdb_cursor_put(e->cur, &k, &v, 0) : found ? mdb_cursor_del(e->cur, 0) : 0;
    if (rc)
        return store_err(rc);
    if (old)
        e->delta[slot_of(old)]--;
    if (value)
        e->delta[slot_of(value)]++;
    return 0;
}

static int table_done(struct table_edit *e, int rc)
{
    if (!rc)
        rc = table_flush(e);
    mdb_cursor_close(e->cur);
    return rc;
}

int votes_table_set(MDB_txn *txn, const struct store *st, uint64_t design, uint64_t account,
                    int value)
{
    struct table_edit e;
    int rc = table_begin(&e, txn, st);
    if (rc)
        return rc;
    return table_done(&e, table_vote(&e, design, account, value));
}

int votes_tallies_build(MDB_txn *txn, const struct store *st, size_t *designs,
                        uint64_t *votes)
{
    const struct store_dbs *db = store_dbs(st);
    MDB_cursor *cur;
    *designs = 0;
    *votes = 0;
    int rc = store_err(mdb_drop(txn, db->tallies, 0));
    if (rc || (rc = store_err(mdb_cursor_open(txn, db->votes, &cur))))
        return rc;
    struct vote_counts c = {{0}};
    uint64_t design = 0;
    MDB_val k, v;
    int mrc;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !mrc && !rc;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 16 || v.mv_size != 1)
            continue;
        int value = (int8_t)((const uint8_t *)v.mv_data)[0];
        if (!value || value < -1 || value >= VOTES_VALUES)
            continue;
        if (get_be64(k.mv_data) != design) {
            if (design && (rc = tally_put(txn, st, design, &c, MDB_APPEND)))
                break;
            design = get_be64(k.mv_data);
            memset(&c, 0, sizeof c);
            ++*designs;
        }
        c.n[slot_of(value)]++;
        ++*votes;
    }
    mdb_cursor_close(cur);
    if (!rc && mrc != MDB_NOTFOUND)
        rc = store_err(mrc);
    if (!rc && design)
        rc = tally_put(txn, st, design, &c, MDB_APPEND);
    return rc;
}

/* The sequence the last fold covered, as txn sees it (0: none yet). */
static int folded_seq(MDB_txn *txn, const struct store *st, uint64_t *out)
{
    MDB_val v;
    int rc = store_get(txn, store_dbs(st)->meta, FOLDED_KEY, strlen(FOLDED_KEY), &v);
    *out = rc == 0 && v.mv_size == 8 ? get_be64(v.mv_data) : 0;
    return rc == CC_ENOTFOUND ? 0 : rc;
}

/* The vote in the folded table (0: none). */
static int table_get(MDB_txn *txn, const struct store *st, uint64_t design, uint64_t account,
                     int *value)
{
    uint8_t key[16];
    vote_key(key, design, account);
    MDB_val v;
    int rc = store_get(txn, store_dbs(st)->votes, key, 16, &v);
    *value = rc == 0 && v.mv_size == 1 ? (int8_t)((const uint8_t *)v.mv_data)[0] : 0;
    return rc == CC_ENOTFOUND ? 0 : rc;
}

/* Calls fn for each entry of the log in txn, in order. */
typedef void (*log_fn)(void *user, uint64_t seq, uint64_t design, uint64_t account,
                       int value);
static int log_each(MDB_txn *txn, const struct store *st, log_fn fn, void *user)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, store_dbs(st)->vote_log, &cur);
    if (rc)
        return store_err(rc);
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !rc;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 8 || v.mv_size != 17)
            continue; /* not an entry this build writes */
        const uint8_t *p = v.mv_data;
        fn(user, get_be64(k.mv_data), get_be64(p), get_be64(p + 8), (int8_t)p[16]);
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : store_err(rc);
}

static void put_entry(void *user, uint64_t seq, uint64_t design, uint64_t account, int value)
{
    struct ventry *e = vmap_put(user, design, account);
    e->seq = seq;
    e->value = value;
}

/* ---- the writer's index ----
 * Touched only inside write transactions, which LMDB runs one at a time; it follows
 * them as the store's follower (store.h). `txnid` is the transaction whose view `map`
 * holds: the one running when it was last read or changed (its changes included), or
 * the last one committed. A transaction that starts right after it (id + 1) finds it
 * current; anything else (a roll-back after a change, a commit by another process)
 * reads the log again. */
struct vlog {
    struct store_follower f;
    const struct store *st;
    struct vmap map;
    int valid;
    uint64_t txnid;
    uint64_t gen;       /* moves with every change of map */
    uint64_t begin_gen; /* gen when the running write transaction began */
    uint64_t next_seq;
    uint64_t entries;   /* in the log (map holds one per (design, account)) */
    int64_t standing;   /* votes the log adds to the table's (casts minus clears) */
    uint64_t first_ns;  /* when an entry was first added since the log was empty (0: it is) */
    int64_t committing; /* votes standing in the transaction about to commit (-1: unknown) */
    atomic_uint_fast64_t unfolded, folds, folded, rebuilds;
    atomic_int_fast64_t total; /* votes standing as of the last commit (-1: unknown) */
};

static void vl_begin(struct store_follower *f)
{
    struct vlog *vl = container_of(f, struct vlog, f);
    vl->begin_gen = vl->gen;
}

static void vl_committing(struct store_follower *f, MDB_txn *txn)
{
    struct vlog *vl = container_of(f, struct vlog, f);
    MDB_stat ms;
    vl->committing = -1;
    if (vl->valid && (vl->txnid == mdb_txn_id(txn) || vl->txnid + 1 == mdb_txn_id(txn)) &&
        !mdb_stat(txn, store_dbs(vl->st)->votes, &ms))
        vl->committing = (int64_t)ms.ms_entries + vl->standing;
}

static void vl_committed(struct store_follower *f, uint64_t txnid)
{
    struct vlog *vl = container_of(f, struct vlog, f);
    if (vl->valid && (vl->txnid == txnid || vl->txnid + 1 == txnid))
        vl->txnid = txnid;
    else
        vl->valid = 0;
    if (vl->committing >= 0)
        atomic_store(&vl->total, vl->committing);
}

static void vl_aborted(struct store_follower *f, uint64_t txnid)
{
    struct vlog *vl = container_of(f, struct vlog, f);
    if (vl->gen != vl->begin_gen)
        vl->valid = 0;
    else if (vl->txnid == txnid)
        vl->txnid = txnid - 1; /* read, not changed: the last commit's view */
}

static uint64_t vl_mark(struct store_follower *f)
{
    return container_of(f, struct vlog, f)->gen;
}

static void vl_child_aborted(struct store_follower *f, uint64_t mark)
{
    struct vlog *vl = container_of(f, struct vlog, f);
    if (vl->gen != mark)
        vl->valid = 0;
}

static void vl_free(struct store_follower *f)
{
    struct vlog *vl = container_of(f, struct vlog, f);
    vmap_free(&vl->map);
    free(vl);
}

/* st's index, made the first time. */
static struct vlog *vlog_of(const struct store *st)
{
    struct store_follower *f = store_follower(st);
    if (!f) {
        struct vlog *vl = xcalloc(1, sizeof *vl);
        vl->f = (struct store_follower){vl_begin,   vl_committing,    vl_committed, vl_aborted,
                                        vl_mark,    vl_child_aborted, vl_free};
        vl->st = st;
        vl->committing = -1;
        atomic_store(&vl->total, -1);
        f = store_follow(st, &vl->f);
    }
    return container_of(f, struct vlog, f);
}

struct rebuild {
    struct vlog *vl;
    uint64_t last, n;
};

/* What the log's votes add to the table's count, from the table in txn. */
static int log_standing(MDB_txn *txn, const struct store *st, const struct vmap *m,
                        int64_t *out)
{
    int64_t n = 0;
    for (size_t i = 0; i < m->cap; i++) {
        const struct ventry *e = &m->e[i];
        int before;
        if (!e->design)
            continue;
        int rc = table_get(txn, st, e->design, e->account, &before);
        if (rc)
            return rc;
        n += (e->value != 0) - (before != 0);
    }
    *out = n;
    return 0;
}

static void rebuild_entry(void *user, uint64_t seq, uint64_t design, uint64_t account,
                          int value)
{
    struct rebuild *r = user;
    put_entry(&r->vl->map, seq, design, account, value);
    r->last = seq;
    r->n++;
}

/* The writer's index, current for txn. */
static int vlog_ready(MDB_txn *txn, const struct store *st, struct vlog **out)
{
    struct vlog *vl = vlog_of(st);
    uint64_t id = (uint64_t)mdb_txn_id(txn);
    *out = vl;
    if (vl->valid && (vl->txnid == id || vl->txnid + 1 == id)) {
        vl->txnid = id;
        return 0;
    }
    vmap_clear(&vl->map);
    vl->valid = 0;
    vl->gen++;
    struct rebuild r = {vl, 0, 0};
    int rc = log_each(txn, st, rebuild_entry, &r);
    uint64_t folded = 0;
    if (!rc && !r.n)
        rc = folded_seq(txn, st, &folded);
    if (!rc)
        rc = log_standing(txn, st, &vl->map, &vl->standing);
    if (rc) {
        vmap_clear(&vl->map);
        return rc;
    }
    vl->next_seq = (r.n ? r.last : folded) + 1;
    vl->entries = r.n;
    vl->first_ns = r.n ? uv_hrtime() : 0;
    vl->valid = 1;
    vl->txnid = id;
    atomic_store(&vl->unfolded, r.n);
    atomic_fetch_add(&vl->rebuilds, 1);
    return 0;
}

int votes_get(MDB_txn *txn, const struct store *st, uint64_t design, uint64_t account,
              int *value)
{
    struct vlog *vl;
    int rc = vlog_ready(txn, st, &vl);
    if (rc)
        return rc;
    const struct ventry *e = vmap_find(&vl->map, design, account);
    if (e) {
        *value = e->value;
        return 0;
    }
    return table_get(txn, st, design, account, value);
}

int votes_set(MDB_txn *txn, const struct store *st, uint64_t design, uint64_t account,
              int old, int value, uint64_t *seq)
{
    struct vlog *vl;
    int rc = vlog_ready(txn, st, &vl);
    if (rc)
        return rc;
    uint8_t key[8], val[17];
    put_be64(key, vl->next_seq);
    vote_key(val, design, account);
    val[16] = (uint8_t)(int8_t)value;
    if ((rc = store_put(txn, store_dbs(st)->vote_log, key, 8, val, 17, MDB_APPEND)))
        return rc;
    put_entry(&vl->map, vl->next_seq, design, account, value);
    vl->standing += (value != 0) - (old != 0);
    vl->gen++;
    *seq = vl->next_seq++;
    if (!vl->entries++)
        vl->first_ns = uv_hrtime();
    atomic_store(&vl->unfolded, vl->entries);
    return 0;
}

int votes_fold(MDB_txn *txn, const struct store *st)
{
    struct vlog *vl;
    int rc = vlog_ready(txn, st, &vl);
    if (rc || !vl->entries)
        return rc;
    /* In key order: neighbours share leaves, and each leaf is copied once. */
    struct ventry **order = xmalloc(vl->map.n * sizeof *order);
    size_t n = 0;
    for (size_t i = 0; i < vl->map.cap; i++)
        if (vl->map.e[i].design)
            order[n++] = &vl->map.e[i];
    qsort(order, n, sizeof *order, cmp_entry);
    const struct store_dbs *db = store_dbs(st);
    struct table_edit e;
    if (!(rc = table_begin(&e, txn, st))) {
        for (size_t i = 0; i < n && !rc; i++)
            rc = table_vote(&e, order[i]->design, order[i]->account, order[i]->value);
        rc = table_done(&e, rc);
    }
    free(order);
    uint8_t last[8];
    put_be64(last, vl->next_seq - 1);
    if (!rc)
        rc = store_err(mdb_drop(txn, db->vote_log, 0));
    if (!rc)
        rc = store_put(txn, db->meta, FOLDED_KEY, strlen(FOLDED_KEY), last, 8, 0);
    if (rc)
        return rc; /* the caller rolls back: the index still holds the log it had */
    atomic_fetch_add(&vl->folds, 1);
    atomic_fetch_add(&vl->folded, vl->entries);
    vmap_clear(&vl->map);
    vl->gen++;
    vl->entries = 0;
    vl->standing = 0;
    vl->first_ns = 0;
    atomic_store(&vl->unfolded, 0);
    return 0;
}

int votes_fold_due(const struct store *st, uint64_t now_ns)
{
    const struct vlog *vl = vlog_of(st);
    return vl->entries >= VOTES_FOLD_ENTRIES ||
           (vl->first_ns && now_ns >= vl->first_ns + (uint64_t)VOTES_FOLD_MS * 1000000);
}

static int fold_in(MDB_txn *txn, struct store *st, void *user)
{
    (void)user;
    return votes_fold(txn, st);
}

int votes_fold_store(struct store *st)
{
    return store_write_once(st, fold_in, NULL) ? CC_EINTERNAL : 0;
}

void votes_stats(const struct store *st, struct votes_stats *out)
{
    struct vlog *vl = vlog_of(st);
    out->standing = atomic_load(&vl->total);
    out->unfolded = atomic_load(&vl->unfolded);
    out->folds = atomic_load(&vl->folds);
    out->folded = atomic_load(&vl->folded);
    out->rebuilds = atomic_load(&vl->rebuilds);
}

/* ---- the loop thread's view ---- */

struct votes_seen {
    struct vmap map;
    size_t sweep_at; /* forget what is folded when map holds this many */
};

#define SEEN_SWEEP_MIN 4096

struct votes_seen *votes_seen_new(void)
{
    struct votes_seen *vs = xcalloc(1, sizeof *vs);
    vs->sweep_at = SEEN_SWEEP_MIN;
    return vs;
}

void votes_seen_free(struct votes_seen *vs)
{
    if (!vs)
        return;
    vmap_free(&vs->map);
    free(vs);
}

/* Keeps the entries no fold has covered as of a read transaction begun now. */
static void seen_sweep(struct votes_seen *vs, struct store *st)
{
    MDB_txn *txn;
    uint64_t folded = 0;
    if (store_read_begin(st, &txn))
        return;
    int rc = folded_seq(txn, st, &folded);
    store_read_end(st, txn);
    if (rc)
        return;
    struct vmap old = vs->map;
    vs->map = (struct vmap){0};
    for (size_t i = 0; i < old.cap; i++)
        if (old.e[i].design && old.e[i].seq > folded)
            *vmap_put(&vs->map, old.e[i].design, old.e[i].account) = old.e[i];
    free(old.e);
    vs->sweep_at = vs->map.n * 2 > SEEN_SWEEP_MIN ? vs->map.n * 2 : SEEN_SWEEP_MIN;
}

void votes_seen_note(struct votes_seen *vs, struct store *st, uint64_t design,
                     uint64_t account, int value, uint64_t seq)
{
    struct ventry *e = vmap_put(&vs->map, design, account);
    if (seq > e->seq) { /* post-commit steps run in commit order: always */
        e->seq = seq;
        e->value = value;
    }
    if (vs->map.n >= vs->sweep_at)
        seen_sweep(vs, st);
}

int votes_lookup(const struct votes_seen *vs, MDB_txn *txn, const struct store *st,
                 uint64_t design, uint64_t account, int *value)
{
    const struct ventry *e = vs ? vmap_find(&vs->map, design, account) : NULL;
    if (e) {
        /* Newer than the snapshot's folded table unless a fold in it covered the
         * entry (then the table holds it, or a later vote whose step has yet to run). */
        uint64_t folded;
        int rc = folded_seq(txn, st, &folded);
        if (rc)
            return rc;
        if (e->seq > folded) {
            *value = e->value;
            return 0;
        }
    }
    return table_get(txn, st, design, account, value);
}

size_t votes_seen_count(const struct votes_seen *vs)
{
    return vs ? vs->map.n : 0;
}

/* ---- any snapshot ---- */

struct of_account {
    struct vmap map; /* the log's last entry for each design account voted on */
    uint64_t account;
};

static void account_entry(void *user, uint64_t seq, uint64_t design, uint64_t account,
                          int value)
{
    struct of_account *a = user;
    if (account == a->account)
        put_entry(&a->map, seq, design, account, value);
}

int votes_of_account(MDB_txn *txn, const struct store *st, uint64_t account,
                     votes_each_fn fn, void *user)
{
    struct of_account a = {.account = account};
    int rc = log_each(txn, st, account_entry, &a);
    MDB_cursor *cur = NULL;
    if (!rc && (rc = mdb_cursor_open(txn, store_dbs(st)->votes, &cur)))
        rc = store_err(rc);
    /* The folded votes, each replaced by the log's last entry for it when there is
     * one; then the log's votes on designs the table has none of. */
    size_t n = 0, cap = 64;
    struct ventry *out = xmalloc(cap * sizeof *out);
    MDB_val k, v;
    int mrc = rc ? MDB_NOTFOUND : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    for (; !mrc; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 16 || v.mv_size != 1 || get_be64((const uint8_t *)k.mv_data + 8) != account)
            continue;
        uint64_t design = get_be64(k.mv_data);
        struct ventry *e = vmap_find(&a.map, design, account);
        int value = e ? e->value : (int8_t)((const uint8_t *)v.mv_data)[0];
        if (e)
            e->seq = 0; /* taken */
        if (!value)
            continue;
        if (n == cap)
            out = xrealloc(out, (cap *= 2) * sizeof *out);
        out[n++] = (struct ventry){.design = design, .value = value};
    }
    if (cur)
        mdb_cursor_close(cur);
    if (!rc && mrc != MDB_NOTFOUND)
        rc = store_err(mrc);
    for (size_t i = 0; !rc && i < a.map.cap; i++) {
        const struct ventry *e = &a.map.e[i];
        if (!e->design || !e->seq || !e->value)
            continue;
        if (n == cap)
            out = xrealloc(out, (cap *= 2) * sizeof *out);
        out[n++] = (struct ventry){.design = e->design, .value = e->value};
    }
    vmap_free(&a.map);
    struct ventry **order = xmalloc((n ? n : 1) * sizeof *order);
    for (size_t i = 0; i < n; i++)
        order[i] = &out[i];
    qsort(order, n, sizeof *order, cmp_entry);
    for (size_t i = 0; !rc && i < n; i++)
        rc = fn(user, order[i]->design, order[i]->value);
    free(order);
    free(out);
    return rc;
}
