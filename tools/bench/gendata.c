/* gendata: writes a synthetic data directory for start-up and ranking benchmarks —
 * N designs in the `open` contest (records only: they share one placeholder blob hash
 * and have no thumbnails) by A accounts, and about V heart votes spread over them
 * with a skewed (Zipf-like) popularity — straight into LMDB in large transactions,
 * with keys in order (MDB_APPEND) so it takes seconds, not hours; then the votes'
 * tallies (votes.h), counted from them.
 *
 *   gendata --data DIR [--designs 1000000] [--votes 10000000] [--accounts 100000]
 *
 * The directory must be new. cocreated then opens it as usual. Not for production. */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "accounts.h"
#include "ccerr.h"
#include "designs.h"
#include "store.h"
#include "util.h"
#include "votes.h"

static uint64_t rng = 0x853c49e6748fea9bull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "gendata: %s failed (%d)\n", what, rc);
    exit(1);
}

/* Commits txn and starts the next one, growing the map when it is full. */
static MDB_txn *checkpoint(struct store *st, MDB_txn *txn)
{
    int rc = store_write_commit(st, txn);
    if (rc)
        die("commit", rc);
    if ((rc = store_write_begin(st, &txn)))
        die("begin", rc);
    return txn;
}

/* A full map is fatal here: the map is made large up front (--map-size). */
static void put(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t kl, const void *v, size_t vl,
                unsigned flags)
{
    int rc = store_put(txn, dbi, k, kl, v, vl, flags);
    if (rc == STORE_EMAPFULL) {
        fprintf(stderr, "gendata: map full; rerun with a larger --map-size\n");
        exit(1);
    }
    if (rc)
        die("put", rc);
}

