/* Fuzz target `password`: server/password.c's parsing, which reads what logins compare
 * against — the stored hash strings (from LMDB, and from account records of the journal
 * and the cluster stream, whose applies refuse one that does not parse) — and the text
 * rule of passwords. The input is a stored string, a newline, then a password (up to a
 * NUL). The promises checked:
 * - password_parse accepts exactly what password_format writes (the string formats back
 *   to itself), with its cost inside the bounds of password.h;
 * - password_verify of a string that parses, at a cost cheap enough to compute here,
 *   matches or not (never `internal`), and of one that does not is `internal`;
 * - password_check accepts exactly the valid UTF-8 (libunistring's u8_check, another
 *   decoder than ours) of 10 to 200 characters;
 * - a password it accepts, hashed (at argon2's least cost), parses and verifies, and the
 *   same password with its last byte changed does not. */
#include <stdlib.h>
#include <string.h>

#include <unistr.h>

#include "ccerr.h"
#include "fuzz.h"
#include "password.h"
#include "util.h"

/* Costs this target computes: argon2 at most 2 passes over 64 KiB. */
static int cheap(const struct password_cost *c)
{
    return c->t <= 2 && c->p <= 2 && c->m_kib <= 64;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = xmalloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    char *nl = strchr(text, '\n');
    const char *stored = text, *pw = nl ? nl + 1 : "";
    if (nl)
        *nl = '\0';

    struct password_stored p;
    int rc = password_parse(stored, &p);
    FUZZ_CHECK(rc == 0 || rc == CC_EINTERNAL);
    if (!rc) {
        char again[PASSWORD_HASH_LEN];
        password_format(&p, again);
        FUZZ_CHECK(!strcmp(again, stored));
        FUZZ_CHECK(p.cost.t >= 1 && p.cost.t <= PASSWORD_T_MAX);
        FUZZ_CHECK(p.cost.p >= 1 && p.cost.p <= PASSWORD_P_MAX);
        FUZZ_CHECK(p.cost.m_kib >= 8 * p.cost.p && p.cost.m_kib <= PASSWORD_M_KIB_MAX);
        if (cheap(&p.cost)) {
            rc = password_verify(pw, stored);
            FUZZ_CHECK(rc == 0 || rc == CC_EUNAUTHORIZED);
        }
    } else {
        FUZZ_CHECK(password_verify(pw, stored) == CC_EINTERNAL);
    }

    struct jargs_err e;
    size_t len = strlen(pw);
    int valid = u8_check((const uint8_t *)pw, len) == NULL;
    size_t chars = valid ? u8_mbsnlen((const uint8_t *)pw, len) : 0;
    int ok = valid && chars >= PASSWORD_MIN && chars <= PASSWORD_MAX;
    rc = password_check(pw, NULL, &e);
    FUZZ_CHECK(rc == (ok ? 0 : CC_EBADARGS));
    FUZZ_CHECK(!strcmp(e.field, "password") && (ok || e.why[0]));
    if (ok) {
        static const struct password_cost least = {1, 8, 1};
        char hash[PASSWORD_HASH_LEN];
        FUZZ_CHECK(password_hash(pw, &least, hash) == 0);
        FUZZ_CHECK(password_parse(hash, &p) == 0);
        FUZZ_CHECK(password_verify(pw, hash) == 0);
        char *other = xstrdup(pw);
        other[len - 1] = other[len - 1] == 'x' ? 'y' : 'x';
        FUZZ_CHECK(password_verify(other, hash) == CC_EUNAUTHORIZED);
        free(other);
    }
    free(text);
    return 0;
}
