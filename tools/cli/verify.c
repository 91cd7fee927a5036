/* cocreate verify --server URL --contest ID [--log FILE]: independent check of a
 * contest's audit log (SPEC §6). Reads contest.get (the scale) and every page of
 * contest.results (one snapshot: all pages must name the same log length), then the
 * log from GET /log/<contest> (or FILE, a saved copy of it), and checks every line:
 * well-formed and canonical, seq 1, 2, … in order, `prev` = the previous entry's hash,
 * hash = SHA-256(prev || canonical bytes). It replays the first log_length entries into
 * per-design tallies (votes, supports and the scale's fields) and statuses, and
 * compares them and the chain head with the results. Exit 0 when everything matches;
 * 1 with a message naming the first mismatch (entry seq, design); 2 on a usage error. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditlog.h"
#include "cli.h"
#include "client.h"
#include "u64map.h"
#include "util.h"

/* How often the results are read again when votes arrive between their pages. */
#define VERIFY_RESULT_TRIES 5
/* contest.results' largest page (the server's RESULTS_LIMIT_MAX). */
#define VERIFY_PAGE 1000

enum vscale { V_HEART, V_STARS5, V_UPDOWN };

/* What the log says about one design. */
struct vdesign {
    uint32_t votes, supports, stars[5], up, down, hearts;
    uint64_t sum;
    int hidden;
    char status[24]; /* last status move's `to`, "" if none */
    int seen_in_results;
};

struct verify {
    const char *contest;
    enum vscale scale;
    uint64_t log_length; /* from the results */
    char log_head[65];
    /* the chain so far */
    uint64_t seq;
    uint8_t prev[32];
    uint8_t head_at_length[32];
    struct u64map designs; /* design id → struct vdesign */
    json_t *voters;        /* "design/voter" → current value */
    struct ccbuf line;     /* a partial line */
    char why[1024];        /* the first mismatch */
};

