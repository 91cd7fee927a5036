/* Contests. See contests.h. */
#include "contests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccerr.h"
#include "kind.h"
#include "util.h"

static json_t *open_record(void)
{
    return json_pack("{sssssssssnssss sIsIsIsbsI}", "id", CONTEST_OPEN, "slug", CONTEST_OPEN,
                     "title", "Open gallery", "brief",
                     "Everything, any time: no deadlines, hearts for what you like.", "prize",
                     "kind", "any", "scale", "heart", "submit_open", (json_int_t)0,
                     "submit_close", (json_int_t)0, "vote_close", (json_int_t)0, "closed", 0,
                     "threshold", (json_int_t)0);
}

int contest_record(MDB_txn *txn, const struct store *st, const char *id, json_t **out)
{
    if (!strcmp(id, CONTEST_OPEN)) {
        *out = open_record();
        return 0;
    }
    MDB_val v;
    int rc = store_get(txn, store_dbs(st)->contests, id, strlen(id), &v);
    if (rc)
        return rc;
    json_error_t e;
    *out = json_loadb(v.mv_data, v.mv_size, 0, &e);
    return *out ? 0 : CC_EINTERNAL;
}

static int64_t get_int(const json_t *o, const char *k)
{
    return (int64_t)json_integer_value(json_object_get(o, k));
}

void contest_from_record(const json_t *rec, struct contest *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "%s", json_string_value(json_object_get(rec, "id")) ?: "");
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    if (kind && strcmp(kind, "any") != 0)
        snprintf(out->kind, sizeof out->kind, "%s", kind);
    out->scale = scale_find(json_string_value(json_object_get(rec, "scale")) ?: "");
    if (!out->scale)
        out->scale = scale_default();
    out->submit_open = get_int(rec, "submit_open");
    out->submit_close = get_int(rec, "submit_close");
    out->vote_close = get_int(rec, "vote_close");
    out->closed = json_is_true(json_object_get(rec, "closed"));
    out->threshold = (uint64_t)get_int(rec, "threshold");
    const char *tv = json_string_value(json_object_get(json_object_get(rec, "terms"), "version"));
    snprintf(out->terms, sizeof out->terms, "%s", tv ? tv : "");
    size_t i;
    json_t *st;
    json_array_foreach(json_object_get(rec, "stages"), i, st)
    {
        if (out->nstages < CONTEST_STAGES_MAX) {
            out->stages[out->nstages].supports = (uint32_t)get_int(st, "supports");
            out->stages[out->nstages].days = (uint32_t)get_int(st, "days");
            out->nstages++;
        }
    }
    out->tallies_hidden = json_is_true(json_object_get(rec, "tallies_hidden"));
    out->tallies_revealed = json_is_true(json_object_get(rec, "tallies_revealed"));
}

int contest_sealed(const struct contest *c)
{
    return c->tallies_hidden && !c->tallies_revealed;
}

int contest_reveal_due(json_t *record, enum phase phase)
{
    if (!json_is_true(json_object_get(record, "tallies_hidden")) ||
        json_is_true(json_object_get(record, "tallies_revealed")) || phase < PHASE_JUDGING)
        return 0;
    json_object_set_new(record, "tallies_revealed", json_true());
    return 1;
}

/* The settings of the last few contest records loaded on this thread, keyed by their
 * exact stored bytes: a vote's apply loads its contest's settings (the phase at its
 * time), and parsing the record's JSON each time cost more than the rest of the vote's
 * reads. A hit compares the bytes read from the transaction, so it is never stale; a
 * record longer than CONTEST_CACHE_BYTES is parsed every time. */
#define CONTEST_CACHE 8
#define CONTEST_CACHE_BYTES 2048
static _Thread_local struct {
    char id[CONTEST_ID_MAX + 1];
    size_t len;
    char bytes[CONTEST_CACHE_BYTES];
    struct contest c;
} cache[CONTEST_CACHE];
static _Thread_local unsigned cache_next;

