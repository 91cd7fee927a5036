/* cocreate verify --server URL --contest ID [--log FILE]: independent check of a
 * contest's audit log (SPEC §6), on libcocreate (requests, and the log streamed through
 * cc_fetch's sink). Reads contest.get (the scale) and every page of
 * contest.results (one snapshot: all pages must name the same log length), then the
 * log from GET /log/<contest> (or FILE, a saved copy of it), and checks every line:
 * well-formed and canonical, seq 1, 2, … in order, `prev` = the previous entry's hash,
 * hash = SHA-256(prev || canonical bytes). It replays the first log_length entries into
 * per-design tallies (votes, supports and the scale's fields) and statuses, and
 * compares them and the chain head with the results. Exit 0 when everything matches;
 * 1 with a message naming the first mismatch (entry seq, design); 2 on a usage error. */
#include <stdio.h>
#include <string.h>

#include "auditcheck.h"
#include "cli.h"

/* How often the results are read again when votes arrive between their pages. */
#define VERIFY_RESULT_TRIES 5
/* contest.results' largest page (the server's RESULTS_LIMIT_MAX). */
#define VERIFY_PAGE 1000
/* Longest silence of the server before a request or the log's download gives up (a
 * long log's first bytes may take a while on a busy server). */
#define VERIFY_TIMEOUT_MS 120000

static const char *str(json_t *e, const char *k)
{
    return json_string_value(json_object_get(e, k));
}

/* GET /log/<contest>'s sink state: the check, and a refusal's reason. */
struct log_fetch {
    struct auditcheck *v;
    char refusal[256]; /* the start of a body other than the log (a 404's reason) */
};

/* cc_fetch's sink for GET /log/<contest>: a 200's body is the log; another status's
 * body is its reason, of which the first line is kept. */
static int log_sink(const struct cc_body *head, const unsigned char *data, size_t len,
                    void *user)
{
    struct log_fetch *lf = user;
    if (head->status != 200) {
        size_t have = strlen(lf->refusal), room = sizeof lf->refusal - 1 - have;
        size_t n = len < room ? len : room;
        memcpy(lf->refusal + have, data, n);
        lf->refusal[have + n] = '\0';
        return 0;
    }
    return auditcheck_bytes(lf->v, data, len);
}

/* A failed request's reason, "op: code: message", and its exit code: 1 when the server
 * refused, 3 when the connection was lost. */
static int request_failed(const char *op, const struct cc_call *call, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: %s: %s", op, call->error.code, call->error.message);
    return cli_exit_code(call->error.kind);
}

/* Every page of contest.results with the same log length into *ranking. Returns 0, or
 * an exit code with the reason in err. */
static int read_results(struct cc_conn *conn, struct auditcheck *v, json_t **ranking, char *err,
                        size_t errlen)
{
    for (int attempt = 0; attempt < VERIFY_RESULT_TRIES; attempt++) {
        json_t *all = json_array();
        long long length = -1;
        const char *head = NULL;
        int again = 0;
        for (long long offset = 0;;) {
            struct cc_call call = {0};
            if (cc_contest_results(conn, v->contest, (int)offset, VERIFY_PAGE, &call)) {
                int rc = request_failed("contest.results", &call, err, errlen);
                cc_call_clear(&call);
                json_decref(all);
                return rc;
            }
            json_t *res = call.result;
            json_t *items = json_object_get(res, "ranking");
            long long len = json_integer_value(json_object_get(res, "log_length"));
            const char *h = str(res, "log_head");
            if (!json_is_array(items) || !h || strlen(h) != 64) {
                snprintf(err, errlen, "contest.results: no ranking or log_head");
                cc_call_clear(&call);
                json_decref(all);
                return CLI_REFUSED;
            }
            if (length >= 0 && len != length)
                again = 1;
            length = len;
            snprintf(v->log_head, sizeof v->log_head, "%s", h);
            head = v->log_head;
            json_array_extend(all, items);
            long long total = json_integer_value(json_object_get(res, "total"));
            size_t got = json_array_size(items);
            cc_call_clear(&call);
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
    return CLI_REFUSED;
}

/* Reads the log from GET /log/<contest> through log_sink. Returns 0, or an exit code
 * with the reason in err (or in v->why when the log itself is wrong). */
static int fetch_log(struct cc_conn *conn, struct auditcheck *v, char *err, size_t errlen)
{
    char path[128];
    snprintf(path, sizeof path, "/log/%s", v->contest);
    struct log_fetch lf = {.v = v};
    struct cc_fetch f = {.sink = log_sink, .sink_user = &lf};
    int kind = cc_fetch(conn, path, &f), rc = 0;
    if (kind == CC_ERR_HTTP) {
        lf.refusal[strcspn(lf.refusal, "\r\n")] = '\0';
        snprintf(err, errlen, "GET %s: status %d%s%s", path, f.error.http_status,
                 lf.refusal[0] ? ": " : "", lf.refusal);
        rc = CLI_REFUSED;
    } else if (kind && !v->why[0]) {
        /* a log cut off mid-way (the connection closed before its Content-Length) is a
         * failed verify, as a short log is */
        snprintf(err, errlen, "GET %s: %s", path, f.error.message);
        rc = kind == CC_ERR_CLOSED ? CLI_REFUSED : cli_exit_code(kind);
    } else if (kind) {
        rc = CLI_REFUSED; /* the sink stopped at the first mismatch, in v->why */
    }
    cc_fetch_clear(&f);
    return rc;
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
    char err[1024] = "";
    json_t *ranking = NULL;
    struct auditcheck v;
    auditcheck_init(&v, contest);
    struct cc_error cerr = {0};
    if (cli_open(cli, &cerr)) {
        snprintf(err, sizeof err, "%s", cerr.message);
        rc = cli_exit_code(cerr.kind);
        cc_error_clear(&cerr);
        goto out;
    }
    cc_set_timeout(cli->conn, VERIFY_TIMEOUT_MS);
    struct cc_call call = {0};
    if (cc_contest_get(cli->conn, contest, &call)) {
        rc = request_failed("contest.get", &call, err, sizeof err);
        cc_call_clear(&call);
        goto out;
    }
    rc = CLI_REFUSED;
    const char *scale = str(json_object_get(call.result, "contest"), "scale");
    int known = !auditcheck_scale(scale, &v.scale);
    cc_call_clear(&call);
    if (!known) {
        snprintf(err, sizeof err, "contest.get: unknown scale");
        goto out;
    }
    if ((rc = read_results(cli->conn, &v, &ranking, err, sizeof err)))
        goto out;
    rc = CLI_REFUSED;

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
            bad = auditcheck_bytes(&v, buf, n);
        fclose(f);
        if (bad)
            goto out;
    } else if ((rc = fetch_log(cli->conn, &v, err, sizeof err))) {
        goto out;
    }
    rc = CLI_REFUSED;
    if (auditcheck_end(&v) || auditcheck_compare(&v, ranking))
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
    json_decref(ranking);
    auditcheck_free(&v);
    return rc;
}
