/* Account commands (SPEC §7): register, login, logout, whoami, sessions, revoke,
 * password. register and login keep the server, the name and the new token in the
 * config file; logout forgets the token. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* The session's name in `cocreate sessions` unless --device names it. */
#define CLI_DEVICE "cocreate CLI"
/* SPEC §7: passwords are at most 200 scalar values (800 bytes of UTF-8). */
#define CLI_PASSWORD_MAX 1024

/* Keeps the server, the account's name and token in the config file, and says so. */
static int save_login(struct cli *cli, const json_t *result, const char *what)
{
    struct cli_config cfg;
    config_load(&cfg);
    const json_t *account = json_object_get(result, "account");
    snprintf(cfg.server, sizeof cfg.server, "%s", cli->server);
    snprintf(cfg.name, sizeof cfg.name, "%s", cli_str(account, "name"));
    snprintf(cfg.token, sizeof cfg.token, "%s", cli_str(result, "token"));
    char path[4096] = "the config file";
    config_path(path, sizeof path);
    if (config_save(&cfg)) {
        fprintf(stderr, "cocreate: cannot write %s (%s); your token, shown only now: %s\n", path,
                strerror(errno), cfg.token);
        return CLI_USAGE;
    }
    if (!cli->json)
        printf("%s %s%s%s (account %s). Token saved in %s\n", what, cli_color(cli, CLI_BOLD),
               cfg.name, cli_color(cli, CLI_RESET), cli_str(account, "id"), path);
    return CLI_OK;
}

/* Asks for a new password; on a terminal twice. Returns 0 or the exit code. */
static int new_password(struct cli *cli, char *buf, size_t len)
{
    char again[CLI_PASSWORD_MAX];
    if (cli_read_secret("New password: ", buf, len))
        return cli_usage_error(cli, "no password given (stdin ended)");
    if (isatty(0) && (cli_read_secret("Again: ", again, sizeof again) || strcmp(buf, again)))
        return cli_usage_error(cli, "the two passwords differ");
    return 0;
}

int cmd_register(struct cli *cli)
{
    char password[CLI_PASSWORD_MAX] = "";
    int rc = cli_flag(cli, "password") ? new_password(cli, password, sizeof password) : 0;
    if (rc || (rc = cli_connect(cli, CLI_ANON)))
        return rc;
    const char *device = cli_opt(cli, "device");
    struct cc_call call = {0};
    rc = cli_reply(cli, cc_register(cli->conn, cli->args[0], *password ? password : NULL,
                                    cli_opt(cli, "contact"), device ? device : CLI_DEVICE,
                                    &call),
                   &call);
    if (rc == CLI_HUMAN || (rc == CLI_OK && call.result))
        rc = save_login(cli, call.result, "Registered");
    cc_call_clear(&call);
    return rc;
}

int cmd_login(struct cli *cli)
{
    const char *token = cli_opt(cli, "token"), *device = cli_opt(cli, "device");
    if (!token == !cli->nargs)
        return cli_usage_error(cli, "give a NAME (and a password when asked) or --token TOKEN");
    char password[CLI_PASSWORD_MAX];
    if (!token && cli_read_secret("Password: ", password, sizeof password))
        return cli_usage_error(cli, "no password given (stdin ended)");
    int rc = cli_connect(cli, CLI_ANON);
    if (rc)
        return rc;
    struct cc_call call = {0};
    if (token) {
        rc = cc_login_token(cli->conn, token, &call);
        if (!rc) /* auth.login {token} does not repeat it: keep the one given */
            json_object_set_new(call.result, "token", json_string(token));
    } else {
        rc = cc_login_password(cli->conn, cli->args[0], password,
                               device ? device : CLI_DEVICE, &call);
    }
    rc = cli_reply(cli, rc, &call);
    if (rc == CLI_HUMAN || (rc == CLI_OK && call.result))
        rc = save_login(cli, call.result, "Signed in as");
    cc_call_clear(&call);
    return rc;
}

