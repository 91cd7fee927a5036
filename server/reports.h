/* Reports of designs (SPEC §4 design.report): one per (account, design), kept in
 * LMDB with its reason, and a count per design in memory for the brand's views
 * (loaded at start-up, raised after each committed report). Loop thread, except
 * report_put (writer thread). */
#ifndef CC_REPORTS_H
#define CC_REPORTS_H

#include <lmdb.h>
#include <stdint.h>

#include "store.h"
#include "util.h"

struct reports;

/* Ours: a reason is 1–500 Unicode characters (see docs/protocol.md). */
#define REPORT_REASON_MAX 500

/* Writer thread: stores account's report of design. CC_ECONFLICT if it has one. */
int report_put(MDB_txn *txn, const struct store *st, uint64_t design, uint64_t account,
               const char *reason, int64_t at);

/* Start-up: counts the reports stored in st. *out is set even on failure (close it
 * then). Returns 0 or a store error. */
int reports_open(struct reports **out, struct store *st);
/* Frees the counts. NULL-safe. */
void reports_close(struct reports *rp);
/* A report of design committed. */
void reports_added(struct reports *rp, uint64_t design);
/* Reports of design. */
uint32_t reports_count(const struct reports *rp, uint64_t design);
/* Writer thread: the brand dismissed design's reports (review.dismiss): their count
 * now into *count; it leaves the review queue until a new report. CC_ENOTFOUND when
 * it has none. */
int report_dismiss(MDB_txn *txn, const struct store *st, uint64_t design, uint32_t *count);
/* The dismissal of count reports of design committed. */
void reports_dismissed(struct reports *rp, uint64_t design, uint32_t count);
/* Whether design's reports (or look-alikes) were ever dismissed. */
int reports_is_dismissed(const struct reports *rp, uint64_t design);
/* The designs with reports not dismissed, most reported first (ties: smaller id
 * first), into a new array *ids (free it) of *n. */
void reports_ranked(const struct reports *rp, uint64_t **ids, size_t *n);
/* Appends the reasons of design's reports, oldest first, as a JSON array of
 * {reason, at} to out (at most max of them). Any thread with a read txn. */
int reports_reasons(MDB_txn *txn, const struct store *st, uint64_t design, size_t max,
                    struct ccbuf *out);
/* out ends with a design object's closing brace: adds "reports":N inside it. */
void reports_splice(const struct reports *rp, uint64_t design, struct ccbuf *out);

#endif
