/* Change records of dictionaries: "dict" {kind, count} + binary "dict" — a zstd
 * dictionary trained on the accepting side (blobs.c, on the thread pool, from the
 * newest blobs of the kind when their count reached `count`). The record carries the
 * dictionary itself, so every node and every replay stores, and compresses with, the
 * same one; its id is zstd's hash of its content. */
#include "blobs.h"
#include "ccerr.h"
#include "changes_int.h"
#include "kind.h"

int ch_dict_apply(struct change *c, MDB_txn *txn, const struct store *st)
{
    const struct kind *kind = kind_find(change_str(c, "kind") ? change_str(c, "kind") : "");
    json_int_t count = json_integer_value(json_object_get(c->args, "count"));
    if (!kind || count < 0 || !c->att[ATT_DICT].len)
        return CC_EBADARGS;
    return blobs_dict_put(txn, st, kind, c->att[ATT_DICT].data, c->att[ATT_DICT].len,
                          (uint64_t)count);
}

void ch_dict_post(struct change *c, struct server *srv)
{
    blobs_dict_published(srv, kind_find(change_str(c, "kind")), c->att[ATT_DICT].data,
                         c->att[ATT_DICT].len,
                         (uint64_t)json_integer_value(json_object_get(c->args, "count")));
}
