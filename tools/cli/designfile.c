/* Shared by the design-file subcommands: reading, kind selection, error output. */
#include "designfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ccerr.h"

const char *designfile_image_format(const uint8_t *p, size_t n)
{
    static const struct {
        const char *magic;
        size_t len, at;
        const char *name;
    } formats[] = {
        {"GIF87a", 6, 0, "GIF"},      {"GIF89a", 6, 0, "GIF"},
        {"\xff\xd8\xff", 3, 0, "JPEG"}, {"WEBP", 4, 8, "WebP"},
        {"II*\0", 4, 0, "TIFF"},      {"MM\0*", 4, 0, "TIFF"},
        {"BM", 2, 0, "BMP"},          {"\0\0\0\x0c" "jP  ", 8, 0, "JPEG 2000"},
        {"ftypavif", 8, 4, "AVIF"},    {"ftypheic", 8, 4, "HEIC"},
    };
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (n >= formats[i].at + formats[i].len &&
            !memcmp(p + formats[i].at, formats[i].magic, formats[i].len) &&
            (formats[i].at != 8 || !memcmp(p, "RIFF", 4)))
            return formats[i].name;
    return NULL;
}

int designfile_read(const char *path, const char *kind_name, struct ccbuf *buf,
                    const struct kind **kind)
{
    size_t cap = 0;
    for (const struct kind *const *k = kind_all(); *k; k++)
        if ((*k)->max_bytes > cap)
            cap = (*k)->max_bytes;
    cap++;
    if (kind_name && !kind_find(kind_name)) {
        fprintf(stderr, "cocreate: unknown kind '%s'\n", kind_name);
        return 2;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cocreate: %s: %s\n", path, strerror(errno));
        return 2;
    }
    size_t n;
    while (buf->len < cap && (n = fread(ccbuf_reserve(buf, 65536), 1,
                                        cap - buf->len < 65536 ? cap - buf->len : 65536, f)))
        buf->len += n;
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "cocreate: %s: read error\n", path);
        return 2;
    }
    *kind = kind_name ? kind_find(kind_name) : kind_sniff(buf->data, buf->len);
    /* an image in another format is artwork that is not a PNG (not a level that is
     * not JSON): the artwork kind says so */
    if (!kind_name && designfile_image_format(buf->data, buf->len) && kind_find("artwork"))
        *kind = kind_find("artwork");
    return 0;
}

void designfile_print_error(int rc, const struct kind_error *err, int as_json)
{
    json_t *o = json_object();
    json_object_set_new(o, "code", json_string(ccerr_wire(rc)));
    json_object_set_new(o, "detail", kind_error_detail(err));
    json_object_set_new(o, "message",
                        json_string(err->message[0] ? err->message : ccerr_message(rc)));
    if (as_json)
        o = json_pack("{so}", "error", o);
    char *s = json_dumps(o, JSON_COMPACT);
    fprintf(as_json ? stdout : stderr, "%s\n", s ? s : "{\"code\":\"internal\"}");
    free(s);
    json_decref(o);
}
