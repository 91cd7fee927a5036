/* LMDB environment, schema check, map growth. See store.h.
 * Thread use: store_read_* from any thread; store_write_* / store_grow only from the
 * writer thread. `resize` is held shared by every transaction and exclusively while the
 * map size changes, because mdb_env_set_mapsize needs no transaction open in the process. */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>
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
    if ((rc = mdb_env_create(&s->env)))
        goto fail_mdb;
    mdb_env_set_maxdbs(s->env, 32);
    mdb_env_set_maxreaders(s->env, 256);
    if ((rc = mdb_env_set_mapsize(s->env, map_size ? map_size : STORE_DEFAULT_MAP_SIZE)))
        goto fail_mdb;
    /* MDB_NOTLS: read txns are tied to the txn, not the thread (loop + pool threads). */
    if ((rc = mdb_env_open(s->env, dir, MDB_NOTLS, 0640)))
        goto fail_mdb;
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
        {"votes", &s->dbs.votes},     {"contests", &s->dbs.contests},
        {"supports", &s->dbs.supports}, {"reports", &s->dbs.reports},
        {"audit", &s->dbs.audit},     {"audit_heads", &s->dbs.audit_heads},
        {"comments", &s->dbs.comments}, {"comment_counts", &s->dbs.comment_counts},
        {"blob_refs", &s->dbs.blob_refs},
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
fail_free:
    free(s);
    return CC_EINTERNAL;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    OPENSSL_cleanse(s->secret, sizeof s->secret);
    mdb_env_close(s->env);
    uv_rwlock_destroy(&s->resize);
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
    mdb_env_set_mapsize(s->env, 0);
    MDB_envinfo info;
    mdb_env_info(s->env, &info);
    s->map_size = info.me_mapsize;
    uv_rwlock_wrunlock(&s->resize);
}

int store_read_begin(struct store *s, MDB_txn **txn)
{
    uv_rwlock_rdlock(&s->resize);
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
    mdb_txn_abort(txn);
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
    return 0;
}

int store_write_commit(struct store *s, MDB_txn *txn)
{
    int rc = mdb_txn_commit(txn);
    uv_rwlock_rdunlock(&s->resize);
    return store_err(rc);
}

void store_write_abort(struct store *s, MDB_txn *txn)
{
    mdb_txn_abort(txn);
    uv_rwlock_rdunlock(&s->resize);
}

int store_grow(struct store *s)
{
    uv_rwlock_wrlock(&s->resize);
    size_t size = s->map_size * 2;
    int rc = mdb_env_set_mapsize(s->env, size);
    if (!rc)
        s->map_size = size;
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
