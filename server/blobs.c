/* Stored blobs and zstd dictionaries. See blobs.h.
 * Thread use: the registry list is guarded by its mutex; a published dictionary is
 * immutable and lives until blobs_close, so any thread may use one it was handed.
 * Training: the thread pool reads samples in its own read transaction and trains; the
 * writer stores the dictionary; the loop publishes it after the commit. */
#include "blobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "ccerr.h"
#include "codec.h"
#include "designs.h"
#include "log.h"
#include "server.h"
#include "writer.h"
#include "util.h"

struct blobs_dict {
    char kind[16];
    struct codec_dict *dict;
    struct blobs_dict *next;
};

struct blobs_registry {
    uv_mutex_t mu;
    struct blobs_dict *dicts; /* newest first */
    int training;             /* loop thread only: a training job is under way */
};

static struct blobs_dict *dict_new(const char *kind, const void *buf, size_t len)
{
    struct blobs_dict *d = xcalloc(1, sizeof *d);
    snprintf(d->kind, sizeof d->kind, "%s", kind);
    if (codec_dict_new(buf, len, &d->dict)) {
        free(d);
        return NULL;
    }
    return d;
}

static void registry_add(struct blobs_registry *reg, struct blobs_dict *d)
{
    uv_mutex_lock(&reg->mu);
    d->next = reg->dicts;
    reg->dicts = d;
    uv_mutex_unlock(&reg->mu);
}

/* dicts db: key = be32 dictionary id (zstd's), value = kind name, NUL, dictionary. */
int blobs_open(struct server *srv)
{
    struct blobs_registry *reg = xcalloc(1, sizeof *reg);
    uv_mutex_init(&reg->mu);
    srv->blobs = reg;
    MDB_txn *txn;
    MDB_cursor *cur;
    int rc = store_read_begin(srv->store, &txn);
    if (rc)
        return rc;
    if ((rc = mdb_cursor_open(txn, store_dbs(srv->store)->dicts, &cur))) {
        store_read_end(srv->store, txn);
        return store_err(rc);
    }
    /* Every dictionary ever trained stays loaded (old blobs name theirs by id); the
     * current one of each kind, named by meta "dict.<kind>", is moved to the front. */
    MDB_val k, v;
    for (int op = MDB_FIRST; !(rc = mdb_cursor_get(cur, &k, &v, op)); op = MDB_NEXT) {
        const char *kind = v.mv_data;
        size_t klen = strnlen(kind, v.mv_size);
        struct blobs_dict *d = NULL;
        if (k.mv_size == 4 && klen < v.mv_size && klen < sizeof d->kind)
            d = dict_new(kind, kind + klen + 1, v.mv_size - klen - 1);
        if (!d)
            break;
        registry_add(reg, d);
    }
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND) {
        /* Put each kind's current dictionary first. */
        for (const struct kind *const *kp = kind_all(); *kp; kp++) {
            char key[64];
            snprintf(key, sizeof key, "dict.%s", (*kp)->name);
            MDB_val cv;
            if (store_get(txn, store_dbs(srv->store)->meta, key, strlen(key), &cv) ||
                cv.mv_size != 8)
                continue;
            uint32_t id = (uint32_t)get_be64(cv.mv_data);
            for (struct blobs_dict **p = &reg->dicts; *p; p = &(*p)->next)
                if (codec_dict_id((*p)->dict) == id) {
                    struct blobs_dict *d = *p;
                    *p = d->next;
                    d->next = reg->dicts;
                    reg->dicts = d;
                    break;
                }
        }
    }
    store_read_end(srv->store, txn);
    if (rc != MDB_NOTFOUND) {
        log_error("blobs: a stored zstd dictionary is unreadable");
        return CC_EINTERNAL;
    }
    return 0;
}

void blobs_close(struct server *srv)
{
    struct blobs_registry *reg = srv->blobs;
    if (!reg)
        return;
    struct blobs_dict *d = reg->dicts;
    while (d) {
        struct blobs_dict *next = d->next;
        codec_dict_free(d->dict);
        free(d);
        d = next;
    }
    uv_mutex_destroy(&reg->mu);
    free(reg);
    srv->blobs = NULL;
}

