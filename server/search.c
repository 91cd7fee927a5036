/* The search index. See search.h. */
#include "search.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>
#include <uv.h>

#include "catalog.h"
#include "ccerr.h"
#include "creators.h"
#include "design_view.h"
#include "designs.h"
#include "kind.h"
#include "log.h"
#include "server.h"
#include "u64map.h"
#include "util.h"

/* Fields, weighted for the ranking: title above tags above creator name. */
enum { F_TITLE = 2, F_TAG = 1, F_CREATOR = 0 };
/* Match classes: exact above prefix above typo. */
enum { M_TYPO = 1, M_PREFIX = 2, M_EXACT = 3 };

struct word {
    char *text;
    uint64_t *post; /* design id << 2 | field */
    uint32_t n, cap;
    uint8_t len;
    uint8_t packed; /* PACKED_*: what lives in the index's blocks, not malloc'd alone */
};
enum { PACKED_TEXT = 1, PACKED_POST = 2 };

struct sdoc {
    uint32_t n;
    uint32_t packed; /* in the index's blocks */
    uint32_t e[];    /* word id << 2 | field */
};

/* The start-up build allocates the words' texts and the docs from big blocks and the
 * postings at their final sizes in one array: made one by one between the parsing of
 * every record, they would leave the heap the parsed records were freed into pinned by
 * a few live pieces on every page (~180 bytes a design more than the index itself, in
 * a thread's arena that malloc_trim does not shrink). */
#define SEARCH_BLOCK (1u << 20)
struct block {
    struct block *next;
    size_t used, cap;
    _Alignas(8) char mem[];
};

/* A design's fingerprint (SPEC §8 look-alikes): scanned linearly — 64-bit XOR and a
 * popcount per design, ~0.1 ms for 100k designs. */
struct fpe {
    uint64_t design, creator, fp;
    int kind;
};

struct sindex {
    int building;          /* the start-up build: packed allocations, postings counted */
    struct block *blocks;  /* texts and docs of the build */
    uint64_t *postings;    /* every word's postings of the build, end to end */
    struct word *words;
    uint32_t nwords, capwords;
    struct u64map vocab; /* FNV-1a of the word (+ probing) → word id + 1 */
    struct u64map docs;  /* design id → struct sdoc * */
    struct fpe *fps;     /* every fingerprinted design, by upload order */
    size_t nfps, capfps;
    struct u64map fp_at; /* design id → its place in fps + 1 */
    struct u64map flagged; /* designs uploaded with look-alikes (their "similar") */
    size_t bytes;
};

struct search {
    struct server *srv;
    struct sindex *idx;    /* NULL while building */
    struct u64map dirty;   /* designs changed while building */
    struct build *job;     /* the build in flight, or NULL */
};

/* ---- words ---- */

int search_words(const char *text, char words[][SEARCH_WORD_MAX + 1], int max)
{
    size_t flen = 0;
    uint8_t *f = u8_casefold((const uint8_t *)text, strlen(text), NULL, UNINORM_NFKD, NULL,
                             &flen);
    if (!f)
        return 0;
    int n = 0;
    size_t wl = 0;
    for (size_t i = 0; i < flen;) {
        ucs4_t uc;
        int k = u8_mbtouc(&uc, f + i, flen - i);
        i += (size_t)(k > 0 ? k : 1);
        if (uc_is_general_category(uc, UC_CATEGORY_M))
            continue; /* accents, after NFKD: é → e */
        if (!uc_is_alnum(uc)) {
            if (wl && n < max)
                words[n++][wl] = '\0';
            wl = 0;
            continue;
        }
        if (n >= max)
            break;
        uint8_t buf[6];
        int b = u8_uctomb(buf, uc, sizeof buf);
        if (b > 0 && wl + (size_t)b <= SEARCH_WORD_MAX) {
            memcpy(words[n] + wl, buf, (size_t)b);
            wl += (size_t)b;
        }
    }
    if (wl && n < max)
        words[n++][wl] = '\0';
    free(f);
    return n;
}

/* ---- the index ---- */

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 1099511628211ULL;
    return h ? h : 1;
}

