/* notices (SPEC §8): what concerns the account, newest first, and how many are unread; with
 * --read everything listed is then marked read (notice.read up to the newest). */
#include <string.h>

#include "cli.h"

int cmd_notices(struct cli *cli)
{
    long long limit = 20;
    int rc = cli_opt_int(cli, "limit", 1, 100, &limit);
    if (rc || (rc = cli_connect(cli, CLI_MEMBER)))
        return rc;
    struct cc_call call = {0}, read = {0};
    rc = cc_notice_list(cli->conn, NULL, (int)limit, &call);
    const json_t *items = json_object_get(call.result, "items");
    const char *newest = cli_str(json_array_get(items, 0), "id");
    if (!rc && cli_flag(cli, "read") && *newest) {
        rc = cc_notice_read(cli->conn, newest, &read);
        if (rc) /* the list's outcome is read's */
            cc_call_clear(&call), call.error = read.error, read.error.detail = NULL;
        else
            json_object_set(call.result, "unread", json_object_get(read.result, "unread"));
    }
    rc = cli_reply(cli, rc, &call);
    if (rc == CLI_HUMAN) {
        long long unread = cli_int(call.result, "unread");
        size_t i;
        json_t *n;
        json_array_foreach(items, i, n)
        {
            char when[32];
            printf("%s  %-9s %s\n", cli_time(cli_int(n, "created"), when, sizeof when),
                   cli_str(n, "kind"), cli_str(n, "text"));
        }
        printf("%s%lld unread%s%s\n", cli_color(cli, CLI_BOLD), unread,
               cli_color(cli, CLI_RESET), cli_flag(cli, "read") ? " (all marked read)" : "");
        rc = CLI_OK;
    }
    cc_call_clear(&call);
    cc_call_clear(&read);
    return rc;
}
