/* An upload (SPEC §4): the SHA-256 of the bytes, upload.begin, the bytes in binary
 * frames as the socket takes them (so progress follows what really left), then
 * upload.commit. One per connection at a time. */
#include "client_int.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest file cc_upload reads (the server's own limits are far below: SPEC §3). */
#define UPLOAD_FILE_MAX (256u << 20)

enum up_phase { UP_BEGIN, UP_SENDING, UP_COMMIT };

struct cl_upload {
    unsigned char *data;
    size_t len, sent;
    char id[64];
    int have;
    enum up_phase phase;
    cc_reply_fn cb;
    void *user;
    cc_progress_fn progress;
    void *progress_user;
    uint64_t stall_deadline; /* SENDING: no chunk written by then = timeout */
    unsigned char chunk[LWS_PRE + CC_UPLOAD_CHUNK];
};

static void finish(struct cc_conn *c, struct cl_upload *up, json_t *result,
                   const struct cc_error *err)
{
    c->upload = NULL;
    up->cb(c, result, err, up->user);
    free(up->data);
    free(up);
}

static void commit_reply(struct cc_conn *c, json_t *result, const struct cc_error *err,
                         void *user)
{
    struct cl_upload *up = user;
    if (result && up->have)
        json_object_set_new(result, "have", json_true());
    finish(c, up, result, err);
}

static void commit(struct cc_conn *c, struct cl_upload *up)
{
    struct cc_error e = {0};
    up->phase = UP_COMMIT;
    if (cl_send_request(c, "upload.commit", json_pack("{ss}", "upload", up->id), commit_reply,
                        up, &e))
        finish(c, up, NULL, &e);
    cc_error_clear(&e);
}

static void begin_reply(struct cc_conn *c, json_t *result, const struct cc_error *err,
                        void *user)
{
    struct cl_upload *up = user;
    const char *id = json_string_value(json_object_get(result, "upload"));
    if (!result || !id) {
        struct cc_error e = {0};
        if (result)
            cl_error(&e, CC_ERR_PROTOCOL, "upload.begin's result has no upload id");
        finish(c, up, NULL, result ? &e : err);
        cc_error_clear(&e);
        return;
    }
    snprintf(up->id, sizeof up->id, "%s", id);
    up->have = json_is_true(json_object_get(result, "have"));
    if (up->have || up->len == 0) {
        commit(c, up);
        return;
    }
    up->phase = UP_SENDING;
    up->stall_deadline = cl_now(c) + (uint64_t)c->timeout_ms;
    cl_arm_timer(c);
    cl_want_write(c);
}

void cl_upload_write(struct cc_conn *c)
{
    struct cl_upload *up = c->upload;
    while (up && up->phase == UP_SENDING && c->wsi && !lws_send_pipe_choked(c->wsi)) {
        size_t n = up->len - up->sent < CC_UPLOAD_CHUNK ? up->len - up->sent : CC_UPLOAD_CHUNK;
        memcpy(up->chunk + LWS_PRE, up->data + up->sent, n);
        if (lws_write(c->wsi, up->chunk + LWS_PRE, n, LWS_WRITE_BINARY) < (int)n)
            return; /* the socket died: the close fails the upload */
        up->sent += n;
        up->stall_deadline = uv_now(c->loop) + (uint64_t)c->timeout_ms;
        if (up->progress)
            up->progress(up->sent, up->len, up->progress_user);
        if (c->upload != up || c->close_asked)
            return; /* the progress callback closed the connection */
        if (up->sent == up->len) {
            commit(c, up); /* may finish (free) the upload */
            return;
        }
    }
}

int cl_upload_orphan(struct cc_conn *c, const struct cc_error *err)
{
    if (!c->upload || c->upload->phase != UP_SENDING)
        return 0;
    finish(c, c->upload, NULL, err);
    return 1;
}

void cl_upload_abort(struct cc_conn *c, const struct cc_error *err)
{
    /* In the other phases a request is pending: its failure finishes the upload. */
    if (c->upload && c->upload->phase == UP_SENDING)
        finish(c, c->upload, NULL, err);
}

uint64_t cl_upload_deadline(const struct cc_conn *c)
{
    return c->upload && c->upload->phase == UP_SENDING ? c->upload->stall_deadline : 0;
}

