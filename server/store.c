/* LMDB environment, schema check, map growth. See store.h.
 * Thread use: store_read_* from any thread; store_write_* / store_grow only from the
 * writer thread. `resize` is held shared by every transaction and exclusively while the
 * map size changes, because mdb_env_set_mapsize needs no transaction open in the process. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <jansson.h>
#include <uv.h>

#include "ccerr.h"
#include "log.h"
#include "util.h"

struct store {
    MDB_env *env;
    struct store_dbs dbs;
    uv_rwlock_t resize;
    size_t map_size;
    uint64_t schema; /* as found when opened */
    uint8_t secret[32];
    int has_secret;
    /* journal mode (store_set_journaled): the checkpoint's pinned snapshot */
    char dir[4096];
    uv_mutex_t cp_mu; /* checkpoint file and pin */
    MDB_txn *pin;     /* a read txn on the last checkpoint: LMDB reuses none of its pages */
    uint64_t cp_txnid;
    _Atomic(struct store_follower *) follower; /* store_follow */
    /* The opening thread's (the loop's) read txn between its reads, reset: renewed by
     * the next store_read_begin there (no allocation, no reader-table lock: a page's
     * read costs ~0.3 us less). Touched by that thread only. */
    uv_thread_t owner;
    MDB_txn *idle;
};

int store_err(int rc)
{
    switch (rc) {
    case 0:
        return 0;
    case MDB_KEYEXIST:
        return CC_ECONFLICT;
    case MDB_NOTFOUND:
        return CC_ENOTFOUND;
    case MDB_MAP_FULL:
        return STORE_EMAPFULL;
    default:
        log_error("lmdb: %s", mdb_strerror(rc));
        return CC_EINTERNAL;
    }
}

static int put_schema(MDB_txn *txn, MDB_dbi meta, uint64_t version)
{
    uint8_t buf[8];
    put_be64(buf, version);
    MDB_val k = {6, "schema"}, v = {8, buf};
    return mdb_put(txn, meta, &k, &v, 0);
}

/* Reads the schema record into *found, writing it on a fresh environment. */
static int check_schema(MDB_txn *txn, MDB_dbi meta, uint64_t *found, char *err, size_t errlen)
{
    MDB_val k = {6, "schema"}, v;
    int rc = mdb_get(txn, meta, &k, &v);
    if (rc == MDB_NOTFOUND) {
        *found = STORE_SCHEMA_VERSION;
        return put_schema(txn, meta, STORE_SCHEMA_VERSION);
    }
    if (rc)
        return rc;
    if (v.mv_size != 8) {
        snprintf(err, errlen, "the schema record is corrupt (%zu bytes)", v.mv_size);
        return -1;
    }
    uint64_t have = get_be64(v.mv_data);
    *found = have;
    if (have > STORE_SCHEMA_VERSION) {
        snprintf(err, errlen,
                 "the data was written by a newer cocreated (schema %llu; this build reads "
                 "up to %d): upgrade cocreated, or use another --data directory",
                 (unsigned long long)have, STORE_SCHEMA_VERSION);
        return -1;
    }
    return 0;
}

/* LMDB maps data.mdb and trusts its meta page: a file cut shorter than the pages its
 * last commit uses (a copy cut short, a full disk, a hand) would kill the process with
 * SIGBUS at the first read past its end. Returns 0, or -1 with the reason in err. */
static int check_file_size(MDB_env *env, const char *dir, char *err, size_t errlen)
{
    MDB_envinfo info;
    MDB_stat st;
    struct stat fs;
    char path[4200];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    if (mdb_env_info(env, &info) || mdb_env_stat(env, &st) || stat(path, &fs))
        return 0; /* nothing to compare: LMDB's own errors come later */
    uint64_t need = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
    if ((uint64_t)fs.st_size >= need)
        return 0;
    snprintf(err, errlen,
             "%s is damaged: it is %lld bytes long, but its last commit uses %llu bytes (cut "
             "short?); restore the data directory from a backup (docs/operations.md)",
             path, (long long)fs.st_size, (unsigned long long)need);
    return -1;
}

