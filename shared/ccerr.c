/* Maps project error codes to SPEC §4 wire codes: the only place that does. */
#include "ccerr.h"

static const struct {
    const char *wire;
    const char *message;
} table[] = {
    [0] = {"ok", "ok"},
    [-CC_EBADJSON] = {"bad_json", "frame is not a JSON object"},
    [-CC_EUNKNOWNOP] = {"unknown_op", "unknown op"},
    [-CC_EBADARGS] = {"bad_args", "bad arguments"},
    [-CC_EUNAUTHORIZED] = {"unauthorized", "log in first"},
    [-CC_EFORBIDDEN] = {"forbidden", "not allowed"},
    [-CC_ENOTFOUND] = {"not_found", "no such object"},
    [-CC_ETOOLARGE] = {"too_large", "too large"},
    [-CC_EINVALID] = {"invalid_design", "invalid design"},
    [-CC_ERATELIMITED] = {"rate_limited", "too many requests, retry later"},
    [-CC_ECONFLICT] = {"conflict", "conflict"},
    [-CC_ECLOSED] = {"closed", "not allowed in this phase"},
    [-CC_EBUSY] = {"busy", "server busy, retry later"},
    [-CC_EINTERNAL] = {"internal", "internal error"},
};

const char *ccerr_wire(int err)
{
    if (err > 0 || err < CC_ERR_MIN)
        return "internal";
    return table[-err].wire;
}

const char *ccerr_message(int err)
{
    if (err > 0 || err < CC_ERR_MIN)
        return "internal error";
    return table[-err].message;
}
