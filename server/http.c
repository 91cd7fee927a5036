/* HTTP routes. See http.h. */
#include "http.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libwebsockets.h>
#include <stdlib.h>

#include "accounts.h"
#include "audit.h"
#include "blobs.h"
#include "ccerr.h"
#include "changes.h"
#include "cluster.h"
#include "contests.h"
#include "histo.h"
#include "kind.h"
#include "live.h"
#include "designs.h"
#include "log.h"
#include "design_view.h"
#include "ratelimit.h"
#include "search.h"
#include "server.h"
#include "store.h"
#include "util.h"
#include "votes.h"
#include "renders.h"
#include "viewer.h"
#include "web.h"
#include "export.h"
#include "writer.h"

/* Bumped whenever a renderer's output changes, so cached renders get a new ETag. */
#define CC_RENDER_VERSION "1"
/* SPEC §4: immutable content is cached for a year. */
#define CACHE_IMMUTABLE "public, max-age=31536000, immutable"
/* Hidden designs are shown only to their creator and the brand: never shared caches. */
#define CACHE_PRIVATE "private, no-store"
/* Uploaded bytes are served from the web client's origin: a document made of them may
 * run nothing and reach nothing (a sandbox: a unique origin, no script). */
#define CSP_USER_BYTES "default-src 'none'; sandbox"

/* The routes, as the label `route` of /metrics' cocreate_http_request_duration_seconds
 * names them: every request http_route answers is one of these. */
enum route {
    ROUTE_HEALTHZ,
    ROUTE_METRICS,
    ROUTE_THUMB,     /* /t/<id>.png */
    ROUTE_RENDER,    /* /r/<id>.png */
    ROUTE_ORIGINAL,  /* /d/<id> */
    ROUTE_LOG,       /* /log/<contest> */
    ROUTE_EXPORT,    /* /export/<contest> */
    ROUTE_ME_EXPORT, /* /me/export */
    ROUTE_WEB,       /* the web client's pages and assets */
    ROUTE_NOT_FOUND, /* anything else: 404 */
    ROUTE_COUNT
};
static const char *const route_names[] = {"healthz", "metrics", "thumb",     "render", "original",
                                          "log",     "export",  "me_export", "web",    "not_found"};
_Static_assert(CC_ARRAY_LEN(route_names) == ROUTE_COUNT, "a name per route");
_Static_assert(ROUTE_COUNT == SERVER_HTTP_ROUTES, "server.h: a histogram per route");

static void respond_text(struct net_http *h, int status, const char *text)
{
    net_http_respond(h, status, "text/plain; charset=utf-8", xstrdup(text), strlen(text));
}

static void metric(struct ccbuf *b, const char *name, const char *type, const char *help,
                   uint64_t value)
{
    char line[512];
    int n = snprintf(line, sizeof line, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help,
                     name, type, name, (unsigned long long)value);
    ccbuf_append(b, line, (size_t)n);
}

static void metric_f(struct ccbuf *b, const char *name, const char *type, const char *help,
                     double value)
{
    char line[512];
    int n = snprintf(line, sizeof line, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help,
                     name, type, name, value);
    ccbuf_append(b, line, (size_t)n);
}