/* n bytes (8-aligned) from x's blocks. */
static void *index_bump(struct sindex *x, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    struct block *b = x->blocks;
    if (!b || b->used + n > b->cap) {
        size_t cap = n > SEARCH_BLOCK ? n : SEARCH_BLOCK;
        b = xmalloc(sizeof *b + cap);
        b->next = x->blocks;
        b->used = 0;
        b->cap = cap;
        x->blocks = b;
        x->bytes += cap;
    }
    void *p = b->mem + b->used;
    b->used += n;
    return p;
}

static struct sindex *index_new(void)
{
    struct sindex *x = xcalloc(1, sizeof *x);
    u64map_init(&x->vocab);
    u64map_init(&x->docs);
    u64map_init(&x->fp_at);
    u64map_init(&x->flagged);
    return x;
}

static void index_free(struct sindex *x)
{
    if (!x)
        return;
    for (uint32_t i = 0; i < x->nwords; i++) {
        if (!(x->words[i].packed & PACKED_TEXT))
            free(x->words[i].text);
        if (!(x->words[i].packed & PACKED_POST))
            free(x->words[i].post);
    }
    free(x->words);
    void *d;
    for (size_t at = 0; u64map_next(&x->docs, &at, NULL, &d);)
        if (!((struct sdoc *)d)->packed)
            free(d);
    while (x->blocks) {
        struct block *b = x->blocks;
        x->blocks = b->next;
        free(b);
    }
    free(x->postings);
    u64map_free(&x->docs);
    u64map_free(&x->vocab);
    free(x->fps);
    u64map_free(&x->fp_at);
    u64map_free(&x->flagged);
    free(x);
}

/* The id of word w (len bytes), made when create; UINT32_MAX when unknown. Words whose
 * hashes collide take the next free keys (linear probing over the 64-bit hash). */
static uint32_t word_id(struct sindex *x, const char *w, size_t len, int create)
{
    uint64_t h = fnv(w, len);
    for (;;) {
        uintptr_t v = (uintptr_t)u64map_get(&x->vocab, h);
        if (!v)
            break;
        struct word *e = &x->words[v - 1];
        if (e->len == len && !memcmp(e->text, w, len))
            return (uint32_t)(v - 1);
        h = h + 1 ? h + 1 : 1;
    }
    if (!create)
        return UINT32_MAX;
    if (x->nwords == x->capwords) {
        uint32_t cap = x->capwords ? 2 * x->capwords : 1024;
        x->words = xrealloc(x->words, cap * sizeof *x->words);
        if (!x->building) /* the build's are counted at its end */
            x->bytes += (cap - x->capwords) * sizeof *x->words;
        x->capwords = cap;
    }
    struct word *e = &x->words[x->nwords];
    memset(e, 0, sizeof *e);
    if (x->building) {
        e->text = index_bump(x, len + 1);
        e->packed = PACKED_TEXT;
    } else {
        e->text = xmalloc(len + 1);
        x->bytes += len + 1;
    }
    memcpy(e->text, w, len);
    e->text[len] = '\0';
    e->len = (uint8_t)len;
    u64map_put(&x->vocab, h, (void *)(uintptr_t)(x->nwords + 1)); /* h: the free key */
    return x->nwords++;
}

static void post_add(struct sindex *x, uint32_t w, uint64_t entry)
{
    struct word *e = &x->words[w];
    if (x->building) { /* counted now, placed by index_place_postings */
        e->n++;
        return;
    }
    if (e->n == e->cap) {
        uint32_t cap = e->cap ? 2 * e->cap : 2;
        if (e->packed & PACKED_POST) { /* at its size in x->postings: moves out */
            uint64_t *p = xmalloc(cap * sizeof *p);
            memcpy(p, e->post, e->n * sizeof *p);
            e->post = p;
            e->packed &= (uint8_t)~PACKED_POST;
            x->bytes += cap * sizeof *p;
        } else {
            e->post = xrealloc(e->post, cap * sizeof *e->post);
            x->bytes += (cap - e->cap) * sizeof *e->post;
        }
        e->cap = cap;
    }
    e->post[e->n++] = entry;
}

/* The end of the build: every word's postings in one array at their counted sizes,
 * filled from the docs. */
