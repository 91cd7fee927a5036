/* The web client's files. See web.h and docs/web.md. */
#include "web.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <libwebsockets.h>
#include <zlib.h>

#include "log.h"
#include "util.h"

/* index.html names its assets through this placeholder: "{{assets}}/js/app.js" is
 * served as "/assets/<version>/js/app.js". */
#define WEB_PLACEHOLDER "{{assets}}"
#define WEB_INDEX "index.html"
/* Smaller bodies gain nothing worth a Content-Encoding. */
#define WEB_GZIP_MIN 512
#define CACHE_IMMUTABLE "public, max-age=31536000, immutable"
/* The HTML is revalidated every time (cheap with its ETag): a new version shows at once. */
#define CACHE_HTML "no-cache"
#define CSP                                                                                        \
    "default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "                         \
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

struct web_file {
    char *path; /* relative, '/'-separated: "js/app.js", "samples/level-01.json" */
    const char *ctype;
    uint8_t *body;
    size_t len;
    uint8_t *gz; /* the gzip variant, NULL when it would not be smaller enough */
    size_t gz_len;
    char etag[24], etag_gz[28]; /* strong ETags of each representation */
};

struct web {
    struct web_file *files; /* sorted by path */
    size_t n, bytes;
    const struct web_file *index;
    char version[13];
};

static const struct {
    const char *ext, *ctype;
    int compress;
} types[] = {
    {".html", "text/html; charset=utf-8", 1},
    {".js", "text/javascript; charset=utf-8", 1},
    {".mjs", "text/javascript; charset=utf-8", 1},
    {".css", "text/css; charset=utf-8", 1},
    {".json", "application/json", 1},
    {".svg", "image/svg+xml", 1},
    {".txt", "text/plain; charset=utf-8", 1},
    {".webmanifest", "application/manifest+json", 1},
    {".png", "image/png", 0},
    {".ico", "image/x-icon", 1},
    {".woff2", "font/woff2", 0},
};

static int file_type(const char *path, const char **ctype)
{
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < CC_ARRAY_LEN(types); i++)
        if (!strcasecmp(dot, types[i].ext)) {
            *ctype = types[i].ctype;
            return types[i].compress;
        }
    *ctype = "application/octet-stream";
    return 0;
}

/* Whether a name may be served: letters, digits, '.', '_', '-', not starting with '.'. */
static int name_ok(const char *name)
{
    if (!name[0] || name[0] == '.')
        return 0;
    for (const char *p = name; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *p))
            return 0;
    return 1;
}

/* gzip (RFC 1952) of in at the best level. Returns 0, or -1 when zlib fails. */
static int gzip(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    size_t cap = deflateBound(&z, (uLong)len);
    uint8_t *buf = xmalloc(cap);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)len;
    z.next_out = buf;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    *out_len = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(buf);
        return -1;
    }
    *out = buf;
    return 0;
}

struct loader {
    struct web *w;
    size_t cap;
    char *err;
    size_t errlen;
};

