/* A creator's own designs and the brand's moderation (SPEC §7): `design.edit`,
 * `design.withdraw` (by the design's creator while its contest takes submissions),
 * `comment.hide`, `account.suspend`, `moderation.list` and the review queue
 * `review.list` (brand: reported designs, then designs uploaded with look-alikes). Each write is a
 * change record whose apply decides (change_design.c, change_moderation.c); the reply
 * follows it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "ccerr.h"
#include "changes.h"
#include "contests.h"
#include "design_view.h"
#include "designs.h"
#include "moderation.h"
#include "ops.h"
#include "reports.h"
#include "search.h"
#include "req.h"
#include "server.h"

/* The refusals the applies give, in words. */
static void own_fail(struct req *r, int status)
{
    switch (status) {
    case CC_EFORBIDDEN:
        req_fail(r, status, "only its creator may change a design", NULL);
        break;
    case CC_ECLOSED:
        req_fail(r, status, "its contest no longer takes submissions, so it can no longer "
                            "be changed", NULL);
        break;
    case CC_ECONFLICT:
        req_fail(r, status, "this design has been withdrawn already", NULL);
        break;
    default:
        req_fail(r, status, NULL, NULL);
    }
}

static void own_reply(struct req *r, struct change *c, int status)
{
    struct dmem *d = catalog_design(req_server(r)->catalog, change_id(c, "design"));
    change_free(c);
    if (status)
        own_fail(r, status);
    else if (!d)
        req_fail(r, CC_EINTERNAL, NULL, NULL);
    else
        design_reply(r, d);
}

/* The design argument, which must be the caller's own (a member's, or the brand
 * acting on its own upload): not_found for a design the caller cannot see, forbidden
 * for somebody else's. */
static struct dmem *own_arg(struct req *r, char id[24])
{
    struct dmem *d = design_arg(r);
    if (!d)
        return NULL;
    if (d->creator != r->sess->account) {
        own_fail(r, CC_EFORBIDDEN);
        return NULL;
    }
    snprintf(id, 24, "%llu", (unsigned long long)d->id);
    return d;
}

void op_design_edit(struct req *r)
{
    char id[24];
    if (!own_arg(r, id))
        return;
    json_t *msg = req_msg(r);
    json_t *title = json_object_get(msg, "title"), *tags = json_object_get(msg, "tags");
    struct jargs_err e = {"title", "or tags is required"};
    json_t *clean = NULL;
    if (!title && !tags) {
        req_fail_args(r, &e);
        return;
    }
    if (title && !json_is_string(title)) {
        snprintf(e.why, sizeof e.why, "must be a string");
        req_fail_args(r, &e);
        return;
    }
    /* The same rules as at upload (the apply checks them again against the record). */
    if (design_check_meta(title ? json_string_value(title) : "x", tags, &clean, &e)) {
        req_fail_args(r, &e);
        return;
    }
    json_t *args = json_pack("{ss}", "design", id);
    if (title)
        json_object_set(args, "title", title);
    if (tags)
        json_object_set(args, "tags", clean);
    json_decref(clean);
    req_change_new(r, CH_DESIGN_EDIT, args, own_reply);
}

void op_design_withdraw(struct req *r)
{
    char id[24];
    if (!own_arg(r, id))
        return;
    req_change_new(r, CH_WITHDRAW, json_pack("{ss}", "design", id), own_reply);
}

/* A reason of 1–500 characters (SPEC §7: who, when and why). -1 after failing r. */
static int reason_arg(struct req *r, const char **reason)
{
    struct jargs_err e;
    if (req_str(r, "reason", JARGS_REQUIRED, 1, MODERATION_REASON_MAX, reason, &e)) {
        req_fail_args(r, &e);
        return -1;
    }
    return 0;
}

static void done_reply(struct req *r, struct change *c, int status)
{
    const char *what = c->kind == CH_COMMENT_HIDE ? "no such comment" : "no such account";
    const char *field = c->kind == CH_COMMENT_HIDE ? "comment" : "account";
    change_free(c);
    if (status == CC_ENOTFOUND)
        req_fail(r, status, what, json_pack("{ss}", "field", field));
    else if (status == CC_EFORBIDDEN)
        req_fail(r, status, "a brand account cannot be suspended", NULL);
    else if (status)
        req_fail(r, status, NULL, NULL);
    else
        req_ok(r, NULL);
}

/* {object: id, flag: bool, reason} into a record of kind: comment.hide and
 * account.suspend. */
static void toggle(struct req *r, int kind, const char *object, const char *flag)
{
    struct jargs_err e;
    const char *id, *reason;
    int on;
    if (req_str(r, object, JARGS_REQUIRED, 1, 24, &id, &e) ||
        req_bool(r, flag, JARGS_REQUIRED, &on, &e)) {
        req_fail_args(r, &e);
        return;
    }
    if (reason_arg(r, &reason))
        return;
    uint64_t n = design_parse_id(id);
    if (!n) {
        char msg[48];
        snprintf(msg, sizeof msg, "no such %s", object);
        req_fail(r, CC_ENOTFOUND, msg, json_pack("{ss}", "field", object));
        return;
    }
    char s[24];
    snprintf(s, sizeof s, "%llu", (unsigned long long)n);
    req_change_new(r, kind, json_pack("{sssbss}", object, s, flag, on, "reason", reason),
                   done_reply);
}

