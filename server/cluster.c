/* NATS JetStream under cluster mode. See cluster.h.
 * Thread use: on_msg and on_ack run on nats.c's threads and only append to `inbox`
 * (under `mu`) and wake the loop; everything else runs on the loop thread. */
#include "cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nats/nats.h>

#include "assembly.h"
#include "ccerr.h"
#include "log.h"
#include "util.h"

#define CLUSTER_HEARTBEAT_NS 1000000000LL /* the stream consumer's idle heartbeat */
/* How long NATS keeps the stream consumer once nobody listens to it (the node stopped,
 * or lost its connection): nats-server's default for an ephemeral consumer, set here
 * so that a stop, which leaves the consumer to NATS (cluster_stop), relies on no
 * default. A node that reconnects after it has gone makes a new one (the heartbeat). */
#define CLUSTER_CONSUMER_IDLE_NS 5000000000LL
/* The timer that publishes unacknowledged parts again. */
#define CLUSTER_TICK_MS 500

/* Something nats.c's threads hand to the loop. */
struct inbox_item {
    struct inbox_item *next;
    int reconnected;   /* 1: NATS is back: check the stream still holds what we applied */
    int ack;           /* 1: an acknowledgement (or error) of a part we published */
    int ok;            /* ack: acknowledged (duplicates included) */
    uint64_t seq;      /* msg: stream sequence */
    uint64_t pending;  /* msg: messages after it in the stream */
    char id[128];      /* the message id (Nats-Msg-Id) */
    int shape;         /* msg: assembly_parse's: 0 a whole record, 1 a part, -1 malformed */
    struct assembly_part part; /* msg: which part of which record, when shape is 1 */
    size_t len;
    uint8_t data[];
};

/* A record we published, kept until every part is acknowledged. */
struct pub {
    struct pub *next;
    char id[96];
    uint8_t *data;
    size_t len, part_len;
    int parts, nacked;
    uint8_t acked[ASSEMBLY_PARTS_MAX];
    uint64_t t0, sent; /* ms: first publish, last publish */
};

struct cluster {
    uv_loop_t *loop;
    struct cluster_handlers h;
    char stream[64], subject[80], node[64];
    natsOptions *opts;
    natsConnection *nc;
    jsCtx *js;
    natsSubscription *sub;
    uv_async_t async;
    uv_timer_t timer;
    uv_mutex_t mu;
    struct inbox_item *inbox, **inbox_tail; /* under mu */
    size_t inbox_msgs;                      /* under mu: stream messages in inbox */
    uv_cond_t room;                         /* inbox_msgs fell under CLUSTER_INBOX_MAX */
    int connected;                          /* under mu */
    int stopped;
    int rechecking; /* a recheck is on the thread pool (it holds cl) */
    int recheck_due; /* the last one could not read the stream: the timer tries again */
    int recheck_warned; /* rechecks that could not read the stream since it last could */
    struct pub *pubs;
    struct assembly *parts; /* records being put back together from their parts */
    uint64_t skip_upto;
    size_t part_max;
    struct cluster_stats stats;
};

/* The stopped cluster (or one whose open failed after connecting), kept until exit (see
 * cluster_close). */
static struct cluster *retired;

/* ---- nats.c's threads ---- */

static void inbox_push(struct cluster *cl, struct inbox_item *it)
{
    uv_mutex_lock(&cl->mu);
    int stopped = cl->stopped; /* then the async may be closed: drop it */
    if (!stopped) {
        *cl->inbox_tail = it;
        cl->inbox_tail = &it->next;
        uv_async_send(&cl->async);
        /* A stream message waits here (on nats.c's delivery thread) while the loop
         * has a full inbox: never an ack or a reconnection, which must not wait. */
        if (!it->ack && !it->reconnected) {
            cl->inbox_msgs++;
            while (cl->inbox_msgs > CLUSTER_INBOX_MAX && !cl->stopped)
                uv_cond_wait(&cl->room, &cl->mu);
        }
    }
    uv_mutex_unlock(&cl->mu);
    if (stopped)
        free(it);
}

