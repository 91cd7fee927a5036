/* The op table: every op of SPEC §4 this server answers, with its handler. Adding an
 * op is one entry in ops.c plus its handler in the ops_<area>.c file it belongs to.
 * A handler owns the req it is given and must end it with exactly one req_ok /
 * req_fail, now or later. */
#ifndef CC_OPS_H
#define CC_OPS_H

#include <jansson.h>
#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

struct req;
struct server;
struct session;

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

/* 0 if the table is sorted with unique names (ops_find bisects it) and holds at most
 * SERVER_OPS_MAX ops (server.h: their latency histograms), else -1. */
int ops_check(void);
/* The op named name, or NULL. */
const struct op *ops_find(const char *name);
/* The number of ops in the table, and the i-th (i < ops_count()) in name order. */
size_t ops_count(void);
const struct op *ops_at(size_t i);
/* The index of op (from ops_find or ops_at) in the table. */
size_t ops_index(const struct op *op);

/* Handlers, by area. */
void op_hello(struct req *r);
void op_auth_register(struct req *r);
void op_auth_login(struct req *r);
void op_auth_logout(struct req *r);
void op_auth_sessions(struct req *r);
void op_auth_revoke(struct req *r);
void op_auth_set_password(struct req *r);
void op_auth_set_contact(struct req *r);
void op_auth_delete(struct req *r);
void op_design_edit(struct req *r);
void op_design_withdraw(struct req *r);
void op_comment_hide(struct req *r);
void op_account_suspend(struct req *r);
void op_moderation_list(struct req *r);
void op_review_list(struct req *r);
void op_review_dismiss(struct req *r);
void op_notice_list(struct req *r);
void op_search(struct req *r);
void op_notice_read(struct req *r);
/* The caller's unread notices (auth.login's and auth.register's `unread`). */
uint64_t ops_unread(struct req *r);
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
 * bad args). */
struct gallery_query;
int gallery_parse_query(struct req *r, struct gallery_query *q);

/* ops_upload.c: binary frames and the end of a connection, for its upload. */
void upload_on_binary(struct session *s, const uint8_t *buf, size_t len, int final);
void upload_on_close(struct session *s);

/* ops_results.c: contest.results' page bound. */
#define RESULTS_LIMIT_MAX 1000
struct dmem;
/* A ranking item {design, title, creator, creator_name, status, tally, score, rank} of d
 * (new reference; rank 0 = unranked, as null, and a hidden d gets "hidden": true), its
 * record read in txn; NULL if the record is unreadable. */
json_t *results_item(MDB_txn *txn, struct server *srv, const struct dmem *d, size_t rank);

/* ops_design.c, for the ops that name a design: the design named by r's `design` arg
 * if r's session may see it (else fails r: bad_args / not_found, and returns NULL); the
 * reply {design} with its timeline and comment count. */
struct dmem *design_arg(struct req *r);
void design_reply(struct req *r, struct dmem *d);

#endif
