/* The in-memory catalog: every design's ranking facts (tally, scores, status, tags)
 * and, per contest, the ranked indexes of SPEC §5 (`new`, `top`, `hot`: rank.c
 * order-statistic trees, visible designs only) with secondary indexes for the filters (creator,
 * tag, status). Rebuilt from LMDB at start (designs, then votes); afterwards changed only after the
 * writer committed, so it never runs ahead of what is durable. `hot` scores decay with time and
 * `stars5` scores depend on the contest's mean: both are refreshed by a rescoring timer that visits
 * at most CATALOG_RESCORE_BATCH designs per gallery per second, in slices of CATALOG_RESCORE_SLICE
 * per loop turn, walking the `hot` order and re-keying it in place (rank_rekey; see
 * docs/architecture.md for the staleness bound). The catalog tells nobody about changes: its
 * callers (changes_after.c) pass them on to creators and live views; only the rescoring timer
 * reports, through the hook catalog_on_rescored. The creator filter reads the creators module's
 * lists through catalog_set_designs_of. Thread use: loop thread only. */
#ifndef CC_CATALOG_H
#define CC_CATALOG_H

#include <jansson.h>
#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "clock.h"

#include "scale.h"
#include "util.h"

struct contest;

struct catalog;
struct cgal;
struct store;

/* SPEC §4: limit ≤ 100, default 24. */
#define CATALOG_PAGE_MAX 100
#define CATALOG_PAGE_DEFAULT 24
/* Rescoring: one tick a second starts a pass of at most CATALOG_RESCORE_BATCH designs
 * per gallery, done CATALOG_RESCORE_SLICE designs per loop turn (a few ms at most). */
#define CATALOG_RESCORE_MS 1000
#define CATALOG_RESCORE_BATCH 50000
#define CATALOG_RESCORE_SLICE 512
/* A filter whose smallest index has at most this many designs is answered by sorting
 * those designs; a larger one by walking the ranked index and skipping non-matches. */
#define CATALOG_SELECTIVE 4096

enum sort { SORT_NEW = 0, SORT_TOP = 1, SORT_HOT = 2, SORT_COUNT = 3 };

/* SPEC §2 design statuses. */
enum dstatus {
    ST_SUBMITTED,
    ST_SHORTLISTED,
    ST_WINNER,
    ST_NOT_SELECTED,
    ST_IN_PRODUCTION,
    ST_LAUNCHED,
    ST_WITHDRAWN, /* by its creator (SPEC §7) */
    ST_EXPIRED,   /* a stage missed (SPEC §8): no more votes */
    ST_COUNT
};

/* One design in memory: ~90 bytes, allocated from the catalog's arena (designs are
 * never freed one by one), tags inline after it. */
struct dmem {
    uint64_t id;
    uint64_t creator;
    struct cgal *gal;
    void *shown; /* design_view.c's: its entry in the record cache (NULL: none). One
                    record cache a catalog */
    double score[SORT_COUNT]; /* the keys it is indexed under; score[SORT_NEW] is the
                                 creation time (Unix seconds, exact in a double): see
                                 catalog_created() */
    uint32_t c[SCALE_COUNTERS]; /* vote counters, as its scale defines them
                                   (scale.h, server/scales/) */
    uint16_t version;         /* bumped on every change of its data but the tally and
                                 scores (live.c diffs: 65,536 changes of one design
                                 between two flushes of 100 ms would look like none) */
    uint16_t tversion;        /* bumped when its tally or top score changes: the part a
                                 sealed contest (SPEC §8) does not show everyone */
    uint8_t status;           /* enum dstatus */
    uint8_t hidden;           /* why it is out of the galleries: HIDE_* bits, 0 = visible */
    uint8_t ntags;
    uint8_t tagcap : 4;       /* room in tags[], or DMEM_TAGS_MOVED: an edit (design.edit)
                                 outgrew it and they live in the gallery's moved_tags */
    uint8_t kind : 4;         /* 1 + its kind's place in kind_all() (0: unknown) */
    uint32_t comments; /* comments posted on it */
    uint32_t tags[];   /* ntags interned tag ids (≤ DESIGN_TAGS_MAX) */
};

