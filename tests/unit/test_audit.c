/* The audit log core (server/audit.c, shared/auditlog.c): the chain from 64 zeros,
 * hashes recomputed independently, entries of one transaction chained in order, an
 * aborted transaction leaving nothing, a batch re-applied after map growth giving a
 * gapless chain, pseudonyms (HMAC under the stored secret, per contest, stable across
 * reopen), bad entries refused, chunked reads of the served lines. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "audit.h"
#include "auditlog.h"
#include "ccerr.h"
#include "check.h"
#include "store.h"
#include "util.h"
#include "writer.h"

static char dir[] = "/tmp/cc-test-audit-XXXXXX";

/* Reads every served line of contest in chunks of `chunk` entries and checks the chain
 * from scratch: seq 1.., prev, hash = SHA-256(prev || canonical). Returns the count. */
static uint64_t chain_bytes; /* served bytes the last check_chain read */

static uint64_t check_chain(struct store *st, const char *contest, size_t chunk,
                            uint8_t head[32])
{
    chain_bytes = 0;
    uint8_t prev[32] = {0};
    uint64_t from = 1, count = 0;
    for (;;) {
        MDB_txn *txn;
        ASSERT_EQ(store_read_begin(st, &txn), 0);
        struct ccbuf b;
        ccbuf_init(&b);
        uint64_t next;
        ASSERT_EQ(audit_read(txn, st, contest, from, chunk, 1 << 20, &b, &next), 0);
        store_read_end(st, txn);
        if (next == from) {
            ASSERT_EQ(b.len, 0);
            ccbuf_free(&b);
            break;
        }
        ASSERT(next - from <= chunk);
        chain_bytes += b.len;
        size_t off = 0;
        while (off < b.len) {
            char *nl = memchr(b.data + off, '\n', b.len - off);
            ASSERT(nl);
            size_t len = (size_t)(nl - (char *)b.data - off);
            char canon[AUDITLOG_ENTRY_MAX + 2];
            size_t clen;
            uint8_t claimed[32], want[32];
            ASSERT_EQ(auditlog_unline((char *)b.data + off, len, canon, &clen, claimed), 0);
            auditlog_hash(prev, canon, clen, want);
            ASSERT(!memcmp(claimed, want, 32));
            json_error_t e;
            json_t *o = json_loadb(canon, clen, 0, &e);
            ASSERT(o);
            count++;
            ASSERT_EQ(json_integer_value(json_object_get(o, "seq")), count);
            char ph[65];
            hex_encode(prev, 32, ph);
            ASSERT_STREQ(json_string_value(json_object_get(o, "prev")), ph);
            /* canonical: re-serialising gives the same bytes */
            size_t l2;
            char *again = auditlog_canonical(o, &l2);
            ASSERT(l2 == clen && !memcmp(again, canon, clen));
            free(again);
            json_decref(o);
            memcpy(prev, want, 32);
            off += len + 1;
        }
        ccbuf_free(&b);
        from = next;
    }
    memcpy(head, prev, 32);
    return count;
}

/* The stored head: n entries, hash h, and (when n > 0) the bytes check_chain read. */
static void check_head(struct store *st, const char *contest, uint64_t n, const uint8_t h[32])
{
    MDB_txn *txn;
    struct audit_head head;
    ASSERT_EQ(store_read_begin(st, &txn), 0);
    ASSERT_EQ(audit_head(txn, st, contest, &head), 0);
    store_read_end(st, txn);
    ASSERT_EQ(head.length, n);
    ASSERT_EQ(head.bytes, n ? chain_bytes : 0);
    ASSERT(!memcmp(head.hash, h, 32));
}

struct vote_req {
    struct write_req wr;
    struct store *st;
    uint64_t account;
    int applied;
    int status;
};
static int done_count;