static const char *header(natsMsg *m, const char *key)
{
    const char *v = NULL;
    return natsMsgHeader_Get(m, key, &v) == NATS_OK ? v : NULL;
}

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *closure)
{
    (void)nc;
    (void)sub;
    struct cluster *cl = closure;
    jsMsgMetaData *meta = NULL;
    int len = natsMsg_GetDataLength(m);
    if (natsMsg_GetMetaData(&meta, m) != NATS_OK || len < 0) {
        natsMsg_Destroy(m);
        return; /* not a stream message (a flow-control or heartbeat is not delivered) */
    }
    struct inbox_item *it = xcalloc(1, sizeof *it + (size_t)len);
    it->seq = meta->Sequence.Stream;
    it->pending = meta->NumPending;
    jsMsgMetaData_Destroy(meta);
    const char *id = header(m, "Nats-Msg-Id"), *rec = header(m, "Cc-Record");
    const char *part = header(m, "Cc-Part"), *parts = header(m, "Cc-Parts");
    snprintf(it->id, sizeof it->id, "%s", id ? id : "");
    it->shape = assembly_parse(rec, part, parts, &it->part);
    it->len = (size_t)len;
    memcpy(it->data, natsMsg_GetData(m), (size_t)len);
    natsMsg_Destroy(m);
    inbox_push(cl, it);
}

static void on_ack(jsCtx *js, natsMsg *m, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
    (void)js;
    struct cluster *cl = closure;
    struct inbox_item *it = xcalloc(1, sizeof *it);
    it->ack = 1;
    it->ok = pa != NULL && pae == NULL;
    const char *id = header(m, "Nats-Msg-Id");
    snprintf(it->id, sizeof it->id, "%s", id ? id : "");
    natsMsg_Destroy(m);
    inbox_push(cl, it);
}

static void set_connected(struct cluster *cl, int connected)
{
    uv_mutex_lock(&cl->mu);
    cl->connected = connected;
    uv_mutex_unlock(&cl->mu);
}

static void on_disconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    set_connected(closure, 0);
}

static void on_reconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    struct cluster *cl = closure;
    set_connected(cl, 1);
    struct inbox_item *it = xcalloc(1, sizeof *it);
    it->reconnected = 1;
    inbox_push(cl, it);
}

/* ---- connecting ---- */

/* nats.c's options for cfg. Returns 0 or -1 with err. */
static int make_options(natsOptions **out, const struct cluster_config *cfg, char *err,
                        size_t errlen)
{
    natsOptions *o = NULL;
    char *urls = xstrdup(cfg->urls), *save = NULL;
    const char *list[16];
    int n = 0, secure = 0;
    for (char *u = strtok_r(urls, ",", &save); u && n < 16; u = strtok_r(NULL, ",", &save)) {
        if (!strncmp(u, "tls://", 6))
            secure = 1;
        else if (strncmp(u, "nats://", 7)) {
            snprintf(err, errlen, "--cluster: '%s' is not a nats:// or tls:// URL", u);
            free(urls);
            return -1;
        }
        list[n++] = u;
    }
    natsStatus s = natsOptions_Create(&o);
    char name[96];
    snprintf(name, sizeof name, "cocreated-%s", cfg->node);
    if (s == NATS_OK)
        s = natsOptions_SetServers(o, list, n);
    if (s == NATS_OK)
        s = natsOptions_SetName(o, name);
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(o, -1);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectWait(o, 250);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(o, 5000);
    if (s == NATS_OK && secure) {
        s = natsOptions_SetSecure(o, true);
        if (s == NATS_OK && cfg->ca)
            s = natsOptions_LoadCATrustedCertificates(o, cfg->ca);
    }
    free(urls);
    if (s == NATS_OK && cfg->creds) {
        FILE *f = fopen(cfg->creds, "r");
        char line[512] = "";
        if (!f || !fgets(line, sizeof line, f)) {
            snprintf(err, errlen, "--cluster-creds: cannot read %s", cfg->creds);
            if (f)
                fclose(f);
            natsOptions_Destroy(o);
            return -1;
        }
        fclose(f);
        line[strcspn(line, "\r\n")] = '\0';
        char *colon = strchr(line, ':');
        if (!strncmp(line, "-----BEGIN", 10)) {
            s = natsOptions_SetUserCredentialsFromFiles(o, cfg->creds, NULL);
        } else if (colon && colon != line) {
            *colon = '\0';
            s = natsOptions_SetUserInfo(o, line, colon + 1);
        } else {
            snprintf(err, errlen, "--cluster-creds: %s is neither a NATS creds file nor one "
                     "line USER:PASSWORD", cfg->creds);
            natsOptions_Destroy(o);
            return -1;
        }
        memset(line, 0, sizeof line);
    }
    if (s != NATS_OK) {
        snprintf(err, errlen, "NATS options: %s", natsStatus_GetText(s));
        natsOptions_Destroy(o);
        return -1;
    }
    *out = o;
    return 0;
}

