/* The journal in front of LMDB (single-node mode): the change records of each writer
 * batch are appended to DATA/journal and made durable with one fdatasync before the
 * batch's transaction commits (the batch is applied while the sync runs: writer.c);
 * LMDB commits without syncing (MDB_NOSYNC) and is made durable only at checkpoints
 * (store_checkpoint), after which the journal starts again empty.
 * Start-up applies the records past the checkpoint's sequence (changes_recover).
 *
 * The file is written in place from offset 0 after each checkpoint (an epoch: a random
 * id in each frame), over the older epochs' frames. A frame: "CCJ1", be32 payload
 * length, be64 sequence, be64 epoch, be32 CRC-32C of sequence, epoch and payload, then
 * the payload (one change record, docs/changes.md's encoding). A reader takes the
 * frames from offset 0 while they are whole, of the first one's epoch and each one
 * more than the last: the end of the last durable append is the first that is not.
 *
 * The open journal holds an exclusive flock on the file: one process a data directory.
 * The writer's journal thread only (its applier while it is paused), except
 * journal_each (start-up, before the writer runs). */
#ifndef CC_JOURNAL_H
#define CC_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

struct journal;

/* The largest record a frame holds (an upload's record carries its bytes, base64). */
#define JOURNAL_RECORD_MAX ((uint32_t)256 << 20)

/* Opens (creating) DATA/journal and locks it. Returns 0, or -1 with a reason in err
 * (another cocreated holds the lock: "busy" is set to 1). */
int journal_open(struct journal **out, const char *data_dir, int *busy, char *err,
                 size_t errlen);
/* Unlocks and closes. NULL-safe. */
void journal_close(struct journal *j);
/* Buffers one record with sequence seq (each call's seq one more than the last). */
void journal_append(struct journal *j, uint64_t seq, const void *data, size_t len);
/* Writes what was buffered (0, or -1 with the buffer dropped and the file as it was),
 * not yet durable. */
int journal_write(struct journal *j);
/* Makes everything written durable (0, or -1: then journal_rewind to before what was
 * written). It uses only the descriptor: it may run on another thread than the one
 * appending (writer.c's journal thread syncs while its applier applies). */
int journal_datasync(struct journal *j);
/* Empties the journal (after a checkpoint holds everything in it). 0 or -1. */
int journal_reset(struct journal *j);
/* Cuts the journal back to size bytes (a batch whose sync or commit failed). 0 or -1. */
int journal_rewind(struct journal *j, uint64_t size);
/* Bytes in the journal. */
uint64_t journal_size(const struct journal *j);

/* Calls fn for every record of the journal in DATA whose sequence is above after, in
 * order, starting at after + 1 (an older one first is skipped; a gap ends the walk).
 * Returns the number of records given to fn, or -1 if fn returned nonzero or the file
 * could not be read (a missing file is an empty journal). */
typedef int (*journal_fn)(void *user, uint64_t seq, const uint8_t *data, size_t len);
long journal_each(const char *data_dir, uint64_t after, journal_fn fn, void *user);

/* CRC-32C (Castagnoli), for the frames and their tests. */
uint32_t journal_crc32c(uint32_t crc, const void *data, size_t len);

#endif
