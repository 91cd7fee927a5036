/* The daemon's lifecycle: start (store → writer → network), serve, and the graceful
 * stop of SIGINT/SIGTERM: refuse new connections, let every request in flight commit
 * and be answered, flush the send queues, close every WebSocket with the closing
 * handshake (1001 going away; all of it at most cfg.drain_ms), then close the network,
 * the writer and the store in that order. Loop thread only. */
#include "startup.h"


#include <stdio.h>
#include <string.h>


#include "blobs.h"
#include "catalog.h"
#include "ccerr.h"
#include "changes.h"
#include "changes_after.h"
#include "cluster.h"
#include "creators.h"
#include "designs.h"
#include "http.h"
#include "live.h"
#include "journal.h"
#include "log.h"
#include "logins.h"
#include "net.h"
#include "proto.h"
#include "ratelimit.h"
#include "reports.h"
#include "phases.h"
#include "search.h"
#include "secret.h"
#include "server.h"
#include "store.h"
#include "util.h"
#include "votes.h"
#include "web.h"
#include "writer.h"

static int64_t clock_read(void *user)
{
    return server_now(user);
}

/* How live.c sends: the network's own functions. */
static const struct live_io live_net_io = {
    .closed = net_conn_closed,
    .queued = net_conn_queued,
    .send_msg = net_conn_send_msg,
    .send = net_conn_send,
};

/* The in-memory state, in order: the catalog (designs, votes, comment counts), the
 * creators (from the catalog's designs), the report counts, the live views. Each is
 * set even when its open fails, for close_state. */
static int open_state(struct server *s)
{
    s->clock = (struct clock){clock_read, s};
    int rc = catalog_open(&s->catalog, s->loop, s->store, &s->clock);
    if (!rc)
        rc = creators_open(&s->creators, s->catalog, s->store);
    if (!rc)
        rc = reports_open(&s->reports, s->store);
    if (rc)
        return rc;
    s->view = (struct design_view){
        s->store,
        s->catalog,
        s->reports,
        s->cfg.record_cache ? record_cache_new(s->cfg.record_cache) : NULL,
        s->cfg.page_cache ? page_cache_new(s->cfg.page_cache, SERVER_PAGE_QUIET_MS) : NULL,
        0,
        votes_seen_new()};
    catalog_set_designs_of(s->catalog, creators_designs_of, s->creators);
    catalog_on_rescored(s->catalog, after_rescored, s);
    search_open(&s->search, s); /* built on the pool: search is `busy` until it is */
    phases_start(&s->phases, s);
    return live_open(&s->live, s->loop, &s->view, &live_net_io);
}

static void close_state(struct server *s)
{
    search_close(s->search);
    live_close(s->live);
    reports_close(s->reports);
    creators_close(s->creators);
    record_cache_free(s->view.records); /* its entries hang off the catalog's designs */
    s->view.records = NULL;
    catalog_close(s->catalog);
    page_cache_free(s->view.pages);
    s->view.pages = NULL;
    votes_seen_free(s->view.seen);
    s->view.seen = NULL;
}

/* After the loop stopped: frees what open_state, blobs_open, changes_open and the start
 * opened, in reverse order. */
static void release(struct server *s, FILE *record)
{
    close_state(s);
    blobs_close(s);
    changes_close(s->changes);
    if (record)
        fclose(record);
    store_close(s->store);
    journal_close(s->journal);
    web_free(s->web);
    free(s->hello);
    logins_free(s);
    u64map_free(&s->milestones_due);
}

/* A start that failed before the writer ran: what was opened so far, closed. */
static int fail_early(struct server *s, FILE *record, uv_loop_t *loop)
{
    web_free(s->web);
    store_close(s->store);
    journal_close(s->journal);
    if (record)
        fclose(record);
    uv_loop_close(loop);
    return 1;
}