/* The stream exists with settings that agree with cfg, or is created. */
static int ensure_stream(jsCtx *js, const struct cluster_config *cfg, const char *subject,
                         jsStreamInfo **info, char *err, size_t errlen)
{
    jsErrCode je = 0;
    natsStatus s = js_GetStreamInfo(info, js, cfg->stream, NULL, &je);
    if (s == NATS_NOT_FOUND) {
        jsStreamConfig sc;
        jsStreamConfig_Init(&sc);
        const char *subjects[1] = {subject};
        sc.Name = cfg->stream;
        sc.Subjects = subjects;
        sc.SubjectsLen = 1;
        sc.Storage = js_FileStorage;
        sc.Retention = js_LimitsPolicy;
        sc.Replicas = cfg->replicas;
        sc.MaxAge = cfg->max_age_s * 1000000000LL;
        sc.MaxBytes = cfg->max_bytes ? cfg->max_bytes : -1;
        char desc[96];
        snprintf(desc, sizeof desc, "cocreate change records; secret check %s",
                 cfg->secret_check);
        sc.Description = desc;
        s = js_AddStream(info, js, &sc, NULL, &je);
        if (s == NATS_OK) {
            log_info("cluster: created stream %s (replicas %d)", cfg->stream, cfg->replicas);
            return 0;
        }
    }
    if (s != NATS_OK) {
        snprintf(err, errlen, "cannot get or create the stream %s: %s (JetStream error %d)",
                 cfg->stream, natsStatus_GetText(s), (int)je);
        return -1;
    }
    const jsStreamConfig *c = (*info)->Config;
    int has_subject = 0;
    for (int i = 0; i < c->SubjectsLen; i++)
        has_subject |= !strcmp(c->Subjects[i], subject);
    const char *bad = !has_subject                             ? "its subjects"
                      : c->Storage != js_FileStorage            ? "its storage (not file)"
                      : c->Retention != js_LimitsPolicy         ? "its retention (not limits)"
                      : c->Replicas != cfg->replicas            ? "its replicas"
                      : c->MaxAge != cfg->max_age_s * 1000000000LL ? "its max age"
                      : (c->MaxBytes > 0 ? c->MaxBytes : 0) != cfg->max_bytes ? "its max bytes"
                                                                : NULL;
    const char *mark = c->Description ? strstr(c->Description, "secret check ") : NULL;
    if (!bad && mark && strcmp(mark + 13, cfg->secret_check)) {
        snprintf(err, errlen,
                 "this node's secret is not the cluster's (the stream %s was made by a node "
                 "with another --secret): its audit logs' voter pseudonyms would differ; give "
                 "every node the same secret file",
                 cfg->stream);
        jsStreamInfo_Destroy(*info);
        *info = NULL;
        return -1;
    }
    if (bad) {
        snprintf(err, errlen,
                 "the stream %s exists with settings this node contradicts: %s (replicas %lld, "
                 "max age %llds, max bytes %lld; this node: --stream-replicas %d, "
                 "--stream-max-age %llds, --stream-max-bytes %lld)",
                 cfg->stream, bad, (long long)c->Replicas, (long long)(c->MaxAge / 1000000000LL),
                 (long long)c->MaxBytes, cfg->replicas, (long long)cfg->max_age_s,
                 (long long)cfg->max_bytes);
        jsStreamInfo_Destroy(*info);
        *info = NULL;
        return -1;
    }
    return 0;
}

/* The stream still holds what this node applied: the message at `applied` hashes as
 * recorded, and nothing after it was purged. */
