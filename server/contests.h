/* Contests (SPEC §2): their records and phases. The `open` contest is built in: no
 * deadlines, `heart` scale, both kinds. Loop thread, or any thread with a read txn. */
#ifndef CC_CONTESTS_H
#define CC_CONTESTS_H

#include <lmdb.h>
#include <stdint.h>

#include "store.h"
#include "tally.h"

#define CONTEST_ID_MAX 64
#define CONTEST_OPEN "open"

enum phase { PHASE_UPCOMING, PHASE_SUBMISSIONS, PHASE_VOTING, PHASE_JUDGING, PHASE_CLOSED };

struct contest {
    char id[CONTEST_ID_MAX + 1];
    char kind[16]; /* "" = any kind */
    enum scale scale;
    int64_t submit_open, submit_close, vote_close; /* Unix seconds; 0 = none */
    int closed;
    uint64_t threshold;
};

/* Loads contest id into out. CC_ENOTFOUND if there is none. */
int contest_load(MDB_txn *txn, const struct store *st, const char *id, struct contest *out);
/* The phase at time now (SPEC §2). */
enum phase contest_phase(const struct contest *c, int64_t now);
const char *phase_name(enum phase p);
/* Whether kind may be uploaded to c (its kind, or any for the open contest). */
int contest_accepts_kind(const struct contest *c, const char *kind);

#endif
