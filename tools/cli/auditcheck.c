/* The audit log's check (auditcheck.h): the chain, the replay, the comparison. */
#include "auditcheck.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditlog.h"

int auditcheck_fail(struct auditcheck *v, const char *fmt, ...)
{
    if (!v->why[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(v->why, sizeof v->why, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static struct ac_design *design_of(struct auditcheck *v, uint64_t id)
{
    struct ac_design *d = u64map_get(&v->designs, id);
    if (!d) {
        d = xcalloc(1, sizeof *d);
        u64map_put(&v->designs, id, d);
    }
    return d;
}

/* SPEC §7: a withdrawn design leaves the results (as a hidden one does) while its votes
 * stay in the log. */
static int withdrawn(const struct ac_design *d)
{
    return !strcmp(d->status, "withdrawn");
}

/* A wire id ("17") as a number; 0 if it is not one. */
static uint64_t parse_id(const char *s)
{
    if (!s || !*s || strlen(s) > 19 || s[0] == '0' || strspn(s, "0123456789") != strlen(s))
        return 0;
    return strtoull(s, NULL, 10);
}

static int value_ok(enum ac_scale s, json_int_t x)
{
    return s == AC_HEART ? x == 1 : s == AC_UPDOWN ? x == 1 || x == -1 : x >= 1 && x <= 5;
}

/* Adds (sign 1) or removes (sign -1) one vote of value x (0 = none) to d. */
static void count(enum ac_scale s, struct ac_design *d, json_int_t x, int sign)
{
    if (!x)
        return;
    uint32_t u = (uint32_t)sign;
    d->votes += u;
    switch (s) {
    case AC_HEART:
        d->hearts += u;
        d->supports += u;
        break;
    case AC_UPDOWN:
        if (x == 1) {
            d->up += u;
            d->supports += u;
        } else {
            d->down += u;
        }
        break;
    case AC_STARS5:
        d->stars[x - 1] += u;
        d->sum += (uint64_t)(sign * x);
        if (x >= 4)
            d->supports += u;
        break;
    }
}

/* The tally object of SPEC §2 for d, as the server writes it. */
static json_t *tally_of(enum ac_scale s, const struct ac_design *d)
{
    json_t *o = json_pack("{sIsI}", "votes", (json_int_t)d->votes, "supports",
                          (json_int_t)d->supports);
    if (s == AC_HEART) {
        json_object_set_new(o, "hearts", json_integer(d->hearts));
    } else if (s == AC_UPDOWN) {
        json_object_set_new(o, "up", json_integer(d->up));
        json_object_set_new(o, "down", json_integer(d->down));
    } else {
        json_t *a = json_array();
        for (int i = 0; i < 5; i++)
            json_array_append_new(a, json_integer(d->stars[i]));
        json_object_set_new(o, "stars", a);
        json_object_set_new(o, "sum", json_integer((json_int_t)d->sum));
    }
    return o;
}

static const char *str(json_t *e, const char *k)
{
    return json_string_value(json_object_get(e, k));
}

/* Replays one checked entry (seq ≤ log_length) into the designs. */
static int replay(struct auditcheck *v, json_t *e, uint64_t seq)
{
    const char *type = str(e, "type");
    const char *did = str(e, "design");
    uint64_t id = parse_id(did);
    if (!type)
        return auditcheck_fail(v, "entry seq %llu: no type", (unsigned long long)seq);
    if (!id)
        return auditcheck_fail(v, "entry seq %llu: no design id", (unsigned long long)seq);
    struct ac_design *d = design_of(v, id);
    if (!strcmp(type, "vote")) {
        const char *voter = str(e, "voter");
        json_t *val = json_object_get(e, "value"), *old = json_object_get(e, "old");
        if (!voter || strlen(voter) != 64 || !json_is_integer(val) || !json_is_integer(old))
            return auditcheck_fail(v, "entry seq %llu (design %s): a vote needs voter, value and old",
                        (unsigned long long)seq, did);
        json_int_t x = json_integer_value(val), o = json_integer_value(old);
        if ((x && !value_ok(v->scale, x)) || (o && !value_ok(v->scale, o)) || x == o)
            return auditcheck_fail(v, "entry seq %llu (design %s): vote %lld → %lld is not a change on "
                        "this contest's scale", (unsigned long long)seq, did, (long long)o,
                        (long long)x);
        char key[96];
        snprintf(key, sizeof key, "%s/%s", did, voter);
        json_int_t before = json_integer_value(json_object_get(v->voters, key));
        if (before != o)
            return auditcheck_fail(v, "entry seq %llu (design %s): the vote says the voter's previous "
                        "value was %lld, the log before it says %lld", (unsigned long long)seq,
                        did, (long long)o, (long long)before);
        count(v->scale, d, o, -1);
        count(v->scale, d, x, 1);
        if (x)
            json_object_set_new(v->voters, key, json_integer(x));
        else
            json_object_del(v->voters, key);
    } else if (!strcmp(type, "hide")) {
        json_t *h = json_object_get(e, "hidden");
        if (!json_is_boolean(h))
            return auditcheck_fail(v, "entry seq %llu (design %s): hide needs hidden true/false",
                        (unsigned long long)seq, did);
        d->hidden = json_is_true(h);
    } else if (!strcmp(type, "status")) {
        const char *from = str(e, "from"), *to = str(e, "to");
        if (!from || !to || strlen(to) >= sizeof d->status)
            return auditcheck_fail(v, "entry seq %llu (design %s): status needs from and to",
                        (unsigned long long)seq, did);
        if (d->status[0] && strcmp(d->status, from))
            return auditcheck_fail(v, "entry seq %llu (design %s): status moves from %s, but the log "
                        "left it %s", (unsigned long long)seq, did, from, d->status);
        snprintf(d->status, sizeof d->status, "%s", to);
    } else if (!strcmp(type, "threshold")) {
        if (!json_is_integer(json_object_get(e, "supports")))
            return auditcheck_fail(v, "entry seq %llu (design %s): threshold needs supports",
                        (unsigned long long)seq, did);
    } else {
        return auditcheck_fail(v, "entry seq %llu: unknown type '%s'", (unsigned long long)seq, type);
    }
    return 0;
}

/* Checks one served line (no newline). */
static int check_line(struct auditcheck *v, const char *line, size_t len)
{
    unsigned long long seq = v->seq + 1;
    char *canon = xmalloc(len + 2);
    size_t clen;
    uint8_t claimed[32], want[32];
    json_t *e = NULL;
    int rc = -1;
    if (auditlog_unline(line, len, canon, &clen, claimed)) {
        auditcheck_fail(v, "line %llu: not an entry with a hash", seq);
        goto out;
    }
    json_error_t je;
    e = json_loadb(canon, clen, JSON_REJECT_DUPLICATES, &je);
    size_t l2 = 0;
    char *again = e ? auditlog_canonical(e, &l2) : NULL;
    int canonical = again && l2 == clen && !memcmp(again, canon, clen);
    free(again);
    if (!canonical) {
        auditcheck_fail(v, "line %llu: the entry is not canonical JSON (sorted keys, compact, integers)",
             seq);
        goto out;
    }
    json_t *js = json_object_get(e, "seq");
    const char *did = str(e, "design");
    if (!json_is_integer(js) || (unsigned long long)json_integer_value(js) != seq) {
        auditcheck_fail(v, "entry seq %lld (design %s): found at position %llu: an entry is missing, "
             "duplicated or out of order", json_is_integer(js) ? (long long)json_integer_value(js) : -1LL,
             did ? did : "-", seq);
        goto out;
    }
    char prev_hex[65];
    hex_encode(v->prev, 32, prev_hex);
    const char *prev = str(e, "prev");
    if (!prev || strcmp(prev, prev_hex)) {
        auditcheck_fail(v, "entry seq %llu (design %s): prev %s is not the hash %s of entry %llu",
             seq, did ? did : "-", prev ? prev : "(none)", prev_hex, seq - 1);
        goto out;
    }
    auditlog_hash(v->prev, canon, clen, want);
    if (memcmp(want, claimed, 32)) {
        char hex[65];
        hex_encode(want, 32, hex);
        auditcheck_fail(v, "entry seq %llu (design %s): its hash is not SHA-256(prev || entry) = %s: "
             "the entry was changed", seq, did ? did : "-", hex);
        goto out;
    }
    if (!json_is_integer(json_object_get(e, "at"))) {
        auditcheck_fail(v, "entry seq %llu: no time", seq);
        goto out;
    }
    memcpy(v->prev, want, 32);
    v->seq = seq;
    if (seq <= v->log_length && replay(v, e, seq))
        goto out;
    if (seq == v->log_length)
        memcpy(v->head_at_length, want, 32);
    rc = 0;
out:
    json_decref(e);
    free(canon);
    return rc;
}

int auditcheck_bytes(struct auditcheck *v, const uint8_t *data, size_t len)
{
    while (len) {
        const uint8_t *nl = memchr(data, '\n', len);
        size_t n = nl ? (size_t)(nl - data) : len;
        if (v->line.len + n > AUDITLOG_ENTRY_MAX + AUDITLOG_HASH_SUFFIX)
            return auditcheck_fail(v, "line %llu: longer than %d bytes", (unsigned long long)v->seq + 1,
                        AUDITLOG_ENTRY_MAX + AUDITLOG_HASH_SUFFIX);
        if (n)
            ccbuf_append(&v->line, data, n);
        if (!nl)
            break;
        if (check_line(v, (const char *)v->line.data, v->line.len))
            return -1;
        v->line.len = 0;
        data += n + 1;
        len -= n + 1;
    }
    return 0;
}

int auditcheck_compare(struct auditcheck *v, json_t *ranking)
{
    size_t i;
    json_t *item;
    json_array_foreach(ranking, i, item)
    {
        const char *did = str(item, "design");
        uint64_t id = parse_id(did);
        if (!id)
            return auditcheck_fail(v, "results item %zu has no design id", i);
        struct ac_design *d = design_of(v, id);
        if (d->seen_in_results++)
            return auditcheck_fail(v, "design %s: listed twice in the results", did);
        json_t *want = tally_of(v->scale, d), *got = json_object_get(item, "tally");
        int same = json_equal(want, got);
        if (!same) {
            char *a = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS),
                 *b = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
            auditcheck_fail(v, "design %s: contest.results has tally %s, the log's first %llu entries "
                 "give %s", did, a ? a : "(none)", (unsigned long long)v->log_length, b);
            free(a);
            free(b);
        }
        json_decref(want);
        if (!same)
            return -1;
        if (d->hidden)
            return auditcheck_fail(v, "design %s: hidden by the log but listed in the results", did);
        if (withdrawn(d))
            return auditcheck_fail(v, "design %s: withdrawn by the log but listed in the results", did);
        const char *status = str(item, "status");
        if (d->status[0] && status && strcmp(status, d->status))
            return auditcheck_fail(v, "design %s: contest.results says status %s, the log's last move "
                        "is to %s", did, status, d->status);
    }
    uint64_t id;
    void *val;
    for (size_t at = 0; u64map_next(&v->designs, &at, &id, &val);) {
        const struct ac_design *d = val;
        if (!d->seen_in_results && !d->hidden && !withdrawn(d) && d->votes)
            return auditcheck_fail(v, "design %llu: %u votes in the log, but missing from the results",
                        (unsigned long long)id, d->votes);
    }
    return 0;
}

void auditcheck_init(struct auditcheck *v, const char *contest)
{
    memset(v, 0, sizeof *v);
    v->contest = contest;
    u64map_init(&v->designs);
    v->voters = json_object();
    ccbuf_init(&v->line);
}

void auditcheck_free(struct auditcheck *v)
{
    json_decref(v->voters);
    ccbuf_free(&v->line);
    void *d;
    for (size_t at = 0; u64map_next(&v->designs, &at, NULL, &d);)
        free(d);
    u64map_free(&v->designs);
}

int auditcheck_scale(const char *name, enum ac_scale *out)
{
    if (!name)
        return -1;
    if (!strcmp(name, "heart"))
        *out = AC_HEART;
    else if (!strcmp(name, "stars5"))
        *out = AC_STARS5;
    else if (!strcmp(name, "updown"))
        *out = AC_UPDOWN;
    else
        return -1;
    return 0;
}

int auditcheck_end(struct auditcheck *v)
{
    if (v->line.len)
        return auditcheck_fail(v, "line %llu: the log ends in the middle of a line",
                               (unsigned long long)v->seq + 1);
    if (v->seq < v->log_length)
        return auditcheck_fail(v, "entry seq %llu: missing: the log has %llu entries, "
                               "contest.results counts %llu (entries were dropped)",
                               (unsigned long long)v->seq + 1, (unsigned long long)v->seq,
                               (unsigned long long)v->log_length);
    char head[65];
    hex_encode(v->head_at_length, 32, head);
    if (strcmp(head, v->log_head))
        return auditcheck_fail(v, "entry seq %llu: the chain's head %s is not "
                               "contest.results' log_head %s",
                               (unsigned long long)v->log_length, head, v->log_head);
    return 0;
}
