/* Change records: the table of kinds, the encoding, the apply's common part (the
 * clamped clock), submission through the writer, the post-commit step, recording and
 * offline application. See changes.h and docs/changes.md.
 * Thread use: as changes.h says. */
#include "changes.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ccerr.h"
#include "changes_after.h"
#include "changes_int.h"
#include "cluster.h"
#include "design_view.h"
#include "designs.h"
#include "journal.h"
#include "log.h"
#include "server.h"
#include "u64map.h"

/* meta key: the effective `at` of the last applied record (big-endian i64). */
#define LAST_AT_KEY "changes.at"
/* Longest record line --apply-records reads (a 16 MiB artwork and its thumbnail in
 * base64, with room). */
#define RECORD_LINE_MAX ((size_t)48 << 20)

static const struct {
    const char *name;
    change_apply_fn apply;
    change_post_fn post; /* NULL: nothing in memory follows this kind */
    change_to_json_fn to_json;     /* typed fields (NULL: the fields are args) */
    change_from_json_fn from_json;
    change_encode_fn encode; /* the record as text without jansson (NULL: jansson) */
} kinds[CH_KINDS] = {
    [CH_ACCOUNT_CREATE] = {"account.create", ch_account_create_apply, NULL},
    [CH_DESIGN_CREATE] = {"design.create", ch_design_create_apply, ch_design_create_post},
    [CH_VOTE] = {"vote", ch_vote_apply, ch_vote_post, ch_vote_to_json, ch_vote_from_json,
                 ch_vote_encode},
    [CH_COMMENT] = {"comment", ch_comment_apply, ch_comment_post},
    [CH_REPORT] = {"report", ch_report_apply, ch_report_post},
    [CH_STATUS] = {"status", ch_status_apply, ch_status_post},
    [CH_HIDE] = {"hide", ch_hide_apply, ch_hide_post},
    [CH_CONTEST] = {"contest", ch_contest_apply, ch_contest_post},
    [CH_DICT] = {"dict", ch_dict_apply, ch_dict_post},
    [CH_SESSION_CREATE] = {"session.create", ch_session_create_apply, ch_session_create_post},
    [CH_SESSION_END] = {"session.end", ch_session_end_apply, ch_session_end_post},
    [CH_ACCOUNT_UPDATE] = {"account.update", ch_account_update_apply, NULL},
    [CH_ACCOUNT_DELETE] = {"account.delete", ch_account_delete_apply, ch_account_delete_post},
    [CH_SUSPEND] = {"account.suspend", ch_suspend_apply, ch_suspend_post},
    [CH_COMMENT_HIDE] = {"comment.hide", ch_comment_hide_apply, ch_comment_hide_post},
    [CH_DESIGN_EDIT] = {"design.edit", ch_design_edit_apply, ch_design_edit_post},
    [CH_WITHDRAW] = {"withdraw", ch_withdraw_apply, ch_withdraw_post},
    [CH_NOTICE_READ] = {"notice.read", ch_notice_read_apply, NULL},
    [CH_DISMISS] = {"review.dismiss", ch_dismiss_apply, ch_dismiss_post},
    [CH_CONTEST_PHASE] = {"contest.phase", ch_contest_phase_apply, ch_contest_phase_post},
    [CH_EXPIRE] = {"expire", ch_expire_apply, ch_expire_post},
    [CH_MILESTONE] = {"milestone", ch_milestone_apply, ch_milestone_post},
    [CH_CLOCK] = {"clock", NULL, NULL},
};

static const char *const att_names[ATT_COUNT] = {"stored", "thumb", "dict"};

const char *change_kind_name(enum change_kind k)
{
    return k < CH_KINDS ? kinds[k].name : "?";
}

int change_kind_parse(const char *name)
{
    for (int k = 0; k < CH_KINDS; k++)
        if (!strcmp(kinds[k].name, name))
            return k;
    return -1;
}

/* ---- records ---- */

static void out_clear(struct change_out *o)
{
    json_decref(o->record);
    free(o->text);
    free(o->ids);
    json_decref(o->notices);
    memset(o, 0, sizeof *o);
}

