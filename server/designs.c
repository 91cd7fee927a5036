/* Design records and content-addressed tables. See designs.h. */
#include "designs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "ccerr.h"
#include "comments.h"
#include "log.h"
#include "u64map.h"
#include "util.h"
#include "votes.h"

/* Design records written by this thread (design_writes). */
static _Thread_local uint64_t writes;

int design_check_meta(const char *title, json_t *tags, json_t **tags_out, struct jargs_err *e)
{
    long n = utf8_count(title, strlen(title), NULL);
    if (n < 1 || n > DESIGN_TITLE_MAX) {
        e->field = "title";
        snprintf(e->why, sizeof e->why, "must be 1 to %d characters long", DESIGN_TITLE_MAX);
        return CC_EBADARGS;
    }
    for (const char *p = title; *p; p++)
        if ((unsigned char)*p < 0x20) {
            e->field = "title";
            snprintf(e->why, sizeof e->why, "must not contain control characters");
            return CC_EBADARGS;
        }
    json_t *out = json_array();
    if (tags && !json_is_null(tags)) {
        e->field = "tags";
        if (!json_is_array(tags)) {
            snprintf(e->why, sizeof e->why, "must be an array of strings");
            goto fail;
        }
        size_t i;
        json_t *t;
        json_array_foreach(tags, i, t)
        {
            const char *s = json_string_value(t);
            size_t len = s ? strlen(s) : 0;
            if (!s || len < 1 || len > DESIGN_TAG_MAX || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") != len) {
                snprintf(e->why, sizeof e->why,
                         "tag %zu must be 1 to %d characters of a-z 0-9 -", i + 1,
                         DESIGN_TAG_MAX);
                goto fail;
            }
            int dup = 0;
            for (size_t j = 0; j < json_array_size(out); j++)
                dup |= !strcmp(json_string_value(json_array_get(out, j)), s);
            if (!dup)
                json_array_append(out, t);
        }
        if (json_array_size(out) > DESIGN_TAGS_MAX) {
            snprintf(e->why, sizeof e->why, "at most %d tags", DESIGN_TAGS_MAX);
            goto fail;
        }
    }
    *tags_out = out;
    return 0;
fail:
    json_decref(out);
    return CC_EBADARGS;
}

uint64_t design_parse_id(const char *s)
{
    if (!s || !*s || strlen(s) > 20)
        return 0;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || (p == s && *p == '0'))
            return 0;
        uint64_t d = (uint64_t)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    return v;
}

/* blob_refs: key = SHA-256 + be64 design id; value = be64 creator, be64 bytes, the
 * kind, NUL, the contest id. */
#define REF_KEY 40
#define REF_FIXED 16

static int blob_ref_put(MDB_txn *txn, const struct store *st, const uint8_t sha[32],
                        uint64_t design, uint64_t creator, uint64_t bytes, const char *kind,
                        const char *contest)
{
    uint8_t key[REF_KEY], val[REF_FIXED + 16 + 1 + 64];
    size_t klen = strlen(kind), clen = strlen(contest);
    if (klen >= 16 || clen > 64)
        return CC_EINTERNAL;
    memcpy(key, sha, 32);
    put_be64(key + 32, design);
    put_be64(val, creator);
    put_be64(val + 8, bytes);
    memcpy(val + REF_FIXED, kind, klen + 1);
    memcpy(val + REF_FIXED + klen + 1, contest, clen);
    return store_put(txn, store_dbs(st)->blob_refs, key, REF_KEY, val,
                     REF_FIXED + klen + 1 + clen, 0);
}

int blob_ref_drop(MDB_txn *txn, const struct store *st, const uint8_t sha[32], uint64_t design)
{
    uint8_t key[REF_KEY];
    memcpy(key, sha, 32);
    put_be64(key + 32, design);
    int rc = store_del(txn, store_dbs(st)->blob_refs, key, REF_KEY);
    return rc == CC_ENOTFOUND ? 0 : rc;
}

