/* Cluster records put back together from their parts (SPEC §9, cluster.c): a record
 * larger than one NATS message is published as several, each with the headers
 * Cc-Record (the record's message id), Cc-Part (0-based) and Cc-Parts (how many), all
 * decimal. Parts come in stream order, interleaved with other records, perhaps twice (a
 * part published again after JetStream's duplicate window). Every node reads the same
 * stream, so what this module makes of it is the same on every node.
 *
 * Pure: no NATS and no loop (the fuzz target `cluster` runs it alone). Thread use: its
 * owner's (cluster.c: the loop thread). */
#ifndef CC_ASSEMBLY_H
#define CC_ASSEMBLY_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Most parts one record may have (16 MiB artwork + thumbnail, base64, in ~1 MB parts). */
#define ASSEMBLY_PARTS_MAX 64
/* A record whose parts have not all arrived within this many stream messages after its
 * first is dropped, the same on every node (its publisher gave up or died). */
#define ASSEMBLY_SPAN 100000
/* Longest record id kept (cluster_publish refuses longer message ids). */
#define ASSEMBLY_ID_MAX 95

/* A stream message's part headers, as assembly_parse read them. */
struct assembly_part {
    char record[ASSEMBLY_ID_MAX + 1];
    int part, parts; /* 0 ≤ part < parts, 2 ≤ parts ≤ ASSEMBLY_PARTS_MAX */
};

/* Reads a message's headers Cc-Record, Cc-Part and Cc-Parts (each borrowed, NULL when
 * absent). Returns 0 for a whole record (no Cc-Record), 1 for a part (*out filled), -1
 * for a malformed one: a header missing, a number not in the form "%d" writes, a part
 * out of range, an empty or too long record id. */
int assembly_parse(const char *record, const char *part, const char *parts,
                   struct assembly_part *out);

struct assembly;

/* An empty set of records being put together; freed (with what it holds) by
 * assembly_free (NULL-safe). */
struct assembly *assembly_new(void);
void assembly_free(struct assembly *a);

/* The stream has reached message seq (sequences only grow from call to call): records
 * whose first part came more than ASSEMBLY_SPAN messages before it are dropped (each
 * is logged). Call it for every message, a part or not, before assembly_add. */
void assembly_expire(struct assembly *a, uint64_t seq);

/* The part p (data: len bytes, copied) came in the stream message seq, after
 * assembly_expire(a, seq). Returns 1 when p completes
 * its record: the record's bytes are appended to whole, in part order, and the record
 * forgotten; 0 when parts are missing, or p is a part seen already or disagrees with
 * its record's count of parts (then it is ignored). */
int assembly_add(struct assembly *a, uint64_t seq, const struct assembly_part *p,
                 const uint8_t *data, size_t len, struct ccbuf *whole);

/* The first stream sequence a restart must read from to see every part of the records
 * still incomplete: the least first sequence among them, else seq + 1. */
uint64_t assembly_resume(const struct assembly *a, uint64_t seq);

/* Records being put together now. */
size_t assembly_pending(const struct assembly *a);

#endif
