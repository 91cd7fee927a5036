/* Change records of accounts and sessions (SPEC §2, §7):
 *   "account.create" {name, role, token_hash, password?, contact?, device?} — a
 *       registration, or a brand made by the operator (cocreated --make-brand);
 *   "session.create" {token_hash, device, replace?, brand?} — a login by name and
 *       password (by the account), or a brand's token rotated by the operator (by 0,
 *       the brand named; replace: every other session ends);
 *   "session.end" {session?} — auth.revoke / auth.logout (no session: all of them);
 *   "account.update" {password?, contact?} — auth.set_password, a new contact;
 *   "account.delete" {} — auth.delete: the account's personal data erased.
 * Tokens and passwords never travel: the accepting side made the token (given to the
 * client once) and the password's hash; records hold only hashes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "accounts.h"
#include "catalog.h"
#include "ccerr.h"
#include "changes_after.h"
#include "changes_int.h"
#include "comments.h"
#include "designs.h"
#include "logins.h"
#include "password.h"
#include "server.h"
#include "util.h"

/* The token_hash field of c as 32 bytes; -1 when missing or malformed. */
static int token_hash(const struct change *c, uint8_t out[32])
{
    const char *hex = change_str(c, "token_hash");
    return hex && strlen(hex) == 64 && !hex_decode(hex, out, 32) ? 0 : -1;
}

/* An optional string field: NULL when absent, -1 into *bad when not a string or longer
 * than max bytes. */
static const char *opt_str(const struct change *c, const char *field, size_t max, int *bad)
{
    json_t *v = json_object_get(c->args, field);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v) || json_string_length(v) > max)
        *bad = 1;
    return json_string_value(v);
}

/* Whether a record's password is a stored hash string of ours: one that is not would be
 * stored and then fail every login with `internal`, so the record is refused (the same
 * on every node). */
static int valid_hash(const char *stored)
{
    struct password_stored p;
    return password_parse(stored, &p) == 0;
}

int ch_account_create_apply(struct change *c, MDB_txn *txn, const struct store *st)
{
    const char *name = change_str(c, "name"), *role = change_str(c, "role");
    struct account_new a;
    memset(&a, 0, sizeof a);
    char why[96];
    int bad = 0;
    a.password = opt_str(c, "password", PASSWORD_HASH_LEN - 1, &bad);
    bad |= a.password && !valid_hash(a.password);
    a.contact = opt_str(c, "contact", 4 * ACCOUNT_CONTACT_MAX, &bad);
    a.device = opt_str(c, "device", 4 * ACCOUNT_DEVICE_MAX, &bad);
    if (bad || !name || account_check_name(name, why, sizeof why) || !role ||
        (strcmp(role, "member") && strcmp(role, "brand")) || token_hash(c, a.token_hash))
        return CC_EBADARGS;
    snprintf(a.name, sizeof a.name, "%s", name);
    a.role = !strcmp(role, "brand") ? ROLE_BRAND : ROLE_MEMBER;
    a.created = c->out.at;
    int rc = account_create(txn, st, &a);
    if (!rc) {
        c->out.id = a.id;
        c->out.session = a.session;
    }
    return rc;
}

void change_token_new(char token[ACCOUNT_TOKEN_LEN + 1], char hash_hex[65])
{
    uint8_t raw[ACCOUNT_TOKEN_BYTES], hash[32];
    random_bytes(raw, sizeof raw);
    hex_encode(raw, sizeof raw, token);
    OPENSSL_cleanse(raw, sizeof raw);
    sha256(token, ACCOUNT_TOKEN_LEN, hash);
    hex_encode(hash, 32, hash_hex);
}

struct change *change_account_new(const char *name, enum role role, int64_t at,
                                  char token[ACCOUNT_TOKEN_LEN + 1])
{
    char hex[65];
    change_token_new(token, hex);
    return change_new(CH_ACCOUNT_CREATE, at, 0,
                      json_pack("{ssssss}", "name", name, "role",
                                role == ROLE_BRAND ? "brand" : "member", "token_hash", hex));
}

/* The stored account of c->by, which must be a live one (not suspended, not erased):
 * CC_EUNAUTHORIZED otherwise. */
static int live_account(struct change *c, MDB_txn *txn, const struct store *st, json_t **acct)
{
    if (!c->by)
        return CC_EBADARGS;
    int rc = account_get(txn, st, c->by, acct);
    if (rc)
        return rc == CC_ENOTFOUND ? CC_EUNAUTHORIZED : rc;
    if (account_suspended(*acct) || json_is_true(json_object_get(*acct, "deleted"))) {
        json_decref(*acct);
        *acct = NULL;
        return CC_EUNAUTHORIZED;
    }
    return 0;
}

/* ---- session.create ---- */