void op_comment_hide(struct req *r)
{
    toggle(r, CH_COMMENT_HIDE, "comment", "hidden");
}

void op_account_suspend(struct req *r)
{
    toggle(r, CH_SUSPEND, "account", "suspended");
}

void op_moderation_list(struct req *r)
{
    uint64_t before;
    size_t limit;
    if (req_page_args(r, "a moderation entry id", 50, MODERATION_PAGE_MAX, &before, &limit))
        return;
    struct server *srv = req_server(r);
    MDB_txn *txn;
    json_t *list = NULL;
    int more = 0;
    if (!store_read_begin(srv->store, &txn)) {
        list = moderation_list(txn, srv->store, before, limit, &more);
        store_read_end(srv->store, txn);
    }
    if (!list)
        req_fail(r, CC_EINTERNAL, NULL, NULL);
    else
        req_ok(r, json_pack("{sosb}", "entries", list, "more", more));
}

static void dismiss_reply(struct req *r, struct change *c, int status)
{
    change_free(c);
    if (status == CC_ENOTFOUND)
        req_fail(r, status, "this design has no reports or look-alikes to dismiss",
                 json_pack("{ss}", "field", "design"));
    else if (status)
        req_fail(r, status, NULL, NULL);
    else
        req_ok(r, NULL);
}

/* review.dismiss {design} (brand): its reports are looked at and kept; it leaves the
 * queue until someone reports it again. */
void op_review_dismiss(struct req *r)
{
    struct dmem *d = design_arg(r);
    if (!d)
        return;
    char s[24];
    snprintf(s, sizeof s, "%llu", (unsigned long long)d->id);
    req_change_new(r, CH_DISMISS, json_pack("{ss}", "design", s), dismiss_reply);
}

struct flag_list {
    const struct reports *rp;
    uint64_t *v;
    size_t n, cap;
};

/* A design flagged with look-alikes joins the queue unless it has reports (listed
 * already, or dismissed) or its look-alikes were dismissed. */
static void add_flagged(void *user, uint64_t design)
{
    struct flag_list *fl = user;
    if (reports_count(fl->rp, design) || reports_is_dismissed(fl->rp, design))
        return;
    if (fl->n == fl->cap) {
        fl->cap = fl->cap ? 2 * fl->cap : 16;
        fl->v = xrealloc(fl->v, fl->cap * sizeof *fl->v);
    }
    fl->v[fl->n++] = design;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* review.list {contest?, limit?}: designs with reports, most reported first, each
 * {design, reports, reasons:[{reason, at}] (up to REVIEW_REASONS_MAX, oldest first)}. */
#define REVIEW_REASONS_MAX 20
void op_review_list(struct req *r)
{
    struct jargs_err e;
    const char *contest = NULL;
    json_int_t limit = 50;
    if (req_str(r, "contest", JARGS_OPTIONAL, 1, CONTEST_ID_MAX, &contest, &e) < 0 ||
        req_int(r, "limit", JARGS_OPTIONAL, 1, CATALOG_PAGE_MAX, &limit, &e) < 0) {
        req_fail_args(r, &e);
        return;
    }
    struct server *srv = req_server(r);
    uint64_t *ids;
    size_t n, total = 0, shown = 0;
    reports_ranked(srv->reports, &ids, &n);
    /* then the designs uploaded with look-alikes (SPEC §8) that have no reports left to
     * review, by id */
    struct flag_list fl = {srv->reports, NULL, 0, 0};
    search_flagged(srv->search, add_flagged, &fl);
    if (fl.n > 1)
        qsort(fl.v, fl.n, sizeof *fl.v, cmp_u64);
    ids = xrealloc(ids, (n + fl.n + 1) * sizeof *ids);
    if (fl.n)
        memcpy(ids + n, fl.v, fl.n * sizeof *ids);
    n += fl.n;
    free(fl.v);
    MDB_txn *txn;
    int rc = store_read_begin(srv->store, &txn), opened = !rc;
    struct ccbuf b;
    ccbuf_init(&b);
    ccbuf_append_str(&b, "{\"items\":[");
    for (size_t i = 0; !rc && i < n; i++) {
        struct dmem *d = catalog_design(srv->catalog, ids[i]);
        if (!d || (contest && strcmp(catalog_contest(d)->id, contest)))
            continue;
        if (total++ >= (size_t)limit)
            continue;
        if (shown++)
            ccbuf_append(&b, ",", 1);
        ccbuf_append_str(&b, "{\"design\":");
        rc = design_item_json(&srv->view, txn, d, r->sess, &b);
        char head[64];
        snprintf(head, sizeof head, ",\"reports\":%u,\"reasons\":",
                 (unsigned)reports_count(srv->reports, d->id));
        ccbuf_append_str(&b, head);
        if (!rc)
            rc = reports_reasons(txn, srv->store, d->id, REVIEW_REASONS_MAX, &b);
        search_similar_json(srv->search, d, &b);
        ccbuf_append(&b, "}", 1);
    }
    if (opened)
        store_read_end(srv->store, txn);
    free(ids);
    if (rc) {
        ccbuf_free(&b);
        req_fail(r, CC_EINTERNAL, NULL, NULL);
        return;
    }
    char tail[48];
    snprintf(tail, sizeof tail, "],\"total\":%zu}", total);
    ccbuf_append_str(&b, tail);
    req_ok_raw(r, (const char *)b.data, b.len);
    ccbuf_free(&b);
}