int store_open(struct store **out, const char *dir, size_t map_size, char *err, size_t errlen)
{
    struct store *s = xcalloc(1, sizeof *s);
    MDB_txn *txn = NULL;
    int rc;
    err[0] = '\0';
    if (mkdir(dir, 0750) && errno != EEXIST) {
        snprintf(err, errlen, "cannot create data directory %s: %s", dir, strerror(errno));
        goto fail_free;
    }
    uv_rwlock_init(&s->resize);
    uv_mutex_init(&s->cp_mu);
    s->owner = uv_thread_self();
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    if ((rc = mdb_env_create(&s->env)))
        goto fail_mdb;
    mdb_env_set_maxdbs(s->env, 32);
    mdb_env_set_maxreaders(s->env, 256);
    if ((rc = mdb_env_set_mapsize(s->env, map_size ? map_size : STORE_DEFAULT_MAP_SIZE)))
        goto fail_mdb;
    /* MDB_NOTLS: read txns are tied to the txn, not the thread (loop + pool threads). */
    if ((rc = mdb_env_open(s->env, dir, MDB_NOTLS, 0640)))
        goto fail_mdb;
    if (check_file_size(s->env, dir, err, errlen)) {
        rc = MDB_CORRUPTED;
        goto fail_mdb;
    }
    if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)))
        goto fail_mdb;
    const struct {
        const char *name;
        MDB_dbi *dbi;
    } dbs[] = {
        {"meta", &s->dbs.meta},       {"accounts", &s->dbs.accounts},
        {"names", &s->dbs.names},     {"tokens", &s->dbs.tokens},
        {"designs", &s->dbs.designs}, {"blobs", &s->dbs.blobs},
        {"thumbs", &s->dbs.thumbs},   {"renders", &s->dbs.renders},
        {"dicts", &s->dbs.dicts},     {"timeline", &s->dbs.timeline},
        {"votes", &s->dbs.votes},     {"vote_log", &s->dbs.vote_log},
        {"tallies", &s->dbs.tallies},
        {"contests", &s->dbs.contests},
        {"supports", &s->dbs.supports}, {"reports", &s->dbs.reports},
        {"audit", &s->dbs.audit},     {"audit_heads", &s->dbs.audit_heads},
        {"comments", &s->dbs.comments}, {"comment_counts", &s->dbs.comment_counts},
        {"blob_refs", &s->dbs.blob_refs}, {"sessions", &s->dbs.sessions},
        {"passwords", &s->dbs.passwords}, {"by_creator", &s->dbs.by_creator},
        {"comment_ids", &s->dbs.comment_ids}, {"moderation", &s->dbs.moderation},
        {"notices", &s->dbs.notices},     {"lookalikes", &s->dbs.lookalikes},
        {"stage_due", &s->dbs.stage_due},
    };
    for (size_t i = 0; i < CC_ARRAY_LEN(dbs); i++)
        if ((rc = mdb_dbi_open(txn, dbs[i].name, MDB_CREATE, dbs[i].dbi)))
            goto fail_mdb;
    if ((rc = check_schema(txn, s->dbs.meta, &s->schema, err, errlen)))
        goto fail_mdb;
    if ((rc = mdb_txn_commit(txn))) {
        txn = NULL;
        goto fail_mdb;
    }
    MDB_envinfo info;
    mdb_env_info(s->env, &info);
    s->map_size = info.me_mapsize;
    *out = s;
    return 0;

fail_mdb:
    if (!err[0])
        snprintf(err, errlen, "cannot open LMDB environment in %s: %s", dir, mdb_strerror(rc));
    if (txn)
        mdb_txn_abort(txn);
    if (s->env)
        mdb_env_close(s->env);
    uv_rwlock_destroy(&s->resize);
    uv_mutex_destroy(&s->cp_mu);
fail_free:
    free(s);
    return CC_EINTERNAL;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    OPENSSL_cleanse(s->secret, sizeof s->secret);
    if (s->pin)
        mdb_txn_abort(s->pin);
    if (s->idle)
        mdb_txn_abort(s->idle);
    mdb_env_close(s->env);
    uv_rwlock_destroy(&s->resize);
    uv_mutex_destroy(&s->cp_mu);
    struct store_follower *f = atomic_load(&s->follower);
    if (f)
        f->free(f);
    free(s);
}

MDB_env *store_env(struct store *s)
{
    return s->env;
}

void store_set_secret(struct store *s, const uint8_t key[32])
{
    memcpy(s->secret, key, 32);
    s->has_secret = 1;
}

const uint8_t *store_secret(const struct store *s)
{
    return s->has_secret ? s->secret : NULL;
}

