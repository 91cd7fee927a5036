/* The server object's small services for the modules that hold it: the clock
 * (wall or --test-clock) and hello's limits. The daemon's lifecycle is startup.c.
 * Loop thread only. */
#include "server.h"

#include "comments.h"
#include "net.h"
#include "ratelimit.h"
#include "util.h"
#include "writer.h"

json_t *server_limits(const struct server *s)
{
    return json_pack("{sisIsisisiso}", "text_frame_bytes", NET_MAX_TEXT, "send_queue_bytes",
                     (json_int_t)(s->cfg.send_queue_max ? s->cfg.send_queue_max
                                                        : NET_DEFAULT_SEND_QUEUE),
                     "writer_queue", WRITER_MAX_QUEUED, "comment_chars", COMMENT_TEXT_MAX,
                     "comment_page", COMMENT_PAGE_MAX, "rate", rate_config_json(&s->cfg.rate));
}

int64_t server_now(const struct server *s)
{
    return s->cfg.test_clock ? s->test_now_ms / 1000 : now_unix();
}

uint64_t server_now_ms(const struct server *s)
{
    return s->cfg.test_clock ? (uint64_t)s->test_now_ms : now_ms_monotonic();
}

