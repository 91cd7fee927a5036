/* GET /export/<contest> (brand only): the production export, a POSIX ustar archive of
 * every visible design of the contest in status winner, in_production or launched, in
 * `top` rank order: `<id>/original.<png|json>` (the uploaded bytes, decoded from the
 * stored blob and checked against its SHA-256), `<id>/render.png` (the full-size render,
 * from the renders table or made now on the thread pool and then cached), and at the
 * end `manifest.json`. A design whose files cannot be made (its stored bytes unreadable
 * or not matching its hash, its record broken) is left out and named in the manifest's
 * `skipped` list: the archive is always whole and well-formed. The archive is streamed: one design's files are read and
 * rendered on the thread pool while the socket drains the previous one, so at most one
 * design's bytes are in memory; the manifest keeps only each design's metadata.
 * The list, tallies, ranks and log head come from one snapshot (snapshot_take).
 * Loop thread, except export_work (thread pool, its own read transaction). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "blobs.h"
#include "catalog.h"
#include "accounts.h"
#include "ccerr.h"
#include "contests.h"
#include "creators.h"
#include "notices.h"
#include "designs.h"
#include "export.h"
#include "renders.h"
#include "viewer.h"
#include "kind.h"
#include "log.h"
#include "snapshot.h"
#include "server.h"
#include "store.h"
#include "util.h"
#include "votes.h"

/* ustar: 512-byte blocks; an archive ends with two zero blocks. */
#define TAR_BLOCK 512
/* A sent buffer larger than this is given back rather than kept for the next design. */
#define EXPORT_KEEP (1u << 20)

/* One design of the export, as the snapshot saw it. */
struct xdesign {
    uint64_t id;
    size_t rank;
    struct tally tally;
    const struct scale *scale;
    double score;
};

/* One design's files, made on the thread pool. */
struct xjob {
    uv_work_t work;
    struct export *x;
    struct server *srv;
    uint64_t id;
    int64_t mtime;
    int status;
    json_t *record, *timeline; /* out */
    json_t *contact;           /* out: the creator's contact (a winner's), or NULL */
    struct ccbuf tar;          /* out: both files as archive members */
    struct ccbuf new_render;   /* out: a render made now, to cache */
    uint8_t sha[32];
    size_t orig_len, render_len;
    uint32_t render_w, render_h;
    char original[48], render[48]; /* member names */
    const char *why; /* when status != 0: why the design is left out (static text) */
    size_t counted; /* bytes of tar counted in stats.held (once the loop has it) */
};

/* Loop thread: the design bytes (archive members made and not yet sent) all exports
 * hold; an export holds one design's at a time. */
static struct export_stats stats;

static void held_add(size_t n)
{
    stats.held += n;
    if (stats.held > stats.held_max)
        stats.held_max = stats.held;
}

void export_get_stats(struct export_stats *out)
{
    *out = stats;
}

struct export {
    struct server *srv;
    struct net_http *h;
    char contest[CONTEST_ID_MAX + 1];
    int64_t now;
    struct xdesign *list;
    size_t n, next;
    struct xjob *job; /* on the pool (busy) or done and not yet consumed */
    int busy, abandoned, finished;
    struct ccbuf out; /* bytes to send: out.data[off..len) */
    size_t off;
    size_t held; /* bytes of out counted in stats.held */
    struct ccbuf manifest;
    size_t listed;        /* designs in the manifest's list */
    struct ccbuf skipped; /* the manifest's "skipped" entries, comma-separated */
    char *tail;           /* GET /me/export: the manifest's last members, or NULL */
};

static void respond_text(struct net_http *h, int status, const char *text)
{
    net_http_respond(h, status, "text/plain; charset=utf-8", xstrdup(text), strlen(text));
}

