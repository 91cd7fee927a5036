/* benchlib: what the benchmark programs share — a latency histogram with percentiles,
 * a scanner for the top-level fields of a SPEC §4 reply, a key finder for the few
 * nested values a benchmark checks (`have`, `hearts`, ...), a PRNG, run ids, reading
 * a process's memory from /proc, and throw-away LMDB directories. Single-threaded use,
 * no allocation. */
#ifndef CC_BENCHLIB_H
#define CC_BENCHLIB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- latency histogram ----
 * Log-linear over microseconds: values below HIST_SUB are exact, above that every
 * power of two is cut into HIST_SUB/2 buckets (relative error < 2/HIST_SUB ≈ 3 %). */
#define HIST_SUB_BITS 6
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_BUCKETS (HIST_SUB + (32 - HIST_SUB_BITS) * (HIST_SUB / 2))

struct hist {
    uint64_t n[HIST_BUCKETS];
    uint64_t count, max;
};

/* Adds one value in microseconds. */
void hist_add(struct hist *h, uint64_t us);
/* Adds the same value k times. */
void hist_add_n(struct hist *h, uint64_t us, uint64_t k);
/* The q-quantile (0..1) in milliseconds; 0 when empty. */
double hist_quantile_ms(const struct hist *h, double q);

/* ---- replies ----
 * Only what counting needs: the top-level "id", "ok", "ev" and error.code. */
struct reply {
    int has_id;
    long long id;
    int ok; /* 1 true, 0 false, -1 absent */
    int is_event;
    char code[32];
};

/* Fills r from the JSON object in s[0, len). Returns 0, or -1 when it is malformed. */
int scan_reply(const char *s, size_t len, struct reply *r);

/* The value after the first `"key":` in s[0, len) (any depth), or NULL. Good enough
 * for keys that occur once in the messages a benchmark reads. */
const char *find_key(const char *s, size_t len, const char *key);
/* The integer value of find_key, or dflt when absent or not a number. */
long long find_int(const char *s, size_t len, const char *key, long long dflt);
/* Copies the string value of find_key (without quotes, no unescaping) into out.
 * Returns 0, or -1 when absent, not a string or too long. */
int find_string(const char *s, size_t len, const char *key, char *out, size_t outlen);

/* ---- error replies, by code ---- */
#define ERRCOUNT_CODES 16 /* distinct codes remembered (SPEC §4 has 13) */

struct errcount {
    uint64_t total;
    int n;
    struct {
        char code[32];
        uint64_t n;
    } codes[ERRCOUNT_CODES];
};

/* Counts one error with this code (an error code, or a parenthesised description). */
void errcount_add(struct errcount *e, const char *code);
/* Writes `"errors":N,"error_codes":{"code":n,...}` (for a JSON line). */
void errcount_json(const struct errcount *e, FILE *f);
/* Writes `N error replies (code ×n, ...)` (for people). */
void errcount_text(const struct errcount *e, FILE *f);

/* ---- misc ---- */

/* xorshift64*: fast, good enough for picking designs and offsets. *s must not be 0. */
uint64_t bench_rand(uint64_t *s);
/* A short [a-z0-9] id (6 characters) from the clock and the pid, to make the names
 * a run registers unique. */
void bench_run_id(char *out, size_t len);
/* Parses a port list "P[,P...]" (each 1..65535) into ports (at most max). Returns how
 * many, or -1 when s is not such a list or has more than max. */
int bench_parse_ports(const char *s, int *ports, int max);
/* Makes a new directory parent/name.XXXXXX (mkdtemp) for a throw-away LMDB
 * environment and writes its path into out. Returns 0, or -1 with errno set. */
int bench_lmdb_tmpdir(char *out, size_t len, const char *parent, const char *name);
/* Removes such a directory: its data.mdb and lock.mdb, then itself. */
void bench_lmdb_rmdir(const char *dir);
/* Resident and anonymous resident memory of process pid in KiB (VmRSS, RssAnon of
 * /proc/PID/status). Returns 0, or -1 when the process is gone. */
int proc_memory_kib(int pid, long *rss_kib, long *anon_kib);
/* CPU time (user + system) this process has used so far, in microseconds (getrusage):
 * a load generator's own cost, read at the ends of its measured window. */
uint64_t bench_cpu_us(void);

#endif
