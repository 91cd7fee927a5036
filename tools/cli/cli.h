/* The cocreate CLI: one subcommand per file in tools/cli/, each registered in the
 * table in main.c. A subcommand gets argv after its own name and returns the exit code. */
#ifndef CC_CLI_H
#define CC_CLI_H

typedef int (*cli_cmd_fn)(int argc, char **argv);

struct cli_cmd {
    const char *name;
    const char *usage;   /* one line: arguments */
    const char *summary; /* one line: what it does */
    cli_cmd_fn run;
};

/* Subcommands that talk to a running server (client.h). */
int cli_verify(int argc, char **argv); /* verify.c */
int cli_export(int argc, char **argv); /* export.c */

#endif