/* Appends a ustar header for a regular file. */
static void tar_header(struct ccbuf *out, const char *name, uint64_t size, int64_t mtime)
{
    uint8_t *h = ccbuf_reserve(out, TAR_BLOCK);
    char *c = (char *)h;
    memset(h, 0, TAR_BLOCK);
    snprintf(c, 100, "%s", name);
    snprintf(c + 100, 8, "%07o", 0644u);
    snprintf(c + 108, 8, "%07o", 0u);
    snprintf(c + 116, 8, "%07o", 0u);
    snprintf(c + 124, 12, "%011llo", (unsigned long long)(size & 077777777777ull));
    snprintf(c + 136, 12, "%011llo", (unsigned long long)mtime & 077777777777ull);
    memset(c + 148, ' ', 8);
    c[156] = '0';
    memcpy(c + 257, "ustar", 6);
    memcpy(c + 263, "00", 2);
    snprintf(c + 265, 32, "cocreate");
    snprintf(c + 297, 32, "cocreate");
    unsigned sum = 0;
    for (int i = 0; i < TAR_BLOCK; i++)
        sum += h[i];
    snprintf(c + 148, 8, "%06o", sum & 0777777u);
    c[155] = ' ';
    out->len += TAR_BLOCK;
}

/* Appends a member: header, bytes, zero padding to the block. */
static void tar_member(struct ccbuf *out, const char *name, const void *data, size_t len,
                       int64_t mtime)
{
    tar_header(out, name, len, mtime);
    ccbuf_append(out, data, len);
    size_t pad = (TAR_BLOCK - len % TAR_BLOCK) % TAR_BLOCK;
    memset(ccbuf_reserve(out, pad), 0, pad);
    out->len += pad;
}

/* ---- one design, on the thread pool ---- */

static void export_work(uv_work_t *w)
{
    struct xjob *j = container_of(w, struct xjob, work);
    struct store *st = j->srv->store;
    struct ccbuf plain, render;
    ccbuf_init(&plain);
    ccbuf_init(&render);
    j->status = CC_EINTERNAL;
    MDB_txn *txn;
    if (store_read_begin(st, &txn))
        return;
    const struct kind *kind = NULL;
    MDB_val v;
    j->why = "its design record cannot be read";
    int rc = design_load(txn, st, j->id, &j->record);
    if (!rc && design_blob(j->record, j->sha))
        rc = CC_EINTERNAL;
    if (!rc && !(kind = kind_find(json_string_value(json_object_get(j->record, "kind")))))
        rc = CC_EINTERNAL;
    if (!rc)
        j->timeline = design_timeline(txn, st, j->id);
    int s = rc ? -1 : status_parse(json_string_value(json_object_get(j->record, "status")) ?: "");
    json_t *acct;
    const char *creator = rc ? NULL : json_string_value(json_object_get(j->record, "creator"));
    /* SPEC §7: the brand reaches a winner through the contact in the manifest. */
    if ((s == ST_WINNER || s == ST_IN_PRODUCTION || s == ST_LAUNCHED) && creator &&
        !account_get(txn, st, strtoull(creator, NULL, 10), &acct)) {
        j->contact = json_incref(json_object_get(acct, "contact"));
        json_decref(acct);
    }
    if (!rc) {
        j->why = "its stored bytes cannot be read as its kind";
        if (!(rc = store_get(txn, store_dbs(st)->blobs, j->sha, 32, &v)))
            rc = blobs_decode(j->srv, v.mv_data, v.mv_size, kind->max_bytes, &plain);
    }
    if (!rc && !store_get(txn, store_dbs(st)->renders, j->sha, 32, &v))
        ccbuf_append(&render, v.mv_data, v.mv_size);
    store_read_end(st, txn);
    uint8_t got[32];
    if (!rc) {
        sha256(plain.data, plain.len, got);
        if (memcmp(got, j->sha, 32)) {
            log_error("export: design %llu: its stored blob does not match its SHA-256",
                      (unsigned long long)j->id);
            j->why = "its stored bytes do not match its SHA-256";
            rc = CC_EINTERNAL;
        }
    }
    if (!rc && !render.len) {
        struct kind_error err;
        j->why = "it cannot be rendered";
        if (!(rc = kind_render(kind, plain.data, plain.len, 0, &render, &err)))
            ccbuf_append(&j->new_render, render.data, render.len);
    }
    if (!rc && (render.len < 24 || memcmp(render.data + 12, "IHDR", 4))) {
        j->why = "its render is not a PNG";
        rc = CC_EINTERNAL;
    }
    if (!rc) {
        j->render_w = get_be32(render.data + 16);
        j->render_h = get_be32(render.data + 20);
        snprintf(j->original, sizeof j->original, "%llu/original.%s",
                 (unsigned long long)j->id,
                 kind->ext);
        snprintf(j->render, sizeof j->render, "%llu/render.png", (unsigned long long)j->id);
        j->orig_len = plain.len;
        j->render_len = render.len;
        tar_member(&j->tar, j->original, plain.data, plain.len, j->mtime);
        tar_member(&j->tar, j->render, render.data, render.len, j->mtime);
        j->status = 0;
    }
    ccbuf_free(&plain);
    ccbuf_free(&render);
}

