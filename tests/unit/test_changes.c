/* changes.c's encoding (docs/changes.md): every kind round-trips through change_encode
 * and change_decode with its fields, typed fields and binary fields (base64 of every
 * length mod 3, empty and large); a refused decode says why (bad JSON, unknown version
 * or kind, bad at/by, bad base64, a vote missing its fields); and change_apply clamps
 * time forward in apply order, set back only by a clock record. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ccerr.h"
#include "changes.h"
#include "check.h"
#include "password.h"
#include "store.h"
#include "util.h"

/* Encodes c, decodes it back, encodes that: the two encodings are the same bytes. */
static struct change *round_trip(const struct change *c)
{
    struct ccbuf a, b;
    ccbuf_init(&a);
    ccbuf_init(&b);
    ASSERT_EQ(change_encode(c, &a), 0);
    struct change *d;
    char why[128];
    ASSERT_EQ(change_decode((const char *)a.data, a.len, &d, why, sizeof why), 0);
    ASSERT_EQ(change_encode(d, &b), 0);
    ASSERT_EQ(a.len, b.len);
    ASSERT(!memcmp(a.data, b.data, a.len));
    ASSERT_EQ(d->kind, c->kind);
    ASSERT_EQ(d->at, c->at);
    ASSERT_EQ(d->by, c->by);
    ccbuf_free(&a);
    ccbuf_free(&b);
    return d;
}

static void refused(const char *text, const char *want)
{
    struct change *c = NULL;
    char why[128] = "";
    ASSERT_EQ(change_decode(text, strlen(text), &c, why, sizeof why), CC_EBADARGS);
    ASSERT(c == NULL);
    if (!strstr(why, want)) {
        fprintf(stderr, "decoding %s: wanted a reason with '%s', got '%s'\n", text, want, why);
        exit(1);
    }
}

static void encodings(void)
{
    /* a kind with JSON fields */
    struct change *c = change_new(CH_COMMENT, 1700000000, 42,
                                  json_pack("{ssss}", "design", "7", "text", "h\u00e9llo \"q\""));
    struct change *d = round_trip(c);
    ASSERT_STREQ(change_str(d, "text"), "h\u00e9llo \"q\"");
    ASSERT_EQ(change_id(d, "design"), 7);
    ASSERT_EQ(change_id(d, "text"), 0); /* not an id */
    change_free(c);
    change_free(d);

    /* typed fields (a vote) */
    c = change_vote_new(1700000001, 9, 123, "shirts", -1);
    d = round_trip(c);
    ASSERT_EQ(d->f.vote.design, 123);
    ASSERT_EQ(d->f.vote.value, -1);
    ASSERT_STREQ(d->f.vote.contest, "shirts");
    change_free(c);
    change_free(d);

    /* a vote's own encoder (the journal's hot path) writes what the jansson path does,
     * byte for byte; ids that JSON escapes or that are not ASCII go through jansson */
    const struct {
        int64_t at;
        uint64_t by, design;
        const char *contest;
        int value;
    } votes[] = {
        {0, 1, 1, "a", 0},
        {1700000001, 9, 123, "shirts", -1},
        {-5, UINT64_MAX, UINT64_MAX, "spring-2027_levels.v2", 5},
        {INT64_MAX, 18446744073709551615ull, 7, "q\"uote", 3},
        {42, 3, 4, "back\\slash", 1},
        {42, 3, 4, "tab\there", 1},
        {42, 3, 4, "caf\u00e9", 2},
    };
    for (size_t i = 0; i < sizeof votes / sizeof votes[0]; i++) {
        c = change_vote_new(votes[i].at, votes[i].by, votes[i].design, votes[i].contest,
                            votes[i].value);
        struct ccbuf fast, tree;
        ccbuf_init(&fast);
        ccbuf_init(&tree);
        ASSERT_EQ(change_encode(c, &fast), 0);
        ASSERT_EQ(change_encode_tree(c, &tree), 0);
        ASSERT_EQ(fast.len, tree.len);
        ASSERT(!memcmp(fast.data, tree.data, fast.len));
        d = round_trip(c);
        ASSERT_EQ(d->f.vote.design, votes[i].design);
        ASSERT_STREQ(d->f.vote.contest, votes[i].contest);
        ccbuf_free(&fast);
        ccbuf_free(&tree);
        change_free(c);
        change_free(d);
    }

    /* binary fields of every length mod 3, an empty one left out, a large one */
    size_t lens[] = {1, 2, 3, 4, 5, 1000, 3 << 20};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        c = change_new(CH_DICT, 5, 0, json_pack("{sssi}", "kind", "level", "count", 200));
        uint8_t *bytes = xmalloc(lens[i]);
        for (size_t k = 0; k < lens[i]; k++)
            bytes[k] = (uint8_t)(k * 31 + i);
        ccbuf_append(&c->att[ATT_DICT], bytes, lens[i]);
        d = round_trip(c);
        ASSERT_EQ(d->att[ATT_DICT].len, lens[i]);
        ASSERT(!memcmp(d->att[ATT_DICT].data, bytes, lens[i]));
        ASSERT_EQ(d->att[ATT_STORED].len, 0);
        free(bytes);
        change_free(c);
        change_free(d);
    }

    /* a kind with no fields (TEST ONLY clock) */
    c = change_new(CH_CLOCK, 77, 0, NULL);
    d = round_trip(c);
    change_free(c);
    change_free(d);

    /* every kind's name round-trips */
    for (int k = 0; k < CH_KINDS; k++)
        ASSERT_EQ(change_kind_parse(change_kind_name((enum change_kind)k)), k);
    ASSERT_EQ(change_kind_parse("nonsense"), -1);
}

