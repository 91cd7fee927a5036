/* cocreate lint FILE [--kind level|artwork]: validates a design as the server would.
 * Prints "ok" and exits 0; or prints the error as SPEC §4 JSON on stderr and exits 1;
 * exits 2 on a usage or I/O error. With --json: {"valid":true,"kind":K} or
 * {"error":{...}} on stdout instead. The kind is guessed from the content if not given
 * (a PNG signature, or another image format's — said to be not PNG — is artwork,
 * anything else a level). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "designfile.h"

int cmd_lint(struct cli *cli)
{
    const char *path = cli->args[0], *kind_name = cli_opt(cli, "kind");
    struct ccbuf buf;
    const struct kind *kind;
    ccbuf_init(&buf);
    int rc = designfile_read(path, kind_name, &buf, &kind);
    if (!rc) {
        struct kind_error err;
        int vrc = kind_validate(kind, buf.data, buf.len, &err);
        const char *format = designfile_image_format(buf.data, buf.len);
        if (vrc && format && err.rule && !strcmp(err.rule, "png"))
            snprintf(err.message, sizeof err.message,
                     "this is a %s image: artwork must be a PNG file (export it as PNG)",
                     format);
        if (vrc)
            designfile_print_error(vrc, &err, cli->json);
        else if (cli->json)
            printf("{\"valid\":true,\"kind\":\"%s\"}\n", kind->name);
        else
            printf("ok\n");
        rc = vrc ? 1 : 0;
    }
    ccbuf_free(&buf);
    return rc;
}
