/* The cocreate CLI's frame: the command table's entry (main.c holds the table, one file
 * per command group holds the commands), the parsed command line a command gets, and
 * what every command shares — option lookup, the connection (libcocreate) with the
 * token, exit codes, and output (JSON, errors in words, a tiny table, colour). A new
 * command is one function, its entry in main.c's table and its test. */
#ifndef CC_CLI_H
#define CC_CLI_H

#include <stdio.h>

#include <cocreate/client.h>

/* Exit codes (docs/cli.md, man/cocreate.1). */
enum {
    CLI_OK = 0,
    CLI_REFUSED = 1, /* the server refused (or a design is invalid, a check failed) */
    CLI_USAGE = 2,   /* bad arguments, or a local file that cannot be read or written */
    CLI_NOCONN = 3,  /* cannot connect, or the connection was lost */
};
/* cli_reply's "no error, not --json: print the human form now". */
#define CLI_HUMAN (-1)

/* Most options a command declares (besides the global ones). */
#define CLI_MAX_OPTS 16

/* An option of a command: --name ARG, or a flag when arg is NULL. */
struct cli_opt {
    const char *name; /* without the dashes */
    const char *arg;  /* the value's name in help ("TITLE"), NULL for a flag */
    const char *help;
};

struct cli;
typedef int (*cli_run_fn)(struct cli *cli);

/* One command of main.c's table. */
struct cli_cmd {
    const char *name;    /* "upload", or "contest create" for a group's subcommand */
    const char *args;    /* its positional arguments in help ("FILE"), "" for none */
    int min_args, max_args;
    const struct cli_opt *opts; /* its own options, ended by {NULL}; may be NULL */
    const char *summary; /* one line */
    const char *example; /* one example command line (after "cocreate ") */
    cli_run_fn run;
};

/* Taking what a command needs of an account. */
enum cli_auth {
    CLI_ANON,     /* no login */
    CLI_OPTIONAL, /* log in when there is a token (the brand sees hidden designs) */
    CLI_MEMBER,   /* a token is needed */
};

/* The command line as a command gets it, and the process's output state. */
struct cli {
    const struct cli_cmd *cmd;
    char **args; /* positional arguments */
    int nargs;
    const char *values[CLI_MAX_OPTS]; /* per cmd->opts: a value, "" for a set flag, NULL */
    int json;                         /* --json */
    const char *server_flag, *token_flag, *ca_flag;
    int out_tty, err_tty; /* stdout / stderr are terminals */
    int color, err_color; /* colour on stdout / stderr (a terminal, no NO_COLOR) */
    struct cc_conn *conn; /* cli_connect's, closed by main */
    json_t *login;        /* cli_connect's auth.login result, or NULL; freed by main */
    char server[1024];    /* the server's URL in use */
    char token[256];      /* the token in use, "" for none */
    char ca[4096];        /* --ca or $COCREATE_CA: CA certificates for https://, or "" */
};

/* ---- options (main.c) ---- */

/* The value of option name (NULL when not given; "" for a set flag). */
const char *cli_opt(const struct cli *cli, const char *name);
/* Whether flag name was given. */
int cli_flag(const struct cli *cli, const char *name);
/* Option name as an integer in [min, max]: *out keeps its default when the option is
 * absent. Returns 0, or CLI_USAGE after saying why. */
int cli_opt_int(struct cli *cli, const char *name, long long min, long long max,
                long long *out);
/* Says what is wrong with the command line (and its usage line) on stderr, or as JSON
 * with --json; returns CLI_USAGE. */
