/* Contests (SPEC §2): records in LMDB, phases derived from the server's clock, and
 * their JSON. The `open` contest is built in: no deadlines, `heart` scale, both kinds.
 * A contest's id is its slug, chosen at creation and fixed after it, as are its kind
 * and scale (designs and votes depend on them). Loop thread, or any thread with a
 * read txn; *_put on the writer thread. */
#ifndef CC_CONTESTS_H
#define CC_CONTESTS_H

#include <jansson.h>
#include <lmdb.h>
#include <stdint.h>

#include "jargs.h"
#include "store.h"
#include "scale.h"

/* Limits (SPEC §2 gives prize ≤ 200 chars; the rest are ours, see docs/protocol.md). */
#define CONTEST_ID_MAX 64
#define CONTEST_TITLE_MAX 120
#define CONTEST_BRIEF_MAX 4000
#define CONTEST_PRIZE_MAX 200
/* SPEC §7 terms {version, text}: a version of 1–32 of [A-Za-z0-9._-], a text of 1–20000
 * characters. */
#define CONTEST_TERMS_VERSION_MAX 32
#define CONTEST_TERMS_TEXT_MAX 20000
/* SPEC §8 stages: 1–8 of {supports (1–10^9, each above the last), days (1–365)}. */
#define CONTEST_STAGES_MAX 8
#define CONTEST_OPEN "open"

enum phase { PHASE_UPCOMING, PHASE_SUBMISSIONS, PHASE_VOTING, PHASE_JUDGING, PHASE_CLOSED };

struct contest {
    char id[CONTEST_ID_MAX + 1];
    char kind[16]; /* "" = any kind */
    const struct scale *scale;
    int64_t submit_open, submit_close, vote_close; /* Unix seconds; 0 = none */
    int closed;
    uint64_t threshold;
    char terms[CONTEST_TERMS_VERSION_MAX + 1]; /* the terms' version ("" = no terms) */
    int nstages; /* SPEC §8 stages: supports to reach within days, in order */
    struct {
        uint32_t supports, days;
    } stages[CONTEST_STAGES_MAX];
    int tallies_hidden;   /* SPEC §8 (Threadless): set at creation, fixed after it */
    int tallies_revealed; /* its voting closed, as a contest.phase record said: from then
                             on its tallies count and show like any contest's */
};

/* Whether c's tallies are sealed (SPEC §8 hidden tallies): a contest with
 * tallies_hidden whose voting has not closed yet. Decided by stored records only (the
 * contest record's tallies_revealed, set by the apply of the contest.phase record that
 * moved it past voting), so every cluster node agrees. */
int contest_sealed(const struct contest *c);
/* Writer thread, in the apply of a contest record or of a contest.phase record: when
 * record (changed in place) hides tallies and phase is past voting, marks it
 * tallies_revealed. Returns 1 when it did (the caller stores it), else 0. */
int contest_reveal_due(json_t *record, enum phase phase);

/* The settings of a stored contest record (its id from the record's "id"). */
void contest_from_record(const json_t *rec, struct contest *out);
/* Loads contest id into out. CC_ENOTFOUND if there is none. */
int contest_load(MDB_txn *txn, const struct store *st, const char *id, struct contest *out);
/* The stored record of contest id (new reference; the built-in one for `open`). */
int contest_record(MDB_txn *txn, const struct store *st, const char *id, json_t **out);
/* The SPEC §2 contest object: the record plus its phase at now (new reference). */
json_t *contest_json(const json_t *record, int64_t now);
/* The phase last told to contest's creators (SPEC §8 `contest` notices), -1 if none. */
int contest_phase_told(MDB_txn *txn, const struct store *st, const char *id);
/* Writer thread: phase is now the one told. */
int contest_phase_tell(MDB_txn *txn, const struct store *st, const char *id, enum phase p);
/* The phase at time now (SPEC §2). */
enum phase contest_phase(const struct contest *c, int64_t now);
const char *phase_name(enum phase p);
int phase_parse(const char *name); /* -1 if unknown */
/* Whether kind may be uploaded to c (its kind, or any for the open contest). */
int contest_accepts_kind(const struct contest *c, const char *kind);

/* Builds a contest record from create args (all fields) or update args (changed
 * fields over `base`), checking every field. Returns 0 with *out a new record, or
 * CC_EBADARGS with e filled. */
int contest_from_args(json_t *args, const json_t *base, json_t **out, struct jargs_err *e);
/* Writer thread: stores a record; with create, CC_ECONFLICT if the id exists. */
int contest_put(MDB_txn *txn, const struct store *st, const json_t *record, int create);
/* Appends every stored contest's record (and `open`) to arr, ids in order. */
int contest_all(MDB_txn *txn, const struct store *st, json_t *arr);

#endif
