/* HTTP routes. See http.h. */
#include "http.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ccerr.h"
#include "server.h"
#include "util.h"
#include "writer.h"
#include "store.h"

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

/* Prometheus text exposition format 0.0.4. */
static void metrics(struct net_http *h, struct server *s)
{
    struct net_stats ns;
    struct writer_stats ws;
    net_get_stats(s->net, &ns);
    writer_get_stats(s->writer, &ws);
    struct ccbuf b;
    ccbuf_init(&b);
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
    metric(&b, "cocreate_send_queue_overflows_total", "counter",
           "Connections closed for not reading.", ns.queue_overflows);
    metric(&b, "cocreate_http_requests_total", "counter", "HTTP requests.", ns.http_requests);
    metric(&b, "cocreate_requests_total", "counter", "Protocol requests.", s->stats.requests);
    metric(&b, "cocreate_requests_inflight", "gauge", "Requests not yet answered.",
           s->inflight);
    metric(&b, "cocreate_commits_total", "counter", "LMDB write transactions committed.",
           ws.commits);
    metric(&b, "cocreate_commit_requests_total", "counter",
           "Requests applied by the writer.", ws.requests);
    metric(&b, "cocreate_commit_batch_max", "gauge", "Largest group commit.", ws.max_batch);
    metric(&b, "cocreate_writer_queue", "gauge", "Requests waiting for the writer.", ws.queued);
    metric(&b, "cocreate_lmdb_map_bytes", "gauge", "LMDB map size.",
           store_map_size(s->store));
    metric(&b, "cocreate_lmdb_map_growths_total", "counter", "Times the map grew.",
           ws.map_growths);
    const char *hdr = "# HELP cocreate_errors_total Error replies by code.\n"
                      "# TYPE cocreate_errors_total counter\n";
    ccbuf_append(&b, hdr, strlen(hdr));
    for (int code = 1; code <= -CC_ERR_MIN; code++) {
        char line[128];
        int n = snprintf(line, sizeof line, "cocreate_errors_total{code=\"%s\"} %llu\n",
                         ccerr_wire(-code), (unsigned long long)s->stats.errors[code]);
        ccbuf_append(&b, line, (size_t)n);
    }
    net_http_respond(h, 200, "text/plain; version=0.0.4", b.data, b.len);
}

void http_route(struct net_http *h, const char *path, void *user)
{
    struct server *s = user;
    if (!strcmp(path, "/healthz"))
        respond_text(h, 200, "ok\n");
    else if (!strcmp(path, "/metrics"))
        metrics(h, s);
    else
        respond_text(h, 404, "not found\n");
}
