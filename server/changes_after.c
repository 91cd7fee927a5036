/* The in-memory sequence after each kind of committed change. See changes_after.h. */
#include "changes_after.h"

#include <stdio.h>
#include <stdlib.h>

#include "contests.h"
#include "creators.h"
#include "live.h"
#include "logins.h"
#include "log.h"
#include "reports.h"
#include "search.h"
#include "server.h"

/* Positions for live_design_changed when none are known. */
static const size_t no_positions[SORT_COUNT] = {(size_t)-1, (size_t)-1, (size_t)-1};

/* SPEC §8 milestones, from the catalog's count after a vote: a vote that brings the
 * supports to 10, 100, 1,000 or 10,000 leaves the design in srv->milestones_due, and
 * the clock's ticker (phases.c) submits a "milestone" record for it, whose apply counts
 * the stored votes and tells the creator once (every node may submit it: the record of
 * the highest told decides). Nothing is stored on the vote's own path. */
static void milestone_check(struct server *srv, struct dmem *d, int old_value, int new_value)
{
    const struct scale *sc = catalog_scale(d);
    int delta = sc->supports(new_value) - sc->supports(old_value);
    if (delta <= 0)
        return;
    struct tally t;
    catalog_tally(d, &t);
    uint64_t n = t.supports;
    if (n != 10 && n != 100 && n != 1000 && n != 10000)
        return;
    u64map_put(&srv->milestones_due, d->id, (void *)(uintptr_t)n);
}

void after_vote(struct server *srv, struct dmem *d, int old_value, int new_value,
                int promoted)
{
    if (old_value != new_value) {
        /* Positions only in the sorts someone watches: live marks dirty just the
         * windows between the old and the new one. */
        unsigned sorts = live_watched_sorts(srv->live, catalog_gallery_of(d));
        size_t before[SORT_COUNT], after[SORT_COUNT];
        struct creator_share share;
        creators_before(d, &share);
        catalog_positions(d, sorts, before);
        catalog_vote(srv->catalog, d, old_value, new_value);
        creators_after(srv->creators, d, &share);
        catalog_positions(d, sorts, after);
        live_design_changed(srv->live, d, before, after);
    }
    if (promoted)
        after_status(srv, d, ST_SHORTLISTED);
    milestone_check(srv, d, old_value, new_value);
}

void after_status(struct server *srv, struct dmem *d, enum dstatus status)
{
    struct creator_share share;
    creators_before(d, &share);
    if (!catalog_set_status(d, status))
        return;
    creators_after(srv->creators, d, &share);
    live_design_changed(srv->live, d, no_positions, no_positions);
}

void after_hide_bit(struct server *srv, struct dmem *d, int bit, int on)
{
    struct creator_share share;
    creators_before(d, &share);
    if (catalog_set_hidden(srv->catalog, d, bit, on)) {
        creators_after(srv->creators, d, &share);
        live_gallery_changed(srv->live, catalog_gallery_of(d));
    }
    live_design_changed(srv->live, d, no_positions, no_positions);
}

void after_hide(struct server *srv, struct dmem *d, int hidden)
{
    after_hide_bit(srv, d, HIDE_BRAND, hidden);
}

void after_withdrawn(struct server *srv, struct dmem *d)
{
    struct creator_share share;
    creators_before(d, &share);
    catalog_set_status(d, ST_WITHDRAWN);
    creators_after(srv->creators, d, &share);
    after_hide_bit(srv, d, HIDE_WITHDRAWN, 1);
}

void after_suspended(struct server *srv, uint64_t account, int on)
{
    size_t n;
    struct dmem *const *v = creators_designs_of(srv->creators, account, &n);
    for (size_t i = 0; i < n; i++)
        after_hide_bit(srv, v[i], HIDE_SUSPENDED, on);
}

void after_record_changed(struct server *srv, struct dmem *d)
{
    catalog_touch(d);
    live_design_changed(srv->live, d, no_positions, no_positions);
}

void after_edited(struct server *srv, struct dmem *d, const char *const *tags, int ntags)
{
    search_design_changed(srv->search, d->id);
    if (tags)
        catalog_set_tags(srv->catalog, d, tags, ntags);
    else
        catalog_touch(d); /* the title: the design object changed */
    live_gallery_changed(srv->live, catalog_gallery_of(d));
    live_design_changed(srv->live, d, no_positions, no_positions);
}

void after_notices(struct server *srv, const json_t *notices)
{
    size_t i;
    json_t *n;
    json_array_foreach(notices, i, n)
    {
        const char *acct = json_string_value(json_object_get(n, "account"));
        logins_notify(srv, acct ? strtoull(acct, NULL, 10) : 0,
                      json_pack("{sssO}", "ev", "notice", "notice", json_object_get(n, "notice")));
    }
}

void after_account_renamed(struct server *srv, uint64_t account, const char *name)
{
    creators_rename(srv->creators, account, name);
    search_creator_renamed(srv->search, account);
}

struct dmem *after_design_added(struct server *srv, const json_t *record)
{
    int added;
    struct dmem *d = catalog_add(srv->catalog, record, &added);
    if (!d || !added)
        return d;
    search_design_changed(srv->search, d->id);
    if (creators_design_added(srv->creators, d))
        log_error("catalog: the account of design %llu cannot be read: no points for it",
                  (unsigned long long)d->id);
    live_gallery_changed(srv->live, catalog_gallery_of(d));
    return d;
}

void after_comment(struct server *srv, struct dmem *d, uint64_t count, uint64_t id,
                   const char *json)
{
    catalog_set_comments(d, count);
    live_design_changed(srv->live, d, no_positions, no_positions);
    live_comment_posted(srv->live, d, id, json);
}

void after_report(struct server *srv, uint64_t design)
{
    reports_added(srv->reports, design);
}

/* The designs of one gallery with what each added to its creator (after_contest). */
struct reshare {
    const struct cgal *g;
    struct dmem **d;
    struct creator_share *share;
    size_t n, cap;
};

static int reshare_add(void *user, struct dmem *d)
{
    struct reshare *rs = user;
    if (catalog_gallery_of(d) != rs->g)
        return 0;
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? 2 * rs->cap : 64;
        rs->d = xrealloc(rs->d, rs->cap * sizeof *rs->d);
        rs->share = xrealloc(rs->share, rs->cap * sizeof *rs->share);
    }
    rs->d[rs->n] = d;
    creators_before(d, &rs->share[rs->n++]);
    return 0;
}

void after_contest(struct server *srv, const json_t *record)
{
    const char *id = json_string_value(json_object_get(record, "id"));
    const struct cgal *g = id ? catalog_gallery(srv->catalog, id) : NULL;
    struct contest k;
    contest_from_record(record, &k);
    if (!g || contest_sealed(catalog_gallery_contest(g)) == contest_sealed(&k)) {
        catalog_contest_changed(srv->catalog, record);
        return;
    }
    /* SPEC §8: its tallies were sealed and now show (or the other way): its creators'
     * points count its supports from now on, and every window and watcher of it
     * is told. */
    struct reshare rs = {.g = g};
    catalog_each_design(srv->catalog, reshare_add, &rs);
    catalog_contest_changed(srv->catalog, record);
    for (size_t i = 0; i < rs.n; i++) {
        creators_after(srv->creators, rs.d[i], &rs.share[i]);
        live_design_changed(srv->live, rs.d[i], no_positions, no_positions);
    }
    live_gallery_changed(srv->live, g);
    free(rs.d);
    free(rs.share);
}

void after_rescored(void *user, const struct cgal *g)
{
    struct server *srv = user;
    live_gallery_changed(srv->live, g);
}
