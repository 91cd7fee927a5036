/* The audit log in LMDB. See audit.h. Tables (docs/architecture.md):
 *   audit:       contest id + 0x00 + be64 seq → 32-byte entry hash + canonical bytes
 *   audit_heads: contest id → be64 length + be64 bytes of the served log + 32-byte hash
 *                of the last entry
 * The pseudonym key is the node's secret (secret.h), handed to the store at start. */
#include "audit.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditlog.h"
#include "ccerr.h"

#define KEY_MAX 80 /* contest id (≤ 64) + 0x00 + be64 */

static size_t entry_key(uint8_t *key, const char *contest, uint64_t seq)
{
    size_t n = strlen(contest);
    memcpy(key, contest, n);
    key[n] = 0;
    put_be64(key + n + 1, seq);
    return n + 9;
}

int audit_head(MDB_txn *txn, const struct store *st, const char *contest,
               struct audit_head *out)
{
    memset(out, 0, sizeof *out);
    MDB_val v;
    int rc = store_get(txn, store_dbs(st)->audit_heads, contest, strlen(contest), &v);
    if (rc == CC_ENOTFOUND)
        return 0;
    if (rc)
        return rc;
    if (v.mv_size != 48)
        return CC_EINTERNAL;
    out->length = get_be64(v.mv_data);
    out->bytes = get_be64((const uint8_t *)v.mv_data + 8);
    memcpy(out->hash, (const uint8_t *)v.mv_data + 16, 32);
    return 0;
}

static int valid_type(const char *t)
{
    static const char *const types[] = {"vote", "status", "hide", "threshold"};
    for (size_t i = 0; i < CC_ARRAY_LEN(types); i++)
        if (!strcmp(t, types[i]))
            return 1;
    return 0;
}

/* Appends the entry whose canonical bytes are canon (its seq h->length + 1, its prev
 * h->hash) and moves the head. */
static int append_canon(MDB_txn *txn, const struct store *st, const char *contest,
                        const struct audit_head *h, const char *canon, size_t len)
{
    if (len > AUDITLOG_ENTRY_MAX)
        return CC_EINTERNAL;
    uint8_t hash[32];
    auditlog_hash(h->hash, canon, len, hash);
    uint8_t stack[1024];
    uint8_t *val = 32 + len <= sizeof stack ? stack : xmalloc(32 + len);
    memcpy(val, hash, 32);
    memcpy(val + 32, canon, len);
    uint8_t key[KEY_MAX];
    size_t klen = entry_key(key, contest, h->length + 1);
    int rc = store_put(txn, store_dbs(st)->audit, key, klen, val, 32 + len, MDB_NOOVERWRITE);
    if (val != stack)
        free(val);
    if (rc)
        return rc == CC_ECONFLICT ? CC_EINTERNAL : rc;
    uint8_t head[48];
    put_be64(head, h->length + 1);
    put_be64(head + 8, h->bytes + AUDIT_LINE_LEN(len));
    memcpy(head + 16, hash, 32);
    return store_put(txn, store_dbs(st)->audit_heads, contest, strlen(contest), head, 48, 0);
}

int audit_append(MDB_txn *txn, const struct store *st, const char *contest, int64_t at,
                 const char *type, json_t *fields)
{
    if (!contest || strlen(contest) + 9 > KEY_MAX || !type || !valid_type(type) ||
        !json_is_object(fields))
        return CC_EINTERNAL;
    static const char *const reserved[] = {"seq", "at", "type", "prev", "hash"};
    for (size_t i = 0; i < CC_ARRAY_LEN(reserved); i++)
        if (json_object_get(fields, reserved[i]))
            return CC_EINTERNAL;
    struct audit_head h;
    int rc = audit_head(txn, st, contest, &h);
    if (rc)
        return rc;
    char prev[65];
    hex_encode(h.hash, 32, prev);
    json_t *e = json_deep_copy(fields);
    json_object_set_new(e, "seq", json_integer((json_int_t)(h.length + 1)));
    json_object_set_new(e, "at", json_integer((json_int_t)at));
    json_object_set_new(e, "type", json_string(type));
    json_object_set_new(e, "prev", json_string(prev));
    size_t len;
    char *canon = auditlog_canonical(e, &len);
    json_decref(e);
    if (!canon)
        return CC_EINTERNAL;
    rc = append_canon(txn, st, contest, &h, canon, len);
    free(canon);
    return rc;
}

/* The pseudonym key: the node's configured secret (secret.h), the same on every node
 * and every replay; never made inside an apply. */
static int secret(const struct store *st, uint8_t out[32])
{
    const uint8_t *k = store_secret(st);
    if (!k)
        return CC_EINTERNAL;
    memcpy(out, k, 32);
    return 0;
}

/* HMAC-SHA256 under one key with the key's two padded blocks hashed once (RFC 2104:
 * H((K ^ opad) || H((K ^ ipad) || m))): OpenSSL's one-shot HMAC() costs ~2.4 us a
 * call here, mostly looking the algorithm up; this ~0.2 us. One thread at a time (the
 * writer's); the state is rebuilt whenever the key differs from the last one. Kept in
 * statics, reachable until exit. */
static struct {
    EVP_MD *md;
    EVP_MD_CTX *inner, *outer, *work;
    uint8_t key[32];
    int ready;
} mac;

