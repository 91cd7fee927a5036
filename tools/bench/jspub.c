/* jspub: JetStream's publish rate alone — what the stream under cluster mode (SPEC §9)
 * takes with no cocreated in the way. Creates a stream of its own (file storage,
 * --replicas R, subject NAME.x), publishes --count messages of --bytes each
 * asynchronously with at most --pending unacknowledged (each with a Nats-Msg-Id, as
 * cocreated's records have, so the duplicate window is checked as in production),
 * waits for every acknowledgement, deletes the stream (unless --keep) and prints one
 * JSON line: acknowledged messages/s, MiB/s, publish → ack latency p50/p99/max.
 * --consumers K: K ordered push consumers of the stream (each on its own connection,
 * as K cocreated nodes consume it), subscribed before the first publish; the run then
 * also waits until each has received every message, and reports deliveries/s.
 *
 *   jspub --url nats://H:P[,...] --creds FILE [--stream JSPUB] [--replicas 1]
 *         [--count 100000] [--bytes 200] [--pending 256] [--consumers 0] [--keep]
 *
 * --creds: one line USER:PASSWORD (cocreated's --cluster-creds format). Exit 0; 3 when
 * a publish failed or was never acknowledged; 1 when it could not start; 2 on usage. */
#include <getopt.h>
#include <limits.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nats/nats.h>

#include "benchlib.h"

#define MAX_CONSUMERS 64

struct jp {
    uint64_t *sent_ns; /* by message number */
    struct hist lat;   /* written by nats.c's ack thread only */
    atomic_uint_fast64_t acked, failed;
    atomic_uint_fast64_t got[MAX_CONSUMERS]; /* messages each consumer received */
};

