/* Fuzz target `cluster`: how stream messages become change records in cluster mode
 * (server/assembly.c, as cluster.c runs it; then change_decode, as changes.c does), with
 * no NATS. The input is the stream, one message a line:
 *
 *     GAP <tab> PAYLOAD                                 a whole record
 *     GAP <tab> CC-RECORD <tab> CC-PART <tab> CC-PARTS <tab> PAYLOAD    a part
 *
 * (with 3 or 4 fields, the later headers are absent). Each message's sequence is the
 * last one + 1 + GAP (decimal, so records can outlive ASSEMBLY_SPAN). The promises
 * checked: assembly_parse accepts a part only with its numbers exactly as "%d" writes
 * them and in range; assembly_add, assembly_resume and assembly_pending do what a plain
 * model of assembly.h's contract (below) does — every record delivered once, whole, its
 * parts in order, the first copy of each part, a part with another count ignored, a
 * record dropped past the span; a delivered record decodes or is refused with a reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assembly.h"
#include "ccerr.h"
#include "changes.h"
#include "fuzz.h"
#include "log.h"
#include "util.h"

/* The model: records being put together, as assembly.h describes them. */
struct model {
    char id[ASSEMBLY_ID_MAX + 1];
    int parts, got;
    uint64_t first;
    const char *part[ASSEMBLY_PARTS_MAX];
    size_t len[ASSEMBLY_PARTS_MAX];
};

#define MODEL_MAX 4096
static struct model models[MODEL_MAX];
static size_t nmodels;

static void model_drop(size_t i)
{
    models[i] = models[--nmodels];
}

/* The model's assembly_add: 1 and the record's bytes in whole when p completes it. */
static int model_add(uint64_t seq, const struct assembly_part *p, const char *data, size_t len,
                     struct ccbuf *whole)
{
    size_t i = 0;
    while (i < nmodels && strcmp(models[i].id, p->record))
        i++;
    if (i == nmodels) {
        FUZZ_CHECK(nmodels < MODEL_MAX);
        memset(&models[i], 0, sizeof models[i]);
        snprintf(models[i].id, sizeof models[i].id, "%s", p->record);
        models[i].parts = p->parts;
        models[i].first = seq;
        nmodels++;
    }
    struct model *m = &models[i];
    if (m->parts != p->parts || m->part[p->part])
        return 0;
    m->part[p->part] = data;
    m->len[p->part] = len;
    if (++m->got < m->parts)
        return 0;
    for (int k = 0; k < m->parts; k++)
        ccbuf_append(whole, m->part[k], m->len[k]);
    model_drop(i);
    return 1;
}

/* A header as assembly_parse must have read it: exactly "%d" of n. */
static int canonical(const char *s, int n)
{
    char want[16];
    snprintf(want, sizeof want, "%d", n);
    return !strcmp(s, want);
}

static void decode(const struct ccbuf *whole)
{
    struct change *c = NULL;
    char why[256] = "";
    int rc = change_decode((const char *)whole->data, whole->len, &c, why, sizeof why);
    FUZZ_CHECK(rc == 0 || rc == CC_EBADARGS);
    FUZZ_CHECK(rc ? c == NULL && why[0] : c != NULL);
    change_free(c);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    log_max_level = LOG_ERROR; /* the drops past the span are logged as warnings */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy with a NUL after each line and field; the model points into it. */
    char *text = xmalloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    struct assembly *a = assembly_new();
    nmodels = 0;
    uint64_t seq = 0;
    for (char *line = text, *next; line && line < text + size; line = next) {
        char *end = memchr(line, '\n', (size_t)(text + size - line));
        next = end ? end + 1 : NULL;
        size_t linelen = end ? (size_t)(end - line) : strlen(line);
        if (end)
            *end = '\0';
        char *field[5] = {line, NULL, NULL, NULL, NULL};
        int nf = 1;
        for (char *t; nf < 5 && (t = strchr(field[nf - 1], '\t'));) {
            *t = '\0';
            field[nf++] = t + 1;
        }
        seq += 1 + strtoull(field[0], NULL, 10) % (2 * ASSEMBLY_SPAN);
        /* the last field (none: an empty record) */
        const char *payload = nf > 1 ? field[nf - 1] : line + linelen;
        size_t plen = (size_t)(line + linelen - payload);
        const char *hdr[3] = {NULL, NULL, NULL};
        for (int k = 1; k < nf - 1; k++)
            hdr[k - 1] = field[k];

        struct assembly_part p;
        int shape = assembly_parse(hdr[0], hdr[1], hdr[2], &p);
        FUZZ_CHECK(hdr[0] || shape == 0);
        FUZZ_CHECK(shape >= -1 && shape <= 1);
        if (shape == 1) {
            FUZZ_CHECK(hdr[1] && hdr[2] && !strcmp(p.record, hdr[0]));
            FUZZ_CHECK(p.record[0] && strlen(p.record) <= ASSEMBLY_ID_MAX);
            FUZZ_CHECK(p.parts >= 2 && p.parts <= ASSEMBLY_PARTS_MAX);
            FUZZ_CHECK(p.part >= 0 && p.part < p.parts);
            FUZZ_CHECK(canonical(hdr[1], p.part) && canonical(hdr[2], p.parts));
        }

        assembly_expire(a, seq);
        for (size_t i = 0; i < nmodels;)
            if (seq - models[i].first > ASSEMBLY_SPAN)
                model_drop(i);
            else
                i++;
        struct ccbuf got, want;
        ccbuf_init(&got);
        ccbuf_init(&want);
        if (shape == 0) {
            ccbuf_append(&got, payload, plen);
            decode(&got);
        } else if (shape == 1) {
            int done = assembly_add(a, seq, &p, (const uint8_t *)payload, plen, &got);
            int model_done = model_add(seq, &p, payload, plen, &want);
            FUZZ_CHECK(done == model_done);
            FUZZ_CHECK(got.len == want.len && (!got.len || !memcmp(got.data, want.data, got.len)));
            if (done)
                decode(&got);
        }
        ccbuf_free(&got);
        ccbuf_free(&want);
        FUZZ_CHECK(assembly_pending(a) == nmodels);
        uint64_t resume = seq + 1;
        for (size_t i = 0; i < nmodels; i++)
            if (models[i].first < resume)
                resume = models[i].first;
        FUZZ_CHECK(assembly_resume(a, seq) == resume);
    }
    assembly_free(a);
    free(text);
    return 0;
}
