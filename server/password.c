/* argon2id password hashes. See password.h. */
#include "password.h"

#include <argon2.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ccerr.h"
#include "util.h"

const struct password_cost password_cost_default = {3, 64 * 1024, 1};
const struct password_cost password_cost_low = {1, 1024, 1};

/* Reads the decimal number at *s (no sign, no leading zero, at most max) up to the
 * character end, moving *s past end. 0 or -1. */
static int read_u32(const char **s, char end, uint32_t max, uint32_t *out)
{
    const char *p = *s;
    uint64_t v = 0;
    size_t n = 0;
    while (p[n] >= '0' && p[n] <= '9' && n < 11)
        v = v * 10 + (uint64_t)(p[n++] - '0');
    if (!n || (p[0] == '0' && n > 1) || p[n] != end || v > max)
        return -1;
    *out = (uint32_t)v;
    *s = p + n + 1;
    return 0;
}

/* Reads 2*n lowercase hex digits at *s up to the character end (NUL: the string's end),
 * moving *s past them. 0 or -1. */
static int read_hex(const char **s, char end, uint8_t *out, size_t n)
{
    const char *p = *s;
    if (strspn(p, "0123456789abcdef") != 2 * n || p[2 * n] != end || hex_decode(p, out, n))
        return -1;
    *s = p + 2 * n + (end ? 1 : 0);
    return 0;
}

int password_parse(const char *stored, struct password_stored *out)
{
    static const char tag[] = "argon2id$m=";
    struct password_cost *c = &out->cost;
    const char *s = stored;
    if (strncmp(s, tag, sizeof tag - 1))
        return CC_EINTERNAL;
    s += sizeof tag - 1;
    if (read_u32(&s, ',', PASSWORD_M_KIB_MAX, &c->m_kib) || strncmp(s, "t=", 2))
        return CC_EINTERNAL;
    s += 2;
    if (read_u32(&s, ',', PASSWORD_T_MAX, &c->t) || strncmp(s, "p=", 2))
        return CC_EINTERNAL;
    s += 2;
    if (read_u32(&s, '$', PASSWORD_P_MAX, &c->p) ||
        read_hex(&s, '$', out->salt, PASSWORD_SALT_BYTES) ||
        read_hex(&s, '\0', out->hash, PASSWORD_HASH_BYTES) || *s)
        return CC_EINTERNAL;
    /* argon2: at least one pass and lane, and 8 KiB of memory per lane */
    if (c->t < 1 || c->p < 1 || c->m_kib < 8 * c->p)
        return CC_EINTERNAL;
    return 0;
}

void password_format(const struct password_stored *p, char out[PASSWORD_HASH_LEN])
{
    char salt_hex[2 * PASSWORD_SALT_BYTES + 1], hash_hex[2 * PASSWORD_HASH_BYTES + 1];
    hex_encode(p->salt, sizeof p->salt, salt_hex);
    hex_encode(p->hash, sizeof p->hash, hash_hex);
    snprintf(out, PASSWORD_HASH_LEN, "argon2id$m=%" PRIu32 ",t=%" PRIu32 ",p=%" PRIu32 "$%s$%s",
             p->cost.m_kib, p->cost.t, p->cost.p, salt_hex, hash_hex);
    OPENSSL_cleanse(hash_hex, sizeof hash_hex);
}

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
                  uint8_t out[PASSWORD_HASH_BYTES])
{
    return argon2id_hash_raw(c->t, c->m_kib, c->p, pw, strlen(pw), salt, PASSWORD_SALT_BYTES, out,
                             PASSWORD_HASH_BYTES) == ARGON2_OK
               ? 0
               : CC_EINTERNAL;
}

int password_hash(const char *pw, const struct password_cost *cost, char out[PASSWORD_HASH_LEN])
{
    struct password_stored p = {.cost = *cost};
    random_bytes(p.salt, sizeof p.salt);
    if (derive(pw, cost, p.salt, p.hash))
        return CC_EINTERNAL;
    password_format(&p, out);
    OPENSSL_cleanse(p.hash, sizeof p.hash);
    return 0;
}

int password_verify(const char *pw, const char *stored)
{
    struct password_stored p;
    uint8_t got[PASSWORD_HASH_BYTES];
    if (password_parse(stored, &p) || derive(pw, &p.cost, p.salt, got))
        return CC_EINTERNAL;
    int same = CRYPTO_memcmp(got, p.hash, PASSWORD_HASH_BYTES) == 0;
    OPENSSL_cleanse(got, sizeof got);
    return same ? 0 : CC_EUNAUTHORIZED;
}
