/* Search of SPEC §8: designs by the words of their titles, tags and creator names. Every
 * word of a query must match a word's prefix, case- and accent-insensitively (NFKD,
 * case-folded, combining marks dropped: Debian's libunistring), with one typo
 * (Damerau–Levenshtein distance 1) allowed in query words of 5+ letters; exact words
 * rank above prefixes above typos, title above tags above creator name, then `top`
 * order. Visibility is decided per viewer at query time (hidden, withdrawn: SPEC §5).
 *
 * The index lives in memory: a vocabulary of folded words, for each word the designs
 * (and the field) that hold it, for each design its words. It is built on the thread
 * pool from the stored records after start-up (queries are `busy` until then: the
 * start is not slowed), then kept current by the post-commit steps (a design added,
 * edited, its creator renamed). Loop thread, except the build. */
#ifndef CC_SEARCH_H
#define CC_SEARCH_H

#include <stddef.h>
#include <stdint.h>

struct server;
struct session;
struct dmem;
struct search;
struct ccbuf;

/* SPEC §8 search: q up to 200 characters and 8 words; limit ≤ 100, default 24. */
#define SEARCH_Q_MAX 200
#define SEARCH_WORDS_MAX 8
/* A folded word is kept up to this many bytes (longer ones are cut). */
#define SEARCH_WORD_MAX 48

struct search_query {
    char words[SEARCH_WORDS_MAX][SEARCH_WORD_MAX + 1]; /* folded */
    int nwords;
    const char *contest; /* NULL: every contest */
    int kind;            /* 0 any, else catalog_kind_number() */
    size_t offset, limit;
};

/* Starts the index's build on srv's thread pool. */
void search_open(struct search **out, struct server *srv);
/* Shutting down: a build in flight stops at its next record (the loop, which waits for
 * it, ends soon after) and search stays unavailable. */
void search_stop(struct search *s);
/* Frees it (after the loop ran: a build in flight is abandoned in its after-work). */
void search_close(struct search *s);
/* Splits text into folded words (at most max of them) into words; returns how many. */
int search_words(const char *text, char words[][SEARCH_WORD_MAX + 1], int max);
/* A design was stored or changed (its title, tags): re-read it from the store. */
void search_design_changed(struct search *s, uint64_t design);
/* account's name changed: its designs are re-read. */
void search_creator_renamed(struct search *s, uint64_t account);
/* Answers q as viewer sees the designs: up to q->limit into out, *total matches.
 * CC_EBUSY while the index is being built. */
int search_query(struct search *s, const struct search_query *q, const struct session *viewer,
                 struct dmem **out, size_t *total);
/* SPEC §8 look-alikes: up to SEARCH_SIMILAR_MAX designs of kind (catalog_kind_number)
 * whose fingerprints are within the kind's lookalike_bits of fp, nearest first (ties:
 * smaller id), leaving out designs of creator and design itself; their ids and
 * distances. Returns how many (0 while the index is being built). */
#define SEARCH_SIMILAR_MAX 5
int search_similar(const struct search *s, int kind, uint64_t fp, uint64_t creator,
                   uint64_t design, uint64_t *ids, int *dist);
/* The fingerprint of design, when it has one: 0 and *fp, else -1. */
int search_fingerprint(const struct search *s, uint64_t design, uint64_t *fp, int *kind);
/* Appends ,"similar":[{"design":"<id>","distance":N},...] — design's look-alikes
 * among other creators' designs now (SPEC §8: shown to the brand) — to out. */
void search_similar_json(const struct search *s, const struct dmem *d, struct ccbuf *out);
/* Whether design was uploaded with look-alikes (its record's "similar"): the review
 * queue lists it. Calls fn for each such design. */
void search_flagged(const struct search *s, void (*fn)(void *user, uint64_t design),
                    void *user);
/* For benchmarks and tests, without a server: an empty index, ready, and a design's
 * fingerprint added to it. */
struct search *search_new_ready(void);
void search_add_fingerprint(struct search *s, uint64_t design, uint64_t creator, int kind,
                            uint64_t fp);
/* For tests (the fuzz target `search`), without a server: indexes design's words as a
 * stored record's (title, tags, creator name: valid UTF-8, borrowed), replacing any it
 * had. */
void search_add_text(struct search *s, uint64_t design, const char *title, const char *const *tags,
                     size_t ntags, const char *creator_name);
/* The same matching as search_query without a catalog (every design visible, no
 * filters, no order): calls fn for each design matching every word of q with, per word
 * of q, its best match: class * 4 + field + 1, class 3 exact, 2 prefix, 1 one typo,
 * field 2 title, 1 tag, 0 creator name. Returns how many. s must be ready. */
size_t search_match(const struct search *s, const struct search_query *q,
                    void (*fn)(void *user, uint64_t design, const uint8_t *best), void *user);
/* Bytes the index holds, words in its vocabulary, whether it is ready (/metrics). */
void search_stats(const struct search *s, size_t *bytes, size_t *words, int *ready);

#endif
