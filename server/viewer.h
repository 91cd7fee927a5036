/* Who is asking an HTTP request: the account of the token in "Authorization: Bearer
 * <token>" or in the cookie cc_token (what <img> tags of the web client send). Shared by
 * the HTTP routes (http.c) and the export (export.c). Loop thread. */
#ifndef CC_VIEWER_H
#define CC_VIEWER_H

#include <lmdb.h>
#include <stdint.h>

#include "accounts.h"
#include "net.h"
#include "store.h"

/* The account asking h, read in txn: *id = 0 and ROLE_NONE when there is no token or it
 * is unknown. */
void viewer_of(struct net_http *h, MDB_txn *txn, const struct store *st, uint64_t *id,
               enum role *role);

#endif
