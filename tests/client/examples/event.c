/* libcocreate, event-driven form: a game's live "top levels" board on the game's own
 * libuv loop. Subscribes to a gallery; the library keeps the window current, and each
 * update redraws it. Quits after the first window (or UPDATES updates) and checks that
 * the loop ends clean. Usage: event ws://HOST:PORT/ws [UPDATES]   (docs/client.md) */
#define _POSIX_C_SOURCE 200809L /* uv.h's pthread types under -std=c11 */
#include <cocreate/client.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

struct board {
    struct cc_conn *conn;
    struct cc_sub *sub;
    int want, seen;
};

static void redraw(struct cc_sub *s, json_t *event, void *user)
{
    struct board *b = user;
    (void)event; /* NULL for the first window; the kept window is what to draw */
    printf("-- %lld levels --\n", cc_sub_total(s));
    for (size_t i = 0; i < cc_sub_size(s); i++) {
        json_t *d = cc_sub_item(s, i);
        printf("%2zu. %s (%lld votes)\n", i + 1, json_string_value(json_object_get(d, "title")),
               json_integer_value(json_object_get(json_object_get(d, "tally"), "votes")));
    }
    if (++b->seen > b->want)
        cc_close(b->conn); /* safe inside a callback; the loop then runs dry */
}

static void subscribed(struct cc_conn *c, json_t *result, const struct cc_error *err,
                       void *user)
{
    (void)c, (void)result, (void)user;
    if (err->kind) {
        fprintf(stderr, "subscribe: %s: %s\n", err->code, err->message);
        cc_close(c);
    }
}

static void opened(struct cc_conn *c, const struct cc_error *err, void *user)
{
    struct board *b = user;
    if (err->kind) {
        fprintf(stderr, "%s\n", err->message);
        cc_close(c);
        return;
    }
    struct cc_gallery_query q = {.sort = "top", .kind = "level", .limit = 10};
    struct cc_call call = {.cb = subscribed, .user = b};
    cc_gallery_subscribe(c, &q, redraw, b, &b->sub, &call);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: event URL [UPDATES]\n");
        return 2;
    }
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct board b = {.want = argc > 2 ? atoi(argv[2]) : 0};
    struct cc_options opt = {.url = argv[1]};
    struct cc_error err = {0};
    if (cc_connect_loop(&b.conn, &loop, &opt, opened, &b, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    uv_run(&loop, UV_RUN_DEFAULT); /* returns once the connection is closed and gone */
    int rc = uv_loop_close(&loop);
    return b.seen > 0 && rc == 0 ? 0 : 1;
}
