/* What follows a committed change in memory: one function per kind of change, each
 * the one fixed sequence through the catalog, the creators' points, the report counts
 * and the live windows. The ops' done callbacks call these after their commit (the
 * post-commit step of issue 14 will call them from changes.c); the catalog, creators,
 * reports and live never call each other. Loop thread only. */
#ifndef CC_CHANGES_AFTER_H
#define CC_CHANGES_AFTER_H

#include <jansson.h>
#include <stdint.h>

#include "catalog.h"

struct server;

/* A vote of d changed from old_value to new_value (0 = none; equal: nothing changed)
 * and, when promoted, the vote's threshold moved d to `shortlisted`: tally and ranks,
 * the creator's points, then the windows between d's old and new positions and its
 * watchers. */
void after_vote(struct server *srv, struct dmem *d, int old_value, int new_value,
                int promoted);
/* d's status became status: the status filter, the creator's points and wins, the
 * windows that show d or filter, its watchers. */
void after_status(struct server *srv, struct dmem *d, enum dstatus status);
/* d's stored `hidden` flag changed to hidden: out of (or back into) its gallery's
 * indexes, the creator's points, every window of the gallery, its watchers (those who
 * may still see it: creator and brand). */
void after_hide(struct server *srv, struct dmem *d, int hidden);
/* The same for one reason bit (HIDE_*) of d. */
void after_hide_bit(struct server *srv, struct dmem *d, int bit, int on);
/* d was withdrawn by its creator: status, out of the galleries, points, windows,
 * watchers. */
void after_withdrawn(struct server *srv, struct dmem *d);
/* account was suspended (on) or reinstated: each of its designs leaves or rejoins
 * the galleries as after_hide does. */
void after_suspended(struct server *srv, uint64_t account, int on);
/* An apply wrote d's record beside what the other steps here follow (a milestone, a
 * stage reached: fields of its design object): its windows get it whole again, its
 * watchers anew. */
void after_record_changed(struct server *srv, struct dmem *d);
/* d's creator edited it (design.edit): tags (when tags) for the filters, then every
 * window of its gallery and its watchers. */
void after_edited(struct server *srv, struct dmem *d, const char *const *tags, int ntags);
/* notices (c->out.notices: [{account, notice}], may be NULL) were stored: each goes to
 * every connection of its account as {"ev":"notice","notice":{...}}. */
void after_notices(struct server *srv, const json_t *notices);
/* account is now called name (an erased account): the leaderboard's copy. */
void after_account_renamed(struct server *srv, uint64_t account, const char *name);
/* A design record was stored (upload.commit): the catalog, its creator (a first
 * design joins the leaderboard), every window of its gallery. Returns the design
 * (also when the catalog had it already), or NULL when the record is unusable. */
struct dmem *after_design_added(struct server *srv, const json_t *record);
/* Comment id (its JSON object, borrowed) was stored on d, which now has count
 * comments: the count, the windows that show d, its watchers (comments_new). */
void after_comment(struct server *srv, struct dmem *d, uint64_t count, uint64_t id,
                   const char *json);
/* A report of design was stored: its count (shown to the brand). */
void after_report(struct server *srv, uint64_t design);
/* A contest record was stored (created or updated): the settings its gallery keeps. */
void after_contest(struct server *srv, const json_t *record);
/* The catalog's hook (catalog_on_rescored, user = the server): scores of g were
 * refreshed, so every window of g may change. */
void after_rescored(void *srv, const struct cgal *g);

#endif
