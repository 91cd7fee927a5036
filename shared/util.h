/* Small helpers every module uses: allocation that aborts on OOM, a growable byte
 * buffer, hex, SHA-256 and secure random bytes (OpenSSL libcrypto). */
#ifndef CC_UTIL_H
#define CC_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CC_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

/* Allocation for small, bounded sizes: aborts the process on out-of-memory. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* Grows array p of *n elements of size bytes so that it holds element index: *n doubled
 * (from first when 0) until past it, the new elements zeroed. Returns the array (p when
 * it held index already); aborts on OOM. */
void *xgrow_zeroed(void *p, size_t *n, size_t index, size_t size, size_t first);

/* A growable byte buffer. init/free pair; free is safe on a zeroed buffer. */
struct ccbuf {
    uint8_t *data;
    size_t len;
    size_t cap;
};
void ccbuf_init(struct ccbuf *b);
void ccbuf_free(struct ccbuf *b);
/* Ensures room for n more bytes; aborts on OOM. Returns a pointer to data + len. */
uint8_t *ccbuf_reserve(struct ccbuf *b, size_t n);
void ccbuf_append_grow(struct ccbuf *b, const void *p, size_t n); /* ccbuf_append's */
/* Appends p[0..n). Inline: a page of designs makes ~300 appends, most of them literal
 * strings whose length the compiler knows, and the buffer has room for nearly all. */
static inline void ccbuf_append(struct ccbuf *b, const void *p, size_t n)
{
    if (n <= b->cap - b->len) {
        if (n)
            memcpy(b->data + b->len, p, n);
        b->len += n;
    } else {
        ccbuf_append_grow(b, p, n);
    }
}
/* Appends the decimal digits of v (no printf: for JSON written on hot paths). */
void ccbuf_append_u64(struct ccbuf *b, uint64_t v);
/* Appends v in decimal, with a minus sign when negative. */
void ccbuf_append_i64(struct ccbuf *b, int64_t v);
/* Appends the NUL-terminated string s (without its NUL). */
static inline void ccbuf_append_str(struct ccbuf *b, const char *s)
{
    ccbuf_append(b, s, strlen(s));
}

/* Asks for the cache line holding p, to be read soon. __builtin_prefetch alone is not
 * enough in a function that does nothing else: GCC counts it no side effect, finds the
 * function pure and drops its calls. The empty asm is one it may not drop. */
static inline void prefetch(const void *p)
{
    __builtin_prefetch(p);
    __asm__ volatile("" : : "r"(p));
}

/* Writes 2*n lowercase hex chars and a NUL into out (size ≥ 2*n + 1). */
void hex_encode(const uint8_t *in, size_t n, char *out);
/* Copies the string src into dst of cap bytes (cap > 0), cut to cap - 1 bytes as
 * snprintf's "%s" would cut it, without printf's cost. */
void str_copy(char *dst, size_t cap, const char *src);
/* Decodes exactly 2*n hex chars (either case) into out. Returns 0 or -1 if malformed. */
int hex_decode(const char *in, uint8_t *out, size_t n);

#define CC_SHA256_LEN 32
void sha256(const void *p, size_t n, uint8_t out[CC_SHA256_LEN]);
/* Fills buf with n cryptographically secure random bytes; aborts if the RNG fails. */
void random_bytes(void *buf, size_t n);

/* Current wall-clock time in Unix seconds and in milliseconds. */
int64_t now_unix(void);
uint64_t now_ms_monotonic(void);

/* UTF-8 (RFC 3629). utf8_decode reads one Unicode scalar value from s (len bytes
 * available) into *cp and returns its length in bytes (1–4), or 0 if the bytes there
 * are not one: a stray continuation byte, a truncated sequence, an overlong form, a
 * surrogate (U+D800–U+DFFF) or a code point past U+10FFFF. */
int utf8_decode(const uint8_t *s, size_t len, uint32_t *cp);
/* The number of scalar values in s (len bytes), or -1 if s is not valid UTF-8 (then
 * *bad, if not NULL, gets the offset of the first invalid byte). */
long utf8_count(const char *s, size_t len, size_t *bad);

/* Big-endian u64 (for LMDB keys that sort numerically). */
void put_be64(uint8_t out[8], uint64_t v);
uint64_t get_be64(const uint8_t in[8]);
void put_be32(uint8_t out[4], uint32_t v);
uint32_t get_be32(const uint8_t in[4]);

#endif