int cmd_logout(struct cli *cli)
{
    int rc = cli_connect(cli, CLI_MEMBER);
    if (rc)
        return rc;
    struct cc_call call = {0};
    rc = cli_reply(cli, cc_logout(cli->conn, &call), &call);
    cc_call_clear(&call);
    if (rc > 0)
        return rc;
    /* Forget the token if it is the config file's (not one from the environment). */
    struct cli_config cfg;
    if (!config_load(&cfg) && !strcmp(cfg.token, cli->token)) {
        cfg.token[0] = 0;
        cfg.name[0] = 0;
        if (config_save(&cfg)) {
            fprintf(stderr, "cocreate: signed out, but cannot rewrite the config file: %s\n",
                    strerror(errno));
            return CLI_USAGE;
        }
    }
    if (rc == CLI_HUMAN)
        printf("Signed out %s.\n", cli_str(json_object_get(cli->login, "account"), "name"));
    return CLI_OK;
}

int cmd_whoami(struct cli *cli)
{
    int rc = cli_connect(cli, CLI_MEMBER);
    if (rc)
        return rc;
    if (cli->json) {
        cli_print_json(cli->login);
        return CLI_OK;
    }
    const json_t *a = json_object_get(cli->login, "account");
    printf("%s%s%s (account %s, %s): %lld points, %lld unread notices, on %s\n",
           cli_color(cli, CLI_BOLD), cli_str(a, "name"), cli_color(cli, CLI_RESET),
           cli_str(a, "id"), cli_str(a, "role"), cli_int(a, "points"),
           cli_int(cli->login, "unread"), cli->server);
    return CLI_OK;
}

int cmd_sessions(struct cli *cli)
{
    int rc = cli_connect(cli, CLI_MEMBER);
    if (rc)
        return rc;
    struct cc_call call = {0};
    rc = cli_reply(cli, cc_sessions(cli->conn, &call), &call);
    if (rc == CLI_HUMAN) {
        struct cli_table *t = table_new("SESSION>,DEVICE<32,CREATED,LAST SEEN,NOTE");
        size_t i;
        json_t *s;
        json_array_foreach(json_object_get(call.result, "sessions"), i, s)
        {
            char created[32], seen[32];
            table_add(t, cli_str(s, "session"), cli_str(s, "device"),
                      cli_time(cli_int(s, "created"), created, sizeof created),
                      cli_time(cli_int(s, "last_seen"), seen, sizeof seen),
                      json_is_true(json_object_get(s, "current")) ? "(this one)" : "");
        }
        table_print(t, cli, stdout);
        table_free(t);
        rc = CLI_OK;
    }
    cc_call_clear(&call);
    return rc;
}

int cmd_revoke(struct cli *cli)
{
    int rc = cli_connect(cli, CLI_MEMBER);
    if (rc)
        return rc;
    struct cc_call call = {0};
    rc = cli_reply(cli, cc_revoke(cli->conn, cli->args[0], &call), &call);
    if (rc == CLI_HUMAN) {
        printf("Session %s signed out.\n", cli->args[0]);
        rc = CLI_OK;
    }
    cc_call_clear(&call);
    return rc;
}

int cmd_password(struct cli *cli)
{
    int rc = cli_connect(cli, CLI_MEMBER);
    if (rc)
        return rc;
    char old[CLI_PASSWORD_MAX] = "", password[CLI_PASSWORD_MAX];
    int has = json_is_true(json_object_get(json_object_get(cli->login, "account"),
                                           "has_password"));
    if (has && cli_read_secret("Current password: ", old, sizeof old))
        return cli_usage_error(cli, "no current password given (stdin ended)");
    if ((rc = new_password(cli, password, sizeof password)))
        return rc;
    struct cc_call call = {0};
    rc = cli_reply(cli, cc_set_password(cli->conn, password, has ? old : NULL, &call), &call);
    if (rc == CLI_HUMAN) {
        printf("Password %s.\n", has ? "changed" : "set");
        rc = CLI_OK;
    }
    cc_call_clear(&call);
    return rc;
}
