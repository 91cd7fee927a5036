/* Ops `upload.begin`, `upload.commit`, `upload.abort` and the binary frames between
 * them (SPEC §4). One upload per connection. Bytes are counted against the declared
 * size (itself bounded by the kind's limit) before they are buffered. At commit the
 * SHA-256 check, validation, storage encoding and the thumbnail run on libuv's thread
 * pool; the records are then written by the group-commit writer and only then is the
 * design acknowledged. Loop thread, except upload_work (thread pool). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blobs.h"
#include "catalog.h"
#include "ccerr.h"
#include "changes.h"
#include "contests.h"
#include "design_view.h"
#include "designs.h"
#include "kind.h"
#include "log.h"
#include "ops.h"
#include "req.h"
#include "search.h"
#include "server.h"
#include "util.h"

struct upload {
    char id[24];
    const struct kind *kind;
    char contest[CONTEST_ID_MAX + 1];
    char *title;
    json_t *tags;
    uint64_t bytes;
    uint8_t sha[32];
    int have;       /* the server already holds the blob: no bytes expected */
    char terms[CONTEST_TERMS_VERSION_MAX + 1]; /* the contest's terms accepted ("" none) */
    int committing; /* upload.commit is being processed */
    struct ccbuf data;
};

static void upload_free(struct upload *u)
{
    if (!u)
        return;
    free(u->title);
    json_decref(u->tags);
    ccbuf_free(&u->data);
    free(u);
}

/* Ends the session's upload (if it is still u). */
static void upload_end(struct session *s, struct upload *u)
{
    if (s->upload == u)
        s->upload = NULL;
    upload_free(u);
}

void upload_on_close(struct session *s)
{
    /* A commit in progress owns its upload and ends it; anything else goes now, and
     * nothing of it was stored. */
    if (s->upload && !s->upload->committing)
        upload_end(s, s->upload);
}

/* An error event about the upload (binary frames carry no request id). */
static void upload_error(struct session *s, int err, const char *message)
{
    json_t *o = json_pack("{snsbs{sssss{ss}}}", "id", "ok", 0, "error", "code",
                          ccerr_wire(err), "message", message, "detail", "upload",
                          s->upload ? s->upload->id : "");
    req_send_event(s->conn, o);
}

void upload_on_binary(struct session *s, const uint8_t *buf, size_t len, int final)
{
    struct upload *u = s->upload;
    (void)final;
    if (!u || u->committing || u->have) {
        /* Report once per message, not per fragment. */
        if (final)
            upload_error(s, CC_EBADARGS,
                         !u ? "binary frame without an upload (send upload.begin first)"
                            : u->have ? "the server has this blob already: send no bytes"
                                      : "binary frame after upload.commit");
        return;
    }
    if (len > u->bytes - u->data.len) {
        char msg[160];
        snprintf(msg, sizeof msg, "more bytes than the %llu declared in upload.begin; "
                 "the upload is dropped", (unsigned long long)u->bytes);
        upload_error(s, CC_ETOOLARGE, msg);
        upload_end(s, u);
        return;
    }
    ccbuf_append(&u->data, buf, len);
}

/* ---- upload.begin ---- */

/* SPEC §7: bytes another creator's design holds are `conflict` with detail.rule
 * "duplicate" (naming no design: it may be hidden); the creator's own design holding
 * them in the same contest is `conflict` naming it. Fails r and returns 1, or 0. */
static int fail_duplicate(struct req *r, const struct blob_holders *bh)
{
    if (bh->other) {
        req_fail(r, CC_ECONFLICT, "another creator has already uploaded these exact bytes",
                 json_pack("{ss}", "rule", "duplicate"));
        return 1;
    }
    if (bh->own) {
        char id[24], msg[128];
        snprintf(id, sizeof id, "%llu", (unsigned long long)bh->own);
        snprintf(msg, sizeof msg, "you have already entered these bytes in this contest "
                 "(design %s)", id);
        req_fail(r, CC_ECONFLICT, msg, json_pack("{ss}", "design", id));
        return 1;
    }
    return 0;
}