int designs_creators_in(MDB_txn *txn, const struct store *st, const char *contest,
                        uint64_t **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, store_dbs(st)->blob_refs, &cur);
    if (rc)
        return store_err(rc);
    struct u64map seen;
    u64map_init(&seen);
    size_t cap = 0, clen = strlen(contest);
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !rc;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const uint8_t *p = v.mv_data;
        if (v.mv_size < REF_FIXED + 1)
            continue;
        const uint8_t *nul = memchr(p + REF_FIXED, 0, v.mv_size - REF_FIXED);
        if (!nul || (size_t)(p + v.mv_size - (nul + 1)) != clen || memcmp(nul + 1, contest, clen))
            continue;
        uint64_t creator = get_be64(p);
        if (u64map_get(&seen, creator))
            continue;
        u64map_put(&seen, creator, (void *)1);
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            *ids = xrealloc(*ids, cap * sizeof **ids);
        }
        (*ids)[(*n)++] = creator;
    }
    mdb_cursor_close(cur);
    u64map_free(&seen);
    return rc == MDB_NOTFOUND ? 0 : store_err(rc);
}

int blob_holders(MDB_txn *txn, const struct store *st, const uint8_t sha[32], uint64_t creator,
                 const char *contest, struct blob_holders *h)
{
    memset(h, 0, sizeof *h);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, store_dbs(st)->blob_refs, &cur);
    if (rc)
        return store_err(rc);
    uint8_t start[REF_KEY];
    memcpy(start, sha, 32);
    memset(start + 32, 0, 8);
    MDB_val k = {REF_KEY, start}, v;
    size_t clen = strlen(contest);
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); !rc;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != REF_KEY || memcmp(k.mv_data, sha, 32))
            break;
        const uint8_t *p = v.mv_data;
        size_t klen = v.mv_size > REF_FIXED ? strnlen((const char *)p + REF_FIXED,
                                                      v.mv_size - REF_FIXED) : 0;
        if (v.mv_size <= REF_FIXED + klen || klen >= sizeof h->kind) {
            rc = MDB_CORRUPTED;
            break;
        }
        uint64_t design = get_be64((const uint8_t *)k.mv_data + 32), who = get_be64(p);
        const char *c = (const char *)p + REF_FIXED + klen + 1;
        size_t cl = v.mv_size - REF_FIXED - klen - 1;
        if (who != creator && !h->other)
            h->other = design;
        if (who == creator && cl == clen && !memcmp(c, contest, clen) && !h->own)
            h->own = design;
        if (!h->known) {
            h->known = 1;
            h->bytes = get_be64(p + 8);
            memcpy(h->kind, p + REF_FIXED, klen + 1);
        }
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND || rc == 0 ? 0 : store_err(rc);
}

/* Schema 1 → 2: a blob_refs row for every design record. */
static int build_refs(MDB_txn *txn, struct store *st)
{
    MDB_cursor *cur;
    int mrc = mdb_cursor_open(txn, store_dbs(st)->designs, &cur), rc = 0;
    if (mrc)
        return store_err(mrc);
    MDB_val k, v;
    size_t n = 0;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !mrc && !rc;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        json_t *rec = json_loadb(v.mv_data, v.mv_size, 0, NULL);
        uint8_t sha[32];
        const char *kind = json_string_value(json_object_get(rec, "kind"));
        const char *contest = json_string_value(json_object_get(rec, "contest"));
        const char *creator = json_string_value(json_object_get(rec, "creator"));
        json_int_t bytes = json_integer_value(json_object_get(rec, "bytes"));
        if (k.mv_size != 8 || !rec || design_blob(rec, sha) || !kind || !contest ||
            !creator || bytes <= 0) {
            log_error("upgrade: a design record is unreadable");
            rc = CC_EINTERNAL;
        } else {
            rc = blob_ref_put(txn, st, sha, get_be64(k.mv_data), strtoull(creator, NULL, 10),
                              (uint64_t)bytes, kind, contest);
            n++;
        }
        json_decref(rec);
    }
    mdb_cursor_close(cur);
    if (!rc && mrc != MDB_NOTFOUND)
        rc = store_err(mrc);
    if (rc)
        return rc;
    log_info("upgrade: schema 1 -> 2, blob references of %zu designs", n);
    return store_set_schema(txn, st, 2);
}

