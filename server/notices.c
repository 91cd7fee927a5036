/* Notices in LMDB. See notices.h. */
#include "notices.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccerr.h"
#include "util.h"

static void key_of(uint8_t key[16], uint64_t account, uint64_t id)
{
    put_be64(key, account);
    put_be64(key + 8, id);
}

/* text cut to NOTICE_TEXT_MAX bytes without splitting a UTF-8 sequence. */
static json_t *cut_text(const char *text)
{
    size_t n = strlen(text);
    if (n > NOTICE_TEXT_MAX) {
        n = NOTICE_TEXT_MAX;
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
            n--;
    }
    return json_stringn(text, n);
}

int notice_add(MDB_txn *txn, const struct store *st, const struct notice_new *n, int64_t at,
               json_t *made)
{
    uint64_t id;
    int rc = store_next_id(txn, st, "notice", &id);
    if (rc)
        return rc;
    char ids[24], acct[24];
    snprintf(ids, sizeof ids, "%llu", (unsigned long long)id);
    snprintf(acct, sizeof acct, "%llu", (unsigned long long)n->account);
    json_t *o = json_pack("{sssssosI}", "id", ids, "kind", n->kind, "text",
                          cut_text(n->text ? n->text : ""), "created", (json_int_t)at);
    char num[24];
    if (n->design) {
        snprintf(num, sizeof num, "%llu", (unsigned long long)n->design);
        json_object_set_new(o, "design", json_string(num));
    }
    if (n->contest)
        json_object_set_new(o, "contest", json_string(n->contest));
    if (n->actor) {
        snprintf(num, sizeof num, "%llu", (unsigned long long)n->actor);
        json_object_set_new(o, "actor", json_string(num));
    }
    if (n->status)
        json_object_set_new(o, "status", json_string(n->status));
    if (n->status && !strcmp(n->kind, "status"))
        json_object_set_new(o, "note", n->note ? cut_text(n->note) : json_null());
    if (n->supports)
        json_object_set_new(o, "supports", json_integer((json_int_t)n->supports));
    char *text = json_dumps(o, JSON_COMPACT);
    uint8_t key[16];
    key_of(key, n->account, id);
    rc = text ? store_put(txn, store_dbs(st)->notices, key, 16, text, strlen(text),
                          MDB_NOOVERWRITE)
              : CC_EINTERNAL;
    free(text);
    if (!rc && made)
        json_array_append_new(made, json_pack("{ssso}", "account", acct, "notice", o));
    else
        json_decref(o);
    return rc;
}

/* Whether key is one of the account's (*user) notices (id 0 is its mark). */
static int of_account(void *user, const MDB_val *key)
{
    return key->mv_size == 16 && get_be64(key->mv_data) == *(const uint64_t *)user &&
           get_be64((const uint8_t *)key->mv_data + 8);
}

json_t *notice_list(MDB_txn *txn, const struct store *st, uint64_t account, uint64_t before,
                    size_t limit, int *more)
{
    /* From the last key before (account, before) — (account + 1, 0) for the newest —
     * backwards while the keys are this account's notices. */
    uint8_t seek[16];
    key_of(seek, before ? account : account + 1, before);
    return store_list_back(txn, store_dbs(st)->notices, seek, 16, of_account, &account, limit,
                           more);
}

static uint64_t read_mark(MDB_txn *txn, const struct store *st, uint64_t account)
{
    uint8_t key[16];
    key_of(key, account, 0);
    MDB_val v;
    if (store_get(txn, store_dbs(st)->notices, key, 16, &v) || v.mv_size != 8)
        return 0;
    return get_be64(v.mv_data);
}

uint64_t notice_unread(MDB_txn *txn, const struct store *st, uint64_t account)
{
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, store_dbs(st)->notices, &cur))
        return 0;
    uint8_t seek[16];
    key_of(seek, account, read_mark(txn, st, account) + 1);
    MDB_val k = {16, seek}, v;
    uint64_t n = 0;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         !rc && k.mv_size == 16 && get_be64(k.mv_data) == account;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        n++;
    mdb_cursor_close(cur);
    return n;
}

int notice_mark_read(MDB_txn *txn, const struct store *st, uint64_t account, uint64_t upto)
{
    if (upto <= read_mark(txn, st, account))
        return 0;
    uint8_t key[16], val[8];
    key_of(key, account, 0);
    put_be64(val, upto);
    return store_put(txn, store_dbs(st)->notices, key, 16, val, 8, 0);
}
