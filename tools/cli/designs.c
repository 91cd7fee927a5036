/* Design commands (SPEC §4, §7): upload (with a progress bar on a terminal), design,
 * vote, comment, comments, watch (a design live), and the brand's status and hide. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "designfile.h"

/* SPEC §2: up to 8 tags; a few more are passed on for the server to refuse in words. */
#define CLI_MAX_TAGS 16
/* Characters of the progress bar between its brackets. */
#define BAR_WIDTH 30

/* "3 votes, 2 supports" and the scale's own counts, in buf. */
static const char *tally_words(const json_t *tally, char *buf, size_t len)
{
    long long votes = cli_int(tally, "votes");
    int n = snprintf(buf, len, "%lld vote%s, %lld supports", votes, votes == 1 ? "" : "s",
                     cli_int(tally, "supports"));
    if (json_object_get(tally, "up") && n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, " (%lld up, %lld down)", cli_int(tally, "up"),
                 cli_int(tally, "down"));
    else if (json_object_get(tally, "sum") && votes && n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, " (%.2f stars on average)",
                 (double)cli_int(tally, "sum") / (double)votes);
    return buf;
}

/* One line of a design: `12 "Castle run" by ann: 3 votes, 2 supports, score 2.000,
 * submitted, 1 comment`. */
static void design_line(const json_t *d, FILE *f)
{
    char tally[128];
    long long comments = cli_int(d, "comments");
    fprintf(f, "%s \"%s\" by %s: %s, score %s, %s, %lld comment%s\n", cli_str(d, "id"),
            cli_str(d, "title"), cli_str(d, "creator_name"),
            tally_words(json_object_get(d, "tally"), tally, sizeof tally), cli_str(d, "score"),
            cli_str(d, "status"), comments, comments == 1 ? "" : "s");
    fflush(f);
}

struct progress {
    const struct cli *cli;
    int drawn;
};

/* The bar on stderr, redrawn in place: only called when stderr is a terminal. */
static void draw_progress(size_t sent, size_t total, void *user)
{
    struct progress *p = user;
    int fill = total ? (int)((double)sent * BAR_WIDTH / (double)total) : BAR_WIDTH;
    char bar[BAR_WIDTH + 1];
    memset(bar, '#', (size_t)fill);
    memset(bar + fill, '-', (size_t)(BAR_WIDTH - fill));
    bar[BAR_WIDTH] = 0;
    fprintf(stderr, "\ruploading [%s] %3d%%  %zu / %zu KiB", bar,
            total ? (int)(sent * 100 / total) : 100, (sent + 1023) / 1024, (total + 1023) / 1024);
    fflush(stderr);
    p->drawn = 1;
}

/* The file's name without its folders and extension. */
static void default_title(const char *path, char *out, size_t len)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    snprintf(out, len, "%.*s", (int)(dot && dot > base ? (size_t)(dot - base) : strlen(base)),
             base);
}