static void close_handle(uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

/* Ends the loop: everything that keeps it alive is closed here. */
static void stop_now(struct server *s)
{
    uv_timer_stop(&s->drain_timer);
    close_handle((uv_handle_t *)&s->drain_timer);
    close_handle((uv_handle_t *)&s->sigint);
    close_handle((uv_handle_t *)&s->sigterm);
    phases_stop(s->phases); /* no more clock records */
    s->phases = NULL;
    /* Cluster mode: stop consuming before the writer stops (nothing new reaches it). */
    cluster_stop(s->changes ? changes_cluster(s->changes) : NULL);
    changes_cluster_abandon(s->changes); /* what never came back is answered */
    if (s->writer) {
        writer_stop(s->writer); /* runs the last done callbacks, which may touch live */
        s->writer = NULL;
    }
    catalog_stop(s->catalog);
    live_stop(s->live);
    search_stop(s->search); /* the loop would wait for a build of the index */
    net_stop(s->net);
}

static void drain_tick(uv_timer_t *t)
{
    struct server *s = container_of(t, struct server, drain_timer);
    int idle = s->inflight == 0 && net_queued_total(s->net) == 0;
    if (idle && !s->closing_conns) {
        /* Everything answered and handed to the kernel: now the closing handshakes
         * (requests that arrive meanwhile are refused busy, then dropped once the
         * close frame is out). */
        s->closing_conns = 1;
        net_close_all(s->net);
        return;
    }
    if ((idle && net_conns_open(s->net) == 0) || now_ms_monotonic() >= s->drain_deadline) {
        if (!idle)
            log_warn("shutdown: %llu requests / %zu queued bytes left after %d ms",
                     (unsigned long long)s->inflight, net_queued_total(s->net),
                     s->cfg.drain_ms);
        else if (net_conns_open(s->net))
            log_warn("shutdown: %zu connections did not finish closing in %d ms",
                     net_conns_open(s->net), s->cfg.drain_ms);
        stop_now(s);
    }
}

static void on_signal(uv_signal_t *sig, int signum)
{
    struct server *s = sig->data;
    if (s->draining)
        return;
    log_info("%s: shutting down (refusing new connections, finishing %llu requests)",
             signum == SIGINT ? "SIGINT" : "SIGTERM", (unsigned long long)s->inflight);
    s->draining = 1;
    s->drain_deadline = now_ms_monotonic() + (uint64_t)s->cfg.drain_ms;
    net_refuse_new(s->net);
    uv_timer_start(&s->drain_timer, drain_tick, 0, 10);
}

int server_run(const struct server_config *cfg)
{
    uint64_t t0 = uv_hrtime();
    struct server s;
    memset(&s, 0, sizeof s);
    s.cfg = *cfg;
    s.password_cost = cfg->password_cost_low ? password_cost_low : password_cost_default;
    if (s.cfg.drain_ms <= 0)
        s.cfg.drain_ms = 5000;
    char err[512];
    uv_loop_t loop;
    int rc = 1;
    if (uv_loop_init(&loop)) {
        log_error("cannot create the event loop");
        return 1;
    }
    s.loop = &loop;
    s.test_now_ms = now_unix() * 1000;
    if (cfg->web_dir && web_load(&s.web, cfg->web_dir, err, sizeof err)) {
        if (cfg->web_required) {
            log_error("%s", err);
            uv_loop_close(&loop);
            return 1;
        }
        log_warn("%s; serving no web client (give --web DIR)", err);
    } else if (s.web) {
        log_info("web client from %s (version %s)", cfg->web_dir, web_version(s.web));
    }

    /* The journal's lock first: one process a data directory; then the data file as
     * its last checkpoint left it (journal.h, store.h). */
    int busy, restored = 0;
    if (journal_open(&s.journal, cfg->data_dir, &busy, err, sizeof err) ||
        store_restore_checkpoint(cfg->data_dir, &restored, err, sizeof err) ||
        store_open(&s.store, cfg->data_dir, cfg->map_size, err, sizeof err)) {
        log_error("%s%s", busy ? "cannot start: " : "", err);
        journal_close(s.journal);
        web_free(s.web);
        uv_loop_close(&loop);
        return 1;
    }
    if (restored)
        log_warn("the data file was put back to its last checkpoint (the server had "
                 "stopped without one); the journal's records since are applied again");
    char secret_path[4096];
    if (cfg->secret_path)
        snprintf(secret_path, sizeof secret_path, "%s", cfg->secret_path);
    else
        secret_default_path(cfg->data_dir, secret_path, sizeof secret_path);
    FILE *record = NULL;
    err[0] = '\0';
    if (designs_upgrade(s.store) || secret_load(s.store, secret_path, err, sizeof err) ||
        (cfg->record_path && !(record = fopen(cfg->record_path, "a")))) {
        if (err[0])
            log_error("%s", err);
        else if (cfg->record_path && !record)
            log_error("cannot open --record-changes %s", cfg->record_path);
        else
            log_error("cannot upgrade the data in %s to schema %d", cfg->data_dir,
                      STORE_SCHEMA_VERSION);
        return fail_early(&s, record, &loop);
    }
    uint64_t next_seq = 1;
    if (store_set_journaled(s.store, 1) ||
        changes_recover(s.store, cfg->data_dir, &next_seq, err, sizeof err) < 0 ||
        votes_fold_store(s.store) || /* the catalog loads the folded table only */
        store_checkpoint(s.store, 1) || journal_reset(s.journal) ||
        (cfg->cluster.urls && store_set_journaled(s.store, 0))) {
        /* cluster mode: the stream is the journal; commits sync again */
        log_error("cannot start: %s", err[0] ? err : "the journal could not be replayed");
        return fail_early(&s, record, &loop);
    }
    if (record)
        log_warn("TEST ONLY: --record-changes: every applied change record goes to %s",
                 cfg->record_path);
    if (writer_start(&s.writer, &loop, s.store)) {
        log_error("cannot start the writer thread");
        return fail_early(&s, record, &loop);
    }
    if (!cfg->cluster.urls &&
        writer_set_journal(s.writer, s.journal, next_seq, cfg->checkpoint_ms)) {
        log_error("cannot start the journal's thread");
        writer_stop(s.writer);
        uv_run(&loop, UV_RUN_NOWAIT); /* the writer's handle closes */
        return fail_early(&s, record, &loop);
    }
    changes_open(&s.changes, &s, record);
    if (cfg->cluster.urls &&
        changes_cluster_open(s.changes, &loop, &cfg->cluster, err, sizeof err)) {
        log_error("%s", err);
        writer_stop(s.writer);
        uv_run(&loop, UV_RUN_DEFAULT);
        release(&s, record);
        uv_loop_close(&loop);
        cluster_library_close(&cfg->cluster);
        return 1;
    }
    if (blobs_open(&s) || open_state(&s) ||
        (cfg->cluster.urls && changes_cluster_start(s.changes, err, sizeof err))) {
        if (err[0])
            log_error("%s", err);
        else
            log_error("cannot load the catalog from %s", cfg->data_dir);
        cluster_stop(changes_cluster(s.changes));
        writer_stop(s.writer);
        uv_run(&loop, UV_RUN_DEFAULT);
        phases_stop(s.phases);
        s.phases = NULL;
        catalog_stop(s.catalog);
        live_stop(s.live);
        uv_run(&loop, UV_RUN_DEFAULT);
        release(&s, record);
        uv_loop_close(&loop);
        cluster_library_close(&cfg->cluster);
        return 1;
    }
    uv_timer_init(&loop, &s.drain_timer);
    uv_signal_init(&loop, &s.sigint);
    uv_signal_init(&loop, &s.sigterm);
    s.sigint.data = s.sigterm.data = &s;

    s.rate = ratelimit_new(&s.cfg.rate, server_now_ms(&s));
    proto_stats_init(&s.stats);
    struct net_handlers h = proto_handlers;
    h.user = &s;
    h.on_http = http_route;
    struct net_config nc = {
        .host = cfg->host,
        .port = cfg->port,
        .app_size = sizeof(struct session),
        .send_queue_max = cfg->send_queue_max,
        .ws_sndbuf = cfg->ws_sndbuf,
        .tls_cert = cfg->tls_cert,
        .tls_key = cfg->tls_key,
    };
    if (net_start(&s.net, &loop, &nc, &h, err, sizeof err)) {
        /* lws 4.1: a context that failed to listen must not be destroyed before the
         * loop ran. Close ours, run the loop, then destroy once (net_free). */
        log_error("%s", err);
        struct net *net = s.net;
        s.net = NULL;
        stop_now(&s);
        uv_run(&loop, UV_RUN_DEFAULT);
        s.net = net;
        goto out_net;
    }
    uv_signal_start(&s.sigint, on_signal, SIGINT);
    uv_signal_start(&s.sigterm, on_signal, SIGTERM);
    if (cfg->test_clock)
        log_warn("TEST ONLY: --test-clock: the clock stands still; test.clock sets it");
    if (cfg->rate.off)
        log_warn("--no-rate-limits: no rate limits (for benchmarks and load tests only)");
    const char *tls_s = cfg->tls_cert ? "s" : "";
    s.stats.startup_ns = uv_hrtime() - t0;
    log_info("listening on ws%s://%s:%d/ws and http%s://%s:%d/ (data in %s; started in %llu ms)",
             tls_s, cfg->host, cfg->port, tls_s, cfg->host, cfg->port, cfg->data_dir,
             (unsigned long long)(s.stats.startup_ns / 1000000));
    uv_run(&loop, UV_RUN_DEFAULT);
    rc = 0;
    log_info("stopped");

out_net:
    net_free(s.net);
    ratelimit_free(s.rate);
    release(&s, record);
    if (uv_loop_close(&loop)) {
        log_error("the event loop still has open handles at exit");
        rc = 1;
    }
    cluster_library_close(&cfg->cluster); /* nats.c's own threads and memory */
    return rc;
}
