/* The commands that take one design file (lint.c, render.c, upload) and what they share:
 * reading the file with its kind, and printing a kind error as SPEC §4 JSON. */
#ifndef CC_CLI_DESIGNFILE_H
#define CC_CLI_DESIGNFILE_H

#include "kind.h"
#include "util.h"

/* Reads path into buf (at most the largest kind's max_bytes + 1, so an oversized file
 * is still reported as too_large) and sets *kind: kind_name's, or guessed from the
 * content when kind_name is NULL. Prints why on stderr and returns 2 on failure. */
int designfile_read(const char *path, const char *kind_name, struct ccbuf *buf,
                    const struct kind **kind);

/* The name of the image format p starts with when it is one a creator might try
 * instead of PNG ("GIF", "JPEG", "WebP", ...), else NULL. */
const char *designfile_image_format(const uint8_t *p, size_t n);

/* Prints {"code":..., "detail":{...}, "message":...} on stderr for a kind call's rc; with
 * as_json (--json) as {"error":{...}} on stdout. */
void designfile_print_error(int rc, const struct kind_error *err, int as_json);

#endif