static int fail(struct verify *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct verify *v, const char *fmt, ...)
{
    if (!v->why[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(v->why, sizeof v->why, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static struct vdesign *design_of(struct verify *v, uint64_t id)
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
static int withdrawn(const struct vdesign *d)
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
static json_t *tally_of(enum vscale s, const struct vdesign *d)
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

static const char *str(json_t *e, const char *k)
{
    return json_string_value(json_object_get(e, k));
}

/* Replays one checked entry (seq ≤ log_length) into the designs. */
static int replay(struct verify *v, json_t *e, uint64_t seq)
{
    const char *type = str(e, "type");
    const char *did = str(e, "design");
    uint64_t id = parse_id(did);
    if (!type)
        return fail(v, "entry seq %llu: no type", (unsigned long long)seq);
    if (!id)
        return fail(v, "entry seq %llu: no design id", (unsigned long long)seq);
    struct vdesign *d = design_of(v, id);
    if (!strcmp(type, "vote")) {
        const char *voter = str(e, "voter");
        json_t *val = json_object_get(e, "value"), *old = json_object_get(e, "old");
        if (!voter || strlen(voter) != 64 || !json_is_integer(val) || !json_is_integer(old))
            return fail(v, "entry seq %llu (design %s): a vote needs voter, value and old",
                        (unsigned long long)seq, did);
        json_int_t x = json_integer_value(val), o = json_integer_value(old);
        if ((x && !value_ok(v->scale, x)) || (o && !value_ok(v->scale, o)) || x == o)
            return fail(v, "entry seq %llu (design %s): vote %lld → %lld is not a change on "
                        "this contest's scale", (unsigned long long)seq, did, (long long)o,
                        (long long)x);
        char key[96];
        snprintf(key, sizeof key, "%s/%s", did, voter);
        json_int_t before = json_integer_value(json_object_get(v->voters, key));
        if (before != o)
            return fail(v, "entry seq %llu (design %s): the vote says the voter's previous "
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
            return fail(v, "entry seq %llu (design %s): hide needs hidden true/false",
                        (unsigned long long)seq, did);
        d->hidden = json_is_true(h);
    } else if (!strcmp(type, "status")) {
        const char *from = str(e, "from"), *to = str(e, "to");
        if (!from || !to || strlen(to) >= sizeof d->status)
            return fail(v, "entry seq %llu (design %s): status needs from and to",
                        (unsigned long long)seq, did);
        if (d->status[0] && strcmp(d->status, from))
            return fail(v, "entry seq %llu (design %s): status moves from %s, but the log "
                        "left it %s", (unsigned long long)seq, did, from, d->status);
        snprintf(d->status, sizeof d->status, "%s", to);
    } else if (!strcmp(type, "threshold")) {
        if (!json_is_integer(json_object_get(e, "supports")))
            return fail(v, "entry seq %llu (design %s): threshold needs supports",
                        (unsigned long long)seq, did);
    } else {
        return fail(v, "entry seq %llu: unknown type '%s'", (unsigned long long)seq, type);
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
        fail(v, "line %llu: not an entry with a hash", seq);
        goto out;
    }
    json_error_t je;
    e = json_loadb(canon, clen, JSON_REJECT_DUPLICATES, &je);
    size_t l2 = 0;
    char *again = e ? auditlog_canonical(e, &l2) : NULL;
    int canonical = again && l2 == clen && !memcmp(again, canon, clen);
    free(again);
    if (!canonical) {
        fail(v, "line %llu: the entry is not canonical JSON (sorted keys, compact, integers)",
             seq);
        goto out;
    }
    json_t *js = json_object_get(e, "seq");
    const char *did = str(e, "design");
    if (!json_is_integer(js) || (unsigned long long)json_integer_value(js) != seq) {
        fail(v, "entry seq %lld (design %s): found at position %llu: an entry is missing, "
             "duplicated or out of order", json_is_integer(js) ? (long long)json_integer_value(js) : -1LL,
             did ? did : "-", seq);
        goto out;
    }
    char prev_hex[65];
    hex_encode(v->prev, 32, prev_hex);
    const char *prev = str(e, "prev");
    if (!prev || strcmp(prev, prev_hex)) {
        fail(v, "entry seq %llu (design %s): prev %s is not the hash %s of entry %llu",
             seq, did ? did : "-", prev ? prev : "(none)", prev_hex, seq - 1);
        goto out;
    }
    auditlog_hash(v->prev, canon, clen, want);
    if (memcmp(want, claimed, 32)) {
        char hex[65];
        hex_encode(want, 32, hex);
        fail(v, "entry seq %llu (design %s): its hash is not SHA-256(prev || entry) = %s: "
             "the entry was changed", seq, did ? did : "-", hex);
        goto out;
    }
    if (!json_is_integer(json_object_get(e, "at"))) {
        fail(v, "entry seq %llu: no time", seq);
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
static int log_sink(void *user, const uint8_t *data, size_t len)
{
    struct verify *v = user;
    while (len) {
        const uint8_t *nl = memchr(data, '\n', len);
        size_t n = nl ? (size_t)(nl - data) : len;
        if (v->line.len + n > AUDITLOG_ENTRY_MAX + AUDITLOG_HASH_SUFFIX)
            return fail(v, "line %llu: longer than %d bytes", (unsigned long long)v->seq + 1,
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

/* Every page of contest.results with the same log length into *ranking. */
static int read_results(struct cli_rpc *rpc, struct verify *v, json_t **ranking, char *err,
                        size_t errlen)
{
    for (int attempt = 0; attempt < VERIFY_RESULT_TRIES; attempt++) {
        json_t *all = json_array();
        long long length = -1;
        const char *head = NULL;
        int again = 0;
        for (long long offset = 0;;) {
            json_t *res = cli_rpc_call(rpc, "contest.results",
                                       json_pack("{sssIsI}", "contest", v->contest, "offset",
                                                 (json_int_t)offset, "limit",
                                                 (json_int_t)VERIFY_PAGE),
                                       err, errlen);
            if (!res) {
                json_decref(all);
                return -1;
            }
            json_t *items = json_object_get(res, "ranking");
            long long len = json_integer_value(json_object_get(res, "log_length"));
            const char *h = str(res, "log_head");
            if (!json_is_array(items) || !h || strlen(h) != 64) {
                snprintf(err, errlen, "contest.results: no ranking or log_head");
                json_decref(res);
                json_decref(all);
                return -1;
            }
            if (length >= 0 && len != length)
                again = 1;
            length = len;
            snprintf(v->log_head, sizeof v->log_head, "%s", h);
            head = v->log_head;
            json_array_extend(all, items);
            long long total = json_integer_value(json_object_get(res, "total"));
            size_t got = json_array_size(items);
            json_decref(res);
            offset += (long long)got;
            if (again || got == 0 || offset >= total)
                break;
        }
        if (!again && head) {
            v->log_length = (uint64_t)length;
            *ranking = all;
            return 0;
        }
        json_decref(all); /* votes arrived between pages: read them again */
    }
    snprintf(err, errlen, "contest.results kept changing between its pages (%d tries): "
             "verify again when the contest is quiet", VERIFY_RESULT_TRIES);
    return -1;
}

/* Compares the replayed designs with the results' ranking. */
static int compare(struct verify *v, json_t *ranking)
{
    size_t i;
    json_t *item;
    json_array_foreach(ranking, i, item)
    {
        const char *did = str(item, "design");
        uint64_t id = parse_id(did);
        if (!id)
            return fail(v, "results item %zu has no design id", i);
        struct vdesign *d = design_of(v, id);
        if (d->seen_in_results++)
            return fail(v, "design %s: listed twice in the results", did);
        json_t *want = tally_of(v->scale, d), *got = json_object_get(item, "tally");
        int same = json_equal(want, got);
        if (!same) {
            char *a = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS),
                 *b = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
            fail(v, "design %s: contest.results has tally %s, the log's first %llu entries "
                 "give %s", did, a ? a : "(none)", (unsigned long long)v->log_length, b);
            free(a);
            free(b);
        }
        json_decref(want);
        if (!same)
            return -1;
        if (d->hidden)
            return fail(v, "design %s: hidden by the log but listed in the results", did);
        if (withdrawn(d))
            return fail(v, "design %s: withdrawn by the log but listed in the results", did);
        const char *status = str(item, "status");
        if (d->status[0] && status && strcmp(status, d->status))
            return fail(v, "design %s: contest.results says status %s, the log's last move "
                        "is to %s", did, status, d->status);
    }
    for (size_t k = 0; k < v->designs.cap; k++) {
        struct vdesign *d = v->designs.vals[k];
        if (v->designs.keys[k] && !d->seen_in_results && !d->hidden && !withdrawn(d) &&
            d->votes)
            return fail(v, "design %llu: %u votes in the log, but missing from the results",
                        (unsigned long long)v->designs.keys[k], d->votes);
    }
    return 0;
}

int cmd_verify(struct cli *cli)
{
    const char *contest = cli_opt(cli, "contest"), *file = cli_opt(cli, "log");
    int rc = cli_resolve(cli);
    if (rc)
        return rc;
    if (!contest || !*contest || strlen(contest) > 64 ||
        strspn(contest, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(contest))
        return cli_usage_error(cli, "--contest ID is needed (a contest's slug)");
    const char *url = cli->server;
    char err[1024] = "";
    struct cli_server srv;
    struct cli_rpc *rpc = NULL;
    json_t *ranking = NULL;
    struct verify v;
    memset(&v, 0, sizeof v);
    v.contest = contest;
    u64map_init(&v.designs);
    v.voters = json_object();
    ccbuf_init(&v.line);
    rc = CLI_REFUSED;
    if (cli_server_parse(url, &srv, err, sizeof err))
        goto out;
    if (cli_rpc_open(&rpc, &srv, err, sizeof err)) {
        rc = CLI_NOCONN;
        goto out;
    }
    json_t *res = cli_rpc_call(rpc, "contest.get", json_pack("{ss}", "contest", contest), err,
                               sizeof err);
    if (!res)
        goto out;
    const char *scale = str(json_object_get(res, "contest"), "scale");
    v.scale = !scale ? V_HEART
              : !strcmp(scale, "stars5") ? V_STARS5
              : !strcmp(scale, "updown") ? V_UPDOWN
                                         : V_HEART;
    int known = scale && (!strcmp(scale, "stars5") || !strcmp(scale, "updown") ||
                          !strcmp(scale, "heart"));
    json_decref(res);
    if (!known) {
        snprintf(err, sizeof err, "contest.get: unknown scale");
        goto out;
    }
    if (read_results(rpc, &v, &ranking, err, sizeof err))
        goto out;
    cli_rpc_close(rpc);
    rpc = NULL;

    if (file) {
        FILE *f = fopen(file, "rb");
        if (!f) {
            snprintf(err, sizeof err, "%s: cannot open", file);
            goto out;
        }
        uint8_t buf[65536];
        size_t n;
        int bad = 0;
        while (!bad && (n = fread(buf, 1, sizeof buf, f)) > 0)
            bad = log_sink(&v, buf, n);
        fclose(f);
        if (bad)
            goto out;
    } else {
        char path[128];
        snprintf(path, sizeof path, "/log/%s", contest);
        struct cli_http_resp resp;
        if (cli_http_get(&srv, path, NULL, &resp, log_sink, &v, err, sizeof err)) {
            if (v.why[0])
                err[0] = '\0';
            goto out;
        }
        if (resp.status != 200) {
            snprintf(err, sizeof err, "GET %s: status %d", path, resp.status);
            goto out;
        }
    }
    if (v.line.len) {
        fail(&v, "line %llu: the log ends in the middle of a line",
             (unsigned long long)v.seq + 1);
        goto out;
    }
    if (v.seq < v.log_length) {
        fail(&v, "entry seq %llu: missing: the log has %llu entries, contest.results counts "
             "%llu (entries were dropped)", (unsigned long long)v.seq + 1,
             (unsigned long long)v.seq, (unsigned long long)v.log_length);
        goto out;
    }
    char head[65];
    hex_encode(v.head_at_length, 32, head);
    if (strcmp(head, v.log_head)) {
        fail(&v, "entry seq %llu: the chain's head %s is not contest.results' log_head %s",
             (unsigned long long)v.log_length, head, v.log_head);
        goto out;
    }
    if (compare(&v, ranking))
        goto out;
    if (cli->json) {
        json_t *j = json_pack("{sb ss sI ss sI}", "verified", 1, "contest", contest, "entries",
                              (json_int_t)v.log_length, "log_head", v.log_head, "designs",
                              (json_int_t)json_array_size(ranking));
        cli_print_json(j);
        json_decref(j);
    } else {
        printf("verified: contest %s, %llu log entries, head %s, %zu ranked designs match\n",
               contest, (unsigned long long)v.log_length, v.log_head, json_array_size(ranking));
    }
    rc = 0;
out:
    if (rc && cli->json) {
        json_t *j = json_pack("{s{ss ss}}", "error", "code", "verify_failed", "message",
                              v.why[0] ? v.why : err);
        cli_print_json(j);
        json_decref(j);
    } else if (rc) {
        fprintf(stderr, "verify: %s\n", v.why[0] ? v.why : err);
    }
    cli_rpc_close(rpc);
    json_decref(ranking);
    json_decref(v.voters);
    ccbuf_free(&v.line);
    for (size_t k = 0; k < v.designs.cap; k++)
        if (v.designs.keys[k])
            free(v.designs.vals[k]);
    u64map_free(&v.designs);
    return rc;
}
