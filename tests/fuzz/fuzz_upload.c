/* Fuzz target `upload`: the upload state machine (SPEC §4; server/ops_upload.c) fed a
 * random sequence of frames on one connection of a member: upload.begin, binary frames
 * (whole or in fragments), upload.commit, upload.abort, stray text frames and the
 * connection closing in the middle, against the real server (fuzz_server.h). Each input
 * is a program of steps on a fresh connection; a step is one byte, op = byte % 8:
 *
 *   0 begin    flags, len (2 bytes, big-endian), then len bytes: the payload. Sends
 *              upload.begin {kind: flags&1 ? artwork : level, bytes: len (+1 when
 *              flags&2), sha256: the payload's (a wrong one when flags&4), title, and
 *              contest: "open" (flags&8: none)}, waits for its reply
 *   1 bytes    n (2 bytes): sends the payload's next n bytes as one binary frame
 *   2 frag     n (2 bytes): the same as a fragment (not final), then the rest of the
 *              payload as its continuation
 *   3 commit   upload.commit {upload: the id begin got (flags of the step byte & 8:
 *              another)}, waits for its reply
 *   4 abort    upload.abort, likewise
 *   5 text     n (1 byte): sends n input bytes as a text frame, then waits for its reply
 *   6 reopen   closes the connection (an upload in flight is dropped) and opens another
 *   7 rest     sends what is left of the payload, then commits
 *
 * The promises checked are the request target's (one well-formed reply per request,
 * no crash, no sanitizer report), on every path of the state machine. */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_server.h"
#include "util.h"

/* Steps per input, at most (a bound on the time one input takes). */
#define UPLOAD_MAX_STEPS 32

static const struct fuzz_server *srv;

struct prog {
    const uint8_t *p, *end;
    struct fuzz_ws *w;
    long long id;           /* the next request id */
    const uint8_t *payload; /* the last begin's bytes */
    size_t len, sent;
    char upload[32];        /* the id upload.begin returned, "" if none */
};

static size_t take(struct prog *g, size_t n)
{
    size_t left = (size_t)(g->end - g->p);
    return n < left ? n : left;
}

static unsigned u8(struct prog *g)
{
    return g->p < g->end ? *g->p++ : 0;
}

static unsigned u16(struct prog *g)
{
    unsigned hi = u8(g);
    return hi << 8 | u8(g);
}

static void call(struct prog *g, const char *op, const char *args)
{
    json_t *r = fuzz_ws_call(g->w, g->id++, op, args);
    if (r && !strcmp(op, "upload.begin")) {
        const char *u = json_string_value(json_object_get(json_object_get(r, "result"),
                                                          "upload"));
        snprintf(g->upload, sizeof g->upload, "%s", u ? u : "");
    }
    json_decref(r);
}

static void begin(struct prog *g)
{
    unsigned flags = u8(g);
    size_t len = take(g, u16(g));
    g->payload = g->p;
    g->len = len;
    g->sent = 0;
    g->p += len;
    uint8_t sha[32];
    char hex[65], args[256];
    sha256(g->payload, len, sha);
    if (flags & 4)
        sha[0] ^= 1;
    hex_encode(sha, 32, hex);
    snprintf(args, sizeof args,
             "\"kind\":\"%s\",\"title\":\"fuzz %llu\",\"bytes\":%zu,\"sha256\":\"%s\"%s",
             flags & 1 ? "artwork" : "level", (unsigned long long)g->id,
             len + ((flags & 2) != 0), hex, flags & 8 ? "" : ",\"contest\":\"open\"");
    call(g, "upload.begin", args);
}

static void send_bytes(struct prog *g, size_t n, int fragment)
{
    size_t left = g->len - g->sent;
    n = n < left ? n : left;
    if (!fragment) {
        fuzz_ws_send(g->w, WSC_BINARY, 1, g->payload + g->sent, n);
    } else {
        fuzz_ws_send(g->w, WSC_BINARY, 0, g->payload + g->sent, n);
        fuzz_ws_send(g->w, WSC_CONT, 1, g->payload + g->sent + n, left - n);
        n = left;
    }
    g->sent += n;
}

static void commit_or_abort(struct prog *g, const char *op, int other)
{
    char args[64];
    snprintf(args, sizeof args, "\"upload\":\"%s\"", other ? "999" : g->upload);
    call(g, op, args);
}

static struct fuzz_ws *open_member(void)
{
    return fuzz_ws_open(fuzz_server_member());
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    srv = fuzz_server_start(NULL);
    struct prog g = {.p = data, .end = data + size, .id = 2, .payload = (const uint8_t *)""};
    g.w = open_member();
    for (int step = 0; step < UPLOAD_MAX_STEPS && g.p < g.end && !fuzz_ws_closed(g.w);
         step++) {
        unsigned s = u8(&g);
        switch (s % 8) {
        case 0:
            begin(&g);
            break;
        case 1:
            send_bytes(&g, u16(&g), 0);
            break;
        case 2:
            send_bytes(&g, u16(&g), 1);
            break;
        case 3:
            commit_or_abort(&g, "upload.commit", s & 8);
            break;
        case 4:
            commit_or_abort(&g, "upload.abort", s & 8);
            break;
        case 5: {
            size_t n = take(&g, u8(&g));
            fuzz_ws_send(g.w, WSC_TEXT, 1, g.p, n);
            g.p += n;
            static const char hello[] = "{\"id\":-1,\"op\":\"hello\"}";
            fuzz_ws_send(g.w, WSC_TEXT, 1, hello, sizeof hello - 1);
            fuzz_ws_wait_any(g.w, 2);
            break;
        }
        case 6:
            fuzz_ws_close(g.w);
            g.w = open_member();
            break;
        case 7:
            send_bytes(&g, SIZE_MAX, 0);
            commit_or_abort(&g, "upload.commit", 0);
            break;
        }
    }
    fuzz_ws_close(g.w);
    return 0;
}
