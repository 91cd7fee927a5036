/* Fuzz target `http`: the HTTP request line and header fields as the server sees them
 * (libwebsockets' parser, then server/net_http.c's limits and methods and server/http.c's
 * routes, the web client's files of web.c): the input is written as is to a fresh TCP
 * connection to the real server (fuzz_server.h), the sending side is shut, and the
 * answer read until the server closes. The server holds one level, one artwork, a vote
 * and so an audit log, made at start, so /t/ /r/ /d/ /log/ have something to serve. The
 * promises checked: no crash, no sanitizer report; whatever is answered starts with an
 * HTTP/1.x status line and is never 500 (net_http.c's "no response" fallback); after
 * each input the server still answers GET /healthz on another connection (no request
 * may wedge it for everyone). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "fuzz_server.h"
#include "util.h"

/* How long to wait for the server to answer and close. */
#define HTTP_WAIT_MS 2000

static const struct fuzz_server *srv;

static void upload(struct fuzz_ws *w, long long id, const char *kind, const char *text,
                   const void *bytes, size_t len)
{
    uint8_t sha[32];
    char hex[65], args[256];
    sha256(bytes, len, sha);
    hex_encode(sha, 32, hex);
    snprintf(args, sizeof args, "\"kind\":\"%s\",\"title\":\"%s\",\"bytes\":%zu,\"sha256\":\"%s\"",
             kind, text, len, hex);
    json_t *r = fuzz_ws_call(w, id, "upload.begin", args);
    const char *u = json_string_value(json_object_get(json_object_get(r, "result"), "upload"));
    FUZZ_CHECK(u != NULL);
    snprintf(args, sizeof args, "\"upload\":\"%s\"", u);
    json_decref(r);
    fuzz_ws_send(w, WSC_BINARY, 1, bytes, len);
    r = fuzz_ws_call(w, id + 1, "upload.commit", args);
    if (!json_is_true(json_object_get(r, "ok"))) {
        char *s = json_dumps(r, 0);
        fprintf(stderr, "fuzz_http: the %s upload failed: %s\n", kind, s);
        free(s);
    }
    FUZZ_CHECK(json_is_true(json_object_get(r, "ok")));
    json_decref(r);
}

/* Designs 1 (a level) and 2 (an artwork) in the open contest, and a vote on 1. */
static void populate(void)
{
    static const char level[] =
        "{\"format\":\"cocreate.level/1\",\"width\":16,\"height\":8,\"rows\":["
        "\"................\",\"................\",\"................\",\"................\","
        "\"................\",\"................\",\"S.............G.\",\"################\"]}";
    /* A 64 x 64 grey PNG (8-bit greyscale, one IDAT). */
    static const uint8_t png[] = {
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
        0x44, 0x52, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x40, 0x08, 0x00, 0x00, 0x00,
        0x00, 0x8f, 0x02, 0x2e, 0x02, 0x00, 0x00, 0x00, 0x29, 0x49, 0x44, 0x41, 0x54, 0x78,
        0xda, 0xed, 0xcc, 0x41, 0x11, 0x00, 0x00, 0x0c, 0x02, 0x20, 0xa3, 0x1b, 0xdd, 0x10,
        0xfb, 0xed, 0x20, 0x00, 0xe9, 0x51, 0x04, 0x02, 0x81, 0x40, 0x20, 0x10, 0x08, 0x04,
        0x02, 0x81, 0x40, 0x20, 0x10, 0x7c, 0x0f, 0x06, 0xdf, 0x6d, 0x00, 0x79, 0x70, 0xba,
        0x79, 0xfa, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
    struct fuzz_ws *w = fuzz_ws_open(NULL);
    json_decref(fuzz_ws_call(w, 1, "auth.register", "\"name\":\"fuzzcreator\""));
    upload(w, 2, "level", "A level", level, sizeof level - 1);
    upload(w, 4, "artwork", "A shirt", png, sizeof png);
    fuzz_ws_close(w);
    w = fuzz_ws_open(srv->brand_token);
    json_t *r = fuzz_ws_call(w, 2, "vote.cast", "\"design\":\"1\",\"value\":1");
    FUZZ_CHECK(json_is_true(json_object_get(r, "ok")));
    json_decref(r);
    fuzz_ws_close(w);
}

/* Writes data to a new connection, shuts the sending side, and reads the answer until
 * the server closes or HTTP_WAIT_MS pass; returns how many bytes came, the first ones
 * in head. */
static size_t exchange(const void *data, size_t size, char head[16])
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)srv->port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    FUZZ_CHECK(fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0);
    size_t off = 0;
    while (off < size) {
        ssize_t n = send(fd, (const char *)data + off, size - off, MSG_NOSIGNAL);
        if (n <= 0)
            break; /* the server closed early: answered already, or refused */
        off += (size_t)n;
    }
    shutdown(fd, SHUT_WR);
    size_t got = 0;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    uint64_t deadline = now_ms_monotonic() + HTTP_WAIT_MS;
    for (;;) {
        uint64_t now = now_ms_monotonic();
        if (now >= deadline || poll(&p, 1, (int)(deadline - now)) <= 0)
            break;
        char buf[65536];
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            break;
        if (got < 16)
            memcpy(head + got, buf, (size_t)n < 16 - got ? (size_t)n : 16 - got);
        got += (size_t)n;
    }
    close(fd);
    return got;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!srv) {
        srv = fuzz_server_start(CC_WEB_DIR);
        populate();
    }
    char head[16];
    size_t got = exchange(data, size, head);
    if (got) {
        FUZZ_CHECK(got >= 12 && !memcmp(head, "HTTP/1.", 7));
        FUZZ_CHECK(memcmp(head + 8, " 500", 4) != 0);
    }
    /* One connection must never stop the server serving the others. */
    static const char health[] = "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n";
    got = exchange(health, sizeof health - 1, head);
    if (got < 12 || memcmp(head, "HTTP/1.1 200", 12))
        fprintf(stderr, "fuzz_http: /healthz is not answered after this input\n");
    FUZZ_CHECK(got >= 12 && !memcmp(head, "HTTP/1.1 200", 12));
    return 0;
}
