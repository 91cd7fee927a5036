/* benchlib: see benchlib.h. */
#define _GNU_SOURCE /* memmem */
#include "benchlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* ---- latency histogram ---- */

static unsigned hist_index(uint32_t v)
{
    if (v < HIST_SUB)
        return v;
    unsigned msb = 31 - (unsigned)__builtin_clz(v);
    unsigned shift = msb - (HIST_SUB_BITS - 1);
    return HIST_SUB + (shift - 1) * (HIST_SUB / 2) + ((v >> shift) - HIST_SUB / 2);
}

/* The middle of bucket i, in microseconds. */
static double hist_value(unsigned i)
{
    if (i < HIST_SUB)
        return i;
    unsigned shift = (i - HIST_SUB) / (HIST_SUB / 2) + 1;
    unsigned sub = (i - HIST_SUB) % (HIST_SUB / 2) + HIST_SUB / 2;
    return ((double)sub + 0.5) * (double)(1u << shift);
}

void hist_add_n(struct hist *h, uint64_t us, uint64_t k)
{
    if (!k)
        return;
    uint32_t v = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
    h->n[hist_index(v)] += k;
    h->count += k;
    if (us > h->max)
        h->max = us;
}

void hist_add(struct hist *h, uint64_t us)
{
    hist_add_n(h, us, 1);
}

double hist_quantile_ms(const struct hist *h, double q)
{
    if (!h->count)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)(h->count - 1)) + 1, seen = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        seen += h->n[i];
        if (seen >= rank)
            return hist_value(i) / 1000.0;
    }
    return (double)h->max / 1000.0;
}

/* ---- reply scanning ---- */

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* Skips a string starting at its opening quote; returns just past the closing quote,
 * or NULL when it does not end. memchr to each quote, then the backslashes before it
 * decide whether it is escaped: replies can carry strings of kilobytes (echod
 * --reply-bytes), and a byte loop over them cost the client ~6 µs per 9 KB reply (now
 * ~0.15 µs), which made loadgen, not the server, the limit of such a run. */
static const char *skip_string(const char *p, const char *end)
{
    const char *start = ++p;
    while (p < end) {
        const char *q = memchr(p, '"', (size_t)(end - p)), *b;
        if (!q)
            return NULL;
        for (b = q; b > start && b[-1] == '\\'; b--)
            ;
        if ((q - b) % 2 == 0)
            return q + 1;
        p = q + 1;
    }
    return NULL;
}

/* Skips one JSON value; returns just past it, or NULL when malformed. */
static const char *skip_value(const char *p, const char *end)
{
    p = skip_ws(p, end);
    if (p >= end)
        return NULL;
    if (*p == '"')
        return skip_string(p, end);
    if (*p != '{' && *p != '[') {
        while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ')
            p++;
        return p;
    }
    int depth = 0;
    while (p < end) {
        if (*p == '"') {
            if (!(p = skip_string(p, end)))
                return NULL;
            continue;
        }
        if (*p == '{' || *p == '[')
            depth++;
        else if ((*p == '}' || *p == ']') && --depth == 0)
            return p + 1;
        p++;
    }
    return NULL;
}

/* Walks the members of the object at p, calling member() with each key (the bytes
 * between the quotes) and a pointer to its value. Returns 0, or -1 when malformed. */
static int scan_object(const char *p, const char *end,
                       void (*member)(const char *key, size_t klen, const char *val,
                                      const char *end, void *arg),
                       void *arg)
{
    p = skip_ws(p, end);
    if (p >= end || *p != '{')
        return -1;
    p = skip_ws(p + 1, end);
    while (p < end && *p != '}') {
        if (*p != '"')
            return -1;
        const char *k = p + 1, *kend = skip_string(p, end);
        if (!kend)
            return -1;
        p = skip_ws(kend, end);
        if (p >= end || *p != ':')
            return -1;
        const char *val = skip_ws(p + 1, end);
        member(k, (size_t)(kend - 1 - k), val, end, arg);
        if (!(p = skip_value(val, end)))
            return -1;
        p = skip_ws(p, end);
        if (p < end && *p == ',')
            p = skip_ws(p + 1, end);
    }
    return p < end ? 0 : -1;
}

static int key_is(const char *k, size_t klen, const char *name)
{
    return strlen(name) == klen && !memcmp(k, name, klen);
}

static void error_member(const char *k, size_t klen, const char *val, const char *end,
                         void *arg)
{
    struct reply *r = arg;
    const char *e;
    if (!key_is(k, klen, "code") || *val != '"' || !(e = skip_string(val, end)))
        return;
    snprintf(r->code, sizeof r->code, "%.*s", (int)(e - val - 2), val + 1);
}