static void index_place_postings(struct sindex *x)
{
    size_t total = 0;
    for (uint32_t i = 0; i < x->nwords; i++)
        total += x->words[i].n;
    x->postings = xmalloc((total ? total : 1) * sizeof *x->postings);
    x->bytes += total * sizeof *x->postings + x->capwords * sizeof *x->words;
    size_t at = 0;
    for (uint32_t i = 0; i < x->nwords; i++) {
        struct word *e = &x->words[i];
        e->post = x->postings + at;
        e->packed |= PACKED_POST;
        at += e->n;
        e->cap = e->n;
        e->n = 0;
    }
    uint64_t design;
    void *val;
    for (size_t pos = 0; u64map_next(&x->docs, &pos, &design, &val);) {
        const struct sdoc *d = val;
        for (uint32_t j = 0; j < d->n; j++) {
            struct word *e = &x->words[d->e[j] >> 2];
            e->post[e->n++] = design << 2 | (d->e[j] & 3);
        }
    }
    x->building = 0;
}

static void post_del(struct sindex *x, uint32_t w, uint64_t entry)
{
    struct word *e = &x->words[w];
    for (uint32_t i = 0; i < e->n; i++)
        if (e->post[i] == entry) {
            e->post[i] = e->post[--e->n];
            return;
        }
}

static void index_drop(struct sindex *x, uint64_t design)
{
    struct sdoc *d = u64map_del(&x->docs, design);
    if (!d)
        return;
    for (uint32_t i = 0; i < d->n; i++)
        post_del(x, d->e[i] >> 2, design << 2 | (d->e[i] & 3));
    if (!d->packed) {
        x->bytes -= sizeof *d + d->n * sizeof d->e[0];
        free(d);
    }
}

/* Indexes design from its stored record: the words of its title, tags, creator name. */
static void index_record(struct sindex *x, uint64_t design, const json_t *rec,
                         const json_t *la)
{
    index_drop(x, design);
    char w[3 * SEARCH_WORDS_MAX * 4][SEARCH_WORD_MAX + 1];
    int field[3 * SEARCH_WORDS_MAX * 4], n = 0;
    const int cap = (int)(sizeof field / sizeof field[0]);
    const char *title = json_string_value(json_object_get(rec, "title"));
    const char *name = json_string_value(json_object_get(rec, "creator_name"));
    int k = title ? search_words(title, w, cap) : 0;
    for (int i = 0; i < k; i++)
        field[n++] = F_TITLE;
    size_t ti;
    json_t *tag;
    json_array_foreach(json_object_get(rec, "tags"), ti, tag)
    {
        if (!json_is_string(tag) || n >= cap)
            continue;
        k = search_words(json_string_value(tag), w + n, cap - n);
        for (int i = 0; i < k; i++)
            field[n++] = F_TAG;
    }
    k = name && n < cap ? search_words(name, w + n, cap - n) : 0;
    for (int i = 0; i < k; i++)
        field[n++] = F_CREATOR;
    size_t dsize = sizeof(struct sdoc) + (size_t)(n ? n : 1) * sizeof(uint32_t);
    struct sdoc *d = x->building ? index_bump(x, dsize) : xmalloc(dsize);
    d->n = 0;
    d->packed = (uint32_t)x->building;
    for (int i = 0; i < n; i++) {
        uint32_t id = word_id(x, w[i], strlen(w[i]), 1);
        uint32_t e = id << 2 | (uint32_t)field[i];
        int seen = 0;
        for (uint32_t j = 0; j < d->n && !seen; j++)
            seen = d->e[j] == e;
        if (seen)
            continue;
        d->e[d->n++] = e;
        post_add(x, id, design << 2 | (uint64_t)field[i]);
    }
    if (!d->packed)
        x->bytes += sizeof *d + d->n * sizeof d->e[0];
    u64map_put(&x->docs, design, d);
    /* the fingerprint, once (it never changes) */
    const char *fp = json_string_value(json_object_get(la, "fp"));
    const char *creator = json_string_value(json_object_get(rec, "creator"));
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    uint8_t raw[8];
    if (fp && strlen(fp) == 16 && !hex_decode(fp, raw, 8) && creator && kind &&
        !u64map_get(&x->fp_at, design)) {
        if (x->nfps == x->capfps) {
            x->capfps = x->capfps ? 2 * x->capfps : 1024;
            x->fps = xrealloc(x->fps, x->capfps * sizeof *x->fps);
        }
        x->fps[x->nfps] = (struct fpe){design, strtoull(creator, NULL, 10), get_be64(raw),
                                       catalog_kind_number(kind)};
        u64map_put(&x->fp_at, design, (void *)(uintptr_t)++x->nfps);
    }
    if (json_array_size(json_object_get(la, "similar")))
        u64map_put(&x->flagged, design, (void *)1);
}

