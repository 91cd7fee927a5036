/* The audit log's independent check (SPEC §6) behind `cocreate verify` (verify.c) and
 * the fuzz target `auditlog`: served bytes split into lines, each line's entry checked
 * canonical, chained and hashed (shared/auditlog.c), the first log_length entries
 * replayed into per-design tallies and statuses, then compared with contest.results.
 * No network here: verify.c reads the results and the log. */
#ifndef CC_CLI_AUDITCHECK_H
#define CC_CLI_AUDITCHECK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "u64map.h"
#include "util.h"

/* A contest's voting scale (SPEC §5). */
enum ac_scale { AC_HEART, AC_STARS5, AC_UPDOWN };

/* What the log says about one design. */
struct ac_design {
    uint32_t votes, supports, stars[5], up, down, hearts;
    uint64_t sum;
    int hidden;
    char status[24]; /* last status move's `to`, "" if none */
    int seen_in_results;
};

/* One check of one contest's log: set scale and log_length, log_head (from
 * contest.results), then feed bytes. */
struct auditcheck {
    const char *contest;
    enum ac_scale scale;
    uint64_t log_length; /* from the results */
    char log_head[65];
    /* the chain so far */
    uint64_t seq;
    uint8_t prev[32];
    uint8_t head_at_length[32];
    struct u64map designs; /* design id → struct ac_design */
    json_t *voters;        /* "design/voter" → current value */
    struct ccbuf line;     /* a partial line */
    char why[1024];        /* the first mismatch */
};

/* Zeroes v for contest (borrowed), scale heart, log_length 0; set scale and log_length
 * (from contest.get and contest.results) before the first bytes. */
void auditcheck_init(struct auditcheck *v, const char *contest);
/* Releases what v holds. */
void auditcheck_free(struct auditcheck *v);
/* The scale named name into *out: 0, or -1 when it is not one. */
int auditcheck_scale(const char *name, enum ac_scale *out);
/* Takes the next bytes of the log (any split): 0, or -1 with the first mismatch in
 * v->why (the check stops there). */
int auditcheck_bytes(struct auditcheck *v, const uint8_t *data, size_t len);
/* After the log's last byte: no partial line, no entry short of log_length, and the
 * chain's head at log_length is log_head. 0, or -1 with v->why. */
int auditcheck_end(struct auditcheck *v);
/* Compares the replayed designs with contest.results' whole ranking (borrowed): 0, or
 * -1 with v->why. */
int auditcheck_compare(struct auditcheck *v, json_t *ranking);
/* Records the first mismatch in v->why (later ones are dropped); returns -1. */
int auditcheck_fail(struct auditcheck *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