static int check_applied(jsCtx *js, const char *stream, const jsStreamInfo *info,
                         uint64_t applied, const uint8_t hash[32], char *err, size_t errlen)
{
    uint64_t first = info->State.FirstSeq, last = info->State.LastSeq;
    if (applied > last) {
        snprintf(err, errlen,
                 "the stream %s ends at sequence %llu but this node applied up to %llu: the "
                 "stream lost records (a cluster-wide power cut?); stopping rather than "
                 "diverge — rebuild this node from a peer's backup",
                 stream, (unsigned long long)last, (unsigned long long)applied);
        return -1;
    }
    if (applied + 1 < first) {
        snprintf(err, errlen,
                 "the stream %s now starts at sequence %llu but this node applied only up to "
                 "%llu: the records between were purged; start this node from a peer's "
                 "backup (cocreated --backup)",
                 stream, (unsigned long long)first, (unsigned long long)applied);
        return -1;
    }
    if (!applied || applied < first)
        return 0;
    natsMsg *m = NULL;
    jsErrCode je = 0;
    natsStatus s = js_GetMsg(&m, js, stream, applied, NULL, &je);
    if (s != NATS_OK) {
        snprintf(err, errlen, "cannot read sequence %llu of the stream %s: %s",
                 (unsigned long long)applied, stream, natsStatus_GetText(s));
        return -1;
    }
    uint8_t got[32];
    sha256(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), got);
    natsMsg_Destroy(m);
    if (memcmp(got, hash, 32)) {
        snprintf(err, errlen,
                 "the stream %s holds another record at sequence %llu than this node applied "
                 "there: the stream lost records and reused their sequences; stopping "
                 "rather than diverge — rebuild this node from a peer's backup",
                 stream, (unsigned long long)applied);
        return -1;
    }
    return 0;
}

static void on_async(uv_async_t *a);
static int check_applied(jsCtx *js, const char *stream, const jsStreamInfo *info,
                         uint64_t applied, const uint8_t hash[32], char *err, size_t errlen);

/* After NATS came back (a restart of every server may have lost what they had not
 * synced): the stream must still hold what this node applied. The JetStream calls
 * block, so they run on the thread pool. */
struct recheck {
    uv_work_t work;
    struct cluster *cl;
    uint64_t applied;
    uint8_t hash[32];
    int bad, unread;
    char err[512];
};

static void recheck_work(uv_work_t *w)
{
    struct recheck *r = container_of(w, struct recheck, work);
    jsStreamInfo *info = NULL;
    jsErrCode je = 0;
    if (js_GetStreamInfo(&info, r->cl->js, r->cl->stream, NULL, &je) != NATS_OK) {
        /* Connected, but JetStream may still be recovering its streams after a restart
         * (no other reconnection need follow): the timer checks again. */
        r->unread = 1;
        return;
    }
    r->bad = check_applied(r->cl->js, r->cl->stream, info, r->applied, r->hash, r->err,
                           sizeof r->err) != 0;
    jsStreamInfo_Destroy(info);
}

static void recheck_after(uv_work_t *w, int status)
{
    struct recheck *r = container_of(w, struct recheck, work);
    struct cluster *cl = r->cl;
    cl->rechecking = 0;
    if (!status && r->bad && !cl->stopped)
        cl->h.on_lost(cl->h.user, r->err);
    cl->recheck_due = status || r->unread;
    if (cl->recheck_due && !cl->recheck_warned++)
        log_warn("cluster: NATS is back but the stream %s cannot be read yet (JetStream "
                 "recovering?): checking what this node applied every %d ms until it can",
                 cl->stream, CLUSTER_TICK_MS);
    if (!cl->recheck_due)
        cl->recheck_warned = 0;
    free(r);
}

static void recheck(struct cluster *cl)
{
    if (cl->rechecking || cl->stopped)
        return;
    cl->recheck_due = 0;
    struct recheck *r = xcalloc(1, sizeof *r);
    r->cl = cl;
    cl->h.applied(cl->h.user, &r->applied, r->hash);
    cl->rechecking = 1;
    if (uv_queue_work(cl->loop, &r->work, recheck_work, recheck_after)) {
        cl->rechecking = 0;
        free(r);
    }
}
static void on_tick(uv_timer_t *t);

