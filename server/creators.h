/* Creators in memory (SPEC §2 points, after My Starbucks Idea): for every account that
 * has uploaded a design, its points, its wins and its designs, and the leaderboard of
 * creator.top. A design is worth POINTS_DESIGN + 1 per support + POINTS_WINNER while
 * its status is winner, in_production or launched (a winner stays a winner on its way
 * to production), and nothing while it is hidden; the supports of a contest that hides
 * its tallies count once its voting closed (SPEC §8: after_contest re-counts them). Nothing is stored: it is built at
 * start-up from the catalog's designs, and the caller of every change of a design
 * (changes_after.c) brackets it with creators_before / creators_after. Each creator's
 * list of designs is also the catalog's creator filter (catalog_set_designs_of). The
 * leaderboard is a rank.c ranked index keyed by points; ties: older account first, then
 * smaller id. Loop thread only (creators_open reads half of the accounts on a thread of
 * its own, joined before it returns). */
#ifndef CC_CREATORS_H
#define CC_CREATORS_H

#include <jansson.h>
#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

struct catalog;
struct creators;
struct dmem;
struct store;

/* SPEC §2: +10 per accepted design, +1 per support received, +100 per winner. */
#define POINTS_DESIGN 10
#define POINTS_SUPPORT 1
#define POINTS_WINNER 100

struct creator {
    uint64_t id;
    int64_t created; /* the account's: the leaderboard's tie order */
    char name[33];
    char role[8];          /* "member" or "brand" */
    int64_t points;        /* the key it is ranked under */
    uint32_t wins;         /* visible designs that are winner / in_production / launched */
    struct dmem **designs; /* every design of the account, oldest first */
    size_t n, cap;
};

/* What one design adds to its creator (creators_before fills it). */
struct creator_share {
    int64_t points;
    int wins;
};

/* Start-up, after catalog_open: every account with designs in cat, its account read
 * from st (borrowed; it outlives the set), its points summed, and the leaderboard.
 * *out is set even on failure (close it then). Returns 0, or CC_EINTERNAL when a
 * design names an account that cannot be read, or a store error. */
int creators_open(struct creators **out, const struct catalog *cat, struct store *st);
/* Frees everything. NULL-safe. */
void creators_close(struct creators *cs);

/* A design joined the catalog after start-up (its upload committed): its share is
 * added, and a new creator joins the leaderboard. Returns 0, or a store error reading
 * its account (a new creator). */
int creators_design_added(struct creators *cs, struct dmem *d);
/* The designs of account (cs: struct creators *), oldest first, *n of them; NULL and 0
 * without designs. A catalog_designs_of_fn, for the catalog's creator filter. */
struct dmem *const *creators_designs_of(void *cs, uint64_t account, size_t *n);
/* Around any change of d (tally, status, hidden): before it, what d adds; after it,
 * the creator's totals and rank move by the difference. */
void creators_before(const struct dmem *d, struct creator_share *s);
void creators_after(struct creators *cs, const struct dmem *d, const struct creator_share *s);

/* The creator with this account id, or NULL (an account without designs). */
const struct creator *creators_get(struct creators *cs, uint64_t account);
/* The points of an account (0 without designs). */
int64_t creators_points(struct creators *cs, uint64_t account);
/* 1-based position of c on the leaderboard. */
size_t creators_rank(struct creators *cs, const struct creator *c);
/* Up to limit creators from position offset (0-based) into out; returns how many. */
size_t creators_top(struct creators *cs, size_t offset, size_t limit, const struct creator **out);
/* Number of creators on the leaderboard. */
size_t creators_count(struct creators *cs);
/* Sets the derived fields (points; with detail also wins and rank) on an account
 * object of SPEC §2 (borrowed, changed in place). */
/* The account's name changed (an erased account, SPEC §7). */
void creators_rename(struct creators *cs, uint64_t account, const char *name);
void creators_account_json(struct creators *cs, json_t *account, int detail);

#endif
