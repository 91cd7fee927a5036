/* The LMDB environment under --data: opening, the schema-version check, the named
 * databases, short read transactions for any thread, and map growth on MDB_MAP_FULL.
 * Writes happen only on the writer thread (writer.h); readers never block it except
 * for the instant the map is grown. */
#ifndef CC_STORE_H
#define CC_STORE_H

#include <jansson.h>
#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

/* Schema of the records this build writes. Bump on any incompatible change; an older
 * environment is upgraded at start (schema 2: the blob_refs table, built from the
 * design records of schema 1 by designs_upgrade; schema 4: the vote log, votes.h;
 * schema 5: the votes' tallies, votes.h). */
#define STORE_SCHEMA_VERSION 5
/* Default initial map size; the map doubles whenever a write finds it full. */
#define STORE_DEFAULT_MAP_SIZE ((size_t)64 << 20)

/* Returned by store_put/store_del when the map is full: the writer grows the map and
 * retries the whole batch. Never reaches a client. */
#define STORE_EMAPFULL (-1000)

/* The named databases. Keys and values are described in docs/architecture.md. */
struct store_dbs {
    MDB_dbi meta;     /* "schema", "seq.<object>" → counters */
    MDB_dbi accounts; /* be64 account id → account JSON */
    MDB_dbi names;    /* lowercase name → be64 account id */
    MDB_dbi tokens;   /* first 16 bytes of SHA-256(token) → be64 account id, 32-byte
                         hash, be64 session id (schema ≥ 3) */
    MDB_dbi sessions; /* be64 account id + be64 session id → session JSON {device,
                         created, key: hex of the token's 16-byte key} */
    MDB_dbi passwords; /* be64 account id → "argon2id$m=..,t=..,p=..$salt$hash" */
    MDB_dbi designs;  /* be64 design id → design record JSON (the static fields) */
    MDB_dbi timeline; /* be64 design id + be32 seq → timeline entry JSON */
    MDB_dbi votes;    /* be64 design id + be64 account id → int8 vote value (folded:
                         votes.h) */
    MDB_dbi vote_log; /* be64 seq → be64 design, be64 account, int8 value: the votes
                         since the last fold (votes.h; schema ≥ 4) */
    MDB_dbi tallies;  /* be64 design id → six be32: its folded votes of each value
                         (votes.h; schema ≥ 5) */
    MDB_dbi blobs;    /* SHA-256 of the uploaded bytes → codec-framed stored bytes */
    MDB_dbi thumbs;   /* SHA-256 of the blob → thumbnail PNG */
    MDB_dbi renders;  /* SHA-256 of the blob → full-size render PNG (made on demand) */
    MDB_dbi dicts;    /* be32 zstd dictionary id → dictionary bytes */
    MDB_dbi contests; /* contest id (its slug) → contest record JSON */
    MDB_dbi supports; /* be64 design id → be32 supports count (threshold contests) */
    MDB_dbi reports;  /* be64 design id + be64 account id → report JSON {reason, at} */
    MDB_dbi audit;       /* contest id + 0x00 + be64 seq → entry hash + canonical entry */
    MDB_dbi audit_heads; /* contest id → be64 log length + hash of the last entry */
    MDB_dbi comments; /* be64 design id + be64 comment id → comment JSON */
    MDB_dbi comment_counts; /* be64 design id → be64 number of comments */
    MDB_dbi blob_refs; /* SHA-256 + be64 design id → be64 creator, be64 bytes, kind NUL contest */
    MDB_dbi by_creator;  /* be64 creator id + be64 design id → "" (schema ≥ 3) */
    MDB_dbi comment_ids; /* be64 comment id → be64 design id + be64 author id */
    MDB_dbi moderation;  /* be64 seq → moderation entry JSON (SPEC §7) */
    MDB_dbi notices;     /* be64 account + be64 notice id → notice JSON; id 0: read mark */
    MDB_dbi lookalikes;  /* be64 design id → {fp, similar} (SPEC §8, found at upload) */
    MDB_dbi stage_due;   /* be64 due (Unix s) + be64 design id → "" (SPEC §8 stages) */
};