int design_by_creator_put(MDB_txn *txn, const struct store *st, uint64_t creator,
                          uint64_t design)
{
    uint8_t key[16];
    put_be64(key, creator);
    put_be64(key + 8, design);
    return store_put(txn, store_dbs(st)->by_creator, key, 16, "", 0, 0);
}

struct id_list {
    uint64_t *v;
    size_t n, cap;
};

static int add_id(void *user, uint64_t id, const MDB_val *v)
{
    (void)v;
    struct id_list *l = user;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = id;
    return 0;
}

int design_by_creator(MDB_txn *txn, const struct store *st, uint64_t creator,
                      uint64_t **ids, size_t *n)
{
    struct id_list l = {NULL, 0, 0};
    int rc = store_each_under(txn, store_dbs(st)->by_creator, creator, add_id, &l);
    if (rc) {
        free(l.v);
        l.v = NULL;
        l.n = 0;
    }
    *ids = l.v;
    *n = l.n;
    return rc;
}

/* Schema 2 → 3: every design listed under its creator, every comment's design and
 * author by its id, every token a session (accounts.c). */
static int build_v3(MDB_txn *txn, struct store *st)
{
    MDB_cursor *cur;
    int mrc = mdb_cursor_open(txn, store_dbs(st)->designs, &cur), rc = 0;
    if (mrc)
        return store_err(mrc);
    MDB_val k, v;
    size_t n = 0, sessions = 0, comments = 0;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !mrc && !rc;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        json_t *rec = json_loadb(v.mv_data, v.mv_size, 0, NULL);
        const char *creator = json_string_value(json_object_get(rec, "creator"));
        if (k.mv_size != 8 || !creator) {
            log_error("upgrade: a design record is unreadable");
            rc = CC_EINTERNAL;
        } else {
            rc = design_by_creator_put(txn, st, strtoull(creator, NULL, 10),
                                       get_be64(k.mv_data));
            n++;
        }
        json_decref(rec);
    }
    mdb_cursor_close(cur);
    if (!rc && mrc != MDB_NOTFOUND)
        rc = store_err(mrc);
    if (!rc)
        rc = comments_upgrade_ids(txn, st, &comments);
    if (!rc)
        rc = accounts_upgrade_sessions(txn, st, &sessions);
    if (rc)
        return rc;
    log_info("upgrade: schema 2 -> 3, %zu designs by creator, %zu comments, %zu sessions", n,
             comments, sessions);
    return store_set_schema(txn, st, 3);
}

/* The upgrade's one transaction, from schema *(uint64_t *)user. */
static int upgrade_in(MDB_txn *txn, struct store *st, void *user)
{
    uint64_t from = *(const uint64_t *)user;
    int rc = from < 2 ? build_refs(txn, st) : 0;
    if (!rc && from < 3)
        rc = build_v3(txn, st);
    if (rc)
        return rc;
    /* 3 → 4: the vote log (votes.h), empty until a vote; an older build would not read
     * it, so the data says it may be there */
    if (from < 4)
        log_info("upgrade: schema 3 -> 4, the vote log");
    /* 4 → 5: the tallies of the folded votes (votes.h), which start-up reads instead
     * of the votes; an older build would not keep them */
    size_t designs;
    uint64_t votes;
    if ((rc = votes_tallies_build(txn, st, &designs, &votes)))
        return rc;
    log_info("upgrade: schema 4 -> 5, the tallies of %zu designs from %llu votes", designs,
             (unsigned long long)votes);
    return store_set_schema(txn, st, 5);
}

