/* ratelimit.c: the token bucket arithmetic (bursts, refill, exact waits rounded up to
 * whole seconds), account and address buckets taken together or not at all, the rule
 * and flag syntax, idle buckets swept out, the table bound, and checking without
 * taking (failed logins). */
#include <string.h>

#include "check.h"
#include "ratelimit.h"

static struct rate_config cfg_with(enum rate_kind k, struct rate_rule acc, struct rate_rule addr)
{
    struct rate_config c;
    memset(&c, 0, sizeof c);
    c.rules[k][RATE_ACCOUNT] = acc;
    c.rules[k][RATE_ADDRESS] = addr;
    return c;
}

/* Takes a vote token at t; returns 0 when allowed, else the retry_after (and checks
 * the scope when scope >= 0). */
static long long take(struct ratelimit *rl, uint64_t acc, uint64_t addr, uint64_t t, int scope)
{
    struct rate_verdict v;
    if (!ratelimit_take(rl, RATE_VOTES, acc, addr, t, &v))
        return 0;
    ASSERT(v.retry_after_s >= 1);
    if (scope >= 0)
        ASSERT_EQ(v.scope, scope);
    return (long long)v.retry_after_s;
}

static void rules(void)
{
    struct rate_rule r;
    ASSERT_EQ(rate_parse_rule("120/1m", &r), 0);
    ASSERT_EQ(r.count, 120);
    ASSERT_EQ(r.period_s, 60);
    ASSERT_EQ(rate_parse_rule("5/10s", &r), 0);
    ASSERT_EQ(r.period_s, 10);
    ASSERT_EQ(rate_parse_rule("30/h", &r), 0);
    ASSERT_EQ(r.period_s, 3600);
    ASSERT_EQ(rate_parse_rule("1/7d", &r), 0);
    ASSERT_EQ(r.period_s, 7 * 86400);
    ASSERT_EQ(rate_parse_rule("1000000/1s", &r), 0);
    ASSERT_EQ(rate_parse_rule("off", &r), 0);
    ASSERT_EQ(r.count, 0);
    const char *bad[] = {"", "0/1m", "1000001/1s", "1/8d", "1/0s", "1/1x", "1/1", "1m",
                         "/1m", "-1/1m", "1/-1m", "1/1m ", " 1/1m", "1/1mm", "1/99999999999d",
                         "1/m1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ASSERT_EQ(rate_parse_rule(bad[i], &r), -1);
    char buf[32];
    struct rate_rule f[] = {{120, 60}, {30, 3600}, {5, 10}, {2, 90}, {1, 86400}, {0, 0}};
    const char *want[] = {"120/1m", "30/1h", "5/10s", "2/90s", "1/1d", "off"};
    for (size_t i = 0; i < 6; i++) {
        rate_rule_format(&f[i], buf, sizeof buf);
        ASSERT_STREQ(buf, want[i]);
    }
    struct rate_config c;
    rate_config_defaults(&c);
    char err[200];
    ASSERT_EQ(rate_parse_flag(&c, RATE_VOTES, "10/1s,off", err, sizeof err), 0);
    ASSERT_EQ(c.rules[RATE_VOTES][RATE_ACCOUNT].count, 10);
    ASSERT_EQ(c.rules[RATE_VOTES][RATE_ADDRESS].count, 0);
    ASSERT_EQ(rate_parse_flag(&c, RATE_REGISTRATIONS, "4/1h", err, sizeof err), 0);
    ASSERT_EQ(c.rules[RATE_REGISTRATIONS][RATE_ADDRESS].count, 4);
    ASSERT_EQ(c.rules[RATE_REGISTRATIONS][RATE_ACCOUNT].count, 0);
    ASSERT_EQ(rate_parse_flag(&c, RATE_VOTES, "10/1s", err, sizeof err), -1);
    ASSERT(strstr(err, "--rate-votes") != NULL);
    ASSERT_EQ(rate_parse_flag(&c, RATE_REGISTRATIONS, "1/1s,1/1s", err, sizeof err), -1);
    ASSERT_EQ(rate_parse_flag(&c, RATE_COMMENTS, "1/1s,1/1s,1/1s", err, sizeof err), -1);
    /* a refused flag leaves the rule as it was */
    ASSERT_EQ(c.rules[RATE_VOTES][RATE_ACCOUNT].count, 10);
}

static void addresses(void)
{
    ASSERT(rate_addr_key("127.0.0.1") == ((uint64_t)1 << 32 | 0x7f000001));
    ASSERT(rate_addr_key("::ffff:127.0.0.1") == rate_addr_key("127.0.0.1"));
    ASSERT(rate_addr_key("2001:db8:1:2::1") == rate_addr_key("2001:db8:1:2:ffff::9"));
    ASSERT(rate_addr_key("2001:db8:1:2::1") != rate_addr_key("2001:db8:1:3::1"));
    ASSERT(rate_addr_key("::1") != 0 && rate_addr_key("::1") >> 63 == 1);
    ASSERT(rate_addr_key("not an address") == 0);
    ASSERT(rate_addr_key("") == 0);
}

/* ratelimit_check looks without taking: only the takes after it use tokens. */
static void check_only(void)
{
    struct rate_config c =
        cfg_with(RATE_LOGINS, (struct rate_rule){0, 0}, (struct rate_rule){2, 60});
    struct ratelimit *rl = ratelimit_new(&c, 0);
    struct rate_verdict v;
    for (int i = 0; i < 10; i++)
        ASSERT_EQ(ratelimit_check(rl, RATE_LOGINS, 0, 5, 0, &v), 0);
    ASSERT_EQ(ratelimit_buckets(rl), 0);
    ASSERT_EQ(ratelimit_take(rl, RATE_LOGINS, 0, 5, 0, &v), 0);
    ASSERT_EQ(ratelimit_check(rl, RATE_LOGINS, 0, 5, 0, &v), 0);
    ASSERT_EQ(ratelimit_take(rl, RATE_LOGINS, 0, 5, 0, &v), 0);
    ASSERT_EQ(ratelimit_check(rl, RATE_LOGINS, 0, 5, 0, &v), 1);
    ASSERT_EQ(v.scope, RATE_ADDRESS);
    ASSERT_EQ(v.retry_after_s, 30);
    ASSERT_EQ(ratelimit_check(rl, RATE_LOGINS, 0, 6, 0, &v), 0); /* another address */
    ASSERT_EQ(ratelimit_check(rl, RATE_LOGINS, 0, 5, 30000, &v), 0);
    ASSERT_EQ(ratelimit_refused(rl, RATE_LOGINS), 1);
    ratelimit_free(rl);
    c.off = 1;
    rl = ratelimit_new(&c, 0);
    for (int i = 0; i < 5; i++)
        ASSERT_EQ(ratelimit_take(rl, RATE_LOGINS, 0, 5, 0, &v), 0);
    ASSERT_EQ(ratelimit_check(rl, RATE_LOGINS, 0, 5, 0, &v), 0);
    ratelimit_free(rl);
}

int main(void)
{
    rules();
    addresses();
    check_only();

    /* 3 per 10 s: a burst of 3, then one every 3.33 s */
    struct rate_config c = cfg_with(RATE_VOTES, (struct rate_rule){3, 10}, (struct rate_rule){0, 0});
    uint64_t t = 5000000;
    struct ratelimit *rl = ratelimit_new(&c, t);
    for (int i = 0; i < 3; i++)
        ASSERT_EQ(take(rl, 7, 0, t, -1), 0);
    ASSERT_EQ(take(rl, 7, 0, t, RATE_ACCOUNT), 4);        /* 3.334 s rounded up */
    ASSERT_EQ(take(rl, 7, 0, t + 2999, RATE_ACCOUNT), 1); /* 335 ms left */
    ASSERT_EQ(take(rl, 7, 0, t + 3333, RATE_ACCOUNT), 1); /* 0.33 ms left: still 1 s */
    ASSERT_EQ(take(rl, 7, 0, t + 3334, -1), 0);
    ASSERT_EQ(take(rl, 7, 0, t + 3334, RATE_ACCOUNT), 4);
    ASSERT_EQ(take(rl, 8, 0, t, -1), 0); /* another account: its own bucket */
    /* after a long idle time the bucket is full again, never fuller */
    uint64_t later = t + 3600 * 1000;
    for (int i = 0; i < 3; i++)
        ASSERT_EQ(take(rl, 7, 0, later, -1), 0);
    ASSERT(take(rl, 7, 0, later, -1) > 0);
    /* no account (0): no bucket, never limited */
    for (int i = 0; i < 10; i++)
        ASSERT_EQ(take(rl, 0, 0, t, -1), 0);
    /* other kinds have no rule here */
    struct rate_verdict v;
    for (int i = 0; i < 10; i++)
        ASSERT_EQ(ratelimit_take(rl, RATE_COMMENTS, 7, 1, t, &v), 0);
    ASSERT_EQ(ratelimit_refused(rl, RATE_VOTES), 5);
    ASSERT_EQ(ratelimit_refused(rl, RATE_COMMENTS), 0);
    /* a clock before the limiter's creation counts as its creation */
    ASSERT_EQ(take(rl, 9, 0, 0, -1), 0);
    ratelimit_free(rl);

    /* account 2/1m and address 3/1m: both or nothing */
    c = cfg_with(RATE_VOTES, (struct rate_rule){2, 60}, (struct rate_rule){3, 60});
    rl = ratelimit_new(&c, 0);
    ASSERT_EQ(take(rl, 1, 100, 0, -1), 0);
    ASSERT_EQ(take(rl, 1, 100, 0, -1), 0);
    ASSERT_EQ(take(rl, 1, 100, 0, RATE_ACCOUNT), 30);
    ASSERT_EQ(take(rl, 2, 100, 0, -1), 0); /* the refusal above took no address token */
    ASSERT_EQ(take(rl, 2, 100, 0, RATE_ADDRESS), 20);
    ASSERT_EQ(take(rl, 2, 101, 0, -1), 0); /* account 2 from another address */
    /* both empty: the longer wait is named */
    ASSERT_EQ(take(rl, 1, 100, 0, RATE_ACCOUNT), 30);
    ASSERT_EQ(take(rl, 1, 100, 20000, RATE_ACCOUNT), 10);
    ASSERT_EQ(take(rl, 1, 100, 30000, -1), 0);
    /* accounts 1, 2 and address 100: address 101 (one token of 3 taken at 0) was full
     * again at 20 s, when the take above swept */
    ASSERT_EQ(ratelimit_buckets(rl), 3);
    /* idle buckets go in the next sweep (at most RATE_SWEEP_MS apart) */
    ASSERT_EQ(take(rl, 3, 102, 200000, -1), 0);
    ASSERT_EQ(ratelimit_buckets(rl), 2);
    ratelimit_free(rl);

    /* the table bound: 1000 accounts through a table of 16 */
    c = cfg_with(RATE_VOTES, (struct rate_rule){1, 3600}, (struct rate_rule){0, 0});
    c.table_max = 16;
    rl = ratelimit_new(&c, 0);
    for (uint64_t a = 1; a <= 1000; a++) {
        ASSERT_EQ(take(rl, a, 0, a, -1), 0);
        ASSERT(ratelimit_buckets(rl) <= 16);
    }
    ASSERT_EQ(ratelimit_buckets(rl), 16);
    /* the newest account kept its bucket (the ones that fill soonest are dropped) */
    ASSERT(take(rl, 1000, 0, 1000, RATE_ACCOUNT) > 0);
    ratelimit_free(rl);

    /* many buckets swept out give their memory back */
    c = cfg_with(RATE_VOTES, (struct rate_rule){1, 1}, (struct rate_rule){0, 0});
    rl = ratelimit_new(&c, 0);
    for (uint64_t a = 1; a <= 20000; a++)
        ASSERT_EQ(take(rl, a, 0, 0, -1), 0);
    ASSERT_EQ(ratelimit_buckets(rl), 20000);
    ASSERT_EQ(take(rl, 1, 0, 2 * RATE_SWEEP_MS, -1), 0);
    ASSERT_EQ(ratelimit_buckets(rl), 1);
    ratelimit_free(rl);

    /* --no-rate-limits: nothing is limited or kept */
    rate_config_defaults(&c);
    c.off = 1;
    rl = ratelimit_new(&c, 0);
    for (int i = 0; i < 1000; i++)
        ASSERT_EQ(take(rl, 1, 1, 0, -1), 0);
    ASSERT_EQ(ratelimit_buckets(rl), 0);
    ratelimit_free(rl);
    return 0;
}
