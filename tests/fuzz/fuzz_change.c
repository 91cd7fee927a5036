/* Fuzz target `change`: the change-record decoder (docs/changes.md; server/changes.c's
 * change_decode), which reads every record of the journal at start-up, of
 * `--apply-records` and of the cluster stream. The promises checked: a refusal has a
 * reason; a record it accepts encodes (change_encode, each kind's own encoder) to the
 * same bytes as the generic tree encoder, and that encoding decodes again and encodes
 * to itself (a record survives the journal unchanged). */
#include <stdio.h>
#include <string.h>

#include "ccerr.h"
#include "changes.h"
#include "fuzz.h"
#include "util.h"

/* Encodes c with both encoders, which must agree; returns the encoding in out. */
static void encode(const struct change *c, struct ccbuf *out)
{
    struct ccbuf tree;
    ccbuf_init(&tree);
    FUZZ_CHECK(change_encode(c, out) == 0);
    FUZZ_CHECK(change_encode_tree(c, &tree) == 0);
    if (tree.len != out->len || memcmp(tree.data, out->data, tree.len))
        fprintf(stderr, "change_encode:      %.*s\nchange_encode_tree: %.*s\n", (int)out->len,
                (const char *)out->data, (int)tree.len, (const char *)tree.data);
    FUZZ_CHECK(tree.len == out->len && !memcmp(tree.data, out->data, tree.len));
    ccbuf_free(&tree);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct change *c = NULL;
    char why[256] = "";
    int rc = change_decode((const char *)data, size, &c, why, sizeof why);
    FUZZ_CHECK(rc == 0 || rc == CC_EBADARGS);
    if (rc) {
        FUZZ_CHECK(c == NULL && why[0] != '\0');
        return 0;
    }
    struct ccbuf once, twice;
    ccbuf_init(&once);
    ccbuf_init(&twice);
    encode(c, &once);
    struct change *d = NULL;
    rc = change_decode((const char *)once.data, once.len, &d, why, sizeof why);
    if (rc)
        fprintf(stderr, "its own encoding does not decode (%s): %.*s\n", why, (int)once.len,
                (const char *)once.data);
    FUZZ_CHECK(rc == 0);
    FUZZ_CHECK(d->kind == c->kind && d->at == c->at && d->by == c->by);
    encode(d, &twice);
    FUZZ_CHECK(once.len == twice.len && !memcmp(once.data, twice.data, once.len));
    ccbuf_free(&once);
    ccbuf_free(&twice);
    change_free(c);
    change_free(d);
    return 0;
}
