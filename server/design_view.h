/* How a design looks to a viewer (SPEC §2, §5): visibility, the design object and the
 * gallery window as JSON text. Below the ops, live.c, http.c and export.c: each of them
 * shows designs the same way through this. Loop thread only. */
#ifndef CC_DESIGN_VIEW_H
#define CC_DESIGN_VIEW_H

#include <jansson.h>
#include <lmdb.h>
#include <stdint.h>

#include "accounts.h"
#include "catalog.h"
#include "session.h"
#include "store.h"
#include "util.h"

struct reports;
struct record_cache;
struct page_cache;

/* What showing a design reads (borrowed; the server fills it once at start-up). */
struct design_view {
    struct store *store;     /* the stored design records */
    struct catalog *catalog; /* tallies, scores, pages */
    struct reports *reports; /* report counts, shown to the brand */
    struct record_cache *records; /* the design records last read (NULL: none kept) */
    struct page_cache *pages;     /* plain pages' items last shown (NULL: none kept) */
    uint64_t records_gen;         /* moves with every commit that wrote a design record */
    struct votes_seen *seen;      /* the votes the post-commit steps saw (votes.h) */
};

/* The post-commit step of a change that wrote design records: cached records and
 * pages are stale from now on. */
void design_view_records_written(struct design_view *v);

/* The record cache: the stored bytes of design records shown lately, so that a page of
 * 24 designs does not walk LMDB's tree 24 times, each with the end of the design object
 * last built from it (its live fields and thumbnail), shown again while the design's
 * tally, comment count and top score are those it was made from. Bounded by max_bytes
 * (records, their ends and headers; at the bound a sweep drops about a quarter of
 * them). Exact: the post-commit
 * step of every change that wrote a design record empties it (record_cache_invalidate)
 * before anything is shown again, so it never serves a record older than the last
 * commit shown. Loop thread only. */
struct record_cache *record_cache_new(size_t max_bytes);
void record_cache_free(struct record_cache *c); /* NULL-safe */
/* Every cached record is stale (O(1): a generation). NULL-safe. */
void record_cache_invalidate(struct record_cache *c);
/* For /metrics: bytes held, records held, hits and misses since the start. */
void record_cache_stats(const struct record_cache *c, size_t *bytes, size_t *records,
                        uint64_t *hits, uint64_t *misses);

/* The page cache: the items of plain pages (no filter, as anyone but the brand sees
 * them; their contest not sealing tallies) as shown lately, kept by their positions in
 * a gallery's order in one sort, in blocks of 32 positions, each block under the stamp
 * it was made with: the gallery's generation (catalog_gallery_gen: tallies, scores,
 * data, settings), its order's version in the sort (catalog_gallery_order) and the
 * view's records_gen. A page at any offset whose every position is kept under the
 * stamp of now is copied from the blocks, reading neither its designs nor the order;
 * any other is built, and its items kept once the gallery's stamp has stood quiet_ms
 * (a gallery taking votes all the time keeps none: they would be stale before another
 * page could use them). Exact: anything that changes what a plain page shows moves the
 * stamp. Bounded by max_bytes (blocks, their text and headers; at the bound a sweep
 * drops about a quarter of them). Loop thread only. */
struct page_cache *page_cache_new(size_t max_bytes, unsigned quiet_ms);
void page_cache_free(struct page_cache *c); /* NULL-safe */
/* For /metrics: bytes held, items held, plain pages served from it, plain pages built. */
void page_cache_stats(const struct page_cache *c, size_t *bytes, size_t *items, uint64_t *hits,
                      uint64_t *misses);

/* Whether viewer (0 = anonymous) with role may see the design of this stored record:
 * hidden designs only their creator and the brand. */
int design_visible(const json_t *record, uint64_t viewer, enum role role);
/* The same for a design in memory and a session (borrowed). */
int dmem_visible(const struct dmem *d, const struct session *s);

/* SPEC §8 hidden tallies: whether d's contest seals its tallies now (contest_sealed:
 * it hides them and its voting has not closed). */
int dmem_sealed(const struct dmem *d);
/* Whether viewer (NULL = anyone) is shown d's tally and score: always, unless d is
 * sealed; then only the brand, d's creator, and a member who has a vote on d (as the
 * loop thread sees it: votes_lookup). */
int design_tally_seen(const struct design_view *v, MDB_txn *txn, const struct dmem *d,
                      const struct session *viewer);
/* Appends d's tally as its JSON object (as tally_json writes it), without jansson:
 * the vote reply and the page writer's hot path. */
void design_tally_json(const struct dmem *d, struct ccbuf *out);
/* Appends d's SPEC §2 design object as JSON text to out, from its record in txn and
 * the live tally, comment count and score — or, when tally is 0 (a sealed tally the
 * viewer may not see), "tally":null and "score":null. Returns 0 or a store error. */
int design_json(const struct design_view *v, MDB_txn *txn, const struct dmem *d, int tally,
                struct ccbuf *out);
/* Appends the part of d's design object that changes while it sits in a gallery
 * window: {"id","tally","comments","score","status"} (gallery.update items for designs
 * the subscriber already holds; docs/protocol.md), tally and score as design_json. */
void design_delta_json(const struct dmem *d, int tally, struct ccbuf *out);
/* design_json as viewer (NULL = anyone) sees it: with `reports` for the brand, the
 * tally as design_tally_seen says. */
int design_item_json(const struct design_view *v, MDB_txn *txn, const struct dmem *d,
                     const struct session *viewer, struct ccbuf *out);
/* Appends the window {<prefix>"total":N,"items":[...]} of query q as JSON text, its
 * items as viewer (NULL = anyone) sees them. Returns 0, CC_ENOTFOUND (no such
 * contest) or a store error. */
int gallery_window_json(const struct design_view *v, const struct gallery_query *q,
                        const struct session *viewer, struct ccbuf *out, const char *prefix);

#endif