int cluster_open(struct cluster **out, uv_loop_t *loop, const struct cluster_config *cfg,
                 const struct cluster_handlers *h, uint64_t applied,
                 const uint8_t applied_hash[32], char *err, size_t errlen)
{
    struct cluster *cl = xcalloc(1, sizeof *cl);
    cl->loop = loop;
    cl->h = *h;
    snprintf(cl->stream, sizeof cl->stream, "%s", cfg->stream);
    snprintf(cl->subject, sizeof cl->subject, "%s" CLUSTER_SUBJECT_SUFFIX, cfg->stream);
    snprintf(cl->node, sizeof cl->node, "%s", cfg->node);
    cl->inbox_tail = &cl->inbox;
    cl->parts = assembly_new();
    /* From the connection on, nats.c may call on_disconnected (which takes mu) on its own
     * thread, even after natsConnection_Destroy: mu must exist before, and cl must
     * outlive a failed open that connected (below). */
    uv_mutex_init(&cl->mu);
    uv_cond_init(&cl->room);
    jsStreamInfo *info = NULL;
    if (make_options(&cl->opts, cfg, err, errlen))
        goto fail;
    natsOptions_SetDisconnectedCB(cl->opts, on_disconnected, cl);
    natsOptions_SetReconnectedCB(cl->opts, on_reconnected, cl);
    natsStatus s = natsConnection_Connect(&cl->nc, cl->opts);
    if (s != NATS_OK) {
        const char *why = nats_GetLastError(NULL);
        snprintf(err, errlen, "cannot connect to NATS at %s: %s", cfg->urls,
                 why && *why ? why : natsStatus_GetText(s));
        goto fail;
    }
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.PublishAsync.AckHandler = on_ack;
    jo.PublishAsync.AckHandlerClosure = cl;
    jo.PublishAsync.MaxPending = 1 << 20;
    if ((s = natsConnection_JetStream(&cl->js, cl->nc, &jo)) != NATS_OK) {
        snprintf(err, errlen, "NATS JetStream: %s", natsStatus_GetText(s));
        goto fail;
    }
    if (ensure_stream(cl->js, cfg, cl->subject, &info, err, errlen) ||
        check_applied(cl->js, cl->stream, info, applied, applied_hash, err, errlen))
        goto fail;
    cl->stats.last_seq = info->State.LastSeq;
    jsStreamInfo_Destroy(info);
    info = NULL;
    int64_t max = natsConnection_GetMaxPayload(cl->nc);
    cl->part_max = max > 2 * CLUSTER_PART_SLACK ? (size_t)max - CLUSTER_PART_SLACK : 4096;
    set_connected(cl, 1);
    uv_async_init(loop, &cl->async, on_async);
    cl->async.data = cl;
    uv_timer_init(loop, &cl->timer);
    cl->timer.data = cl;
    uv_timer_start(&cl->timer, on_tick, CLUSTER_TICK_MS, CLUSTER_TICK_MS);
    *out = cl;
    return 0;
fail:
    jsStreamInfo_Destroy(info);
    jsCtx_Destroy(cl->js);
    natsConnection_Destroy(cl->nc);
    natsOptions_Destroy(cl->opts);
    if (cl->nc) {
        /* Its disconnected callback may still come on nats.c's thread (ThreadSanitizer
         * saw it race with the free, test_cluster's node refusing a stream that lost
         * records): keep cl, as cluster_close does; a failed open ends the process. */
        retired = cl;
        return -1;
    }
    uv_cond_destroy(&cl->room);
    uv_mutex_destroy(&cl->mu);
    assembly_free(cl->parts);
    free(cl);
    return -1;
}