static void job_free(struct xjob *j)
{
    json_decref(j->record);
    json_decref(j->contact);
    json_decref(j->timeline);
    ccbuf_free(&j->tar);
    ccbuf_free(&j->new_render);
    free(j);
}

static void export_free_now(struct export *x)
{
    stats.held -= x->held + (x->job ? x->job->counted : 0);
    if (x->job)
        job_free(x->job);
    free(x->list);
    ccbuf_free(&x->out);
    ccbuf_free(&x->manifest);
    ccbuf_free(&x->skipped);
    free(x->tail);
    free(x);
}

static void export_after(uv_work_t *w, int status)
{
    struct xjob *j = container_of(w, struct xjob, work);
    struct export *x = j->x;
    x->busy = 0;
    if (x->abandoned) { /* the client left while the pool worked */
        export_free_now(x);
        return;
    }
    if (status) {
        j->status = CC_EINTERNAL;
        j->why = "the server could not process it";
    }
    if (j->status)
        log_error("export %s: design %llu is left out: %s", x->contest,
                  (unsigned long long)j->id, j->why);
    j->counted = j->tar.len;
    held_add(j->counted);
    net_http_resume(x->h);
}

/* Appends design d's manifest entry (from its job) to the manifest text. Returns 0, or
 * -1 (nothing appended) when its record lacks a field the entry needs. */
static int manifest_add(struct export *x, const struct xdesign *d, struct xjob *j)
{
    json_t *rec = j->record;
    char blob[65];
    hex_encode(j->sha, 32, blob);
    json_t *e = json_pack(
        "{sOsOsOs{sOsOso}sosOsOsosfsIsssIsssssIsI}", "id", json_object_get(rec, "id"),
        "title", json_object_get(rec, "title"), "kind", json_object_get(rec, "kind"),
        "creator", "id", json_object_get(rec, "creator"), "name",
        json_object_get(rec, "creator_name"), "contact",
        j->contact ? json_incref(j->contact) : json_null(), "terms_accepted",
        json_object_get(rec, "terms") ? json_incref(json_object_get(rec, "terms"))
                                      : json_null(),
        "status", json_object_get(rec, "status"), "timeline", j->timeline, "tally",
        tally_json(&d->tally, d->scale), "score", d->score, "rank", (json_int_t)d->rank,
        "blob", blob, "bytes", (json_int_t)j->orig_len, "original", j->original, "render",
        j->render, "render_width", (json_int_t)j->render_w, "render_height",
        (json_int_t)j->render_h);
    char *text = e ? json_dumps(e, JSON_COMPACT) : NULL;
    json_decref(e);
    if (!text)
        return -1;
    if (x->listed++)
        ccbuf_append(&x->manifest, ",", 1);
    ccbuf_append(&x->manifest, text, strlen(text));
    free(text);
    return 0;
}