int cmd_upload(struct cli *cli)
{
    const char *path = cli->args[0], *tags_opt = cli_opt(cli, "tags");
    char title[256], tagbuf[512] = "";
    const char *tags[CLI_MAX_TAGS];
    size_t ntags = 0;
    if (tags_opt) {
        snprintf(tagbuf, sizeof tagbuf, "%s", tags_opt);
        for (char *save, *t = strtok_r(tagbuf, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
            if (ntags == CLI_MAX_TAGS)
                return cli_usage_error(cli, "too many tags (at most 8)");
            else
                tags[ntags++] = t;
    }
    default_title(path, title, sizeof title);
    struct ccbuf buf;
    const struct kind *kind;
    ccbuf_init(&buf);
    int rc = designfile_read(path, cli_opt(cli, "kind"), &buf, &kind);
    if (!rc)
        rc = cli_connect(cli, CLI_MEMBER);
    if (rc) {
        ccbuf_free(&buf);
        return rc;
    }
    struct progress p = {cli, 0};
    struct cc_upload u = {
        .kind = kind->name,
        .title = cli_opt(cli, "title") ? cli_opt(cli, "title") : title,
        .tags = ntags ? tags : NULL,
        .ntags = ntags,
        .contest = cli_opt(cli, "contest"),
        .accept_terms = cli_opt(cli, "accept-terms"),
        .data = buf.data,
        .len = buf.len,
        .progress = cli->err_tty ? draw_progress : NULL,
        .progress_user = &p,
    };
    struct cc_call call = {0};
    int urc = cc_upload(cli->conn, &u, &call);
    ccbuf_free(&buf);
    if (p.drawn)
        fprintf(stderr, "\n");
    rc = cli_reply(cli, urc, &call);
    if (rc == CLI_HUMAN) {
        const json_t *d = json_object_get(call.result, "design");
        printf("Uploaded design %s%s%s \"%s\" (%s, contest %s)%s\n", cli_color(cli, CLI_BOLD),
               cli_str(d, "id"), cli_color(cli, CLI_RESET), cli_str(d, "title"),
               cli_str(d, "kind"), cli_str(d, "contest"),
               json_is_true(json_object_get(call.result, "have"))
                   ? ": the server already had these bytes"
                   : "");
        rc = CLI_OK;
    }
    cc_call_clear(&call);
    return rc;
}

int cmd_design(struct cli *cli)
{
    int rc = cli_connect(cli, CLI_OPTIONAL);
    if (rc)
        return rc;
    struct cc_call call = {0};
    rc = cli_reply(cli, cc_design_get(cli->conn, cli->args[0], &call), &call);
    if (rc == CLI_HUMAN) {
        const json_t *d = json_object_get(call.result, "design");
        char when[32], tally[128];
        printf("%s%s \"%s\"%s, a %s by %s in contest %s, uploaded %s\n",
               cli_color(cli, CLI_BOLD), cli_str(d, "id"), cli_str(d, "title"),
               cli_color(cli, CLI_RESET), cli_str(d, "kind"), cli_str(d, "creator_name"),
               cli_str(d, "contest"), cli_time(cli_int(d, "created"), when, sizeof when));
        printf("  %s, score %s, %lld comments\n",
               tally_words(json_object_get(d, "tally"), tally, sizeof tally),
               cli_str(d, "score"), cli_int(d, "comments"));
        size_t i;
        json_t *v;
        printf("  tags:");
        json_array_foreach(json_object_get(d, "tags"), i, v) printf(" %s", json_string_value(v));
        printf("%s\n", json_array_size(json_object_get(d, "tags")) ? "" : " none");
        if (json_is_true(json_object_get(d, "hidden")))
            printf("  %shidden%s\n", cli_color(cli, CLI_YELLOW), cli_color(cli, CLI_RESET));
        printf("  status: %s\n", cli_str(d, "status"));
        json_array_foreach(json_object_get(d, "timeline"), i, v)
        {
            const char *note = cli_str(v, "note");
            printf("    %s  %s%s%s%s\n", cli_time(cli_int(v, "at"), when, sizeof when),
                   cli_str(v, "status"), *note ? " \"" : "", note, *note ? "\"" : "");
        }
        rc = CLI_OK;
    }
    cc_call_clear(&call);
    return rc;
}

int cmd_vote(struct cli *cli)
{
    long long value = 1;
    if (cli->nargs > 1) {
        char *end;
        value = strtoll(cli->args[1], &end, 10);
        if (*end || value < -1 || value > 5)
            return cli_usage_error(cli, "VALUE is 1-5 (stars5), 1 or -1 (updown), 1 (heart)");
    }
    if (cli->nargs > 1 && cli_flag(cli, "clear"))
        return cli_usage_error(cli, "--clear takes no VALUE");
    int rc = cli_connect(cli, CLI_MEMBER);
    if (rc)
        return rc;
    struct cc_call call = {0};
    const char *id = cli->args[0];
    rc = cli_reply(cli,
                   cli_flag(cli, "clear") ? cc_vote_clear(cli->conn, id, &call)
                                          : cc_vote_cast(cli->conn, id, (int)value, &call),
                   &call);
    if (rc == CLI_HUMAN) {
        char tally[128];
        tally_words(json_object_get(call.result, "tally"), tally, sizeof tally);
        if (cli_flag(cli, "clear"))
            printf("Vote on %s taken back: %s\n", id, tally);
        else
            printf("Voted %lld on %s: %s\n", value, id, tally);
        rc = CLI_OK;
    }
    cc_call_clear(&call);
    return rc;
}

int cmd_comment(struct cli *cli)
{
    int rc = cli_connect(cli, CLI_MEMBER);
    if (rc)
        return rc;
    struct cc_call call = {0};
    rc = cli_reply(cli, cc_comment_post(cli->conn, cli->args[0], cli->args[1], &call), &call);
    if (rc == CLI_HUMAN) {
        printf("Comment %s posted on %s.\n",
               cli_str(json_object_get(call.result, "comment"), "id"), cli->args[0]);
        rc = CLI_OK;
    }
    cc_call_clear(&call);
    return rc;
}

int cmd_comments(struct cli *cli)
{
    long long limit = 0;
    int rc = cli_opt_int(cli, "limit", 1, 100, &limit);
    if (rc || (rc = cli_connect(cli, CLI_OPTIONAL)))
        return rc;
    struct cc_call call = {0};
    rc = cli_reply(cli, cc_comment_list(cli->conn, cli->args[0], NULL, (int)limit, &call),
                   &call);
    if (rc == CLI_HUMAN) {
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(call.result, "comments"), i, c)
        {
            char when[32];
            int official = json_is_true(json_object_get(c, "official"));
            printf("%s%s%s%s, %s:\n  %s\n", cli_color(cli, CLI_BOLD), cli_str(c, "author_name"),
                   cli_color(cli, CLI_RESET), official ? " (official)" : "",
                   cli_time(cli_int(c, "created"), when, sizeof when), cli_str(c, "text"));
        }
        if (!i)
            printf("No comments.\n");
        rc = CLI_OK;
    }
    cc_call_clear(&call);
    return rc;
}

struct watching {
    struct cli *cli;
    unsigned long updates, want; /* want 0: no limit */
};

static void on_design_update(struct cc_watch *w, json_t *event, void *user)
{
    struct watching *s = user;
    if (s->want && s->updates >= s->want)
        return; /* past --updates N, in the same read as the Nth */
    s->updates++;
    if (s->cli->json) {
        cli_print_json(event);
        return;
    }
    design_line(cc_watch_design(w), stdout);
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(event, "comments_new"), i, c)
        printf("  %s: %s\n", cli_str(c, "author_name"), cli_str(c, "text"));
    fflush(stdout);
}