/* ---- the build on the pool ---- */

struct build {
    uv_work_t work;
    struct search *s; /* NULL once search_close abandoned it */
    struct store *st;
    struct sindex *idx;
    int rc;
    size_t designs;
    atomic_int stop; /* search_stop: the server is shutting down */
};

static void build_work(uv_work_t *w)
{
    struct build *b = w->data;
    b->idx = index_new();
    b->idx->building = 1;
    MDB_txn *txn;
    if ((b->rc = store_read_begin(b->st, &txn)))
        return;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, store_dbs(b->st)->designs, &cur);
    MDB_val k, v;
    for (int op = MDB_FIRST; !rc && !(rc = mdb_cursor_get(cur, &k, &v, op)); op = MDB_NEXT) {
        if (atomic_load_explicit(&b->stop, memory_order_relaxed)) {
            mdb_cursor_close(cur);
            store_read_end(b->st, txn);
            return;
        }
        json_t *rec = json_loadb(v.mv_data, v.mv_size, 0, NULL);
        if (rec && k.mv_size == 8) {
            json_t *la = design_lookalikes(txn, b->st, get_be64(k.mv_data));
            index_record(b->idx, get_be64(k.mv_data), rec, la);
            json_decref(la);
            b->designs++;
        }
        json_decref(rec);
    }
    if (!rc || rc == MDB_NOTFOUND)
        mdb_cursor_close(cur);
    store_read_end(b->st, txn);
    b->rc = rc == MDB_NOTFOUND ? 0 : store_err(rc);
    index_place_postings(b->idx);
}

/* Re-reads design's record into the index (or drops it when there is none). */
static void reindex(struct search *s, uint64_t design)
{
    MDB_txn *txn;
    if (store_read_begin(s->srv->store, &txn))
        return;
    json_t *rec;
    if (!design_load(txn, s->srv->store, design, &rec)) {
        json_t *la = design_lookalikes(txn, s->srv->store, design);
        index_record(s->idx, design, rec, la);
        json_decref(la);
        json_decref(rec);
    } else {
        index_drop(s->idx, design);
    }
    store_read_end(s->srv->store, txn);
}

static void build_after(uv_work_t *w, int status)
{
    struct build *b = w->data;
    struct search *s = b->s;
    if (!s) { /* closed meanwhile */
        index_free(b->idx);
        free(b);
        return;
    }
    s->job = NULL;
    if (atomic_load(&b->stop)) {
        log_info("search: the index build was stopped (shutting down)");
        index_free(b->idx);
        free(b);
        return;
    }
    if (status || b->rc) {
        log_error("search: the index could not be built (%s); search stays unavailable",
                  status ? uv_strerror(status) : ccerr_wire(b->rc));
        index_free(b->idx);
        free(b);
        return;
    }
    s->idx = b->idx;
    uint64_t design; /* (reindex changes s->idx, never s->dirty) */
    for (size_t at = 0; u64map_next(&s->dirty, &at, &design, NULL);)
        reindex(s, design);
    u64map_free(&s->dirty);
    log_info("search: %zu designs indexed, %u words, %zu bytes", b->designs, s->idx->nwords,
             s->idx->bytes);
    free(b);
}

void search_open(struct search **out, struct server *srv)
{
    struct search *s = xcalloc(1, sizeof *s);
    s->srv = srv;
    u64map_init(&s->dirty);
    struct build *b = xcalloc(1, sizeof *b);
    b->work.data = b;
    b->s = s;
    b->st = srv->store;
    if (uv_queue_work(srv->loop, &b->work, build_work, build_after)) {
        log_error("search: cannot start building the index");
        free(b);
    } else {
        s->job = b;
    }
    *out = s;
}

void search_stop(struct search *s)
{
    if (s && s->job)
        atomic_store(&s->job->stop, 1);
}

void search_close(struct search *s)
{
    if (!s)
        return;
    if (s->job)
        s->job->s = NULL;
    index_free(s->idx);
    u64map_free(&s->dirty);
    free(s);
}

