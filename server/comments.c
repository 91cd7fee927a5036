#define _GNU_SOURCE /* memmem */
/* Comments in LMDB. See comments.h.
 * `comments`: be64 design id + be64 comment id → the comment object as compact JSON
 * (what comment.list and the events send, byte for byte); `comment_counts`: be64
 * design id → be64 count. */
#include "comments.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccerr.h"

static int text_fail(struct jargs_err *e, const char *why)
{
    e->field = "text";
    snprintf(e->why, sizeof e->why, "%s", why);
    return CC_EBADARGS;
}

int comment_check_text(const char *text, size_t len, struct jargs_err *e)
{
    /* Longer than any valid text could be: refuse before walking it. */
    if (len > 4 * COMMENT_TEXT_MAX)
        return text_fail(e, "must be 1 to 2000 characters long");
    const uint8_t *p = (const uint8_t *)text;
    size_t chars = 0, i = 0;
    int blank = 1;
    while (i < len) {
        uint32_t cp;
        int n = utf8_decode(p + i, len - i, &cp);
        if (!n)
            return text_fail(e, "must be valid UTF-8");
        if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
            (cp >= 0x7F && cp <= 0x9F))
            return text_fail(e, "must not contain control characters (tab and newlines "
                                "are fine)");
        if (cp != ' ' && cp != '\t' && cp != '\n' && cp != '\r')
            blank = 0;
        chars++;
        i += (size_t)n;
    }
    if (chars < 1 || chars > COMMENT_TEXT_MAX)
        return text_fail(e, "must be 1 to 2000 characters long");
    if (blank)
        return text_fail(e, "must not be only white space");
    return 0;
}

/* The design's stored count (0 when none) or a store error (< 0). */
static int count_get(MDB_txn *txn, const struct store *st, const uint8_t key[8], uint64_t *n)
{
    MDB_val v;
    int rc = store_get(txn, store_dbs(st)->comment_counts, key, 8, &v);
    *n = 0;
    if (rc == CC_ENOTFOUND)
        return 0;
    if (!rc && v.mv_size == 8)
        *n = get_be64(v.mv_data);
    return rc;
}

/* comment_ids: be64 comment id → be64 design id + be64 author id. */
static int index_put(MDB_txn *txn, const struct store *st, uint64_t id, uint64_t design,
                     uint64_t author)
{
    uint8_t key[8], val[16];
    put_be64(key, id);
    put_be64(val, design);
    put_be64(val + 8, author);
    return store_put(txn, store_dbs(st)->comment_ids, key, 8, val, 16, 0);
}

int comment_locate(MDB_txn *txn, const struct store *st, uint64_t id, uint64_t *design,
                   uint64_t *author)
{
    uint8_t key[8];
    put_be64(key, id);
    MDB_val v;
    int rc = store_get(txn, store_dbs(st)->comment_ids, key, 8, &v);
    if (rc)
        return rc;
    if (v.mv_size != 16)
        return CC_EINTERNAL;
    *design = get_be64(v.mv_data);
    *author = get_be64((const uint8_t *)v.mv_data + 8);
    return 0;
}

int comment_set_hidden(MDB_txn *txn, const struct store *st, uint64_t design, uint64_t id,
                       int hidden, int *changed)
{
    uint8_t key[16];
    put_be64(key, design);
    put_be64(key + 8, id);
    MDB_val v;
    *changed = 0;
    int rc = store_get(txn, store_dbs(st)->comments, key, 16, &v);
    if (rc)
        return rc;
    json_t *o = json_loadb(v.mv_data, v.mv_size, 0, NULL);
    if (!o)
        return CC_EINTERNAL;
    if (json_is_true(json_object_get(o, "hidden")) != !!hidden) {
        if (hidden)
            json_object_set_new(o, "hidden", json_true());
        else
            json_object_del(o, "hidden");
        char *text = json_dumps(o, JSON_COMPACT);
        rc = text ? store_put(txn, store_dbs(st)->comments, key, 16, text, strlen(text), 0)
                  : CC_EINTERNAL;
        free(text);
        *changed = !rc;
    }
    json_decref(o);
    return rc;
}

int comment_rename_author(MDB_txn *txn, const struct store *st, uint64_t author,
                          const char *name)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, store_dbs(st)->comment_ids, &cur);
    if (rc)
        return store_err(rc);
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !rc;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (v.mv_size != 16 || get_be64((const uint8_t *)v.mv_data + 8) != author)
            continue;
        uint8_t key[16];
        memcpy(key, v.mv_data, 8);
        memcpy(key + 8, k.mv_data, 8);
        MDB_val cv;
        int e = store_get(txn, store_dbs(st)->comments, key, 16, &cv);
        json_t *o = e ? NULL : json_loadb(cv.mv_data, cv.mv_size, 0, NULL);
        if (o) {
            json_object_set_new(o, "author_name", json_string(name));
            char *text = json_dumps(o, JSON_COMPACT);
            e = text ? store_put(txn, store_dbs(st)->comments, key, 16, text, strlen(text), 0)
                     : CC_EINTERNAL;
            free(text);
            json_decref(o);
        }
        if (e && e != CC_ENOTFOUND) {
            mdb_cursor_close(cur);
            return e;
        }
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : store_err(rc);
}

int comments_upgrade_ids(MDB_txn *txn, const struct store *st, size_t *n)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, store_dbs(st)->comments, &cur);
    if (rc)
        return store_err(rc);
    *n = 0;
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !rc;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        json_t *o = json_loadb(v.mv_data, v.mv_size, 0, NULL);
        const char *author = json_string_value(json_object_get(o, "author"));
        int e = k.mv_size == 16 && author
                    ? index_put(txn, st, get_be64((const uint8_t *)k.mv_data + 8),
                                get_be64(k.mv_data), strtoull(author, NULL, 10))
                    : CC_EINTERNAL;
        json_decref(o);
        if (e) {
            mdb_cursor_close(cur);
            return e;
        }
        (*n)++;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : store_err(rc);
}

