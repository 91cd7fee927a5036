/* Change records (issue 14): every write is data. An op checks its request, makes a
 * `struct change` — who (`by`), when (`at`, the accepting side's clock), what (its kind
 * and fields, already validated) — and submits it. The writer applies it to LMDB with
 * the kind's apply, which depends only on the record, the database and the node's
 * secret: no clock (it uses `at`, clamped so time never runs backwards in apply
 * order), no randomness, no in-memory state, so applying the same records in the same
 * order to the same data gives the same bytes on any node and any replay. After the
 * batch commits, one post-commit step per kind updates the in-memory views (catalog,
 * creators, reports, live) in a fixed order; then the op's reply runs.
 *
 * The encoding (docs/changes.md) is one JSON object per record,
 * {"v":1,"type":...,"at":...,"by":"<id>",<fields>}, binary fields in base64. A new
 * write op adds: a kind here, its apply and post-commit step (change_<area>.c), its
 * line in changes.c's table, its handler, its op table line, and their tests.
 *
 * Thread use: changes_submit, the post-commit steps and replies on the loop thread;
 * applies on the writer thread (or the offline caller of changes_apply_now). */
#ifndef CC_CHANGES_H
#define CC_CHANGES_H

#include <jansson.h>
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "designs.h"
#include "jargs.h"
#include "accounts.h"
#include "store.h"
#include "util.h"
#include "writer.h"

/* The format version written in every record ("v"). Readers accept every version up
 * to this one. */
#define CHANGE_FORMAT 1

enum change_kind {
    CH_ACCOUNT_CREATE, /* "account.create" {name, role, token_hash, password?,
                          contact?, device?} */
    CH_DESIGN_CREATE,  /* "design.create" {contest, kind, title, tags, blob, bytes}
                          + binary "stored" and "thumb" unless the blob exists */
    CH_VOTE,           /* "vote" {design, contest, value} (value 0 = cleared) */
    CH_COMMENT,        /* "comment" {design, text} */
    CH_REPORT,         /* "report" {design, reason} */
    CH_STATUS,         /* "status" {design, status, note?} */
    CH_HIDE,           /* "hide" {design, hidden} */
    CH_CONTEST,        /* "contest" {create, args} */
    CH_DICT,           /* "dict" {kind, count} + binary "dict" */
    CH_SESSION_CREATE, /* "session.create" {token_hash, device, replace?} by the account */
    CH_SESSION_END,    /* "session.end" {session?} by the account (no session: all) */
    CH_ACCOUNT_UPDATE, /* "account.update" {password?, contact?} by the account */
    CH_ACCOUNT_DELETE, /* "account.delete" {} by the account: its personal data erased */
    CH_SUSPEND,        /* "account.suspend" {account, suspended, reason} by the brand */
    CH_COMMENT_HIDE,   /* "comment.hide" {comment, hidden, reason} by the brand */
    CH_DESIGN_EDIT,    /* "design.edit" {design, title?, tags?} by its creator */
    CH_WITHDRAW,       /* "withdraw" {design} by its creator */
    CH_NOTICE_READ,    /* "notice.read" {upto} by the account */
    CH_DISMISS,        /* "review.dismiss" {design} by the brand */
    CH_CONTEST_PHASE,  /* "contest.phase" {contest, phase} by the clock (0) */
    CH_EXPIRE,         /* "expire" {design} by the clock (0): a stage missed */
    CH_MILESTONE,      /* "milestone" {design, supports} by 0: a support milestone */
    CH_CLOCK,          /* "clock" {} — TEST ONLY (--test-clock): test.clock set the
                          clock to `at`, which may be back in time */
    CH_KINDS
};

/* Binary fields of a record (encoded in base64 under these names). */
enum change_att { ATT_STORED, ATT_THUMB, ATT_DICT, ATT_COUNT };

/* What an apply found and did: read by the post-commit step and the reply, never
 * encoded. Cleared before each (re-)apply. */
