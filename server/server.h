/* The daemon as one object: configuration, the loop, the store, the writer, the
 * network, and the graceful shutdown. server/main.c parses flags into a
 * server_config and calls server_run. Thread use: loop thread, except where noted. */
#ifndef CC_SERVER_H
#define CC_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <uv.h>

#include "clock.h"
#include "design_view.h"
#include "histo.h"
#include "cluster.h"
#include "password.h"
#include "ratelimit.h"
#include "u64map.h"

struct server_config {
    const char *host;       /* --listen host (IPv4) */
    int port;               /* --listen port */
    const char *data_dir;   /* --data */
    size_t map_size;        /* --map-size: initial LMDB map size, 0 = default */
    size_t send_queue_max;  /* --send-queue: per-connection bound, 0 = default */
    size_t ws_sndbuf;       /* --ws-sndbuf: SO_SNDBUF of WebSocket sockets, 0 = kernel's */
    int drain_ms;           /* longest wait for in-flight work at shutdown */
    int checkpoint_ms;      /* --checkpoint-ms: journal mode's checkpoint interval, 0 = default */
    int test_clock;         /* TEST ONLY: a frozen clock set by the op test.clock */
    struct rate_config rate; /* --rate-*, --no-rate-limits, --rate-table */
    const char *web_dir;    /* --web: the web client's files (assets/web), NULL = none */
    const char *secret_path; /* --secret: the node's secret file (NULL: <data>/secret) */
    const char *record_path; /* --record-changes: append applied records (tests), or NULL */
    struct cluster_config cluster; /* --cluster etc.; cluster.urls NULL: one node, no NATS */
    int web_required;       /* --web given explicitly: a client that fails to load is fatal */
    int password_cost_low;  /* --password-cost low: cheap hashes, TEST ONLY */
    const char *tls_cert;   /* --tls-cert: TLS (wss://, https://) on the port, or NULL */
    const char *tls_key;    /* --tls-key: tls_cert's private key */
    size_t record_cache;    /* --record-cache: bytes of design records kept (design_view.h) */
    size_t page_cache;      /* --page-cache: bytes of plain pages' items kept (design_view.h) */
};
#define SERVER_RECORD_CACHE_DEFAULT ((size_t)64 << 20)
#define SERVER_PAGE_CACHE_DEFAULT ((size_t)64 << 20)
/* How long a gallery must show the same (no vote, edit... in it) before the page cache
 * keeps its items (design_view.h). */
#define SERVER_PAGE_QUIET_MS 20

/* Most ops the op table may hold (ops_check fails beyond it): their latency histograms. */
#define SERVER_OPS_MAX 64

/* The routes of http.c, each with its latency histogram. */
#define SERVER_HTTP_ROUTES 10

/* Counters for /metrics (loop thread). */
struct server_stats {
    uint64_t requests;
    uint64_t errors[14]; /* by -CC_E* code */
    uint64_t started_ns; /* uv_hrtime() when the server started: the uptime */
    int64_t started_unix; /* the wall clock then (Unix seconds) */
    uint64_t startup_ns;  /* how long the start took: server_run's first step until the
                             network listened (the data, the journal, the state in memory) */
    /* proto_stats_init: the op table's names by index, and from each request naming a
     * known op its time from the frame to the reply (req.c) */
    const char *op_name[SERVER_OPS_MAX];
    struct histo op_latency[SERVER_OPS_MAX];
    /* each HTTP request http.c routed, by route (http.c's route_names): from its
     * request to its response's last byte (net_http_observe) */
    struct histo http_latency[SERVER_HTTP_ROUTES];
};

struct server {
    struct server_config cfg;
    uv_loop_t *loop;
    struct store *store;
    struct writer *writer;
    struct journal *journal; /* DATA/journal, locked while the server runs */
    char *hello; /* the hello reply's result as JSON text: fixed once the server runs */
    struct changes *changes;      /* changes.c: change records, post-commit steps */
    struct net *net;
    uv_signal_t sigint, sigterm;
    uv_timer_t drain_timer;
    int draining;
    int closing_conns; /* draining: the closing handshakes have begun */
    uint64_t drain_deadline;
    uint64_t inflight; /* requests received and not yet answered */
    struct server_stats stats;
    struct blobs_registry *blobs; /* blobs.c: dictionaries */
    struct catalog *catalog;      /* catalog.c: designs in memory, ranked indexes */
    struct live *live;            /* live.c: subscriptions and watches */
    struct creators *creators;    /* creators.c: points per creator, the leaderboard */
    struct reports *reports;      /* reports.c: report counts per design */
    struct design_view view;      /* design_view.c: store, catalog, reports, for showing */
    struct clock clock;           /* server_now, for the modules below the ops */
    int64_t test_now;             /* with cfg.test_clock: the clock's reading */
    int64_t test_now_ms;          /* with cfg.test_clock: the clock's reading (ms) */
    struct ratelimit *rate;       /* ratelimit.c: the token buckets */
    struct web *web;              /* web.c: the web client's files, NULL when none */
    struct search *search;        /* search.c: the word index of SPEC §8's search */
    struct phases *phases;        /* phases.c: contest phase changes by the clock */
    struct u64map milestones_due; /* design id → a support milestone its votes reached
                                     (changes_after.c), for phases.c to record */
    struct session *logins;       /* logins.c: connections logged in */
    struct u64map last_seen;      /* logins.c: session id → last seen here (seconds) */
    struct password_cost password_cost; /* --password-cost */
    unsigned password_jobs;       /* password hashes being computed off the loop */
};

/* The server's clock in Unix seconds: the wall clock, or with --test-clock the time
 * test.clock last set. */
int64_t server_now(const struct server *s);

/* The clock of rate limits in milliseconds: monotonic, or with --test-clock the test
 * clock (so tests can move buckets through time). */
uint64_t server_now_ms(const struct server *s);

/* The limits in force, as `hello` reports them (new reference). */
json_t *server_limits(const struct server *s);

#endif