/* Whether viewer may see the stored comment v: hidden ones only its author and the
 * brand (COMMENTS_ALL) see. */
static int visible_to(const MDB_val *v, uint64_t viewer)
{
    static const char mark[] = "\"hidden\":true";
    if (viewer == COMMENTS_ALL || !memmem(v->mv_data, v->mv_size, mark, sizeof mark - 1))
        return 1;
    static const char key[] = "\"author\":\"";
    const char *p = memmem(v->mv_data, v->mv_size, key, sizeof key - 1);
    return viewer && p && strtoull(p + sizeof key - 1, NULL, 10) == viewer;
}

int comment_create(MDB_txn *txn, const struct store *st, struct comment_new *c)
{
    free(c->json);
    c->json = NULL;
    int rc = store_next_id(txn, st, "comment", &c->id);
    if (rc)
        return rc;
    char id[24], design[24], author[24];
    snprintf(id, sizeof id, "%llu", (unsigned long long)c->id);
    snprintf(design, sizeof design, "%llu", (unsigned long long)c->design);
    snprintf(author, sizeof author, "%llu", (unsigned long long)c->author);
    json_t *o = json_pack("{sssssssssssIsb}", "id", id, "design", design, "author", author,
                          "author_name", c->author_name, "text", c->text, "created",
                          (json_int_t)c->created, "official", c->official);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!text)
        return CC_EINTERNAL;
    uint8_t key[16], cnt[8];
    put_be64(key, c->design);
    put_be64(key + 8, c->id);
    rc = store_put(txn, store_dbs(st)->comments, key, 16, text, strlen(text), MDB_NOOVERWRITE);
    if (!rc)
        rc = index_put(txn, st, c->id, c->design, c->author);
    if (!rc)
        rc = count_get(txn, st, key, &c->count);
    if (!rc) {
        c->count++;
        put_be64(cnt, c->count);
        rc = store_put(txn, store_dbs(st)->comment_counts, key, 8, cnt, 8, 0);
    }
    if (rc) {
        free(text);
        return rc;
    }
    c->json = text;
    return 0;
}

/* Walks design's comments with after < id < before (before 0 = no bound) newest first,
 * appending up to limit of them to out (comma-separated); *more when more remain,
 * *newest the first id seen (0 if none). */
static int walk(MDB_txn *txn, const struct store *st, uint64_t design, uint64_t after,
                uint64_t before, size_t limit, uint64_t viewer, struct ccbuf *out, int *more,
                uint64_t *newest)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, store_dbs(st)->comments, &cur);
    if (rc)
        return store_err(rc);
    /* Position on the first key at or after (design, before) — (design + 1, 0) for
     * the newest — then walk backwards while the keys are this design's. */
    uint8_t seek[16];
    put_be64(seek, before ? design : design + 1);
    put_be64(seek + 8, before);
    MDB_val k = {16, seek}, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    rc = mdb_cursor_get(cur, &k, &v, rc == MDB_NOTFOUND ? MDB_LAST : MDB_PREV);
    size_t n = 0;
    *more = 0;
    *newest = 0;
    for (; !rc; rc = mdb_cursor_get(cur, &k, &v, MDB_PREV)) {
        if (k.mv_size != 16 || get_be64(k.mv_data) != design)
            break;
        uint64_t id = get_be64((const uint8_t *)k.mv_data + 8);
        if (id <= after)
            break;
        if (!*newest)
            *newest = id;
        if (out && !visible_to(&v, viewer))
            continue;
        if (n == limit) {
            *more = 1;
            break;
        }
        if (out) {
            if (n)
                ccbuf_append(out, ",", 1);
            ccbuf_append(out, v.mv_data, v.mv_size);
        }
        n++;
    }
    mdb_cursor_close(cur);
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : store_err(rc);
}

int comment_page(MDB_txn *txn, const struct store *st, uint64_t design, uint64_t before,
                 size_t limit, uint64_t viewer, struct ccbuf *out, int *more)
{
    uint64_t newest;
    return walk(txn, st, design, 0, before, limit, viewer, out, more, &newest);
}

int comment_range(MDB_txn *txn, const struct store *st, uint64_t design, uint64_t after,
                  uint64_t upto, size_t limit, uint64_t viewer, struct ccbuf *out, int *more)
{
    uint64_t newest;
    *more = 0;
    if (upto <= after || upto == UINT64_MAX)
        return 0;
    return walk(txn, st, design, after, upto + 1, limit, viewer, out, more, &newest);
}

int comment_newest(MDB_txn *txn, const struct store *st, uint64_t design, uint64_t *id)
{
    int more;
    return walk(txn, st, design, 0, 0, 0, COMMENTS_ALL, NULL, &more, id);
}

int comment_counts(MDB_txn *txn, const struct store *st,
                   void (*fn)(void *user, uint64_t design, uint64_t count), void *user)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, store_dbs(st)->comment_counts, &cur);
    if (rc)
        return store_err(rc);
    MDB_val k, v;
    for (int op = MDB_FIRST; !(rc = mdb_cursor_get(cur, &k, &v, op)); op = MDB_NEXT)
        if (k.mv_size == 8 && v.mv_size == 8)
            fn(user, get_be64(k.mv_data), get_be64(v.mv_data));
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : store_err(rc);
}