void op_upload_begin(struct req *r)
{
    struct session *s = r->sess;
    struct jargs_err e;
    const char *kind_name, *title, *sha_hex, *contest_id = CONTEST_OPEN;
    json_int_t bytes;
    int rc;
    if ((rc = req_str(r, "kind", JARGS_REQUIRED, 1, 32, &kind_name, &e)) ||
        (rc = req_str(r, "title", JARGS_REQUIRED, 0, 4 * DESIGN_TITLE_MAX, &title, &e)) < 0 ||
        (rc = req_str(r, "contest", JARGS_OPTIONAL, 1, CONTEST_ID_MAX, &contest_id, &e)) < 0 ||
        (rc = req_int(r, "bytes", JARGS_REQUIRED, 1, INT64_MAX, &bytes, &e)) ||
        (rc = req_str(r, "sha256", JARGS_REQUIRED, 64, 64, &sha_hex, &e))) {
        req_fail_args(r, &e);
        return;
    }
    const struct kind *kind = kind_find(kind_name);
    if (!kind) {
        e.field = "kind";
        int n = snprintf(e.why, sizeof e.why, "must be one of:");
        for (const struct kind *const *k = kind_all(); *k && n < (int)sizeof e.why; k++)
            n += snprintf(e.why + n, sizeof e.why - (size_t)n, " %s", (*k)->name);
        req_fail_args(r, &e);
        return;
    }
    uint8_t sha[32];
    if (hex_decode(sha_hex, sha, 32)) {
        e.field = "sha256";
        snprintf(e.why, sizeof e.why, "must be 64 hex digits");
        req_fail_args(r, &e);
        return;
    }
    if ((uint64_t)bytes > kind->max_bytes) {
        char msg[128];
        snprintf(msg, sizeof msg, "a %s may be at most %zu bytes", kind->name, kind->max_bytes);
        req_fail(r, CC_ETOOLARGE, msg,
                 json_pack("{sIsI}", "bytes", bytes, "limit", (json_int_t)kind->max_bytes));
        return;
    }
    json_t *clean_tags;
    if (design_check_meta(title, json_object_get(req_msg(r), "tags"), &clean_tags, &e)) {
        req_fail_args(r, &e);
        return;
    }
    if (s->upload) {
        json_decref(clean_tags);
        req_fail(r, CC_ECONFLICT, "an upload is already in progress on this connection",
                 json_pack("{ss}", "upload", s->upload->id));
        return;
    }

    struct server *srv = req_server(r);
    MDB_txn *txn;
    struct contest c;
    struct blob_holders bh;
    int have = 0;
    if (!(rc = store_read_begin(srv->store, &txn))) {
        rc = contest_load(txn, srv->store, contest_id, &c);
        if (!rc)
            rc = blob_holders(txn, srv->store, sha, s->account, c.id, &bh);
        /* Bytes held by no design (none are today) are sent and validated again. */
        if (!rc && bh.known)
            have = blob_exists(txn, srv->store, sha);
        store_read_end(srv->store, txn);
    }
    if (rc || have < 0) {
        json_decref(clean_tags);
        req_fail(r, rc == CC_ENOTFOUND ? rc : CC_EINTERNAL,
                 rc == CC_ENOTFOUND ? "no such contest" : NULL,
                 rc == CC_ENOTFOUND ? json_pack("{ss}", "field", "contest") : NULL);
        return;
    }
    if (!contest_accepts_kind(&c, kind->name)) {
        json_decref(clean_tags);
        e.field = "kind";
        snprintf(e.why, sizeof e.why, "must be %s for this contest", c.kind);
        req_fail_args(r, &e);
        return;
    }
    enum phase p = contest_phase(&c, server_now(srv));
    if (p != PHASE_SUBMISSIONS) {
        json_decref(clean_tags);
        char msg[96];
        snprintf(msg, sizeof msg, "this contest does not take submissions (it is in %s)",
                 phase_name(p));
        req_fail(r, CC_ECLOSED, msg, json_pack("{ss}", "phase", phase_name(p)));
        return;
    }

    /* SPEC §7: a contest with terms takes uploads that accept their version. */
    const char *accepted = NULL;
    if (c.terms[0] && (req_str(r, "accept_terms", JARGS_OPTIONAL, 0, 64, &accepted, &e) ||
                       strcmp(accepted, c.terms))) {
        json_decref(clean_tags);
        char msg[256];
        snprintf(msg, sizeof msg, "this contest's terms (version %s) must be accepted: send "
                 "accept_terms: \"%s\" once the creator has agreed to them", c.terms, c.terms);
        req_fail(r, CC_EBADARGS, msg,
                 json_pack("{ssss}", "field", "accept_terms", "version", c.terms));
        return;
    }
    if (fail_duplicate(r, &bh)) {
        json_decref(clean_tags);
        return;
    }
    /* have: true skips the bytes, so what the client says of them must be what the
     * server validated when it stored them. */
    if (have && strcmp(bh.kind, kind->name)) {
        json_decref(clean_tags);
        e.field = "kind";
        snprintf(e.why, sizeof e.why, "does not match these bytes: they are a %s", bh.kind);
        req_fail_args(r, &e);
        return;
    }
    if (have && bh.bytes != (uint64_t)bytes) {
        json_decref(clean_tags);
        e.field = "bytes";
        snprintf(e.why, sizeof e.why, "does not match these bytes: they are %llu bytes long",
                 (unsigned long long)bh.bytes);
        req_fail_args(r, &e);
        return;
    }
    if (req_rate_limit(r, RATE_UPLOADS)) {
        json_decref(clean_tags);
        return;
    }
    struct upload *u = xcalloc(1, sizeof *u);
    snprintf(u->id, sizeof u->id, "%llu", (unsigned long long)++s->upload_seq);
    u->kind = kind;
    snprintf(u->contest, sizeof u->contest, "%s", c.id);
    u->title = xstrdup(title);
    u->tags = clean_tags;
    u->bytes = (uint64_t)bytes;
    memcpy(u->sha, sha, 32);
    u->have = have;
    snprintf(u->terms, sizeof u->terms, "%s", c.terms);
    ccbuf_init(&u->data);
    s->upload = u;
    req_ok(r, json_pack("{sssb}", "upload", u->id, "have", have));
}