const struct codec_dict *blobs_dict_current(struct server *srv, const struct kind *kind)
{
    struct blobs_registry *reg = srv->blobs;
    const struct codec_dict *found = NULL;
    if (!kind->compress)
        return NULL;
    uv_mutex_lock(&reg->mu);
    for (const struct blobs_dict *d = reg->dicts; d && !found; d = d->next)
        if (!strcmp(d->kind, kind->name))
            found = d->dict;
    uv_mutex_unlock(&reg->mu);
    return found;
}

static const struct codec_dict *dict_by_id(uint32_t id, void *user)
{
    struct blobs_registry *reg = user;
    const struct codec_dict *found = NULL;
    uv_mutex_lock(&reg->mu);
    for (const struct blobs_dict *d = reg->dicts; d && !found; d = d->next)
        if (codec_dict_id(d->dict) == id)
            found = d->dict;
    uv_mutex_unlock(&reg->mu);
    return found;
}

int blobs_decode(struct server *srv, const uint8_t *stored, size_t len, size_t max,
                 struct ccbuf *out)
{
    out->len = 0;
    int rc = codec_decode(stored, len, max, dict_by_id, srv->blobs, out);
    if (rc)
        log_error("blobs: a stored blob cannot be decoded (%s)", ccerr_wire(rc));
    return rc ? CC_EINTERNAL : 0;
}

int blobs_is_raw(const uint8_t *stored, size_t len)
{
    enum codec_id codec;
    uint32_t dict;
    return !codec_header(stored, len, &codec, &dict) && codec == CODEC_RAW;
}

/* ---- counting and training ---- */

static void count_key(const struct kind *kind, char *key, size_t len)
{
    snprintf(key, len, "count.blobs.%s", kind->name);
}

int blobs_count(MDB_txn *txn, const struct store *st, const struct kind *kind)
{
    char key[64];
    count_key(kind, key, sizeof key);
    MDB_val v;
    uint64_t n = 0;
    int rc = store_get(txn, store_dbs(st)->meta, key, strlen(key), &v);
    if (!rc && v.mv_size == 8)
        n = get_be64(v.mv_data);
    else if (rc && rc != CC_ENOTFOUND)
        return rc;
    uint8_t buf[8];
    put_be64(buf, n + 1);
    return store_put(txn, store_dbs(st)->meta, key, strlen(key), buf, 8, 0);
}

/* meta "dict.at.<kind>": the blob count when its newest dictionary was trained. */
static uint64_t meta_u64(MDB_txn *txn, const struct store *st, const char *key)
{
    MDB_val v;
    if (store_get(txn, store_dbs(st)->meta, key, strlen(key), &v) || v.mv_size != 8)
        return 0;
    return get_be64(v.mv_data);
}

struct train_job {
    uv_work_t work;
    struct server *srv;
    blobs_trained_fn trained;
    void *user;
    const struct kind *kind;
    uint64_t count; /* blobs of the kind when training began */
    int status;
    struct ccbuf dict;
    uint32_t dict_id; /* zstd's dictionary id (what codec_train_dict says) */
};

/* Thread pool: collects the newest designs' blobs of the kind and trains on them. */
static void train_work(uv_work_t *w)
{
    struct train_job *j = container_of(w, struct train_job, work);
    struct server *srv = j->srv;
    struct ccbuf samples, plain;
    size_t *sizes = xmalloc(BLOBS_DICT_SAMPLES * sizeof *sizes);
    unsigned nsamples = 0;
    ccbuf_init(&samples);
    ccbuf_init(&plain);
    j->status = CC_EINTERNAL;
    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    if (store_read_begin(srv->store, &txn))
        goto out;
    const struct store_dbs *db = store_dbs(srv->store);
    if (mdb_cursor_open(txn, db->designs, &cur))
        goto out_txn;
    MDB_val k, v;
    for (int op = MDB_LAST; nsamples < BLOBS_DICT_SAMPLES && !mdb_cursor_get(cur, &k, &v, op);
         op = MDB_PREV) {
        json_error_t e;
        json_t *rec = json_loadb(v.mv_data, v.mv_size, 0, &e);
        const char *kind = json_string_value(json_object_get(rec, "kind"));
        uint8_t sha[32];
        MDB_val blob;
        if (kind && !strcmp(kind, j->kind->name) && !design_blob(rec, sha) &&
            !store_get(txn, db->blobs, sha, 32, &blob) &&
            !blobs_decode(srv, blob.mv_data, blob.mv_size, j->kind->max_bytes, &plain)) {
            ccbuf_append(&samples, plain.data, plain.len);
            sizes[nsamples++] = plain.len;
        }
        json_decref(rec);
    }
    mdb_cursor_close(cur);
out_txn:
    store_read_end(srv->store, txn);
    if (nsamples > 0 &&
        !codec_train_dict(samples.data, sizes, nsamples, &j->dict, &j->dict_id))
        j->status = 0;
    else
        log_warn("blobs: could not train a %s dictionary on %u samples", j->kind->name,
                 nsamples);
out:
    ccbuf_free(&samples);
    ccbuf_free(&plain);
    free(sizes);
}