struct consumer {
    struct jp *jp;
    int i;
    natsConnection *nc;
    jsCtx *js;
    natsSubscription *sub;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void on_ack(jsCtx *js, natsMsg *m, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
    (void)js;
    struct jp *jp = closure;
    const char *id = NULL;
    if (pa && !pae && natsMsgHeader_Get(m, "Nats-Msg-Id", &id) == NATS_OK && id) {
        uint64_t n = strtoull(id + 1, NULL, 10); /* "m<n>" */
        hist_add(&jp->lat, (now_ns() - jp->sent_ns[n]) / 1000);
        atomic_fetch_add(&jp->acked, 1);
    } else {
        atomic_fetch_add(&jp->failed, 1);
    }
    natsMsg_Destroy(m);
}

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *closure)
{
    (void)nc;
    (void)sub;
    struct consumer *c = closure;
    atomic_fetch_add(&c->jp->got[c->i], 1);
    natsMsg_Destroy(m);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: jspub --url nats://H:P[,...] --creds FILE [--stream JSPUB] [--replicas 1]\n"
               "             [--count 100000] [--bytes 200] [--pending 256] [--consumers 0]\n"
               "             [--keep]\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"url", required_argument, NULL, 'u'},     {"creds", required_argument, NULL, 'c'},
        {"stream", required_argument, NULL, 's'},  {"replicas", required_argument, NULL, 'r'},
        {"count", required_argument, NULL, 'n'},   {"bytes", required_argument, NULL, 'b'},
        {"pending", required_argument, NULL, 'p'}, {"keep", no_argument, NULL, 'k'},
        {"consumers", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    const char *url = NULL, *creds = NULL, *stream = "JSPUB";
    int replicas = 1, bytes = 200, pending = 256, keep = 0, nconsumers = 0, c;
    uint64_t count = 100000;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'u': url = optarg; break;
        case 'c': creds = optarg; break;
        case 's': stream = optarg; break;
        case 'r': replicas = atoi(optarg); break;
        case 'n': count = strtoull(optarg, NULL, 10); break;
        case 'b': bytes = atoi(optarg); break;
        case 'p': pending = atoi(optarg); break;
        case 'k': keep = 1; break;
        case 'C': nconsumers = atoi(optarg); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!url || !creds || replicas < 1 || replicas > 5 || count < 1 || bytes < 1 ||
        bytes > (1 << 20) || pending < 1 || nconsumers < 0 || nconsumers > MAX_CONSUMERS ||
        optind < argc || strlen(stream) > 32) {
        usage(stderr);
        return 2;
    }
    char line[512] = "", *colon;
    FILE *f = fopen(creds, "r");
    if (!f || !fgets(line, sizeof line, f) || !(colon = strchr(line, ':'))) {
        fprintf(stderr, "jspub: %s is not one line USER:PASSWORD\n", creds);
        return 1;
    }
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    *colon = '\0';

    static struct jp jp;
    jp.sent_ns = calloc(count, sizeof *jp.sent_ns);
    char *payload = malloc((size_t)bytes), subject[48];
    if (!jp.sent_ns || !payload)
        return 1;
    memset(payload, 'r', (size_t)bytes);
    snprintf(subject, sizeof subject, "%s.x", stream);

    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    jsStreamInfo *si = NULL;
    jsErrCode je = 0;
    const char *servers[16];
    int nservers = 0;
    char *urls = strdup(url), *save = NULL;
    for (char *u = strtok_r(urls, ",", &save); u && nservers < 16; u = strtok_r(NULL, ",", &save))
        servers[nservers++] = u;
    natsStatus s = natsOptions_Create(&o);
    if (s == NATS_OK)
        s = natsOptions_SetServers(o, servers, nservers);
    if (s == NATS_OK)
        s = natsOptions_SetUserInfo(o, line, colon + 1);
    if (s == NATS_OK)
        s = natsConnection_Connect(&nc, o);
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.PublishAsync.AckHandler = on_ack;
    jo.PublishAsync.AckHandlerClosure = &jp;
    jo.PublishAsync.MaxPending = pending;
    jo.PublishAsync.StallWait = 60000;
    if (s == NATS_OK)
        s = natsConnection_JetStream(&js, nc, &jo);
    if (s == NATS_OK) {
        jsStreamConfig sc;
        jsStreamConfig_Init(&sc);
        const char *subjects[1] = {subject};
        sc.Name = stream;
        sc.Subjects = subjects;
        sc.SubjectsLen = 1;
        sc.Storage = js_FileStorage;
        sc.Replicas = replicas;
        s = js_AddStream(&si, js, &sc, NULL, &je);
        jsStreamInfo_Destroy(si);
    }
    if (s != NATS_OK) {
        fprintf(stderr, "jspub: cannot connect or create the stream %s: %s (JetStream error %d) %s\n",
                stream, natsStatus_GetText(s), (int)je, nats_GetLastError(NULL) ? nats_GetLastError(NULL) : "");
        return 1;
    }

    /* The consumers, each on a connection of its own, with room for the whole run in
     * nats.c's pending queue (its default of 65536 messages drops the rest). */
    static struct consumer cons[MAX_CONSUMERS];
    for (int i = 0; i < nconsumers && s == NATS_OK; i++) {
        jsSubOptions so;
        jsSubOptions_Init(&so);
        so.Ordered = true;
        cons[i].jp = &jp;
        cons[i].i = i;
        s = natsConnection_Connect(&cons[i].nc, o);
        if (s == NATS_OK)
            s = natsConnection_JetStream(&cons[i].js, cons[i].nc, NULL);
        if (s == NATS_OK)
            s = js_Subscribe(&cons[i].sub, cons[i].js, subject, on_msg, &cons[i], NULL, &so, &je);
        if (s == NATS_OK)
            s = natsSubscription_SetPendingLimits(cons[i].sub, INT_MAX, INT_MAX);
    }
    if (s != NATS_OK) {
        fprintf(stderr, "jspub: cannot start the consumers: %s\n", natsStatus_GetText(s));
        return 1;
    }

    uint64_t t0 = now_ns(), errors = 0;
    for (uint64_t n = 0; n < count; n++) {
        natsMsg *m = NULL;
        char id[32];
        snprintf(id, sizeof id, "m%" PRIu64, n);
        jp.sent_ns[n] = now_ns();
        s = natsMsg_Create(&m, subject, NULL, payload, bytes);
        if (s == NATS_OK)
            s = natsMsgHeader_Set(m, "Nats-Msg-Id", id);
        if (s == NATS_OK)
            s = js_PublishMsgAsync(js, &m, NULL);
        natsMsg_Destroy(m);
        if (s != NATS_OK && errors++ < 5)
            fprintf(stderr, "jspub: publish %" PRIu64 ": %s\n", n, natsStatus_GetText(s));
    }
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = 60000;
    s = js_PublishAsyncComplete(js, &po);
    uint64_t t1 = now_ns(), t2 = t1, short_by = 0;
    if (s != NATS_OK)
        fprintf(stderr, "jspub: waiting for the acknowledgements: %s\n", natsStatus_GetText(s));
    /* Every consumer has every message (or 60 s passed). */
    for (uint64_t end = t1 + 60000000000ull; nconsumers;) {
        short_by = 0;
        for (int i = 0; i < nconsumers; i++) {
            uint64_t g = atomic_load(&jp.got[i]);
            short_by += g < count ? count - g : 0;
        }
        t2 = now_ns();
        if (!short_by || t2 >= end)
            break;
        nats_Sleep(1);
    }
    for (int i = 0; i < nconsumers; i++) {
        natsSubscription_Destroy(cons[i].sub);
        jsCtx_Destroy(cons[i].js);
        natsConnection_Destroy(cons[i].nc);
    }
    double secs = (double)(t1 - t0) / 1e9;
    uint64_t acked = atomic_load(&jp.acked), failed = atomic_load(&jp.failed) + errors;
    printf("{\"replicas\":%d,\"count\":%" PRIu64 ",\"bytes\":%d,\"pending\":%d,\"seconds\":%.3f,"
           "\"acked\":%" PRIu64 ",\"msgs_per_s\":%.0f,\"mib_s\":%.1f,\"ack_p50_ms\":%.3f,"
           "\"ack_p99_ms\":%.3f,\"ack_max_ms\":%.3f,\"consumers\":%d,\"delivered_s\":%.3f,"
           "\"deliveries_per_s\":%.0f,\"undelivered\":%" PRIu64 ",\"errors\":%" PRIu64 "}\n",
           replicas, count, bytes, pending, secs, acked, (double)acked / secs,
           (double)acked * bytes / 1048576.0 / secs, hist_quantile_ms(&jp.lat, 0.5),
           hist_quantile_ms(&jp.lat, 0.99), (double)jp.lat.max / 1000.0, nconsumers,
           (double)(t2 - t0) / 1e9,
           nconsumers ? (double)(count * (uint64_t)nconsumers - short_by) / ((double)(t2 - t0) / 1e9) : 0,
           short_by, failed);
    fprintf(stderr,
            "jspub: %" PRIu64 " messages of %d bytes, replicas %d, %d in flight: %.0f/s, "
            "publish → ack p50 %.3f ms, p99 %.3f ms\n",
            acked, bytes, replicas, pending, (double)acked / secs, hist_quantile_ms(&jp.lat, 0.5),
            hist_quantile_ms(&jp.lat, 0.99));
    if (!keep && js_DeleteStream(js, stream, NULL, &je) != NATS_OK)
        fprintf(stderr, "jspub: could not delete the stream %s\n", stream);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    natsOptions_Destroy(o);
    nats_CloseAndWait(2000);
    free(jp.sent_ns);
    free(payload);
    free(urls);
    return acked == count && !failed && !short_by ? 0 : 3;
}