/* Names design id in the manifest's skipped list with the reason it is left out. */
static void manifest_skip(struct export *x, uint64_t id, const char *why)
{
    char entry[160];
    int n = snprintf(entry, sizeof entry, "%s{\"id\":\"%llu\",\"reason\":\"%s\"}",
                     x->skipped.len ? "," : "", (unsigned long long)id, why);
    ccbuf_append(&x->skipped, entry, (size_t)n);
}

static int start_job(struct export *x)
{
    struct xjob *j = xcalloc(1, sizeof *j);
    j->x = x;
    j->srv = x->srv;
    j->id = x->list[x->next].id;
    j->mtime = x->now;
    ccbuf_init(&j->tar);
    ccbuf_init(&j->new_render);
    x->next++;
    if (uv_queue_work(x->srv->loop, &j->work, export_work, export_after)) {
        job_free(j);
        return -1;
    }
    x->job = j;
    x->busy = 1;
    return 0;
}

/* The body: the next bytes of the archive, or NET_BODY_WAIT while the pool works. */
static long export_read(void *user, uint8_t *buf, size_t cap)
{
    struct export *x = user;
    for (;;) {
        if (x->off < x->out.len) {
            size_t n = x->out.len - x->off < cap ? x->out.len - x->off : cap;
            memcpy(buf, x->out.data + x->off, n);
            x->off += n;
            return (long)n;
        }
        stats.held -= x->held; /* what was held is sent (or was never made) */
        x->held = 0;
        x->off = x->out.len = 0;
        if (x->out.cap > EXPORT_KEEP)
            ccbuf_free(&x->out);
        if (x->busy)
            return NET_BODY_WAIT;
        if (x->job) { /* a design is ready: send it, note it, cache its render */
            struct xjob *j = x->job;
            x->job = NULL;
            stats.held -= j->counted;
            if (!j->status && manifest_add(x, &x->list[x->next - 1], j)) {
                j->status = CC_EINTERNAL;
                j->why = "its design record lacks fields";
            }
            if (j->status) { /* left out: none of its bytes are sent */
                manifest_skip(x, j->id, j->why);
                job_free(j);
                continue;
            }
            x->held = j->counted; /* moves from the job to out */
            held_add(x->held);
            ccbuf_free(&x->out);
            x->out = j->tar;
            ccbuf_init(&j->tar);
            if (j->new_render.len)
                renders_cache(x->srv->writer, x->srv->store, j->sha, &j->new_render);
            job_free(j);
            continue;
        }
        if (x->next < x->n) {
            if (!start_job(x))
                return NET_BODY_WAIT;
            manifest_skip(x, x->list[x->next - 1].id, "the server could not process it");
            continue;
        }
        if (x->finished)
            return 0;
        ccbuf_append(&x->manifest, "],\"skipped\":[", 13);
        ccbuf_append(&x->manifest, x->skipped.data, x->skipped.len);
        ccbuf_append(&x->manifest, "]", 1);
        if (x->tail)
            ccbuf_append_str(&x->manifest, x->tail);
        ccbuf_append(&x->manifest, "}\n", 2);
        tar_member(&x->out, "manifest.json", x->manifest.data, x->manifest.len, x->now);
        memset(ccbuf_reserve(&x->out, 2 * TAR_BLOCK), 0, 2 * TAR_BLOCK);
        x->out.len += 2 * TAR_BLOCK;
        x->finished = 1;
    }
}

static void export_free(void *user)
{
    struct export *x = user;
    if (x->busy)
        x->abandoned = 1; /* export_after frees it */
    else
        export_free_now(x);
}

static int by_rank(const void *a, const void *b)
{
    const struct xdesign *x = a, *y = b;
    return x->rank < y->rank ? -1 : x->rank > y->rank;
}

