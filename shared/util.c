/* Implementation of util.h. */
#include "util.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void oom(size_t n)
{
    fprintf(stderr, "cocreate: out of memory allocating %zu bytes\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

void *xgrow_zeroed(void *p, size_t *n, size_t index, size_t size, size_t first)
{
    if (index < *n)
        return p;
    size_t cap = *n ? *n : first;
    while (cap <= index)
        cap *= 2;
    p = xrealloc(p, cap * size);
    memset((char *)p + *n * size, 0, (cap - *n) * size);
    *n = cap;
    return p;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = xmalloc(n);
    memcpy(p, s, n);
    return p;
}

void ccbuf_init(struct ccbuf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
}

void ccbuf_free(struct ccbuf *b)
{
    free(b->data);
    ccbuf_init(b);
}

uint8_t *ccbuf_reserve(struct ccbuf *b, size_t n)
{
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < n)
            cap *= 2;
        b->data = xrealloc(b->data, cap);
        b->cap = cap;
    }
    return b->data + b->len;
}

void ccbuf_append_grow(struct ccbuf *b, const void *p, size_t n)
{
    memcpy(ccbuf_reserve(b, n), p, n);
    b->len += n;
}

void ccbuf_append_u64(struct ccbuf *b, uint64_t v)
{
    char buf[24], *p = buf + sizeof buf;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    ccbuf_append(b, p, (size_t)(buf + sizeof buf - p));
}

void ccbuf_append_i64(struct ccbuf *b, int64_t v)
{
    if (v < 0)
        ccbuf_append(b, "-", 1);
    ccbuf_append_u64(b, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
}

void str_copy(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void hex_encode(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int hex_decode(const char *in, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(in[2 * i]), lo = hi < 0 ? -1 : hexval(in[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

/* SHA-256 looked up once: EVP_sha256() makes OpenSSL 3 find the algorithm again on
 * every digest (~0.4 us, a lock and a hash lookup). Kept until exit. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void sha256(const void *p, size_t n, uint8_t out[CC_SHA256_LEN])
{
    unsigned int len = CC_SHA256_LEN;
    pthread_once(&sha256_once, sha256_fetch);
    if (!sha256_md || !EVP_Digest(p, n, out, &len, sha256_md, NULL)) {
        fprintf(stderr, "cocreate: SHA-256 failed\n");
        abort();
    }
}

void random_bytes(void *buf, size_t n)
{
    if (RAND_bytes(buf, (int)n) != 1) {
        fprintf(stderr, "cocreate: the random number generator failed\n");
        abort();
    }
}

int64_t now_unix(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

uint64_t now_ms_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int utf8_decode(const uint8_t *s, size_t len, uint32_t *cp)
{
    if (!len)
        return 0;
    uint8_t b = s[0];
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    int n;
    uint32_t v, min;
    if (b >= 0xC2 && b <= 0xDF)
        n = 2, v = b & 0x1Fu, min = 0x80;
    else if (b >= 0xE0 && b <= 0xEF)
        n = 3, v = b & 0x0Fu, min = 0x800;
    else if (b >= 0xF0 && b <= 0xF4)
        n = 4, v = b & 0x07u, min = 0x10000;
    else
        return 0; /* a continuation byte, C0/C1 (always overlong) or F5–FF */
    if (len < (size_t)n)
        return 0;
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3Fu);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

long utf8_count(const char *s, size_t len, size_t *bad)
{
    const uint8_t *p = (const uint8_t *)s;
    long count = 0;
    for (size_t i = 0; i < len; count++) {
        uint32_t cp;
        int n = utf8_decode(p + i, len - i, &cp);
        if (!n) {
            if (bad)
                *bad = i;
            return -1;
        }
        i += (size_t)n;
    }
    return count;
}

void put_be64(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)v;
        v >>= 8;
    }
}

uint64_t get_be64(const uint8_t in[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | in[i];
    return v;
}

void put_be32(uint8_t out[4], uint32_t v)
{
    out[0] = (uint8_t)(v >> 24);
    out[1] = (uint8_t)(v >> 16);
    out[2] = (uint8_t)(v >> 8);
    out[3] = (uint8_t)v;
}

uint32_t get_be32(const uint8_t in[4])
{
    return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
}