int ch_session_create_apply(struct change *c, MDB_txn *txn, const struct store *st)
{
    uint8_t hash[32];
    int bad = 0;
    const char *device = opt_str(c, "device", 4 * ACCOUNT_DEVICE_MAX, &bad);
    if (bad || token_hash(c, hash))
        return CC_EBADARGS;
    const char *brand = change_str(c, "brand");
    json_t *acct = NULL;
    int rc;
    if (brand && !c->by) { /* the operator's rotation: the brand by its name */
        uint64_t id;
        if ((rc = account_by_name(txn, st, brand, &id)))
            return rc;
        if ((rc = account_get(txn, st, id, &acct)))
            return rc;
        if (account_role(acct) != ROLE_BRAND)
            rc = CC_EFORBIDDEN;
        c->out.id = id;
    } else {
        rc = live_account(c, txn, st, &acct);
        c->out.id = c->by;
    }
    json_decref(acct);
    if (rc)
        return rc;
    rc = session_create(txn, st, c->out.id, hash, device, c->out.at, &c->out.session,
                        &c->out.ended);
    size_t n = 0;
    if (!rc && json_is_true(json_object_get(c->args, "replace")))
        rc = session_end_all(txn, st, c->out.id, c->out.session, &n);
    return rc;
}

void ch_session_create_post(struct change *c, struct server *srv)
{
    if (c->out.ended)
        logins_close(srv, c->out.id, c->out.ended, 0, "revoked");
    if (json_is_true(json_object_get(c->args, "replace")))
        logins_close(srv, c->out.id, 0, c->out.session, "revoked");
}

/* ---- session.end ---- */

int ch_session_end_apply(struct change *c, MDB_txn *txn, const struct store *st)
{
    if (!c->by)
        return CC_EBADARGS;
    if (!json_object_get(c->args, "session")) {
        size_t n;
        return session_end_all(txn, st, c->by, 0, &n);
    }
    uint64_t session = change_id(c, "session");
    return session ? session_end(txn, st, c->by, session) : CC_EBADARGS;
}

void ch_session_end_post(struct change *c, struct server *srv)
{
    logins_close(srv, c->by, change_id(c, "session"), 0, "revoked");
}

/* ---- account.update ---- */

int ch_account_update_apply(struct change *c, MDB_txn *txn, const struct store *st)
{
    int bad = 0;
    const char *password = opt_str(c, "password", PASSWORD_HASH_LEN - 1, &bad);
    const char *contact = opt_str(c, "contact", 4 * ACCOUNT_CONTACT_MAX, &bad);
    if (bad || (password && !valid_hash(password)))
        return CC_EBADARGS;
    json_t *acct;
    int rc = live_account(c, txn, st, &acct);
    if (rc)
        return rc;
    if (contact) {
        if (contact[0])
            json_object_set_new(acct, "contact", json_string(contact));
        else
            json_object_del(acct, "contact");
        rc = account_save(txn, st, c->by, acct);
    }
    json_decref(acct);
    if (!rc && password)
        rc = account_password_put(txn, st, c->by, password);
    return rc;
}

/* ---- account.delete ---- */

int ch_account_delete_apply(struct change *c, MDB_txn *txn, const struct store *st)
{
    json_t *acct;
    int rc = live_account(c, txn, st, &acct);
    if (rc)
        return rc;
    char name[ACCOUNT_NAME_MAX + 1];
    snprintf(name, sizeof name, "deleted-%llu", (unsigned long long)c->by);
    const char *old = json_string_value(json_object_get(acct, "name"));
    rc = old ? account_rename(txn, st, c->by, old, name) : CC_EINTERNAL;
    if (!rc) {
        json_object_set_new(acct, "name", json_string(name));
        json_object_del(acct, "contact");
        json_object_set_new(acct, "deleted", json_true());
        rc = account_save(txn, st, c->by, acct);
    }
    json_decref(acct);
    size_t n;
    if (!rc)
        rc = account_password_put(txn, st, c->by, NULL);
    if (!rc)
        rc = session_end_all(txn, st, c->by, 0, &n);
    if (!rc)
        rc = comment_rename_author(txn, st, c->by, name);
    /* Its designs: withdrawn, unless the brand already chose them (winner and later:
     * they stay, credited to the erased name). */
    uint64_t *ids = NULL;
    size_t nids = 0;
    if (!rc)
        rc = design_by_creator(txn, st, c->by, &ids, &nids);
    free(c->out.ids);
    c->out.ids = xmalloc((nids ? nids : 1) * sizeof *ids);
    c->out.nids = 0;
    for (size_t i = 0; !rc && i < nids; i++) {
        json_t *rec;
        if ((rc = design_load(txn, st, ids[i], &rec)))
            break;
        json_object_set_new(rec, "creator_name", json_string(name));
        rc = design_save(txn, st, ids[i], rec);
        json_decref(rec);
        int w = rc ? rc : design_withdraw(txn, st, ids[i], c->by, c->out.at);
        if (!w)
            c->out.ids[c->out.nids++] = ids[i];
        else if (w != CC_ECONFLICT)
            rc = w;
    }
    free(ids);
    return rc;
}

void ch_account_delete_post(struct change *c, struct server *srv)
{
    logins_close(srv, c->by, 0, 0, "account deleted");
    for (size_t i = 0; i < c->out.nids; i++) {
        struct dmem *d = catalog_design(srv->catalog, c->out.ids[i]);
        if (d)
            after_withdrawn(srv, d);
    }
    char name[ACCOUNT_NAME_MAX + 1];
    snprintf(name, sizeof name, "deleted-%llu", (unsigned long long)c->by);
    after_account_renamed(srv, c->by, name);
}