/* The snapshot is taken: list the designs and start the response. */
static void export_begin(void *user, int status, const struct audit_head *head)
{
    struct export *x = user;
    struct server *s = x->srv;
    struct net_http *h = x->h;
    json_t *rec = NULL;
    MDB_txn *txn;
    if (!status && !(status = store_read_begin(s->store, &txn))) {
        status = contest_record(txn, s->store, x->contest, &rec);
        store_read_end(s->store, txn);
    }
    if (status) {
        respond_text(h, status == CC_EBUSY ? 503 : 500, "cannot export now\n");
        net_http_release(h);
        export_free_now(x);
        return;
    }
    static const enum dstatus wanted[] = {ST_WINNER, ST_IN_PRODUCTION, ST_LAUNCHED};
    size_t cap = 0;
    for (size_t i = 0; i < CC_ARRAY_LEN(wanted); i++) {
        struct gallery_query q;
        memset(&q, 0, sizeof q);
        snprintf(q.contest, sizeof q.contest, "%s", x->contest);
        q.sort = SORT_TOP;
        q.status = (int)wanted[i];
        q.limit = CATALOG_PAGE_MAX;
        for (;;) {
            struct dmem *page[CATALOG_PAGE_MAX];
            size_t total;
            int n = catalog_page(s->catalog, &q, page, &total);
            for (int k = 0; k < n; k++) {
                if (x->n == cap) {
                    cap = cap ? cap * 2 : 64;
                    x->list = xrealloc(x->list, cap * sizeof *x->list);
                }
                struct xdesign *d = &x->list[x->n++];
                d->id = page[k]->id;
                d->rank = catalog_rank(page[k]);
                catalog_tally(page[k], &d->tally);
                d->scale = catalog_scale(page[k]);
                d->score = page[k]->score[SORT_TOP];
            }
            if (n < (int)q.limit)
                break;
            q.offset += (size_t)n;
        }
    }
    if (x->n > 1)
        qsort(x->list, x->n, sizeof *x->list, by_rank);
    json_t *contest = contest_json(rec, x->now);
    json_decref(rec);
    char *ctext = json_dumps(contest, JSON_COMPACT);
    json_decref(contest);
    char hex[65], line[256];
    hex_encode(head->hash, 32, hex);
    ccbuf_append(&x->manifest, "{\"contest\":", 11);
    ccbuf_append(&x->manifest, ctext, strlen(ctext));
    free(ctext);
    int len = snprintf(line, sizeof line,
                       ",\"exported_at\":%lld,\"log_head\":\"%s\",\"log_length\":%llu,"
                       "\"designs\":[",
                       (long long)x->now, hex, (unsigned long long)head->length);
    ccbuf_append(&x->manifest, line, (size_t)len);
    char count[24], disp[128];
    snprintf(count, sizeof count, "%zu", x->n);
    snprintf(disp, sizeof disp, "attachment; filename=\"%s-export.tar\"", x->contest);
    net_http_add_header(h, "x-export-designs:", count);
    net_http_add_header(h, "content-disposition:", disp);
    net_http_add_header(h, "cache-control:", "no-store");
    net_http_respond_stream(h, 200, "application/x-tar", NET_HTTP_LENGTH_UNKNOWN,
                            (struct net_body){.read = export_read, .free = export_free,
                                              .user = x});
    net_http_release(h);
}

void export_http(struct net_http *h, struct server *s, const char *contest)
{
    MDB_txn *txn;
    if (store_read_begin(s->store, &txn)) {
        respond_text(h, 503, "storage unavailable\n");
        return;
    }
    struct contest c;
    uint64_t viewer;
    enum role role;
    int rc = contest_load(txn, s->store, contest, &c);
    viewer_of(h, txn, s->store, &viewer, &role);
    store_read_end(s->store, txn);
    if (!viewer) {
        net_http_add_header(h, "www-authenticate:", "Bearer");
        respond_text(h, 401, "the export needs a brand token\n");
        return;
    }
    if (role != ROLE_BRAND) {
        respond_text(h, 403, "only the brand may export\n");
        return;
    }
    if (rc) {
        respond_text(h, rc == CC_ENOTFOUND ? 404 : 500,
                     rc == CC_ENOTFOUND ? "no such contest\n" : "cannot read the contest\n");
        return;
    }
    struct export *x = xcalloc(1, sizeof *x);
    x->srv = s;
    x->h = h;
    snprintf(x->contest, sizeof x->contest, "%s", contest);
    x->now = server_now(s);
    stats.started++;
    ccbuf_init(&x->out);
    ccbuf_init(&x->manifest);
    ccbuf_init(&x->skipped);
    net_http_hold(h);
    if (snapshot_take(s, contest, export_begin, x)) {
        respond_text(h, 503, "busy\n");
        net_http_release(h);
        export_free_now(x);
    }
}