static int hmac_sha256(const uint8_t key[32], const void *msg, size_t n, uint8_t out[32])
{
    if (!mac.md) {
        mac.md = EVP_MD_fetch(NULL, "SHA256", NULL);
        mac.inner = EVP_MD_CTX_new();
        mac.outer = EVP_MD_CTX_new();
        mac.work = EVP_MD_CTX_new();
        if (!mac.md || !mac.inner || !mac.outer || !mac.work)
            return CC_EINTERNAL;
    }
    if (!mac.ready || memcmp(mac.key, key, 32)) {
        uint8_t ipad[64], opad[64];
        for (int i = 0; i < 64; i++) {
            uint8_t k = i < 32 ? key[i] : 0;
            ipad[i] = k ^ 0x36;
            opad[i] = k ^ 0x5c;
        }
        mac.ready = EVP_DigestInit_ex(mac.inner, mac.md, NULL) &&
                    EVP_DigestUpdate(mac.inner, ipad, 64) &&
                    EVP_DigestInit_ex(mac.outer, mac.md, NULL) &&
                    EVP_DigestUpdate(mac.outer, opad, 64);
        if (!mac.ready)
            return CC_EINTERNAL;
        memcpy(mac.key, key, 32);
    }
    uint8_t in[32];
    unsigned len = 0;
    if (!EVP_MD_CTX_copy_ex(mac.work, mac.inner) || !EVP_DigestUpdate(mac.work, msg, n) ||
        !EVP_DigestFinal_ex(mac.work, in, &len) || !EVP_MD_CTX_copy_ex(mac.work, mac.outer) ||
        !EVP_DigestUpdate(mac.work, in, 32) || !EVP_DigestFinal_ex(mac.work, out, &len) ||
        len != 32)
        return CC_EINTERNAL;
    return 0;
}

int audit_pseudonym(MDB_txn *txn, const struct store *st, const char *contest,
                    uint64_t account, char out[65])
{
    (void)txn;
    uint8_t key[32];
    int rc = secret(st, key);
    if (rc)
        return rc;
    char msg[KEY_MAX + 24];
    size_t n = strlen(contest);
    if (n > KEY_MAX)
        return CC_EINTERNAL;
    memcpy(msg, contest, n);
    msg[n] = 0;
    n += 1 + (size_t)snprintf(msg + n + 1, 24, "%llu", (unsigned long long)account);
    uint8_t m[32];
    if ((rc = hmac_sha256(key, msg, n, m)))
        return rc;
    hex_encode(m, 32, out);
    return 0;
}

/* A vote entry is written straight as its canonical bytes (keys in bytewise order, all
 * ASCII): building it as a JSON tree and serialising it cost ~4 us a vote, printf
 * ~0.3 us. The unit test re-serialises every entry with auditlog_canonical and
 * compares. The text is made in one buffer kept for the next (the writer's thread
 * only, as mac above; reachable until exit). */
static struct ccbuf vote_entry;

int audit_vote(MDB_txn *txn, const struct store *st, const char *contest, int64_t at,
               uint64_t design, uint64_t account, int old, int value)
{
    if (!contest || strlen(contest) + 9 > KEY_MAX)
        return CC_EINTERNAL;
    char voter[65], prev[65];
    int rc = audit_pseudonym(txn, st, contest, account, voter);
    if (rc)
        return rc;
    struct audit_head h;
    if ((rc = audit_head(txn, st, contest, &h)))
        return rc;
    hex_encode(h.hash, 32, prev);
    struct ccbuf *e = &vote_entry;
    e->len = 0;
    ccbuf_append_str(e, "{\"at\":");
    ccbuf_append_i64(e, at);
    ccbuf_append_str(e, ",\"design\":\"");
    ccbuf_append_u64(e, design);
    ccbuf_append_str(e, "\",\"old\":");
    ccbuf_append_i64(e, old);
    ccbuf_append_str(e, ",\"prev\":\"");
    ccbuf_append(e, prev, 64);
    ccbuf_append_str(e, "\",\"seq\":");
    ccbuf_append_u64(e, h.length + 1);
    ccbuf_append_str(e, ",\"type\":\"vote\",\"value\":");
    ccbuf_append_i64(e, value);
    ccbuf_append_str(e, ",\"voter\":\"");
    ccbuf_append(e, voter, 64);
    ccbuf_append_str(e, "\"}");
    return append_canon(txn, st, contest, &h, (const char *)e->data, e->len);
}

int audit_read(MDB_txn *txn, const struct store *st, const char *contest, uint64_t from,
               size_t max_entries, size_t max_bytes, struct ccbuf *out, uint64_t *next)
{
    *next = from;
    size_t clen = strlen(contest);
    if (clen + 9 > KEY_MAX)
        return 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, store_dbs(st)->audit, &cur);
    if (rc)
        return store_err(rc);
    uint8_t key[KEY_MAX];
    MDB_val k = {entry_key(key, contest, from), key}, v;
    size_t start = out->len, n = 0;
    int damaged = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         !rc && n < max_entries && out->len - start < max_bytes;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != clen + 9 || memcmp(k.mv_data, key, clen + 1))
            break;
        uint64_t seq = get_be64((const uint8_t *)k.mv_data + clen + 1);
        if (seq != *next || v.mv_size < 34) {
            damaged = 1; /* a gap or a short value: the table is damaged */
            break;
        }
        char *p = (char *)ccbuf_reserve(out, v.mv_size - 32 + AUDITLOG_HASH_SUFFIX + 1);
        size_t len = auditlog_line((const char *)v.mv_data + 32, v.mv_size - 32,
                                   v.mv_data, p);
        p[len] = '\n';
        out->len += len + 1;
        *next = seq + 1;
        n++;
    }
    mdb_cursor_close(cur);
    if (damaged)
        return CC_EINTERNAL;
    return rc == MDB_NOTFOUND ? 0 : store_err(rc);
}