struct change *change_new(enum change_kind kind, int64_t at, uint64_t by, json_t *args)
{
    struct change *c = xcalloc(1, sizeof *c);
    c->kind = kind;
    c->at = at;
    c->by = by;
    c->args = args; /* NULL for kinds with typed fields (or no fields) */
    for (int i = 0; i < ATT_COUNT; i++)
        ccbuf_init(&c->att[i]);
    return c;
}

void change_free(struct change *c)
{
    if (!c)
        return;
    json_decref(c->args);
    for (int i = 0; i < ATT_COUNT; i++)
        ccbuf_free(&c->att[i]);
    out_clear(&c->out);
    free(c);
}

uint64_t change_id(const struct change *c, const char *field)
{
    const char *s = json_string_value(json_object_get(c->args, field));
    if (!s || !*s || strlen(s) > 20 || strspn(s, "0123456789") != strlen(s))
        return 0;
    return strtoull(s, NULL, 10);
}

const char *change_str(const struct change *c, const char *field)
{
    return json_string_value(json_object_get(c->args, field));
}

/* The common fields and the binary ones' names: never a kind's field name. */
static int reserved(const char *key)
{
    if (!strcmp(key, "v") || !strcmp(key, "type") || !strcmp(key, "at") || !strcmp(key, "by"))
        return 1;
    for (int i = 0; i < ATT_COUNT; i++)
        if (!strcmp(key, att_names[i]))
            return 1;
    return 0;
}

int change_encode(const struct change *c, struct ccbuf *out)
{
    int plain = json_object_size(c->args) == 0;
    for (int i = 0; i < ATT_COUNT; i++)
        plain = plain && !c->att[i].len;
    if (kinds[c->kind].encode && plain) {
        size_t len = out->len;
        if (kinds[c->kind].encode(c, out) == 0)
            return 0;
        out->len = len; /* left to jansson */
    }
    return change_encode_tree(c, out);
}

int change_encode_tree(const struct change *c, struct ccbuf *out)
{
    json_t *o = json_object();
    const char *key;
    json_t *val;
    json_object_foreach(c->args, key, val)
    {
        if (reserved(key)) {
            json_decref(o);
            return CC_EINTERNAL;
        }
        json_object_set(o, key, val);
    }
    char by[24];
    snprintf(by, sizeof by, "%llu", (unsigned long long)c->by);
    json_object_set_new(o, "v", json_integer(CHANGE_FORMAT));
    json_object_set_new(o, "type", json_string(kinds[c->kind].name));
    json_object_set_new(o, "at", json_integer((json_int_t)c->at));
    json_object_set_new(o, "by", json_string(by));
    int rc = kinds[c->kind].to_json ? kinds[c->kind].to_json(c, o) : 0;
    for (int i = 0; i < ATT_COUNT && !rc; i++) {
        const struct ccbuf *a = &c->att[i];
        if (!a->len)
            continue;
        char *b64 = xmalloc(4 * ((a->len + 2) / 3) + 1);
        int n = EVP_EncodeBlock((unsigned char *)b64, a->data, (int)a->len);
        if (n < 0 || a->len > INT32_MAX)
            rc = CC_EINTERNAL;
        else
            json_object_set_new(o, att_names[i], json_stringn(b64, (size_t)n));
        free(b64);
    }
    char *text = rc ? NULL : json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    if (!text)
        return CC_EINTERNAL;
    ccbuf_append(out, text, strlen(text));
    free(text);
    return 0;
}

int change_append(const struct change *c, const char *path)
{
    struct ccbuf b;
    ccbuf_init(&b);
    int rc = change_encode(c, &b) ? -1 : 0;
    ccbuf_append(&b, "\n", 1);
    FILE *f = rc ? NULL : fopen(path, "a");
    if (!f || fwrite(b.data, 1, b.len, f) != b.len)
        rc = -1;
    if (f && fclose(f))
        rc = -1;
    ccbuf_free(&b);
    return rc;
}

