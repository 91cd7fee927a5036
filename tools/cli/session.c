/* The CLI's side of the server, on libcocreate's blocking form: which server and token
 * (flag, environment, config file), connecting and logging in, errors in words or as
 * JSON with their exit codes, passwords from a terminal, and waiting for live updates
 * until enough came, a timeout or Ctrl-C. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define CLI_DEFAULT_SERVER "http://127.0.0.1:8080"
/* cli_wait's slice: how soon Ctrl-C or a timeout is noticed. */
#define CLI_WAIT_SLICE_MS 100

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

int cli_exit_code(enum cc_error_kind kind)
{
    switch (kind) {
    case CC_OK:
        return CLI_OK;
    case CC_ERR_SERVER:
        return CLI_REFUSED;
    case CC_ERR_USAGE:
    case CC_ERR_IO:
        return CLI_USAGE;
    default:
        return CLI_NOCONN;
    }
}

/* What an error's detail adds, in words, to its message. */
static void detail_words(const struct cc_error *err, char *out, size_t len)
{
    const json_t *d = err->detail;
    const char *rule = cli_str(d, "rule");
    out[0] = 0;
    if (!strcmp(err->code, "invalid_design") && *rule) {
        if (json_object_get(d, "row"))
            snprintf(out, len, " (rule \"%s\", at row %lld, column %lld, counted from 0 at "
                               "the top left)",
                     rule, cli_int(d, "row"), cli_int(d, "col"));
        else
            snprintf(out, len, " (rule \"%s\")", rule);
    } else if (json_object_get(d, "retry_after")) {
        snprintf(out, len, " (try again in %lld s)", cli_int(d, "retry_after"));
    } else if (!strcmp(err->code, "conflict") && json_object_get(d, "design")) {
        snprintf(out, len, " (your design %s)", cli_str(d, "design"));
    } else if (json_object_get(d, "phase")) {
        snprintf(out, len, " (the contest is in its %s phase)", cli_str(d, "phase"));
    } else if (json_object_get(d, "field")) {
        snprintf(out, len, " (%s)", cli_str(d, "field"));
    }
}

int cli_fail(struct cli *cli, const struct cc_error *err)
{
    if (cli->json) {
        json_t *e = json_pack("{ss ss}", "code", err->code, "message", err->message);
        if (err->detail)
            json_object_set(e, "detail", err->detail);
        json_t *j = json_pack("{so}", "error", e);
        cli_print_json(j);
        json_decref(j);
        return cli_exit_code(err->kind);
    }
    const char *red = cli->err_color ? CLI_RED : "", *reset = cli->err_color ? CLI_RESET : "";
    char more[256];
    switch (err->kind) {
    case CC_ERR_SERVER:
        detail_words(err, more, sizeof more);
        if (!strcmp(err->code, "invalid_design"))
            fprintf(stderr, "cocreate: %sthe server refused the design%s: %s%s\n", red, reset,
                    err->message, more);
        else
            fprintf(stderr, "cocreate: %srefused%s (%s): %s%s\n", red, reset, err->code,
                    err->message, more);
        break;
    case CC_ERR_CONNECT:
        fprintf(stderr, "cocreate: %scannot connect%s (%s): %s\n", red, reset, cli->server,
                err->message);
        break;
    case CC_ERR_CLOSED:
    case CC_ERR_TIMEOUT:
    case CC_ERR_PROTOCOL:
        fprintf(stderr, "cocreate: %sconnection to %s lost%s: %s\n", red, cli->server, reset,
                err->message);
        break;
    default:
        fprintf(stderr, "cocreate: %s%s\n", err->message, "");
    }
    return cli_exit_code(err->kind);
}

int cli_reply(struct cli *cli, int rc, const struct cc_call *call)
{
    if (rc)
        return cli_fail(cli, &call->error);
    if (cli->json) {
        cli_print_json(call->result);
        return CLI_OK;
    }
    return CLI_HUMAN;
}

