/* Fuzz target `request`: one WebSocket text frame, as any client may send it, to the
 * real server (fuzz_server.h): the SPEC §4 envelope (JSON, UTF-8 repair, id, op, auth
 * flags; server/proto.c) and every op's argument decoding and handling through the op
 * table, against the state earlier inputs made. The first input byte picks who sends it:
 * an anonymous connection, a member or the brand (each logged in once and kept). The
 * promises checked: every frame gets exactly one reply, a JSON object with `id` and
 * `ok` and a `result` object or an error `code`; every event has no id; the server
 * neither crashes nor trips a sanitizer. A frame is followed by a `hello` of id -1 so
 * the reply of a frame the server could not read an id from is counted too. */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_server.h"

static const struct fuzz_server *srv;
static struct fuzz_ws *conns[3]; /* anonymous, member, brand */

/* Connection who, (re)opened and logged in if the server closed it. */
static struct fuzz_ws *conn(int who)
{
    if (conns[who] && !fuzz_ws_closed(conns[who]))
        return conns[who];
    fuzz_ws_close(conns[who]);
    conns[who] = fuzz_ws_open(who == 0   ? NULL
                              : who == 1 ? fuzz_server_member()
                                         : srv->brand_token);
    return conns[who];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 64 * 1024)
        return 0; /* SPEC §6: a text frame is at most 64 KiB */
    srv = fuzz_server_start(NULL);
    struct fuzz_ws *w = conn(data[0] % 3);
    fuzz_ws_send(w, WSC_TEXT, 1, data + 1, size - 1);
    static const char hello[] = "{\"id\":-1,\"op\":\"hello\"}";
    fuzz_ws_send(w, WSC_TEXT, 1, hello, sizeof hello - 1);
    fuzz_ws_wait_any(w, 2);
    return 0;
}
