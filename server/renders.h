/* The renders table as a cache: full-size renders (GET /r/, the export) are derived
 * from the blob, made on the thread pool when first asked for, and kept so later
 * requests stream them. A local cache: never a change record, left out of replay
 * comparisons (docs/changes.md). Loop thread. */
#ifndef CC_RENDERS_H
#define CC_RENDERS_H

#include <stdint.h>

#include "store.h"
#include "util.h"
#include "writer.h"

/* Stores a freshly made render of blob sha through the writer w (taking png's bytes;
 * png is left empty). Best effort: when the writer refuses, nothing is cached and the
 * next request renders again. */
void renders_cache(struct writer *w, const struct store *st, const uint8_t sha[32],
                   struct ccbuf *png);

#endif
