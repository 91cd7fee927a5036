/* Change records of comments: "comment" {design, text} by its author. The apply
 * takes the author's name and role (brand comments are official) from the stored
 * account and the comment's id from the counter in LMDB. */
#include <stdlib.h>

#include "accounts.h"
#include "catalog.h"
#include "ccerr.h"
#include "changes_int.h"
#include "comments.h"
#include "changes_after.h"
#include "server.h"

int ch_comment_apply(struct change *c, MDB_txn *txn, const struct store *st)
{
    uint64_t design = change_id(c, "design");
    const char *text = change_str(c, "text");
    if (!design || !text || !c->by)
        return CC_EBADARGS;
    json_t *account;
    int rc = account_get(txn, st, c->by, &account);
    if (rc)
        return rc == CC_ENOTFOUND ? CC_EBADARGS : rc;
    struct comment_new n = {
        .design = design,
        .author = c->by,
        .author_name = json_string_value(json_object_get(account, "name")),
        .text = text,
        .official = account_role(account) == ROLE_BRAND,
        .created = c->out.at,
    };
    rc = n.author_name ? comment_create(txn, st, &n) : CC_EINTERNAL;
    int official = n.official;
    json_decref(account);
    c->out.id = n.id;
    c->out.count = n.count;
    c->out.text = n.json;
    if (rc)
        return rc;
    return change_notice_design(c, txn, st, design, official ? "official" : "comment", c->by,
                                text, NULL, NULL, 0);
}

void ch_comment_post(struct change *c, struct server *srv)
{
    struct dmem *d = catalog_design(srv->catalog, change_id(c, "design"));
    if (d)
        after_comment(srv, d, c->out.count, c->out.id, c->out.text);
}