static void adopt_map_size(struct store *s);
static int unpin(struct store *s);
static void repin(struct store *s, int pinned);

int store_backup(struct store *s, const char *out, char *err, size_t errlen)
{
    if (mkdir(out, 0750) && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", out, strerror(errno));
        return -1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/data.mdb", out);
    struct stat sb;
    if (stat(path, &sb) == 0) {
        snprintf(err, errlen, "%s already holds a data.mdb: back up into a new directory", out);
        return -1;
    }
    int rc;
    for (int tries = 0;; tries++) {
        uv_rwlock_rdlock(&s->resize);
        rc = mdb_env_copy2(s->env, out, MDB_CP_COMPACT);
        uv_rwlock_rdunlock(&s->resize);
        if (rc != MDB_MAP_RESIZED || tries == 8)
            break;
        /* The server grew the map while we began: adopt its size and copy again. */
        unlink(path);
        adopt_map_size(s);
    }
    if (rc) {
        unlink(path);
        snprintf(err, errlen, "cannot copy the data into %s: %s", out, mdb_strerror(rc));
        return -1;
    }
    /* LMDB closes the copy without syncing it: a backup must be on disk when we say so
     * (the directory entry is synced with the secret, after this). */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fdatasync(fd)) {
        snprintf(err, errlen, "cannot sync %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

uint64_t store_schema(const struct store *s)
{
    return s->schema;
}

int store_set_schema(MDB_txn *txn, struct store *s, uint64_t v)
{
    int rc = store_err(put_schema(txn, s->dbs.meta, v));
    if (!rc)
        s->schema = v;
    return rc;
}

const struct store_dbs *store_dbs(const struct store *s)
{
    return &s->dbs;
}

size_t store_map_size(struct store *s)
{
    return s->map_size;
}

/* Adopts a map size grown by another process. Called with no lock held. */
static void adopt_map_size(struct store *s)
{
    uv_rwlock_wrlock(&s->resize);
    int pinned = unpin(s);
    mdb_env_set_mapsize(s->env, 0);
    repin(s, pinned);
    MDB_envinfo info;
    mdb_env_info(s->env, &info);
    s->map_size = info.me_mapsize;
    uv_rwlock_wrunlock(&s->resize);
}

/* Whether the calling thread opened s (its idle read txn is this thread's). */
static int on_owner(const struct store *s)
{
    uv_thread_t self = uv_thread_self();
    return uv_thread_equal(&self, &s->owner);
}

int store_read_begin(struct store *s, MDB_txn **txn)
{
    uv_rwlock_rdlock(&s->resize);
    if (on_owner(s) && s->idle) { /* (the owner's test first: idle is its alone) */
        *txn = s->idle;
        s->idle = NULL;
        if (!mdb_txn_renew(*txn))
            return 0;
        mdb_txn_abort(*txn); /* (MDB_MAP_RESIZED: another process grew the map) */
    }
    int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
    if (rc == MDB_MAP_RESIZED) {
        /* Another process (cocreated --make-brand) grew the map: adopt its size. */
        uv_rwlock_rdunlock(&s->resize);
        adopt_map_size(s);
        uv_rwlock_rdlock(&s->resize);
        rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
    }
    if (rc) {
        uv_rwlock_rdunlock(&s->resize);
        *txn = NULL;
        return store_err(rc);
    }
    return 0;
}

void store_read_end(struct store *s, MDB_txn *txn)
{
    if (!txn)
        return;
    if (on_owner(s) && !s->idle) {
        mdb_txn_reset(txn); /* its snapshot let go: it holds back no page */
        s->idle = txn;
    } else {
        mdb_txn_abort(txn);
    }
    uv_rwlock_rdunlock(&s->resize);
}

int store_write_begin(struct store *s, MDB_txn **txn)
{
    uv_rwlock_rdlock(&s->resize);
    int rc = mdb_txn_begin(s->env, NULL, 0, txn);
    if (rc == MDB_MAP_RESIZED) {
        uv_rwlock_rdunlock(&s->resize);
        adopt_map_size(s);
        uv_rwlock_rdlock(&s->resize);
        rc = mdb_txn_begin(s->env, NULL, 0, txn);
    }
    if (rc) {
        uv_rwlock_rdunlock(&s->resize);
        *txn = NULL;
        return store_err(rc);
    }
    struct store_follower *f = store_follower(s);
    if (f)
        f->begin(f);
    return 0;
}

int store_write_commit(struct store *s, MDB_txn *txn)
{
    struct store_follower *f = store_follower(s);
    uint64_t id = (uint64_t)mdb_txn_id(txn);
    if (f)
        f->committing(f, txn);
    int rc = mdb_txn_commit(txn);
    if (f && rc)
        f->aborted(f, id);
    else if (f)
        f->committed(f, id);
    uv_rwlock_rdunlock(&s->resize);
    return store_err(rc);
}

void store_write_abort(struct store *s, MDB_txn *txn)
{
    struct store_follower *f = store_follower(s);
    if (f)
        f->aborted(f, (uint64_t)mdb_txn_id(txn));
    mdb_txn_abort(txn);
    uv_rwlock_rdunlock(&s->resize);
}

int store_child_begin(struct store *s, MDB_txn *parent, MDB_txn **child, uint64_t *mark)
{
    struct store_follower *f = store_follower(s);
    *mark = f ? f->mark(f) : 0;
    return store_err(mdb_txn_begin(s->env, parent, 0, child));
}

int store_child_end(struct store *s, MDB_txn *child, int status, uint64_t mark)
{
    if (status == 0) {
        status = store_err(mdb_txn_commit(child)); /* a failed commit ends it too */
        if (status == 0)
            return 0;
    } else {
        mdb_txn_abort(child);
    }
    struct store_follower *f = store_follower(s);
    if (f)
        f->child_aborted(f, mark);
    return status;
}

struct store_follower *store_follower(const struct store *s)
{
    return atomic_load(&((struct store *)s)->follower);
}

struct store_follower *store_follow(const struct store *s, struct store_follower *f)
{
    struct store_follower *none = NULL;
    if (atomic_compare_exchange_strong(&((struct store *)s)->follower, &none, f))
        return f;
    f->free(f);
    return none;
}

int store_write_once(struct store *s, store_write_fn fn, void *user)
{
    for (;;) {
        MDB_txn *txn;
        int rc = store_write_begin(s, &txn);
        if (rc)
            return rc;
        rc = fn(txn, s, user);
        if (rc)
            store_write_abort(s, txn);
        else
            rc = store_write_commit(s, txn);
        if (rc != STORE_EMAPFULL)
            return rc;
        if (store_grow(s))
            return CC_EINTERNAL;
    }
}

int store_grow(struct store *s)
{
    uv_rwlock_wrlock(&s->resize);
    int pinned = unpin(s);
    size_t size = s->map_size * 2;
    int rc = mdb_env_set_mapsize(s->env, size);
    if (!rc)
        s->map_size = size;
    repin(s, pinned);
    uv_rwlock_wrunlock(&s->resize);
    if (rc) {
        log_error("lmdb: cannot grow the map to %zu bytes: %s", size, mdb_strerror(rc));
        return CC_EINTERNAL;
    }
    log_info("lmdb: map grown to %zu KiB", size >> 10);
    return 0;
}

int store_put(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen, const void *v,
              size_t vlen, unsigned flags)
{
    MDB_val key = {klen, (void *)k}, val = {vlen, (void *)v};
    return store_err(mdb_put(txn, dbi, &key, &val, flags));
}

int store_each_under(MDB_txn *txn, MDB_dbi dbi, uint64_t id, store_each_fn fn, void *user)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc)
        return store_err(rc);
    uint8_t seek[16];
    put_be64(seek, id);
    memset(seek + 8, 0, 8);
    MDB_val k = {16, seek}, v;
    int stop = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         !rc && !stop && k.mv_size == 16 && get_be64(k.mv_data) == id;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        stop = fn(user, get_be64((const uint8_t *)k.mv_data + 8), &v);
    mdb_cursor_close(cur);
    if (stop)
        return stop == 1 ? 0 : stop;
    return rc && rc != MDB_NOTFOUND ? store_err(rc) : 0;
}

json_t *store_list_back(MDB_txn *txn, MDB_dbi dbi, const void *seek, size_t klen,
                        store_key_fn in_range, void *user, size_t limit, int *more)
{
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, dbi, &cur))
        return NULL;
    MDB_val k = {klen, (void *)seek}, v;
    int rc = seek ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) : MDB_NOTFOUND;
    rc = mdb_cursor_get(cur, &k, &v, rc == MDB_NOTFOUND ? MDB_LAST : MDB_PREV);
    json_t *list = json_array();
    *more = 0;
    for (; !rc && (!in_range || in_range(user, &k)); rc = mdb_cursor_get(cur, &k, &v, MDB_PREV)) {
        if (json_array_size(list) == limit) {
            *more = 1;
            break;
        }
        json_t *o = json_loadb(v.mv_data, v.mv_size, 0, NULL);
        if (o)
            json_array_append_new(list, o);
    }
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND) {
        json_decref(list);
        return NULL;
    }
    return list;
}

