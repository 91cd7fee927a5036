/* level-uploader: what a level editor does with libcocreate — it uploads the level the
 * player just made and shows its rank live while the community votes.
 *
 *   level-uploader [--server URL] [--contest ID] [--name NAME] [--updates N]
 *                  [--timeout SECONDS] LEVEL.json
 *
 * It connects (blocking form), logs in with $COCREATE_TOKEN or else registers NAME
 * (printing the new token once), uploads LEVEL.json, subscribes to the contest's `top`
 * gallery and prints "rank R of T" each time the level's rank changes (R is "-" while
 * it is not in the first 100). It exits 0 after N gallery updates or the timeout
 * (default: 60 s), 1 when the server refuses something (the level's broken rule and
 * place included), 3 when the connection fails. Build: see the Makefile. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cocreate/client.h>

/* The window the rank is looked for in: gallery.subscribe's largest (SPEC §4). */
#define WINDOW 100

struct tracker {
    const char *design; /* our design's id */
    long long rank;     /* last printed, -1 before the first */
};

/* Our design's place in the window (1 = first), 0 when it is not in it. */
static long long rank_of(const struct cc_sub *s, const char *design)
{
    for (size_t i = 0; i < cc_sub_size(s); i++) {
        const char *id = json_string_value(json_object_get(cc_sub_item(s, i), "id"));
        if (id && !strcmp(id, design))
            return (long long)i + 1;
    }
    return 0;
}

/* Runs after the first window and after every update applied to it. */
static void on_window(struct cc_sub *s, json_t *event, void *user)
{
    (void)event;
    struct tracker *t = user;
    long long rank = rank_of(s, t->design);
    if (rank == t->rank)
        return;
    t->rank = rank;
    if (rank)
        printf("rank %lld of %lld\n", rank, cc_sub_total(s));
    else
        printf("rank - of %lld (not in the first %d)\n", cc_sub_total(s), WINDOW);
    fflush(stdout);
}

/* Prints why a call failed, and gives the exit code. */
static int fail(const char *what, const struct cc_error *e)
{
    fprintf(stderr, "level-uploader: %s: %s (%s)", what, e->message, e->code);
    json_t *rule = json_object_get(e->detail, "rule"), *row = json_object_get(e->detail, "row");
    if (rule)
        fprintf(stderr, ": rule %s", json_string_value(rule));
    if (row) /* a level's place, counted from 0 at the top left */
        fprintf(stderr, " at row %lld, column %lld", (long long)json_integer_value(row),
                (long long)json_integer_value(json_object_get(e->detail, "col")));
    fprintf(stderr, "\n");
    return e->kind == CC_ERR_SERVER ? 1 : 3;
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *server = "http://127.0.0.1:8080", *contest = "open", *name = NULL;
    const char *path = NULL;
    long updates = 0;
    double timeout = 60;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--server") && i + 1 < argc)
            server = argv[++i];
        else if (!strcmp(argv[i], "--contest") && i + 1 < argc)
            contest = argv[++i];
        else if (!strcmp(argv[i], "--name") && i + 1 < argc)
            name = argv[++i];
        else if (!strcmp(argv[i], "--updates") && i + 1 < argc)
            updates = atol(argv[++i]);
        else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
            timeout = atof(argv[++i]);
        else if (argv[i][0] != '-' && !path)
            path = argv[i];
        else
            path = NULL, i = argc;
    }
    if (!path) {
        fprintf(stderr, "usage: level-uploader [--server URL] [--contest ID] [--name NAME] "
                        "[--updates N] [--timeout SECONDS] LEVEL.json\n");
        return 2;
    }

    struct cc_options opt = {.url = server};
    struct cc_error err = {0};
    struct cc_conn *c;
    if (cc_connect(&c, &opt, &err)) {
        int rc = fail("cannot connect", &err);
        cc_error_clear(&err);
        return rc;
    }

    int rc = 0;
    struct cc_call call = {0};
    struct cc_sub *sub = NULL;
    char design[32] = "", generated[32];
    const char *token = getenv("COCREATE_TOKEN");
    if (token && *token) {
        if (cc_login_token(c, token, &call)) {
            rc = fail("login", &call.error);
            goto out;
        }
    } else {
        if (!name) {
            snprintf(generated, sizeof generated, "editor-%ld", (long)getpid());
            name = generated;
        }
        if (cc_register(c, name, NULL, NULL, "level editor", &call)) {
            rc = fail("register", &call.error);
            goto out;
        }
        printf("registered %s; token (shown once): %s\n", name,
               json_string_value(json_object_get(call.result, "token")));
    }
    cc_call_clear(&call);

    const char *slash = strrchr(path, '/');
    struct cc_upload up = {.kind = "level", .title = slash ? slash + 1 : path,
                           .contest = contest, .path = path};
    if (cc_upload(c, &up, &call)) {
        rc = fail("upload", &call.error);
        goto out;
    }
    snprintf(design, sizeof design, "%s",
             json_string_value(json_object_get(json_object_get(call.result, "design"), "id")));
    printf("uploaded design %s to %s\n", design, contest);
    cc_call_clear(&call);

    struct tracker t = {design, -1};
    struct cc_gallery_query q = {.contest = contest, .sort = "top", .limit = WINDOW};
    if (cc_gallery_subscribe(c, &q, on_window, &t, &sub, &call)) {
        rc = fail("subscribe", &call.error);
        goto out;
    }
    double end = seconds() + timeout;
    while ((!updates || cc_sub_updates(sub) < (unsigned long)updates) && seconds() < end)
        if (cc_poll(c, 100)) {
            rc = fail("connection", cc_close_reason(c));
            goto out;
        }
out:
    cc_call_clear(&call);
    cc_close(c); /* frees the subscription too */
    return rc;
}