static int vote_apply(struct write_req *wr, MDB_txn *txn)
{
    struct vote_req *v = container_of(wr, struct vote_req, wr);
    v->applied++;
    /* a few hundred bytes of other data per request so the small map fills */
    uint8_t k[8], pad[400];
    put_be64(k, v->account);
    memset(pad, 7, sizeof pad);
    int rc = store_put(txn, store_dbs(v->st)->votes, k, 8, pad, sizeof pad, 0);
    if (rc)
        return rc;
    return audit_vote(txn, v->st, "big", 1700000000, 9, v->account, 0, 1);
}

static void vote_done(struct write_req *wr, int status)
{
    container_of(wr, struct vote_req, wr)->status = status;
    done_count++;
}

static struct vote_req reqs[2000];

int main(void)
{
    ASSERT(mkdtemp(dir));
    struct store *st;
    char err[256];
    ASSERT_EQ(store_open(&st, dir, 256 << 10, err, sizeof err), 0);
    /* The node's secret (secret.h), as the server hands it to the store at start. */
    uint8_t key[32], key2[32];
    random_bytes(key, sizeof key);
    random_bytes(key2, sizeof key2);
    ASSERT(store_secret(st) == NULL);
    store_set_secret(st, key);

    /* Canonical form: sorted keys, compact, ASCII, no reals. */
    json_t *o = json_pack("{sisss[ii]s{sisi}}", "z", 1, "a", "\xc3\xa9\"", "m", 2, 1, "n",
                          "y", 1, "b", 2);
    size_t len;
    char *c = auditlog_canonical(o, &len);
    ASSERT_STREQ(c, "{\"a\":\"\\u00E9\\\"\",\"m\":[2,1],\"n\":{\"b\":2,\"y\":1},\"z\":1}");
    ASSERT_EQ(len, strlen(c));
    free(c);
    json_object_set_new(o, "r", json_real(1.5));
    ASSERT(auditlog_canonical(o, &len) == NULL);
    json_decref(o);

    /* Empty log: zero head. */
    uint8_t zero[32] = {0}, h[32];
    check_head(st, "c1", 0, zero);
    ASSERT_EQ(check_chain(st, "c1", 10, h), 0);

    /* Two entries in one transaction chain in order; a third in the next one. */
    MDB_txn *txn;
    ASSERT_EQ(store_write_begin(st, &txn), 0);
    json_t *f = json_pack("{sssssiss}", "design", "5", "from", "submitted", "to", 3, "by",
                          "1");
    ASSERT_EQ(audit_append(txn, st, "c1", 100, "status", f), 0);
    ASSERT_EQ(audit_vote(txn, st, "c1", 101, 5, 42, 0, 1), 0);
    ASSERT_EQ(store_write_commit(st, txn), 0);
    ASSERT_EQ(store_write_begin(st, &txn), 0);
    ASSERT_EQ(audit_vote(txn, st, "c1", 102, 5, 42, 1, 0), 0);
    ASSERT_EQ(store_write_commit(st, txn), 0);
    ASSERT_EQ(check_chain(st, "c1", 1, h), 3);
    check_head(st, "c1", 3, h);
    /* The first entry's exact bytes and hash, recomputed here. */
    {
        ASSERT_EQ(store_read_begin(st, &txn), 0);
        struct ccbuf b;
        ccbuf_init(&b);
        uint64_t next;
        ASSERT_EQ(audit_read(txn, st, "c1", 1, 1, 1 << 20, &b, &next), 0);
        store_read_end(st, txn);
        ASSERT_EQ(next, 2);
        const char *want = "{\"at\":100,\"by\":\"1\",\"design\":\"5\",\"from\":\"submitted\","
                           "\"prev\":\"" AUDITLOG_ZERO_HEX "\",\"seq\":1,\"to\":3,"
                           "\"type\":\"status\"}";
        uint8_t hash[32];
        uint8_t buf[512];
        memset(buf, 0, 32);
        memcpy(buf + 32, want, strlen(want));
        sha256(buf, 32 + strlen(want), hash);
        char hex[65];
        hex_encode(hash, 32, hex);
        char line[600];
        snprintf(line, sizeof line, "%.*s,\"hash\":\"%s\"}\n", (int)strlen(want) - 1, want,
                 hex);
        ASSERT_EQ(b.len, strlen(line));
        ASSERT(!memcmp(b.data, line, b.len));
        ccbuf_free(&b);
    }
    /* Another contest has its own chain. */
    check_head(st, "c2", 0, zero);
    /* Reading past the end or a byte budget: bounded. */
    {
        ASSERT_EQ(store_read_begin(st, &txn), 0);
        struct ccbuf b;
        ccbuf_init(&b);
        uint64_t next;
        ASSERT_EQ(audit_read(txn, st, "c1", 4, 10, 1 << 20, &b, &next), 0);
        ASSERT_EQ(next, 4);
        ASSERT_EQ(audit_read(txn, st, "c1", 1, 10, 1, &b, &next), 0);
        ASSERT_EQ(next, 2); /* stops once the budget is passed: one line */
        ASSERT_EQ(audit_read(txn, st, "c", 1, 10, 1 << 20, &b, &next), 0);
        ASSERT_EQ(next, 1); /* a prefix of another contest's id is not that contest */
        store_read_end(st, txn);
        ccbuf_free(&b);
    }

    /* An aborted transaction leaves nothing: the retry gets the same seq. */
    ASSERT_EQ(store_write_begin(st, &txn), 0);
    ASSERT_EQ(audit_vote(txn, st, "c1", 103, 6, 43, 0, 1), 0);
    store_write_abort(st, txn);
    check_head(st, "c1", 3, h);

    /* Refused: unknown type, reserved or real fields, non-object. */
    ASSERT_EQ(store_write_begin(st, &txn), 0);
    ASSERT_EQ(audit_append(txn, st, "c1", 1, "party", f), CC_EINTERNAL);
    json_t *bad = json_pack("{si}", "seq", 9);
    ASSERT_EQ(audit_append(txn, st, "c1", 1, "hide", bad), CC_EINTERNAL);
    json_decref(bad);
    bad = json_pack("{sf}", "x", 0.5);
    ASSERT_EQ(audit_append(txn, st, "c1", 1, "hide", bad), CC_EINTERNAL);
    json_decref(bad);
    ASSERT_EQ(audit_append(txn, st, "c1", 1, "hide", NULL), CC_EINTERNAL);
    store_write_abort(st, txn);
    json_decref(f);
    check_head(st, "c1", 3, h);

    /* Pseudonyms: HMAC-SHA256(secret, contest || 0 || account), per contest. */
    char p1[65], p2[65], p3[65], p4[65];
    ASSERT_EQ(store_write_begin(st, &txn), 0);
    ASSERT_EQ(audit_pseudonym(txn, st, "c1", 42, p1), 0);
    ASSERT_EQ(audit_pseudonym(txn, st, "c1", 42, p2), 0);
    ASSERT_EQ(audit_pseudonym(txn, st, "c2", 42, p3), 0);
    ASSERT_EQ(audit_pseudonym(txn, st, "c1", 43, p4), 0);
    /* the key is configuration: nothing of it is written to the data */
    MDB_val sv;
    ASSERT_EQ(store_get(txn, store_dbs(st)->meta, "audit.secret", 12, &sv), CC_ENOTFOUND);
    uint8_t mac[32];
    ASSERT_EQ(store_write_commit(st, txn), 0);
    ASSERT_STREQ(p1, p2);
    ASSERT(strcmp(p1, p3) && strcmp(p1, p4));
    unsigned ml;
    ASSERT(HMAC(EVP_sha256(), key, 32, (const unsigned char *)"c1\00042", 5, mac, &ml));
    char hex[65];
    hex_encode(mac, 32, hex);
    ASSERT_STREQ(p1, hex);
    /* The vote entry names the voter by that pseudonym. */
    {
        ASSERT_EQ(store_read_begin(st, &txn), 0);
        struct ccbuf b;
        ccbuf_init(&b);
        uint64_t next;
        ASSERT_EQ(audit_read(txn, st, "c1", 2, 1, 1 << 20, &b, &next), 0);
        store_read_end(st, txn);
        char want[200];
        snprintf(want, sizeof want, "\"value\":1,\"voter\":\"%s\",\"hash\"", p1);
        ccbuf_append(&b, "", 1);
        ASSERT(strstr((char *)b.data, want));
        ASSERT(strstr((char *)b.data, "\"old\":0,"));
        ccbuf_free(&b);
    }

    /* 2,000 vote requests through the writer on a 256 KiB map: the batch is re-applied
     * after each growth, and the chain is still gapless with one entry per request. */
    uv_loop_t loop;
    ASSERT_EQ(uv_loop_init(&loop), 0);
    struct writer *w;
    ASSERT_EQ(writer_start(&w, &loop, st), 0);
    size_t n = CC_ARRAY_LEN(reqs);
    for (size_t i = 0; i < n; i++) {
        reqs[i].st = st;
        reqs[i].account = i + 1;
        ASSERT_EQ(writer_submit(w, &reqs[i].wr, vote_apply, vote_done), 0);
    }
    while (done_count < (int)n)
        uv_run(&loop, UV_RUN_ONCE);
    struct writer_stats ws;
    writer_get_stats(w, &ws);
    writer_stop(w);
    uv_run(&loop, UV_RUN_DEFAULT);
    ASSERT_EQ(uv_loop_close(&loop), 0);
    ASSERT(ws.map_growths >= 1);
    int reapplied = 0;
    for (size_t i = 0; i < n; i++) {
        ASSERT_EQ(reqs[i].status, 0);
        reapplied |= reqs[i].applied > 1;
    }
    ASSERT(reapplied);
    ASSERT_EQ(check_chain(st, "big", 333, h), n);
    check_head(st, "big", n, h);
    store_close(st);

    /* Reopened with the same secret: the same head, the same pseudonyms. */
    ASSERT_EQ(store_open(&st, dir, 0, err, sizeof err), 0);
    store_set_secret(st, key);
    check_head(st, "big", n, h);
    uint8_t h1[32];
    ASSERT_EQ(check_chain(st, "c1", 2, h1), 3);
    ASSERT_EQ(store_write_begin(st, &txn), 0);
    ASSERT_EQ(audit_pseudonym(txn, st, "c1", 42, p2), 0);
    store_write_abort(st, txn);
    ASSERT_STREQ(p1, p2);
    store_close(st);

    /* Another store has another secret: its pseudonyms are HMACs under its own key
     * (the cached key state is rebuilt), and the first store's come back unchanged. A
     * store without a secret makes no pseudonym (never a key of its own). */
    char dir2[] = "/tmp/cc-test-audit2-XXXXXX";
    ASSERT(mkdtemp(dir2));
    struct store *st2;
    ASSERT_EQ(store_open(&st2, dir2, 0, err, sizeof err), 0);
    ASSERT_EQ(store_write_begin(st2, &txn), 0);
    ASSERT_EQ(audit_pseudonym(txn, st2, "c1", 42, p3), CC_EINTERNAL);
    store_set_secret(st2, key2);
    ASSERT_EQ(audit_pseudonym(txn, st2, "c1", 42, p3), 0);
    ASSERT_EQ(store_write_commit(st2, txn), 0);
    store_close(st2);
    ASSERT(memcmp(key, key2, 32) != 0);
    ASSERT(HMAC(EVP_sha256(), key2, 32, (const unsigned char *)"c1\00042", 5, mac, &ml));
    hex_encode(mac, 32, hex);
    ASSERT_STREQ(p3, hex);
    ASSERT(strcmp(p3, p1) != 0);
    ASSERT_EQ(store_open(&st, dir, 0, err, sizeof err), 0);
    store_set_secret(st, key);
    ASSERT_EQ(store_read_begin(st, &txn), 0);
    ASSERT_EQ(audit_pseudonym(txn, st, "c1", 42, p2), 0);
    store_read_end(st, txn);
    ASSERT_STREQ(p1, p2);
    store_close(st);

    CHECK_RMDIR(dir2);
    CHECK_RMDIR(dir);
    return 0;
}
