/* libcocreate, blocking form: a level editor's "publish" button. Connects, signs up
 * (or in, with COCREATE_TOKEN), uploads a level file with a progress bar, says why the
 * server refused it (rule, row, col), then lists the top levels with their thumbnails.
 * Usage: blocking ws://HOST:PORT/ws NAME LEVEL.json   (docs/client.md) */
#include <cocreate/client.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void progress(size_t sent, size_t total, void *user)
{
    (void)user;
    fprintf(stderr, "\ruploading %zu/%zu bytes", sent, total);
    if (sent == total)
        fputc('\n', stderr);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: blocking URL NAME LEVEL.json\n");
        return 2;
    }
    struct cc_options opt = {.url = argv[1]};
    struct cc_error err = {0};
    struct cc_conn *c;
    if (cc_connect(&c, &opt, &err)) {
        fprintf(stderr, "%s\n", err.message);
        cc_error_clear(&err);
        return 1;
    }
    struct cc_call call = {0};
    const char *token = getenv("COCREATE_TOKEN");
    int rc = token ? cc_login_token(c, token, &call)
                   : cc_register(c, argv[2], NULL, NULL, "blocking example", &call);
    if (rc) {
        fprintf(stderr, "login: %s: %s\n", call.error.code, call.error.message);
        cc_call_clear(&call);
        cc_close(c);
        return 1;
    }
    cc_call_clear(&call);

    struct cc_upload up = {.kind = "level", .title = "My level", .path = argv[3],
                           .progress = progress};
    if (cc_upload(c, &up, &call) == CC_ERR_SERVER &&
        !strcmp(call.error.code, "invalid_design")) {
        json_t *d = call.error.detail;
        fprintf(stderr, "not published: %s (rule %s, row %lld, col %lld)\n",
                call.error.message, json_string_value(json_object_get(d, "rule")),
                json_integer_value(json_object_get(d, "row")),
                json_integer_value(json_object_get(d, "col")));
    } else if (call.error.kind) {
        fprintf(stderr, "not published: %s\n", call.error.message);
    } else {
        json_t *design = json_object_get(call.result, "design");
        printf("published design %s\n", json_string_value(json_object_get(design, "id")));
    }
    cc_call_clear(&call);

    struct cc_gallery_query q = {.sort = "top", .kind = "level", .limit = 10};
    if (cc_gallery_get(c, &q, &call) == 0) {
        size_t i;
        json_t *d;
        json_array_foreach(json_object_get(call.result, "items"), i, d) {
            struct cc_fetch f = {0};
            const char *id = json_string_value(json_object_get(d, "id"));
            if (cc_fetch_thumb(c, id, &f) == 0)
                printf("%s \"%s\": %zu-byte %s thumbnail\n", id,
                       json_string_value(json_object_get(d, "title")), f.body.len,
                       f.body.content_type);
            cc_fetch_clear(&f);
        }
    }
    cc_call_clear(&call);
    cc_close(c);
    return 0;
}