int store_put_record(MDB_txn *txn, MDB_dbi dbi, uint64_t id, const json_t *rec)
{
    uint8_t key[8];
    put_be64(key, id);
    char *text = json_dumps(rec, JSON_COMPACT);
    if (!text)
        return CC_EINTERNAL;
    int rc = store_put(txn, dbi, key, 8, text, strlen(text), 0);
    free(text);
    return rc;
}

int store_get(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen, MDB_val *v)
{
    MDB_val key = {klen, (void *)k};
    return store_err(mdb_get(txn, dbi, &key, v));
}

int store_del(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen)
{
    MDB_val key = {klen, (void *)k};
    return store_err(mdb_del(txn, dbi, &key, NULL));
}

int store_next_id(MDB_txn *txn, const struct store *s, const char *name, uint64_t *out)
{
    char key[64];
    int klen = snprintf(key, sizeof key, "seq.%s", name);
    MDB_val v;
    uint64_t next = 1;
    int rc = store_get(txn, s->dbs.meta, key, (size_t)klen, &v);
    if (rc == 0 && v.mv_size == 8)
        next = get_be64(v.mv_data) + 1;
    else if (rc && rc != CC_ENOTFOUND)
        return rc;
    uint8_t buf[8];
    put_be64(buf, next);
    if ((rc = store_put(txn, s->dbs.meta, key, (size_t)klen, buf, 8, 0)))
        return rc;
    *out = next;
    return 0;
}

