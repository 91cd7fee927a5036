/* Token buckets in GCRA form. See ratelimit.h.
 *
 * A rule of N tokens per P ms, measured in "scaled" time t = ms × N, is a bucket whose
 * tokens come one every P scaled units. A table stores per key only TAT, the scaled
 * time at which its bucket is full again. A request at t is allowed when
 * max(TAT, t) − t ≤ τ with τ = (N − 1)·P (the N-th request of a burst is the last one
 * allowed), and then TAT = max(TAT, t) + P. When refused, the bucket has a token again
 * at TAT − τ. TAT ≤ t means a full bucket: the key is dropped. Integer arithmetic is
 * exact: no rounding drift. Times count from the limiter's creation, so scaled times
 * stay far below 2^64 (N ≤ 10^6: 584 years).
 * Thread use: loop thread only. */
#include "ratelimit.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "u64map.h"
#include "util.h"

/* TATs are kept in the pointer slots of a u64map. */
_Static_assert(sizeof(void *) >= sizeof(uint64_t), "a TAT must fit in a pointer");

struct rate_table {
    struct u64map map; /* key → (void *)TAT; TAT ≥ 1 */
    uint64_t n;        /* tokens per period (0: the table is off) */
    uint64_t p;        /* period in ms = scaled units between tokens */
    uint64_t tau;      /* (n − 1) · p */
    size_t cursor;     /* where eviction sampling resumes (a u64map_next position) */
};

struct ratelimit {
    struct rate_config cfg;
    uint64_t epoch;      /* clock reading at creation */
    uint64_t last_sweep; /* relative ms */
    struct rate_table t[RATE_KINDS][RATE_SCOPES];
    uint64_t refused[RATE_KINDS];
};

static const char *const kind_names[RATE_KINDS] = {"registrations", "uploads", "votes",
                                                   "comments", "logins"};
static const char *const kind_flags[RATE_KINDS] = {"rate-registrations", "rate-uploads",
                                                   "rate-votes", "rate-comments",
                                                   "rate-logins"};
static const char *const scope_names[RATE_SCOPES] = {"account", "address"};

const char *rate_kind_name(enum rate_kind k)
{
    return kind_names[k];
}

const char *rate_kind_flag(enum rate_kind k)
{
    return kind_flags[k];
}

const char *rate_scope_name(enum rate_scope s)
{
    return scope_names[s];
}

/* ---- configuration ---- */

void rate_config_defaults(struct rate_config *c)
{
    memset(c, 0, sizeof *c);
    /* docs/protocol.md explains each: a person never meets them, a script soon does. */
    c->rules[RATE_REGISTRATIONS][RATE_ADDRESS] = (struct rate_rule){30, 3600};
    c->rules[RATE_UPLOADS][RATE_ACCOUNT] = (struct rate_rule){30, 3600};
    c->rules[RATE_UPLOADS][RATE_ADDRESS] = (struct rate_rule){100, 3600};
    c->rules[RATE_VOTES][RATE_ACCOUNT] = (struct rate_rule){120, 60};
    c->rules[RATE_VOTES][RATE_ADDRESS] = (struct rate_rule){1200, 60};
    c->rules[RATE_COMMENTS][RATE_ACCOUNT] = (struct rate_rule){10, 60};
    c->rules[RATE_COMMENTS][RATE_ADDRESS] = (struct rate_rule){60, 60};
    c->rules[RATE_LOGINS][RATE_ACCOUNT] = (struct rate_rule){10, 60};
    c->rules[RATE_LOGINS][RATE_ADDRESS] = (struct rate_rule){30, 60};
    c->table_max = RATE_TABLE_DEFAULT;
}

static const struct {
    char unit;
    uint32_t seconds;
} units[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};

int rate_parse_rule(const char *spec, struct rate_rule *out)
{
    if (!strcmp(spec, "off")) {
        *out = (struct rate_rule){0, 0};
        return 0;
    }
    char *end;
    if (spec[0] < '0' || spec[0] > '9')
        return -1;
    unsigned long long n = strtoull(spec, &end, 10), k = 1;
    if (*end != '/' || n < 1 || n > RATE_COUNT_MAX)
        return -1;
    const char *p = end + 1;
    if (*p >= '0' && *p <= '9') {
        k = strtoull(p, &end, 10);
        p = end;
        if (k < 1 || k > RATE_PERIOD_MAX_S)
            return -1;
    }
    for (size_t i = 0; i < CC_ARRAY_LEN(units); i++)
        if (p[0] == units[i].unit && !p[1]) {
            unsigned long long s = k * units[i].seconds;
            if (s > RATE_PERIOD_MAX_S)
                return -1;
            *out = (struct rate_rule){(uint32_t)n, (uint32_t)s};
            return 0;
        }
    return -1;
}

