/* The op table: every op of SPEC §4 this server answers, with its handler. Adding an
 * op is one entry in ops.c plus its handler in the ops_<area>.c file it belongs to.
 * A handler owns the req it is given and must end it with exactly one req_ok /
 * req_fail, now or later. */
#ifndef CC_OPS_H
#define CC_OPS_H

#include <lmdb.h>

#include "proto.h"

typedef void (*op_fn)(struct req *r);

enum op_flags {
    OP_AUTH = 1,  /* needs a logged-in account (unauthorized otherwise) */
    OP_BRAND = 2, /* needs a brand account (forbidden otherwise) */
};

struct op {
    const char *name;
    op_fn fn;
    unsigned flags;
};

/* 0 if the table is sorted with unique names (ops_find bisects it), else -1. */
int ops_check(void);
/* The op named name, or NULL. */
const struct op *ops_find(const char *name);

/* Handlers, by area. */
void op_hello(struct req *r);
void op_auth_register(struct req *r);
void op_auth_login(struct req *r);
void op_upload_begin(struct req *r);
void op_upload_commit(struct req *r);
void op_upload_abort(struct req *r);
void op_design_get(struct req *r);
void op_vote_cast(struct req *r);
void op_vote_clear(struct req *r);
void op_gallery_get(struct req *r);
void op_gallery_subscribe(struct req *r);
void op_gallery_unsubscribe(struct req *r);
void op_design_watch(struct req *r);
void op_design_unwatch(struct req *r);
void op_contest_create(struct req *r);
void op_contest_update(struct req *r);
void op_contest_get(struct req *r);
void op_contest_list(struct req *r);
void op_design_set_status(struct req *r);
void op_design_hide(struct req *r);
void op_design_report(struct req *r);
void op_creator_get(struct req *r);
void op_creator_top(struct req *r);
void op_test_clock(struct req *r);
void op_contest_results(struct req *r);
void op_comment_post(struct req *r);
void op_comment_list(struct req *r);

/* ops_gallery.c: parses gallery.get / gallery.subscribe args (fails r and returns -1 on
 * bad args), and appends a window {<prefix>"total":N,"items":[...]} as JSON text, its
 * items as viewer (NULL = anyone) sees them. */
struct gallery_query;
struct ccbuf;
int gallery_parse_query(struct req *r, struct gallery_query *q);
int gallery_window_json(struct server *srv, const struct gallery_query *q,
                        const struct session *viewer, struct ccbuf *out, const char *prefix);

/* ops_upload.c: binary frames and the end of a connection, for its upload. */
void upload_on_binary(struct session *s, const uint8_t *buf, size_t len, int final);
void upload_on_close(struct session *s);

/* ops_results.c: contest.results' page bound; the consistent snapshot of a contest
 * (results and the export): cb runs on the loop once every write submitted before it
 * is applied to the catalog, with the log head as of then (status 0) or an error.
 * Returns 0, or CC_EBUSY (then cb never runs). */
#define RESULTS_LIMIT_MAX 1000
struct audit_head;
struct dmem;
typedef void (*results_snapshot_fn)(void *user, int status, const struct audit_head *head);
int results_snapshot(struct server *srv, const char *contest, results_snapshot_fn cb,
                     void *user);
/* A ranking item {design, title, creator, creator_name, status, tally, score, rank} of d
 * (new reference; rank 0 = unranked, as null, and a hidden d gets "hidden": true), its
 * record read in txn; NULL if the record is unreadable. */
json_t *results_item(MDB_txn *txn, struct server *srv, const struct dmem *d, size_t rank);

/* ops_design.c: whether viewer (0 = anonymous) with role may see the design record. */
int design_visible(const json_t *record, uint64_t viewer, enum role role);
/* ops_design.c, for the ops that name a design: whether s may see d (hidden designs:
 * only their creator and the brand); the design named by r's `design` arg if r's
 * session may see it (else fails r: bad_args / not_found, and returns NULL); the reply
 * {design} with its timeline and comment count; d's design object as s sees it (with
 * `reports` for the brand; s may be NULL) appended to out. */
struct dmem;
int dmem_visible(const struct dmem *d, const struct session *s);
struct dmem *design_arg(struct req *r);
void design_reply(struct req *r, struct dmem *d);
int design_item_json(struct server *srv, MDB_txn *txn, const struct dmem *d,
                     const struct session *viewer, struct ccbuf *out);

#endif