/* ---- journal mode: checkpoints (see store.h and journal.h) ----
 *
 * With MDB_NOSYNC, LMDB's commits reach the disk whenever the kernel writes them back,
 * its meta page possibly before the pages it points to: after a power cut the newest
 * meta may describe a tree that is not on disk. A checkpoint makes every commit so far
 * durable (mdb_env_sync), saves the two meta pages as they are then in DATA/checkpoint,
 * and holds a read transaction on that snapshot until the next checkpoint, so that no
 * later commit reuses (overwrites) a page of it: the saved metas and the pages they
 * reach stay intact on disk. After a crash, store_restore_checkpoint writes the saved
 * metas back — the database is the checkpoint's, exactly — and the journal's records
 * after it are applied again (changes_recover). */

#define CP_MAGIC "CCCKPT1"
#define CP_HEAD 80 /* magic[8], be64 page size, be64 txnid, be64 dev, be64 inode (as
                      written: not checked, a copied directory keeps its checkpoint),
                      boot[40] */
#define CP_BOOT 40

/* The id of this boot of the machine (Linux: a random UUID made at each boot); the
 * environment variable COCREATE_TEST_BOOT_ID stands in for it in the power-cut tests,
 * which rebuild a data directory as a crash of the machine leaves it without one. */
static void boot_id(char out[CP_BOOT])
{
    memset(out, 0, CP_BOOT);
    const char *t = getenv("COCREATE_TEST_BOOT_ID");
    if (t) {
        snprintf(out, CP_BOOT, "%s", t);
        return;
    }
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    if (f) {
        if (!fgets(out, CP_BOOT, f))
            out[0] = '\0';
        fclose(f);
    }
    out[strcspn(out, "\n")] = '\0';
}

static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* The txnid of the checkpoint file in dir, 0 if none or unreadable. */
static uint64_t cp_file_txnid(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/checkpoint", dir);
    uint8_t h[CP_HEAD];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = pread(fd, h, sizeof h, 0);
    close(fd);
    return n == CP_HEAD && !memcmp(h, CP_MAGIC, 8) ? get_be64(h + 16) : 0;
}