/* Decodes base64 text into out (which must be empty). Returns 0 or -1. */
static int b64_decode(const char *in, size_t n, struct ccbuf *out)
{
    if (n % 4 || n > INT32_MAX)
        return -1;
    uint8_t *p = ccbuf_reserve(out, n / 4 * 3 + 1);
    int len = EVP_DecodeBlock(p, (const unsigned char *)in, (int)n);
    if (len < 0)
        return -1;
    size_t pad = n && in[n - 1] == '=' ? (n > 1 && in[n - 2] == '=' ? 2 : 1) : 0;
    out->len = (size_t)len - pad;
    return 0;
}

int change_decode(const char *text, size_t len, struct change **out, char *why,
                  size_t whylen)
{
    json_error_t e;
    json_t *o = json_loadb(text, len, 0, &e);
    if (!json_is_object(o)) {
        snprintf(why, whylen, "not a JSON object (%s)", o ? "another value" : e.text);
        json_decref(o);
        return CC_EBADARGS;
    }
    json_t *v = json_object_get(o, "v"), *at = json_object_get(o, "at");
    const char *type = json_string_value(json_object_get(o, "type"));
    const char *by = json_string_value(json_object_get(o, "by"));
    int kind = type ? change_kind_parse(type) : -1;
    const char *bad = !json_is_integer(v) || json_integer_value(v) < 1 ||
                              json_integer_value(v) > CHANGE_FORMAT
                          ? "v: an unknown format version"
                      : kind < 0            ? "type: an unknown kind of change"
                      : !json_is_integer(at) ? "at: not an integer"
                      : !by || !*by || strlen(by) > 20 || strspn(by, "0123456789") != strlen(by)
                          ? "by: not an account id"
                          : NULL;
    if (bad) {
        snprintf(why, whylen, "%s", bad);
        json_decref(o);
        return CC_EBADARGS;
    }
    struct change *c = change_new((enum change_kind)kind, json_integer_value(at),
                                  strtoull(by, NULL, 10), json_object());
    const char *key;
    json_t *val;
    json_object_foreach(o, key, val)
    {
        int att = -1;
        for (int i = 0; i < ATT_COUNT; i++)
            if (!strcmp(key, att_names[i]))
                att = i;
        if (att >= 0) {
            if (!json_is_string(val) ||
                b64_decode(json_string_value(val), json_string_length(val), &c->att[att])) {
                snprintf(why, whylen, "%s: not base64", key);
                change_free(c);
                json_decref(o);
                return CC_EBADARGS;
            }
        } else if (!reserved(key)) {
            json_object_set(c->args, key, val);
        }
    }
    json_decref(o);
    if (kinds[kind].from_json && kinds[kind].from_json(c, c->args)) {
        snprintf(why, whylen, "%s: its fields are missing or mistyped", kinds[kind].name);
        change_free(c);
        return CC_EBADARGS;
    }
    *out = c;
    return 0;
}

/* ---- applying ---- */

static int put_last_at(MDB_txn *txn, const struct store *st, int64_t at)
{
    uint8_t buf[8];
    put_be64(buf, (uint64_t)at);
    return store_put(txn, store_dbs(st)->meta, LAST_AT_KEY, strlen(LAST_AT_KEY), buf, 8, 0);
}

int change_apply(struct change *c, MDB_txn *txn, const struct store *st)
{
    out_clear(&c->out);
    if (c->kind == CH_CLOCK) { /* TEST ONLY: the clock was set, maybe back in time */
        c->out.at = c->at;
        return put_last_at(txn, st, c->at);
    }
    /* Time runs forward in apply order: a record accepted by a clock that was behind
     * the last applied one's takes that one's time. */
    MDB_val v;
    int64_t last = INT64_MIN;
    int rc = store_get(txn, store_dbs(st)->meta, LAST_AT_KEY, strlen(LAST_AT_KEY), &v);
    if (rc == 0 && v.mv_size == 8)
        last = (int64_t)get_be64(v.mv_data);
    else if (rc != CC_ENOTFOUND)
        return rc ? rc : CC_EINTERNAL;
    c->out.at = c->at > last ? c->at : last;
    if (c->out.at != last && (rc = put_last_at(txn, st, c->out.at)))
        return rc;
    uint64_t writes = design_writes();
    rc = kinds[c->kind].apply(c, txn, st);
    c->out.designs_written = design_writes() != writes;
    return rc;
}