int designs_upgrade(struct store *st)
{
    uint64_t from = store_schema(st); /* an attempt the map stopped set it in memory */
    if (from >= STORE_SCHEMA_VERSION)
        return 0;
    return store_write_once(st, upgrade_in, &from) ? CC_EINTERNAL : 0;
}

int design_create(MDB_txn *txn, const struct store *st, struct design_new *d)
{
    json_decref(d->record);
    d->record = NULL;
    int rc = store_next_id(txn, st, "design", &d->id);
    if (rc)
        return rc;
    char id[24], creator[24], blob[65];
    snprintf(id, sizeof id, "%llu", (unsigned long long)d->id);
    snprintf(creator, sizeof creator, "%llu", (unsigned long long)d->creator);
    hex_encode(d->sha, 32, blob);
    json_t *rec = json_pack("{sssssssssssssOsssIsIsssb}", "id", id, "contest", d->contest,
                            "creator", creator, "creator_name", d->creator_name, "kind",
                            d->kind, "title", d->title, "tags", d->tags, "blob", blob,
                            "bytes", (json_int_t)d->bytes, "created", (json_int_t)d->created,
                            "status", "submitted", "hidden", 0);
    if (!rec)
        return CC_EINTERNAL;
    if (d->terms)
        json_object_set_new(rec, "terms", json_string(d->terms));

    char *text = json_dumps(rec, JSON_COMPACT);
    uint8_t key[8];
    put_be64(key, d->id);
    writes++;
    rc = store_put(txn, store_dbs(st)->designs, key, 8, text, strlen(text), MDB_NOOVERWRITE);
    free(text);
    if (!rc)
        rc = design_timeline_add(txn, st, d->id, "submitted", NULL, d->creator, d->created);
    if (!rc)
        rc = blob_ref_put(txn, st, d->sha, d->id, d->creator, d->bytes, d->kind, d->contest);
    if (!rc)
        rc = design_by_creator_put(txn, st, d->creator, d->id);
    if (!rc && d->fp) { /* SPEC §8: its fingerprint and look-alikes, beside the record */
        json_t *la = json_pack("{ss}", "fp", d->fp);
        if (json_array_size(d->similar))
            json_object_set(la, "similar", d->similar);
        char *lt = json_dumps(la, JSON_COMPACT);
        json_decref(la);
        rc = lt ? store_put(txn, store_dbs(st)->lookalikes, key, 8, lt, strlen(lt), 0)
                : CC_EINTERNAL;
        free(lt);
    }
    if (rc) {
        json_decref(rec);
        return rc;
    }
    d->record = rec;
    return 0;
}

json_t *design_lookalikes(MDB_txn *txn, const struct store *st, uint64_t id)
{
    uint8_t key[8];
    put_be64(key, id);
    MDB_val v;
    if (store_get(txn, store_dbs(st)->lookalikes, key, 8, &v))
        return NULL;
    return json_loadb(v.mv_data, v.mv_size, 0, NULL);
}

int design_load(MDB_txn *txn, const struct store *st, uint64_t id, json_t **record)
{
    uint8_t key[8];
    put_be64(key, id);
    MDB_val v;
    int rc = store_get(txn, store_dbs(st)->designs, key, 8, &v);
    if (rc)
        return rc;
    json_error_t e;
    *record = json_loadb(v.mv_data, v.mv_size, 0, &e);
    return *record ? 0 : CC_EINTERNAL;
}

uint64_t design_writes(void)
{
    return writes;
}

int design_save(MDB_txn *txn, const struct store *st, uint64_t id, const json_t *record)
{
    writes++;
    return store_put_record(txn, store_dbs(st)->designs, id, record);
}