static int load_fail(struct loader *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int load_fail(struct loader *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->err, l->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static int add_file(struct loader *l, const char *full, const char *rel, off_t size)
{
    struct web *w = l->w;
    if (w->n == WEB_MAX_FILES)
        return load_fail(l, "web client: more than %d files (at %s)", WEB_MAX_FILES, rel);
    if ((size_t)size > WEB_MAX_BYTES - w->bytes)
        return load_fail(l, "web client: more than %u bytes in all (at %s)", WEB_MAX_BYTES, rel);
    FILE *f = fopen(full, "rb");
    if (!f)
        return load_fail(l, "web client: cannot open %s: %s", full, strerror(errno));
    uint8_t *body = xmalloc(size ? (size_t)size : 1);
    size_t got = fread(body, 1, (size_t)size, f);
    fclose(f);
    if (got != (size_t)size) {
        free(body);
        return load_fail(l, "web client: short read of %s", full);
    }
    if (w->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        w->files = xrealloc(w->files, l->cap * sizeof *w->files);
    }
    struct web_file *wf = &w->files[w->n++];
    memset(wf, 0, sizeof *wf);
    wf->path = xstrdup(rel);
    wf->body = body;
    wf->len = (size_t)size;
    w->bytes += (size_t)size;
    return 0;
}

/* Adds the regular files under dir (rel is their prefix, "" at the top); only names
 * ending in only_ext when it is set. Subdirectories are walked when recurse is set. */
static int walk(struct loader *l, const char *dir, const char *rel, int depth, int recurse,
                const char *only_ext)
{
    if (depth > WEB_MAX_DEPTH)
        return load_fail(l, "web client: folders nested too deep at %s", dir);
    DIR *d = opendir(dir);
    if (!d)
        return load_fail(l, "web client: cannot read %s: %s", dir, strerror(errno));
    int rc = 0;
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        if (!name_ok(e->d_name))
            continue; /* ".", "..", dotfiles, odd names */
        char full[4096], sub[1024];
        struct stat st;
        if (snprintf(full, sizeof full, "%s/%s", dir, e->d_name) >= (int)sizeof full ||
            snprintf(sub, sizeof sub, "%s%s", rel, e->d_name) >= (int)sizeof sub) {
            rc = load_fail(l, "web client: path too long in %s", dir);
            break;
        }
        if (lstat(full, &st))
            continue;
        if (S_ISDIR(st.st_mode) && recurse) {
            size_t n = strlen(sub);
            if (n + 1 >= sizeof sub) {
                rc = load_fail(l, "web client: path too long in %s", dir);
                break;
            }
            sub[n] = '/';
            sub[n + 1] = '\0';
            rc = walk(l, full, sub, depth + 1, 1, NULL);
        } else if (S_ISREG(st.st_mode)) { /* symlinks and devices are never served */
            size_t n = strlen(e->d_name), m = only_ext ? strlen(only_ext) : 0;
            if (only_ext && (n <= m || strcmp(e->d_name + n - m, only_ext)))
                continue;
            rc = add_file(l, full, sub, st.st_size);
        }
    }
    closedir(d);
    return rc;
}

static int cmp_file(const void *a, const void *b)
{
    return strcmp(((const struct web_file *)a)->path, ((const struct web_file *)b)->path);
}

/* index.html with every WEB_PLACEHOLDER replaced by "/assets/<version>". */
static void expand_index(struct web *w, struct web_file *f)
{
    char base[32];
    snprintf(base, sizeof base, "/assets/%s", w->version);
    struct ccbuf b;
    ccbuf_init(&b);
    const size_t plen = strlen(WEB_PLACEHOLDER);
    const uint8_t *p = f->body, *end = f->body + f->len;
    while (p < end) {
        const uint8_t *hit = NULL;
        for (const uint8_t *q = p; !hit && q + plen <= end; q++)
            if (*q == WEB_PLACEHOLDER[0] && !memcmp(q, WEB_PLACEHOLDER, plen))
                hit = q;
        if (!hit) {
            ccbuf_append(&b, p, (size_t)(end - p));
            break;
        }
        ccbuf_append(&b, p, (size_t)(hit - p));
        ccbuf_append(&b, base, strlen(base));
        p = hit + plen;
    }
    free(f->body);
    f->body = b.data ? b.data : xmalloc(1);
    f->len = b.len;
}

/* ETags, gzip variants. */
static int finish_file(struct web_file *f)
{
    uint8_t sha[CC_SHA256_LEN];
    char hex[17];
    sha256(f->body, f->len, sha);
    hex_encode(sha, 8, hex);
    snprintf(f->etag, sizeof f->etag, "\"%s\"", hex);
    snprintf(f->etag_gz, sizeof f->etag_gz, "\"%s.gz\"", hex);
    int compress = file_type(f->path, &f->ctype);
    if (compress && f->len >= WEB_GZIP_MIN) {
        if (gzip(f->body, f->len, &f->gz, &f->gz_len))
            return -1;
        if (f->gz_len > f->len - f->len / 10) { /* saves under 10 %: not worth it */
            free(f->gz);
            f->gz = NULL;
        }
    }
    return 0;
}

int web_load(struct web **out, const char *dir, char *err, size_t errlen)
{
    *out = NULL;
    struct web *w = xcalloc(1, sizeof *w);
    struct loader l = {.w = w, .err = err, .errlen = errlen};
    if (walk(&l, dir, "", 0, 1, NULL))
        goto fail;
    char samples[4096];
    struct stat st;
    if (snprintf(samples, sizeof samples, "%s/../samples", dir) < (int)sizeof samples &&
        !stat(samples, &st) && S_ISDIR(st.st_mode) && walk(&l, samples, "samples/", 0, 0, ".json"))
        goto fail;
    qsort(w->files, w->n, sizeof *w->files, cmp_file);
    /* The version hashes every path and body (index.html before expansion, so its
     * own text counts too). */
    struct ccbuf all;
    struct web_file *index = NULL;
    uint8_t sha[CC_SHA256_LEN];
    ccbuf_init(&all);
    for (size_t i = 0; i < w->n; i++) {
        sha256(w->files[i].body, w->files[i].len, sha);
        ccbuf_append(&all, w->files[i].path, strlen(w->files[i].path) + 1);
        ccbuf_append(&all, sha, sizeof sha);
        if (!strcmp(w->files[i].path, WEB_INDEX))
            index = &w->files[i];
    }
    sha256(all.data, all.len, sha);
    ccbuf_free(&all);
    hex_encode(sha, 6, w->version);
    if (!index) {
        load_fail(&l, "web client: %s has no %s", dir, WEB_INDEX);
        goto fail;
    }
    expand_index(w, index);
    w->index = index;
    for (size_t i = 0; i < w->n; i++)
        if (finish_file(&w->files[i])) {
            load_fail(&l, "web client: cannot compress %s", w->files[i].path);
            goto fail;
        }
    *out = w;
    return 0;
fail:
    web_free(w);
    return -1;
}

void web_free(struct web *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n; i++) {
        free(w->files[i].path);
        free(w->files[i].body);
        free(w->files[i].gz);
    }
    free(w->files);
    free(w);
}

