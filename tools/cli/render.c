/* cocreate render FILE -o OUT.png [--thumb] [--kind level|artwork]: draws a design as
 * the server would, its full-size render or (--thumb) its thumbnail. Exits 0; 1 with
 * the error as SPEC §4 JSON on stderr if the design cannot be drawn; 2 on a usage or
 * I/O error. Unlike lint, a level need not be playable to be drawn. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "designfile.h"

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

int cmd_render(struct cli *cli)
{
    const char *path = cli->args[0], *out = cli_opt(cli, "o"), *kind_name = cli_opt(cli, "kind");
    int thumb = cli_flag(cli, "thumb");
    if (!out)
        return cli_usage_error(cli, "-o OUT.png is needed");
    struct ccbuf buf, png;
    const struct kind *kind;
    ccbuf_init(&buf);
    ccbuf_init(&png);
    int rc = designfile_read(path, kind_name, &buf, &kind);
    if (!rc) {
        struct kind_error err;
        int rrc = kind_render(kind, buf.data, buf.len, thumb, &png, &err);
        if (rrc)
            designfile_print_error(rrc, &err, cli->json);
        rc = rrc ? 1 : write_file(out, &png);
        if (!rc && cli->json)
        {
            json_t *j = json_pack("{ss sI}", "written", out, "bytes", (json_int_t)png.len);
            cli_print_json(j);
            json_decref(j);
        }
    }
    ccbuf_free(&buf);
    ccbuf_free(&png);
    return rc;
}