static void refusals(void)
{
    refused("{nope", "not a JSON object");
    refused("[1,2]", "not a JSON object");
    refused("{\"v\":2,\"type\":\"vote\",\"at\":1,\"by\":\"1\"}", "unknown format version");
    refused("{\"v\":0,\"type\":\"vote\",\"at\":1,\"by\":\"1\"}", "unknown format version");
    refused("{\"type\":\"vote\",\"at\":1,\"by\":\"1\"}", "unknown format version");
    refused("{\"v\":1,\"type\":\"teleport\",\"at\":1,\"by\":\"1\"}", "unknown kind");
    refused("{\"v\":1,\"type\":\"comment\",\"at\":\"1\",\"by\":\"1\"}", "at: not an integer");
    refused("{\"v\":1,\"type\":\"comment\",\"at\":1,\"by\":1}", "by: not an account id");
    refused("{\"v\":1,\"type\":\"comment\",\"at\":1,\"by\":\"x1\"}", "by: not an account id");
    refused("{\"v\":1,\"type\":\"comment\",\"at\":1}", "by: not an account id");
    refused("{\"v\":1,\"type\":\"dict\",\"at\":1,\"by\":\"0\",\"dict\":\"abc\"}",
            "dict: not base64");
    refused("{\"v\":1,\"type\":\"dict\",\"at\":1,\"by\":\"0\",\"dict\":\"a!c=\"}",
            "dict: not base64");
    refused("{\"v\":1,\"type\":\"dict\",\"at\":1,\"by\":\"0\",\"dict\":5}", "dict: not base64");
    refused("{\"v\":1,\"type\":\"vote\",\"at\":1,\"by\":\"1\",\"design\":\"3\"}",
            "vote: its fields are missing or mistyped");
    refused("{\"v\":1,\"type\":\"vote\",\"at\":1,\"by\":\"1\",\"design\":\"3\",\"contest\":"
            "\"c\",\"value\":\"1\"}",
            "vote: its fields are missing or mistyped");
}

