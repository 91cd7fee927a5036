/* cocreate: the command-line client (docs/cli.md, man/cocreate.1). The table below is
 * every command, in the order help lists them; each lives in the file of its group
 * (account.c, designs.c, gallery.c, contests.c, notices.c; lint.c, render.c, verify.c,
 * export.c). This file parses the command line for all of them — the global options,
 * then the command's own from its table entry — and prints help from the same table. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

static const struct cli_opt upload_opts[] = {
    {"title", "TITLE", "the design's title (default: the file's name)"},
    {"tags", "A,B", "up to 8 tags, comma-separated"},
    {"contest", "ID", "the contest to enter (default: open)"},
    {"kind", "KIND", "level or artwork (default: guessed from the content)"},
    {"accept-terms", "VERSION", "accept the contest's terms of that version"},
    {NULL, NULL, NULL},
};
static const struct cli_opt gallery_opts[] = {
    {"contest", "ID", "the contest's gallery (default: open)"},
    {"sort", "SORT", "new, top, hot or random (default: top)"},
    {"tag", "TAG", "only designs with this tag"},
    {"creator", "ACCOUNT", "only this account's designs (its id)"},
    {"status", "STATUS", "only designs with this status"},
    {"kind", "KIND", "only levels or only artworks"},
    {"limit", "N", "how many (1-100, default 24; 10 with --watch on a terminal)"},
    {"offset", "N", "skip the first N"},
    {"watch", NULL, "keep it live: redrawn on a terminal, one line per update piped"},
    {"updates", "N", "with --watch: stop after N updates"},
    {"timeout", "SECONDS", "with --watch: stop after that long"},
    {NULL, NULL, NULL},
};
static const struct cli_opt search_opts[] = {
    {"contest", "ID", "only this contest's designs"},
    {"kind", "KIND", "only levels or only artworks"},
    {"limit", "N", "how many (1-100, default 24)"},
    {"offset", "N", "skip the first N"},
    {NULL, NULL, NULL},
};
static const struct cli_opt register_opts[] = {
    {"password", NULL, "also set a password (asked for; one line of stdin when piped)"},
    {"contact", "TEXT", "a contact only you and the brand see (e.g. an e-mail)"},
    {"device", "NAME", "this session's name in `cocreate sessions`"},
    {NULL, NULL, NULL},
};
static const struct cli_opt login_opts[] = {
    {"token", "TOKEN", "sign in with a token instead of a name and password"},
    {"device", "NAME", "this session's name in `cocreate sessions`"},
    {NULL, NULL, NULL},
};
static const struct cli_opt vote_opts[] = {
    {"clear", NULL, "take your vote back"},
    {NULL, NULL, NULL},
};
static const struct cli_opt limit_opts[] = {
    {"limit", "N", "how many (1-100)"},
    {NULL, NULL, NULL},
};
static const struct cli_opt watch_opts[] = {
    {"updates", "N", "stop after N updates"},
    {"timeout", "SECONDS", "stop after that long"},
    {NULL, NULL, NULL},
};
static const struct cli_opt status_opts[] = {
    {"note", "TEXT", "the public note (the official response)"},
    {NULL, NULL, NULL},
};
static const struct cli_opt hide_opts[] = {
    {"unhide", NULL, "show it again"},
    {"reason", "TEXT", "why, for the moderation log"},
    {NULL, NULL, NULL},
};
static const struct cli_opt notices_opts[] = {
    {"limit", "N", "how many (1-100, default 20)"},
    {"read", NULL, "then mark them all read"},
    {NULL, NULL, NULL},
};
static const struct cli_opt contest_create_opts[] = {
    {"title", "TITLE", "its title (required)"},
    {"kind", "KIND", "level or artwork (required)"},
    {"scale", "SCALE", "stars5, updown or heart (default: heart)"},
    {"brief", "TEXT", "what the brand asks for"},
    {"prize", "TEXT", "what a winner gets"},
    {"submit-open", "TIME", "uploads open (Unix seconds, or +N[smhd] from now)"},
    {"submit-close", "TIME", "uploads close, votes stay open"},
    {"vote-close", "TIME", "votes close"},
    {"threshold", "N", "supports that shortlist a design (0: none)"},
    {NULL, NULL, NULL},
};
static const struct cli_opt contest_list_opts[] = {
    {"phase", "PHASE", "only contests in this phase"},
    {NULL, NULL, NULL},
};
static const struct cli_opt results_opts[] = {
    {"limit", "N", "how many (1-100, default 100)"},
    {"offset", "N", "skip the first N"},
    {"csv", NULL, "as CSV (rank,design,title,creator,votes,supports,score,status)"},
    {NULL, NULL, NULL},
};
static const struct cli_opt kind_opts[] = {
    {"kind", "KIND", "level or artwork (default: guessed from the content)"},
    {NULL, NULL, NULL},
};
static const struct cli_opt render_opts[] = {
    {"o", "OUT.png", "where to write the PNG (required)"},
    {"thumb", NULL, "the thumbnail instead of the full-size render"},
    {"kind", "KIND", "level or artwork (default: guessed from the content)"},
    {NULL, NULL, NULL},
};
static const struct cli_opt verify_opts[] = {
    {"contest", "ID", "the contest (required)"},
    {"log", "FILE", "check this copy of the audit log instead of the server's"},
    {NULL, NULL, NULL},
};
static const struct cli_opt export_opts[] = {
    {"contest", "ID", "the contest (required)"},
    {"out", "DIR", "where to write the files (required)"},
    {NULL, NULL, NULL},
};

static const struct cli_cmd commands[] = {
    {"register", "NAME", 1, 1, register_opts, "make an account and sign in as it",
     "register ann --password", cmd_register},
    {"login", "[NAME]", 0, 1, login_opts,
     "sign in with a name and password (asked for), or --token; the token is saved",
     "login ann", cmd_login},
    {"logout", "", 0, 0, NULL, "end this session and forget its token", "logout", cmd_logout},
    {"whoami", "", 0, 0, NULL, "the account signed in, its points and unread notices",
     "whoami", cmd_whoami},
    {"sessions", "", 0, 0, NULL, "your sessions (devices signed in)", "sessions",
     cmd_sessions},
    {"revoke", "SESSION", 1, 1, NULL, "sign one of your sessions out", "revoke 3", cmd_revoke},
    {"password", "", 0, 0, NULL, "set or change your password (asked for)", "password",
     cmd_password},
    {"upload", "FILE", 1, 1, upload_opts, "upload a level (JSON) or an artwork (PNG)",
     "upload castle.json --title 'Castle run' --tags castle,hard --contest summer-levels",
     cmd_upload},
    {"gallery", "", 0, 0, gallery_opts, "a ranked gallery, or a live one with --watch",
     "gallery --contest summer-levels --sort top --watch", cmd_gallery},
    {"design", "ID", 1, 1, NULL, "one design: tally, status timeline, comments",
     "design 12", cmd_design},
    {"search", "QUERY", 1, 1, search_opts, "designs by title, tag or creator name",
     "search 'castle run'", cmd_search},
    {"vote", "ID [VALUE]", 1, 2, vote_opts,
     "vote on a design (VALUE 1-5 for stars5, 1 or -1 for updown; default 1)", "vote 12 5",
     cmd_vote},
    {"comment", "ID TEXT", 2, 2, NULL, "comment on a design", "comment 12 'Love the jumps'",
     cmd_comment},
    {"comments", "ID", 1, 1, limit_opts, "a design's comments, newest first", "comments 12",
     cmd_comments},
    {"watch", "ID", 1, 1, watch_opts, "follow a design live: tally, status, comments",
     "watch 12 --updates 5", cmd_watch},
    {"notices", "", 0, 0, notices_opts, "what concerns you (status moves, comments, ...)",
     "notices --read", cmd_notices},
    {"contest list", "", 0, 0, contest_list_opts, "the contests", "contest list --phase voting",
     cmd_contest_list},
    {"contest show", "ID", 1, 1, NULL, "one contest: brief, prize, dates, phase",
     "contest show summer-levels", cmd_contest_show},
    {"contest create", "SLUG", 1, 1, contest_create_opts, "make a contest (brand)",
     "contest create summer-levels --title 'Summer levels' --kind level --scale stars5 "
     "--submit-close +7d --vote-close +14d",
     cmd_contest_create},
    {"contest close", "ID", 1, 1, NULL, "close a contest: its results are final (brand)",
     "contest close summer-levels", cmd_contest_close},
    {"contest results", "ID", 1, 1, results_opts, "a contest's ranking (--csv to export it)",
     "contest results summer-levels --csv > results.csv", cmd_contest_results},
    {"results", "ID", 1, 1, results_opts, "the same as `contest results`",
     "results summer-levels", cmd_contest_results},
    {"status", "ID STATUS", 2, 2, status_opts,
     "move a design's status (brand): shortlisted, winner, not_selected, in_production, "
     "launched",
     "status 12 winner --note 'Printing in March'", cmd_status},
    {"hide", "ID", 1, 1, hide_opts, "hide a design from everyone but its creator (brand)",
     "hide 12 --reason 'not original'", cmd_hide},
    {"lint", "FILE", 1, 1, kind_opts, "validate a design offline, exactly as an upload would",
     "lint castle.json", cmd_lint},
    {"render", "FILE", 1, 1, render_opts, "draw a design's render or thumbnail offline",
     "render castle.json -o castle.png --thumb", cmd_render},
    {"verify", "", 0, 0, verify_opts,
     "check a contest's audit log: hashes, chain head and tallies against its results",
     "verify --contest summer-levels", cmd_verify},
    {"export", "", 0, 0, export_opts,
     "download a contest's production export: winners' originals, renders, manifest (brand)",
     "export --contest summer-levels --out ./print", cmd_export},
    {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};

/* Options every command takes. */
static const struct cli_opt global_opts[] = {
    {"server", "URL", "the server (default: $COCREATE_SERVER, the config file, "
                      "http://127.0.0.1:8080)"},
    {"token", "TOKEN", "the token to use (default: $COCREATE_TOKEN, the config file)"},
    {"ca", "FILE", "https:// servers: trust the CA certificates of this PEM file besides "
                   "the system's (default: $COCREATE_CA)"},
    {"json", NULL, "print the server's result (or the error) as JSON on stdout"},
    {"help", NULL, "this command's help"},
    {NULL, NULL, NULL},
};