static int enough_updates(void *user)
{
    const struct watching *s = user;
    return s->want && s->updates >= s->want;
}

int cmd_watch(struct cli *cli)
{
    long long updates = 0, timeout = 0;
    int rc = cli_opt_int(cli, "updates", 1, 1000000000, &updates);
    if (rc || (rc = cli_opt_int(cli, "timeout", 1, 1000000000, &timeout)) ||
        (rc = cli_connect(cli, CLI_OPTIONAL)))
        return rc;
    struct watching s = {cli, 0, (unsigned long)updates};
    struct cc_watch *w;
    struct cc_call call = {0};
    rc = cli_reply(cli, cc_design_watch(cli->conn, cli->args[0], on_design_update, &s, &w, &call),
                   &call);
    if (rc == CLI_HUMAN)
        design_line(json_object_get(call.result, "design"), stdout);
    cc_call_clear(&call);
    if (rc > 0)
        return rc;
    return cli_wait(cli, enough_updates, &s, (double)timeout);
}

int cmd_status(struct cli *cli)
{
    int rc = cli_connect(cli, CLI_MEMBER);
    if (rc)
        return rc;
    struct cc_call call = {0};
    rc = cli_reply(cli, cc_design_set_status(cli->conn, cli->args[0], cli->args[1],
                                             cli_opt(cli, "note"), &call),
                   &call);
    if (rc == CLI_HUMAN) {
        printf("Design %s is now %s.\n", cli->args[0],
               cli_str(json_object_get(call.result, "design"), "status"));
        rc = CLI_OK;
    }
    cc_call_clear(&call);
    return rc;
}

int cmd_hide(struct cli *cli)
{
    int rc = cli_connect(cli, CLI_MEMBER);
    if (rc)
        return rc;
    struct cc_call call = {0};
    int hide = !cli_flag(cli, "unhide");
    rc = cli_reply(cli, cc_design_hide(cli->conn, cli->args[0], hide, cli_opt(cli, "reason"),
                                       &call),
                   &call);
    if (rc == CLI_HUMAN) {
        printf("Design %s is %s.\n", cli->args[0], hide ? "hidden" : "shown again");
        rc = CLI_OK;
    }
    cc_call_clear(&call);
    return rc;
}