static void family(struct ccbuf *b, const char *name, const char *type, const char *help)
{
    char line[512];
    int n = snprintf(line, sizeof line, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
    ccbuf_append(b, line, (size_t)n);
}

/* Stored totals: one read transaction, LMDB's entry counts (no walk); the votes from the
 * writer's count (the votes table and its log, votes.h). */
static void totals(struct ccbuf *b, struct server *s)
{
    const struct store_dbs *d = store_dbs(s->store);
    const struct {
        const char *name, *help;
        MDB_dbi dbi;
    } t[] = {
        {"cocreate_accounts",
         "Account records stored (brand and members; deleted ones keep theirs).", d->accounts},
        {"cocreate_designs", "Design records stored (hidden and withdrawn included).",
         d->designs},
        {"cocreate_comments", "Comments stored (hidden ones included).", d->comments},
    };
    MDB_txn *txn;
    if (store_read_begin(s->store, &txn))
        return;
    for (size_t i = 0; i < CC_ARRAY_LEN(t); i++) {
        MDB_stat st;
        if (!mdb_stat(txn, t[i].dbi, &st))
            metric(b, t[i].name, "gauge", t[i].help, st.ms_entries);
    }
    store_read_end(s->store, txn);
    /* the votes table's entries and what the vote log adds, as the writer counts them */
    struct votes_stats vst;
    votes_stats(s->store, &vst);
    if (vst.standing >= 0)
        metric(b, "cocreate_votes", "gauge",
               "Votes standing (one per voter and design; a cleared vote is gone).",
               (uint64_t)vst.standing);
}

/* The build and the libraries it runs with, as labels of a constant 1. */
static void build_info(struct ccbuf *b)
{
    family(b, "cocreate_build_info", "gauge",
           "The server's version and its libraries' (labels), always 1.");
    char line[512];
    int n = snprintf(line, sizeof line,
                     "cocreate_build_info{version=\"%s\",libuv=\"%s\",lmdb=\"%s\","
                     "libwebsockets=\"%s\"} 1\n",
                     CC_VERSION, uv_version_string(), mdb_version(NULL, NULL, NULL),
                     lws_get_library_version());
    ccbuf_append(b, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* Prometheus text exposition format 0.0.4 (docs/operations.md: what each means). */
static void metrics(struct net_http *h, struct server *s)
{
    struct net_stats ns;
    struct writer_stats ws;
    net_get_stats(s->net, &ns);
    writer_get_stats(s->writer, &ws);
    struct ccbuf b;
    ccbuf_init(&b);
    build_info(&b);
    metric(&b, "cocreate_start_time_seconds", "gauge",
           "When the server started (Unix time, seconds).", (uint64_t)s->stats.started_unix);
    metric_f(&b, "cocreate_uptime_seconds", "gauge", "Seconds since the server started.",
             (double)(uv_hrtime() - s->stats.started_ns) / 1e9);
    metric_f(&b, "cocreate_startup_seconds", "gauge",
             "Seconds the start took, until it listened (data, journal, catalog, state).",
             (double)s->stats.startup_ns / 1e9);
    metric(&b, "cocreate_connections_open", "gauge", "Open WebSocket connections.",
           ns.conns_open);
    metric(&b, "cocreate_connections_total", "counter", "WebSocket connections accepted.",
           ns.conns_total);
    metric(&b, "cocreate_messages_in_total", "counter", "WebSocket messages received.",
           ns.msgs_in);
    metric(&b, "cocreate_messages_out_total", "counter", "WebSocket messages sent.",
           ns.msgs_out);
    metric(&b, "cocreate_send_queue_bytes", "gauge", "Bytes waiting in send queues.",
           net_queued_total(s->net));
    metric(&b, "cocreate_send_spare_bytes", "gauge",
           "Bytes of sent messages' buffers and headers kept for the next replies (at most "
           "16 buffers of 256 KiB and 4,096 headers).",
           net_spare_bytes(s->net));
    metric(&b, "cocreate_send_queue_overflows_total", "counter",
           "Connections closed for not reading.", ns.queue_overflows);
    metric(&b, "cocreate_http_requests_total", "counter", "HTTP requests.", ns.http_requests);
    metric(&b, "cocreate_requests_total", "counter", "Protocol requests.", s->stats.requests);
    metric(&b, "cocreate_requests_inflight", "gauge", "Requests not yet answered.",
           s->inflight);
    family(&b, "cocreate_request_duration_seconds", "histogram",
           "Protocol requests naming a known op, from their frame to their reply, by op.");
    for (size_t i = 0; i < SERVER_OPS_MAX && s->stats.op_name[i]; i++) {
        char label[96];
        snprintf(label, sizeof label, "op=\"%s\"", s->stats.op_name[i]);
        histo_write(&b, "cocreate_request_duration_seconds", label, &histo_latency,
                    &s->stats.op_latency[i]);
    }
    family(&b, "cocreate_http_request_duration_seconds", "histogram",
           "HTTP GET and HEAD requests, from their headers to their response's last byte "
           "(or the client leaving), by route.");
    for (size_t i = 0; i < ROUTE_COUNT; i++) {
        char label[48];
        snprintf(label, sizeof label, "route=\"%s\"", route_names[i]);
        histo_write(&b, "cocreate_http_request_duration_seconds", label, &histo_latency,
                    &s->stats.http_latency[i]);
    }
    metric(&b, "cocreate_commits_total", "counter", "LMDB write transactions committed.",
           ws.commits);
    metric(&b, "cocreate_commit_requests_total", "counter",
           "Requests applied by the writer.", ws.requests);
    metric(&b, "cocreate_commit_batch_max", "gauge", "Largest group commit.", ws.max_batch);
    family(&b, "cocreate_writer_batch_size", "histogram", "Requests per committed batch.");
    histo_write(&b, "cocreate_writer_batch_size", NULL, &histo_sizes, &ws.batch);
    family(&b, "cocreate_writer_commit_duration_seconds", "histogram",
           "A committed batch from its start to its commit (journal sync, applies, commit).");
    histo_write(&b, "cocreate_writer_commit_duration_seconds", NULL, &histo_latency,
                &ws.commit_ns);
    metric(&b, "cocreate_writer_queue", "gauge", "Requests waiting for the writer.", ws.queued);
    metric(&b, "cocreate_lmdb_map_bytes", "gauge", "LMDB map size.",
           store_map_size(s->store));
    metric(&b, "cocreate_commit_isolated_total", "counter",
           "Batches re-applied request by request because one request failed.", ws.isolated);
    metric(&b, "cocreate_lmdb_map_growths_total", "counter", "Times the map grew.",
           ws.map_growths);
    metric(&b, "cocreate_journal_records_total", "counter",
           "Change records appended to the journal (one node).", ws.journaled);
    metric(&b, "cocreate_checkpoints_total", "counter",
           "Checkpoints made: the data file synced, the journal emptied (one node).",
           ws.checkpoints);
    metric_f(&b, "cocreate_checkpoint_last_seconds", "gauge",
             "How long the last checkpoint held the writer.",
             (double)ws.checkpoint_last_ms / 1e3);
    metric_f(&b, "cocreate_checkpoint_max_seconds", "gauge",
             "The longest a checkpoint held the writer.", (double)ws.checkpoint_max_ms / 1e3);
    struct votes_stats vst;
    votes_stats(s->store, &vst);
    metric(&b, "cocreate_vote_log_entries", "gauge",
           "Votes in the vote log not yet folded into the votes table.", vst.unfolded);
    metric(&b, "cocreate_vote_log_folds_total", "counter",
           "Transactions that folded the vote log into the votes table.", vst.folds);
    metric(&b, "cocreate_vote_log_folded_total", "counter",
           "Vote log entries folded into the votes table.", vst.folded);
    metric(&b, "cocreate_vote_log_rebuilds_total", "counter",
           "Times the writer read its index of the vote log again (start-up, a rolled-back "
           "change, another process's commit).", vst.rebuilds);
    metric(&b, "cocreate_vote_log_seen", "gauge",
           "Votes the loop thread remembers until a fold covers them.",
           votes_seen_count(s->view.seen));
    totals(&b, s);
    size_t subs, windows, watches;
    live_counts(s->live, &subs, &windows, &watches);
    metric(&b, "cocreate_live_subscriptions", "gauge",
           "Live subscribers: gallery subscriptions and design watches open.", subs);
    metric(&b, "cocreate_live_windows", "gauge",
           "Distinct gallery windows the gallery subscriptions share.", windows);
    metric(&b, "cocreate_live_watched_designs", "gauge",
           "Designs watched by at least one connection.", watches);
    struct export_stats xs;
    export_get_stats(&xs);
    metric(&b, "cocreate_exports_total", "counter", "Production exports started.", xs.started);
    metric(&b, "cocreate_export_held_bytes", "gauge",
           "Design bytes the exports hold (made, not yet sent).", xs.held);
    metric(&b, "cocreate_export_held_bytes_max", "gauge",
           "Most design bytes the exports held at once.", xs.held_max);
    const char *hdr = "# HELP cocreate_errors_total Error replies by code.\n"
                      "# TYPE cocreate_errors_total counter\n";
    ccbuf_append(&b, hdr, strlen(hdr));
    for (int code = 1; code <= -CC_ERR_MIN; code++) {
        char line[128];
        int n = snprintf(line, sizeof line, "cocreate_errors_total{code=\"%s\"} %llu\n",
                         ccerr_wire(-code), (unsigned long long)s->stats.errors[code]);
        ccbuf_append(&b, line, (size_t)n);
    }
    metric(&b, "cocreate_rate_buckets", "gauge", "Rate-limit buckets held (all limits).",
           ratelimit_buckets(s->rate));
    hdr = "# HELP cocreate_rate_limited_total Requests refused by a rate limit, by kind.\n"
          "# TYPE cocreate_rate_limited_total counter\n";
    ccbuf_append(&b, hdr, strlen(hdr));
    for (int k = 0; k < RATE_KINDS; k++) {
        char line[128];
        int n = snprintf(line, sizeof line, "cocreate_rate_limited_total{kind=\"%s\"} %llu\n",
                         rate_kind_name((enum rate_kind)k),
                         (unsigned long long)ratelimit_refused(s->rate, (enum rate_kind)k));
        ccbuf_append(&b, line, (size_t)n);
    }
    struct cluster *cl = changes_cluster(s->changes);
    if (cl) {
        struct cluster_stats st;
        struct changes_cluster_stats cs;
        cluster_get_stats(cl, &st);
        changes_cluster_stats(s->changes, &cs);
        metric(&b, "cocreate_cluster_connected", "gauge", "1 while NATS is reachable.",
               (uint64_t)cluster_connected(cl));
        metric(&b, "cocreate_cluster_applied_seq", "gauge",
               "The last stream sequence applied here.", cs.applied_seq);
        metric(&b, "cocreate_cluster_stream_last_seq", "gauge",
               "The stream's last sequence as last seen.", st.last_seq);
        metric(&b, "cocreate_cluster_lag", "gauge", "Stream records not applied here yet.",
               st.last_seq > cs.applied_seq ? st.last_seq - cs.applied_seq : 0);
        metric(&b, "cocreate_cluster_pending", "gauge",
               "This node's records published and not yet back from the stream.", cs.pending);
        metric(&b, "cocreate_cluster_published_total", "counter",
               "Records this node published.", st.published);
        metric(&b, "cocreate_cluster_republished_total", "counter",
               "Publishes repeated for want of an acknowledgement.", st.republished);
        metric(&b, "cocreate_cluster_publish_failed_total", "counter",
               "Records never acknowledged (answered busy).", st.failed);
        metric(&b, "cocreate_cluster_bad_records_total", "counter",
               "Stream messages that were no record this node reads (skipped).",
               cs.bad_records + st.bad_messages);
    }
    size_t sbytes, swords;
    int sready;
    search_stats(s->search, &sbytes, &swords, &sready);
    metric(&b, "cocreate_search_ready", "gauge",
           "1 once the search index is built after a start (search is busy until then).",
           (uint64_t)sready);
    metric(&b, "cocreate_search_bytes", "gauge",
           "Bytes of the search index (apart from the ranking indexes).", sbytes);
    metric(&b, "cocreate_search_words", "gauge", "Distinct words in the search index.", swords);
    size_t rbytes, rrecords;
    uint64_t rhits, rmisses;
    record_cache_stats(s->view.records, &rbytes, &rrecords, &rhits, &rmisses);
    metric(&b, "cocreate_record_cache_bytes", "gauge",
           "Bytes of design records kept for showing designs (bounded by --record-cache).",
           rbytes);
    metric(&b, "cocreate_record_cache_records", "gauge", "Design records kept.", rrecords);
    metric(&b, "cocreate_record_cache_hits_total", "counter",
           "Design records shown from the cache.", rhits);
    metric(&b, "cocreate_record_cache_misses_total", "counter",
           "Design records read from LMDB and kept.", rmisses);
    size_t pbytes, pitems;
    uint64_t phits, pmisses;
    page_cache_stats(s->view.pages, &pbytes, &pitems, &phits, &pmisses);
    metric(&b, "cocreate_page_cache_bytes", "gauge",
           "Bytes of gallery items kept by their place in the galleries' orders (bounded by "
           "--page-cache).",
           pbytes);
    metric(&b, "cocreate_page_cache_items", "gauge", "Gallery items kept.", pitems);
    metric(&b, "cocreate_page_cache_hits_total", "counter",
           "Plain gallery pages copied from the cache.", phits);
    metric(&b, "cocreate_page_cache_misses_total", "counter",
           "Plain gallery pages built (their gallery changed since, or not kept yet).", pmisses);
    net_http_respond(h, 200, "text/plain; version=0.0.4", b.data, b.len);
}

/* ---- design content: /t/<id>.png, /r/<id>.png, /d/<id> ---- */

/* Streams a value of an LMDB table from offset `skip`, reopening a short read
 * transaction per chunk: nothing is copied whole, no transaction outlives a callback. */
struct lmdb_body {
    struct server *srv;
    MDB_dbi dbi;
    uint8_t key[32];
    size_t off;
};

static long lmdb_body_read(void *user, uint8_t *buf, size_t cap)
{
    struct lmdb_body *b = user;
    MDB_txn *txn;
    MDB_val v;
    long n = -1;
    if (store_read_begin(b->srv->store, &txn))
        return -1;
    if (!store_get(txn, b->dbi, b->key, 32, &v) && b->off < v.mv_size) {
        n = (long)(v.mv_size - b->off < cap ? v.mv_size - b->off : cap);
        memcpy(buf, (const uint8_t *)v.mv_data + b->off, (size_t)n);
        b->off += (size_t)n;
    }
    store_read_end(b->srv->store, txn);
    return n;
}

/* Responds with the value of dbi[sha] from byte skip on, streamed. The caller checked
 * that it exists and is len bytes long (after skip). */
static void respond_lmdb(struct net_http *h, struct server *s, MDB_dbi dbi,
                         const uint8_t sha[32], size_t skip, size_t len, const char *ctype)
{
    struct lmdb_body *b = xmalloc(sizeof *b);
    b->srv = s;
    b->dbi = dbi;
    memcpy(b->key, sha, 32);
    b->off = skip;
    net_http_respond_stream(h, 200, ctype, len,
                            (struct net_body){.read = lmdb_body_read, .free = free, .user = b});
}

enum content { CONTENT_THUMB, CONTENT_RENDER, CONTENT_ORIGINAL };

/* Parses "/t/<id>.png", "/r/<id>.png" or "/d/<id>". Returns the design id or 0. */
static uint64_t parse_content_path(const char *path, enum content *what)
{
    char id[32];
    const char *p = path + 3;
    size_t n = strlen(p);
    if (!strncmp(path, "/t/", 3) || !strncmp(path, "/r/", 3)) {
        *what = path[1] == 't' ? CONTENT_THUMB : CONTENT_RENDER;
        if (n < 5 || strcmp(p + n - 4, ".png") != 0)
            return 0;
        n -= 4;
    } else if (!strncmp(path, "/d/", 3)) {
        *what = CONTENT_ORIGINAL;
    } else {
        return 0;
    }
    if (n == 0 || n >= sizeof id)
        return 0;
    memcpy(id, p, n);
    id[n] = '\0';
    return design_parse_id(id);
}

/* The strong ETag of a representation: its kind of content and the blob's hash (the
 * renderer's version too, so a new renderer is a new entity). */
static void make_etag(enum content what, const char *blob_hex, char *out, size_t len)
{
    static const char *const prefix[] = {"t" CC_RENDER_VERSION "-", "r" CC_RENDER_VERSION "-",
                                         ""};
    snprintf(out, len, "\"%s%s\"", prefix[what], blob_hex);
}

/* The headers of a design's bytes (/t/ /r/ /d/, their 304s too: RFC 9110 §15.4.5):
 * whatever a creator uploaded must not be sniffed into HTML or script (nosniff) nor run
 * with the site's rights when opened directly (CSP_USER_BYTES). Images are shown
 * inline; other originals (a level's JSON) are downloads named design-<id>.<ext>,
 * plain ASCII from the id and the kind's table. */
static void user_bytes_headers(struct net_http *h, uint64_t id, enum content what,
                               const char *kind_name)
{
    const struct kind *kind = kind_find(kind_name ? kind_name : "");
    char disp[64] = "inline";
    if (what == CONTENT_ORIGINAL && (!kind || strncmp(kind->content_type, "image/", 6)))
        snprintf(disp, sizeof disp, "attachment; filename=\"design-%llu.%s\"",
                 (unsigned long long)id, kind ? kind->ext : "bin");
    net_http_add_header(h, "x-content-type-options:", "nosniff");
    net_http_add_header(h, "content-security-policy:", CSP_USER_BYTES);
    net_http_add_header(h, "content-disposition:", disp);
}

/* /d/<id>: the uploaded bytes. A raw blob streams from LMDB; a compressed one (≤ its
 * kind's max_bytes, 1 MiB for levels) is decompressed once into the response. */
static void content_original(struct net_http *h, struct server *s, MDB_txn *txn,
                             const uint8_t sha[32], const char *kind_name)
{
    const struct kind *kind = kind_find(kind_name ? kind_name : "");
    MDB_val v;
    if (!kind || store_get(txn, store_dbs(s->store)->blobs, sha, 32, &v)) {
        respond_text(h, 404, "no such blob\n");
        return;
    }
    if (blobs_is_raw(v.mv_data, v.mv_size)) {
        respond_lmdb(h, s, store_dbs(s->store)->blobs, sha, BLOBS_HEADER,
                     v.mv_size - BLOBS_HEADER, kind->content_type);
        return;
    }
    struct ccbuf out;
    ccbuf_init(&out);
    if (blobs_decode(s, v.mv_data, v.mv_size, kind->max_bytes, &out)) {
        ccbuf_free(&out);
        respond_text(h, 500, "stored blob unreadable\n");
        return;
    }
    net_http_respond(h, 200, kind->content_type, out.data, out.len);
}

/* /r/<id>.png when not cached yet: rendered on the thread pool, answered, then stored
 * in the renders table by the writer so the next request streams it from LMDB. */
struct render_job {
    uv_work_t work;
    struct server *srv;
    struct net_http *h;
    const struct kind *kind;
    uint8_t sha[32];
    int status;
    struct ccbuf png;
};

static void render_work(uv_work_t *w)
{
    struct render_job *j = container_of(w, struct render_job, work);
    struct ccbuf plain;
    ccbuf_init(&plain);
    MDB_txn *txn;
    MDB_val v;
    j->status = CC_EINTERNAL;
    if (store_read_begin(j->srv->store, &txn))
        return;
    int rc = store_get(txn, store_dbs(j->srv->store)->blobs, j->sha, 32, &v);
    if (!rc)
        rc = blobs_decode(j->srv, v.mv_data, v.mv_size, j->kind->max_bytes, &plain);
    store_read_end(j->srv->store, txn);
    if (!rc) {
        struct kind_error err;
        j->status = kind_render(j->kind, plain.data, plain.len, 0, &j->png, &err);
    }
    ccbuf_free(&plain);
}

static void render_after(uv_work_t *w, int status)
{
    struct render_job *j = container_of(w, struct render_job, work);
    if (status || j->status) {
        respond_text(j->h, 500, "cannot render this design\n");
    } else {
        void *copy = xmalloc(j->png.len);
        memcpy(copy, j->png.data, j->png.len);
        net_http_respond(j->h, 200, "image/png", copy, j->png.len);
    }
    net_http_release(j->h);
    if (!status && !j->status)
        renders_cache(j->srv->writer, j->srv->store, j->sha, &j->png);
    ccbuf_free(&j->png);
    free(j);
}

static void content_render(struct net_http *h, struct server *s, const uint8_t sha[32],
                           const char *kind_name)
{
    const struct kind *kind = kind_find(kind_name ? kind_name : "");
    if (!kind) {
        respond_text(h, 404, "unknown kind\n");
        return;
    }
    struct render_job *j = xcalloc(1, sizeof *j);
    j->srv = s;
    j->h = h;
    j->kind = kind;
    memcpy(j->sha, sha, 32);
    ccbuf_init(&j->png);
    net_http_hold(h);
    if (uv_queue_work(s->loop, &j->work, render_work, render_after)) {
        net_http_release(h);
        free(j);
        respond_text(h, 503, "busy\n");
    }
}

static void design_content(struct net_http *h, struct server *s, uint64_t id, enum content what)
{
    MDB_txn *txn;
    if (store_read_begin(s->store, &txn)) {
        respond_text(h, 503, "storage unavailable\n");
        return;
    }
    json_t *rec = NULL;
    uint64_t viewer;
    enum role role;
    uint8_t sha[32];
    if (design_load(txn, s->store, id, &rec) || design_blob(rec, sha)) {
        store_read_end(s->store, txn);
        json_decref(rec);
        respond_text(h, 404, "no such design\n");
        return;
    }
    int hidden = json_is_true(json_object_get(rec, "hidden"));
    if (hidden) {
        viewer_of(h, txn, s->store, &viewer, &role);
        if (!design_visible(rec, viewer, role)) {
            store_read_end(s->store, txn);
            json_decref(rec);
            respond_text(h, 404, "no such design\n");
            return;
        }
    }
    char etag[96];
    make_etag(what, json_string_value(json_object_get(rec, "blob")), etag, sizeof etag);
    net_http_add_header(h, "etag:", etag);
    net_http_add_header(h, "cache-control:", hidden ? CACHE_PRIVATE : CACHE_IMMUTABLE);
    user_bytes_headers(h, id, what, json_string_value(json_object_get(rec, "kind")));
    if (net_http_etag_matches(h, etag)) {
        store_read_end(s->store, txn);
        json_decref(rec);
        net_http_respond(h, 304, "image/png", NULL, 0);
        return;
    }
    const struct store_dbs *db = store_dbs(s->store);
    MDB_val v;
    switch (what) {
    case CONTENT_THUMB:
        if (store_get(txn, db->thumbs, sha, 32, &v)) {
            respond_text(h, 404, "no thumbnail\n");
            break;
        }
        respond_lmdb(h, s, db->thumbs, sha, 0, v.mv_size, "image/png");
        break;
    case CONTENT_RENDER:
        if (!store_get(txn, db->renders, sha, 32, &v))
            respond_lmdb(h, s, db->renders, sha, 0, v.mv_size, "image/png");
        else
            content_render(h, s, sha, json_string_value(json_object_get(rec, "kind")));
        break;
    case CONTENT_ORIGINAL:
        content_original(h, s, txn, sha, json_string_value(json_object_get(rec, "kind")));
        break;
    }
    store_read_end(s->store, txn);
    json_decref(rec);
}

/* ---- /log/<contest>: the audit log as JSON lines ---- */

/* Entries read per short read transaction while streaming the log. */
#define LOG_CHUNK_ENTRIES 256

/* Streams entries next..last of a contest's log, a chunk of entries per read txn. */
struct log_body {
    struct server *srv;
    char contest[CONTEST_ID_MAX + 1];
    uint64_t next, last;
    struct ccbuf buf; /* lines read and not yet sent: buf.data[off..len) */
    size_t off;
};

static long log_body_read(void *user, uint8_t *out, size_t cap)
{
    struct log_body *b = user;
    if (b->off == b->buf.len) {
        b->buf.len = b->off = 0;
        if (b->next > b->last)
            return -1; /* asked past the length announced */
        MDB_txn *txn;
        if (store_read_begin(b->srv->store, &txn))
            return -1;
        uint64_t next;
        uint64_t want = b->last - b->next + 1;
        int rc = audit_read(txn, b->srv->store, b->contest, b->next,
                            want < LOG_CHUNK_ENTRIES ? want : LOG_CHUNK_ENTRIES, SIZE_MAX,
                            &b->buf, &next);
        store_read_end(b->srv->store, txn);
        if (rc || next == b->next)
            return -1;
        b->next = next;
    }
    size_t n = b->buf.len - b->off < cap ? b->buf.len - b->off : cap;
    memcpy(out, b->buf.data + b->off, n);
    b->off += n;
    return (long)n;
}

static void log_body_free(void *user)
{
    struct log_body *b = user;
    ccbuf_free(&b->buf);
    free(b);
}

/* The log as of now: exactly the entries committed when the request arrived (its
 * length and head in X-Log-Length / X-Log-Head), however many are appended while it
 * streams. */
static void audit_log(struct net_http *h, struct server *s, const char *contest)
{
    MDB_txn *txn;
    if (store_read_begin(s->store, &txn)) {
        respond_text(h, 503, "storage unavailable\n");
        return;
    }
    struct contest c;
    struct audit_head head;
    int rc = contest_load(txn, s->store, contest, &c);
    if (!rc)
        rc = audit_head(txn, s->store, contest, &head);
    store_read_end(s->store, txn);
    if (rc) {
        respond_text(h, rc == CC_ENOTFOUND ? 404 : 500,
                     rc == CC_ENOTFOUND ? "no such contest\n" : "cannot read the log\n");
        return;
    }
    if (contest_sealed(&c)) { /* SPEC §8: its votes are secret until voting closes */
        respond_text(h, 403,
                     "this contest hides its tallies: its audit log is published once voting "
                     "closes (contest.results carries its head meanwhile)\n");
        return;
    }
    char hex[65], len[24];
    hex_encode(head.hash, 32, hex);
    snprintf(len, sizeof len, "%llu", (unsigned long long)head.length);
    net_http_add_header(h, "x-log-length:", len);
    net_http_add_header(h, "x-log-head:", hex);
    net_http_add_header(h, "cache-control:", "no-cache");
    struct log_body *b = xcalloc(1, sizeof *b);
    b->srv = s;
    snprintf(b->contest, sizeof b->contest, "%s", contest);
    b->next = 1;
    b->last = head.length;
    ccbuf_init(&b->buf);
    net_http_respond_stream(h, 200, "application/x-ndjson", (size_t)head.bytes,
                            (struct net_body){.read = log_body_read, .free = log_body_free,
                                              .user = b});
}

void http_route(struct net_http *h, const char *path, void *user)
{
    struct server *s = user;
    enum content what;
    enum route route;
    uint64_t id;
    if (!strcmp(path, "/healthz")) {
        route = ROUTE_HEALTHZ;
        respond_text(h, 200, "ok\n");
    } else if (!strcmp(path, "/metrics")) {
        route = ROUTE_METRICS;
        metrics(h, s);
    } else if ((id = parse_content_path(path, &what))) {
        route = what == CONTENT_THUMB    ? ROUTE_THUMB
                : what == CONTENT_RENDER ? ROUTE_RENDER
                                         : ROUTE_ORIGINAL;
        design_content(h, s, id, what);
    } else if (!strncmp(path, "/log/", 5) && path[5] && strlen(path + 5) <= CONTEST_ID_MAX) {
        route = ROUTE_LOG;
        audit_log(h, s, path + 5);
    } else if (!strncmp(path, "/export/", 8) && path[8] && strlen(path + 8) <= CONTEST_ID_MAX) {
        route = ROUTE_EXPORT;
        export_http(h, s, path + 8);
    } else if (!strcmp(path, "/me/export")) {
        route = ROUTE_ME_EXPORT;
        export_me_http(h, s);
    } else if (web_route(s->web, h, path)) {
        route = ROUTE_WEB;
    } else {
        route = ROUTE_NOT_FOUND;
        if (!web_not_found(s->web, h, path))
            respond_text(h, 404, "not found\n");
    }
    net_http_observe(h, &s->stats.http_latency[route]);
}
