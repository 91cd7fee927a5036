/* argon2id password hashes. See password.h. */
#include "password.h"

#include <argon2.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ccerr.h"
#include "util.h"

#define SALT_BYTES 16
#define HASH_BYTES 32

const struct password_cost password_cost_default = {3, 64 * 1024, 1};
const struct password_cost password_cost_low = {1, 1024, 1};

int password_check(const char *pw, const char *field, struct jargs_err *e)
{
    size_t len = strlen(pw), chars = 0, i = 0;
    e->field = field ? field : "password";
    while (i < len) {
        uint32_t cp;
        int n = utf8_decode((const uint8_t *)pw + i, len - i, &cp);
        if (!n) {
            snprintf(e->why, sizeof e->why, "must be valid UTF-8");
            return CC_EBADARGS;
        }
        chars++;
        i += (size_t)n;
    }
    if (chars < PASSWORD_MIN || chars > PASSWORD_MAX) {
        snprintf(e->why, sizeof e->why, "must be %d to %d characters long", PASSWORD_MIN,
                 PASSWORD_MAX);
        return CC_EBADARGS;
    }
    return 0;
}

static int derive(const char *pw, const struct password_cost *c, const uint8_t *salt,
                  uint8_t out[HASH_BYTES])
{
    return argon2id_hash_raw(c->t, c->m_kib, c->p, pw, strlen(pw), salt, SALT_BYTES, out,
                             HASH_BYTES) == ARGON2_OK
               ? 0
               : CC_EINTERNAL;
}

int password_hash(const char *pw, const struct password_cost *cost, char out[PASSWORD_HASH_LEN])
{
    uint8_t salt[SALT_BYTES], hash[HASH_BYTES];
    char salt_hex[2 * SALT_BYTES + 1], hash_hex[2 * HASH_BYTES + 1];
    random_bytes(salt, sizeof salt);
    if (derive(pw, cost, salt, hash))
        return CC_EINTERNAL;
    hex_encode(salt, sizeof salt, salt_hex);
    hex_encode(hash, sizeof hash, hash_hex);
    OPENSSL_cleanse(hash, sizeof hash);
    snprintf(out, PASSWORD_HASH_LEN, "argon2id$m=%" PRIu32 ",t=%" PRIu32 ",p=%" PRIu32 "$%s$%s",
             cost->m_kib, cost->t, cost->p, salt_hex, hash_hex);
    return 0;
}

int password_verify(const char *pw, const char *stored)
{
    struct password_cost c;
    char salt_hex[2 * SALT_BYTES + 1], hash_hex[2 * HASH_BYTES + 1];
    uint8_t salt[SALT_BYTES], want[HASH_BYTES], got[HASH_BYTES];
    int used = 0;
    if (sscanf(stored, "argon2id$m=%" SCNu32 ",t=%" SCNu32 ",p=%" SCNu32 "$%32[0-9a-f]$%64[0-9a-f]%n",
               &c.m_kib, &c.t, &c.p, salt_hex, hash_hex, &used) != 5 ||
        stored[used] || strlen(salt_hex) != 2 * SALT_BYTES || strlen(hash_hex) != 2 * HASH_BYTES ||
        hex_decode(salt_hex, salt, sizeof salt) || hex_decode(hash_hex, want, sizeof want) ||
        c.t < 1 || c.t > 64 || c.p < 1 || c.p > 16 || c.m_kib < 8 * c.p ||
        c.m_kib > 4 * 1024 * 1024)
        return CC_EINTERNAL;
    if (derive(pw, &c, salt, got))
        return CC_EINTERNAL;
    int same = CRYPTO_memcmp(got, want, HASH_BYTES) == 0;
    OPENSSL_cleanse(got, sizeof got);
    return same ? 0 : CC_EUNAUTHORIZED;
}