struct search *search_new_ready(void)
{
    struct search *s = xcalloc(1, sizeof *s);
    u64map_init(&s->dirty);
    s->idx = index_new();
    return s;
}

void search_add_fingerprint(struct search *s, uint64_t design, uint64_t creator, int kind,
                            uint64_t fp)
{
    struct sindex *x = s->idx;
    if (x->nfps == x->capfps) {
        x->capfps = x->capfps ? 2 * x->capfps : 1024;
        x->fps = xrealloc(x->fps, x->capfps * sizeof *x->fps);
    }
    x->fps[x->nfps] = (struct fpe){design, creator, fp, kind};
    u64map_put(&x->fp_at, design, (void *)(uintptr_t)++x->nfps);
}

void search_design_changed(struct search *s, uint64_t design)
{
    if (!s)
        return;
    if (!s->idx)
        u64map_put(&s->dirty, design, (void *)1);
    else
        reindex(s, design);
}

void search_creator_renamed(struct search *s, uint64_t account)
{
    size_t n;
    struct dmem *const *v = s ? creators_designs_of(s->srv->creators, account, &n) : NULL;
    for (size_t i = 0; v && i < n; i++)
        search_design_changed(s, v[i]->id);
}

int search_similar(const struct search *s, int kind, uint64_t fp, uint64_t creator,
                   uint64_t design, uint64_t *ids, int *dist)
{
    const struct kind *k = NULL;
    int i = 1;
    for (const struct kind *const *p = kind_all(); *p; p++, i++)
        if (i == kind)
            k = *p;
    if (!s || !s->idx || !k)
        return 0;
    int n = 0;
    for (size_t j = 0; j < s->idx->nfps; j++) {
        const struct fpe *e = &s->idx->fps[j];
        if (e->kind != kind || e->creator == creator || e->design == design)
            continue;
        int d = kind_distance(e->fp, fp);
        if (d > k->lookalike_bits)
            continue;
        /* insert into the nearest SEARCH_SIMILAR_MAX, ordered by distance then id */
        int at = n;
        while (at > 0 && (dist[at - 1] > d || (dist[at - 1] == d && ids[at - 1] > e->design)))
            at--;
        if (at >= SEARCH_SIMILAR_MAX)
            continue;
        if (n < SEARCH_SIMILAR_MAX)
            n++;
        for (int m = n - 1; m > at; m--) {
            ids[m] = ids[m - 1];
            dist[m] = dist[m - 1];
        }
        ids[at] = e->design;
        dist[at] = d;
    }
    return n;
}

int search_fingerprint(const struct search *s, uint64_t design, uint64_t *fp, int *kind)
{
    uintptr_t at = s && s->idx ? (uintptr_t)u64map_get(&s->idx->fp_at, design) : 0;
    if (!at)
        return -1;
    *fp = s->idx->fps[at - 1].fp;
    *kind = s->idx->fps[at - 1].kind;
    return 0;
}

void search_similar_json(const struct search *s, const struct dmem *d, struct ccbuf *out)
{
    uint64_t fp, ids[SEARCH_SIMILAR_MAX];
    int kind, dist[SEARCH_SIMILAR_MAX], n = 0;
    if (!search_fingerprint(s, d->id, &fp, &kind))
        n = search_similar(s, kind, fp, d->creator, d->id, ids, dist);
    ccbuf_append_str(out, ",\"similar\":[");
    for (int i = 0; i < n; i++) {
        char e[80];
        int len = snprintf(e, sizeof e, "%s{\"design\":\"%llu\",\"distance\":%d}", i ? "," : "",
                           (unsigned long long)ids[i], dist[i]);
        ccbuf_append(out, e, (size_t)len);
    }
    ccbuf_append(out, "]", 1);
}

void search_flagged(const struct search *s, void (*fn)(void *user, uint64_t design),
                    void *user)
{
    if (!s || !s->idx)
        return;
    uint64_t design;
    for (size_t at = 0; u64map_next(&s->idx->flagged, &at, &design, NULL);)
        fn(user, design);
}

void search_stats(const struct search *s, size_t *bytes, size_t *words, int *ready)
{
    *ready = s && s->idx;
    *bytes = *ready ? s->idx->bytes + u64map_memory(&s->idx->vocab) +
                          u64map_memory(&s->idx->docs) + s->idx->capfps * sizeof(struct fpe) +
                          u64map_memory(&s->idx->fp_at) + u64map_memory(&s->idx->flagged)
                    : 0;
    *words = *ready ? s->idx->nwords : 0;
}

