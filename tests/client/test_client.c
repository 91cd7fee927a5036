/* libcocreate against real servers (started by tests/client/test_client.py, which
 * passes them in the environment): every call of include/cocreate/client.h in the
 * blocking form, its error paths (cannot connect, refusals with code, message and
 * detail, bad token, a server that stops answering, one that dies mid-upload, one that
 * closes with 1008), uploads (invalid_design's rule/row/col, have, progress), a live
 * window that must equal gallery.get after 1,000 votes by other clients, a watched
 * design, HTTP fetches, wss:// with a test CA, and the event-driven form on this
 * program's own libuv loop, which must close cleanly.
 *
 * Waits are conditions polled under a deadline (WAIT_MS), never fixed sleeps. */
#include <cocreate/client.h>

#include "check.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

/* A guard against hangs, never a speed check (ASan on two busy cores). */
#define WAIT_MS 60000

static const char *env(const char *name)
{
    const char *v = getenv(name);
    if (!v) {
        fprintf(stderr, "test_client: %s is not set (run through test_client.py)\n", name);
        exit(2);
    }
    return v;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* The result of a call that must succeed (the caller's); exits with the error else. */
static json_t *ok_at(int rc, struct cc_call *k, const char *what, int line)
{
    if (rc || k->error.kind) {
        char *d = k->error.detail ? json_dumps(k->error.detail, JSON_COMPACT) : NULL;
        fprintf(stderr, "line %d: %s failed: rc %d kind %s code %s: %s %s\n", line, what, rc,
                cc_error_kind_name(k->error.kind), k->error.code, k->error.message,
                d ? d : "");
        exit(1);
    }
    json_t *r = k->result;
    k->result = NULL;
    cc_call_clear(k);
    ASSERT(r);
    return r;
}
#define OK(expr) ok_at((expr), &k, #expr, __LINE__)
/* A result dropped at once. */
#define DONE(expr) json_decref(OK(expr))

/* A call that must fail with kind (and code, for the server's): its detail (new
 * reference, or NULL). */
static json_t *fails_at(int rc, struct cc_call *k, enum cc_error_kind kind, const char *code,
                        const char *what, int line)
{
    if (rc != (int)kind || k->error.kind != kind || (code && strcmp(k->error.code, code))) {
        fprintf(stderr, "line %d: %s: wanted %s %s, got rc %d %s %s: %s\n", line, what,
                cc_error_kind_name(kind), code ? code : "", rc,
                cc_error_kind_name(k->error.kind), k->error.code, k->error.message);
        exit(1);
    }
    ASSERT(!k->result);
    json_t *d = json_incref(k->error.detail);
    cc_call_clear(k);
    return d;
}
#define FAILS(expr, kind, code) fails_at((expr), &k, (kind), (code), #expr, __LINE__)
#define REFUSED(expr, code) json_decref(FAILS(expr, CC_ERR_SERVER, code))

static const char *str(json_t *o, const char *path)
{
    /* path: "a.b.c" into nested objects */
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *v = o;
    for (char *save = NULL, *p = strtok_r(buf, ".", &save); p; p = strtok_r(NULL, ".", &save))
        v = json_object_get(v, p);
    return json_string_value(v);
}

static long long num(json_t *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *v = o;
    for (char *save = NULL, *p = strtok_r(buf, ".", &save); p; p = strtok_r(NULL, ".", &save))
        v = json_object_get(v, p);
    ASSERT(json_is_integer(v));
    return json_integer_value(v);
}

static struct cc_conn *connect_to(const char *url)
{
    struct cc_options o = {.url = url};
    struct cc_error e = {0};
    struct cc_conn *c = NULL;
    if (cc_connect(&c, &o, &e)) {
        fprintf(stderr, "cannot connect to %s: %s\n", url, e.message);
        exit(1);
    }
    cc_error_clear(&e);
    return c;
}

static unsigned name_seq;
/* A new connection logged in as a new account name<seq> (with a password). */
static struct cc_conn *new_member(const char *url, const char *prefix, char *name, size_t len)
{
    struct cc_call k = {0};
    struct cc_conn *c = connect_to(url);
    snprintf(name, len, "%s%u", prefix, ++name_seq);
    DONE(cc_register(c, name, "correct horse battery", NULL, "test", &k));
    ASSERT(cc_token(c));
    return c;
}

/* A playable level (SPEC §3) of w × h, its bytes differing by variant. */
static char *make_level(int w, int h, unsigned variant, int bad_row, int bad_col, size_t *len)
{
    json_t *rows = json_array();
    char *row = malloc((size_t)w + 1);
    for (int y = 0; y < h; y++) {
        memset(row, '.', (size_t)w);
        row[w] = '\0';
        if (y == h - 2)
            row[0] = 'S', row[w - 1] = 'G';
        if (y == h - 1)
            memset(row, '#', (size_t)w);
        if (y == 1)
            for (int x = 0; x < 30 && x < w; x++)
                if ((variant >> x) & 1)
                    row[x] = 'o';
        if (y == bad_row)
            row[bad_col] = 'X';
        json_array_append_new(rows, json_string(row));
    }
    free(row);
    json_t *doc = json_pack("{ss si si so}", "format", "cocreate.level/1", "width", w, "height", h,
                            "rows", rows);
    char *s = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    *len = strlen(s);
    return s;
}

/* Uploads a small level by c; returns the design id (caller frees). */
static char *upload_level(struct cc_conn *c, unsigned variant, const char *contest,
                          const char *title)
{
    struct cc_call k = {0};
    size_t len;
    char *lv = make_level(20, 8, variant, -1, 0, &len);
    struct cc_upload u = {.kind = "level", .title = title, .contest = contest, .data = lv,
                          .len = len};
    json_t *r = OK(cc_upload(c, &u, &k));
    char *id = strdup(str(r, "design.id"));
    json_decref(r);
    free(lv);
    return id;
}

/* ---- logging: silent unless asked ---- */

static void count_log(int level, const char *line, void *user)
{
    (void)level, (void)line;
    (*(int *)user)++;
}

static void test_log(const char *url)
{
    int lines = 0;
    cc_set_log(count_log, &lines, 1 | 2 | 4); /* lws's ERR, WARN, NOTICE */
    cc_close(connect_to(url));
    ASSERT(lines > 0); /* lws tells its version and event library at NOTICE */
    cc_set_log(NULL, NULL, 0);
    lines = 0;
    cc_close(connect_to(url));
    ASSERT_EQ(lines, 0);
    fprintf(stderr, "ok: lws's log to a callback, then silent\n");
}

/* ---- connect errors, timeouts ---- */

static void test_connect_errors(void)
{
    struct cc_conn *c = NULL;
    struct cc_error e = {0};
    struct cc_options o = {.url = env("CC_DEAD_URL")};
    ASSERT_EQ(cc_connect(&c, &o, &e), CC_ERR_CONNECT);
    ASSERT(!c);
    ASSERT_EQ(e.kind, CC_ERR_CONNECT);
    ASSERT_STREQ(e.code, "connect");
    ASSERT(strstr(e.message, "cannot connect"));
    cc_error_clear(&e);

    o.url = "gopher://127.0.0.1:1/";
    ASSERT_EQ(cc_connect(&c, &o, &e), CC_ERR_USAGE);
    cc_error_clear(&e);
    o.url = "ws://127.0.0.1:99999/ws";
    ASSERT_EQ(cc_connect(&c, &o, &e), CC_ERR_USAGE);
    cc_error_clear(&e);

    /* A TCP listener that never answers the upgrade: the connect's deadline. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    ASSERT(fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof sa) && !listen(fd, 4) &&
          !getsockname(fd, (struct sockaddr *)&sa, &sl));
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/ws", ntohs(sa.sin_port));
    o.url = url;
    o.timeout_ms = 300;
    ASSERT_EQ(cc_connect(&c, &o, &e), CC_ERR_TIMEOUT);
    ASSERT_STREQ(e.code, "timeout");
    cc_error_clear(&e);
    close(fd);

    /* a path the server upgrades nothing on */
    char bad_path[256];
    snprintf(bad_path, sizeof bad_path, "%.*s/nope", (int)(strlen(env("CC_URL")) - 3),
             env("CC_URL"));
    o = (struct cc_options){.url = bad_path};
    ASSERT_EQ(cc_connect(&c, &o, &e), CC_ERR_CONNECT);
    cc_error_clear(&e);
    fprintf(stderr, "ok: connect errors (refused, bad URL, timeout, no WebSocket there)\n");
}

/* ---- accounts and sessions ---- */

static int closes_seen, last_close_code;

static void note_close(struct cc_conn *c, const struct cc_error *err, void *user)
{
    (void)c, (void)user;
    closes_seen++;
    last_close_code = err->close_code;
}

static void test_accounts(const char *url)
{
    struct cc_call k = {0};
    char name[32], other[32];
    struct cc_conn *a = connect_to(url);
    json_t *r = OK(cc_hello(a, "test_client", &k));
    ASSERT_STREQ(str(r, "server"), "cocreated");
    ASSERT(json_is_object(json_object_get(r, "limits")));
    json_decref(r);

    snprintf(name, sizeof name, "acct%u", ++name_seq);
    r = OK(cc_register(a, name, "correct horse battery", "ann@example.com", "laptop", &k));
    ASSERT_STREQ(str(r, "account.name"), name);
    ASSERT_STREQ(cc_token(a), str(r, "token"));
    char *token = strdup(str(r, "token"));
    json_decref(r);

    /* a refusal carries code, message and detail as sent */
    struct cc_conn *b = connect_to(url);
    json_t *d = FAILS(cc_register(b, name, NULL, NULL, NULL, &k), CC_ERR_SERVER, "conflict");
    ASSERT_STREQ(str(d, "field"), "name");
    json_decref(d);
    k = (struct cc_call){0};
    ASSERT_EQ(cc_register(b, "x y", NULL, NULL, NULL, &k), CC_ERR_SERVER);
    ASSERT_STREQ(k.error.code, "bad_args");
    ASSERT(k.error.message[0]);
    ASSERT_STREQ(str(k.error.detail, "field"), "name");
    cc_call_clear(&k);

    /* bad token, then the right one; then by name and password */
    REFUSED(cc_login_token(b, "00", &k), "unauthorized");
    ASSERT(!cc_token(b));
    r = OK(cc_login_token(b, token, &k));
    ASSERT_STREQ(str(r, "account.name"), name);
    ASSERT_STREQ(cc_token(b), token);
    json_decref(r);
    struct cc_conn *c = connect_to(url);
    REFUSED(cc_login_password(c, name, "wrong password!", NULL, &k), "unauthorized");
    r = OK(cc_login_password(c, name, "correct horse battery", "phone", &k));
    ASSERT(str(r, "token") && strcmp(str(r, "token"), token));
    char *phone_session = strdup(str(r, "session"));
    json_decref(r);

    r = OK(cc_sessions(a, &k));
    ASSERT_EQ(json_array_size(json_object_get(r, "sessions")), 2);
    json_decref(r);
    d = FAILS(cc_set_password(a, "another good password", NULL, &k), CC_ERR_SERVER, "bad_args");
    ASSERT_STREQ(str(d, "field"), "old");
    json_decref(d);
    DONE(cc_set_password(a, "another good password", "correct horse battery", &k));
    r = OK(cc_set_contact(a, "new@example.com", &k));
    ASSERT_STREQ(str(r, "account.contact"), "new@example.com");
    json_decref(r);

    /* revoking the phone's session closes its connection with 4001 */
    struct cc_options o = {.url = url, .on_close = note_close};
    struct cc_error e = {0};
    struct cc_conn *phone = NULL;
    ASSERT(!cc_connect(&phone, &o, &e));
    const char *ptoken = cc_token(c);
    DONE(cc_login_token(phone, ptoken, &k));
    DONE(cc_revoke(a, phone_session, &k));
    long long t0 = now_ms();
    closes_seen = 0;
    while (cc_poll(phone, 50) == 0 && now_ms() - t0 < WAIT_MS)
        ;
    ASSERT_EQ(closes_seen, 1);
    ASSERT_EQ(last_close_code, 4001);
    ASSERT_EQ(cc_close_reason(phone)->kind, CC_ERR_CLOSED);
    ASSERT_EQ(cc_close_reason(phone)->close_code, 4001);
    /* a call on a closed connection fails at once, with why it closed */
    ASSERT_EQ(cc_hello(phone, NULL, &k), CC_ERR_CLOSED);
    ASSERT_EQ(k.error.close_code, 4001);
    cc_call_clear(&k);
    cc_close(phone);
    cc_close(c); /* its session was revoked too: the server closed it */

    /* the generic call: an unknown op, arguments that are no object */
    REFUSED(cc_request(a, "no.such.op", NULL, &k), "unknown_op");
    ASSERT_EQ(cc_request(a, "hello", json_array(), &k), CC_ERR_USAGE);
    cc_call_clear(&k);
    ASSERT_EQ(cc_vote_cast(a, NULL, 1, &k), CC_ERR_USAGE);
    cc_call_clear(&k);

    /* b logs out of the session a shares (b logged in with a's token): a is closed */
    DONE(cc_logout(b, &k));
    ASSERT(!cc_token(b));
    REFUSED(cc_login_token(b, token, &k), "unauthorized");
    t0 = now_ms();
    while (cc_poll(a, 50) == 0 && now_ms() - t0 < WAIT_MS)
        ;
    ASSERT_EQ(cc_close_reason(a)->close_code, 4001);

    /* a throwaway account deleted */
    struct cc_conn *t = new_member(url, "gone", other, sizeof other);
    DONE(cc_delete_account(t, "correct horse battery", &k));
    ASSERT(!cc_token(t));
    cc_close(t);

    free(token);
    free(phone_session);
    cc_close(a);
    cc_close(b);
    fprintf(stderr, "ok: accounts, sessions, refusals, revoke (4001)\n");
}

/* ---- uploads ---- */

static size_t progress_calls, progress_last, progress_total;
static int progress_bad;

static void on_progress(size_t sent, size_t total, void *user)
{
    (void)user;
    if (sent <= progress_last || sent > total)
        progress_bad = 1;
    progress_calls++;
    progress_last = sent;
    progress_total = total;
}

struct designs {
    char *big, *small, *other;
    char *creator_token;
};

static void test_uploads(const char *url, struct cc_conn *brand, struct designs *out)
{
    struct cc_call k = {0};
    char name[32], name2[32];
    struct cc_conn *a = new_member(url, "maker", name, sizeof name);
    struct cc_conn *b = new_member(url, "rival", name2, sizeof name2);

    /* invalid_design with its rule, row and col intact */
    size_t len;
    char *bad = make_level(20, 8, 0, 3, 17, &len);
    struct cc_upload u = {.kind = "level", .title = "Broken", .data = bad, .len = len};
    json_t *d = FAILS(cc_upload(a, &u, &k), CC_ERR_SERVER, "invalid_design");
    ASSERT_STREQ(str(d, "rule"), "tile");
    ASSERT_EQ(num(d, "row"), 3);
    ASSERT_EQ(num(d, "col"), 17);
    json_decref(d);
    free(bad);

    /* a big level in several chunks, read from a file, progress increasing to the end */
    char *big = make_level(1024, 200, 5, -1, 0, &len);
    ASSERT(len > 3 * CC_UPLOAD_CHUNK);
    char path[] = "/tmp/cc-client-level-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0 && write(fd, big, len) == (ssize_t)len && !close(fd));
    const char *tags[] = {"wide", "long"};
    u = (struct cc_upload){.kind = "level", .title = "Wide world", .tags = tags, .ntags = 2,
                           .path = path, .progress = on_progress};
    json_t *r = OK(cc_upload(a, &u, &k));
    unlink(path);
    ASSERT(!progress_bad);
    ASSERT(progress_calls >= 4);
    ASSERT_EQ(progress_last, len);
    ASSERT_EQ(progress_total, len);
    ASSERT_STREQ(str(r, "design.title"), "Wide world");
    ASSERT_EQ(json_array_size(json_object_get(json_object_get(r, "design"), "tags")), 2);
    ASSERT(!json_object_get(r, "have"));
    out->big = strdup(str(r, "design.id"));
    json_decref(r);

    /* the same bytes by another creator: conflict, rule duplicate, no design named */
    u = (struct cc_upload){.kind = "level", .title = "Copy", .data = big, .len = len};
    d = FAILS(cc_upload(b, &u, &k), CC_ERR_SERVER, "conflict");
    ASSERT_STREQ(str(d, "rule"), "duplicate");
    ASSERT(!json_object_get(d, "design"));
    json_decref(d);
    /* by the same creator in the same contest: conflict naming the design */
    d = FAILS(cc_upload(a, &u, &k), CC_ERR_SERVER, "conflict");
    ASSERT_STREQ(str(d, "design"), out->big);
    json_decref(d);
    /* in another contest: the server has the bytes (have), none are sent */
    DONE(cc_contest_create(brand, json_pack("{ss ss ss ss}", "slug", "levels", "title",
                                            "Levels", "kind", "level", "scale", "heart"),
                           &k));
    progress_calls = 0;
    u = (struct cc_upload){.kind = "level", .title = "Wide again", .contest = "levels",
                           .data = big, .len = len, .progress = on_progress};
    r = OK(cc_upload(a, &u, &k));
    ASSERT(json_is_true(json_object_get(r, "have")));
    ASSERT_EQ(progress_calls, 0);
    ASSERT_STREQ(str(r, "design.contest"), "levels");
    json_decref(r);
    free(big);

    /* a file that is not there */
    u = (struct cc_upload){.kind = "level", .title = "Nothing", .path = "/nonexistent/x.json"};
    json_decref(FAILS(cc_upload(a, &u, &k), CC_ERR_IO, NULL));
    /* too large before any byte: detail bytes and limit */
    char *huge = calloc(1, (2u << 20));
    u = (struct cc_upload){.kind = "level", .title = "Huge", .data = huge, .len = 2u << 20};
    d = FAILS(cc_upload(a, &u, &k), CC_ERR_SERVER, "too_large");
    ASSERT_EQ(num(d, "limit"), 1 << 20);
    json_decref(d);
    free(huge);

    out->small = upload_level(a, 77, NULL, "Small hop");
    out->other = upload_level(b, 78, NULL, "Rival hop");
    out->creator_token = strdup(cc_token(a));
    cc_close(a);
    cc_close(b);
    fprintf(stderr, "ok: uploads (invalid_design, chunks + progress, have, conflicts, io)\n");
}

/* ---- designs, votes, comments, contests, creators, search, notices, moderation ---- */

static int notices_seen;

static void on_event(struct cc_conn *c, const char *name, json_t *ev, void *user)
{
    (void)c, (void)user;
    if (!strcmp(name, "notice") && json_is_object(json_object_get(ev, "notice")))
        notices_seen++;
}

static void test_ops(const char *url, struct cc_conn *brand, const struct designs *ds)
{
    struct cc_call k = {0};
    char name[32];
    struct cc_options o = {.url = url, .on_event = on_event};
    struct cc_error e = {0};
    struct cc_conn *creator = NULL;
    ASSERT(!cc_connect(&creator, &o, &e));
    json_t *r = OK(cc_login_token(creator, ds->creator_token, &k));
    const char *creator_id = str(r, "account.id");
    char *cid = strdup(creator_id);
    json_decref(r);
    struct cc_conn *m = new_member(url, "fan", name, sizeof name);

    r = OK(cc_design_get(m, ds->small, &k));
    ASSERT_STREQ(str(r, "design.id"), ds->small);
    ASSERT(json_is_array(json_object_get(json_object_get(r, "design"), "timeline")));
    json_decref(r);
    REFUSED(cc_design_get(m, "999999", &k), "not_found");

    /* votes */
    r = OK(cc_vote_cast(m, ds->small, 1, &k));
    ASSERT_EQ(num(r, "tally.votes"), 1);
    json_decref(r);
    json_t *d = FAILS(cc_vote_cast(m, ds->small, 3, &k), CC_ERR_SERVER, "bad_args");
    ASSERT_STREQ(str(d, "field"), "value");
    json_decref(d);
    REFUSED(cc_vote_cast(creator, ds->small, 1, &k), "forbidden");
    r = OK(cc_vote_clear(m, ds->small, &k));
    ASSERT_EQ(num(r, "tally.votes"), 0);
    json_decref(r);
    DONE(cc_vote_cast(m, ds->small, 1, &k));

    /* comments, and the creator's notice of it */
    notices_seen = 0;
    r = OK(cc_comment_post(m, ds->small, "Nice jump!", &k));
    char *comment = strdup(str(r, "comment.id"));
    json_decref(r);
    r = OK(cc_comment_list(m, ds->small, NULL, 10, &k));
    ASSERT_EQ(json_array_size(json_object_get(r, "comments")), 1);
    json_decref(r);
    long long t0 = now_ms();
    while (!notices_seen && now_ms() - t0 < WAIT_MS)
        cc_poll(creator, 50);
    ASSERT(notices_seen >= 1);
    r = OK(cc_notice_list(creator, NULL, 0, &k));
    ASSERT(num(r, "unread") >= 1);
    const char *top = str(json_array_get(json_object_get(r, "items"), 0), "id");
    json_t *rr = OK(cc_notice_read(creator, top, &k));
    ASSERT_EQ(num(rr, "unread"), 0);
    json_decref(rr);
    json_decref(r);

    /* the creator's own moves */
    const char *tags[] = {"hop"};
    r = OK(cc_design_edit(creator, ds->small, "Small hop II", tags, 1, &k));
    ASSERT_STREQ(str(r, "design.title"), "Small hop II");
    json_decref(r);
    REFUSED(cc_design_edit(m, ds->small, "Mine now", NULL, 0, &k), "forbidden");
    DONE(cc_design_report(m, ds->other, "looks copied", &k));
    REFUSED(cc_design_report(m, ds->other, "again", &k), "conflict");

    /* the brand */
    r = OK(cc_review_list(brand, NULL, 0, &k));
    ASSERT(json_array_size(json_object_get(r, "items")) >= 1);
    json_decref(r);
    DONE(cc_review_dismiss(brand, ds->other, &k));
    r = OK(cc_design_set_status(brand, ds->small, "shortlisted", "A fine level", &k));
    ASSERT_STREQ(str(r, "design.status"), "shortlisted");
    json_decref(r);
    d = FAILS(cc_design_set_status(brand, ds->small, "launched", NULL, &k), CC_ERR_SERVER,
              "conflict");
    ASSERT_STREQ(str(d, "from"), "shortlisted");
    json_decref(d);
    REFUSED(cc_design_set_status(m, ds->small, "winner", NULL, &k), "forbidden");
    r = OK(cc_comment_hide(brand, comment, 1, "spoiler", &k));
    json_decref(r);
    r = OK(cc_moderation_list(brand, NULL, 10, &k));
    ASSERT(json_array_size(json_object_get(r, "entries")) >= 1);
    json_decref(r);
    char vname[32];
    struct cc_conn *v = new_member(url, "troll", vname, sizeof vname);
    json_t *who = OK(cc_creator_get(v, "1", &k)); /* any account will do for a read */
    json_decref(who);
    r = OK(cc_sessions(v, &k));
    json_decref(r);
    struct cc_call kk = {0};
    json_t *me = ok_at(cc_login_token(v, cc_token(v), &kk), &kk, "relogin", __LINE__);
    char *vid = strdup(str(me, "account.id"));
    json_decref(me);
    DONE(cc_account_suspend(brand, vid, 1, "spam", &k));
    long long t1 = now_ms();
    while (cc_poll(v, 50) == 0 && now_ms() - t1 < WAIT_MS)
        ; /* its sessions end: the server closes it with 4001 */
    ASSERT_EQ(cc_close_reason(v)->close_code, 4001);
    cc_close(v);
    free(vid);

    /* contests, results, creators, search */
    r = OK(cc_contest_get(m, "levels", &k));
    ASSERT_STREQ(str(r, "contest.phase"), "submissions");
    json_decref(r);
    r = OK(cc_contest_update(brand, "levels", json_pack("{ss}", "prize", "A trophy"), &k));
    ASSERT_STREQ(str(r, "contest.prize"), "A trophy");
    json_decref(r);
    REFUSED(cc_contest_update(m, "levels", NULL, &k), "forbidden");
    r = OK(cc_contest_list(m, NULL, &k));
    ASSERT(json_array_size(json_object_get(r, "contests")) >= 2);
    json_decref(r);
    r = OK(cc_contest_results(m, "open", 0, 10, &k));
    ASSERT(json_is_array(json_object_get(r, "ranking")));
    ASSERT_EQ(strlen(str(r, "log_head")), 64);
    json_decref(r);
    r = OK(cc_creator_get(m, cid, &k));
    ASSERT(num(r, "account.points") >= 10);
    json_decref(r);
    r = OK(cc_creator_top(m, 0, 5, &k));
    ASSERT(json_array_size(json_object_get(r, "creators")) >= 1);
    json_decref(r);
    /* the index is built after the start: busy until then */
    long long t2 = now_ms();
    for (;;) {
        int rc = cc_search(m, "wide", NULL, "level", 0, 10, &k);
        if (rc == CC_ERR_SERVER && !strcmp(k.error.code, "busy") && now_ms() - t2 < WAIT_MS) {
            cc_call_clear(&k);
            cc_poll(m, 50);
            continue;
        }
        r = OK(rc);
        break;
    }
    ASSERT(num(r, "total") >= 1);
    ASSERT_STREQ(str(json_array_get(json_object_get(r, "items"), 0), "title"), "Wide world");
    json_decref(r);

    /* hidden: gone for members (HTTP too), there for the brand */
    DONE(cc_design_hide(brand, ds->other, 1, "checking", &k));
    REFUSED(cc_design_get(m, ds->other, &k), "not_found");
    struct cc_fetch f = {0};
    ASSERT_EQ(cc_fetch_thumb(m, ds->other, &f), CC_ERR_HTTP);
    ASSERT_EQ(f.error.http_status, 404);
    ASSERT_EQ(f.body.status, 404);
    cc_fetch_clear(&f);
    ASSERT_EQ(cc_fetch_thumb(brand, ds->other, &f), 0); /* the brand's token as bearer */
    ASSERT_EQ(f.body.status, 200);
    cc_fetch_clear(&f);
    struct cc_conn *tool = connect_to(url); /* a token set without a login */
    cc_set_token(tool, cc_token(brand));
    ASSERT_EQ(cc_fetch_thumb(tool, ds->other, &f), 0);
    cc_fetch_clear(&f);
    cc_set_token(tool, NULL);
    ASSERT(!cc_token(tool));
    ASSERT_EQ(cc_fetch_thumb(tool, ds->other, &f), CC_ERR_HTTP);
    cc_fetch_clear(&f);
    cc_close(tool);
    DONE(cc_design_hide(brand, ds->other, 0, NULL, &k));

    /* withdrawn by its creator */
    r = OK(cc_design_withdraw(creator, ds->small, &k));
    ASSERT_STREQ(str(r, "design.status"), "withdrawn");
    json_decref(r);
    REFUSED(cc_design_withdraw(creator, ds->small, &k), "conflict");

    free(comment);
    free(cid);
    cc_close(m);
    cc_close(creator);
    fprintf(stderr, "ok: designs, votes, comments, notices, brand, moderation, contests, "
                    "creators, search\n");
}

/* ---- HTTP ---- */

static size_t sunk;

static int sink(const struct cc_body *head, const unsigned char *data, size_t len, void *user)
{
    (void)data, (void)user;
    ASSERT_EQ(head->status, 200);
    ASSERT(!head->data);
    sunk += len;
    return 0;
}

static void test_fetch(const char *url, const struct designs *ds)
{
    struct cc_conn *c = connect_to(url);
    struct cc_fetch f = {0};
    static const unsigned char png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    ASSERT_EQ(cc_fetch_thumb(c, ds->big, &f), 0);
    ASSERT_EQ(f.body.status, 200);
    ASSERT_STREQ(f.body.content_type, "image/png");
    ASSERT(f.body.len > 8 && !memcmp(f.body.data, png, 8));
    cc_fetch_clear(&f);
    ASSERT_EQ(cc_fetch_render(c, ds->big, &f), 0);
    ASSERT(f.body.len > 8 && !memcmp(f.body.data, png, 8));
    cc_fetch_clear(&f);
    size_t len;
    char *big = make_level(1024, 200, 5, -1, 0, &len);
    ASSERT_EQ(cc_fetch_original(c, ds->big, &f), 0);
    ASSERT_EQ(f.body.len, len);
    ASSERT(!memcmp(f.body.data, big, len));
    cc_fetch_clear(&f);
    f.sink = sink;
    ASSERT_EQ(cc_fetch_original(c, ds->big, &f), 0);
    ASSERT_EQ(sunk, len);
    ASSERT(!f.body.data);
    cc_fetch_clear(&f);
    free(big);
    f = (struct cc_fetch){0};
    ASSERT_EQ(cc_fetch_thumb(c, "999999", &f), CC_ERR_HTTP);
    ASSERT_EQ(f.error.http_status, 404);
    cc_fetch_clear(&f);
    ASSERT_EQ(cc_fetch_thumb(c, "../x", &f), CC_ERR_USAGE);
    cc_fetch_clear(&f);
    /* response headers asked for, known to lws (etag) or not (x-log-*) */
    static const char *const want[] = {"etag", "x-log-length", "x-log-head", "x-none", NULL};
    f.headers = want;
    ASSERT_EQ(cc_fetch(c, "/log/open", &f), 0);
    ASSERT_STREQ(json_string_value(json_object_get(f.body.headers, "x-log-length")), "0");
    ASSERT_EQ(strlen(json_string_value(json_object_get(f.body.headers, "x-log-head"))), 64);
    ASSERT(!json_object_get(f.body.headers, "x-none"));
    cc_fetch_clear(&f);
    f.headers = want;
    ASSERT_EQ(cc_fetch_original(c, ds->big, &f), 0);
    ASSERT_EQ(strlen(json_string_value(json_object_get(f.body.headers, "etag"))), 66);
    cc_fetch_clear(&f);
    f = (struct cc_fetch){0};
    ASSERT_EQ(cc_fetch(c, "/healthz", &f), 0);
    ASSERT(!strncmp((const char *)f.body.data, "ok", 2));
    cc_fetch_clear(&f);
    cc_close(c);
    fprintf(stderr, "ok: HTTP fetches (thumb, render, original, sink, 404)\n");
}

/* ---- galleries: every sort and filter ---- */

/* The ids of a gallery page joined with commas. */
static void page_ids(json_t *page, char *out, size_t len)
{
    size_t i, n = 0;
    json_t *d;
    out[0] = '\0';
    json_array_foreach(json_object_get(page, "items"), i, d)
        n += (size_t)snprintf(out + n, len > n ? len - n : 0, "%s%s", i ? "," : "",
                              str(d, "id"));
}

static json_t *page(struct cc_conn *c, const struct cc_gallery_query *q, char *ids, size_t len)
{
    struct cc_call k = {0};
    json_t *r = OK(cc_gallery_get(c, q, &k));
    page_ids(r, ids, len);
    return r;
}

static void test_gallery_queries(const char *url, struct cc_conn *brand)
{
    struct cc_call k = {0};
    char name[32], a_id[32], ids[512], ids2[512];
    DONE(cc_contest_create(brand, json_pack("{ss ss ss ss}", "slug", "q", "title", "Queries",
                                            "kind", "level", "scale", "updown"),
                           &k));
    struct cc_conn *a = new_member(url, "qa", name, sizeof name);
    struct cc_conn *b = new_member(url, "qb", name, sizeof name);
    json_t *me = OK(cc_login_token(a, cc_token(a), &k));
    snprintf(a_id, sizeof a_id, "%s", str(me, "account.id"));
    json_decref(me);
    char *d[6];
    for (unsigned i = 0; i < 6; i++) {
        size_t len;
        char *lv = make_level(20, 8, 2000 + i, -1, 0, &len);
        const char *tags[] = {i % 2 ? "odd" : "even"};
        struct cc_upload u = {.kind = "level", .title = "Query", .tags = tags, .ntags = 1,
                              .contest = "q", .data = lv, .len = len};
        json_t *r = OK(cc_upload(i < 3 ? a : b, &u, &k));
        d[i] = strdup(str(r, "design.id"));
        json_decref(r);
        free(lv);
    }
    /* d[4] gets the most ups (top), d[1] a down */
    struct cc_conn *v[3];
    for (int i = 0; i < 3; i++) {
        v[i] = new_member(url, "qv", name, sizeof name);
        DONE(cc_vote_cast(v[i], d[4], 1, &k));
    }
    DONE(cc_vote_cast(v[0], d[2], 1, &k));
    DONE(cc_vote_cast(v[0], d[1], -1, &k));
    DONE(cc_vote_cast(v[1], d[3], 1, &k)); /* the top of the odd ones */
    DONE(cc_design_set_status(brand, d[5], "shortlisted", NULL, &k));

    struct cc_gallery_query q = {.contest = "q", .sort = "new"};
    json_t *r = page(a, &q, ids, sizeof ids);
    ASSERT_EQ(num(r, "total"), 6);
    json_decref(r);
    q.sort = "top";
    r = page(a, &q, ids, sizeof ids);
    ASSERT_STREQ(str(json_array_get(json_object_get(r, "items"), 0), "id"), d[4]);
    json_decref(r);
    q.sort = "hot";
    r = page(a, &q, ids, sizeof ids);
    ASSERT_EQ(num(r, "total"), 6);
    json_decref(r);
    /* offset and limit page the same order */
    q = (struct cc_gallery_query){.contest = "q", .sort = "new"};
    r = page(a, &q, ids, sizeof ids);
    json_decref(r);
    q.offset = 2, q.limit = 2;
    r = page(a, &q, ids2, sizeof ids2);
    ASSERT_EQ(json_array_size(json_object_get(r, "items")), 2);
    ASSERT(strstr(ids, ids2) && strstr(ids, ids2) != ids);
    json_decref(r);
    /* filters */
    q = (struct cc_gallery_query){.contest = "q", .sort = "new", .creator = a_id};
    r = page(a, &q, ids, sizeof ids);
    ASSERT_EQ(num(r, "total"), 3);
    json_decref(r);
    q = (struct cc_gallery_query){.contest = "q", .sort = "top", .tag = "odd"};
    r = page(a, &q, ids, sizeof ids);
    ASSERT_EQ(num(r, "total"), 3);
    ASSERT_STREQ(str(json_array_get(json_object_get(r, "items"), 0), "id"), d[3]);
    json_decref(r);
    q = (struct cc_gallery_query){.contest = "q", .sort = "new", .status = "shortlisted"};
    r = page(a, &q, ids, sizeof ids);
    ASSERT_STREQ(ids, d[5]);
    json_decref(r);
    q = (struct cc_gallery_query){.contest = "q", .sort = "new", .kind = "artwork"};
    r = page(a, &q, ids, sizeof ids);
    ASSERT_EQ(num(r, "total"), 0);
    json_decref(r);
    /* random: a seed and a cut-off; the same ones page the same order, without repeats */
    q = (struct cc_gallery_query){.contest = "q", .sort = "random", .limit = 3};
    r = page(a, &q, ids, sizeof ids);
    long long seed = num(r, "seed");
    char until[32];
    snprintf(until, sizeof until, "%s", str(r, "until"));
    json_decref(r);
    q.seed = seed, q.until = until, q.offset = 3;
    r = page(b, &q, ids2, sizeof ids2);
    ASSERT_EQ(json_array_size(json_object_get(r, "items")), 3);
    json_decref(r);
    char hay[1100];
    snprintf(hay, sizeof hay, ",%s,%s,", ids, ids2);
    for (int i = 0; i < 6; i++) { /* each design once over the two pages */
        char needle[40];
        snprintf(needle, sizeof needle, ",%s,", d[i]);
        ASSERT(strstr(hay, needle) && !strstr(strstr(hay, needle) + 1, needle));
    }
    q.offset = 0;
    r = page(b, &q, ids2, sizeof ids2);
    ASSERT_STREQ(ids2, ids);
    json_decref(r);
    for (int i = 0; i < 6; i++)
        free(d[i]);
    for (int i = 0; i < 3; i++)
        cc_close(v[i]);
    cc_close(a);
    cc_close(b);
    fprintf(stderr, "ok: gallery.get: new, top, hot, random (seed, until), offset, limit, "
                    "creator, tag, status, kind\n");
}

/* ---- a live window after 1,000 votes by others ---- */

static unsigned long window_calls;

static void on_window(struct cc_sub *s, json_t *ev, void *user)
{
    (void)s, (void)ev, (void)user;
    window_calls++;
}

/* Whether the kept window is what gallery.get says now (ids in order, the fields that
 * change while shown, the total). */
static int window_matches(struct cc_sub *s, json_t *page)
{
    json_t *items = json_object_get(page, "items");
    if (cc_sub_total(s) != json_integer_value(json_object_get(page, "total")) ||
        cc_sub_size(s) != json_array_size(items))
        return 0;
    static const char *const fields[] = {"id", "tally", "score", "comments", "status", "title"};
    for (size_t i = 0; i < cc_sub_size(s); i++)
        for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
            if (!json_equal(json_object_get(cc_sub_item(s, i), fields[f]),
                            json_object_get(json_array_get(items, i), fields[f])))
                return 0;
    return 1;
}

static void test_live(const char *url)
{
    struct cc_call k = {0};
    char name[32];
    enum { DESIGNS = 24, VOTERS = 8, VOTES = 1000 };
    struct cc_conn *mk[2];
    char *ids[DESIGNS];
    mk[0] = new_member(url, "liveA", name, sizeof name);
    mk[1] = new_member(url, "liveB", name, sizeof name);
    for (int i = 0; i < DESIGNS; i++)
        ids[i] = upload_level(mk[i % 2], 1000u + (unsigned)i, "live", "Live one");

    struct cc_conn *watcher = new_member(url, "viewer", name, sizeof name);
    struct cc_gallery_query q = {.contest = "live", .sort = "top", .limit = 10};
    struct cc_sub *sub = NULL;
    json_t *r = OK(cc_gallery_subscribe(watcher, &q, on_window, NULL, &sub, &k));
    ASSERT(sub);
    ASSERT_STREQ(cc_sub_id(sub), str(r, "sub"));
    ASSERT_EQ(cc_sub_total(sub), DESIGNS);
    ASSERT_EQ(cc_sub_size(sub), 10);
    ASSERT_EQ(window_calls, 1);
    json_decref(r);
    /* a watched design, too */
    struct cc_watch *w = NULL;
    r = OK(cc_design_watch(watcher, ids[3], NULL, NULL, &w, &k));
    ASSERT_STREQ(str(cc_watch_design(w), "id"), ids[3]);
    json_decref(r);

    struct cc_conn *voters[VOTERS];
    for (int i = 0; i < VOTERS; i++)
        voters[i] = new_member(url, "voter", name, sizeof name);
    unsigned seed = (unsigned)time(NULL);
    if (getenv("CC_SEED"))
        seed = (unsigned)strtoul(getenv("CC_SEED"), NULL, 10);
    fprintf(stderr, "live: CC_SEED=%u\n", seed);
    srand(seed);
    for (int i = 0; i < VOTES; i++) {
        struct cc_conn *v = voters[rand() % VOTERS];
        const char *d = ids[rand() % DESIGNS];
        DONE(rand() % 4 ? cc_vote_cast(v, d, 1, &k) : cc_vote_clear(v, d, &k));
        if (i % 50 == 0)
            cc_poll(watcher, 0); /* take some updates as they come: deltas */
    }
    DONE(cc_comment_post(voters[0], ids[3], "Watched!", &k));

    long long t0 = now_ms();
    int same = 0;
    while (!same && now_ms() - t0 < WAIT_MS) {
        cc_poll(watcher, 50);
        r = OK(cc_gallery_get(watcher, &q, &k));
        same = window_matches(sub, r);
        json_decref(r);
    }
    ASSERT(same);
    ASSERT(cc_sub_updates(sub) >= 1);
    /* the watched design: its tally and comments as design.get has them */
    int wsame = 0;
    while (!wsame && now_ms() - t0 < WAIT_MS) {
        cc_poll(watcher, 50);
        r = OK(cc_design_get(watcher, ids[3], &k));
        json_t *dd = json_object_get(r, "design");
        wsame = json_equal(json_object_get(dd, "tally"),
                           json_object_get(cc_watch_design(w), "tally")) &&
                json_equal(json_object_get(dd, "comments"),
                           json_object_get(cc_watch_design(w), "comments"));
        json_decref(r);
    }
    ASSERT(wsame);
    ASSERT(cc_watch_updates(w) >= 1);
    fprintf(stderr, "ok: live window equals gallery.get after %d votes (%lu updates), watch "
                    "(%lu updates)\n", VOTES, cc_sub_updates(sub), cc_watch_updates(w));
    DONE(cc_design_unwatch(watcher, w, &k));
    DONE(cc_gallery_unsubscribe(watcher, sub, &k));
    /* a refused subscription is none */
    struct cc_gallery_query bad = {.sort = "random"};
    REFUSED(cc_gallery_subscribe(watcher, &bad, NULL, NULL, &sub, &k), "bad_args");
    ASSERT(!sub);
    for (int i = 0; i < VOTERS; i++)
        cc_close(voters[i]);
    for (int i = 0; i < DESIGNS; i++)
        free(ids[i]);
    /* closing with a live subscription frees it */
    q.sort = "new";
    DONE(cc_gallery_subscribe(watcher, &q, NULL, NULL, &sub, &k));
    cc_close(watcher);
    cc_close(mk[0]);
    cc_close(mk[1]);
}

/* ---- threads: a connection per thread, all at once ---- */

enum { THREADS = 8, CYCLES = 30 };

struct worker {
    pthread_t t;
    const char *url;
    unsigned n;
    char design[32];
    int votes;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    struct cc_call k = {0};
    char name[32];
    struct cc_conn *c = connect_to(w->url);
    snprintf(name, sizeof name, "thread%u", w->n);
    DONE(cc_register(c, name, NULL, NULL, NULL, &k));
    size_t len;
    char *lv = make_level(40, 10, 7000 + w->n, -1, 0, &len);
    struct cc_upload u = {.kind = "level", .title = "Threaded", .data = lv, .len = len};
    json_t *r = OK(cc_upload(c, &u, &k));
    snprintf(w->design, sizeof w->design, "%s", str(r, "design.id"));
    json_decref(r);
    free(lv);
    for (int i = 0; i < 20; i++) {
        r = OK(cc_gallery_get(c, NULL, &k));
        json_decref(r);
    }
    struct cc_fetch f = {0};
    ASSERT_EQ(cc_fetch_thumb(c, w->design, &f), 0);
    cc_fetch_clear(&f);
    cc_close(c);
    /* connections opened and closed while the other threads do the same: lws 4.1 closes
     * a context's cancel pipe twice, and a descriptor another thread was handed in
     * between was closed under it (SIGABRT in lws's fd table) */
    for (int i = 0; i < CYCLES; i++) {
        c = connect_to(w->url);
        r = OK(cc_gallery_get(c, NULL, &k));
        json_decref(r);
        ASSERT_EQ(cc_fetch_thumb(c, w->design, &f), 0);
        cc_fetch_clear(&f);
        cc_close(c);
    }
    return NULL;
}

static void test_threads(const char *url)
{
    struct worker w[THREADS];
    for (unsigned i = 0; i < THREADS; i++) {
        w[i] = (struct worker){.url = url, .n = i};
        ASSERT(!pthread_create(&w[i].t, NULL, work, &w[i]));
    }
    for (unsigned i = 0; i < THREADS; i++) {
        ASSERT(!pthread_join(w[i].t, NULL));
        ASSERT(w[i].design[0]);
    }
    fprintf(stderr, "ok: %d threads, a connection each, then %d connections opened and "
                    "closed each\n",
            THREADS, CYCLES);
}

/* ---- TLS ---- */

static void test_tls(void)
{
    struct cc_call k = {0};
    struct cc_conn *c = NULL;
    struct cc_error e = {0};
    struct cc_options o = {.url = env("CC_TLS_URL"), .ca_file = env("CC_TLS_CA")};
    ASSERT(!cc_connect(&c, &o, &e));
    json_t *r = OK(cc_hello(c, NULL, &k));
    ASSERT_STREQ(str(r, "server"), "cocreated");
    json_decref(r);
    char name[32];
    snprintf(name, sizeof name, "tls%u", ++name_seq);
    DONE(cc_register(c, name, NULL, NULL, NULL, &k));
    size_t len;
    char *lv = make_level(20, 8, 4242, -1, 0, &len);
    struct cc_upload u = {.kind = "level", .title = "Secure", .data = lv, .len = len};
    r = OK(cc_upload(c, &u, &k));
    char *id = strdup(str(r, "design.id"));
    json_decref(r);
    struct cc_fetch f = {0};
    ASSERT_EQ(cc_fetch_original(c, id, &f), 0); /* https:// */
    ASSERT_EQ(f.body.len, len);
    ASSERT(!memcmp(f.body.data, lv, len));
    cc_fetch_clear(&f);
    free(lv);
    free(id);
    cc_close(c);
    /* a certificate no trusted CA signed: cannot connect */
    o.ca_file = env("CC_OTHER_CA");
    ASSERT_EQ(cc_connect(&c, &o, &e), CC_ERR_CONNECT);
    ASSERT(strstr(e.message, "certificate"));
    cc_error_clear(&e);
    /* plain ws:// to a TLS port: no WebSocket */
    char plain[128];
    snprintf(plain, sizeof plain, "ws://%s", env("CC_TLS_URL") + 6);
    o = (struct cc_options){.url = plain, .timeout_ms = 5000};
    int rc = cc_connect(&c, &o, &e);
    ASSERT(rc == CC_ERR_CONNECT || rc == CC_ERR_TIMEOUT);
    cc_error_clear(&e);
    fprintf(stderr, "ok: wss:// and https:// with the test CA; an unknown CA refused\n");
}

/* ---- servers that stop answering, die mid-upload, close with 1008 ---- */

static pid_t victim;
static int killed;

static void kill_on_progress(size_t sent, size_t total, void *user)
{
    (void)sent, (void)total, (void)user;
    if (!killed) {
        kill(victim, SIGKILL);
        killed = 1;
    }
}

static void test_broken_servers(void)
{
    struct cc_call k = {0};
    char name[32];
    /* a server that stops answering: the request's deadline */
    const char *vurl = env("CC_VICTIM_URL");
    victim = (pid_t)atoi(env("CC_VICTIM_PID"));
    struct cc_conn *c = NULL;
    struct cc_error e = {0};
    struct cc_options o = {.url = vurl, .on_close = note_close};
    ASSERT(!cc_connect(&c, &o, &e));
    snprintf(name, sizeof name, "victim%u", ++name_seq);
    DONE(cc_register(c, name, NULL, NULL, NULL, &k));
    ASSERT(!kill(victim, SIGSTOP));
    /* kill() returns before every thread of the server stopped (those not reached yet
     * could still answer): wait until they all have */
    ASSERT(!check_wait_stopped(victim, WAIT_MS));
    cc_set_timeout(c, 300);
    json_decref(FAILS(cc_hello(c, NULL, &k), CC_ERR_TIMEOUT, "timeout"));
    struct cc_fetch f = {0};
    ASSERT_EQ(cc_fetch(c, "/healthz", &f), CC_ERR_TIMEOUT);
    cc_fetch_clear(&f);
    ASSERT(!kill(victim, SIGCONT));
    cc_set_timeout(c, 0);
    /* the connection is still usable; the late reply is dropped */
    DONE(cc_hello(c, NULL, &k));

    /* the server dies in the middle of an upload */
    size_t len;
    char *big = make_level(1024, 200, 99, -1, 0, &len);
    struct cc_upload u = {.kind = "level", .title = "Doomed", .data = big, .len = len,
                          .progress = kill_on_progress};
    closes_seen = 0;
    json_decref(FAILS(cc_upload(c, &u, &k), CC_ERR_CLOSED, "closed"));
    ASSERT(killed);
    ASSERT_EQ(closes_seen, 1);
    ASSERT_EQ(cc_close_reason(c)->close_code, 1006);
    cc_close(c);
    free(big);

    /* rate_limited with its detail: retry_after, kind, scope */
    c = connect_to(env("CC_RATED_URL"));
    for (int i = 0; i < 2; i++) {
        snprintf(name, sizeof name, "rated%u", ++name_seq);
        DONE(cc_register(c, name, NULL, NULL, NULL, &k));
    }
    snprintf(name, sizeof name, "rated%u", ++name_seq);
    json_t *d = FAILS(cc_register(c, name, NULL, NULL, NULL, &k), CC_ERR_SERVER, "rate_limited");
    ASSERT(num(d, "retry_after") >= 1);
    ASSERT_STREQ(str(d, "kind"), "registrations");
    ASSERT_STREQ(str(d, "scope"), "address");
    json_decref(d);
    /* the server stops gracefully: "going away" (1001) */
    closes_seen = 0;
    ASSERT(!kill((pid_t)atoi(env("CC_RATED_PID")), SIGTERM));
    long long t0 = now_ms();
    while (cc_poll(c, 50) == 0 && now_ms() - t0 < WAIT_MS)
        ;
    ASSERT_EQ(cc_close_reason(c)->kind, CC_ERR_CLOSED);
    ASSERT_EQ(cc_close_reason(c)->close_code, 1001);
    cc_close(c);

    /* a policy close (1008): a reply past the server's send queue (--send-queue) */
    o = (struct cc_options){.url = env("CC_SMALLQ_URL"), .on_close = note_close};
    ASSERT(!cc_connect(&c, &o, &e));
    closes_seen = 0;
    json_decref(FAILS(cc_hello(c, NULL, &k), CC_ERR_CLOSED, "closed"));
    ASSERT_EQ(closes_seen, 1);
    ASSERT_EQ(last_close_code, 1008);
    ASSERT_EQ(cc_close_reason(c)->close_code, 1008);
    cc_close(c);
    fprintf(stderr, "ok: request and fetch timeouts, server killed mid-upload (1006), "
                    "rate_limited's detail, going away (1001), policy close (1008)\n");
}

/* ---- cc_close inside the connection's own callbacks (blocking form) ---- */

static void close_on_event(struct cc_conn *c, const char *name, json_t *ev, void *user)
{
    (void)name, (void)ev, (void)user;
    /* a blocking call in here is refused (its loop is running), a callback one is not */
    struct cc_call k = {0};
    ASSERT_EQ(cc_hello(c, NULL, &k), CC_ERR_USAGE);
    ASSERT(strstr(k.error.message, "inside"));
    cc_call_clear(&k);
    ASSERT_EQ(cc_poll(c, 0), CC_ERR_USAGE);
    cc_close(c);
}

static void test_close_in_callback(const char *url, const struct designs *ds)
{
    struct cc_call k = {0};
    char name[32];
    struct cc_options o = {.url = url, .on_event = close_on_event};
    struct cc_error e = {0};
    struct cc_conn *c = NULL;
    ASSERT(!cc_connect(&c, &o, &e));
    snprintf(name, sizeof name, "closer%u", ++name_seq);
    DONE(cc_register(c, name, NULL, NULL, NULL, &k));
    char *mine = upload_level(c, 5150, NULL, "Closer's");
    struct cc_conn *m = new_member(url, "poker", name, sizeof name);
    DONE(cc_comment_post(m, mine, "a notice for the closer", &k));
    /* the notice's callback closes c inside cc_poll: cc_poll then says so, c is gone */
    int rc = 0;
    long long t0 = now_ms();
    while (rc == 0 && now_ms() - t0 < WAIT_MS)
        rc = cc_poll(c, 50);
    ASSERT_EQ(rc, CC_ERR_CLOSED);
    (void)ds;
    free(mine);
    cc_close(m);
    fprintf(stderr, "ok: cc_close inside an event callback\n");
}

/* ---- the event-driven form on this program's loop ---- */

struct evt {
    uv_loop_t loop;
    uv_timer_t guard;
    struct cc_conn *a, *b;
    struct cc_sub *sub;
    char design[32];
    int opened, registered, seen_in_window, voted, fetched, done;
    size_t progress;
};

static struct evt ev;

static void ev_fail(const char *what, const struct cc_error *err)
{
    fprintf(stderr, "event-driven: %s: %s %s: %s\n", what, err ? cc_error_kind_name(err->kind) : "",
            err ? err->code : "", err ? err->message : "");
    exit(1);
}

static void ev_finish(void)
{
    ev.done = 1;
    cc_close(ev.a); /* inside their own callbacks: finished on the loop */
    cc_close(ev.b);
    uv_close((uv_handle_t *)&ev.guard, NULL);
}

static void ev_fetched(struct cc_conn *c, const struct cc_body *body, const struct cc_error *err,
                       void *user)
{
    (void)c, (void)user;
    if (err->kind)
        ev_fail("fetch", err);
    ASSERT_EQ(body->status, 200);
    ASSERT(body->len > 8 && body->data[1] == 'P');
    ev.fetched = 1;
    ev_finish();
}

static void ev_voted(struct cc_conn *c, json_t *result, const struct cc_error *err, void *user)
{
    (void)user;
    if (err->kind)
        ev_fail("vote", err);
    ASSERT_EQ(num(result, "tally.votes"), 1);
    ev.voted = 1;
    static struct cc_fetch f; /* the callback form copies nothing from f but cb and user */
    f = (struct cc_fetch){.cb = ev_fetched};
    ASSERT_EQ(cc_fetch_thumb(c, ev.design, &f), 0);
}

static void ev_window(struct cc_sub *s, json_t *event, void *user)
{
    (void)event, (void)user;
    if (!ev.design[0] || ev.seen_in_window)
        return;
    for (size_t i = 0; i < cc_sub_size(s); i++)
        if (!strcmp(str(cc_sub_item(s, i), "id"), ev.design)) {
            ev.seen_in_window = 1;
            struct cc_call k = {.cb = ev_voted};
            ASSERT_EQ(cc_vote_cast(ev.a, ev.design, 1, &k), 0);
        }
}

static void ev_progress(size_t sent, size_t total, void *user)
{
    (void)total, (void)user;
    ASSERT(sent > ev.progress);
    ev.progress = sent;
}

static void ev_uploaded(struct cc_conn *c, json_t *result, const struct cc_error *err, void *u)
{
    (void)c, (void)u;
    if (err->kind)
        ev_fail("upload", err);
    snprintf(ev.design, sizeof ev.design, "%s", str(result, "design.id"));
    if (ev.sub)
        ev_window(ev.sub, NULL, NULL);
}

static void ev_subscribed(struct cc_conn *c, json_t *result, const struct cc_error *err,
                          void *user)
{
    (void)c, (void)user;
    if (err->kind)
        ev_fail("subscribe", err);
    ASSERT(json_is_array(json_object_get(result, "items")));
    /* now b uploads; a's window shows it, a votes, fetches its thumbnail, closes */
    static char lv_name[] = "Event level";
    size_t len;
    char *lv = make_level(300, 100, 31337, -1, 0, &len);
    struct cc_upload u = {.kind = "level", .title = lv_name, .data = lv, .len = len,
                          .progress = ev_progress};
    struct cc_call k = {.cb = ev_uploaded};
    ASSERT_EQ(cc_upload(ev.b, &u, &k), 0);
    free(lv); /* copied */
}

static void ev_registered(struct cc_conn *c, json_t *result, const struct cc_error *err,
                          void *user)
{
    (void)user;
    if (err->kind)
        ev_fail("register", err);
    ASSERT(str(result, "token"));
    if (++ev.registered < 2)
        return;
    /* a blocking call on the caller's loop is refused */
    struct cc_call k = {0};
    ASSERT_EQ(cc_hello(c, NULL, &k), CC_ERR_USAGE);
    cc_call_clear(&k);
    struct cc_gallery_query q = {.sort = "new", .limit = 5};
    k = (struct cc_call){.cb = ev_subscribed};
    ASSERT_EQ(cc_gallery_subscribe(ev.a, &q, ev_window, NULL, &ev.sub, &k), 0);
    ASSERT(ev.sub);
}

static void ev_opened(struct cc_conn *c, const struct cc_error *err, void *user)
{
    (void)user;
    if (err->kind)
        ev_fail("open", err);
    ev.opened++;
    char name[32];
    snprintf(name, sizeof name, "evt%u", ++name_seq);
    struct cc_call k = {.cb = ev_registered};
    ASSERT_EQ(cc_register(c, name, NULL, NULL, NULL, &k), 0);
}

static void ev_dead_opened(struct cc_conn *c, const struct cc_error *err, void *user)
{
    *(int *)user = err->kind;
    cc_close(c);
}

static void ev_guard(uv_timer_t *t)
{
    (void)t;
    fprintf(stderr, "event-driven: not done within %d ms (opened %d registered %d seen %d "
                    "voted %d fetched %d)\n", WAIT_MS, ev.opened, ev.registered,
            ev.seen_in_window, ev.voted, ev.fetched);
    exit(1);
}

static void test_event_driven(const char *url)
{
    ASSERT(!uv_loop_init(&ev.loop));
    uv_timer_init(&ev.loop, &ev.guard);
    uv_timer_start(&ev.guard, ev_guard, WAIT_MS, 0);
    struct cc_options o = {.url = url};
    struct cc_error e = {0};
    ASSERT(!cc_connect_loop(&ev.a, &ev.loop, &o, ev_opened, NULL, &e));
    ASSERT(!cc_connect_loop(&ev.b, &ev.loop, &o, ev_opened, NULL, &e));
    ASSERT_EQ(cc_poll(ev.a, 0), CC_ERR_USAGE); /* the caller runs this loop */
    uv_run(&ev.loop, UV_RUN_DEFAULT);
    ASSERT(ev.done && ev.voted && ev.fetched && ev.progress > 0);
    ASSERT_EQ(uv_loop_close(&ev.loop), 0); /* every handle of lws and ours closed */

    /* a connect that fails on the loop: opened says why, then cc_close */
    ASSERT(!uv_loop_init(&ev.loop));
    struct cc_conn *d = NULL;
    o.url = env("CC_DEAD_URL");
    int kind = -1;
    ASSERT(!cc_connect_loop(&d, &ev.loop, &o, ev_dead_opened, &kind, &e));
    uv_run(&ev.loop, UV_RUN_DEFAULT);
    ASSERT_EQ(kind, CC_ERR_CONNECT);
    ASSERT(!cc_connect_loop(&d, &ev.loop, &o, ev_dead_opened, &kind, &e));
    cc_close(d); /* closed before it opened: opened never runs */
    kind = -1;
    uv_run(&ev.loop, UV_RUN_DEFAULT);
    ASSERT_EQ(kind, -1);
    ASSERT_EQ(uv_loop_close(&ev.loop), 0);
    fprintf(stderr, "ok: event-driven form on the caller's loop (uv_loop_close == 0)\n");
}

/* The blocking form's loop does not run between the caller's calls: a request made after
 * the caller was idle for longer than the timeout gets the whole timeout (the deadline
 * counted from a clock read then, not from when the last call ended). */
static void test_idle_then_call(const char *url)
{
    struct cc_conn *c = connect_to(url);
    struct cc_call k = {0};
    cc_set_timeout(c, 300);
    usleep(600 * 1000); /* the game's idle time between two calls: the scenario itself */
    DONE(cc_gallery_get(c, NULL, &k));
    cc_close(c);
    fprintf(stderr, "ok: a call after the caller was idle longer than the timeout\n");
}

/* cc_close of an open connection, in the blocking form and on the caller's loop (from
 * its opened callback): RFC 6455's closing handshake — our close frame (1000), then the
 * server's — before the socket goes. CC_CLOSE_URL is a bare WebSocket endpoint
 * (test_client.py) that records the close code each connection ended with (1006: the
 * socket went without a close frame) and checks them after this test. */
static void test_close_handshake(void)
{
    const char *url = env("CC_CLOSE_URL");
    cc_close(connect_to(url));
    uv_loop_t loop;
    ASSERT(!uv_loop_init(&loop));
    struct cc_options o = {.url = url};
    struct cc_error e = {0};
    struct cc_conn *c = NULL;
    int kind = -1;
    ASSERT(!cc_connect_loop(&c, &loop, &o, ev_dead_opened, &kind, &e));
    uv_run(&loop, UV_RUN_DEFAULT);
    ASSERT_EQ(kind, CC_OK);
    ASSERT_EQ(uv_loop_close(&loop), 0);
    fprintf(stderr, "ok: cc_close sends a close frame and waits for the server's (both forms)\n");
}

int main(void)
{
    const char *url = env("CC_URL");
    struct cc_call k = {0};
    struct cc_conn *brand = connect_to(url);
    DONE(cc_login_token(brand, env("CC_BRAND_TOKEN"), &k));
    DONE(cc_contest_create(brand, json_pack("{ss ss ss ss}", "slug", "live", "title", "Live",
                                            "kind", "level", "scale", "heart"),
                           &k));
    struct designs ds = {0};
    test_log(url);
    test_connect_errors();
    test_accounts(url);
    test_uploads(url, brand, &ds);
    test_fetch(url, &ds);
    test_ops(url, brand, &ds);
    test_gallery_queries(url, brand);
    test_live(url);
    test_close_in_callback(url, &ds);
    test_event_driven(url);
    test_threads(url);
    test_tls();
    test_broken_servers();
    test_close_handshake();
    test_idle_then_call(url);
    cc_close(brand);
    free(ds.big);
    free(ds.small);
    free(ds.other);
    free(ds.creator_token);
    fprintf(stderr, "test_client: all passed\n");
    return 0;
}
