/* cocreate lint FILE [--kind level|artwork]: validates a design as the server would.
 * Prints "ok" and exits 0; or prints the error as SPEC §4 JSON on stderr and exits 1;
 * exits 2 on a usage or I/O error. The kind is guessed from the content if not given
 * (a PNG signature, or another image format's — said to be not PNG — is artwork,
 * anything else a level). */
#include <stdio.h>
#include <string.h>

#include "designfile.h"

static int usage(void)
{
    fprintf(stderr, "usage: cocreate lint FILE [--kind level|artwork]\n");
    return 2;
}

int cli_lint(int argc, char **argv)
{
    const char *path = NULL, *kind_name = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--kind") && i + 1 < argc)
            kind_name = argv[++i];
        else if (argv[i][0] != '-' && !path)
            path = argv[i];
        else
            return usage();
    }
    if (!path)
        return usage();
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
            designfile_print_error(vrc, &err);
        else
            printf("ok\n");
        rc = vrc ? 1 : 0;
    }
    ccbuf_free(&buf);
    return rc;
}
