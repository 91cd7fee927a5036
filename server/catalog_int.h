/* Inside the catalog (catalog.c, catalog_page.c, catalog_load.c): its structures and
 * the helpers its files share. Not for other modules: they use catalog.h. Loop thread
 * only, but for cat_load's helper threads at start-up, each on structures of its own
 * (catalog_load.c). */
#ifndef CC_CATALOG_INT_H
#define CC_CATALOG_INT_H

#include <uv.h>

#include "clock.h"

#include "catalog.h"
#include "contests.h"
#include "designs.h"
#include "rank.h"
#include "u64map.h"

/* An unordered list of designs (a secondary index). */
struct dvec {
    struct dmem **v;
    size_t n, cap;
};

struct cgal {
    char id[65];
    const struct scale *scale;
    struct contest contest; /* its settings, kept current by catalog_contest_changed */
    struct rank *rank[SORT_COUNT]; /* visible designs */
    size_t rescore_at;             /* next position in rank[SORT_NEW] to rescore */
    size_t rescore_left;           /* designs still to rescore in this pass */
    struct u64map by_tag;          /* tag id → struct dvec * (visible) */
    struct dvec by_status[ST_COUNT];
    struct dvec hidden;            /* hidden designs (few: moderation), for the brand */
    struct u64map moved_tags;      /* design id → uint32_t[DESIGN_TAGS_MAX] (arena) */
    uint64_t mean_sum, mean_votes; /* scales that use_mean: for the contest mean m */
    double mean_ranked;            /* the m that the top scores were computed with */
    uint64_t gen; /* bumped with any design's version or tversion, and by a settings
                     change: what a page of it shows may have changed (design_view.c's
                     first pages) */
    struct cgal *next;
};

struct tag_name {
    uint64_t hash;
    uint32_t id;
    char name[25];
    struct tag_name *next; /* same hash */
};

/* Bump allocation for struct dmem: no allocator header per design. */
#define CATALOG_ARENA_CHUNK (1u << 20)
struct arena_chunk {
    struct arena_chunk *next;
    size_t used;
    _Alignas(8) unsigned char mem[CATALOG_ARENA_CHUNK];
};

struct catalog {
    struct store *store;  /* borrowed: contests are read when a gallery is made */
    struct clock clock;
    catalog_rescored_fn on_rescored;
    void *on_rescored_user;
    struct arena_chunk *arena;
    struct dmem **by_id; /* index = design id */
    size_t cap_id;
    size_t designs;
    struct cgal *gals;
    struct u64map tags; /* FNV-1a hash → struct tag_name chain */
    catalog_designs_of_fn designs_of; /* the creator filter's index (creators.c) */
    void *designs_of_user;
    uint32_t next_tag;
    uv_timer_t rescore;
    uv_idle_t slice; /* runs rescoring slices while a pass has work left */
    size_t bytes;
};

/* The fields of a design record the catalog keeps. */
struct facts {
    uint64_t id, creator;
    int64_t created;
    char contest[65];
    int status; /* -1 when absent or unknown */
    int hidden; /* the record's "hidden" (the brand's) */
    int suspended; /* the record's "suspended" (its creator's account) */
    int kind;      /* catalog_kind_number() of the record's "kind" */
    int ntags;
    char tags[DESIGN_TAGS_MAX][DESIGN_TAG_MAX + 1];
};

/* Lists: push, remove (unordered), and the list of key in a map (made on first use). */
void cat_dvec_push(struct dvec *v, struct dmem *d);
void cat_dvec_remove(struct dvec *v, struct dmem *d);
struct dvec *cat_map_list(struct u64map *m, uint64_t key);
/* Ties of every ranked index: older design first, then smaller id. */
int cat_tie(const void *a, const void *b);
/* The contest mean m of g (scales that use it) (SCORE_BAYES_M0 without votes). */
double cat_contest_mean(const struct cgal *g);
/* d's `top` score with contest mean mean, and its `hot` score at now. */
double cat_score_top(const struct dmem *d, double mean);
double cat_hot_score(const struct dmem *d, int64_t now);
/* The gallery of contest id if the catalog has it; cat_gal_get also makes it (reading
 * the contest's settings), NULL when there is no such contest. */
struct cgal *cat_gal_find(struct catalog *cat, const char *id);
struct cgal *cat_gal_get(struct catalog *cat, const char *id);
/* d into its gallery's secondary indexes (the filters). */
void cat_index_add_lists(struct dmem *d);
/* The id of tag (interned when create), or 0 when unknown. */
uint32_t cat_tag_id(struct catalog *cat, const char *tag, int create);
/* The facts of a design record parsed by jansson. */
void cat_facts_from_json(const json_t *record, struct facts *f);
/* Grows the id table (by_id) so that it has a slot for id. */
void cat_reserve_id(struct catalog *cat, uint64_t id);
/* Makes d for the record's facts, not yet indexed; NULL when malformed or known. */
struct dmem *cat_design_new(struct catalog *cat, const struct facts *f);
/* Applies a vote change to the counts only (start-up and catalog_vote). */
/* Adds n votes of value (n < 0: takes them away) to d's counts (start-up). */
void cat_count_votes(struct dmem *d, int value, int64_t n);
void cat_count_vote(struct dmem *d, int old_value, int new_value);
/* catalog_load.c: reads designs, votes and comment counts, then scores and indexes
 * every design, on up to cat_load_threads threads (joined before it returns: the
 * result is the same for any number). Returns 0 or an error. */
int cat_load(struct catalog *cat);
/* Issue 16: start-up on this machine's two cores. */
#define CATALOG_LOAD_THREADS 2
#define CATALOG_LOAD_THREADS_MAX 8
/* The threads cat_load uses (default CATALOG_LOAD_THREADS); set on the loop thread
 * before catalog_open (the tests compare 1 with more). */
extern int cat_load_threads;

#endif