int rate_parse_flag(struct rate_config *c, enum rate_kind kind, const char *arg, char *err,
                    size_t errlen)
{
    char buf[64];
    struct rate_rule r[RATE_SCOPES] = {{0, 0}, {0, 0}};
    if (strlen(arg) >= sizeof buf)
        goto bad;
    snprintf(buf, sizeof buf, "%s", arg);
    char *comma = strchr(buf, ',');
    if (kind == RATE_REGISTRATIONS) {
        if (comma || rate_parse_rule(buf, &r[RATE_ADDRESS]))
            goto bad;
    } else {
        if (!comma)
            goto bad;
        *comma = '\0';
        if (rate_parse_rule(buf, &r[RATE_ACCOUNT]) ||
            rate_parse_rule(comma + 1, &r[RATE_ADDRESS]))
            goto bad;
    }
    c->rules[kind][RATE_ACCOUNT] = r[RATE_ACCOUNT];
    c->rules[kind][RATE_ADDRESS] = r[RATE_ADDRESS];
    return 0;
bad:
    snprintf(err, errlen, "--%s wants %s, each N/PERIOD (PERIOD like 10s, 1m, 1h, 1d) or off; "
             "got '%s'",
             kind_flags[kind], kind == RATE_REGISTRATIONS ? "ADDRESS" : "ACCOUNT,ADDRESS", arg);
    return -1;
}

void rate_rule_format(const struct rate_rule *r, char *buf, size_t len)
{
    if (!r->count) {
        snprintf(buf, len, "off");
        return;
    }
    for (size_t i = 0; i < CC_ARRAY_LEN(units); i++)
        if (r->period_s % units[i].seconds == 0) {
            snprintf(buf, len, "%u/%u%c", r->count, r->period_s / units[i].seconds,
                     units[i].unit);
            return;
        }
}

json_t *rate_config_json(const struct rate_config *c)
{
    if (c->off)
        return json_false();
    json_t *o = json_object();
    for (int k = 0; k < RATE_KINDS; k++) {
        json_t *kind = json_object();
        for (int s = 0; s < RATE_SCOPES; s++) {
            const struct rate_rule *r = &c->rules[k][s];
            json_object_set_new(kind, scope_names[s],
                                r->count ? json_pack("{sisi}", "count", (int)r->count,
                                                     "period_s", (int)r->period_s)
                                         : json_null());
        }
        json_object_set_new(o, kind_names[k], kind);
    }
    return o;
}

uint64_t rate_addr_key(const char *peer)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, peer, &a4) == 1)
        return (uint64_t)1 << 32 | ntohl(a4.s_addr);
    if (inet_pton(AF_INET6, peer, &a6) != 1)
        return 0;
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (!memcmp(a6.s6_addr, mapped, 12))
        return (uint64_t)1 << 32 | (get_be64(a6.s6_addr + 8) & 0xffffffffu);
    /* One person usually holds a whole /64: limit the prefix. Prefixes below 2^33
     * (inside ::/31, not routable) would meet IPv4 keys; they are folded above them. */
    uint64_t k = get_be64(a6.s6_addr);
    return k < ((uint64_t)1 << 33) ? k | (uint64_t)1 << 63 : k;
}

/* ---- buckets ---- */

static uint64_t tat_get(const struct rate_table *t, uint64_t key)
{
    return (uint64_t)(uintptr_t)u64map_get(&t->map, key);
}

static void tat_put(struct rate_table *t, uint64_t key, uint64_t tat)
{
    u64map_put(&t->map, key, (void *)(uintptr_t)tat);
}

struct ratelimit *ratelimit_new(const struct rate_config *c, uint64_t now_ms)
{
    struct ratelimit *rl = xcalloc(1, sizeof *rl);
    rl->cfg = *c;
    if (!rl->cfg.table_max)
        rl->cfg.table_max = RATE_TABLE_DEFAULT;
    rl->epoch = now_ms;
    for (int k = 0; k < RATE_KINDS; k++)
        for (int s = 0; s < RATE_SCOPES; s++) {
            struct rate_table *t = &rl->t[k][s];
            const struct rate_rule *r = &c->rules[k][s];
            u64map_init(&t->map);
            if (c->off || !r->count)
                continue;
            t->n = r->count;
            t->p = (uint64_t)r->period_s * 1000u;
            t->tau = (t->n - 1) * t->p;
        }
    return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (!rl)
        return;
    for (int k = 0; k < RATE_KINDS; k++)
        for (int s = 0; s < RATE_SCOPES; s++)
            u64map_free(&rl->t[k][s].map);
    free(rl);
}

/* Drops the buckets of t that are full again at relative time now (ms), and gives
 * back memory when the table has shrunk to an eighth of its slots. */
static void sweep(struct rate_table *t, uint64_t now)
{
    uint64_t ts = now * t->n, key;
    struct u64map *m = &t->map;
    void *val;
    for (size_t at = 0; u64map_next(m, &at, NULL, &val);)
        if ((uint64_t)(uintptr_t)val <= ts)
            u64map_del_at(m, &at);
    if (m->cap > 64 && m->count * 8 < m->cap) {
        struct u64map small;
        u64map_init(&small);
        for (size_t at = 0; u64map_next(m, &at, &key, &val);)
            u64map_put(&small, key, val);
        u64map_free(m);
        *m = small;
    }
    t->cursor = 0;
}