/* Called with cp_mu held and no write txn running in this process. */
static int checkpoint_locked(struct store *s, int pin)
{
    int rc = mdb_env_sync(s->env, 1);
    if (rc) {
        log_error("lmdb: checkpoint: cannot sync: %s", mdb_strerror(rc));
        return CC_EINTERNAL;
    }
    MDB_txn *snap;
    if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &snap))) {
        log_error("lmdb: checkpoint: %s", mdb_strerror(rc));
        return CC_EINTERNAL;
    }
    uint64_t txnid = (uint64_t)mdb_txn_id(snap);
    MDB_stat ms;
    mdb_env_stat(s->env, &ms);
    size_t psize = ms.ms_psize;
    int fd;
    mdb_filehandle_t mfd;
    struct stat sb;
    uint8_t *buf = xmalloc(CP_HEAD + 2 * psize + 32);
    int ok = mdb_env_get_fd(s->env, &mfd) == 0 && (fd = mfd, fstat(fd, &sb) == 0) &&
             pread(fd, buf + CP_HEAD, 2 * psize, 0) == (ssize_t)(2 * psize);
    /* The server and an offline command beside it (--make-brand, --apply-records) may
     * checkpoint at once: the check "newer than the file's" and the rename happen under
     * a lock on the data directory, each process with its own temporary file. */
    int dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0 || flock(dirfd, LOCK_EX))
        ok = 0;
    if (ok && txnid > cp_file_txnid(s->dir)) {
        memcpy(buf, CP_MAGIC, 8);
        put_be64(buf + 8, psize);
        put_be64(buf + 16, txnid);
        put_be64(buf + 24, (uint64_t)sb.st_dev);
        put_be64(buf + 32, (uint64_t)sb.st_ino);
        boot_id((char *)buf + 40);
        sha256(buf, CP_HEAD + 2 * psize, buf + CP_HEAD + 2 * psize);
        char tmp[4200], path[4200];
        snprintf(tmp, sizeof tmp, "%s/checkpoint.tmp.%ld", s->dir, (long)getpid());
        snprintf(path, sizeof path, "%s/checkpoint", s->dir);
        int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
        size_t len = CP_HEAD + 2 * psize + 32;
        ok = out >= 0 && write(out, buf, len) == (ssize_t)len && fsync(out) == 0;
        if (out >= 0)
            close(out);
        ok = ok && rename(tmp, path) == 0 && sync_dir(s->dir) == 0;
        if (!ok)
            log_error("checkpoint: cannot write %s: %s", path, strerror(errno));
    } else if (!ok) {
        log_error("checkpoint: cannot read the meta pages: %s", strerror(errno));
    }
    if (dirfd >= 0)
        close(dirfd); /* and the lock with it */
    free(buf);
    if (!ok) {
        mdb_txn_abort(snap);
        return CC_EINTERNAL;
    }
    if (s->pin)
        mdb_txn_abort(s->pin);
    s->pin = NULL;
    if (pin)
        s->pin = snap;
    else
        mdb_txn_abort(snap);
    s->cp_txnid = txnid;
    return 0;
}

int store_checkpoint_exists(const char *dir)
{
    char path[4200];
    struct stat sb;
    snprintf(path, sizeof path, "%s/checkpoint", dir);
    return stat(path, &sb) == 0;
}

int store_checkpoint(struct store *s, int pin)
{
    uv_mutex_lock(&s->cp_mu);
    int rc = checkpoint_locked(s, pin);
    uv_mutex_unlock(&s->cp_mu);
    return rc;
}

/* Under the resize lock: the map size can change only with no transaction open in the
 * process, the pin included. No commit can happen until repin (the lock is held), so
 * the checkpoint's pages stay untouched while unpinned; repin makes a new checkpoint
 * (and pin) of the same, unchanged, snapshot. */
static int unpin(struct store *s)
{
    uv_mutex_lock(&s->cp_mu);
    int pinned = s->pin != NULL;
    if (pinned) {
        mdb_txn_abort(s->pin);
        s->pin = NULL;
    }
    return pinned;
}

static void repin(struct store *s, int pinned)
{
    if (pinned && checkpoint_locked(s, 1))
        log_error("lmdb: no checkpoint after the map was resized: a power cut before the "
                  "next one loses the writes since the last");
    uv_mutex_unlock(&s->cp_mu);
}

