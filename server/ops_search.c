/* Op `search` (SPEC §8): designs by the words of their titles, tags and creator names,
 * as search.h ranks them, each as the caller may see it. */
#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "ccerr.h"
#include "contests.h"
#include "design_view.h"
#include "ops.h"
#include "req.h"
#include "search.h"
#include "server.h"

void op_search(struct req *r)
{
    struct jargs_err e;
    const char *text, *contest = NULL, *kind = NULL;
    json_int_t offset = 0, limit = CATALOG_PAGE_DEFAULT;
    if (req_str(r, "q", JARGS_REQUIRED, 1, 4 * SEARCH_Q_MAX, &text, &e) ||
        req_str(r, "contest", JARGS_OPTIONAL, 1, CONTEST_ID_MAX, &contest, &e) < 0 ||
        req_str(r, "kind", JARGS_OPTIONAL, 1, 16, &kind, &e) < 0 ||
        req_int(r, "offset", JARGS_OPTIONAL, 0, INT32_MAX, &offset, &e) < 0 ||
        req_int(r, "limit", JARGS_OPTIONAL, 1, CATALOG_PAGE_MAX, &limit, &e) < 0) {
        req_fail_args(r, &e);
        return;
    }
    struct search_query q;
    memset(&q, 0, sizeof q);
    q.contest = contest;
    q.offset = (size_t)offset;
    q.limit = (size_t)limit;
    e.field = "q";
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        chars += (*p & 0xC0) != 0x80;
    q.nwords = search_words(text, q.words, SEARCH_WORDS_MAX);
    if (chars > SEARCH_Q_MAX) {
        snprintf(e.why, sizeof e.why, "must be at most %d characters long", SEARCH_Q_MAX);
        req_fail_args(r, &e);
        return;
    }
    if (!q.nwords) {
        snprintf(e.why, sizeof e.why, "needs at least one word (letters or digits)");
        req_fail_args(r, &e);
        return;
    }
    char all[SEARCH_WORDS_MAX + 1][SEARCH_WORD_MAX + 1];
    if (search_words(text, all, SEARCH_WORDS_MAX + 1) > SEARCH_WORDS_MAX) {
        snprintf(e.why, sizeof e.why, "may have at most %d words", SEARCH_WORDS_MAX);
        req_fail_args(r, &e);
        return;
    }
    if (kind && !(q.kind = catalog_kind_number(kind))) {
        e.field = "kind";
        snprintf(e.why, sizeof e.why, "must be artwork or level");
        req_fail_args(r, &e);
        return;
    }
    struct server *srv = req_server(r);
    struct dmem *found[CATALOG_PAGE_MAX];
    size_t total;
    int n = search_query(srv->search, &q, r->sess, found, &total);
    if (n == CC_EBUSY) {
        req_fail(r, CC_EBUSY, "search is getting ready after a start; retry in a moment",
                 json_pack("{si}", "retry_after", 1));
        return;
    }
    MDB_txn *txn;
    int rc = store_read_begin(srv->store, &txn);
    if (rc) {
        req_fail(r, CC_EINTERNAL, NULL, NULL);
        return;
    }
    struct ccbuf b;
    req_reply_open(r, &b, (size_t)n * 512);
    char head[48];
    snprintf(head, sizeof head, "{\"total\":%zu,\"items\":[", total);
    ccbuf_append_str(&b, head);
    for (int i = 0; i < n && !rc; i++) {
        if (i)
            ccbuf_append(&b, ",", 1);
        rc = design_item_json(&srv->view, txn, found[i], r->sess, &b);
    }
    store_read_end(srv->store, txn);
    if (rc) {
        ccbuf_free(&b);
        req_fail(r, CC_EINTERNAL, NULL, NULL);
        return;
    }
    ccbuf_append_str(&b, "]}");
    req_reply_send(r, &b);
}