/* Makes room for one more key in a full table: of a sample of 8 buckets, drops the
 * one that will be full soonest (a dropped bucket counts as full, so this can only
 * ever let a request through, never refuse one). */
static void evict(struct rate_table *t)
{
    struct u64map *m = &t->map;
    uint64_t best_key = 0, best_tat = UINT64_MAX, key;
    void *val;
    /* from the cursor on, round the table's end, and no entry twice */
    for (size_t seen = 0; seen < 8 && seen < m->count; seen++) {
        if (!u64map_next(m, &t->cursor, &key, &val)) {
            t->cursor = 0;
            if (!u64map_next(m, &t->cursor, &key, &val))
                break;
        }
        if ((uint64_t)(uintptr_t)val < best_tat) {
            best_tat = (uint64_t)(uintptr_t)val;
            best_key = key;
        }
    }
    if (best_key)
        u64map_del(m, best_key);
}

/* Whether key's bucket in t has a token at relative time now; *tat_out is its TAT
 * after taking it, *wait_ms how long to wait when it has none. */
static int bucket_check(const struct rate_table *t, uint64_t key, uint64_t now,
                        uint64_t *tat_out, uint64_t *wait_ms)
{
    uint64_t ts = now * t->n, tat = tat_get(t, key);
    if (tat < ts)
        tat = ts;
    if (tat - ts > t->tau) {
        uint64_t wait = tat - t->tau - ts; /* scaled */
        *wait_ms = (wait + t->n - 1) / t->n;
        return 0;
    }
    *tat_out = tat + t->p;
    return 1;
}

/* Finds whether every bucket of kind for (account, addr) has a token at now_ms; fills v
 * and counts the refusal when one has none. tats[] gets each bucket's TAT after taking. */
static int check(struct ratelimit *rl, enum rate_kind kind, const uint64_t keys[RATE_SCOPES],
                 uint64_t now, uint64_t tats[RATE_SCOPES], struct rate_verdict *v)
{
    memset(v, 0, sizeof *v);
    uint64_t worst = 0;
    for (int s = 0; s < RATE_SCOPES; s++) {
        struct rate_table *t = &rl->t[kind][s];
        uint64_t wait;
        if (!t->n || !keys[s])
            continue;
        if (!bucket_check(t, keys[s], now, &tats[s], &wait) && (!v->limited || wait > worst)) {
            v->limited = 1;
            v->scope = (enum rate_scope)s;
            worst = wait;
        }
    }
    if (v->limited) {
        uint64_t secs = (worst + 999) / 1000;
        v->retry_after_s = secs ? secs : 1;
        rl->refused[kind]++;
    }
    return v->limited;
}

/* Milliseconds since the limiter's creation, sweeping the tables when it is time. */
static uint64_t rel_now(struct ratelimit *rl, uint64_t now_ms)
{
    uint64_t now = now_ms > rl->epoch ? now_ms - rl->epoch : 0;
    if (now - rl->last_sweep >= RATE_SWEEP_MS || now < rl->last_sweep) {
        rl->last_sweep = now;
        for (int k = 0; k < RATE_KINDS; k++)
            for (int s = 0; s < RATE_SCOPES; s++)
                if (rl->t[k][s].n)
                    sweep(&rl->t[k][s], now);
    }
    return now;
}

/* ratelimit_check (take 0) and ratelimit_take (take 1). */
static int ask(struct ratelimit *rl, enum rate_kind kind, uint64_t account, uint64_t addr,
               uint64_t now_ms, struct rate_verdict *v, int take)
{
    memset(v, 0, sizeof *v);
    if (rl->cfg.off)
        return 0;
    uint64_t keys[RATE_SCOPES] = {account, addr}, tats[RATE_SCOPES] = {0, 0};
    if (check(rl, kind, keys, rel_now(rl, now_ms), tats, v) || !take)
        return v->limited;
    for (int s = 0; s < RATE_SCOPES; s++) {
        struct rate_table *t = &rl->t[kind][s];
        if (!t->n || !keys[s])
            continue;
        if (!tat_get(t, keys[s]) && t->map.count >= rl->cfg.table_max)
            evict(t);
        tat_put(t, keys[s], tats[s]);
    }
    return 0;
}

int ratelimit_check(struct ratelimit *rl, enum rate_kind kind, uint64_t account, uint64_t addr,
                    uint64_t now_ms, struct rate_verdict *v)
{
    return ask(rl, kind, account, addr, now_ms, v, 0);
}

int ratelimit_take(struct ratelimit *rl, enum rate_kind kind, uint64_t account, uint64_t addr,
                   uint64_t now_ms, struct rate_verdict *v)
{
    return ask(rl, kind, account, addr, now_ms, v, 1);
}

size_t ratelimit_buckets(const struct ratelimit *rl)
{
    size_t n = 0;
    for (int k = 0; k < RATE_KINDS; k++)
        for (int s = 0; s < RATE_SCOPES; s++)
            n += rl->t[k][s].map.count;
    return n;
}

uint64_t ratelimit_refused(const struct ratelimit *rl, enum rate_kind kind)
{
    return rl->refused[kind];
}