struct changes {
    struct server *srv;
    FILE *record;
    struct ccbuf line;
    /* cluster mode (NULL: single node) */
    struct cluster *cluster;
    char msgid_prefix[96]; /* "<node>.<run>." */
    uint64_t next_msg;     /* counter after the prefix */
    uint64_t start_from, skip_upto; /* where consuming starts */
    uint8_t applied_hash[32];       /* SHA-256 of the message at applied_seq */
    uint64_t submitted_seq;         /* the last stream record handed to the writer */
    struct u64map pending; /* counter → our change waiting for the stream */
    size_t npending;
    struct changes_cluster_stats cstats;
};

int changes_open(struct changes **out, struct server *srv, FILE *record)
{
    struct changes *cs = xcalloc(1, sizeof *cs);
    cs->srv = srv;
    cs->record = record;
    ccbuf_init(&cs->line);
    u64map_init(&cs->pending);
    *out = cs;
    return 0;
}

static void free_pending(struct changes *cs)
{
    struct u64map *m = &cs->pending;
    void *c;
    for (size_t at = 0; u64map_next(m, &at, NULL, &c);)
        change_free(c); /* the connection is gone: no reply */
    u64map_free(m);
}

void changes_cluster_abandon(struct changes *cs)
{
    if (!cs || !cs->npending)
        return;
    /* Taken out first: a reply may submit again (it is refused: the server drains). */
    struct u64map *m = &cs->pending;
    struct change **left = xmalloc(cs->npending * sizeof *left);
    size_t n = 0;
    void *c;
    for (size_t at = 0; u64map_next(m, &at, NULL, &c);)
        left[n++] = c;
    u64map_free(m);
    u64map_init(m);
    cs->npending = 0;
    log_warn("cluster: %zu records published and not yet back from the stream are answered "
             "as failed (the stream may still hold them: they may yet be applied)", n);
    for (size_t i = 0; i < n; i++)
        left[i]->reply(left[i], CC_EINTERNAL, left[i]->user);
    free(left);
}

void changes_close(struct changes *cs)
{
    if (!cs)
        return;
    free_pending(cs);
    cluster_close(cs->cluster);
    ccbuf_free(&cs->line);
    free(cs);
}

static int wr_apply(struct write_req *wr, MDB_txn *txn)
{
    struct change *c = container_of(wr, struct change, wr);
    return change_apply(c, txn, c->cs->srv->store);
}

/* Writer thread, journal mode: the record as the journal keeps it. */
static int wr_encode(struct write_req *wr, struct ccbuf *out)
{
    return change_encode(container_of(wr, struct change, wr), out);
}

/* Appends c to the record file (test replays): written as applied, failed or not. */
static void record(struct changes *cs, const struct change *c)
{
    cs->line.len = 0;
    if (change_encode(c, &cs->line)) {
        log_error("changes: cannot encode a %s record", kinds[c->kind].name);
        return;
    }
    ccbuf_append(&cs->line, "\n", 1);
    if (fwrite(cs->line.data, 1, cs->line.len, cs->record) != cs->line.len ||
        fflush(cs->record))
        log_error("changes: cannot write the record file: %s", strerror(errno));
}

/* Loop thread, after c's commit: the one post-commit step. */
static void post_commit(struct changes *cs, struct change *c)
{
    if (c->out.designs_written) /* before anything shows a design again */
        design_view_records_written(&cs->srv->view);
    if (kinds[c->kind].post)
        kinds[c->kind].post(c, cs->srv);
    after_notices(cs->srv, c->out.notices);
}

