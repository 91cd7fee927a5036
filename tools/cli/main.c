/* cocreate: offline tools on the same shared/ code as the server. Subcommands are the
 * entries of `commands` below; each lives in its own file in this folder. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "designfile.h"

static const struct cli_cmd commands[] = {
    {"lint", "FILE [--kind level|artwork]", "validate a design as the server would", cli_lint},
    {"render", "FILE -o OUT.png [--thumb] [--kind level|artwork]",
     "draw a design's full-size render or thumbnail", cli_render},
    {"verify", "--server URL --contest ID [--log FILE]",
     "check a contest's audit log: hashes, chain head and tallies against contest.results",
     cli_verify},
    {"export", "--contest ID --out DIR --server URL [--token TOKEN]",
     "download a contest's production export (winners' originals, renders, manifest.json; "
     "brand token, also from COCREATE_TOKEN)",
     cli_export},
    {NULL, NULL, NULL, NULL},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: cocreate COMMAND [ARGS]\n\ncommands:\n");
    for (const struct cli_cmd *c = commands; c->name; c++)
        fprintf(f, "  %s %s\n      %s\n", c->name, c->usage, c->summary);
    fprintf(f, "  help\n      this text\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
        !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (const struct cli_cmd *c = commands; c->name; c++)
        if (!strcmp(c->name, argv[1]))
            return c->run(argc - 2, argv + 2);
    fprintf(stderr, "cocreate: unknown command '%s' (try: cocreate help)\n", argv[1]);
    return 2;
}
