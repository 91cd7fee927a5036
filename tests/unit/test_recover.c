/* Start-up's replay of the journal (changes_recover, journal.h): the records after the
 * data's sequence are applied again in order, each in a transaction of its own; a record
 * its apply refuses (a name taken by an earlier record) leaves none of its writes but
 * its sequence is recorded all the same (it is the last here: the data's sequence must
 * end at it), and a second replay finds nothing to apply. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "ccerr.h"
#include "changes.h"
#include "check.h"
#include "journal.h"
#include "store.h"
#include "util.h"

/* An account.create record of name, its token hash made of fill. */
static void add_account(struct journal *j, uint64_t seq, const char *name, int fill)
{
    char hash[65];
    memset(hash, "0123456789abcdef"[fill & 15], 64);
    hash[64] = '\0';
    struct change *c = change_new(CH_ACCOUNT_CREATE, 1700000000 + (int64_t)seq, 0,
                                  json_pack("{ss ss ss}", "name", name, "role", "member",
                                            "token_hash", hash));
    ASSERT(c);
    struct ccbuf b = {0};
    ASSERT_EQ(change_encode(c, &b), 0);
    journal_append(j, seq, b.data, b.len);
    ccbuf_free(&b);
    change_free(c);
}

static uint64_t account_of(struct store *st, const char *name)
{
    MDB_txn *txn;
    uint64_t id = 0;
    ASSERT_EQ(store_read_begin(st, &txn), 0);
    int rc = account_by_name(txn, st, name, &id);
    store_read_end(st, txn);
    return rc ? 0 : id;
}

int main(void)
{
    char dir[] = "/tmp/cc-recover-XXXXXX", err[256];
    ASSERT(mkdtemp(dir));
    struct journal *j;
    int busy;
    ASSERT_EQ(journal_open(&j, dir, &busy, err, sizeof err), 0);
    add_account(j, 1, "ann", 1);
    add_account(j, 2, "bob", 2);
    add_account(j, 3, "ANN", 3); /* names are unique ignoring case: refused, and last */
    ASSERT(journal_write(j) == 0 && journal_datasync(j) == 0);

    struct store *st;
    ASSERT_EQ(store_open(&st, dir, 0, err, sizeof err), 0);
    uint64_t next = 0, seq = 0;
    ASSERT_EQ(changes_recover(st, dir, &next, err, sizeof err), 3);
    ASSERT_EQ(next, 4);
    ASSERT_EQ(changes_journal_seq(st, &seq), 0);
    ASSERT_EQ(seq, 3);
    uint64_t ann = account_of(st, "ann"), bob = account_of(st, "bob");
    ASSERT(ann && bob && ann != bob);
    MDB_txn *txn;
    MDB_stat ms;
    ASSERT_EQ(store_read_begin(st, &txn), 0);
    ASSERT_EQ(mdb_stat(txn, store_dbs(st)->accounts, &ms), 0);
    ASSERT_EQ(ms.ms_entries, 2); /* the refused record wrote nothing */
    ASSERT_EQ(mdb_stat(txn, store_dbs(st)->tokens, &ms), 0);
    ASSERT_EQ(ms.ms_entries, 2);
    store_read_end(st, txn);

    /* applied: a second replay (a crash before the next checkpoint) applies nothing */
    ASSERT_EQ(changes_recover(st, dir, &next, err, sizeof err), 0);
    ASSERT_EQ(next, 4);
    ASSERT_EQ(account_of(st, "bob"), bob);

    store_close(st);
    journal_close(j);
    CHECK_RMDIR(dir);
    printf("recover: ok\n");
    return 0;
}