int cluster_start(struct cluster *cl, uint64_t from, uint64_t skip_upto, char *err,
                  size_t errlen)
{
    cl->skip_upto = skip_upto;
    cl->stats.delivered_seq = from ? from - 1 : 0;
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Ordered = true;
    /* nats.c notices a consumer lost with its server (kill -9 of the stream leader,
     * which holds this ephemeral consumer) only when two heartbeat intervals pass
     * without a message, and then makes a new one; its default of 5 s put 10-20 s
     * between the loss and the first delivery again. One heartbeat a second costs
     * a few bytes and bounds that part to 2-4 s. */
    so.Config.Heartbeat = CLUSTER_HEARTBEAT_NS;
    so.Config.InactiveThreshold = CLUSTER_CONSUMER_IDLE_NS;
    if (from > 1) {
        so.Config.DeliverPolicy = js_DeliverByStartSequence;
        so.Config.OptStartSeq = from;
    } else {
        so.Config.DeliverPolicy = js_DeliverAll;
    }
    jsErrCode je = 0;
    natsStatus s = js_Subscribe(&cl->sub, cl->js, cl->subject, on_msg, cl, NULL, &so, &je);
    if (s != NATS_OK) {
        snprintf(err, errlen, "cannot consume the stream %s: %s (JetStream error %d)",
                 cl->stream, natsStatus_GetText(s), (int)je);
        return -1;
    }
    /* No limit on nats.c's queue of this subscription: by default it drops messages
     * past 65,536 (a "slow consumer"), and the ordered consumer would notice the gap
     * only when the stream sends its next message — a catch-up stalled until then
     * (found by the cluster benchmark). Its size is bounded instead by the consumer's
     * flow control, which holds the stream at the server while our delivery callback
     * waits for the loop (CLUSTER_INBOX_MAX). */
    if ((s = natsSubscription_SetPendingLimits(cl->sub, -1, -1)) != NATS_OK) {
        snprintf(err, errlen, "cannot lift the stream subscription's limits: %s",
                 natsStatus_GetText(s));
        return -1;
    }
    log_info("cluster: node %s consuming %s from sequence %llu", cl->node, cl->stream,
             (unsigned long long)(from ? from : 1));
    return 0;
}

int cluster_connected(const struct cluster *cl)
{
    uv_mutex_lock((uv_mutex_t *)&cl->mu);
    int c = cl->connected && !cl->stopped;
    uv_mutex_unlock((uv_mutex_t *)&cl->mu);
    return c;
}

/* ---- publishing (loop thread) ---- */

/* Publishes part k of p (again). Returns 0 or -1. */
static int send_part(struct cluster *cl, struct pub *p, int k)
{
    size_t off = (size_t)k * p->part_len;
    size_t n = p->len - off < p->part_len ? p->len - off : p->part_len;
    natsMsg *m = NULL;
    char id[128];
    if (p->parts == 1)
        snprintf(id, sizeof id, "%s", p->id);
    else
        snprintf(id, sizeof id, "%s:%d", p->id, k);
    natsStatus s = natsMsg_Create(&m, cl->subject, NULL, (const char *)p->data + off, (int)n);
    if (s == NATS_OK)
        s = natsMsgHeader_Set(m, "Nats-Msg-Id", id);
    if (s == NATS_OK && p->parts > 1) {
        char num[16];
        s = natsMsgHeader_Set(m, "Cc-Record", p->id);
        snprintf(num, sizeof num, "%d", k);
        if (s == NATS_OK)
            s = natsMsgHeader_Set(m, "Cc-Part", num);
        snprintf(num, sizeof num, "%d", p->parts);
        if (s == NATS_OK)
            s = natsMsgHeader_Set(m, "Cc-Parts", num);
    }
    if (s == NATS_OK)
        s = js_PublishMsgAsync(cl->js, &m, NULL);
    natsMsg_Destroy(m); /* a no-op once the library took it */
    return s == NATS_OK ? 0 : -1;
}

static void send_unacked(struct cluster *cl, struct pub *p)
{
    for (int k = 0; k < p->parts; k++)
        if (!p->acked[k])
            send_part(cl, p, k);
    p->sent = uv_now(cl->loop);
}

int cluster_publish(struct cluster *cl, const char *msgid, const void *data, size_t len)
{
    if (!cluster_connected(cl))
        return CC_EBUSY;
    size_t parts = (len + cl->part_max - 1) / cl->part_max;
    if (!parts)
        parts = 1;
    if (parts > ASSEMBLY_PARTS_MAX || strlen(msgid) > ASSEMBLY_ID_MAX)
        return CC_ETOOLARGE;
    struct pub *p = xcalloc(1, sizeof *p);
    snprintf(p->id, sizeof p->id, "%s", msgid);
    p->data = xmalloc(len ? len : 1);
    memcpy(p->data, data, len);
    p->len = len;
    p->part_len = cl->part_max;
    p->parts = (int)parts;
    p->t0 = uv_now(cl->loop);
    p->next = cl->pubs;
    cl->pubs = p;
    cl->stats.published++;
    cl->stats.unacked++;
    send_unacked(cl, p);
    return 0;
}

