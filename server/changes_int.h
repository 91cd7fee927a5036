/* The kinds of change records, each an apply (writer thread: the record into a write
 * transaction, deterministically) and a post-commit step (loop thread: the in-memory
 * views follow the committed change). changes.c holds the table; the functions live
 * with their area in change_<area>.c. Internal to changes.c and those files. */
#ifndef CC_CHANGES_INT_H
#define CC_CHANGES_INT_H

#include <lmdb.h>

#include "changes.h"
#include "store.h"

struct server;

typedef int (*change_apply_fn)(struct change *c, MDB_txn *txn, const struct store *st);
typedef void (*change_post_fn)(struct change *c, struct server *srv);
/* A kind with typed fields (struct change's f): writes them into the record's JSON
 * object o / reads them from it (CC_EBADARGS when missing or mistyped). */
typedef int (*change_to_json_fn)(const struct change *c, json_t *o);
typedef int (*change_from_json_fn)(struct change *c, json_t *o);
/* A kind with typed fields may also write its whole record as text, byte for byte what
 * change_encode's jansson path writes (JSON_COMPACT | JSON_SORT_KEYS), without a tree:
 * the hot kinds, which every batch journals. Returns 0, or 1 to leave this record to
 * the jansson path (a field that would need escaping). */
typedef int (*change_encode_fn)(const struct change *c, struct ccbuf *out);


/* change_account.c */
int ch_account_create_apply(struct change *c, MDB_txn *txn, const struct store *st);
int ch_session_create_apply(struct change *c, MDB_txn *txn, const struct store *st);
void ch_session_create_post(struct change *c, struct server *srv);
int ch_session_end_apply(struct change *c, MDB_txn *txn, const struct store *st);
void ch_session_end_post(struct change *c, struct server *srv);
int ch_account_update_apply(struct change *c, MDB_txn *txn, const struct store *st);
int ch_account_delete_apply(struct change *c, MDB_txn *txn, const struct store *st);
void ch_account_delete_post(struct change *c, struct server *srv);
/* change_notice.c */
int ch_notice_read_apply(struct change *c, MDB_txn *txn, const struct store *st);
int ch_contest_phase_apply(struct change *c, MDB_txn *txn, const struct store *st);
/* A notice of a design to its creator (not to actor, the one who caused it), appended
 * to c->out.notices. */
int change_notice_design(struct change *c, MDB_txn *txn, const struct store *st,
                         uint64_t design, const char *kind, uint64_t actor, const char *text,
                         const char *status, const char *note, uint64_t supports);
/* change_moderation.c */
int ch_suspend_apply(struct change *c, MDB_txn *txn, const struct store *st);
void ch_suspend_post(struct change *c, struct server *srv);
int ch_comment_hide_apply(struct change *c, MDB_txn *txn, const struct store *st);
int ch_dismiss_apply(struct change *c, MDB_txn *txn, const struct store *st);
void ch_dismiss_post(struct change *c, struct server *srv);
void ch_comment_hide_post(struct change *c, struct server *srv);
/* change_design.c */
int ch_design_create_apply(struct change *c, MDB_txn *txn, const struct store *st);
void ch_design_create_post(struct change *c, struct server *srv);
int ch_status_apply(struct change *c, MDB_txn *txn, const struct store *st);
void ch_status_post(struct change *c, struct server *srv);
int ch_hide_apply(struct change *c, MDB_txn *txn, const struct store *st);
void ch_hide_post(struct change *c, struct server *srv);
int ch_report_apply(struct change *c, MDB_txn *txn, const struct store *st);
int ch_design_edit_apply(struct change *c, MDB_txn *txn, const struct store *st);
void ch_design_edit_post(struct change *c, struct server *srv);
int ch_withdraw_apply(struct change *c, MDB_txn *txn, const struct store *st);
int ch_expire_apply(struct change *c, MDB_txn *txn, const struct store *st);
void ch_expire_post(struct change *c, struct server *srv);
void ch_withdraw_post(struct change *c, struct server *srv);
/* The creator's withdrawal of design id (by), shared with account.delete: status
 * `withdrawn` (timeline, audit entry), its bytes free for another upload. CC_ECONFLICT
 * when its status is past the crowd's (winner and later) or it is withdrawn already. */
int design_withdraw(MDB_txn *txn, const struct store *st, uint64_t id, uint64_t by,
                    int64_t at);
void ch_report_post(struct change *c, struct server *srv);
/* change_vote.c */
int ch_vote_apply(struct change *c, MDB_txn *txn, const struct store *st);
int ch_vote_to_json(const struct change *c, json_t *o);
int ch_vote_from_json(struct change *c, json_t *o);
int ch_vote_encode(const struct change *c, struct ccbuf *out);
int ch_milestone_apply(struct change *c, MDB_txn *txn, const struct store *st);
void ch_milestone_post(struct change *c, struct server *srv);
void ch_vote_post(struct change *c, struct server *srv);
/* change_comment.c */
int ch_comment_apply(struct change *c, MDB_txn *txn, const struct store *st);
void ch_comment_post(struct change *c, struct server *srv);
/* change_contest.c */
int ch_contest_apply(struct change *c, MDB_txn *txn, const struct store *st);
void ch_contest_post(struct change *c, struct server *srv);
void ch_contest_phase_post(struct change *c, struct server *srv);
/* change_dict.c */
int ch_dict_apply(struct change *c, MDB_txn *txn, const struct store *st);
void ch_dict_post(struct change *c, struct server *srv);

#endif