/* Why a design is hidden (struct dmem's hidden): any bit keeps it out of the galleries
 * for everyone but its creator and the brand. */
enum { HIDE_BRAND = 1, HIDE_WITHDRAWN = 2, HIDE_SUSPENDED = 4 };
#define DMEM_TAGS_MOVED 0xF
/* The number a kind has in struct dmem and gallery_query (1 + its place in kind_all()),
 * 0 for a name that is no kind. */
int catalog_kind_number(const char *name);
/* d's tag ids (d->ntags of them). */
const uint32_t *catalog_tags(const struct dmem *d);

/* A gallery query (gallery.get / gallery.subscribe). */
struct gallery_query {
    char contest[65];
    enum sort sort;
    size_t offset, limit;
    uint64_t creator; /* 0 = any */
    char tag[25];     /* "" = any */
    int status;       /* -1 = any */
    int kind;         /* 0 = any, else catalog_kind_number() */
    int random;       /* SPEC §8 lucky dip: a stable shuffle by seed (sort is ignored) of
                         the designs with ids up to until */
    uint64_t seed, until;
    uint64_t hidden_of; /* whose hidden designs the viewer sees too (SPEC §5): 0 nobody's,
                           CATALOG_HIDDEN_ALL (the brand), or an account id (a creator,
                           in a gallery filtered to their own designs) */
};
#define CATALOG_HIDDEN_ALL UINT64_MAX

const char *sort_name(enum sort s);
int sort_parse(const char *name); /* -1 if unknown */
const char *status_name(enum dstatus s);
int status_parse(const char *name); /* -1 if unknown */

/* Start-up: builds the catalog from the designs, votes and comment counts in st
 * (borrowed, as is clock; both outlive the catalog) and starts the rescoring timer on
 * loop. *out is set even on failure: stop and close it then. Returns 0 or an error. */
int catalog_open(struct catalog **out, uv_loop_t *loop, struct store *st,
                 const struct clock *clock);
/* The rescoring timer re-scored designs of g (their order may have changed): fn(user,
 * g), also from catalog_settle. May be set once, after catalog_open. */
typedef void (*catalog_rescored_fn)(void *user, const struct cgal *g);
void catalog_on_rescored(struct catalog *cat, catalog_rescored_fn fn, void *user);
/* Shutdown (loop thread, before the loop ends): stops the timer. NULL-safe. */
void catalog_stop(struct catalog *cat);
/* After the loop ended: frees everything. NULL-safe. */
void catalog_close(struct catalog *cat);

/* The gallery of contest id (made on first use), or NULL if there is no such contest. */
const struct cgal *catalog_gallery(struct catalog *cat, const char *contest);
/* The gallery d is in. */
const struct cgal *catalog_gallery_of(const struct dmem *d);
/* d's data changed (its version), or its tally or top score (its tversion): the one
 * way to say so, since its gallery's generation moves with them. */
void catalog_touch(struct dmem *d);
void catalog_touch_tally(struct dmem *d);
/* Moves whenever anything a page of g shows may have changed but its designs' stored
 * records and their order: a design's data, tally or score, the contest's settings. */
uint64_t catalog_gallery_gen(const struct cgal *g);
/* The number of visible designs of g (a plain page's total) and, in *version, the
 * version of their order in sort s (rank_version): together with the generation above
 * and the stored records, all that a plain page of g shows. */
size_t catalog_gallery_order(const struct cgal *g, enum sort s, uint64_t *version);
/* The design with this id, or NULL. */
struct dmem *catalog_design(const struct catalog *cat, uint64_t id);
/* Calls fn for every design, in id order (oldest first). Returns the first non-zero fn
 * returned, else 0. */
int catalog_each_design(const struct catalog *cat, int (*fn)(void *user, struct dmem *d),
                        void *user);
