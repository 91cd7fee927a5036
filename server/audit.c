/* The audit log in LMDB. See audit.h. Tables (docs/architecture.md):
 *   audit:       contest id + 0x00 + be64 seq → 32-byte entry hash + canonical bytes
 *   audit_heads: contest id → be64 length + be64 bytes of the served log + 32-byte hash
 *                of the last entry
 *   meta "audit.secret" → the 32-byte pseudonym key. */
#include "audit.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditlog.h"
#include "ccerr.h"

#define SECRET_KEY "audit.secret"
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
    if (!canon || len > AUDITLOG_ENTRY_MAX) {
        free(canon);
        return CC_EINTERNAL;
    }
    uint8_t hash[32];
    auditlog_hash(h.hash, canon, len, hash);
    uint8_t *val = xmalloc(32 + len);
    memcpy(val, hash, 32);
    memcpy(val + 32, canon, len);
    free(canon);
    uint8_t key[KEY_MAX];
    size_t klen = entry_key(key, contest, h.length + 1);
    rc = store_put(txn, store_dbs(st)->audit, key, klen, val, 32 + len, MDB_NOOVERWRITE);
    free(val);
    if (rc)
        return rc == CC_ECONFLICT ? CC_EINTERNAL : rc;
    uint8_t head[48];
    put_be64(head, h.length + 1);
    put_be64(head + 8, h.bytes + AUDIT_LINE_LEN(len));
    memcpy(head + 16, hash, 32);
    return store_put(txn, store_dbs(st)->audit_heads, contest, strlen(contest), head, 48, 0);
}

/* The pseudonym key, made in txn on first use. */
static int secret(MDB_txn *txn, const struct store *st, uint8_t out[32])
{
    MDB_val v;
    int rc = store_get(txn, store_dbs(st)->meta, SECRET_KEY, strlen(SECRET_KEY), &v);
    if (rc == 0 && v.mv_size == 32) {
        memcpy(out, v.mv_data, 32);
        return 0;
    }
    if (rc == 0)
        return CC_EINTERNAL; /* corrupt: never replace the key pseudonyms depend on */
    if (rc != CC_ENOTFOUND)
        return rc;
    random_bytes(out, 32);
    return store_put(txn, store_dbs(st)->meta, SECRET_KEY, strlen(SECRET_KEY), out, 32,
                     MDB_NOOVERWRITE);
}

int audit_pseudonym(MDB_txn *txn, const struct store *st, const char *contest,
                    uint64_t account, char out[65])
{
    uint8_t key[32];
    int rc = secret(txn, st, key);
    if (rc)
        return rc;
    char msg[KEY_MAX + 24];
    size_t n = strlen(contest);
    if (n > KEY_MAX)
        return CC_EINTERNAL;
    memcpy(msg, contest, n);
    msg[n] = 0;
    n += 1 + (size_t)snprintf(msg + n + 1, 24, "%llu", (unsigned long long)account);
    uint8_t mac[32];
    unsigned maclen = 0;
    if (!HMAC(EVP_sha256(), key, 32, (const unsigned char *)msg, n, mac, &maclen) ||
        maclen != 32)
        return CC_EINTERNAL;
    hex_encode(mac, 32, out);
    return 0;
}

int audit_vote(MDB_txn *txn, const struct store *st, const char *contest, int64_t at,
               uint64_t design, uint64_t account, int old, int value)
{
    char voter[65], id[24];
    int rc = audit_pseudonym(txn, st, contest, account, voter);
    if (rc)
        return rc;
    snprintf(id, sizeof id, "%llu", (unsigned long long)design);
    json_t *f = json_pack("{sssssisi}", "voter", voter, "design", id, "value", value, "old",
                          old);
    rc = audit_append(txn, st, contest, at, "vote", f);
    json_decref(f);
    return rc;
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
