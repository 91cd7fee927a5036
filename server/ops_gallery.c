/* Op `gallery.get` (SPEC §4, §5): a page of a contest's ranked gallery. The reply is
 * built as text straight from the stored records plus the live tallies. */
#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "ccerr.h"
#include "contests.h"
#include "design_view.h"
#include "designs.h"
#include "live.h"
#include "ops.h"
#include "req.h"
#include "server.h"

/* SPEC §8's lucky dip: seed (an integer, 0 to 2^53; a new one when absent) and until
 * (the newest design id the order covers; the newest now when absent). -1 after
 * failing r. */
static int random_args(struct req *r, struct gallery_query *q)
{
    struct jargs_err e;
    json_int_t seed;
    const char *until = NULL;
    int rc = req_int(r, "seed", JARGS_OPTIONAL, 0, (json_int_t)1 << 53, &seed, &e);
    if (rc < 0 || req_str(r, "until", JARGS_OPTIONAL, 1, 24, &until, &e) < 0) {
        req_fail_args(r, &e);
        return -1;
    }
    if (rc == 1) {
        uint64_t x;
        random_bytes(&x, sizeof x);
        seed = (json_int_t)(x & (((uint64_t)1 << 53) - 1));
    }
    q->random = 1;
    q->seed = (uint64_t)seed;
    if (until && !(q->until = design_parse_id(until))) {
        e.field = "until";
        snprintf(e.why, sizeof e.why, "must be a design id");
        req_fail_args(r, &e);
        return -1;
    }
    if (!until)
        q->until = catalog_newest_id(req_server(r)->catalog);
    return 0;
}

int gallery_parse_query(struct req *r, struct gallery_query *q)
{
    struct jargs_err e;
    const char *contest = CONTEST_OPEN, *sort, *creator = NULL, *tag = NULL, *status = NULL,
               *kind = NULL;
    json_int_t offset = 0, limit = CATALOG_PAGE_DEFAULT;
    if (req_str(r, "contest", JARGS_OPTIONAL, 1, CONTEST_ID_MAX, &contest, &e) < 0 ||
        req_str(r, "sort", JARGS_REQUIRED, 1, 16, &sort, &e) < 0 ||
        req_int(r, "offset", JARGS_OPTIONAL, 0, INT32_MAX, &offset, &e) < 0 ||
        req_int(r, "limit", JARGS_OPTIONAL, 1, CATALOG_PAGE_MAX, &limit, &e) < 0 ||
        req_str(r, "creator", JARGS_OPTIONAL, 1, 32, &creator, &e) < 0 ||
        req_str(r, "tag", JARGS_OPTIONAL, 1, DESIGN_TAG_MAX, &tag, &e) < 0 ||
        req_str(r, "status", JARGS_OPTIONAL, 1, 32, &status, &e) < 0 ||
        req_str(r, "kind", JARGS_OPTIONAL, 1, 16, &kind, &e) < 0) {
        req_fail_args(r, &e);
        return -1;
    }
    memset(q, 0, sizeof *q);
    str_copy(q->contest, sizeof q->contest, contest);
    int s = strcmp(sort, "random") ? sort_parse(sort) : SORT_NEW;
    if (s < 0) {
        e.field = "sort";
        snprintf(e.why, sizeof e.why, "must be new, top, hot or random");
        req_fail_args(r, &e);
        return -1;
    }
    q->sort = (enum sort)s;
    if (!strcmp(sort, "random") && random_args(r, q))
        return -1;
    q->offset = (size_t)offset;
    q->limit = (size_t)limit;
    q->status = -1;
    if (creator && !(q->creator = design_parse_id(creator))) {
        e.field = "creator";
        snprintf(e.why, sizeof e.why, "must be an account id");
        req_fail_args(r, &e);
        return -1;
    }
    if (tag)
        snprintf(q->tag, sizeof q->tag, "%s", tag);
    if (kind && !(q->kind = catalog_kind_number(kind))) {
        e.field = "kind";
        snprintf(e.why, sizeof e.why, "must be artwork or level");
        req_fail_args(r, &e);
        return -1;
    }
    if (status && (q->status = status_parse(status)) < 0) {
        e.field = "status";
        snprintf(e.why, sizeof e.why, "is not a design status");
        req_fail_args(r, &e);
        return -1;
    }
    /* SPEC §8: a contest that hides its tallies is ordered by them for the brand only
     * until its voting closed */
    const struct cgal *g = catalog_gallery(req_server(r)->catalog, q->contest);
    if (!q->random && q->sort != SORT_NEW && r->sess->role != ROLE_BRAND && g &&
        contest_sealed(catalog_gallery_contest(g))) {
        req_fail(r, CC_EFORBIDDEN,
                 "this contest hides its tallies until voting closes: browse it by new or "
                 "random",
                 json_pack("{ss}", "reason", "tallies_hidden"));
        return -1;
    }
    /* SPEC §5: hidden designs appear to the brand, and to their creator (in the gallery
     * of their own designs: a general gallery is the same for every member). */
    if (r->sess->role == ROLE_BRAND)
        q->hidden_of = CATALOG_HIDDEN_ALL;
    else if (q->creator && q->creator == r->sess->account)
        q->hidden_of = q->creator;
    return 0;
}

void op_gallery_get(struct req *r)
{
    struct gallery_query q;
    if (gallery_parse_query(r, &q))
        return;
    struct ccbuf b; /* the reply, built in place: a page is ~9 KB */
    req_reply_open(r, &b, q.limit * 512);
    char dip[80] = "";
    if (q.random) /* the order's seed and cut-off, to page it */
        snprintf(dip, sizeof dip, "\"seed\":%llu,\"until\":\"%llu\",",
                 (unsigned long long)q.seed, (unsigned long long)q.until);
    int rc = gallery_window_json(&req_server(r)->view, &q, r->sess, &b, dip);
    if (rc) {
        ccbuf_free(&b);
        req_fail(r, rc, rc == CC_ENOTFOUND ? "no such contest" : NULL,
                 rc == CC_ENOTFOUND ? json_pack("{ss}", "field", "contest") : NULL);
    } else {
        req_reply_send(r, &b);
    }
}

void op_gallery_subscribe(struct req *r)
{
    struct gallery_query q;
    if (gallery_parse_query(r, &q))
        return;
    if (q.random) {
        struct jargs_err e = {"sort", "random is no live order: page it with gallery.get"};
        req_fail_args(r, &e);
        return;
    }
    struct ccbuf b;
    ccbuf_init(&b);
    int rc = live_subscribe(req_server(r)->live, r->sess, &q, &b);
    if (rc == CC_ETOOLARGE)
        req_fail(r, rc, "too many subscriptions on this connection",
                 json_pack("{si}", "limit", LIVE_SUBS_PER_CONN));
    else if (rc)
        req_fail(r, rc, rc == CC_ENOTFOUND ? "no such contest" : NULL,
                 rc == CC_ENOTFOUND ? json_pack("{ss}", "field", "contest") : NULL);
    else
        req_ok_raw(r, (const char *)b.data, b.len);
    ccbuf_free(&b);
}

void op_gallery_unsubscribe(struct req *r)
{
    struct jargs_err e;
    const char *sub;
    if (req_str(r, "sub", JARGS_REQUIRED, 1, 23, &sub, &e)) {
        req_fail_args(r, &e);
        return;
    }
    if (live_unsubscribe(req_server(r)->live, r->sess, sub))
        req_fail(r, CC_ENOTFOUND, "no such subscription on this connection",
                 json_pack("{ss}", "field", "sub"));
    else
        req_ok(r, NULL);
}