/* Finds the session's upload named by the request's `upload` arg, or fails r. */
static struct upload *find_upload(struct req *r)
{
    struct jargs_err e;
    const char *id;
    if (req_str(r, "upload", JARGS_REQUIRED, 1, 23, &id, &e)) {
        req_fail_args(r, &e);
        return NULL;
    }
    struct upload *u = r->sess->upload;
    if (!u || strcmp(u->id, id) != 0) {
        req_fail(r, CC_ENOTFOUND, "no such upload on this connection",
                 json_pack("{ss}", "field", "upload"));
        return NULL;
    }
    if (u->committing) {
        req_fail(r, CC_ECONFLICT, "this upload is being committed", NULL);
        return NULL;
    }
    return u;
}

void op_upload_abort(struct req *r)
{
    struct upload *u = find_upload(r);
    if (!u)
        return;
    upload_end(r->sess, u);
    req_ok(r, NULL);
}

/* ---- upload.commit ---- */

struct commit_job {
    uv_work_t work;
    struct req *r;
    struct upload *u;
    const struct codec_dict *dict; /* the dictionary to encode with, or NULL */
    /* outputs of the pool */
    int status;
    struct kind_error kerr;
    struct ccbuf stored, thumb;
    uint64_t fp; /* the fingerprint (SPEC §8 look-alikes), when has_fp */
    int has_fp;
};

static void commit_job_free(struct commit_job *j)
{
    ccbuf_free(&j->stored);
    ccbuf_free(&j->thumb);
    free(j);
}

/* Thread pool: everything CPU-heavy, on data the job owns. */
static void commit_work(uv_work_t *w)
{
    struct commit_job *j = container_of(w, struct commit_job, work);
    struct upload *u = j->u;
    uint8_t sha[32];
    sha256(u->data.data, u->data.len, sha);
    if (memcmp(sha, u->sha, 32) != 0) {
        j->status = CC_EBADARGS;
        kind_error_clear(&j->kerr);
        snprintf(j->kerr.message, sizeof j->kerr.message,
                 "the bytes received do not match sha256");
        return;
    }
    j->status = kind_validate(u->kind, u->data.data, u->data.len, &j->kerr);
    if (j->status)
        return;
    j->has_fp = u->kind->fingerprint && !u->kind->fingerprint(u->data.data, u->data.len, &j->fp);
    j->status = codec_encode(u->kind, u->data.data, u->data.len, j->dict, &j->stored);
    if (j->status)
        return;
    j->status = kind_render(u->kind, u->data.data, u->data.len, 1, &j->thumb, &j->kerr);
}

/* ---- the zstd dictionary: trained by the node that accepted the upload ---- */

static void dict_applied(struct change *c, int status, void *user)
{
    (void)status; /* published by the record's post-commit step when it was applied */
    change_free(c);
    blobs_train_end(user);
}

/* A trained dictionary becomes a "dict" change record, so every node (and every
 * replay) stores, and compresses with, the same one (change_dict.c). */
static void dict_trained(void *user, const struct kind *kind, struct ccbuf *dict,
                         uint64_t count)
{
    struct server *srv = user;
    struct change *c = change_new(CH_DICT, server_now(srv), 0,
                                  json_pack("{sssI}", "kind", kind->name, "count",
                                            (json_int_t)count));
    c->att[ATT_DICT] = *dict;
    ccbuf_init(dict);
    if (srv->draining || changes_submit(srv->changes, c, dict_applied, srv)) {
        change_free(c);
        blobs_train_end(srv);
    }
}

