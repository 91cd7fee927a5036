/* Cluster mode's transport (SPEC §9, docs/operations.md "Running a cluster"): one NATS
 * JetStream stream carries every change record of every node, in one order.
 *
 * Publishing: a record (its encoding, docs/changes.md) goes out under a message id
 * unique to this node and run (`Nats-Msg-Id`), in parts when it is larger than what the
 * server takes in one message; a part not acknowledged is published again with the same
 * id (JetStream drops a duplicate inside its window), until acknowledged or until
 * CLUSTER_GIVE_UP_MS have passed — then the caller is told, and answers `busy`.
 *
 * Consuming: an ordered consumer delivers the stream from a given sequence; parts are
 * put back together, and each complete record is handed to the loop with the stream
 * sequence of its last message, in stream order, once.
 *
 * Thread use: nats.c runs its callbacks on its own threads; they only queue and wake
 * the loop (uv_async). Every function here and every callback to the user runs on the
 * loop thread, except cluster_open/cluster_publish_sync (start-up, alone). */
#ifndef CC_CLUSTER_H
#define CC_CLUSTER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* Default stream name and the one subject its records are published to. */
#define CLUSTER_STREAM_DEFAULT "COCREATE"
#define CLUSTER_SUBJECT_SUFFIX ".changes"
/* How long an unacknowledged record is published again before giving up (within
 * JetStream's default 2-minute duplicate window, so a late original is still dropped). */
#define CLUSTER_GIVE_UP_MS 60000
/* Wait for one acknowledgement before publishing again. */
#define CLUSTER_ACK_WAIT_MS 1000
/* Room kept under the server's max_payload for headers in each part. */
#define CLUSTER_PART_SLACK 4096
/* Messages nats.c's thread may queue for the loop before it waits (backpressure: the
 * consumer's flow control then holds the stream back at the server). */
#define CLUSTER_INBOX_MAX 4096

struct cluster_config {
    const char *urls;      /* nats://H:P or tls://H:P, comma-separated */
    const char *node;      /* this node's name (message ids, the connection name) */
    const char *creds;     /* a creds file, or a file of one line USER:PASSWORD; NULL */
    const char *ca;        /* CA file for tls:// servers; NULL */
    const char *stream;    /* stream name */
    int replicas;          /* stream replicas (1 for development, 3 in production) */
    int64_t max_age_s;     /* 0 = keep everything */
    int64_t max_bytes;     /* 0 = keep everything */
    char secret_check[24]; /* a fingerprint of the node's secret (never the secret): the
                              stream's description carries the first node's, and a node
                              whose secret differs is refused (its pseudonyms would) */
};

/* A complete record from the stream: seq is the stream sequence of its last message;
 * msgid its message id (NULL for a message no node of ours made); resume is the first
 * sequence a restart must read from to still see every part of records not yet
 * complete (seq + 1 when there are none). data is borrowed for the call. An
 * undecodable message is delivered too (the caller skips it, counting it). */
typedef void (*cluster_record_fn)(void *user, uint64_t seq, uint64_t resume, const char *msgid,
                                  const uint8_t *data, size_t len);
/* A record published by this node was never acknowledged (CLUSTER_GIVE_UP_MS). */
typedef void (*cluster_failed_fn)(void *user, const char *msgid);

/* The last sequence this node applied and the SHA-256 of its message (to check, after
 * NATS comes back, that the stream still holds them). */
typedef void (*cluster_applied_fn)(void *user, uint64_t *seq, uint8_t hash[32]);
/* The stream no longer holds what this node applied (reason in words): it must stop. */
typedef void (*cluster_lost_fn)(void *user, const char *reason);
/* Whether the user can take another record now; when it said no, it calls cluster_wake
 * once it can (the stream waits meanwhile: nothing is dropped, nothing piles up). */
typedef int (*cluster_ready_fn)(void *user);

struct cluster_handlers {
    cluster_record_fn on_record;
    cluster_failed_fn on_failed;
    cluster_applied_fn applied;
    cluster_lost_fn on_lost;
    cluster_ready_fn ready;
    void *user;
};

struct cluster;

/* Start-up, alone (it blocks): connects, creates the stream if it does not exist or
 * refuses one whose settings contradict cfg, and checks that the stream still holds,
 * at `applied` (the last sequence this node applied, 0 = none), the message whose
 * SHA-256 is `applied_hash` and everything after it. Returns 0, or -1 with a one-line
 * reason in err (nothing to close then). */
int cluster_open(struct cluster **out, uv_loop_t *loop, const struct cluster_config *cfg,
                 const struct cluster_handlers *h, uint64_t applied,
                 const uint8_t applied_hash[32], char *err, size_t errlen);
/* Starts delivering records: every message from sequence `from`; records completing
 * at or before `skip_upto` are put together but not delivered (already applied). */
int cluster_start(struct cluster *cl, uint64_t from, uint64_t skip_upto, char *err,
                  size_t errlen);
/* Publishes a record under msgid (copied, with data). Returns 0 (it will be delivered
 * from the stream, or on_failed called), or CC_EBUSY when NATS is not reachable now. */
int cluster_publish(struct cluster *cl, const char *msgid, const void *data, size_t len);
/* Alone, without consuming (cocreated --make-brand in cluster mode): publishes one
 * record and waits for its acknowledgement. Returns 0 or -1 with a reason in err. */
int cluster_publish_sync(const struct cluster_config *cfg, const char *msgid,
                         const void *data, size_t len, char *err, size_t errlen);
/* Loop thread: the user can take records again (after its ready said no). */
void cluster_wake(struct cluster *cl);
/* Whether NATS is reachable now (writes are refused with busy while it is not). */
int cluster_connected(const struct cluster *cl);

struct cluster_stats {
    uint64_t delivered_seq; /* stream sequence of the last message delivered */
    uint64_t last_seq;      /* the stream's last sequence as last seen */
    uint64_t published, republished, failed, bad_messages;
    size_t unacked;         /* records published and not yet acknowledged */
};
void cluster_get_stats(const struct cluster *cl, struct cluster_stats *out);

/* At the end of a process that used NATS with cfg: ends nats.c's own threads and frees
 * its memory — except over TLS, where nats.c 3.4's cleanup of OpenSSL leaves state
 * that OpenSSL 3's own cleanup at exit frees again (a crash in OPENSSL_cleanup); there
 * the library is left for the exit to end. */
void cluster_library_close(const struct cluster_config *cfg);

/* Stops consuming and publishing; then, after the loop ran, cluster_close frees it. */
void cluster_stop(struct cluster *cl);
void cluster_close(struct cluster *cl); /* NULL-safe */

#endif