/* Loop thread, in apply order: the one post-commit step, then the op's reply. */
static void wr_done(struct write_req *wr, int status)
{
    struct change *c = container_of(wr, struct change, wr);
    struct changes *cs = c->cs;
    if (cs->record)
        record(cs, c);
    if (!status)
        post_commit(cs, c);
    c->reply(c, status, c->user);
}

int changes_submit(struct changes *cs, struct change *c, change_reply_fn reply, void *user)
{
    c->cs = cs;
    c->reply = reply;
    c->user = user;
    if (!cs->cluster)
        return writer_submit_record(cs->srv->writer, &c->wr, wr_apply, wr_done, wr_encode);
    /* Cluster mode: published; applied when it comes back from the stream, in the
     * stream's order, like every other node's records. */
    char msgid[128];
    uint64_t n = ++cs->next_msg;
    snprintf(msgid, sizeof msgid, "%s%llu", cs->msgid_prefix, (unsigned long long)n);
    cs->line.len = 0;
    int rc = change_encode(c, &cs->line);
    if (!rc)
        rc = cluster_publish(cs->cluster, msgid, cs->line.data, cs->line.len);
    if (rc)
        return rc;
    u64map_put(&cs->pending, n, c);
    cs->npending++;
    return 0;
}

/* ---- cluster mode: records from the stream ---- */

/* One stream record on its way through the writer. */
struct stream_req {
    struct write_req wr;
    struct changes *cs;
    struct change *c; /* NULL: the message is not a record (counted, skipped) */
    struct change *mine; /* our own change it is (reply, user), or NULL */
    uint64_t seq, resume;
    uint64_t prev; /* the sequence of the record handed to the writer before this one */
    uint8_t hash[32];
    int status; /* the record's apply */
};

/* meta keys of the stream position, written with each record's changes. */
#define SEQ_KEY "cluster.seq"
#define HASH_KEY "cluster.hash"
#define RESUME_KEY "cluster.resume"

static int put_u64(MDB_txn *txn, const struct store *st, const char *key, uint64_t v)
{
    uint8_t buf[8];
    put_be64(buf, v);
    return store_put(txn, store_dbs(st)->meta, key, strlen(key), buf, 8, 0);
}

/* The record in a nested transaction (a refusal rolls back only itself, as on every
 * node), then the stream position in the batch's: it never fails but for the map. */
static int stream_apply(struct write_req *wr, MDB_txn *txn)
{
    struct stream_req *r = container_of(wr, struct stream_req, wr);
    const struct store *st = r->cs->srv->store;
    int rc;
    r->status = 0;
    /* The position moves only from the record before this one: when one was not
     * committed (a failed commit), none after it is, and a restart resumes there. */
    MDB_val v;
    rc = store_get(txn, store_dbs(st)->meta, SEQ_KEY, strlen(SEQ_KEY), &v);
    uint64_t at = rc == 0 && v.mv_size == 8 ? get_be64(v.mv_data) : 0;
    if ((rc && rc != CC_ENOTFOUND) || at != r->prev)
        return CC_EINTERNAL;
    if (r->c) {
        MDB_txn *child;
        uint64_t mark;
        if ((rc = store_child_begin((struct store *)st, txn, &child, &mark)))
            return rc;
        r->status = store_child_end((struct store *)st, child, change_apply(r->c, child, st),
                                    mark);
        if (r->status == STORE_EMAPFULL)
            return STORE_EMAPFULL;
    }
    if ((rc = put_u64(txn, st, SEQ_KEY, r->seq)) || (rc = put_u64(txn, st, RESUME_KEY, r->resume)))
        return rc;
    return store_put(txn, store_dbs(st)->meta, HASH_KEY, strlen(HASH_KEY), r->hash, 32, 0);
}