int contest_load(MDB_txn *txn, const struct store *st, const char *id, struct contest *out)
{
    MDB_val v = {0, NULL};
    size_t idlen = strlen(id);
    int rc, open = !strcmp(id, CONTEST_OPEN);
    if (idlen > CONTEST_ID_MAX)
        return CC_ENOTFOUND;
    if (!open && (rc = store_get(txn, store_dbs(st)->contests, id, idlen, &v)))
        return rc;
    for (unsigned i = 0; i < CONTEST_CACHE; i++)
        if (cache[i].len == v.mv_size && !strcmp(cache[i].id, id) && cache[i].id[0] &&
            (!v.mv_size || !memcmp(cache[i].bytes, v.mv_data, v.mv_size))) {
            *out = cache[i].c;
            return 0;
        }
    json_t *rec;
    if (open) {
        rec = open_record();
    } else {
        json_error_t e;
        if (!(rec = json_loadb(v.mv_data, v.mv_size, 0, &e)))
            return CC_EINTERNAL;
    }
    contest_from_record(rec, out);
    snprintf(out->id, sizeof out->id, "%s", id);
    json_decref(rec);
    if (v.mv_size <= CONTEST_CACHE_BYTES) {
        unsigned i = cache_next++ % CONTEST_CACHE;
        snprintf(cache[i].id, sizeof cache[i].id, "%s", id);
        cache[i].len = v.mv_size;
        if (v.mv_size)
            memcpy(cache[i].bytes, v.mv_data, v.mv_size);
        cache[i].c = *out;
    }
    return 0;
}

/* meta "phase.<contest id>" → one byte: the phase told. */
static size_t told_key(const char *id, char key[8 + CONTEST_ID_MAX + 1])
{
    return (size_t)snprintf(key, 8 + CONTEST_ID_MAX + 1, "phase.%s", id);
}

int contest_phase_told(MDB_txn *txn, const struct store *st, const char *id)
{
    char key[8 + CONTEST_ID_MAX + 1];
    MDB_val v;
    if (store_get(txn, store_dbs(st)->meta, key, told_key(id, key), &v) || v.mv_size != 1)
        return -1;
    return ((const uint8_t *)v.mv_data)[0];
}

int contest_phase_tell(MDB_txn *txn, const struct store *st, const char *id, enum phase p)
{
    char key[8 + CONTEST_ID_MAX + 1];
    uint8_t b = (uint8_t)p;
    return store_put(txn, store_dbs(st)->meta, key, told_key(id, key), &b, 1, 0);
}

enum phase contest_phase(const struct contest *c, int64_t now)
{
    if (c->closed)
        return PHASE_CLOSED;
    if (c->submit_open && now < c->submit_open)
        return PHASE_UPCOMING;
    if (!c->submit_close || now < c->submit_close)
        return PHASE_SUBMISSIONS;
    if (!c->vote_close || now < c->vote_close)
        return PHASE_VOTING;
    return PHASE_JUDGING;
}

static const char *const phase_names[] = {"upcoming", "submissions", "voting", "judging",
                                          "closed"};

const char *phase_name(enum phase p)
{
    return phase_names[p];
}

int phase_parse(const char *name)
{
    for (int i = 0; i < 5; i++)
        if (!strcmp(name, phase_names[i]))
            return i;
    return -1;
}

int contest_accepts_kind(const struct contest *c, const char *kind)
{
    return !c->kind[0] || !strcmp(c->kind, kind);
}

json_t *contest_json(const json_t *record, int64_t now)
{
    struct contest c;
    memset(&c, 0, sizeof c);
    c.submit_open = get_int(record, "submit_open");
    c.submit_close = get_int(record, "submit_close");
    c.vote_close = get_int(record, "vote_close");
    c.closed = json_is_true(json_object_get(record, "closed"));
    json_t *o = json_deep_copy(record);
    json_object_set_new(o, "phase", json_string(phase_name(contest_phase(&c, now))));
    return o;
}

/* ---- create / update ---- */

static int fail(struct jargs_err *e, const char *field, const char *why)
{
    e->field = field;
    snprintf(e->why, sizeof e->why, "%s", why);
    return CC_EBADARGS;
}

/* A text field of 1..max characters (0..max when it may be empty). */
static int text_arg(json_t *args, json_t *rec, const char *name, size_t min, size_t max,
                    int required, struct jargs_err *e)
{
    const char *v;
    int rc = jargs_string(args, name, required, 0, 4 * max, &v, e);
    if (rc < 0)
        return rc;
    if (rc == 1)
        return 0;
    long n = utf8_count(v, strlen(v), NULL);
    if (n < 0 || (size_t)n < min || (size_t)n > max) {
        e->field = name;
        snprintf(e->why, sizeof e->why, "must be %zu to %zu characters long", min, max);
        return CC_EBADARGS;
    }
    json_object_set_new(rec, name, json_string(v));
    return 0;
}