int blobs_dict_put(MDB_txn *txn, const struct store *st, const struct kind *kind,
                   const uint8_t *dict, size_t len, uint64_t count)
{
    uint32_t id;
    if (len < 8 || codec_dict_peek_id(dict, len, &id) || !id)
        return CC_EBADARGS;
    uint8_t key[4];
    put_be32(key, id);
    struct ccbuf val;
    ccbuf_init(&val);
    ccbuf_append(&val, kind->name, strlen(kind->name) + 1);
    ccbuf_append(&val, dict, len);
    int rc = store_put(txn, store_dbs(st)->dicts, key, 4, val.data, val.len, 0);
    ccbuf_free(&val);
    if (rc)
        return rc;
    /* meta: the kind's current dictionary, and the blob count it was trained at. */
    char mkey[64];
    uint8_t num[8];
    snprintf(mkey, sizeof mkey, "dict.%s", kind->name);
    put_be64(num, id);
    if ((rc = store_put(txn, store_dbs(st)->meta, mkey, strlen(mkey), num, 8, 0)))
        return rc;
    snprintf(mkey, sizeof mkey, "dict.at.%s", kind->name);
    put_be64(num, count);
    return store_put(txn, store_dbs(st)->meta, mkey, strlen(mkey), num, 8, 0);
}

void blobs_dict_published(struct server *srv, const struct kind *kind, const uint8_t *dict,
                          size_t len, uint64_t count)
{
    struct blobs_dict *d = dict_new(kind->name, dict, len);
    if (!d) {
        log_error("blobs: a committed %s dictionary cannot be loaded", kind->name);
        return;
    }
    registry_add(srv->blobs, d);
    log_info("blobs: trained zstd dictionary %u for %s (%zu bytes, at %llu blobs)",
             codec_dict_id(d->dict), kind->name, len, (unsigned long long)count);
}

static void train_free(struct train_job *j)
{
    ccbuf_free(&j->dict);
    free(j);
}

void blobs_train_end(struct server *srv)
{
    srv->blobs->training = 0;
}

/* The dictionary goes to whoever asked (a "dict" change record, ops_upload.c), which
 * ends the training with blobs_train_end once it is published or given up. */
static void train_after(uv_work_t *w, int status)
{
    struct train_job *j = container_of(w, struct train_job, work);
    if (status || j->status)
        blobs_train_end(j->srv);
    else
        j->trained(j->user, j->kind, &j->dict, j->count);
    train_free(j);
}

void blobs_train_if_due(struct server *srv, const struct kind *kind, blobs_trained_fn trained,
                        void *user)
{
    struct blobs_registry *reg = srv->blobs;
    if (!kind->compress || reg->training || srv->draining)
        return;
    MDB_txn *txn;
    if (store_read_begin(srv->store, &txn))
        return;
    char key[64];
    count_key(kind, key, sizeof key);
    uint64_t count = meta_u64(txn, srv->store, key);
    snprintf(key, sizeof key, "dict.at.%s", kind->name);
    uint64_t at = meta_u64(txn, srv->store, key);
    store_read_end(srv->store, txn);
    if (count < BLOBS_DICT_TRAIN_AT || (at && count < 2 * at))
        return;
    struct train_job *j = xcalloc(1, sizeof *j);
    j->srv = srv;
    j->kind = kind;
    j->count = count;
    j->trained = trained;
    j->user = user;
    reg->training = 1;
    if (uv_queue_work(srv->loop, &j->work, train_work, train_after)) {
        reg->training = 0;
        train_free(j);
    }
}
