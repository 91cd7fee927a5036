/* Change records of accounts: "account.create" {name, role, token_hash} — a
 * registration, or a brand made by the operator (cocreated --make-brand). The token
 * itself never travels: the accepting side made it, gave it to the client once, and
 * put only its SHA-256 in the record. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "accounts.h"
#include "ccerr.h"
#include "changes_int.h"
#include "util.h"

int ch_account_create_apply(struct change *c, MDB_txn *txn, const struct store *st)
{
    const char *name = change_str(c, "name"), *role = change_str(c, "role");
    const char *hash = change_str(c, "token_hash");
    struct account_new a;
    memset(&a, 0, sizeof a);
    char why[96];
    if (!name || account_check_name(name, why, sizeof why) || !role ||
        (strcmp(role, "member") && strcmp(role, "brand")) || !hash || strlen(hash) != 64 ||
        hex_decode(hash, a.token_hash, 32))
        return CC_EBADARGS;
    snprintf(a.name, sizeof a.name, "%s", name);
    a.role = !strcmp(role, "brand") ? ROLE_BRAND : ROLE_MEMBER;
    a.created = c->out.at;
    int rc = account_create(txn, st, &a);
    if (!rc)
        c->out.id = a.id;
    return rc;
}

struct change *change_account_new(const char *name, enum role role, int64_t at,
                                  char token[ACCOUNT_TOKEN_LEN + 1])
{
    uint8_t raw[ACCOUNT_TOKEN_BYTES], hash[32];
    char hex[65];
    random_bytes(raw, sizeof raw);
    hex_encode(raw, sizeof raw, token);
    OPENSSL_cleanse(raw, sizeof raw);
    sha256(token, ACCOUNT_TOKEN_LEN, hash);
    hex_encode(hash, 32, hex);
    return change_new(CH_ACCOUNT_CREATE, at, 0,
                      json_pack("{ssssss}", "name", name, "role",
                                role == ROLE_BRAND ? "brand" : "member", "token_hash", hex));
}
