/* Contest commands (SPEC §2, §4): contest list, show, create and close (brand), and
 * results — the ranking as a table, or exported as CSV. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

/* A time option: Unix seconds, or +N with s, m, h or d from now. Returns 0 (leaving *out
 * at 0 when absent) or CLI_USAGE. */
static int time_opt(struct cli *cli, const char *name, long long *out)
{
    const char *v = cli_opt(cli, name);
    if (!v)
        return 0;
    char *end;
    long long n = strtoll(v + (*v == '+'), &end, 10);
    long long unit = !*end ? 1 : !strcmp(end, "s") ? 1 : !strcmp(end, "m") ? 60
                              : !strcmp(end, "h")   ? 3600
                              : !strcmp(end, "d")   ? 86400
                                                    : 0;
    if (end == v + (*v == '+') || !unit || n < 0 || (*v != '+' && *end))
        return cli_usage_error(cli, "--%s takes Unix seconds or +N[smhd] (from now), not '%s'",
                               name, v);
    *out = *v == '+' ? (long long)time(NULL) + n * unit : n;
    return 0;
}

int cmd_contest_create(struct cli *cli)
{
    long long open = 0, close = 0, vote = 0, threshold = 0;
    int rc;
    if ((rc = time_opt(cli, "submit-open", &open)) ||
        (rc = time_opt(cli, "submit-close", &close)) ||
        (rc = time_opt(cli, "vote-close", &vote)) ||
        (rc = cli_opt_int(cli, "threshold", 0, 1000000000, &threshold)))
        return rc;
    if (!cli_opt(cli, "title") || !cli_opt(cli, "kind"))
        return cli_usage_error(cli, "--title and --kind are needed");
    if ((rc = cli_connect(cli, CLI_MEMBER)))
        return rc;
    const char *scale = cli_opt(cli, "scale");
    json_t *fields = json_pack("{ss ss ss ss ss? ss? sI sI sI sI}", "slug", cli->args[0], "title",
                               cli_opt(cli, "title"), "kind", cli_opt(cli, "kind"), "scale",
                               scale ? scale : "heart", "brief", cli_opt(cli, "brief"), "prize",
                               cli_opt(cli, "prize"), "submit_open", (json_int_t)open,
                               "submit_close", (json_int_t)close, "vote_close", (json_int_t)vote,
                               "threshold", (json_int_t)threshold);
    struct cc_call call = {0};
    rc = cli_reply(cli, cc_contest_create(cli->conn, fields, &call), &call);
    if (rc == CLI_HUMAN) {
        const json_t *c = json_object_get(call.result, "contest");
        printf("Contest %s created (%s).\n", cli_str(c, "id"), cli_str(c, "phase"));
        rc = CLI_OK;
    }
    cc_call_clear(&call);
    return rc;
}

int cmd_contest_list(struct cli *cli)
{
    int rc = cli_connect(cli, CLI_OPTIONAL);
    if (rc)
        return rc;
    struct cc_call call = {0};
    rc = cli_reply(cli, cc_contest_list(cli->conn, cli_opt(cli, "phase"), &call), &call);
    if (rc == CLI_HUMAN) {
        struct cli_table *t = table_new("ID,KIND,SCALE,PHASE,TITLE<50");
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(call.result, "contests"), i, c)
        {
            const char *kind = cli_str(c, "kind");
            table_add(t, cli_str(c, "id"), *kind ? kind : "any", cli_str(c, "scale"),
                      cli_str(c, "phase"), cli_str(c, "title"));
        }
        table_print(t, cli, stdout);
        table_free(t);
        rc = CLI_OK;
    }
    cc_call_clear(&call);
    return rc;
}

