/* The renders cache (docs/changes.md: a local cache, not a change record): full-size
 * renders made on request are stored through the writer so the next request streams
 * them. See renders.h. Loop thread, except render_apply (writer). */
#include "renders.h"

#include <stdlib.h>
#include <string.h>

#include "designs.h"

/* A render on its way into the renders table. */
struct render_cache {
    struct write_req wr;
    const struct store *st;
    uint8_t sha[32];
    struct ccbuf png;
};

static int render_apply(struct write_req *wr, MDB_txn *txn)
{
    struct render_cache *c = container_of(wr, struct render_cache, wr);
    int rc = blob_put(txn, c->st, store_dbs(c->st)->renders, c->sha,
                      c->png.data, c->png.len);
    return rc < 0 ? rc : 0;
}

static void render_free(struct write_req *wr, int status)
{
    (void)status;
    struct render_cache *c = container_of(wr, struct render_cache, wr);
    ccbuf_free(&c->png);
    free(c);
}

void renders_cache(struct writer *w, const struct store *st, const uint8_t sha[32],
                   struct ccbuf *png)
{
    struct render_cache *c = xcalloc(1, sizeof *c);
    c->st = st;
    memcpy(c->sha, sha, 32);
    c->png = *png;
    ccbuf_init(png);
    if (!w || writer_submit(w, &c->wr, render_apply, render_free))
        render_free(&c->wr, 0); /* not cached this time: the next request renders again */
}