static void reply_member(const char *k, size_t klen, const char *val, const char *end,
                         void *arg)
{
    struct reply *r = arg;
    if (key_is(k, klen, "id")) {
        char *e;
        errno = 0;
        long long id = strtoll(val, &e, 10);
        if (e != val && !errno) {
            r->has_id = 1;
            r->id = id;
        }
    } else if (key_is(k, klen, "ok")) {
        r->ok = end - val >= 4 && !memcmp(val, "true", 4);
    } else if (key_is(k, klen, "ev")) {
        r->is_event = 1;
    } else if (key_is(k, klen, "error")) {
        scan_object(val, end, error_member, r);
    }
}

int scan_reply(const char *s, size_t len, struct reply *r)
{
    memset(r, 0, sizeof *r);
    r->ok = -1;
    return scan_object(s, s + len, reply_member, r);
}

const char *find_key(const char *s, size_t len, const char *key)
{
    char pat[64];
    int n = snprintf(pat, sizeof pat, "\"%s\":", key);
    if (n <= 0 || (size_t)n >= sizeof pat)
        return NULL;
    const char *p = memmem(s, len, pat, (size_t)n);
    return p ? p + n : NULL;
}

long long find_int(const char *s, size_t len, const char *key, long long dflt)
{
    const char *v = find_key(s, len, key);
    if (!v)
        return dflt;
    char *e;
    long long x = strtoll(v, &e, 10);
    return e == v ? dflt : x;
}

int find_string(const char *s, size_t len, const char *key, char *out, size_t outlen)
{
    const char *v = find_key(s, len, key), *end = s + len;
    if (!v || v >= end || *v != '"')
        return -1;
    const char *q = memchr(v + 1, '"', (size_t)(end - v - 1));
    if (!q || (size_t)(q - v - 1) >= outlen)
        return -1;
    memcpy(out, v + 1, (size_t)(q - v - 1));
    out[q - v - 1] = '\0';
    return 0;
}

/* ---- error replies ---- */

void errcount_add(struct errcount *e, const char *code)
{
    e->total++;
    for (int i = 0; i < e->n; i++)
        if (!strcmp(e->codes[i].code, code)) {
            e->codes[i].n++;
            return;
        }
    if (e->n == ERRCOUNT_CODES)
        return;
    snprintf(e->codes[e->n].code, sizeof e->codes[0].code, "%s", code);
    e->codes[e->n++].n = 1;
}

void errcount_json(const struct errcount *e, FILE *f)
{
    fprintf(f, "\"errors\":%llu,\"error_codes\":{", (unsigned long long)e->total);
    for (int i = 0; i < e->n; i++)
        fprintf(f, "%s\"%s\":%llu", i ? "," : "", e->codes[i].code,
                (unsigned long long)e->codes[i].n);
    fputc('}', f);
}

void errcount_text(const struct errcount *e, FILE *f)
{
    fprintf(f, "%llu error replies", (unsigned long long)e->total);
    for (int i = 0; i < e->n; i++)
        fprintf(f, "%s%s ×%llu", i ? ", " : " (", e->codes[i].code,
                (unsigned long long)e->codes[i].n);
    if (e->n)
        fputc(')', f);
}

/* ---- misc ---- */

uint64_t bench_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

void bench_run_id(char *out, size_t len)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t v = ((uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000) ^
                 ((uint64_t)getpid() << 20);
    size_t i = 0;
    while (i < 6 && i + 1 < len) {
        out[i++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
        v /= 36;
    }
    out[i] = '\0';
}

int bench_parse_ports(const char *s, int *ports, int max)
{
    int n = 0;
    for (;;) {
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (end == s || errno || v < 1 || v > 65535 || n >= max || (*end && *end != ','))
            return -1;
        ports[n++] = (int)v;
        if (!*end)
            return n;
        s = end + 1;
    }
}

int bench_lmdb_tmpdir(char *out, size_t len, const char *parent, const char *name)
{
    int n = snprintf(out, len, "%s/%s.XXXXXX", parent, name);
    if (n < 0 || (size_t)n >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return mkdtemp(out) ? 0 : -1;
}

void bench_lmdb_rmdir(const char *dir)
{
    static const char *const files[] = {"data.mdb", "lock.mdb"};
    char path[4200];
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

int proc_memory_kib(int pid, long *rss_kib, long *anon_kib)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    *rss_kib = *anon_kib = -1;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "VmRSS:", 6))
            *rss_kib = strtol(line + 6, NULL, 10);
        else if (!strncmp(line, "RssAnon:", 8))
            *anon_kib = strtol(line + 8, NULL, 10);
    }
    fclose(f);
    return *rss_kib < 0 ? -1 : 0;
}

uint64_t bench_cpu_us(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru))
        return 0;
    return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
           (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}