static void stream_done(struct write_req *wr, int status)
{
    struct stream_req *r = container_of(wr, struct stream_req, wr);
    struct changes *cs = r->cs;
    struct change *c = r->c;
    if (status) {
        /* Not committed: this node stops, and a restart applies it again from the
         * stream (the position moves only with the records it covers). */
        log_error("cluster: sequence %llu could not be committed (%s): stopping",
                  (unsigned long long)r->seq, ccerr_wire(status));
        raise(SIGTERM);
        if (r->mine)
            r->mine->reply(r->mine, CC_EINTERNAL, r->mine->user);
        change_free(c);
        free(r);
        return;
    }
    cs->cstats.applied_seq = r->seq;
    memcpy(cs->applied_hash, r->hash, 32);
    if (c) {
        if (cs->record)
            record(cs, c);
        if (!r->status)
            post_commit(cs, c);
    }
    if (r->mine) { /* our own: its reply reads what the apply found */
        struct change *mine = r->mine;
        if (c) {
            out_clear(&mine->out);
            mine->out = c->out;
            memset(&c->out, 0, sizeof c->out);
        }
        mine->reply(mine, c ? r->status : CC_EINTERNAL, mine->user);
    }
    change_free(c);
    free(r);
    cluster_wake(cs->cluster); /* room for the next records from the stream */
}

/* Our own pending change published under msgid, taken out of the pending map. */
static struct change *take_pending(struct changes *cs, const char *msgid)
{
    size_t n = strlen(cs->msgid_prefix);
    if (!msgid || strncmp(msgid, cs->msgid_prefix, n) || !msgid[n])
        return NULL;
    uint64_t k = strtoull(msgid + n, NULL, 10);
    struct change *c = k ? u64map_del(&cs->pending, k) : NULL;
    if (c)
        cs->npending--;
    return c;
}

static void on_stream_record(void *user, uint64_t seq, uint64_t resume, const char *msgid,
                             const uint8_t *data, size_t len)
{
    struct changes *cs = user;
    struct stream_req *r = xcalloc(1, sizeof *r);
    r->cs = cs;
    r->seq = seq;
    r->resume = resume;
    r->prev = cs->submitted_seq;
    cs->submitted_seq = seq;
    sha256(data ? data : (const uint8_t *)"", len, r->hash);
    char why[128] = "not a change record";
    if (!data || change_decode((const char *)data, len, &r->c, why, sizeof why)) {
        cs->cstats.bad_records++;
        log_warn("cluster: sequence %llu is not a record this node reads (%s): skipped",
                 (unsigned long long)seq, why);
        r->c = NULL;
    }
    r->mine = take_pending(cs, msgid);
    if (writer_submit(cs->srv->writer, &r->wr, stream_apply, stream_done)) {
        /* The writer is stopping (shutdown): a restart reads it again. */
        if (r->mine)
            r->mine->reply(r->mine, CC_EBUSY, r->mine->user);
        change_free(r->c);
        free(r);
    }
}

/* Stream records waiting for the writer, at most: past it the stream waits (cluster.h). */
#define STREAM_INFLIGHT 4096

static int on_stream_ready(void *user)
{
    struct changes *cs = user;
    return writer_pending(cs->srv->writer) < STREAM_INFLIGHT;
}

static void on_stream_applied(void *user, uint64_t *seq, uint8_t hash[32])
{
    struct changes *cs = user;
    *seq = cs->cstats.applied_seq;
    memcpy(hash, cs->applied_hash, 32);
}

static void on_stream_lost(void *user, const char *reason)
{
    (void)user;
    log_error("cluster: %s", reason);
    raise(SIGTERM); /* stop rather than diverge: the graceful stop, exit 0 */
}

static void on_stream_failed(void *user, const char *msgid)
{
    struct change *c = take_pending(user, msgid);
    if (c)
        c->reply(c, CC_EBUSY, c->user);
}