int store_set_journaled(struct store *s, int on)
{
    int rc = 0;
    if (!on) {
        /* Durable as it is, then every commit syncs again: those commits may reuse the
         * checkpoint's pages (nothing pins them now), so it must never be restored. */
        char path[4200];
        snprintf(path, sizeof path, "%s/checkpoint", s->dir);
        uv_mutex_lock(&s->cp_mu);
        rc = checkpoint_locked(s, 0);
        if (!rc && ((unlink(path) && errno != ENOENT) || sync_dir(s->dir))) {
            log_error("cannot remove %s: %s", path, strerror(errno));
            rc = CC_EINTERNAL;
        }
        uv_mutex_unlock(&s->cp_mu);
    }
    if (!rc && (rc = mdb_env_set_flags(s->env, MDB_NOSYNC, on ? 1 : 0))) {
        log_error("lmdb: %s", mdb_strerror(rc));
        return CC_EINTERNAL;
    }
    return rc ? CC_EINTERNAL : on ? store_checkpoint(s, 1) : 0;
}

int store_restore_checkpoint(const char *dir, int *restored, char *err, size_t errlen)
{
    *restored = 0;
    char path[4200], data[4200];
    snprintf(path, sizeof path, "%s/checkpoint", dir);
    snprintf(data, sizeof data, "%s/data.mdb", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat cs;
    uint8_t *buf = NULL;
    int rc = -1;
    if (fstat(fd, &cs) || cs.st_size < CP_HEAD + 32 || cs.st_size > CP_HEAD + 2 * 65536 + 32) {
        snprintf(err, errlen, "%s is damaged (its size is wrong): move it away to start from "
                 "the data file as it is", path);
        goto out;
    }
    size_t len = (size_t)cs.st_size;
    buf = xmalloc(len);
    uint8_t sum[32];
    if (pread(fd, buf, len, 0) != (ssize_t)len || memcmp(buf, CP_MAGIC, 8) ||
        (sha256(buf, len - 32, sum), memcmp(sum, buf + len - 32, 32)) ||
        get_be64(buf + 8) * 2 + CP_HEAD + 32 != len) {
        snprintf(err, errlen, "%s is damaged (its checksum does not match): move it away "
                 "to start from the data file as it is", path);
        goto out;
    }
    size_t psize = (size_t)get_be64(buf + 8);
    struct stat ds;
    int dfd = open(data, O_RDWR | O_CLOEXEC);
    if (dfd < 0 || fstat(dfd, &ds)) {
        snprintf(err, errlen, "%s: %s (it has a checkpoint: restore the data file, or move "
                 "the checkpoint away)", data, strerror(errno));
        if (dfd >= 0)
            close(dfd);
        goto out;
    }
    if ((uint64_t)ds.st_size < 2 * (uint64_t)psize) {
        /* LMDB would take it for a new, empty database: every account and design gone
         * without a word. A checkpoint is made only once the file holds its commits. */
        snprintf(err, errlen, "%s is damaged: it is %lld bytes long, but the checkpoint says "
                 "it held data; restore the data directory from a backup (docs/operations.md), "
                 "or move the checkpoint away to start with an empty database",
                 data, (long long)ds.st_size);
        close(dfd);
        goto out;
    }
    char boot[CP_BOOT];
    boot_id(boot);
    if (boot[0] && !memcmp(boot, buf + 40, CP_BOOT)) {
        /* The machine has not restarted since the checkpoint (a process was killed):
         * every commit after it is in the page cache, whole; the file is consistent as
         * it is, once durable. */
        if (fdatasync(dfd)) {
            snprintf(err, errlen, "cannot sync %s: %s", data, strerror(errno));
            close(dfd);
            goto out;
        }
    } else {
        uint8_t *live = xmalloc(2 * psize);
        ssize_t n = pread(dfd, live, 2 * psize, 0);
        int same = n == (ssize_t)(2 * psize) && !memcmp(live, buf + CP_HEAD, 2 * psize);
        free(live);
        if (!same && (pwrite(dfd, buf + CP_HEAD, 2 * psize, 0) != (ssize_t)(2 * psize) ||
                      fdatasync(dfd))) {
            snprintf(err, errlen, "cannot restore the checkpoint's meta pages in %s: %s",
                     data, strerror(errno));
            close(dfd);
            goto out;
        }
        *restored = !same;
    }
    close(dfd);
    /* The file is durable and consistent now, and its next commits sync until journal
     * mode makes a new checkpoint: this one, whose pages those commits may reuse, must
     * not be restored again. */
    if (unlink(path) || sync_dir(dir)) {
        snprintf(err, errlen, "cannot remove %s: %s", path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    free(buf);
    close(fd);
    return rc;
}
