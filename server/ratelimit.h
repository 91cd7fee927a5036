/* Rate limits (SPEC §6 Abuse): token buckets per account and per remote address for
 * registrations, uploads, votes and comments, with flag-configurable rules and
 * bounded memory. A rule "N/PERIOD" is a bucket of N tokens that refills at N per
 * PERIOD; one request takes one token. Buckets are kept in their equivalent one-number
 * form (GCRA, "virtual scheduling"): the time at which the bucket will be full again.
 * A bucket that is full again is the same as no bucket, so it is dropped; each table
 * holds at most table_max buckets. Times are milliseconds of one clock the caller
 * passes (monotonic in production, the test clock under --test-clock).
 * Thread use: loop thread only. */
#ifndef CC_RATELIMIT_H
#define CC_RATELIMIT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* RATE_LOGINS counts failed logins only (ratelimit_check before, ratelimit_take after a
 * failure): a person who signs in never uses it up, a guesser soon does. */
enum rate_kind {
    RATE_REGISTRATIONS,
    RATE_UPLOADS,
    RATE_VOTES,
    RATE_COMMENTS,
    RATE_LOGINS,
    RATE_KINDS
};
enum rate_scope { RATE_ACCOUNT, RATE_ADDRESS, RATE_SCOPES };

/* Bounds of a rule (docs/protocol.md): count 1..RATE_COUNT_MAX per a period of
 * 1 s .. RATE_PERIOD_MAX_S. */
#define RATE_COUNT_MAX 1000000u
#define RATE_PERIOD_MAX_S (7u * 24 * 3600)
/* Default bound of each bucket table (9 tables of 16-byte slots at ≤ 3/4 load: at
 * most 9 MiB in all). */
#define RATE_TABLE_DEFAULT 49152
/* Buckets that are full again are swept out at most this often. */
#define RATE_SWEEP_MS 10000

/* count tokens per period_s seconds, burst count. count 0 = no limit. */
struct rate_rule {
    uint32_t count;
    uint32_t period_s;
};

struct rate_config {
    int off; /* --no-rate-limits */
    struct rate_rule rules[RATE_KINDS][RATE_SCOPES];
    size_t table_max; /* buckets per table; 0 = RATE_TABLE_DEFAULT */
};

/* The defaults of docs/protocol.md. */
void rate_config_defaults(struct rate_config *c);
/* The flag of a kind without its dashes ("rate-votes") and its wire name ("votes"). */
const char *rate_kind_flag(enum rate_kind k);
const char *rate_kind_name(enum rate_kind k);
const char *rate_scope_name(enum rate_scope s);
/* Parses one rule: "off", or "N/PERIOD" with PERIOD "[K]s|m|h|d" (e.g. 120/1m, 5/10s,
 * 30/h). Returns 0, or -1 if malformed or out of bounds. */
int rate_parse_rule(const char *spec, struct rate_rule *out);
/* Parses the argument of --rate-<kind>: "ACCOUNT,ADDRESS" (two rules), or one rule for
 * registrations (per address only). Returns 0, or -1 with a reason in err. */
int rate_parse_flag(struct rate_config *c, enum rate_kind kind, const char *arg, char *err,
                    size_t errlen);
/* Writes a rule as text ("120/1m", "off") into buf. */
void rate_rule_format(const struct rate_rule *r, char *buf, size_t len);
/* The limits as `hello` reports them (new reference): false when off, else
 * {"<kind>":{"account":{"count":N,"period_s":P}|null,"address":...},...}. */
json_t *rate_config_json(const struct rate_config *c);

/* The bucket key of a peer address (net_conn_peer): an IPv4 address, or the /64
 * prefix of an IPv6 one; 0 when it cannot be parsed (then no address bucket). */
uint64_t rate_addr_key(const char *peer);

struct ratelimit;

/* A limiter for config c (copied) whose clock reads now_ms at creation. */
struct ratelimit *ratelimit_new(const struct rate_config *c, uint64_t now_ms);
void ratelimit_free(struct ratelimit *rl); /* NULL-safe */

struct rate_verdict {
    int limited;            /* 1: refused, nothing was taken */
    enum rate_scope scope;  /* the bucket that needs the longest wait */
    uint64_t retry_after_s; /* whole seconds until that bucket has a token (≥ 1) */
};

/* Takes one token of kind from the bucket of account (0 = none) and the bucket of
 * address key addr (0 = none), at time now_ms, or neither when either is empty: then
 * v says who must wait and how long. Returns v->limited. */
int ratelimit_take(struct ratelimit *rl, enum rate_kind kind, uint64_t account, uint64_t addr,
                   uint64_t now_ms, struct rate_verdict *v);
/* Whether take would refuse now, without taking anything: v as for take (a refusal is
 * counted for /metrics). Returns v->limited. */
int ratelimit_check(struct ratelimit *rl, enum rate_kind kind, uint64_t account, uint64_t addr,
                    uint64_t now_ms, struct rate_verdict *v);
/* Buckets held (all tables), and refusals so far of kind (for /metrics). */
size_t ratelimit_buckets(const struct ratelimit *rl);
uint64_t ratelimit_refused(const struct ratelimit *rl, enum rate_kind kind);

#endif