struct store;

/* Opens (creating if needed) the environment in dir with the given initial map size
 * (0 = default). Refuses a data dir written by a newer schema. On failure returns a
 * negative CC_E* code and writes a one-line reason into err. */
int store_open(struct store **out, const char *dir, size_t map_size, char *err, size_t errlen);
/* Closes the environment. NULL-safe. No transaction may be open. */
void store_close(struct store *s);

MDB_env *store_env(struct store *s);
/* The node's secret (secret.h: the key of the audit log's voter pseudonyms), given
 * once after opening; NULL until then. Change applies read it, never make it. */
void store_set_secret(struct store *s, const uint8_t key[32]);
const uint8_t *store_secret(const struct store *s);
/* A consistent, compacted copy of the environment (one read transaction: writers go on)
 * into directory out, which is created and must not hold a data.mdb yet. Returns 0, or
 * -1 with a one-line reason in err. */
int store_backup(struct store *s, const char *out, char *err, size_t errlen);
/* The schema the environment was at when opened (STORE_SCHEMA_VERSION when new). */
uint64_t store_schema(const struct store *s);
/* In a write txn: records that the data is now at schema v (after an upgrade). */
int store_set_schema(MDB_txn *txn, struct store *s, uint64_t v);
const struct store_dbs *store_dbs(const struct store *s);
/* The current map size in bytes. */
size_t store_map_size(struct store *s);

/* A read-only transaction, from any thread. Keep it short: never across a loop
 * iteration. Returns 0 or CC_EINTERNAL. Pointers into values die with the txn. On the
 * thread that opened the store (the loop), store_read_end keeps the txn reset and the
 * next store_read_begin there renews it: it sees the latest commit all the same. */
int store_read_begin(struct store *s, MDB_txn **txn);
void store_read_end(struct store *s, MDB_txn *txn);

/* Writer thread only: begins the one write transaction, ended by exactly one of
 * store_write_commit (durable when it returns 0) or store_write_abort. */
int store_write_begin(struct store *s, MDB_txn **txn);
int store_write_commit(struct store *s, MDB_txn *txn);

/* Journal mode (journal.h), single node: commits stop syncing (MDB_NOSYNC) and become
 * durable at checkpoints; the journal holds the records between. Turning it on makes
 * the first checkpoint; off makes a last one (unpinned) and commits sync again.
 * 0 or CC_EINTERNAL. */
int store_set_journaled(struct store *s, int on);
/* Makes every commit so far durable and saves the point a crash rolls the data file
 * back to (DATA/checkpoint: the meta pages, kept only if newer than the file's). With
 * pin, holds that snapshot so that no later commit overwrites its pages (journal mode;
 * an offline writer beside a running server relies on the server's pin). No write txn
 * may be open in this process. 0 or CC_EINTERNAL. */
int store_checkpoint(struct store *s, int pin);
/* Whether dir has a checkpoint (a one-node server keeps one while it runs). */
int store_checkpoint_exists(const char *dir);
/* Before store_open, by the one process that holds the data directory's journal: after
 * a restart of the machine (another boot id), puts the last checkpoint's meta pages back
 * into data.mdb if they differ (*restored = 1), so the database is exactly the
 * checkpoint's; on the same boot, syncs data.mdb as it is. Then removes the checkpoint.
 * The checkpoint belongs with its data.mdb: a data.mdb put in from elsewhere (a backup)
 * goes with that directory's journal and checkpoint removed (docs/operations.md).
 * 0 (also when there is no checkpoint), or -1 with a reason in err. */
int store_restore_checkpoint(const char *dir, int *restored, char *err, size_t errlen);
void store_write_abort(struct store *s, MDB_txn *txn);
/* A nested transaction of parent (a request that may fail alone), ended by
 * store_child_end: committed into parent when status is 0 (the commit's error is
 * returned), else rolled back (status returned). *mark is the follower's (below). */