/* ---- queries ---- */

/* Code points of a UTF-8 word (at most SEARCH_WORD_MAX). */
static size_t points(const char *w, size_t len, ucs4_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n < SEARCH_WORD_MAX;) {
        int k = u8_mbtouc(out + n, (const uint8_t *)w + i, len - i);
        i += (size_t)(k > 0 ? k : 1);
        n++;
    }
    return n;
}

/* Whether a (m points) and b (n points) are at most one edit apart: a substitution,
 * an insertion, a deletion, or two adjacent points swapped (Damerau–Levenshtein). */
static int dl1(const ucs4_t *a, size_t m, const ucs4_t *b, size_t n)
{
    if (m > n + 1 || n > m + 1)
        return 0;
    size_t i = 0;
    while (i < m && i < n && a[i] == b[i])
        i++;
    if (i == m || i == n)
        return m == n || (m > n ? m - i : n - i) <= 1;
    if (m == n) /* substitution or transposition at i */
        return !memcmp(a + i + 1, b + i + 1, (m - i - 1) * sizeof *a) ||
               (i + 1 < m && a[i] == b[i + 1] && a[i + 1] == b[i] &&
                !memcmp(a + i + 2, b + i + 2, (m - i - 2) * sizeof *a));
    if (m > n) /* a has one point more */
        return !memcmp(a + i + 1, b + i, (n - i) * sizeof *a);
    return !memcmp(a + i, b + i + 1, (m - i) * sizeof *a);
}

/* How vocabulary word v matches query word q (M_* or 0): a prefix of v equal to q, or
 * (q of 5+ letters) one edit away from q. */
static int match(const char *q, size_t qlen, const ucs4_t *qp, size_t qn, const struct word *v)
{
    if (v->len >= qlen && !memcmp(v->text, q, qlen))
        return v->len == qlen ? M_EXACT : M_PREFIX;
    if (qn < 5)
        return 0;
    ucs4_t vp[SEARCH_WORD_MAX];
    size_t vn = points(v->text, v->len, vp);
    for (size_t len = qn - 1; len <= qn + 1 && len <= vn; len++)
        if (dl1(qp, qn, vp, len))
            return M_TYPO;
    return 0;
}

struct hit {
    uint64_t design;
    void *d;                        /* what the caller's accept gave for it */
    double top; /* search_query: its `top` score, 0 where the viewer may not be ordered
                   by it */
    uint8_t best[SEARCH_WORDS_MAX]; /* per query word: class * 4 + field weight + 1 */
};

static int cmp_hit(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;
    const struct dmem *dx = x->d, *dy = y->d;
    int cx = 0, cy = 0, fx = 0, fy = 0;
    for (int i = 0; i < SEARCH_WORDS_MAX; i++) {
        if (x->best[i]) {
            cx += (x->best[i] - 1) / 4;
            fx += (x->best[i] - 1) % 4;
        }
        if (y->best[i]) {
            cy += (y->best[i] - 1) / 4;
            fy += (y->best[i] - 1) % 4;
        }
    }
    if (cx != cy)
        return cx > cy ? -1 : 1;
    if (fx != fy)
        return fx > fy ? -1 : 1;
    if (x->top != y->top)
        return x->top > y->top ? -1 : 1;
    if (dx->score[SORT_NEW] != dy->score[SORT_NEW])
        return dx->score[SORT_NEW] < dy->score[SORT_NEW] ? -1 : 1;
    return dx->id < dy->id ? -1 : dx->id > dy->id;
}

/* The designs of x matching every word of q, each with its best match per word, into
 * *out (the caller frees it); returns how many. accept(user, design) gives what to keep
 * of a design the first word matched (NULL: leave it out). */
