/* Gallery commands (SPEC §4, §5, §8): gallery — a page as a table, or with --watch a
 * live window (gallery.subscribe) redrawn in place on a terminal and one line per
 * update when piped — and search. */
#include <string.h>

#include "cli.h"

/* A live table on a terminal shows this many unless --limit says otherwise: it must fit
 * on the screen to be redrawn in place. */
#define CLI_WATCH_TTY_LIMIT 10

/* The columns of a page of designs; offset is the first one's place. */
static int print_designs(const struct cli *cli, const json_t *items, long long offset)
{
    struct cli_table *t = table_new("#>,ID>,TITLE<40,BY<20,VOTES>,SUPPORTS>,SCORE>,STATUS");
    size_t i;
    json_t *d;
    json_array_foreach(items, i, d)
    {
        char rank[24], votes[24], supports[24];
        const json_t *tally = json_object_get(d, "tally");
        snprintf(rank, sizeof rank, "%lld", offset + (long long)i + 1);
        snprintf(votes, sizeof votes, "%lld", cli_int(tally, "votes"));
        snprintf(supports, sizeof supports, "%lld", cli_int(tally, "supports"));
        char score[32];
        snprintf(score, sizeof score, "%s", cli_str(d, "score"));
        table_add(t, rank, cli_str(d, "id"), cli_str(d, "title"), cli_str(d, "creator_name"),
                  votes, supports, score, cli_str(d, "status"));
    }
    int lines = table_print(t, cli, stdout);
    table_free(t);
    return lines;
}

/* The query from the command's options; returns 0 or CLI_USAGE. */
static int gallery_query(struct cli *cli, struct cc_gallery_query *q)
{
    long long limit = 0, offset = 0;
    int rc = cli_opt_int(cli, "limit", 1, 100, &limit);
    if (rc || (rc = cli_opt_int(cli, "offset", 0, 1000000000, &offset)))
        return rc;
    memset(q, 0, sizeof *q);
    q->contest = cli_opt(cli, "contest");
    q->sort = cli_opt(cli, "sort") ? cli_opt(cli, "sort") : "top";
    q->tag = cli_opt(cli, "tag");
    q->creator = cli_opt(cli, "creator");
    q->status = cli_opt(cli, "status");
    q->kind = cli_opt(cli, "kind");
    q->limit = (int)limit;
    q->offset = (int)offset;
    return 0;
}

struct live {
    struct cli *cli;
    const struct cc_gallery_query *q;
    unsigned long want; /* stop after this many updates; 0: never */
    int lines;          /* drawn last time on the terminal */
    struct cc_sub *sub;
};

/* One line of the window: `3 designs: 1. 7 "Sunset" 3 votes; 2. 3 "Cave" 1 vote`. */
static void live_line(const struct cc_sub *s, long long offset)
{
    printf("%lld designs:", cc_sub_total(s));
    for (size_t i = 0; i < cc_sub_size(s); i++) {
        const json_t *d = cc_sub_item(s, i);
        long long votes = cli_int(json_object_get(d, "tally"), "votes");
        printf("%s %lld. %s \"%s\" %lld vote%s", i ? ";" : "", offset + (long long)i + 1,
               cli_str(d, "id"), cli_str(d, "title"), votes, votes == 1 ? "" : "s");
    }
    printf("\n");
}

static void on_window(struct cc_sub *s, json_t *event, void *user)
{
    struct live *l = user;
    struct cli *cli = l->cli;
    if (event && l->want && cc_sub_updates(s) > l->want)
        return; /* past --updates N, in the same read as the Nth */
    if (cli->json) {
        json_t *first = event ? NULL
                              : json_pack("{ss sI sO}", "sub", cc_sub_id(s), "total",
                                          (json_int_t)cc_sub_total(s), "items", cc_sub_items(s));
        cli_print_json(event ? event : first);
        json_decref(first);
    } else if (cli->out_tty) {
        if (l->lines) /* back to the top of the last drawing, and clear below */
            printf("\033[%dA\033[J", l->lines);
        printf("%s%s%s, %s: %lld designs, %lu updates (Ctrl-C to stop)\n",
               cli_color(cli, CLI_BOLD), l->q->contest ? l->q->contest : "open",
               cli_color(cli, CLI_RESET), l->q->sort, cc_sub_total(s), cc_sub_updates(s));
        l->lines = 1 + print_designs(cli, cc_sub_items(s), l->q->offset);
    } else {
        live_line(s, l->q->offset);
    }
    fflush(stdout);
}

static int enough_updates(void *user)
{
    const struct live *l = user;
    return l->want && cc_sub_updates(l->sub) >= l->want;
}

int cmd_gallery(struct cli *cli)
{
    struct cc_gallery_query q;
    long long updates = 0, timeout = 0;
    int rc = gallery_query(cli, &q);
    if (rc || (rc = cli_opt_int(cli, "updates", 1, 1000000000, &updates)) ||
        (rc = cli_opt_int(cli, "timeout", 1, 1000000000, &timeout)))
        return rc;
    int watch = cli_flag(cli, "watch");
    if (!watch && (updates || timeout))
        return cli_usage_error(cli, "--updates and --timeout go with --watch");
    if ((rc = cli_connect(cli, CLI_OPTIONAL)))
        return rc;
    struct cc_call call = {0};
    if (!watch) {
        rc = cli_reply(cli, cc_gallery_get(cli->conn, &q, &call), &call);
        if (rc == CLI_HUMAN) {
            long long total = cli_int(call.result, "total");
            printf("%lld design%s in %s, by %s\n", total, total == 1 ? "" : "s",
                   q.contest ? q.contest : "open", q.sort);
            print_designs(cli, json_object_get(call.result, "items"), q.offset);
            rc = CLI_OK;
        }
        cc_call_clear(&call);
        return rc;
    }
    if (!q.limit && cli->out_tty && !cli->json)
        q.limit = CLI_WATCH_TTY_LIMIT;
    struct live l = {cli, &q, (unsigned long)updates, 0, NULL};
    rc = cc_gallery_subscribe(cli->conn, &q, on_window, &l, &l.sub, &call);
    if (rc)
        rc = cli_fail(cli, &call.error);
    cc_call_clear(&call);
    return rc ? rc : cli_wait(cli, enough_updates, &l, (double)timeout);
}

int cmd_search(struct cli *cli)
{
    long long limit = 0, offset = 0;
    int rc = cli_opt_int(cli, "limit", 1, 100, &limit);
    if (rc || (rc = cli_opt_int(cli, "offset", 0, 1000000000, &offset)) ||
        (rc = cli_connect(cli, CLI_OPTIONAL)))
        return rc;
    struct cc_call call = {0};
    rc = cli_reply(cli, cc_search(cli->conn, cli->args[0], cli_opt(cli, "contest"),
                                  cli_opt(cli, "kind"), (int)offset, (int)limit, &call),
                   &call);
    if (rc == CLI_HUMAN) {
        printf("%lld designs match \"%s\"\n", cli_int(call.result, "total"), cli->args[0]);
        print_designs(cli, json_object_get(call.result, "items"), offset);
        rc = CLI_OK;
    }
    cc_call_clear(&call);
    return rc;
}