static void commit_reply(struct req *r, struct change *c, int status)
{
    struct commit_job *j = r->ctx;
    struct server *srv = req_server(r);
    r->ctx = NULL;
    upload_end(r->sess, j->u);
    commit_job_free(j);
    if (status) {
        if (status == CC_ECLOSED)
            req_fail(r, status, "this contest no longer takes submissions", NULL);
        else if (status != CC_ECONFLICT || !fail_duplicate(r, &c->out.holders))
            req_fail(r, status, NULL, NULL);
        change_free(c);
        return;
    }
    struct dmem *d = catalog_design(srv->catalog, c->out.id);
    if (c->out.flag && !srv->draining) /* a new blob: maybe time for a dictionary */
        blobs_train_if_due(srv, kind_find(change_str(c, "kind")), dict_trained, srv);
    change_free(c);
    struct ccbuf b;
    ccbuf_init(&b);
    MDB_txn *txn;
    int rc = d ? store_read_begin(srv->store, &txn) : CC_EINTERNAL;
    if (!rc) {
        ccbuf_append(&b, "{\"design\":", 10);
        rc = design_json(&srv->view, txn, d, 1, &b); /* its creator sees the tally */
        ccbuf_append(&b, "}", 1);
        store_read_end(srv->store, txn);
    }
    if (rc)
        req_fail(r, CC_EINTERNAL, NULL, NULL);
    else
        req_ok_raw(r, (const char *)b.data, b.len);
    ccbuf_free(&b);
}

/* The upload becomes a "design.create" change record: the validated upload's facts and,
 * when the bytes are new, their stored form and thumbnail (moved from the job). */
static void commit_to_writer(struct req *r, struct commit_job *j)
{
    struct upload *u = j->u;
    char blob[65];
    hex_encode(u->sha, 32, blob);
    struct change *c = change_new(
        CH_DESIGN_CREATE, server_now(req_server(r)), r->sess->account,
        json_pack("{sssssssOsssI}", "contest", u->contest, "kind", u->kind->name, "title",
                  u->title, "tags", u->tags, "blob", blob, "bytes", (json_int_t)u->bytes));
    if (u->terms[0])
        json_object_set_new(c->args, "terms", json_string(u->terms));
    if (j->has_fp) {
        /* SPEC §8: its fingerprint, and the look-alikes among other creators' designs
         * as this node knows them now (the record carries both: every node stores the
         * same) */
        char hex[17];
        snprintf(hex, sizeof hex, "%016llx", (unsigned long long)j->fp);
        json_object_set_new(c->args, "fp", json_string(hex));
        uint64_t ids[SEARCH_SIMILAR_MAX];
        int dist[SEARCH_SIMILAR_MAX];
        int n = search_similar(req_server(r)->search, catalog_kind_number(u->kind->name), j->fp,
                               r->sess->account, 0, ids, dist);
        json_t *sim = json_array();
        for (int i = 0; i < n; i++) {
            char id[24];
            snprintf(id, sizeof id, "%llu", (unsigned long long)ids[i]);
            json_array_append_new(sim, json_string(id));
        }
        json_object_set_new(c->args, "similar", sim);
    }
    c->att[ATT_STORED] = j->stored;
    c->att[ATT_THUMB] = j->thumb;
    ccbuf_init(&j->stored);
    ccbuf_init(&j->thumb);
    req_change(r, c, commit_reply);
}

static void commit_after_work(uv_work_t *w, int status)
{
    struct commit_job *j = container_of(w, struct commit_job, work);
    struct req *r = j->r;
    if (status == 0 && j->status == 0) {
        ccbuf_free(&j->u->data); /* the stored form and thumbnail are all we need now */
        commit_to_writer(r, j);
        return;
    }
    int err = status ? CC_EINTERNAL : j->status;
    json_t *detail = NULL;
    if ((err == CC_EINVALID || err == CC_ETOOLARGE) && j->kerr.rule) {
        detail = kind_error_detail(&j->kerr);
    } else if (err == CC_EBADARGS) {
        detail = json_pack("{ss}", "field", "sha256");
    }
    r->ctx = NULL;
    upload_end(r->sess, j->u);
    char msg[sizeof j->kerr.message];
    snprintf(msg, sizeof msg, "%s", j->kerr.message);
    commit_job_free(j);
    req_fail(r, err, msg[0] ? msg : NULL, detail);
}

void op_upload_commit(struct req *r)
{
    struct upload *u = find_upload(r);
    if (!u)
        return;
    struct server *srv = req_server(r);
    if (!u->have && u->data.len != u->bytes) {
        char msg[128];
        snprintf(msg, sizeof msg, "received %zu of the %llu bytes declared", u->data.len,
                 (unsigned long long)u->bytes);
        req_fail(r, CC_EBADARGS, msg, json_pack("{ss}", "field", "bytes"));
        return;
    }
    u->committing = 1;
    struct commit_job *j = xcalloc(1, sizeof *j);
    j->r = r;
    j->u = u;
    r->ctx = j;
    if (u->have) {
        commit_to_writer(r, j);
        return;
    }
    j->dict = blobs_dict_current(srv, u->kind);
    if (uv_queue_work(srv->loop, &j->work, commit_work, commit_after_work)) {
        r->ctx = NULL;
        upload_end(r->sess, u);
        commit_job_free(j);
        req_fail(r, CC_EINTERNAL, NULL, NULL);
    }
}
