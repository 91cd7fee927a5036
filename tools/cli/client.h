/* The CLI's side of the network, for the subcommands that talk to a running server
 * (verify.c, export.c): the --server URL, a blocking HTTP/1.1 GET that streams the body
 * to a sink, and WebSocket requests (SPEC §4 envelope) over tools/bench/wsclient. */
#ifndef CC_CLI_CLIENT_H
#define CC_CLI_CLIENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* A server from a URL "http://HOST:PORT" (or ws://; no path): HOST an IPv4 address or
 * a name resolved to one. */
struct cli_server {
    char host[64]; /* numeric IPv4 */
    int port;
};
/* Parses url into s. Returns 0, or -1 with a reason in err. */
int cli_server_parse(const char *url, struct cli_server *s, char *err, size_t errlen);

/* Receives body bytes as they arrive; returns 0 to go on, non-zero to stop (the GET
 * then fails with that reason left in err by the sink, if it wants). */
typedef int (*cli_sink_fn)(void *user, const uint8_t *data, size_t len);

/* What a GET returned besides the body. */
struct cli_http_resp {
    int status;
    long long length; /* Content-Length, -1 when absent (body until the close) */
    char head[8192];  /* the response head, NUL-terminated */
};
/* The value of response header name (case-insensitive) copied into out; 0 or -1. */
int cli_http_header(const struct cli_http_resp *r, const char *name, char *out, size_t len);
/* GET path from s with an optional bearer token; the body goes to sink (chunked and
 * close-delimited bodies are decoded; a body shorter than its Content-Length is an
 * error). Returns 0 (whatever the status), or -1 with a reason in err. */
int cli_http_get(const struct cli_server *s, const char *path, const char *token,
                 struct cli_http_resp *resp, cli_sink_fn sink, void *user, char *err,
                 size_t errlen);

struct cli_rpc;
/* Opens a WebSocket (/ws, cocreate.v1) to s. Returns 0 or -1 with err. */
int cli_rpc_open(struct cli_rpc **out, const struct cli_server *s, char *err, size_t errlen);
/* Sends {id, op, ...args} (args taken; NULL = none) and waits for its reply. Returns
 * the reply's result (new reference) when ok; NULL with err "CODE: message" when the
 * reply is an error or the connection failed. */
json_t *cli_rpc_call(struct cli_rpc *r, const char *op, json_t *args, char *err,
                     size_t errlen);
/* Closes the connection. NULL-safe. */
void cli_rpc_close(struct cli_rpc *r);

#endif