static void pub_free(struct cluster *cl, struct pub *p)
{
    for (struct pub **pp = &cl->pubs; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    cl->stats.unacked--;
    free(p->data);
    free(p);
}

/* An acknowledgement of message id (a whole record's id, or "<id>:<part>"). */
static void acked(struct cluster *cl, const char *id, int ok)
{
    if (!ok)
        return; /* the tick publishes it again */
    const char *colon = strrchr(id, ':');
    size_t idlen = colon ? (size_t)(colon - id) : strlen(id);
    for (struct pub *p = cl->pubs; p; p = p->next) {
        if (strlen(p->id) != idlen || memcmp(p->id, id, idlen))
            continue;
        int k = colon && p->parts > 1 ? atoi(colon + 1) : 0;
        if (k >= 0 && k < p->parts && !p->acked[k]) {
            p->acked[k] = 1;
            if (++p->nacked == p->parts)
                pub_free(cl, p); /* in the stream: it will be delivered */
        }
        return;
    }
}

static void on_tick(uv_timer_t *t)
{
    struct cluster *cl = t->data;
    uint64_t now = uv_now(cl->loop);
    if (cl->recheck_due && cluster_connected(cl))
        recheck(cl);
    for (struct pub *p = cl->pubs, *next; p; p = next) {
        next = p->next;
        if (now - p->t0 >= CLUSTER_GIVE_UP_MS) {
            char id[96];
            snprintf(id, sizeof id, "%s", p->id);
            cl->stats.failed++;
            pub_free(cl, p);
            log_warn("cluster: record %s was never acknowledged by NATS: given up", id);
            cl->h.on_failed(cl->h.user, id);
        } else if (now - p->sent >= CLUSTER_ACK_WAIT_MS && cluster_connected(cl)) {
            cl->stats.republished++;
            send_unacked(cl, p);
        }
    }
}

/* ---- consuming (loop thread) ---- */

static void deliver(struct cluster *cl, uint64_t seq, const char *id, const uint8_t *data,
                    size_t len)
{
    if (seq > cl->skip_upto)
        cl->h.on_record(cl->h.user, seq, assembly_resume(cl->parts, seq), id, data, len);
}

static void got_message(struct cluster *cl, struct inbox_item *it)
{
    if (it->seq <= cl->stats.delivered_seq)
        return; /* seen (an ordered consumer's reset may deliver again) */
    cl->stats.delivered_seq = it->seq;
    if (it->seq + it->pending > cl->stats.last_seq)
        cl->stats.last_seq = it->seq + it->pending;
    assembly_expire(cl->parts, it->seq);
    if (it->shape == 0) {
        deliver(cl, it->seq, it->id, it->data, it->len);
        return;
    }
    if (it->shape < 0) {
        cl->stats.bad_messages++;
        deliver(cl, it->seq, NULL, NULL, 0); /* counted and skipped by the caller */
        return;
    }
    struct ccbuf whole;
    ccbuf_init(&whole);
    if (assembly_add(cl->parts, it->seq, &it->part, it->data, it->len, &whole))
        deliver(cl, it->seq, it->part.record, whole.data, whole.len);
    ccbuf_free(&whole);
}

/* Takes the inbox's first item, or NULL; a stream message only while the user has
 * room for a record (else it stays first, and cluster_wake comes back for it). */
static struct inbox_item *inbox_pop(struct cluster *cl)
{
    /* Only this thread takes items, from the front; others append at the back. */
    uv_mutex_lock(&cl->mu);
    struct inbox_item *it = cl->inbox;
    int msg = it && !it->ack && !it->reconnected;
    uv_mutex_unlock(&cl->mu);
    if (!it || (msg && !cl->stopped && !cl->h.ready(cl->h.user)))
        return NULL;
    uv_mutex_lock(&cl->mu);
    cl->inbox = it->next;
    if (!cl->inbox)
        cl->inbox_tail = &cl->inbox;
    if (msg && --cl->inbox_msgs <= CLUSTER_INBOX_MAX)
        uv_cond_broadcast(&cl->room);
    uv_mutex_unlock(&cl->mu);
    return it;
}

static void on_async(uv_async_t *as)
{
    struct cluster *cl = as->data;
    struct inbox_item *it;
    while ((it = inbox_pop(cl))) {
        if (!cl->stopped) {
            if (it->reconnected)
                recheck(cl);
            else if (it->ack)
                acked(cl, it->id, it->ok);
            else
                got_message(cl, it);
        }
        free(it);
    }
}

void cluster_wake(struct cluster *cl)
{
    if (cl && !cl->stopped)
        uv_async_send(&cl->async);
}

void cluster_get_stats(const struct cluster *cl, struct cluster_stats *out)
{
    *out = cl->stats;
}

/* ---- without consuming ---- */

int cluster_publish_sync(const struct cluster_config *cfg, const char *msgid,
                         const void *data, size_t len, char *err, size_t errlen)
{
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    natsMsg *m = NULL;
    jsPubAck *pa = NULL;
    char subject[80];
    snprintf(subject, sizeof subject, "%s" CLUSTER_SUBJECT_SUFFIX, cfg->stream);
    int rc = -1;
    if (make_options(&o, cfg, err, errlen))
        return -1;
    natsStatus s = natsConnection_Connect(&nc, o);
    if (s == NATS_OK)
        s = natsConnection_JetStream(&js, nc, NULL);
    if (s == NATS_OK && (int64_t)len > natsConnection_GetMaxPayload(nc) - CLUSTER_PART_SLACK)
        s = NATS_MAX_PAYLOAD;
    if (s == NATS_OK)
        s = natsMsg_Create(&m, subject, NULL, data, (int)len);
    if (s == NATS_OK)
        s = natsMsgHeader_Set(m, "Nats-Msg-Id", msgid);
    jsErrCode je = 0;
    if (s == NATS_OK)
        s = js_PublishMsg(&pa, js, m, NULL, &je);
    if (s == NATS_OK)
        rc = 0;
    else
        snprintf(err, errlen, "cannot publish to the stream %s at %s: %s", cfg->stream,
                 cfg->urls, natsStatus_GetText(s));
    jsPubAck_Destroy(pa);
    natsMsg_Destroy(m);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    natsOptions_Destroy(o);
    return rc;
}

/* ---- stopping ---- */


void cluster_library_close(const struct cluster_config *cfg)
{
    if (cfg->urls && !strstr(cfg->urls, "tls://"))
        nats_CloseAndWait(2000);
}

void cluster_stop(struct cluster *cl)
{
    if (!cl || cl->stopped)
        return;
    uv_mutex_lock(&cl->mu);
    cl->stopped = 1;
    uv_cond_broadcast(&cl->room); /* a delivery thread waiting for room goes on */
    uv_mutex_unlock(&cl->mu);
    /* Close the connection (its threads end) before the loop closes our handles, so no
     * callback of nats.c can wake a closed async. The subscription is not unsubscribed:
     * natsSubscription_Unsubscribe of a JetStream subscription also deletes its consumer
     * with a request that waits for NATS's answer (5 s, nats.c's default, while NATS is
     * unreachable or stalled), and the loop never waits on NATS. The closed connection
     * is the consumer's loss of interest: NATS removes it once idle for its inactive
     * threshold (CLUSTER_CONSUMER_IDLE_NS). Destroyed after the close (which closed
     * it), the subscription sends nothing: no UNSUB, no consumer deletion. (The close
     * itself still flushes bytes not yet written, waiting up to 0.5 s for NATS's PONG:
     * only when something was published in the ~1 ms before, nats.c 3.4's _close.) */
    natsConnection_Close(cl->nc);
    natsSubscription_Destroy(cl->sub);
    cl->sub = NULL;
    uv_timer_stop(&cl->timer);
    uv_close((uv_handle_t *)&cl->timer, NULL);
    uv_close((uv_handle_t *)&cl->async, NULL);
}

void cluster_close(struct cluster *cl)
{
    if (!cl)
        return;
    jsCtx_Destroy(cl->js);
    natsConnection_Destroy(cl->nc);
    natsOptions_Destroy(cl->opts);
    for (struct inbox_item *it = cl->inbox, *next; it; it = next) {
        next = it->next;
        free(it);
    }
    while (cl->pubs)
        pub_free(cl, cl->pubs);
    assembly_free(cl->parts);
    /* nats.c may still run a delivery or acknowledgement callback on its own threads
     * after the connection is destroyed (a delivery thread that waited for room during
     * a catch-up wakes up late): they take cl->mu, see `stopped` and return. So the
     * struct, its mutex and its condition stay valid until the process exits (this is
     * the end of the process): destroying a mutex such a thread held aborted the
     * process at the end of a catch-up (found by bench_smoke's cluster section). */
    retired = cl;
}