/* A contest.create record of a heart level contest: its apply needs nothing else. */
static struct change *contest_change(int64_t at, const char *slug)
{
    return change_new(CH_CONTEST, at, 1,
                      json_pack("{sbs{ssssssss}}", "create", 1, "args", "slug", slug, "title",
                                "T", "kind", "level", "scale", "heart"));
}

/* change_apply's clock: max(at, the last applied), a clock record sets it back. */
static void clamped_clock(void)
{
    char dir[] = "/tmp/cc-test-changes-XXXXXX", err[256];
    ASSERT(mkdtemp(dir));
    struct store *st;
    ASSERT_EQ(store_open(&st, dir, 0, err, sizeof err), 0);
    int64_t ats[] = {100, 90, 150, 120};
    int64_t want[] = {100, 100, 150, 150};
    for (size_t i = 0; i < 4; i++) {
        char slug[16];
        snprintf(slug, sizeof slug, "c%zu", i);
        struct change *c = contest_change(ats[i], slug);
        ASSERT_EQ(changes_apply_now(st, c), 0);
        ASSERT_EQ(c->out.at, want[i]);
        change_free(c);
    }
    struct change *c = change_new(CH_CLOCK, 50, 0, NULL);
    ASSERT_EQ(changes_apply_now(st, c), 0);
    change_free(c);
    c = contest_change(60, "after");
    ASSERT_EQ(changes_apply_now(st, c), 0);
    ASSERT_EQ(c->out.at, 60);
    change_free(c);
    /* a refused record changes nothing, its clock included */
    c = contest_change(500, "after");
    ASSERT_EQ(changes_apply_now(st, c), CC_ECONFLICT);
    change_free(c);
    c = contest_change(61, "later");
    ASSERT_EQ(changes_apply_now(st, c), 0);
    ASSERT_EQ(c->out.at, 61);
    change_free(c);
    store_close(st);
    CHECK_RMDIR(dir);
}

/* An account record's password must be a stored hash string of ours (password.h): one
 * that is not would be stored and fail every later login with `internal`. */
static void password_hashes(void)
{
    char dir[] = "/tmp/cc-test-changes-XXXXXX", err[256];
    ASSERT(mkdtemp(dir));
    struct store *st;
    ASSERT_EQ(store_open(&st, dir, 0, err, sizeof err), 0);
    const char *salt_hash = "$77d8eef41d2f99fe434aa95658ae7255"
                            "$5a601ea75b4ebfbd4369b0682bd5a0a21a47ee6c81856e9669bcc5bbcbccce9d";
    const char *bad[] = {"",
                         "x",
                         "argon2id$m=08,t=1,p=1",
                         "argon2id$m=8,t=+1,p=1",
                         "argon2id$m=8,t=1,p=1$77d8$5a60",
                         "argon2id$m=4,t=1,p=1"};
    char hash[PASSWORD_HASH_LEN], token_hash[65];
    memset(token_hash, 'a', 64);
    token_hash[64] = '\0';
    for (size_t i = 0; i <= CC_ARRAY_LEN(bad); i++) {
        if (i < CC_ARRAY_LEN(bad))
            snprintf(hash, sizeof hash, "%s%s", bad[i], i < 2 ? "" : salt_hash);
        else
            snprintf(hash, sizeof hash, "argon2id$m=8,t=1,p=1%s", salt_hash);
        struct change *c = change_new(CH_ACCOUNT_CREATE, 100, 0,
                                      json_pack("{ssssssss}", "name", "pw_owner", "role", "member",
                                                "token_hash", token_hash, "password", hash));
        ASSERT_EQ(changes_apply_now(st, c), i < CC_ARRAY_LEN(bad) ? CC_EBADARGS : 0);
        change_free(c);
    }
    store_close(st);
    CHECK_RMDIR(dir);
}

int main(void)
{
    encodings();
    refusals();
    clamped_clock();
    password_hashes();
    printf("test_changes: ok\n");
    return 0;
}
