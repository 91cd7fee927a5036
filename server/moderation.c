/* The moderation log. See moderation.h. */
#include "moderation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "ccerr.h"
#include "util.h"

int moderation_append(MDB_txn *txn, const struct store *st, int64_t at, uint64_t by,
                      const char *action, const json_t *target, const char *reason)
{
    uint64_t id;
    int rc = store_next_id(txn, st, "moderation", &id);
    if (rc)
        return rc;
    json_t *by_acct = NULL;
    const char *by_name = "";
    if (by && !account_get(txn, st, by, &by_acct))
        by_name = json_string_value(json_object_get(by_acct, "name"));
    char ids[24], bys[24];
    snprintf(ids, sizeof ids, "%llu", (unsigned long long)id);
    snprintf(bys, sizeof bys, "%llu", (unsigned long long)by);
    json_t *o = json_pack("{sssssssssIso}", "id", ids, "action", action, "by", bys, "by_name",
                          by_name ? by_name : "", "at", (json_int_t)at, "reason",
                          reason ? json_string(reason) : json_null());
    json_decref(by_acct);
    if (!o)
        return CC_EINTERNAL;
    json_object_update(o, (json_t *)target);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!text)
        return CC_EINTERNAL;
    uint8_t key[8];
    put_be64(key, id);
    rc = store_put(txn, store_dbs(st)->moderation, key, 8, text, strlen(text), MDB_NOOVERWRITE);
    free(text);
    return rc;
}

json_t *moderation_list(MDB_txn *txn, const struct store *st, uint64_t before, size_t limit,
                        int *more)
{
    uint8_t seek[8];
    put_be64(seek, before);
    return store_list_back(txn, store_dbs(st)->moderation, before ? seek : NULL, 8, NULL,
                           NULL, limit, more);
}