/* ---- GET /me/export: a person's own data (SPEC §7) ---- */

/* The account's data besides its designs, read on the pool: the account (contact
 * included), sessions, comments (the comment index walked for its author), votes
 * (the votes table walked for its voter, the vote log over it: a rare request, off the
 * loop) and notices. */
struct me_job {
    uv_work_t work;
    struct export *x;
    uint64_t account;
    struct ccbuf head, tail; /* out: the manifest's account member; its last members */
    int status;
};

struct me_votes {
    struct ccbuf *out;
    size_t n;
};

static int me_vote(void *user, uint64_t design, int value)
{
    struct me_votes *m = user;
    char e[80];
    int len = snprintf(e, sizeof e, "%s{\"design\":\"%llu\",\"value\":%d}", m->n++ ? "," : "",
                       (unsigned long long)design, value);
    ccbuf_append(m->out, e, (size_t)len);
    return 0;
}

static int me_votes(MDB_txn *txn, const struct store *st, uint64_t account, struct ccbuf *out)
{
    struct me_votes m = {out, 0};
    ccbuf_append_str(out, ",\"votes\":[");
    int rc = votes_of_account(txn, st, account, me_vote, &m);
    ccbuf_append(out, "]", 1);
    return rc;
}

static int me_comments(MDB_txn *txn, const struct store *st, uint64_t account,
                       struct ccbuf *out)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, store_dbs(st)->comment_ids, &cur);
    if (rc)
        return store_err(rc);
    MDB_val k, v;
    size_t n = 0;
    ccbuf_append_str(out, ",\"comments\":[");
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !rc;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (v.mv_size != 16 || get_be64((const uint8_t *)v.mv_data + 8) != account)
            continue;
        uint8_t key[16];
        memcpy(key, v.mv_data, 8);
        memcpy(key + 8, k.mv_data, 8);
        MDB_val c;
        if (store_get(txn, store_dbs(st)->comments, key, 16, &c))
            continue;
        if (n++)
            ccbuf_append(out, ",", 1);
        ccbuf_append(out, c.mv_data, c.mv_size);
    }
    mdb_cursor_close(cur);
    ccbuf_append(out, "]", 1);
    return rc == MDB_NOTFOUND ? 0 : store_err(rc);
}

static void me_work(uv_work_t *w)
{
    struct me_job *j = container_of(w, struct me_job, work);
    struct store *st = j->x->srv->store;
    MDB_txn *txn;
    json_t *acct = NULL, *sessions = NULL;
    j->status = CC_EINTERNAL;
    if (store_read_begin(st, &txn))
        return;
    int rc = account_get(txn, st, j->account, &acct);
    if (!rc && !(sessions = session_list(txn, st, j->account)))
        rc = CC_EINTERNAL;
    char *a = rc ? NULL : json_dumps(acct, JSON_COMPACT);
    char *s = rc ? NULL : json_dumps(sessions, JSON_COMPACT);
    if (a && s) {
        ccbuf_append_str(&j->head, a);
        rc = me_comments(txn, st, j->account, &j->tail);
        if (!rc)
            rc = me_votes(txn, st, j->account, &j->tail);
        ccbuf_append_str(&j->tail, ",\"sessions\":");
        ccbuf_append_str(&j->tail, s);
        int more;
        json_t *notices = rc ? NULL : notice_list(txn, st, j->account, 0, SIZE_MAX, &more);
        char *nt = notices ? json_dumps(notices, JSON_COMPACT) : NULL;
        json_decref(notices);
        if (!nt && !rc)
            rc = CC_EINTERNAL;
        if (nt) {
            ccbuf_append_str(&j->tail, ",\"notices\":");
            ccbuf_append_str(&j->tail, nt);
            free(nt);
        }
        ccbuf_append(&j->tail, "", 1); /* NUL: x->tail is a string */
        j->status = rc;
    }
    free(a);
    free(s);
    json_decref(acct);
    json_decref(sessions);
    store_read_end(st, txn);
}