int changes_cluster_open(struct changes *cs, uv_loop_t *loop, const struct cluster_config *cfg,
                         char *err, size_t errlen)
{
    const struct store *st = cs->srv->store;
    uint64_t applied = 0, resume = 0;
    uint8_t hash[32] = {0};
    MDB_txn *txn;
    MDB_val v;
    if (store_read_begin(cs->srv->store, &txn)) {
        snprintf(err, errlen, "cannot read the stream position");
        return -1;
    }
    if (!store_get(txn, store_dbs(st)->meta, SEQ_KEY, strlen(SEQ_KEY), &v) && v.mv_size == 8)
        applied = get_be64(v.mv_data);
    if (!store_get(txn, store_dbs(st)->meta, RESUME_KEY, strlen(RESUME_KEY), &v) &&
        v.mv_size == 8)
        resume = get_be64(v.mv_data);
    if (!store_get(txn, store_dbs(st)->meta, HASH_KEY, strlen(HASH_KEY), &v) && v.mv_size == 32)
        memcpy(hash, v.mv_data, 32);
    store_read_end(cs->srv->store, txn);
    struct cluster_handlers h = {on_stream_record, on_stream_failed, on_stream_applied,
                                 on_stream_lost, on_stream_ready, cs};
    memcpy(cs->applied_hash, hash, 32);
    /* The secret's fingerprint, for the stream to tell nodes with another secret. */
    struct cluster_config c = *cfg;
    const uint8_t *key = store_secret(st);
    uint8_t buf[32 + 32], fp[32];
    if (!key) {
        snprintf(err, errlen, "no node secret");
        return -1;
    }
    memcpy(buf, key, 32);
    memcpy(buf + 32, "cocreate cluster secret check....", 32);
    sha256(buf, sizeof buf, fp);
    OPENSSL_cleanse(buf, sizeof buf);
    hex_encode(fp, 8, c.secret_check);
    if (cluster_open(&cs->cluster, loop, &c, &h, applied, hash, err, errlen))
        return -1;
    uint8_t run[8];
    char hex[17];
    random_bytes(run, sizeof run);
    hex_encode(run, sizeof run, hex);
    snprintf(cs->msgid_prefix, sizeof cs->msgid_prefix, "%s.%s.", cfg->node, hex);
    cs->cstats.applied_seq = applied;
    cs->submitted_seq = applied;
    cs->start_from = resume && resume <= applied ? resume : applied + 1;
    cs->skip_upto = applied;
    return 0;
}

int changes_cluster_start(struct changes *cs, char *err, size_t errlen)
{
    return cluster_start(cs->cluster, cs->start_from, cs->skip_upto, err, errlen);
}

int changes_stream_position(struct store *st, uint64_t *seq)
{
    MDB_txn *txn;
    MDB_val v;
    int found = 0;
    *seq = 0;
    if (store_read_begin(st, &txn))
        return 0;
    if (!store_get(txn, store_dbs(st)->meta, SEQ_KEY, strlen(SEQ_KEY), &v) && v.mv_size == 8) {
        *seq = get_be64(v.mv_data);
        found = 1;
    }
    store_read_end(st, txn);
    return found;
}

struct cluster *changes_cluster(const struct changes *cs)
{
    return cs->cluster;
}

void changes_cluster_stats(const struct changes *cs, struct changes_cluster_stats *out)
{
    *out = cs->cstats;
    out->pending = cs->npending;
}

/* ---- offline ---- */

struct apply_once {
    struct change *c;
    uint64_t seq;
    int result; /* the apply's: 0, or the refusal it answers */
};

/* The record applied in txn, and with a journal sequence (start-up replay) that sequence
 * recorded as applied: a record its apply refuses leaves nothing but its sequence (its
 * writes rolled back in a nested transaction), which counts all the same. */
static int apply_in(MDB_txn *txn, struct store *st, void *user)
{
    struct apply_once *a = user;
    if (!a->seq)
        return a->result = change_apply(a->c, txn, st);
    MDB_txn *child;
    uint64_t mark;
    int rc = store_child_begin(st, txn, &child, &mark);
    if (rc)
        return rc;
    rc = store_child_end(st, child, change_apply(a->c, child, st), mark);
    if (rc == STORE_EMAPFULL || rc == CC_EINTERNAL)
        return rc;
    a->result = rc;
    return put_u64(txn, st, JOURNAL_SEQ_KEY, a->seq);
}