struct change_out {
    int64_t at;        /* the effective time: max(record's at, the last applied one's) */
    uint64_t id;       /* a new object's id (account, design, comment) */
    json_t *record;    /* a stored record (design.create, contest): owned */
    char *text;        /* comment: the stored comment object (malloc'd) */
    int old;           /* vote: the previous value (0 = none); status: the stored status */
    int flag;          /* vote: promoted; hide: changed; design.create: a new blob */
    uint64_t count;    /* comment: the design's comments; vote: supports when counted */
    uint64_t vseq;     /* vote: its entry in the vote log (votes.h; 0: nothing changed) */
    struct blob_holders holders; /* design.create: who held the bytes */
    uint64_t session;  /* account.create, session.create: the new session */
    uint64_t ended;    /* session.create: a session the cap of 50 ended (0: none) */
    uint64_t *ids;     /* account.delete: the designs it withdrew (malloc'd) */
    json_t *notices;   /* notices the apply made: [{account, notice}] (SPEC §8), pushed
                          by the post-commit step; NULL when none */
    size_t nids;
    int designs_written; /* the apply wrote design records (design_writes): shown design
                            objects may differ, the record cache is stale */
    struct jargs_err e;          /* contest: which argument was wrong (CC_EBADARGS) */
};

struct change;
struct server;
/* Runs on the loop thread once c is applied and durable (status 0) or failed (status <
 * 0: the apply's code or CC_EINTERNAL); the post-commit step has run. It owns c
 * (change_free). */
typedef void (*change_reply_fn)(struct change *c, int status, void *user);

/* Typed fields of the kinds on a hot path, instead of a JSON object in args (their
 * kind's to_json / from_json in changes.c's table encode them the same way). */
struct change_vote {
    uint64_t design;
    int value; /* 0 = cleared */
    char contest[65];
};

struct change {
    enum change_kind kind;
    int64_t at;   /* accepted at (Unix seconds, the accepting side's clock) */
    uint64_t by;  /* the acting account; 0 = the operator or the server's clock */
    json_t *args; /* the kind's fields (owned); empty for kinds with typed fields */
    union {
        struct change_vote vote; /* CH_VOTE */
    } f;
    struct ccbuf att[ATT_COUNT];
    struct change_out out;
    /* private */
    struct write_req wr;
    struct changes *cs;
    change_reply_fn reply;
    void *user;
};

/* A new change of kind (fields args, taken; NULL for a kind with typed fields, or none).
 * Free with change_free. */
struct change *change_new(enum change_kind kind, int64_t at, uint64_t by, json_t *args);
/* NULL-safe. */
void change_free(struct change *c);
/* The wire name of a kind ("vote"), and the kind of a name (-1 if unknown). */
const char *change_kind_name(enum change_kind k);
int change_kind_parse(const char *name);

/* A record's decimal id field (a string), 0 if absent or malformed; a string field
 * (borrowed from c->args), or NULL. */
uint64_t change_id(const struct change *c, const char *field);
const char *change_str(const struct change *c, const char *field);

/* Record makers for the ops and the command line (change_<area>.c). */
/* vote: voter `by` gives design (of contest) value (0 clears). */
struct change *change_vote_new(int64_t at, uint64_t by, uint64_t design, const char *contest,
                               int value);
/* account.create: a new account with a fresh token (written into token, given to the
 * client once; only its hash is in the record). */
struct change *change_account_new(const char *name, enum role role, int64_t at,
                                  char token[65]);
/* A fresh token (written into token) and the hex SHA-256 of it (into hash_hex), for
 * account.create and session.create records. */
void change_token_new(char token[65], char hash_hex[65]);

/* Appends c's encoding (docs/changes.md: one JSON object, no newline). Returns 0 or
 * CC_EINTERNAL. */
int change_encode(const struct change *c, struct ccbuf *out);
/* The same through a jansson tree, whatever the kind (tests compare the kinds' own
 * encoders with it). */
int change_encode_tree(const struct change *c, struct ccbuf *out);
/* Appends c's encoding and a newline to the file at path (--record-changes of a
 * command that applies a record itself, --make-brand). Returns 0 or -1. */
int change_append(const struct change *c, const char *path);
/* Decodes one record. Returns 0 with *out a new change, or CC_EBADARGS with a reason
 * in why (unknown version or kind, missing or mistyped common fields, bad base64). */
int change_decode(const char *text, size_t len, struct change **out, char *why,
                  size_t whylen);

/* Writer thread (or alone): applies c in txn with the kind's apply. Deterministic as
 * said above; may run more than once (writer.h). Returns 0 or a CC_E* code. */