static void print_opts(FILE *f, const struct cli_opt *o)
{
    for (; o && o->name; o++) {
        char left[64];
        snprintf(left, sizeof left, "%s%s%s%s", o->name[1] ? "--" : "-", o->name,
                 o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(f, "  %-24s %s\n", left, o->help);
    }
}

static void usage_line(FILE *f, const struct cli_cmd *c)
{
    fprintf(f, "usage: cocreate %s%s%s [OPTIONS]\n", c->name, *c->args ? " " : "", c->args);
}

static void command_help(FILE *f, const struct cli_cmd *c)
{
    usage_line(f, c);
    fprintf(f, "\n%s\n", c->summary);
    if (c->opts && c->opts->name) {
        fprintf(f, "\noptions:\n");
        print_opts(f, c->opts);
    }
    fprintf(f, "\nglobal options:\n");
    print_opts(f, global_opts);
    fprintf(f, "\nexample:\n  cocreate %s\n", c->example);
}

static void help(FILE *f, const char *group)
{
    fprintf(f, "usage: cocreate [--server URL] [--json] COMMAND [ARGS] [OPTIONS]\n\n"
               "commands:\n");
    for (const struct cli_cmd *c = commands; c->name; c++) {
        if (group && (strncmp(c->name, group, strlen(group)) || c->name[strlen(group)] != ' '))
            continue;
        char left[64];
        snprintf(left, sizeof left, "%s%s%s", c->name, *c->args ? " " : "", c->args);
        fprintf(f, "  %-22s %s\n", left, c->summary);
    }
    if (group)
        return;
    fprintf(f, "\nglobal options:\n");
    print_opts(f, global_opts);
    fprintf(f, "\n`cocreate COMMAND --help` shows a command's options and an example.\n"
               "The token of `login` and `register` is kept in $XDG_CONFIG_HOME/cocreate/config\n"
               "(else ~/.config/cocreate/config). Exit codes: 0 ok, 1 refused by the server,\n"
               "2 usage, 3 cannot connect. See man cocreate.\n");
}

const char *cli_opt(const struct cli *cli, const char *name)
{
    for (int i = 0; cli->cmd->opts && cli->cmd->opts[i].name; i++)
        if (!strcmp(cli->cmd->opts[i].name, name))
            return cli->values[i];
    return NULL;
}

int cli_flag(const struct cli *cli, const char *name)
{
    return cli_opt(cli, name) != NULL;
}

int cli_opt_int(struct cli *cli, const char *name, long long min, long long max,
                long long *out)
{
    const char *v = cli_opt(cli, name);
    if (!v)
        return 0;
    char *end;
    long long n = strtoll(v, &end, 10);
    if (!*v || *end || n < min || n > max)
        return cli_usage_error(cli, "--%s takes a whole number from %lld to %lld, not '%s'",
                               name, min, max, v);
    *out = n;
    return 0;
}

int cli_usage_error(struct cli *cli, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (cli->json) {
        json_t *j = json_pack("{s{ss ss}}", "error", "code", "usage", "message", msg);
        cli_print_json(j);
        json_decref(j);
    } else {
        fprintf(stderr, "cocreate%s%s: %s\n", cli->cmd ? " " : "",
                cli->cmd ? cli->cmd->name : "", msg);
        if (cli->cmd)
            usage_line(stderr, cli->cmd);
        else
            fprintf(stderr, "usage: cocreate COMMAND [ARGS] [OPTIONS]\n");
        fprintf(stderr, "(cocreate %s%s--help for more)\n", cli->cmd ? cli->cmd->name : "",
                cli->cmd ? " " : "");
    }
    return CLI_USAGE;
}

/* The index of option name in opts, or -1. */
static int find_opt(const struct cli_opt *opts, const char *name, size_t len)
{
    for (int i = 0; opts && opts[i].name; i++)
        if (strlen(opts[i].name) == len && !strncmp(opts[i].name, name, len))
            return i;
    return -1;
}

/* Parses argv (after the command's words) into cli: the command's options, the global
 * ones, and positional arguments ("--" ends options). Returns 0, 1 for --help, or
 * CLI_USAGE after saying why. */
static int parse(struct cli *cli, int argc, char **argv)
{
    int only_args = 0;
    for (int i = 0; i < argc; i++) {
        char *a = argv[i];
        if (only_args || a[0] != '-' || !a[1] || (a[1] >= '0' && a[1] <= '9')) {
            cli->args[cli->nargs++] = a; /* "-1" is a vote's value, not an option */
            continue;
        }
        if (!strcmp(a, "--")) {
            only_args = 1;
            continue;
        }
        const char *name = a + 1 + (a[1] == '-');
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        if (!strcmp(a, "-h"))
            name = "help", len = 4;
        const struct cli_opt *opt;
        const char **slot;
        int k = find_opt(cli->cmd->opts, name, len);
        if (k >= 0) {
            opt = &cli->cmd->opts[k];
            slot = &cli->values[k];
        } else if ((k = find_opt(global_opts, name, len)) >= 0) {
            opt = &global_opts[k];
            slot = k == 0   ? &cli->server_flag
                   : k == 1 ? &cli->token_flag
                   : k == 2 ? &cli->ca_flag
                            : NULL;
        } else {
            return cli_usage_error(cli, "unknown option '%s'", a);
        }
        const char *value = "";
        if (opt->arg) {
            if (eq)
                value = eq + 1;
            else if (i + 1 < argc)
                value = argv[++i];
            else
                return cli_usage_error(cli, "--%s needs a value (%s)", opt->name, opt->arg);
        } else if (eq) {
            return cli_usage_error(cli, "--%s takes no value", opt->name);
        }
        if (slot)
            *slot = value;
        else if (!strcmp(opt->name, "json"))
            cli->json = 1;
        else
            return 1; /* --help */
    }
    if (cli->nargs < cli->cmd->min_args || cli->nargs > cli->cmd->max_args)
        return cli_usage_error(cli, cli->nargs < cli->cmd->min_args ? "missing %s"
                                                                    : "too many arguments (%s)",
                               *cli->cmd->args ? cli->cmd->args : "none taken");
    return 0;
}

/* The command argv names: one word, or a group's two ("contest create"). */
static const struct cli_cmd *find_command(int argc, char **argv, int *words)
{
    for (const struct cli_cmd *c = commands; c->name; c++) {
        size_t n = strlen(argv[0]);
        if (!strcmp(c->name, argv[0])) {
            *words = 1;
            return c;
        }
        if (argc > 1 && !strncmp(c->name, argv[0], n) && c->name[n] == ' ' &&
            !strcmp(c->name + n + 1, argv[1])) {
            *words = 2;
            return c;
        }
    }
    return NULL;
}

static int is_group(const char *name)
{
    size_t n = strlen(name);
    for (const struct cli_cmd *c = commands; c->name; c++)
        if (!strncmp(c->name, name, n) && c->name[n] == ' ')
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    struct cli cli = {0};
    cli.out_tty = isatty(1);
    cli.err_tty = isatty(2);
    const char *no_color = getenv("NO_COLOR");
    int color_ok = !(no_color && *no_color) && !(getenv("TERM") && !strcmp(getenv("TERM"), "dumb"));
    cli.color = cli.out_tty && color_ok;
    cli.err_color = cli.err_tty && color_ok;

    /* Global options may come before the command too: move them after it. */
    char **rest = xcalloc((size_t)argc + 1, sizeof(char *));
    int nrest = 0, i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            help(stdout, NULL);
            free(rest);
            return 0;
        }
        rest[nrest++] = argv[i];
        int k = find_opt(global_opts, argv[i] + 2, strlen(argv[i] + 2));
        if (argv[i][1] == '-' && k >= 0 && global_opts[k].arg && i + 1 < argc)
            rest[nrest++] = argv[++i];
    }
    if (i >= argc || !strcmp(argv[i], "help")) {
        int words;
        const struct cli_cmd *c = i + 1 < argc ? find_command(argc - i - 1, argv + i + 1, &words)
                                               : NULL;
        if (c)
            command_help(stdout, c);
        else
            help(i >= argc ? stderr : stdout, i + 1 < argc && is_group(argv[i + 1]) ? argv[i + 1] : NULL);
        free(rest);
        return i >= argc ? CLI_USAGE : 0;
    }
    int words = 0;
    cli.cmd = find_command(argc - i, argv + i, &words);
    if (!cli.cmd) {
        int group = is_group(argv[i]);
        if (group && (i + 1 >= argc || !strcmp(argv[i + 1], "--help"))) {
            help(i + 1 >= argc ? stderr : stdout, argv[i]);
            free(rest);
            return i + 1 >= argc ? CLI_USAGE : 0;
        }
        for (int k = 0; k < nrest; k++)
            if (!strcmp(rest[k], "--json"))
                cli.json = 1;
        free(rest);
        return cli_usage_error(&cli, group ? "unknown %s command '%s' (try: cocreate %s --help)"
                                           : "unknown command '%s' (try: cocreate --help)%s%s",
                               argv[i], group && i + 1 < argc ? argv[i + 1] : "",
                               group ? argv[i] : "");
    }
    for (int k = i + words; k < argc; k++)
        rest[nrest++] = argv[k];
    cli.args = xcalloc((size_t)nrest + 1, sizeof(char *));
    int rc = parse(&cli, nrest, rest);
    if (rc == 1) {
        command_help(stdout, cli.cmd);
        rc = 0;
    } else if (!rc) {
        rc = cli.cmd->run(&cli);
    }
    cc_close(cli.conn);
    json_decref(cli.login);
    free(cli.args);
    free(rest);
    return rc;
}
