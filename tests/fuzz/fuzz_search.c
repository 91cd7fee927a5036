/* Fuzz target `search`: SPEC §8's search without a server (server/search.c): the word
 * folding of titles, tags, names and queries (search_words: NFKD, case folding, marks
 * dropped, libunistring), and the matching of a query against a small index built in
 * the target (search_add_text, search_match). The input is lines of valid UTF-8 (cut at
 * the first invalid byte, as a JSON string could not hold one): each line but the last
 * a design, `TITLE <tab> TAG <tab> ... <tab> CREATOR NAME`; the last the query. The
 * promises checked:
 * - search_words gives at most the words asked for, each 1–SEARCH_WORD_MAX bytes of
 *   letters and digits (no marks), valid UTF-8, and folding a word again gives it back;
 * - search_match finds exactly the designs a plain model finds — every query word matches
 *   a word of the design exactly, as a prefix, or (5+ letters) one edit (Damerau, on
 *   code points) from one of its prefixes — with the same best match per word. */
#include <stdlib.h>
#include <string.h>

#include <unictype.h>
#include <unistr.h>

#include "fuzz.h"
#include "search.h"
#include "util.h"

#define DESIGNS_MAX 32
#define TAGS_MAX 8
/* index_record's room for a design's words (search.c): 3 fields × 8 words × 4. */
#define DOC_WORDS (3 * SEARCH_WORDS_MAX * 4)

struct doc {
    char w[DOC_WORDS][SEARCH_WORD_MAX + 1];
    int field[DOC_WORDS];
    int n;
};

static struct doc docs[DESIGNS_MAX];
static int ndocs;
static uint8_t found[DESIGNS_MAX][SEARCH_WORDS_MAX];
static int nfound[DESIGNS_MAX];

static void check_words(const char *text, int max)
{
    char (*w)[SEARCH_WORD_MAX + 1] = xmalloc((size_t)(max ? max : 1) * sizeof *w);
    int n = search_words(text, w, max);
    FUZZ_CHECK(n >= 0 && n <= max);
    for (int i = 0; i < n; i++) {
        size_t len = strlen(w[i]);
        FUZZ_CHECK(len >= 1 && len <= SEARCH_WORD_MAX);
        FUZZ_CHECK(u8_check((const uint8_t *)w[i], len) == NULL);
        ucs4_t uc;
        for (const uint8_t *p = (const uint8_t *)w[i]; (p = u8_next(&uc, p));)
            FUZZ_CHECK(uc_is_alnum(uc) && !uc_is_general_category(uc, UC_CATEGORY_M));
        char again[2][SEARCH_WORD_MAX + 1];
        int k = search_words(w[i], again, 2);
        FUZZ_CHECK(k == 1 && !strcmp(again[0], w[i]));
    }
    free(w);
}

/* The words a design is indexed under, in index_record's order and bounds. */
static void doc_add(struct doc *d, const char *text, int field)
{
    if (d->n >= DOC_WORDS)
        return;
    int k = search_words(text, d->w + d->n, DOC_WORDS - d->n);
    for (int i = 0; i < k; i++)
        d->field[d->n++] = field;
}

/* Code points of s into out; returns how many. */
static size_t to_points(const char *s, ucs4_t *out)
{
    size_t n = 0;
    ucs4_t uc;
    for (const uint8_t *p = (const uint8_t *)s; (p = u8_next(&uc, p)) && n < SEARCH_WORD_MAX;)
        out[n++] = uc;
    return n;
}

/* The optimal string alignment distance of a and b (edits, transpositions of neighbours). */
static size_t osa(const ucs4_t *a, size_t m, const ucs4_t *b, size_t n)
{
    static size_t d[SEARCH_WORD_MAX + 2][SEARCH_WORD_MAX + 2];
    for (size_t i = 0; i <= m; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= n; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= m; i++)
        for (size_t j = 1; j <= n; j++) {
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[m][n];
}

/* The model's match class of query word q against word v: 3 exact, 2 prefix, 1 typo. */
static int model_class(const char *q, const char *v)
{
    size_t ql = strlen(q);
    if (!strcmp(q, v))
        return 3;
    if (!strncmp(q, v, ql))
        return 2;
    ucs4_t qp[SEARCH_WORD_MAX], vp[SEARCH_WORD_MAX];
    size_t qn = to_points(q, qp), vn = to_points(v, vp);
    if (qn < 5)
        return 0;
    for (size_t len = qn - 1; len <= qn + 1 && len <= vn; len++)
        if (osa(qp, qn, vp, len) <= 1)
            return 1;
    return 0;
}

static void on_match(void *user, uint64_t design, const uint8_t *best)
{
    const struct search_query *q = user;
    FUZZ_CHECK(design >= 1 && design <= (uint64_t)ndocs);
    FUZZ_CHECK(!nfound[design - 1]++);
    memcpy(found[design - 1], best, (size_t)q->nwords);
}

/* The text up to its first byte that is not valid UTF-8 (cut in place). */
static char *valid_prefix(char *s)
{
    const uint8_t *bad = u8_check((uint8_t *)s, strlen(s));
    if (bad)
        *(char *)bad = '\0';
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = xmalloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    char *lines[DESIGNS_MAX + 1];
    int nl = 0;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l && nl <= DESIGNS_MAX;
         l = strtok_r(NULL, "\n", &save))
        lines[nl++] = valid_prefix(l);
    if (nl < 2) {
        if (nl)
            check_words(lines[0], SEARCH_WORDS_MAX);
        free(text);
        return 0;
    }
    struct search *s = search_new_ready();
    ndocs = nl - 1;
    for (int i = 0; i < ndocs; i++) {
        char *field[TAGS_MAX + 2];
        int nf = 0;
        for (char *save = NULL, *f = strtok_r(lines[i], "\t", &save); f && nf < TAGS_MAX + 2;
             f = strtok_r(NULL, "\t", &save))
            field[nf++] = f;
        const char *title = nf ? field[0] : "", *name = nf > 1 ? field[nf - 1] : "";
        int ntags = nf > 2 ? nf - 2 : 0;
        check_words(title, DOC_WORDS);
        search_add_text(s, (uint64_t)i + 1, title, (const char *const *)field + 1,
                        (size_t)ntags, name);
        struct doc *d = &docs[i];
        d->n = 0;
        doc_add(d, title, 2);
        for (int t = 0; t < ntags; t++)
            doc_add(d, field[1 + t], 1);
        doc_add(d, name, 0);
        nfound[i] = 0;
    }
    struct search_query q;
    memset(&q, 0, sizeof q);
    check_words(lines[nl - 1], SEARCH_WORDS_MAX);
    q.nwords = search_words(lines[nl - 1], q.words, SEARCH_WORDS_MAX);
    size_t n = search_match(s, &q, on_match, &q);
    size_t want = 0;
    for (int i = 0; i < ndocs; i++) {
        uint8_t best[SEARCH_WORDS_MAX] = {0};
        int all = q.nwords > 0;
        for (int qi = 0; qi < q.nwords; qi++) {
            for (int k = 0; k < docs[i].n; k++) {
                int c = model_class(q.words[qi], docs[i].w[k]);
                uint8_t score = (uint8_t)(c * 4 + docs[i].field[k] + 1);
                if (c && score > best[qi])
                    best[qi] = score;
            }
            all &= best[qi] != 0;
        }
        FUZZ_CHECK(nfound[i] == all);
        if (all) {
            want++;
            FUZZ_CHECK(!memcmp(found[i], best, (size_t)q.nwords));
        }
    }
    FUZZ_CHECK(n == want);
    search_close(s);
    free(text);
    return 0;
}