/* A refusal made here, before asking the server: code and message as JSON or words. */
static int refuse(struct cli *cli, const char *code, const char *message)
{
    struct cc_error e = {.kind = CC_ERR_SERVER};
    snprintf(e.code, sizeof e.code, "%s", code);
    snprintf(e.message, sizeof e.message, "%s", message);
    return cli_fail(cli, &e);
}

int cli_resolve(struct cli *cli)
{
    struct cli_config cfg;
    if (config_load(&cfg)) {
        char path[4096] = "the config file";
        config_path(path, sizeof path);
        return cli_usage_error(cli, "cannot read %s", path);
    }
    const char *server = cli->server_flag, *token = cli->token_flag;
    if (!server || !*server)
        server = getenv("COCREATE_SERVER");
    if (!server || !*server)
        server = *cfg.server ? cfg.server : CLI_DEFAULT_SERVER;
    if (!token || !*token)
        token = getenv("COCREATE_TOKEN");
    if (!token || !*token)
        token = cfg.token;
    snprintf(cli->server, sizeof cli->server, "%s", server);
    snprintf(cli->token, sizeof cli->token, "%s", token);
    const char *ca = cli->ca_flag;
    if (!ca || !*ca)
        ca = getenv("COCREATE_CA");
    if (ca && *ca) {
        /* a CA file the library cannot read would only show up later as a failed
         * TLS start (exit 3): say at once that it is a local file problem */
        FILE *f = fopen(ca, "r");
        if (!f)
            return cli_usage_error(cli, "cannot read the CA file %s: %s", ca, strerror(errno));
        fclose(f);
        if (strlen(ca) >= sizeof cli->ca)
            return cli_usage_error(cli, "the CA file's path is too long");
        snprintf(cli->ca, sizeof cli->ca, "%s", ca);
    }
    return 0;
}

int cli_open(struct cli *cli, struct cc_error *err)
{
    struct cc_options opt = {.url = cli->server, .ca_file = cli->ca[0] ? cli->ca : NULL};
    return cc_connect(&cli->conn, &opt, err);
}

int cli_connect(struct cli *cli, enum cli_auth auth)
{
    int rc = cli_resolve(cli);
    if (rc)
        return rc;
    if (auth == CLI_MEMBER && !*cli->token)
        return refuse(cli, "unauthorized",
                      "not signed in: run `cocreate login` or `cocreate register`, or set "
                      "COCREATE_TOKEN");

    struct cc_error err = {0};
    rc = cli_open(cli, &err);
    if (rc) {
        rc = cli_fail(cli, &err);
        cc_error_clear(&err);
        return rc;
    }
    if (auth == CLI_ANON || !*cli->token)
        return 0;
    struct cc_call call = {0};
    rc = cc_login_token(cli->conn, cli->token, &call);
    if (rc == CC_ERR_SERVER && !strcmp(call.error.code, "unauthorized")) {
        char why[sizeof call.error.message];
        snprintf(why, sizeof why, "%s", call.error.message);
        snprintf(call.error.message, sizeof call.error.message,
                 "the token was refused (%.120s): sign in again with `cocreate login`", why);
    }
    if (rc)
        rc = cli_fail(cli, &call.error);
    else
        cli->login = json_incref(call.result);
    cc_call_clear(&call);
    return rc;
}

int cli_read_secret(const char *prompt, char *buf, size_t len)
{
    struct termios old, quiet;
    int tty = isatty(0) && !tcgetattr(0, &old);
    if (tty) {
        fprintf(stderr, "%s", prompt);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(0, TCSAFLUSH, &quiet);
    }
    char *line = fgets(buf, (int)len, stdin);
    if (tty) {
        tcsetattr(0, TCSAFLUSH, &old);
        fprintf(stderr, "\n");
    }
    if (!line)
        return -1;
    buf[strcspn(buf, "\r\n")] = 0;
    return 0;
}

int cli_wait(struct cli *cli, int (*done)(void *user), void *user, double timeout)
{
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!stop_signal && !done(user)) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (timeout > 0 &&
            (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 >= timeout)
            break;
        if (cc_poll(cli->conn, CLI_WAIT_SLICE_MS))
            return cli_fail(cli, cc_close_reason(cli->conn));
    }
    return CLI_OK;
}