const char *web_version(const struct web *w) { return w->version; }

/* Whether Accept-Encoding allows gzip (a "gzip" or "*" coding without q=0). */
static int accepts_gzip(struct net_http *h)
{
    char buf[512];
    if (net_http_header(h, WSI_TOKEN_HTTP_ACCEPT_ENCODING, buf, sizeof buf) <= 0)
        return 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        t += strspn(t, " \t");
        size_t n = strcspn(t, " \t;");
        if (!((n == 4 && !strncasecmp(t, "gzip", 4)) || (n == 1 && t[0] == '*')))
            continue;
        const char *q = strstr(t + n, "q=");
        if (q && strtod(q + 2, NULL) <= 0)
            continue;
        return 1;
    }
    return 0;
}

/* f with its headers; html: the page (index.html) — status 200, or 404 for a path
 * that is no page (the client then shows its own not-found page). */
static void respond_status(struct net_http *h, const struct web_file *f, int html, int status)
{
    int gz = f->gz && accepts_gzip(h);
    const char *etag = gz ? f->etag_gz : f->etag;
    net_http_add_header(h, "etag:", etag);
    net_http_add_header(h, "cache-control:", html ? CACHE_HTML : CACHE_IMMUTABLE);
    net_http_add_header(h, "x-content-type-options:", "nosniff");
    if (f->gz)
        net_http_add_header(h, "vary:", "Accept-Encoding");
    if (html) {
        net_http_add_header(h, "content-security-policy:", CSP);
        net_http_add_header(h, "referrer-policy:", "same-origin");
    }
    if (status == 200 && net_http_etag_matches(h, etag)) {
        net_http_respond(h, 304, f->ctype, NULL, 0);
        return;
    }
    if (gz)
        net_http_add_header(h, "content-encoding:", "gzip");
    const uint8_t *src = gz ? f->gz : f->body;
    size_t len = gz ? f->gz_len : f->len;
    void *copy = xmalloc(len ? len : 1);
    memcpy(copy, src, len);
    net_http_respond(h, status, f->ctype, copy, len);
}

static void respond_file(struct net_http *h, const struct web_file *f, int html)
{
    respond_status(h, f, html, 200);
}

int web_not_found(const struct web *w, struct net_http *h, const char *path)
{
    if (!w || !strncmp(path, "/assets/", 8))
        return 0;
    respond_status(h, w->index, 1, 404);
    return 1;
}

static const struct web_file *find(const struct web *w, const char *path)
{
    struct web_file key = {.path = (char *)path};
    return bsearch(&key, w->files, w->n, sizeof *w->files, cmp_file);
}

/* The page routes of the client (docs/web.md): exact names, or a prefix followed by
 * one id segment of [A-Za-z0-9_.-]. */
static int is_page(const char *path)
{
    static const char *const exact[] = {"/", "/leaderboard", "/submit", "/brand", "/account"};
    static const char *const prefix[] = {"/design/", "/contest/", "/creator/"};
    for (size_t i = 0; i < CC_ARRAY_LEN(exact); i++)
        if (!strcmp(path, exact[i]))
            return 1;
    for (size_t i = 0; i < CC_ARRAY_LEN(prefix); i++) {
        size_t n = strlen(prefix[i]);
        if (!strncmp(path, prefix[i], n)) {
            const char *id = path + n;
            size_t len = strlen(id);
            return len > 0 && len <= 64 && name_ok(id);
        }
    }
    return 0;
}

int web_route(const struct web *w, struct net_http *h, const char *path)
{
    if (!w)
        return 0;
    if (is_page(path)) {
        respond_file(h, w->index, 1);
        return 1;
    }
    static const char prefix[] = "/assets/";
    if (strncmp(path, prefix, sizeof prefix - 1))
        return 0;
    const char *v = path + sizeof prefix - 1;
    size_t vlen = strlen(w->version);
    if (strncmp(v, w->version, vlen) || v[vlen] != '/')
        return 0; /* another version: its bodies are gone; never cache today's as it */
    const char *rel = v + vlen + 1;
    const struct web_file *f = find(w, rel);
    if (!f || f == w->index)
        return 0;
    respond_file(h, f, 0);
    return 1;
}