static size_t collect(const struct sindex *x, const struct search_query *q,
                      void *(*accept)(void *user, uint64_t design), void *user, struct hit **out)
{
    struct u64map at; /* design id → its place in hits + 1 */
    u64map_init(&at);
    struct hit *hits = NULL;
    size_t nh = 0, caph = 0;
    for (int qi = 0; qi < q->nwords; qi++) {
        const char *qw = q->words[qi];
        size_t qlen = strlen(qw);
        ucs4_t qp[SEARCH_WORD_MAX];
        size_t qn = points(qw, qlen, qp);
        for (uint32_t wi = 0; wi < x->nwords; wi++) {
            const struct word *v = &x->words[wi];
            int m = v->n ? match(qw, qlen, qp, qn, v) : 0;
            for (uint32_t p = 0; m && p < v->n; p++) {
                uint64_t design = v->post[p] >> 2;
                uint8_t score = (uint8_t)(m * 4 + (int)(v->post[p] & 3) + 1);
                uintptr_t slot = (uintptr_t)u64map_get(&at, design);
                if (!slot) {
                    if (qi)
                        continue; /* missed an earlier word: never a hit */
                    void *d = accept(user, design);
                    if (!d)
                        continue;
                    if (nh == caph) {
                        caph = caph ? 2 * caph : 64;
                        hits = xrealloc(hits, caph * sizeof *hits);
                    }
                    memset(&hits[nh], 0, sizeof hits[nh]);
                    hits[nh].design = design;
                    hits[nh].d = d;
                    u64map_put(&at, design, (void *)(uintptr_t)++nh);
                    slot = nh;
                }
                struct hit *h = &hits[slot - 1];
                if (score > h->best[qi])
                    h->best[qi] = score;
            }
        }
    }
    u64map_free(&at);
    size_t k = 0; /* the designs that matched every word */
    for (size_t i = 0; i < nh; i++) {
        int all = 1;
        for (int qi = 0; qi < q->nwords && all; qi++)
            all = hits[i].best[qi] != 0;
        if (all)
            hits[k++] = hits[i];
    }
    *out = hits;
    return k;
}

/* search_query's accept: the design as the viewer may see it, in the query's filters. */
struct query_filter {
    struct catalog *cat;
    const struct search_query *q;
    const struct session *viewer;
};

static void *query_accept(void *user, uint64_t design)
{
    const struct query_filter *f = user;
    struct dmem *d = catalog_design(f->cat, design);
    if (!d || (f->q->contest && strcmp(catalog_contest_id(d), f->q->contest)) ||
        (f->q->kind && d->kind != f->q->kind) || !dmem_visible(d, f->viewer))
        return NULL;
    return d;
}

int search_query(struct search *s, const struct search_query *q, const struct session *viewer,
                 struct dmem **out, size_t *total)
{
    *total = 0;
    if (!s || !s->idx)
        return CC_EBUSY;
    struct query_filter f = {s->srv->catalog, q, viewer};
    struct hit *hits;
    size_t k = collect(s->idx, q, query_accept, &f, &hits);
    for (size_t i = 0; i < k; i++) { /* SPEC §8: a sealed contest's order is the brand's */
        const struct dmem *d = hits[i].d;
        if (viewer->role == ROLE_BRAND || !dmem_sealed(d))
            hits[i].top = d->score[SORT_TOP];
    }
    if (k > 1)
        qsort(hits, k, sizeof *hits, cmp_hit);
    size_t n = 0, limit = q->limit > CATALOG_PAGE_MAX ? CATALOG_PAGE_MAX : q->limit;
    for (size_t i = q->offset; i < k && n < limit; i++)
        out[n++] = hits[i].d;
    free(hits);
    *total = k;
    return (int)n;
}

static void *accept_all(void *user, uint64_t design)
{
    (void)user;
    (void)design;
    return (void *)1;
}

size_t search_match(const struct search *s, const struct search_query *q,
                    void (*fn)(void *user, uint64_t design, const uint8_t *best), void *user)
{
    struct hit *hits;
    size_t k = collect(s->idx, q, accept_all, NULL, &hits);
    for (size_t i = 0; i < k; i++)
        fn(user, hits[i].design, hits[i].best);
    free(hits);
    return k;
}

void search_add_text(struct search *s, uint64_t design, const char *title, const char *const *tags,
                     size_t ntags, const char *creator_name)
{
    json_t *rec = json_object(), *t = json_array();
    json_object_set_new(rec, "title", json_string(title));
    for (size_t i = 0; i < ntags; i++)
        json_array_append_new(t, json_string(tags[i]));
    json_object_set_new(rec, "tags", t);
    json_object_set_new(rec, "creator_name", json_string(creator_name));
    index_record(s->idx, design, rec, NULL);
    json_decref(rec);
}
