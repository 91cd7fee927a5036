/* Project-wide error codes: every module returns 0 or one of these negatives, and
 * ccerr_wire() maps each once to its SPEC §4 wire code. */
#ifndef CC_CCERR_H
#define CC_CCERR_H

enum ccerr {
    CC_OK = 0,
    CC_EBADJSON = -1,       /* "bad_json": frame is not one JSON object */
    CC_EUNKNOWNOP = -2,     /* "unknown_op" */
    CC_EBADARGS = -3,       /* "bad_args": missing or wrong-typed argument */
    CC_EUNAUTHORIZED = -4,  /* "unauthorized": needs a logged-in account / bad token */
    CC_EFORBIDDEN = -5,     /* "forbidden": logged in, but not allowed */
    CC_ENOTFOUND = -6,      /* "not_found" */
    CC_ETOOLARGE = -7,      /* "too_large" */
    CC_EINVALID = -8,       /* "invalid_design" */
    CC_ERATELIMITED = -9,   /* "rate_limited" */
    CC_ECONFLICT = -10,     /* "conflict" */
    CC_ECLOSED = -11,       /* "closed": the phase does not allow it */
    CC_EBUSY = -12,         /* "busy": overloaded or shutting down, retry later */
    CC_EINTERNAL = -13,     /* "internal" */
    CC_ERR_MIN = -13
};

/* The SPEC §4 wire code for err ("internal" for anything unknown). Static string. */
const char *ccerr_wire(int err);

/* A short human-readable default message for err. Static string. */
const char *ccerr_message(int err);

#endif