int cli_usage_error(struct cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- the server and the account (session.c) ---- */

/* Sets cli->server, cli->token and cli->ca: --server, $COCREATE_SERVER, the config
 * file, else http://127.0.0.1:8080; --token, $COCREATE_TOKEN, else the config file's;
 * --ca, else $COCREATE_CA (a PEM file of CA certificates trusted for https:// besides
 * the system's). Returns 0, or CLI_USAGE after saying why when the config file or the
 * CA file cannot be read. */
int cli_resolve(struct cli *cli);
/* Opens cli->conn to the server in use (after cli_resolve), with its CA file, without
 * logging in and without printing: 0, or a CC_ERR_* kind with err filled (the caller
 * reports it its own way and clears err). */
int cli_open(struct cli *cli, struct cc_error *err);
/* Connects to the server in use (--server, $COCREATE_SERVER, the config file, else
 * http://127.0.0.1:8080) and logs in as auth asks with the token in use (--token,
 * $COCREATE_TOKEN, else the config file's). Returns 0, or the exit code after
 * printing why (3 cannot connect, 1 a refused token or none when one is needed). */
int cli_connect(struct cli *cli, enum cli_auth auth);
/* The outcome of a call: rc is its return, call its reply. On an error prints it
 * (in words, or as JSON) and returns its exit code; with --json prints the result and
 * returns 0; else returns CLI_HUMAN for the command to print its own form. */
int cli_reply(struct cli *cli, int rc, const struct cc_call *call);
/* Prints err (in words on stderr, or as JSON on stdout) and returns its exit code. */
int cli_fail(struct cli *cli, const struct cc_error *err);
/* The exit code of an error kind. */
int cli_exit_code(enum cc_error_kind kind);
/* Reads a password: from the terminal without echo (prompt on stderr), else one line
 * of stdin. Returns 0, or -1 at the end of input. */
int cli_read_secret(const char *prompt, char *buf, size_t len);
/* Handles what arrives on the connection until done(user) is true, the timeout passes
 * (seconds; 0 = none), Ctrl-C or SIGTERM. Returns 0, or the exit code of a lost
 * connection after printing why. */
int cli_wait(struct cli *cli, int (*done)(void *user), void *user, double timeout);

/* ---- the config file (config.c) ---- */

struct cli_config {
    char server[1024];
    char token[256];
    char name[64];
};
/* The config file's path: $XDG_CONFIG_HOME/cocreate/config, else
 * $HOME/.config/cocreate/config. Returns 0, or -1 when neither variable is set. */
int config_path(char *out, size_t len);
/* Reads the config file into c (zeroed first; a missing file is an empty config).
 * Returns 0, or -1 when it exists but cannot be read. */
int config_load(struct cli_config *c);
/* Writes c to the config file (directories made 0700, the file 0600, replaced at once).
 * Returns 0, or -1 with errno. */
int config_save(const struct cli_config *c);

/* ---- output (out.c) ---- */

/* SGR sequences for cli_color. */
#define CLI_BOLD "\033[1m"
#define CLI_DIM "\033[2m"
#define CLI_RED "\033[31m"
#define CLI_GREEN "\033[32m"
#define CLI_YELLOW "\033[33m"
#define CLI_RESET "\033[0m"
/* sgr when stdout has colour, else "". */
const char *cli_color(const struct cli *cli, const char *sgr);
/* Prints j as one line of JSON on stdout. */
void cli_print_json(const json_t *j);
/* The string s of a JSON object's member key ("" when absent; numbers as text in a
 * static buffer that the next call reuses). */
const char *cli_str(const json_t *obj, const char *key);
/* An integer member (0 when absent). */
long long cli_int(const json_t *obj, const char *key);
/* A Unix time as "2026-12-06 12:34" (local time) in buf. */
const char *cli_time(long long t, char *buf, size_t len);

/* A tiny table: columns from a spec "ID>,TITLE<40,BY": a name, '>' for right-aligned,
 * '<N' for at most N characters (longer cells end in "…"). Cells are copied. */
struct cli_table;
struct cli_table *table_new(const char *spec);
void table_add(struct cli_table *t, ...); /* one row: a const char * per column */
/* Prints it (the header in bold on a terminal); returns the lines printed. */
int table_print(const struct cli_table *t, const struct cli *cli, FILE *f);
void table_free(struct cli_table *t);

/* ---- commands (one file per group) ---- */

/* account.c */
int cmd_register(struct cli *cli);
int cmd_login(struct cli *cli);
int cmd_logout(struct cli *cli);
int cmd_whoami(struct cli *cli);
int cmd_sessions(struct cli *cli);
int cmd_revoke(struct cli *cli);
int cmd_password(struct cli *cli);
/* designs.c */
int cmd_upload(struct cli *cli);
int cmd_design(struct cli *cli);
int cmd_vote(struct cli *cli);
int cmd_comment(struct cli *cli);
int cmd_comments(struct cli *cli);
int cmd_watch(struct cli *cli);
int cmd_status(struct cli *cli);
int cmd_hide(struct cli *cli);
/* gallery.c */
int cmd_gallery(struct cli *cli);
int cmd_search(struct cli *cli);
/* contests.c */
int cmd_contest_create(struct cli *cli);
int cmd_contest_list(struct cli *cli);
int cmd_contest_show(struct cli *cli);
int cmd_contest_close(struct cli *cli);
int cmd_contest_results(struct cli *cli);
/* notices.c */
int cmd_notices(struct cli *cli);
/* lint.c, render.c: offline, on shared/'s content kinds */
int cmd_lint(struct cli *cli);
int cmd_render(struct cli *cli);
/* verify.c, export.c: requests, and HTTP bodies streamed through cc_fetch's sink */
int cmd_verify(struct cli *cli);
int cmd_export(struct cli *cli);

#endif
