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

#include "auditcheck.h"
#include "auditlog.h"
#include "cli.h"
#include "client.h"
#include "u64map.h"
#include "util.h"

/* How often the results are read again when votes arrive between their pages. */
#define VERIFY_RESULT_TRIES 5
/* contest.results' largest page (the server's RESULTS_LIMIT_MAX). */
#define VERIFY_PAGE 1000

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
            const char *h = verify_str(res, "log_head");
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
        const char *did = verify_str(item, "design");
        uint64_t id = verify_parse_id(did);
        if (!id)
            return verify_fail(v, "results item %zu has no design id", i);
        struct vdesign *d = verify_design(v, id);
        if (d->seen_in_results++)
            return verify_fail(v, "design %s: listed twice in the results", did);
        json_t *want = verify_tally(v->scale, d), *got = json_object_get(item, "tally");
        int same = json_equal(want, got);
        if (!same) {
            char *a = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS),
                 *b = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
            verify_fail(v, "design %s: contest.results has tally %s, the log's first %llu entries "
                 "give %s", did, a ? a : "(none)", (unsigned long long)v->log_length, b);
            free(a);
            free(b);
        }
        json_decref(want);
        if (!same)
            return -1;
        if (d->hidden)
            return verify_fail(v, "design %s: hidden by the log but listed in the results", did);
        if (verify_withdrawn(d))
            return verify_fail(v, "design %s: withdrawn by the log but listed in the results", did);
        const char *status = verify_str(item, "status");
        if (d->status[0] && status && strcmp(status, d->status))
            return verify_fail(v, "design %s: contest.results says status %s, the log's last move "
                        "is to %s", did, status, d->status);
    }
    for (size_t k = 0; k < v->designs.cap; k++) {
        struct vdesign *d = v->designs.vals[k];
        if (v->designs.keys[k] && !d->seen_in_results && !d->hidden && !verify_withdrawn(d) &&
            d->votes)
            return verify_fail(v, "design %llu: %u votes in the log, but missing from the results",
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
    const char *scale = verify_str(json_object_get(res, "contest"), "scale");
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
            bad = verify_feed(&v, buf, n);
        fclose(f);
        if (bad)
            goto out;
    } else {
        char path[128];
        snprintf(path, sizeof path, "/log/%s", contest);
        struct cli_http_resp resp;
        if (cli_http_get(&srv, path, NULL, &resp, verify_feed, &v, err, sizeof err)) {
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
        verify_fail(&v, "line %llu: the log ends in the middle of a line",
             (unsigned long long)v.seq + 1);
        goto out;
    }
    if (v.seq < v.log_length) {
        verify_fail(&v, "entry seq %llu: missing: the log has %llu entries, contest.results counts "
             "%llu (entries were dropped)", (unsigned long long)v.seq + 1,
             (unsigned long long)v.seq, (unsigned long long)v.log_length);
        goto out;
    }
    char head[65];
    hex_encode(v.head_at_length, 32, head);
    if (strcmp(head, v.log_head)) {
        verify_fail(&v, "entry seq %llu: the chain's head %s is not contest.results' log_head %s",
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
