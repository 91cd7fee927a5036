/* Who is asking an HTTP request. See viewer.h. Loop thread. */
#include "viewer.h"

#include <string.h>
#include <strings.h>

#include <libwebsockets.h>

/* Who is asking: a token from "Authorization: Bearer <token>" or the cookie cc_token
 * (for <img> tags in the web client). Anonymous when absent or unknown. */
void viewer_of(struct net_http *h, MDB_txn *txn, const struct store *st, uint64_t *id,
               enum role *role)
{
    char buf[512], token[ACCOUNT_TOKEN_LEN + 1] = "";
    *id = 0;
    *role = ROLE_NONE;
    const char *found = NULL;
    if (net_http_header(h, WSI_TOKEN_HTTP_AUTHORIZATION, buf, sizeof buf) > 7 &&
        !strncasecmp(buf, "Bearer ", 7)) {
        found = buf + 7;
    } else if (net_http_header(h, WSI_TOKEN_HTTP_COOKIE, buf, sizeof buf) > 0) {
        for (char *save = NULL, *kv = strtok_r(buf, ";", &save); kv;
             kv = strtok_r(NULL, ";", &save)) {
            kv += strspn(kv, " ");
            if (!strncmp(kv, "cc_token=", 9))
                found = kv + 9;
        }
    }
    if (found && strlen(found) == ACCOUNT_TOKEN_LEN)
        memcpy(token, found, ACCOUNT_TOKEN_LEN + 1);
    json_t *account = NULL;
    if (token[0] && !account_by_token(txn, st, token, id, NULL) &&
        !account_get(txn, st, *id, &account)) {
        *role = account_role(account);
        json_decref(account);
    } else {
        *id = 0;
    }
}

