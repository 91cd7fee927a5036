/* Fuzz target `auditlog`: the audit log as `cocreate verify` reads it (SPEC §6;
 * tools/cli/auditcheck.c with shared/auditlog.c): the served bytes split into lines, each
 * line split into its entry and hash (auditlog_unline), the entry checked canonical,
 * chained and hashed, then replayed into tallies and statuses.
 *
 * The first input byte picks the contest's scale and the mode:
 *   raw     the rest is the log as served: verify must refuse or accept it, never crash;
 *   sealed  the rest is entries (one JSON object a line) that this harness seals as the
 *           server does (seq from 1, prev the previous hash, auditlog_canonical,
 *           auditlog_hash, auditlog_line): verify must accept every sealed line (the
 *           writer's and the reader's halves of the format agree), then replay them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditcheck.h"
#include "auditlog.h"
#include "fuzz.h"

static void verify_init(struct auditcheck *v, enum ac_scale scale, uint64_t log_length)
{
    auditcheck_init(v, "fuzz");
    v->scale = scale;
    v->log_length = log_length;
}

/* Seals the entries of text (one JSON object a line; others skipped) into a served log
 * in out, as server/audit.c writes one. Returns how many lines. */
static uint64_t seal(const char *text, size_t len, struct ccbuf *out)
{
    uint8_t prev[32] = {0};
    uint64_t seq = 0;
    while (len) {
        const char *nl = memchr(text, '\n', len);
        size_t n = nl ? (size_t)(nl - text) : len;
        json_t *e = json_loadb(text, n, JSON_REJECT_DUPLICATES, NULL);
        text += n + (nl != NULL);
        len -= n + (nl != NULL);
        if (!json_is_object(e)) {
            json_decref(e);
            continue;
        }
        char prev_hex[65];
        hex_encode(prev, 32, prev_hex);
        json_object_set_new(e, "seq", json_integer((json_int_t)(seq + 1)));
        json_object_set_new(e, "prev", json_string(prev_hex));
        if (!json_is_integer(json_object_get(e, "at")))
            json_object_set_new(e, "at", json_integer(1700000000));
        size_t clen;
        char *canon = auditlog_canonical(e, &clen);
        json_decref(e);
        if (!canon || clen > AUDITLOG_ENTRY_MAX) {
            free(canon);
            continue;
        }
        uint8_t hash[32];
        auditlog_hash(prev, canon, clen, hash);
        char *line = (char *)ccbuf_reserve(out, clen + AUDITLOG_HASH_SUFFIX + 1);
        size_t l = auditlog_line(canon, clen, hash, line);
        FUZZ_CHECK(l == clen - 1 + AUDITLOG_HASH_SUFFIX);
        line[l] = '\n';
        out->len += l + 1;
        free(canon);
        memcpy(prev, hash, 32);
        seq++;
    }
    return seq;
}

/* Feeds log to a verify in pieces of at most 7 bytes and whole, like a socket would. */
static int feed(struct auditcheck *v, const uint8_t *log, size_t len, int small)
{
    size_t step = small ? 7 : len ? len : 1;
    for (size_t i = 0; i < len; i += step)
        if (auditcheck_bytes(v, log + i, len - i < step ? len - i : step))
            return -1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    enum ac_scale scale = (enum ac_scale)(data[0] % 3);
    int sealed = data[0] & 4, small = data[0] & 8;
    data++;
    size--;
    struct auditcheck v;
    if (!sealed) {
        verify_init(&v, scale, UINT64_MAX);
        feed(&v, data, size, small);
        auditcheck_free(&v);
        return 0;
    }
    struct ccbuf log;
    ccbuf_init(&log);
    uint64_t lines = seal((const char *)data, size, &log);
    /* The chain alone (nothing replayed): every sealed line is accepted. */
    verify_init(&v, scale, 0);
    int rc = feed(&v, log.data, log.len, small);
    if (rc)
        fprintf(stderr, "verify refused a sealed log: %s\n", v.why);
    FUZZ_CHECK(rc == 0 && v.seq == lines && v.line.len == 0);
    auditcheck_free(&v);
    /* Then replayed: the entries' meaning may be refused, with a reason. */
    verify_init(&v, scale, lines);
    if (feed(&v, log.data, log.len, small))
        FUZZ_CHECK(v.why[0] != '\0');
    auditcheck_free(&v);
    ccbuf_free(&log);
    return 0;
}
