/* The node's secret: 32 bytes, the key of the audit log's voter pseudonyms (SPEC §6).
 * It is configuration, never data: it is not written by any change record, so every
 * node of a cluster and every replay of the records derives the same pseudonyms from
 * the same file. Kept as a file of 64 hex digits and a newline, mode 0600, by default
 * <data>/secret (--secret FILE); made at the first start. Back it up with the data
 * (docs/operations.md): without it no new vote can be logged under the old
 * pseudonyms. */
#ifndef CC_SECRET_H
#define CC_SECRET_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* The default path of the secret for data directory dir, into buf. */
void secret_default_path(const char *dir, char *buf, size_t len);

/* Loads the secret from path into st (store_set_secret), creating the file when it does
 * not exist: from the key that data written before secrets were files kept in LMDB
 * (meta "audit.secret"), else 32 random bytes. Refuses a file that is not 64 hex
 * digits, and a file whose key differs from the one the data's log was written with
 * (meta "audit.secret" of old data): pseudonyms would change. Returns 0, or -1 with a
 * one-line reason in err. */
int secret_load(struct store *st, const char *path, char *err, size_t errlen);

/* Writes the secret st was given (secret_load) to a new file at path, mode 0600 (a
 * backup's copy). Returns 0, or -1 with a one-line reason in err. */
int secret_save(const struct store *st, const char *path, char *err, size_t errlen);

#endif