int cmd_contest_show(struct cli *cli)
{
    int rc = cli_connect(cli, CLI_OPTIONAL);
    if (rc)
        return rc;
    struct cc_call call = {0};
    rc = cli_reply(cli, cc_contest_get(cli->conn, cli->args[0], &call), &call);
    if (rc == CLI_HUMAN) {
        const json_t *c = json_object_get(call.result, "contest");
        char a[32], b[32], d[32];
        printf("%s%s%s: %s\n", cli_color(cli, CLI_BOLD), cli_str(c, "id"),
               cli_color(cli, CLI_RESET), cli_str(c, "title"));
        printf("  phase %s; %s designs, %s votes\n", cli_str(c, "phase"),
               *cli_str(c, "kind") ? cli_str(c, "kind") : "any", cli_str(c, "scale"));
        printf("  submissions %s to %s, votes until %s\n",
               cli_time(cli_int(c, "submit_open"), a, sizeof a),
               cli_time(cli_int(c, "submit_close"), b, sizeof b),
               cli_time(cli_int(c, "vote_close"), d, sizeof d));
        if (cli_int(c, "threshold"))
            printf("  %lld supports shortlist a design\n", cli_int(c, "threshold"));
        if (*cli_str(c, "prize"))
            printf("  prize: %s\n", cli_str(c, "prize"));
        if (*cli_str(c, "brief"))
            printf("\n%s\n", cli_str(c, "brief"));
        rc = CLI_OK;
    }
    cc_call_clear(&call);
    return rc;
}

int cmd_contest_close(struct cli *cli)
{
    int rc = cli_connect(cli, CLI_MEMBER);
    if (rc)
        return rc;
    struct cc_call call = {0};
    rc = cli_reply(cli, cc_contest_update(cli->conn, cli->args[0],
                                          json_pack("{sb}", "closed", 1), &call),
                   &call);
    if (rc == CLI_HUMAN) {
        printf("Contest %s is closed: its results are final.\n", cli->args[0]);
        rc = CLI_OK;
    }
    cc_call_clear(&call);
    return rc;
}

/* s as one CSV field (RFC 4180: quoted when it holds a comma, quote or line break). */
static void csv_field(const char *s, const char *sep)
{
    if (strpbrk(s, ",\"\r\n")) {
        putchar('"');
        for (; *s; s++) {
            if (*s == '"')
                putchar('"');
            putchar(*s);
        }
        putchar('"');
    } else {
        fputs(s, stdout);
    }
    fputs(sep, stdout);
}

int cmd_contest_results(struct cli *cli)
{
    long long limit = 100, offset = 0;
    int rc = cli_opt_int(cli, "limit", 1, 100, &limit);
    if (rc || (rc = cli_opt_int(cli, "offset", 0, 1000000000, &offset)) ||
        (rc = cli_connect(cli, CLI_OPTIONAL)))
        return rc;
    struct cc_call call = {0};
    rc = cli_reply(cli, cc_contest_results(cli->conn, cli->args[0], (int)offset, (int)limit,
                                           &call),
                   &call);
    if (rc != CLI_HUMAN) {
        cc_call_clear(&call);
        return rc;
    }
    const json_t *ranking = json_object_get(call.result, "ranking");
    int csv = cli_flag(cli, "csv");
    struct cli_table *t = csv ? NULL
                              : table_new("RANK>,ID>,TITLE<40,BY<20,VOTES>,SUPPORTS>,SCORE>,STATUS");
    if (csv)
        printf("rank,design,title,creator,votes,supports,score,status\n");
    else
        printf("%s, %s: %lld designs; audit log head %s\n", cli->args[0],
               json_is_true(json_object_get(call.result, "final")) ? "final" : "not final yet",
               cli_int(call.result, "total"), cli_str(call.result, "log_head"));
    size_t i;
    json_t *r;
    json_array_foreach(ranking, i, r)
    {
        const json_t *tally = json_object_get(r, "tally");
        char rank[24], votes[24], supports[24], score[32];
        snprintf(rank, sizeof rank, "%lld", cli_int(r, "rank"));
        snprintf(votes, sizeof votes, "%lld", cli_int(tally, "votes"));
        snprintf(supports, sizeof supports, "%lld", cli_int(tally, "supports"));
        snprintf(score, sizeof score, "%s", cli_str(r, "score"));
        const char *cells[] = {rank, cli_str(r, "design"), cli_str(r, "title"),
                               cli_str(r, "creator_name"), votes, supports, score,
                               cli_str(r, "status")};
        if (csv)
            for (size_t k = 0; k < sizeof cells / sizeof cells[0]; k++)
                csv_field(cells[k], k + 1 < sizeof cells / sizeof cells[0] ? "," : "\n");
        else
            table_add(t, cells[0], cells[1], cells[2], cells[3], cells[4], cells[5], cells[6],
                      cells[7]);
    }
    if (t)
        table_print(t, cli, stdout);
    table_free(t);
    cc_call_clear(&call);
    return CLI_OK;
}
