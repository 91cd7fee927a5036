/* cocreate render FILE -o OUT.png [--thumb] [--kind level|artwork]: draws a design as
 * the server would, its full-size render or (--thumb) its thumbnail. Exits 0; 1 with
 * the error as SPEC §4 JSON on stderr if the design cannot be drawn; 2 on a usage or
 * I/O error. Unlike lint, a level need not be playable to be drawn. */
#include <stdio.h>
#include <string.h>

#include "designfile.h"

static int usage(void)
{
    fprintf(stderr, "usage: cocreate render FILE -o OUT.png [--thumb] [--kind level|artwork]\n");
    return 2;
}

static int write_file(const char *path, const struct ccbuf *b)
{
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(b->data, 1, b->len, f) == b->len;
    if (f && fclose(f))
        ok = 0;
    if (!ok)
        fprintf(stderr, "cocreate: could not write %s\n", path);
    return ok ? 0 : 2;
}

int cli_render(int argc, char **argv)
{
    const char *path = NULL, *out = NULL, *kind_name = NULL;
    int thumb = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--kind") && i + 1 < argc)
            kind_name = argv[++i];
        else if (!strcmp(argv[i], "-o") && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp(argv[i], "--thumb"))
            thumb = 1;
        else if (argv[i][0] != '-' && !path)
            path = argv[i];
        else
            return usage();
    }
    if (!path || !out)
        return usage();
    struct ccbuf buf, png;
    const struct kind *kind;
    ccbuf_init(&buf);
    ccbuf_init(&png);
    int rc = designfile_read(path, kind_name, &buf, &kind);
    if (!rc) {
        struct kind_error err;
        int rrc = kind_render(kind, buf.data, buf.len, thumb, &png, &err);
        if (rrc)
            designfile_print_error(rrc, &err);
        rc = rrc ? 1 : write_file(out, &png);
    }
    ccbuf_free(&buf);
    ccbuf_free(&png);
    return rc;
}