/* Applies c in a transaction of its own (grown and retried when the map is full),
 * recording seq as the journal's applied sequence when nonzero. Returns the apply's
 * result, or the store's error. */
static int apply_now(struct store *st, struct change *c, uint64_t seq)
{
    struct apply_once a = {c, seq, 0};
    int rc = store_write_once(st, apply_in, &a);
    return rc ? rc : a.result;
}

int changes_apply_now(struct store *st, struct change *c)
{
    return apply_now(st, c, 0);
}

struct recovery {
    struct store *st;
    long refused;
    char *err;
    size_t errlen;
};

static int recover_one(void *user, uint64_t seq, const uint8_t *data, size_t len)
{
    struct recovery *r = user;
    struct change *c;
    char why[128];
    if (change_decode((const char *)data, len, &c, why, sizeof why)) {
        snprintf(r->err, r->errlen, "the journal's record %llu cannot be read (%s)",
                 (unsigned long long)seq, why);
        return -1;
    }
    int rc = apply_now(r->st, c, seq);
    change_free(c);
    if (rc == CC_EINTERNAL || rc == STORE_EMAPFULL) {
        snprintf(r->err, r->errlen, "the journal's record %llu could not be stored",
                 (unsigned long long)seq);
        return -1;
    }
    r->refused += rc != 0;
    return 0;
}

int changes_journal_seq(struct store *st, uint64_t *seq)
{
    MDB_txn *txn;
    MDB_val v;
    *seq = 0;
    if (store_read_begin(st, &txn))
        return CC_EINTERNAL;
    int rc = store_get(txn, store_dbs(st)->meta, JOURNAL_SEQ_KEY, strlen(JOURNAL_SEQ_KEY), &v);
    if (rc == 0 && v.mv_size == 8)
        *seq = get_be64(v.mv_data);
    store_read_end(st, txn);
    return rc == 0 || rc == CC_ENOTFOUND ? 0 : CC_EINTERNAL;
}

long changes_recover(struct store *st, const char *dir, uint64_t *next_seq, char *err,
                     size_t errlen)
{
    uint64_t seq;
    err[0] = '\0';
    if (changes_journal_seq(st, &seq)) {
        snprintf(err, errlen, "cannot read the journal's position in the data");
        return -1;
    }
    struct recovery r = {.st = st, .err = err, .errlen = errlen};
    long n = journal_each(dir, seq, recover_one, &r);
    if (n < 0) {
        if (!err[0])
            snprintf(err, errlen, "cannot read the journal in %s", dir);
        return -1;
    }
    if (n)
        log_info("journal: %ld records after the checkpoint applied again (%ld refused as "
                 "before)", n, r.refused);
    *next_seq = seq + (uint64_t)n + 1;
    return n;
}

long changes_apply_file(struct store *st, const char *path, long *failed, char *err,
                        size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long applied = 0, lineno = 0;
    *failed = 0;
    int rc = 0;
    while (!rc && (n = getline(&line, &cap, f)) > 0) {
        lineno++;
        if ((size_t)n > RECORD_LINE_MAX) {
            snprintf(err, errlen, "%s:%ld: a record longer than %zu bytes", path, lineno,
                     RECORD_LINE_MAX);
            rc = -1;
            break;
        }
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        if (!n)
            continue;
        struct change *c;
        char why[128];
        if (change_decode(line, (size_t)n, &c, why, sizeof why)) {
            snprintf(err, errlen, "%s:%ld: %s", path, lineno, why);
            rc = -1;
            break;
        }
        int arc = changes_apply_now(st, c);
        if (arc == CC_EINTERNAL || arc == STORE_EMAPFULL) {
            snprintf(err, errlen, "%s:%ld: a %s record could not be stored", path, lineno,
                     kinds[c->kind].name);
            rc = -1;
        } else if (arc) {
            ++*failed; /* refused by its apply, as when it was first applied */
        } else {
            applied++;
        }
        change_free(c);
    }
    if (!rc && ferror(f)) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        rc = -1;
    }
    free(line);
    fclose(f);
    return rc ? -1 : applied;
}
