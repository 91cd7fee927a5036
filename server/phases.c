/* The phase ticker. See phases.h. */
#include "phases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "ccerr.h"
#include "changes.h"
#include "contests.h"
#include "log.h"
#include "server.h"
#include "stages.h"
#include "u64map.h"
#include "util.h"

#define PHASES_TICK_MS 1000

struct phases {
    uv_timer_t timer;
    struct server *srv;
    struct u64map inflight; /* FNV of contest id → 1 while its record is on its way */
    size_t pending;         /* records submitted and not answered yet */
    int closed;             /* the timer's handle is closed: free once pending is 0 */
};

static void phases_free(struct phases *p)
{
    u64map_free(&p->inflight);
    free(p);
}

static uint64_t key_of(const char *id)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = id; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ULL;
    return h ? h : 1;
}

struct pending {
    struct phases *p;
    uint64_t key;
};

static void applied(struct change *c, int status, void *user)
{
    struct pending *pd = user;
    struct phases *p = pd->p;
    p->srv->inflight--; /* the shutdown's drain waits for these as for requests */
    if (pd->key)
        u64map_del(&p->inflight, pd->key);
    if (!--p->pending && p->closed)
        phases_free(p);
    if (status && status != CC_EBUSY)
        log_warn("a clock record (%s) could not be applied (%s)", change_kind_name(c->kind),
                 ccerr_wire(status));
    change_free(c);
    free(pd);
}

static void on_tick(uv_timer_t *t)
{
    struct phases *p = t->data;
    struct server *srv = p->srv;
    MDB_txn *txn;
    if (srv->draining || store_read_begin(srv->store, &txn))
        return; /* a shutdown submits nothing new */
    json_t *all = json_array();
    int rc = contest_all(txn, srv->store, all);
    int64_t now = server_now(srv);
    size_t i;
    json_t *rec;
    json_array_foreach(all, i, rec)
    {
        struct contest k;
        contest_from_record(rec, &k);
        if (rc || !strcmp(k.id, CONTEST_OPEN))
            continue;
        enum phase ph = contest_phase(&k, now);
        int told = contest_phase_told(txn, srv->store, k.id);
        if (p->closed)
            break;
        uint64_t key = key_of(k.id);
        if ((int)ph == told || u64map_get(&p->inflight, key))
            continue;
        struct change *c = change_new(CH_CONTEST_PHASE, now, 0,
                                      json_pack("{ssss}", "contest", k.id, "phase",
                                                phase_name(ph)));
        struct pending *pd = xmalloc(sizeof *pd);
        *pd = (struct pending){p, key};
        if (changes_submit(srv->changes, c, applied, pd)) {
            change_free(c); /* busy: the next tick tries again */
            free(pd);
            continue;
        }
        u64map_put(&p->inflight, key, (void *)1);
        p->pending++;
        srv->inflight++;
    }
    json_decref(all);
    /* SPEC §8 milestones the catalog saw votes reach (changes_after.c): a record each,
     * whose apply counts the stored votes */
    uint64_t sent[64], design;
    size_t nsent = 0, at = 0;
    void *supports;
    while (!p->closed && nsent < 64 && u64map_next(&srv->milestones_due, &at, &design, &supports)) {
        char id[24];
        snprintf(id, sizeof id, "%llu", (unsigned long long)design);
        struct change *c = change_new(
            CH_MILESTONE, now, 0,
            json_pack("{sssI}", "design", id, "supports", (json_int_t)(uintptr_t)supports));
        struct pending *pd = xmalloc(sizeof *pd);
        *pd = (struct pending){p, 0};
        if (changes_submit(srv->changes, c, applied, pd)) {
            change_free(c); /* busy: the next tick tries again */
            free(pd);
            break;
        }
        p->pending++;
        srv->inflight++;
        sent[nsent++] = design;
    }
    /* after the walk: the submits' effects on the map are not the walk's to know */
    for (size_t j = 0; j < nsent; j++)
        u64map_del(&srv->milestones_due, sent[j]);
    /* SPEC §8 stages: designs whose stage came due expire (the apply decides again) */
    uint64_t due[64];
    size_t n = p->closed ? 0 : stages_due(txn, srv->store, now, due, 64);
    for (size_t j = 0; j < n; j++) {
        uint64_t key = due[j] | (uint64_t)1 << 63;
        if (u64map_get(&p->inflight, key))
            continue;
        char id[24];
        snprintf(id, sizeof id, "%llu", (unsigned long long)due[j]);
        struct change *c = change_new(CH_EXPIRE, now, 0, json_pack("{ss}", "design", id));
        struct pending *pd = xmalloc(sizeof *pd);
        *pd = (struct pending){p, key};
        if (changes_submit(srv->changes, c, applied, pd)) {
            change_free(c);
            free(pd);
            break;
        }
        u64map_put(&p->inflight, key, (void *)1);
        p->pending++;
        srv->inflight++;
    }
    store_read_end(srv->store, txn);
}

void phases_start(struct phases **out, struct server *srv)
{
    struct phases *p = xcalloc(1, sizeof *p);
    p->srv = srv;
    u64map_init(&p->inflight);
    uv_timer_init(srv->loop, &p->timer);
    p->timer.data = p;
    uv_timer_start(&p->timer, on_tick, PHASES_TICK_MS, PHASES_TICK_MS);
    *out = p;
}

static void closed(uv_handle_t *h)
{
    struct phases *p = h->data;
    p->closed = 1;
    if (!p->pending)
        phases_free(p);
}

void phases_stop(struct phases *p)
{
    if (!p)
        return;
    uv_timer_stop(&p->timer);
    uv_close((uv_handle_t *)&p->timer, closed);
}