static void set_seq(struct store *st, MDB_txn **txn, const char *name, uint64_t v)
{
    char key[64];
    uint8_t b[8];
    snprintf(key, sizeof key, "seq.%s", name);
    put_be64(b, v);
    put(*txn, store_dbs(st)->meta, key, strlen(key), b, 8, 0);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},      {"designs", required_argument, NULL, 'n'},
        {"votes", required_argument, NULL, 'v'},     {"accounts", required_argument, NULL, 'a'},
        {"map-size", required_argument, NULL, 'm'},  {NULL, 0, NULL, 0},
    };
    const char *dir = NULL;
    uint64_t designs = 1000000, votes = 10000000, accounts = 100000;
    size_t map = (size_t)64 << 30;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'n': designs = strtoull(optarg, NULL, 10); break;
        case 'v': votes = strtoull(optarg, NULL, 10); break;
        case 'a': accounts = strtoull(optarg, NULL, 10); break;
        case 'm': map = (size_t)strtoull(optarg, NULL, 10); break;
        default:
            fprintf(stderr, "usage: gendata --data DIR [--designs N] [--votes N] [--accounts N]\n");
            return 2;
        }
    }
    struct stat sb;
    if (!dir || !designs || accounts < 2 || stat(dir, &sb) == 0) {
        fprintf(stderr, "gendata: --data must name a directory that does not exist yet, "
                        "with --designs ≥ 1 and --accounts ≥ 2\n");
        return 2;
    }
    struct store *st;
    char err[256];
    if (store_open(&st, dir, map, err, sizeof err)) {
        fprintf(stderr, "gendata: %s\n", err);
        return 1;
    }
    const struct store_dbs *db = store_dbs(st);
    MDB_txn *txn;
    int rc = store_write_begin(st, &txn);
    if (rc)
        die("begin", rc);
    uint64_t t0 = now_ms_monotonic();

    /* Accounts: names gen<N>, random token hashes (no token logs in: none is needed). */
    for (uint64_t i = 1; i <= accounts; i++) {
        struct account_new a = {.role = ROLE_MEMBER, .created = now_unix()};
        snprintf(a.name, sizeof a.name, "gen%" PRIu64, i);
        random_bytes(a.token_hash, sizeof a.token_hash);
        if ((rc = account_create(txn, st, &a)))
            die("account", rc);
        if (i % 50000 == 0)
            txn = checkpoint(st, txn);
    }
    txn = checkpoint(st, txn);
    fprintf(stderr, "gendata: %" PRIu64 " accounts in %" PRIu64 " ms\n", accounts,
            now_ms_monotonic() - t0);

    /* Designs: ids 1..N in order, created a second apart ending now. */
    uint8_t sha[32];
    sha256("gendata placeholder", 19, sha);
    char blob[65];
    hex_encode(sha, 32, blob);
    int64_t now = now_unix();
    static const char *const tags[] = {"space", "retro", "nature", "pixel", "bold", "cute"};
    for (uint64_t id = 1; id <= designs; id++) {
        char ids[24], creator[24], title[48];
        uint64_t cr = 1 + next_rand() % accounts;
        snprintf(ids, sizeof ids, "%" PRIu64, id);
        snprintf(creator, sizeof creator, "%" PRIu64, cr);
        snprintf(title, sizeof title, "Generated design %" PRIu64, id);
        int64_t created = now - (int64_t)(designs - id);
        json_t *rec = json_pack("{sssssssssssss[s]sssIsIsssb}", "id", ids, "contest", "open",
                                "creator", creator, "creator_name", "gen", "kind", "artwork",
                                "title", title, "tags", tags[id % 6], "blob", blob, "bytes",
                                (json_int_t)1000, "created", (json_int_t)created, "status",
                                "submitted", "hidden", 0);
        char *text = json_dumps(rec, JSON_COMPACT);
        json_decref(rec);
        uint8_t key[8];
        put_be64(key, id);
        put(txn, db->designs, key, 8, text, strlen(text), MDB_APPEND);
        free(text);
        if (id % 100000 == 0)
            txn = checkpoint(st, txn);
    }
    set_seq(st, &txn, "design", designs);
    txn = checkpoint(st, txn);
    fprintf(stderr, "gendata: %" PRIu64 " designs at %" PRIu64 " ms\n", designs,
            now_ms_monotonic() - t0);

    /* Votes: design d gets about V·w(d)/Σw of them, w(d) = 1/(rank^0.8) over a random
     * permutation-free skew (design id mod 1000 picks the rank), from distinct voters
     * taken in increasing account order so keys append. */
    double wsum = 0;
    for (int r = 1; r <= 1000; r++)
        wsum += 1.0 / pow(r, 0.8);
    uint64_t written = 0;
    for (uint64_t id = 1; id <= designs && written < votes; id++) {
        double w = 1.0 / pow((double)(1 + (id * 7919) % 1000), 0.8);
        uint64_t k = (uint64_t)((double)votes * w / wsum / ((double)designs / 1000.0));
        if (k >= accounts)
            k = accounts - 1;
        /* k distinct accounts in increasing order: a random stride walk. */
        uint64_t acc = 0;
        for (uint64_t j = 0; j < k && written < votes; j++) {
            uint64_t room = accounts - acc - (k - j);
            acc += 1 + (room ? next_rand() % (room / (k - j) + 1) : 0);
            if (acc > accounts)
                break;
            uint8_t key[16], val = 1;
            put_be64(key, id);
            put_be64(key + 8, acc);
            put(txn, db->votes, key, 16, &val, 1, MDB_APPEND);
            if (++written % 500000 == 0)
                txn = checkpoint(st, txn);
        }
    }
    /* The tallies start-up reads (votes.h), counted from the table as an upgrade does. */
    txn = checkpoint(st, txn);
    size_t tallied;
    uint64_t counted;
    if ((rc = votes_tallies_build(txn, st, &tallied, &counted)))
        die("tallies", rc);
    if ((rc = store_write_commit(st, txn)))
        die("commit", rc);
    store_close(st);
    fprintf(stderr,
            "gendata: %" PRIu64 " votes (%" PRIu64 " tallied on %zu designs); done in %" PRIu64
            " ms\n",
            written, counted, tallied, now_ms_monotonic() - t0);
    printf("{\"designs\":%" PRIu64 ",\"votes\":%" PRIu64 ",\"accounts\":%" PRIu64 "}\n",
           designs, written, accounts);
    return 0;
}