static void ignore_reply(struct cc_conn *c, json_t *result, const struct cc_error *err,
                         void *user)
{
    (void)c, (void)result, (void)err, (void)user;
}

void cl_upload_expire(struct cc_conn *c, uint64_t now)
{
    struct cl_upload *up = c->upload;
    if (!up || up->phase != UP_SENDING || now < up->stall_deadline)
        return;
    struct cc_error e = {0};
    cl_error(&e, CC_ERR_TIMEOUT, "the server took no upload bytes for %d ms", c->timeout_ms);
    json_t *args = json_pack("{ss}", "upload", up->id);
    finish(c, up, NULL, &e);
    /* the server still holds the upload open: drop it there too */
    if (cl_send_request(c, "upload.abort", args, ignore_reply, NULL, &e) == 0)
        cc_error_clear(&e);
    cc_error_clear(&e);
}

/* The bytes to upload: a copy of u->data or the file u->path. */
static int load(const struct cc_upload *u, unsigned char **out, size_t *len,
                struct cc_error *err)
{
    if (u->data) {
        *out = malloc(u->len ? u->len : 1);
        if (!*out)
            abort();
        memcpy(*out, u->data, u->len);
        *len = u->len;
        return 0;
    }
    if (!u->path) {
        cl_error(err, CC_ERR_USAGE, "cc_upload: neither data nor path given");
        return CC_ERR_USAGE;
    }
    FILE *f = fopen(u->path, "rb");
    long size = -1;
    if (f && fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    if (!f || size < 0 || (unsigned long)size > UPLOAD_FILE_MAX || fseek(f, 0, SEEK_SET)) {
        int e = errno;
        if (f)
            fclose(f);
        cl_error(err, CC_ERR_IO, "%s: %s", u->path,
                 size > 0 ? "larger than any upload may be" : strerror(e));
        return CC_ERR_IO;
    }
    *out = malloc(size ? (size_t)size : 1);
    if (!*out)
        abort();
    size_t got = fread(*out, 1, (size_t)size, f);
    int bad = ferror(f) || got != (size_t)size;
    fclose(f);
    if (bad) {
        free(*out);
        cl_error(err, CC_ERR_IO, "%s: cannot read it", u->path);
        return CC_ERR_IO;
    }
    *len = (size_t)size;
    return 0;
}

int cc_upload(struct cc_conn *c, const struct cc_upload *u, struct cc_call *call)
{
    struct cl_waiter w;
    cc_reply_fn cb;
    void *user;
    if (!c || !u || !call)
        return CC_ERR_USAGE;
    if (cl_call_begin(c, call, &w, &cb, &user))
        return CC_ERR_USAGE;
    if (c->upload) {
        cl_error(&call->error, CC_ERR_USAGE, "an upload is in flight on this connection");
        return CC_ERR_USAGE;
    }
    struct cl_upload *up = calloc(1, sizeof *up);
    if (!up)
        abort();
    if (load(u, &up->data, &up->len, &call->error)) {
        free(up);
        return call->error.kind;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char hex[65];
    EVP_Digest(up->data, up->len, md, &mdlen, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    json_t *tags = json_array();
    for (size_t i = 0; u->tags && i < u->ntags; i++)
        json_array_append_new(tags, json_string(u->tags[i]));
    json_t *args = json_pack("{ss? ss? ss? ss? sI ss so}", "kind", u->kind, "title", u->title,
                             "contest", u->contest, "accept_terms", u->accept_terms, "bytes",
                             (json_int_t)up->len, "sha256", hex, "tags", tags);
    if (!args) {
        free(up->data);
        free(up);
        cl_error(&call->error, CC_ERR_USAGE, "cc_upload: kind, title, contest or a tag is "
                                             "missing or not UTF-8");
        return CC_ERR_USAGE;
    }
    up->cb = cb;
    up->user = user;
    up->progress = u->progress;
    up->progress_user = u->progress_user;
    up->phase = UP_BEGIN;
    int rc = cl_send_request(c, "upload.begin", args, begin_reply, up, &call->error);
    if (rc) {
        free(up->data);
        free(up);
    } else {
        c->upload = up;
    }
    return cl_call_end(c, call, &w, rc);
}
