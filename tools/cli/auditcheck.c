/* The audit log's check, apart from fetching it. See auditcheck.h. */
#include "auditcheck.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditlog.h"

int verify_fail(struct verify *v, const char *fmt, ...)
{
    if (!v->why[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(v->why, sizeof v->why, fmt, ap);
        va_end(ap);
    }
    return -1;
}

struct vdesign *verify_design(struct verify *v, uint64_t id)
{
    struct vdesign *d = u64map_get(&v->designs, id);
    if (!d) {
        d = xcalloc(1, sizeof *d);
        u64map_put(&v->designs, id, d);
    }
    return d;
}

/* SPEC §7: a withdrawn design leaves the results (as a hidden one does) while its votes
 * stay in the log. */
int verify_withdrawn(const struct vdesign *d)
{
    return !strcmp(d->status, "withdrawn");
}

/* A wire id ("17") as a number; 0 if it is not one. */
uint64_t verify_parse_id(const char *s)
{
    if (!s || !*s || strlen(s) > 19 || s[0] == '0' || strspn(s, "0123456789") != strlen(s))
        return 0;
    return strtoull(s, NULL, 10);
}

static int value_ok(enum vscale s, json_int_t x)
{
    return s == V_HEART ? x == 1 : s == V_UPDOWN ? x == 1 || x == -1 : x >= 1 && x <= 5;
}

/* Adds (sign 1) or removes (sign -1) one vote of value x (0 = none) to d. */
static void count(enum vscale s, struct vdesign *d, json_int_t x, int sign)
{
    if (!x)
        return;
    uint32_t u = (uint32_t)sign;
    d->votes += u;
    switch (s) {
    case V_HEART:
        d->hearts += u;
        d->supports += u;
        break;
    case V_UPDOWN:
        if (x == 1) {
            d->up += u;
            d->supports += u;
        } else {
            d->down += u;
        }
        break;
    case V_STARS5:
        d->stars[x - 1] += u;
        d->sum += (uint64_t)(sign * x);
        if (x >= 4)
            d->supports += u;
        break;
    }
}

/* The tally object of SPEC §2 for d, as the server writes it. */
json_t *verify_tally(enum vscale s, const struct vdesign *d)
{
    json_t *o = json_pack("{sIsI}", "votes", (json_int_t)d->votes, "supports",
                          (json_int_t)d->supports);
    if (s == V_HEART) {
        json_object_set_new(o, "hearts", json_integer(d->hearts));
    } else if (s == V_UPDOWN) {
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

const char *verify_str(json_t *e, const char *k)
{
    return json_string_value(json_object_get(e, k));
}

/* Replays one checked entry (seq ≤ log_length) into the designs. */
static int replay(struct verify *v, json_t *e, uint64_t seq)
{
    const char *type = verify_str(e, "type");
    const char *did = verify_str(e, "design");
    uint64_t id = verify_parse_id(did);
    if (!type)
        return verify_fail(v, "entry seq %llu: no type", (unsigned long long)seq);
    if (!id)
        return verify_fail(v, "entry seq %llu: no design id", (unsigned long long)seq);
    struct vdesign *d = verify_design(v, id);
    if (!strcmp(type, "vote")) {
        const char *voter = verify_str(e, "voter");
        json_t *val = json_object_get(e, "value"), *old = json_object_get(e, "old");
        if (!voter || strlen(voter) != 64 || !json_is_integer(val) || !json_is_integer(old))
            return verify_fail(v, "entry seq %llu (design %s): a vote needs voter, value and old",
                        (unsigned long long)seq, did);
        json_int_t x = json_integer_value(val), o = json_integer_value(old);
        if ((x && !value_ok(v->scale, x)) || (o && !value_ok(v->scale, o)) || x == o)
            return verify_fail(v, "entry seq %llu (design %s): vote %lld → %lld is not a change on "
                        "this contest's scale", (unsigned long long)seq, did, (long long)o,
                        (long long)x);
        char key[96];
        snprintf(key, sizeof key, "%s/%s", did, voter);
        json_int_t before = json_integer_value(json_object_get(v->voters, key));
        if (before != o)
            return verify_fail(v, "entry seq %llu (design %s): the vote says the voter's previous "
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
            return verify_fail(v, "entry seq %llu (design %s): hide needs hidden true/false",
                        (unsigned long long)seq, did);
        d->hidden = json_is_true(h);
    } else if (!strcmp(type, "status")) {
        const char *from = verify_str(e, "from"), *to = verify_str(e, "to");
        if (!from || !to || strlen(to) >= sizeof d->status)
            return verify_fail(v, "entry seq %llu (design %s): status needs from and to",
                        (unsigned long long)seq, did);
        if (d->status[0] && strcmp(d->status, from))
            return verify_fail(v, "entry seq %llu (design %s): status moves from %s, but the log "
                        "left it %s", (unsigned long long)seq, did, from, d->status);
        snprintf(d->status, sizeof d->status, "%s", to);
    } else if (!strcmp(type, "threshold")) {
        if (!json_is_integer(json_object_get(e, "supports")))
            return verify_fail(v, "entry seq %llu (design %s): threshold needs supports",
                        (unsigned long long)seq, did);
    } else {
        return verify_fail(v, "entry seq %llu: unknown type '%s'", (unsigned long long)seq, type);
    }
    return 0;
}

/* Checks one served line (no newline). */
static int check_line(struct verify *v, const char *line, size_t len)
{
    unsigned long long seq = v->seq + 1;
    char *canon = xmalloc(len + 2);
    size_t clen;
    uint8_t claimed[32], want[32];
    json_t *e = NULL;
    int rc = -1;
    if (auditlog_unline(line, len, canon, &clen, claimed)) {
        verify_fail(v, "line %llu: not an entry with a hash", seq);
        goto out;
    }
    json_error_t je;
    e = json_loadb(canon, clen, JSON_REJECT_DUPLICATES, &je);
    size_t l2 = 0;
    char *again = e ? auditlog_canonical(e, &l2) : NULL;
    int canonical = again && l2 == clen && !memcmp(again, canon, clen);
    free(again);
    if (!canonical) {
        verify_fail(v, "line %llu: the entry is not canonical JSON (sorted keys, compact, integers)",
             seq);
        goto out;
    }
    json_t *js = json_object_get(e, "seq");
    const char *did = verify_str(e, "design");
    if (!json_is_integer(js) || (unsigned long long)json_integer_value(js) != seq) {
        verify_fail(v, "entry seq %lld (design %s): found at position %llu: an entry is missing, "
             "duplicated or out of order", json_is_integer(js) ? (long long)json_integer_value(js) : -1LL,
             did ? did : "-", seq);
        goto out;
    }
    char prev_hex[65];
    hex_encode(v->prev, 32, prev_hex);
    const char *prev = verify_str(e, "prev");
    if (!prev || strcmp(prev, prev_hex)) {
        verify_fail(v, "entry seq %llu (design %s): prev %s is not the hash %s of entry %llu",
             seq, did ? did : "-", prev ? prev : "(none)", prev_hex, seq - 1);
        goto out;
    }
    auditlog_hash(v->prev, canon, clen, want);
    if (memcmp(want, claimed, 32)) {
        char hex[65];
        hex_encode(want, 32, hex);
        verify_fail(v, "entry seq %llu (design %s): its hash is not SHA-256(prev || entry) = %s: "
             "the entry was changed", seq, did ? did : "-", hex);
        goto out;
    }
    if (!json_is_integer(json_object_get(e, "at"))) {
        verify_fail(v, "entry seq %llu: no time", seq);
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

/* Sink for the log's bytes: splits lines. */
int verify_feed(void *user, const uint8_t *data, size_t len)
{
    struct verify *v = user;
    while (len) {
        const uint8_t *nl = memchr(data, '\n', len);
        size_t n = nl ? (size_t)(nl - data) : len;
        if (v->line.len + n > AUDITLOG_ENTRY_MAX + AUDITLOG_HASH_SUFFIX)
            return verify_fail(v, "line %llu: longer than %d bytes", (unsigned long long)v->seq + 1,
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