int change_apply(struct change *c, MDB_txn *txn, const struct store *st);

/* The module on the server: submits to the writer, runs post-commit steps, records. */
struct changes;
/* srv (borrowed) gives the writer, the store and the views the post-commit steps
 * update. record: a file every applied record — failed ones too — is appended to,
 * one a line, in apply order (cocreated --record-changes, for replay tests), or NULL. */
int changes_open(struct changes **out, struct server *srv, FILE *record);
void changes_close(struct changes *cs); /* NULL-safe; the FILE is the caller's */
/* Submits c (taken by reply). reply runs later, or never when this returns an error
 * (CC_EBUSY: the writer is full or stopping); then c is still the caller's. */
int changes_submit(struct changes *cs, struct change *c, change_reply_fn reply, void *user);

/* Cluster mode (SPEC §9, cluster.h). changes_cluster_open: start-up, after
 * changes_open and before the in-memory state is loaded: reads the stream position the
 * data holds (the last applied sequence, the hash of its message, where to resume),
 * connects, and checks the stream (cluster_open). From then on changes_submit publishes
 * instead of applying: a record is applied when it comes back from the stream — every
 * node's records in the stream's order — with the stream position in the same
 * transaction, then its post-commit step runs, and for this node's own records, the
 * reply. changes_cluster_start begins consuming (once the in-memory state is loaded).
 * Returns 0 or -1 with a one-line reason in err. */
struct cluster_config;
int changes_cluster_open(struct changes *cs, uv_loop_t *loop, const struct cluster_config *cfg,
                         char *err, size_t errlen);
int changes_cluster_start(struct changes *cs, char *err, size_t errlen);
/* Whether the data in st belongs to a cluster node (it holds a stream position, *seq):
 * records must then reach it through the stream, never be applied to it alone. */
int changes_stream_position(struct store *st, uint64_t *seq);
/* Cluster mode, once the stream is no longer consumed (the shutdown, after
 * cluster_stop): our records still waiting to come back will not be applied by this
 * process; their replies run now with CC_EINTERNAL (the stream may hold them: their
 * outcome is unknown), so that what waits on them ends — a request and its connection,
 * a clock record. NULL-safe; nothing to do in single-node mode. Loop thread. */
void changes_cluster_abandon(struct changes *cs);
/* The cluster transport (NULL in single-node mode). */
struct cluster *changes_cluster(const struct changes *cs);
struct changes_cluster_stats {
    uint64_t applied_seq; /* the last stream sequence applied and committed here */
    uint64_t bad_records; /* stream messages that were no record this node reads */
    size_t pending;       /* our records published and not yet back from the stream */
};
void changes_cluster_stats(const struct changes *cs, struct changes_cluster_stats *out);

/* Alone, with no writer running (cocreated --make-brand, --apply-records): applies c
 * in its own durable transaction, growing the map as needed. No post-commit step.
 * Returns 0 or the apply's code. */
int changes_apply_now(struct store *st, struct change *c);

/* Start-up (journal.h), before the writer runs, by the process holding the journal:
 * applies again, in order, the journal's records after the sequence the data holds
 * (JOURNAL_SEQ_KEY: the last checkpoint's, after store_restore_checkpoint), each in its
 * own transaction. Sets *next_seq to the sequence the next record takes. Returns the
 * number of records applied, or -1 with a reason in err (a record that cannot be read
 * or stored: the server must not start). */
long changes_recover(struct store *st, const char *dir, uint64_t *next_seq, char *err,
                     size_t errlen);
/* The journal's last applied sequence as the data holds it (0: none). 0 or CC_E*. */
int changes_journal_seq(struct store *st, uint64_t *seq);

/* cocreated --apply-records FILE: applies every record of FILE (one a line, as
 * --record-changes writes them) to st in order, each in its own transaction. A record
 * whose apply fails changes nothing, as it did when it was first applied (a name
 * taken, a phase closed): it is counted in *failed and the rest go on. Returns the
 * number applied, or -1 with a reason in err (unreadable file, undecodable record, a
 * storage error). */
long changes_apply_file(struct store *st, const char *path, long *failed, char *err,
                        size_t errlen);

#endif