int store_child_begin(struct store *s, MDB_txn *parent, MDB_txn **child, uint64_t *mark);
int store_child_end(struct store *s, MDB_txn *child, int status, uint64_t mark);

/* Something in memory that must stay in step with what the write transactions leave
 * in the store (votes.c's index of the vote log): told, on the thread of the write
 * transaction, when one begins, is about to commit (txn still open, to read), has
 * committed or was rolled back (txnid: its mdb_txn_id), and when a nested one rolls
 * back (mark: what `mark` said when it began). */
struct store_follower {
    void (*begin)(struct store_follower *f);
    void (*committing)(struct store_follower *f, MDB_txn *txn);
    void (*committed)(struct store_follower *f, uint64_t txnid);
    void (*aborted)(struct store_follower *f, uint64_t txnid);
    uint64_t (*mark)(struct store_follower *f);
    void (*child_aborted)(struct store_follower *f, uint64_t mark);
    void (*free)(struct store_follower *f); /* at store_close */
};
/* s's follower (NULL: none yet); any thread. */
struct store_follower *store_follower(const struct store *s);
/* Sets f as s's follower unless one is set already (then f is freed); returns the one in
 * place. Any thread. */
struct store_follower *store_follow(const struct store *s, struct store_follower *f);
/* Writer thread only (or alone at start-up), with no write txn open: runs fn in a write
 * transaction of its own and commits it (rolls it back when fn fails); when the map is
 * full, grows it and runs fn again. Returns 0, fn's error, or CC_EINTERNAL. */
typedef int (*store_write_fn)(MDB_txn *txn, struct store *s, void *user);
int store_write_once(struct store *s, store_write_fn fn, void *user);
/* Writer thread only, with no write txn open: doubles the map size, waiting for
 * readers to leave their transactions. Returns 0 or CC_EINTERNAL. */
int store_grow(struct store *s);

/* mdb_put / mdb_get / mdb_del with errors translated: MDB_KEYEXIST → CC_ECONFLICT,
 * MDB_NOTFOUND → CC_ENOTFOUND, MDB_MAP_FULL → STORE_EMAPFULL, others → CC_EINTERNAL. */
int store_put(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen, const void *v,
              size_t vlen, unsigned flags);
int store_get(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen, MDB_val *v);
/* store_put of JSON text (compact) under a be64 id: the records of accounts, designs. */
int store_put_record(MDB_txn *txn, MDB_dbi dbi, uint64_t id, const json_t *rec);
/* Calls fn for each key of dbi that is be64 id followed by a be64 (the tables keyed
 * owner + item: sessions, reports, by_creator), in key order, with the second be64
 * and the value. fn returns 0 to go on, 1 to stop early; anything else stops and is
 * returned. Returns 0 when the walk ended, or a store error. */
typedef int (*store_each_fn)(void *user, uint64_t item, const MDB_val *v);
int store_each_under(MDB_txn *txn, MDB_dbi dbi, uint64_t id, store_each_fn fn, void *user);
int store_del(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen);
/* A page of JSON records newest first (the moderation log, an account's notices): from
 * the last key before seek[0..klen) (seek NULL: from dbi's last key) backwards, while
 * in_range(user, key) holds (in_range NULL: every key), at most limit of them (records
 * that do not parse are skipped); *more when one more was there. NULL on a read error. */
typedef int (*store_key_fn)(void *user, const MDB_val *key);
json_t *store_list_back(MDB_txn *txn, MDB_dbi dbi, const void *seek, size_t klen,
                        store_key_fn in_range, void *user, size_t limit, int *more);

/* Writer thread only: returns the next value of the named sequence (1, 2, …), stored
 * in meta under "seq.<name>". Returns 0 or an error as store_put. */
int store_next_id(MDB_txn *txn, const struct store *s, const char *name, uint64_t *out);

/* Translates an LMDB return code as store_put does. */
int store_err(int mdb_rc);

#endif
