/* Implementation of auditlog.h. */
#include "auditlog.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

static int has_real(const json_t *v)
{
    if (json_is_real(v))
        return 1;
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x)
            if (has_real(x))
                return 1;
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
            if (has_real(x))
                return 1;
    }
    return 0;
}

char *auditlog_canonical(const json_t *entry, size_t *len)
{
    if (!json_is_object(entry) || has_real(entry))
        return NULL;
    char *s = json_dumps(entry, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    if (s)
        *len = strlen(s);
    return s;
}

void auditlog_hash(const uint8_t prev[32], const void *canon, size_t len, uint8_t out[32])
{
    uint8_t stack[1024];
    uint8_t *buf = 32 + len <= sizeof stack ? stack : xmalloc(32 + len);
    memcpy(buf, prev, 32);
    memcpy(buf + 32, canon, len);
    sha256(buf, 32 + len, out);
    if (buf != stack)
        free(buf);
}

size_t auditlog_line(const char *canon, size_t len, const uint8_t hash[32], char *out)
{
    memcpy(out, canon, len - 1);
    char *p = out + len - 1;
    memcpy(p, ",\"hash\":\"", 9);
    hex_encode(hash, 32, p + 9);
    memcpy(p + 73, "\"}", 2);
    return len - 1 + AUDITLOG_HASH_SUFFIX;
}

int auditlog_unline(const char *line, size_t len, char *canon, size_t *clen, uint8_t hash[32])
{
    if (len < AUDITLOG_HASH_SUFFIX + 2 || line[0] != '{')
        return -1;
    const char *p = line + len - AUDITLOG_HASH_SUFFIX;
    if (memcmp(p, ",\"hash\":\"", 9) || memcmp(p + 73, "\"}", 2))
        return -1;
    for (int i = 9; i < 73; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
            return -1;
    if (hex_decode(p + 9, hash, 32))
        return -1;
    size_t n = len - AUDITLOG_HASH_SUFFIX;
    memcpy(canon, line, n);
    canon[n] = '}';
    canon[n + 1] = '\0';
    *clen = n + 1;
    return 0;
}