/* timeline db: key = be64 design id + be32 sequence number. */
int design_timeline_add(MDB_txn *txn, const struct store *st, uint64_t id, const char *status,
                        const char *note, uint64_t by, int64_t at)
{
    MDB_dbi dbi = store_dbs(st)->timeline;
    uint8_t key[12];
    put_be64(key, id);
    uint32_t seq = 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc)
        return store_err(rc);
    /* The last entry of this design: position after its range and step back. */
    uint8_t next[8];
    put_be64(next, id + 1);
    MDB_val k = {8, next}, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    rc = rc == MDB_NOTFOUND ? mdb_cursor_get(cur, &k, &v, MDB_LAST)
                            : (rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_PREV));
    if (!rc && k.mv_size == 12 && !memcmp(k.mv_data, key, 8)) {
        const uint8_t *p = (const uint8_t *)k.mv_data + 8;
        seq = get_be32(p) + 1;
    }
    mdb_cursor_close(cur);
    put_be32(key + 8, seq);
    char by_s[24];
    snprintf(by_s, sizeof by_s, "%llu", (unsigned long long)by);
    json_t *e = json_pack("{sssosssI}", "status", status, "note",
                          note ? json_string(note) : json_null(), "by", by_s, "at",
                          (json_int_t)at);
    char *text = json_dumps(e, JSON_COMPACT);
    json_decref(e);
    rc = store_put(txn, dbi, key, 12, text, strlen(text), 0);
    free(text);
    return rc;
}

json_t *design_timeline(MDB_txn *txn, const struct store *st, uint64_t id)
{
    json_t *arr = json_array();
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, store_dbs(st)->timeline, &cur))
        return arr;
    uint8_t key[8];
    put_be64(key, id);
    MDB_val k = {8, key}, v;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         !rc && k.mv_size == 12 && !memcmp(k.mv_data, key, 8);
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        json_error_t e;
        json_t *entry = json_loadb(v.mv_data, v.mv_size, 0, &e);
        if (entry)
            json_array_append_new(arr, entry);
    }
    mdb_cursor_close(cur);
    return arr;
}

void design_timeline_splice(MDB_txn *txn, const struct store *st, uint64_t id,
                            struct ccbuf *out)
{
    if (!out->len || out->data[out->len - 1] != '}')
        return;
    out->len--;
    json_t *tl = design_timeline(txn, st, id);
    char *text = json_dumps(tl, JSON_COMPACT);
    json_decref(tl);
    ccbuf_append(out, ",\"timeline\":", 12);
    ccbuf_append(out, text, strlen(text));
    ccbuf_append(out, "}", 1);
    free(text);
}

json_t *design_public(const json_t *record, const struct tally *t, const struct scale *scale,
                      double score)
{
    json_t *o = json_deep_copy(record);
    json_object_set_new(o, "tally", tally_json(t, scale));
    json_object_set_new(o, "score", json_real(score));
    char thumb[64];
    snprintf(thumb, sizeof thumb, "/t/%s.png",
             json_string_value(json_object_get(record, "id")));
    json_object_set_new(o, "thumb", json_string(thumb));
    return o;
}

int design_blob(const json_t *record, uint8_t sha[32])
{
    const char *hex = json_string_value(json_object_get(record, "blob"));
    if (!hex || strlen(hex) != 64 || hex_decode(hex, sha, 32))
        return -1;
    return 0;
}

int blob_put(MDB_txn *txn, const struct store *st, MDB_dbi dbi, const uint8_t sha[32],
             const void *data, size_t len)
{
    (void)st;
    int rc = store_put(txn, dbi, sha, 32, data, len, MDB_NOOVERWRITE);
    if (rc == CC_ECONFLICT)
        return 0;
    return rc ? rc : 1;
}

int blob_exists(MDB_txn *txn, const struct store *st, const uint8_t sha[32])
{
    MDB_val v;
    int rc = store_get(txn, store_dbs(st)->blobs, sha, 32, &v);
    if (rc == CC_ENOTFOUND)
        return 0;
    return rc ? rc : 1;
}