/* The index of the creator filter: the designs of account creator (every contest,
 * hidden ones too), *n of them, borrowed. The creators module keeps these lists
 * (creators_designs_of), so the catalog keeps none of its own. Without one, a
 * creator filter matches nothing. */
typedef struct dmem *const *(*catalog_designs_of_fn)(void *user, uint64_t creator, size_t *n);
void catalog_set_designs_of(struct catalog *cat, catalog_designs_of_fn fn, void *user);
/* Adds a design from its stored record (after the commit that stored it): the design,
 * *added 1 when it is new, 0 when the catalog had it; NULL when the record is
 * malformed or names an unknown contest. */
struct dmem *catalog_add(struct catalog *cat, const json_t *record, int *added);
/* d's creation time (Unix seconds). */
int64_t catalog_created(const struct dmem *d);
/* The tally of d as SPEC §2's struct. */
void catalog_tally(const struct dmem *d, struct tally *t);
/* The voting scale of d's contest. */
const struct scale *catalog_scale(const struct dmem *d);
/* The id of d's contest (borrowed). */
const char *catalog_contest_id(const struct dmem *d);
/* The settings of d's contest (borrowed), as last committed: loaded with its gallery,
 * then kept current by catalog_contest_changed. */
const struct contest *catalog_contest(const struct dmem *d);
/* The same for a gallery. */
const struct contest *catalog_gallery_contest(const struct cgal *g);
/* After a contest record was committed (created or updated): refreshes the settings
 * its gallery keeps, if it has one yet. */
void catalog_contest_changed(struct catalog *cat, const json_t *record);
/* Applies one voter's change on d from old (0 = none) to new (0 = cleared) and
 * re-ranks d. Values are checked by the caller for the scale. */
void catalog_vote(struct catalog *cat, struct dmem *d, int old_value, int new_value);
/* d's 0-based positions in the sorts whose bit (1 << sort) is set in sorts, among
 * `top` and `hot` (the sorts a vote moves it in); (size_t)-1 for the others, and for
 * all when d is hidden. */
void catalog_positions(const struct dmem *d, unsigned sorts, size_t *pos);
/* d's 1-based position in its contest's `top` ranking, 0 when hidden. */
size_t catalog_rank(const struct dmem *d);
/* Sets (on) or clears one HIDE_* reason of d; d leaves or rejoins the galleries when
 * its visibility changes. Returns 1 when it did, 0 otherwise. */
int catalog_set_hidden(struct catalog *cat, struct dmem *d, int bit, int on);
/* d's tags are now tags[0..n) (design.edit): its tag filters follow. */
void catalog_set_tags(struct catalog *cat, struct dmem *d, const char *const *tags, int n);
/* d's comment count is now count (after the commit that stored a new comment). */
void catalog_set_comments(struct dmem *d, uint64_t count);
/* Records d's new status for the status filter. Returns 1, or 0 when it had it. */
int catalog_set_status(struct dmem *d, enum dstatus status);
/* Brings the `top` scores of contest's gallery up to date at once, where the rescoring
 * timer may not have yet: a gallery whose scale uses the contest mean and whose mean
 * moved since its last pass is re-scored whole (O(n log n)); any other gallery needs
 * nothing. For answers that must be exact (contest.results, the export's manifest). */
void catalog_settle(struct catalog *cat, const char *contest);
/* Answers q: up to q->limit designs into out (room for CATALOG_PAGE_MAX), *total the
 * number matching (hidden designs only as q->hidden_of allows). Returns the count, or
 * CC_ENOTFOUND for an unknown contest. */
int catalog_page(struct catalog *cat, const struct gallery_query *q, struct dmem **out,
                 size_t *total);
/* The newest design id the catalog holds (0: none): a lucky dip's default cut-off. */
uint64_t catalog_newest_id(const struct catalog *cat);
/* Bytes used by designs and indexes, and the number of designs (for /metrics). */
void catalog_memory(const struct catalog *cat, size_t *bytes, size_t *designs);

#endif