static void me_after(uv_work_t *w, int status)
{
    struct me_job *j = container_of(w, struct me_job, work);
    struct export *x = j->x;
    struct net_http *h = x->h;
    if (status || j->status) {
        respond_text(h, 500, "cannot export your data now\n");
        net_http_release(h);
        export_free_now(x);
    } else {
        char line[96];
        int len = snprintf(line, sizeof line,
                           "{\"format\":\"cocreate.me/1\",\"exported_at\":%lld,\"account\":",
                           (long long)x->now);
        ccbuf_append(&x->manifest, line, (size_t)len);
        ccbuf_append(&x->manifest, j->head.data, j->head.len);
        ccbuf_append_str(&x->manifest, ",\"designs\":[");
        x->tail = (char *)j->tail.data; /* taken */
        ccbuf_init(&j->tail);
        net_http_add_header(h, "content-disposition:", "attachment; filename=\"my-cocreate-data.tar\"");
        net_http_add_header(h, "cache-control:", "no-store");
        net_http_respond_stream(h, 200, "application/x-tar", NET_HTTP_LENGTH_UNKNOWN,
                                (struct net_body){.read = export_read, .free = export_free,
                                                  .user = x});
        net_http_release(h);
    }
    ccbuf_free(&j->head);
    ccbuf_free(&j->tail);
    free(j);
}

void export_me_http(struct net_http *h, struct server *s)
{
    MDB_txn *txn;
    if (store_read_begin(s->store, &txn)) {
        respond_text(h, 503, "storage unavailable\n");
        return;
    }
    uint64_t viewer;
    enum role role;
    viewer_of(h, txn, s->store, &viewer, &role);
    store_read_end(s->store, txn);
    if (!viewer) {
        net_http_add_header(h, "www-authenticate:", "Bearer");
        respond_text(h, 401, "sign in to download your data\n");
        return;
    }
    struct export *x = xcalloc(1, sizeof *x);
    x->srv = s;
    x->h = h;
    x->now = server_now(s);
    ccbuf_init(&x->out);
    ccbuf_init(&x->manifest);
    ccbuf_init(&x->skipped);
    /* Every design of the account, whatever its state (withdrawn, hidden): its own. */
    const struct creator *c = creators_get(s->creators, viewer);
    x->n = c ? c->n : 0;
    x->list = xcalloc(x->n ? x->n : 1, sizeof *x->list);
    for (size_t i = 0; i < x->n; i++) {
        struct dmem *d = c->designs[i];
        struct xdesign *xd = &x->list[i];
        xd->id = d->id;
        xd->rank = catalog_rank(d);
        catalog_tally(d, &xd->tally);
        xd->scale = catalog_scale(d);
        xd->score = d->score[SORT_TOP];
    }
    struct me_job *j = xcalloc(1, sizeof *j);
    j->x = x;
    j->account = viewer;
    ccbuf_init(&j->head);
    ccbuf_init(&j->tail);
    net_http_hold(h);
    if (uv_queue_work(s->loop, &j->work, me_work, me_after)) {
        free(j);
        respond_text(h, 503, "busy\n");
        net_http_release(h);
        export_free_now(x);
    }
}