/* terms {version, text} (SPEC §7), or null to drop them. */
static int terms_arg(json_t *args, json_t *rec, struct jargs_err *e)
{
    json_t *t = json_object_get(args, "terms");
    if (!t)
        return 0;
    if (json_is_null(t)) {
        json_object_del(rec, "terms");
        return 0;
    }
    const char *version, *text;
    if (!json_is_object(t))
        return fail(e, "terms", "must be an object {version, text} or null");
    if (jargs_string(t, "version", JARGS_REQUIRED, 1, CONTEST_TERMS_VERSION_MAX, &version, e) ||
        strspn(version, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") !=
            strlen(version))
        return fail(e, "terms", "needs a version of 1 to 32 letters, digits, . _ or -");
    json_t *probe = json_object();
    int rc = text_arg(t, probe, "text", 1, CONTEST_TERMS_TEXT_MAX, 1, e);
    text = json_string_value(json_object_get(probe, "text"));
    if (!rc)
        json_object_set_new(rec, "terms", json_pack("{ssss}", "version", version, "text", text));
    json_decref(probe);
    if (rc)
        e->field = "terms";
    return rc;
}

/* stages [{supports, days}, ...] (SPEC §8), or null to drop them. */
static int stages_arg(json_t *args, json_t *rec, struct jargs_err *e)
{
    json_t *v = json_object_get(args, "stages");
    if (!v)
        return 0;
    if (json_is_null(v)) {
        json_object_del(rec, "stages");
        return 0;
    }
    size_t n = json_array_size(v), i;
    if (!json_is_array(v) || n < 1 || n > CONTEST_STAGES_MAX)
        return fail(e, "stages", "must be 1 to 8 stages [{supports, days}, ...] or null");
    json_t *out = json_array(), *st;
    json_int_t last = 0;
    json_array_foreach(v, i, st)
    {
        json_int_t supports, days;
        if (!json_is_object(st) ||
            jargs_int(st, "supports", JARGS_REQUIRED, 1, 1000000000, &supports, e) ||
            jargs_int(st, "days", JARGS_REQUIRED, 1, 365, &days, e) || supports <= last) {
            json_decref(out);
            return fail(e, "stages", "each stage needs supports (1 to 10^9, more than the "
                                     "stage before) and days (1 to 365)");
        }
        last = supports;
        json_array_append_new(out, json_pack("{sIsI}", "supports", supports, "days", days));
    }
    json_object_set_new(rec, "stages", out);
    return 0;
}

static int time_arg(json_t *args, json_t *rec, const char *name, struct jargs_err *e)
{
    json_int_t t;
    int rc = jargs_int(args, name, JARGS_OPTIONAL, 0, (json_int_t)1 << 40, &t, e);
    if (rc < 0)
        return rc;
    if (rc == 0)
        json_object_set_new(rec, name, json_integer(t));
    return 0;
}

int contest_from_args(json_t *args, const json_t *base, json_t **out, struct jargs_err *e)
{
    int create = base == NULL;
    json_t *rec = create ? json_object() : json_deep_copy(base);
    int rc;
    if (create) {
        const char *slug, *kind, *scale;
        if ((rc = jargs_string(args, "slug", JARGS_REQUIRED, 1, CONTEST_ID_MAX, &slug, e)))
            goto fail;
        if (strspn(slug, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(slug) ||
            !strcmp(slug, CONTEST_OPEN)) {
            rc = fail(e, "slug", "must be a-z 0-9 - and not \"open\"");
            goto fail;
        }
        if ((rc = jargs_string(args, "kind", JARGS_REQUIRED, 1, 16, &kind, e)))
            goto fail;
        if (!kind_find(kind)) {
            rc = fail(e, "kind", "must be artwork or level");
            goto fail;
        }
        if ((rc = jargs_string(args, "scale", JARGS_REQUIRED, 1, 16, &scale, e)))
            goto fail;
        if (!scale_find(scale)) {
            rc = fail(e, "scale", "must be stars5, updown or heart");
            goto fail;
        }
        json_object_set_new(rec, "id", json_string(slug));
        json_object_set_new(rec, "slug", json_string(slug));
        json_object_set_new(rec, "kind", json_string(kind));
        json_object_set_new(rec, "scale", json_string(scale));
        json_object_set_new(rec, "brief", json_string(""));
        json_object_set_new(rec, "prize", json_null());
        json_object_set_new(rec, "submit_open", json_integer(0));
        json_object_set_new(rec, "submit_close", json_integer(0));
        json_object_set_new(rec, "vote_close", json_integer(0));
        json_object_set_new(rec, "threshold", json_integer(0));
        json_object_set_new(rec, "closed", json_false());
        int hidden = 0;
        if ((rc = jargs_bool(args, "tallies_hidden", JARGS_OPTIONAL, &hidden, e)) < 0)
            goto fail;
        json_object_set_new(rec, "tallies_hidden", json_boolean(hidden));
    } else {
        static const char *const fixed[] = {"slug", "kind", "scale", "tallies_hidden"};
        for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
            if (json_object_get(args, fixed[i])) {
                rc = fail(e, fixed[i], "cannot change after the contest is created");
                goto fail;
            }
    }
    if ((rc = text_arg(args, rec, "title", 1, CONTEST_TITLE_MAX, create, e)) ||
        (rc = text_arg(args, rec, "brief", 0, CONTEST_BRIEF_MAX, 0, e)) ||
        (rc = text_arg(args, rec, "prize", 0, CONTEST_PRIZE_MAX, 0, e)) ||
        (rc = time_arg(args, rec, "submit_open", e)) ||
        (rc = time_arg(args, rec, "submit_close", e)) ||
        (rc = time_arg(args, rec, "vote_close", e)) || (rc = terms_arg(args, rec, e)) ||
        (rc = stages_arg(args, rec, e)))
        goto fail;
    json_int_t threshold;
    if ((rc = jargs_int(args, "threshold", JARGS_OPTIONAL, 0, 1000000000, &threshold, e)) < 0)
        goto fail;
    if (rc == 0)
        json_object_set_new(rec, "threshold", json_integer(threshold));
    int closed;
    if ((rc = jargs_bool(args, "closed", JARGS_OPTIONAL, &closed, e)) < 0)
        goto fail;
    if (rc == 0) {
        if (create || (!closed && json_is_true(json_object_get(rec, "closed")))) {
            rc = fail(e, "closed", create ? "a new contest is not closed"
                                          : "a closed contest stays closed");
            goto fail;
        }
        json_object_set_new(rec, "closed", json_boolean(closed));
    }
    int64_t so = get_int(rec, "submit_open"), sc = get_int(rec, "submit_close"),
            vc = get_int(rec, "vote_close");
    if (sc && so > sc) {
        rc = fail(e, "submit_close", "must not be before submit_open");
        goto fail;
    }
    if (vc && (!sc || vc < sc)) {
        rc = fail(e, "vote_close", "needs submit_close and must not be before it");
        goto fail;
    }
    *out = rec;
    return 0;
fail:
    json_decref(rec);
    return rc < 0 ? rc : CC_EBADARGS;
}

int contest_put(MDB_txn *txn, const struct store *st, const json_t *record, int create)
{
    const char *id = json_string_value(json_object_get(record, "id"));
    char *text = json_dumps(record, JSON_COMPACT | JSON_SORT_KEYS);
    int rc = store_put(txn, store_dbs(st)->contests, id, strlen(id), text, strlen(text),
                       create ? MDB_NOOVERWRITE : 0);
    free(text);
    return rc;
}

int contest_all(MDB_txn *txn, const struct store *st, json_t *arr)
{
    json_array_append_new(arr, open_record());
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, store_dbs(st)->contests, &cur);
    if (rc)
        return store_err(rc);
    MDB_val k, v;
    for (int op = MDB_FIRST; !(rc = mdb_cursor_get(cur, &k, &v, op)); op = MDB_NEXT) {
        json_error_t e;
        json_t *rec = json_loadb(v.mv_data, v.mv_size, 0, &e);
        if (rec)
            json_array_append_new(arr, rec);
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : store_err(rc);
}
