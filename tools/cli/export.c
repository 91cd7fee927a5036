/* cocreate export --contest ID --out DIR --server URL [--token TOKEN]: downloads a
 * contest's production export (GET /export/<contest>, a ustar archive; the brand token
 * from --token or $COCREATE_TOKEN) through libcocreate's cc_fetch with a sink, and
 * writes its files into DIR as they arrive. It
 * checks each header's checksum, each original against the SHA-256 the manifest names,
 * and that the archive ended properly (a cut-off stream is an error). Progress: a bar
 * on a terminal (stderr is a tty), else one plain line per design. Designs the server
 * left out (the manifest's `skipped`) are named. Exit 0 when all is written and
 * checked, 1 on any failure or a design left out, 2 on a usage error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cli.h"
#include "util.h"

#define TAR_BLOCK 512
/* The manifest is metadata only; this bounds what is kept of it in memory. */
#define EXPORT_MANIFEST_MAX (64u << 20)
/* Longest silence of the server before the download gives up (the server makes each
 * design's files on its thread pool before sending them). */
#define EXPORT_TIMEOUT_MS 120000

struct xfile {
    char name[101];
    uint8_t sha[32];
    uint64_t size;
    struct xfile *next;
};

struct xstate {
    const char *dir;
    uint8_t hdr[TAR_BLOCK];
    size_t hdr_len;
    uint64_t left, pad; /* of the member being read */
    FILE *f;
    EVP_MD_CTX *md;
    char name[101];
    int zero_blocks, ended;
    struct ccbuf manifest; /* manifest.json, kept to check the originals */
    int in_manifest;
    struct xfile *files; /* originals written, with their SHA-256 */
    size_t designs, designs_total, members;
    uint64_t bytes;
    int tty;
    int started;
    char reason[256]; /* the body of a refusal */
    size_t reason_len;
    char err[5120];
};

static void progress(struct xstate *s, int final)
{
    double mib = (double)s->bytes / (1 << 20);
    if (s->tty) {
        int width = 30, fill = s->designs_total ? (int)(width * s->designs / s->designs_total)
                                                : final ? width : 0;
        char bar[64];
        memset(bar, '#', (size_t)fill);
        memset(bar + fill, '.', (size_t)(width - fill));
        bar[width] = '\0';
        fprintf(stderr, "\r[%s] %zu/%zu designs  %.1f MiB%s", bar, s->designs,
                s->designs_total, mib, final ? "\n" : "");
    } else if (!final) {
        fprintf(stderr, "export: %zu/%zu designs, %.1f MiB\n", s->designs, s->designs_total,
                mib);
    }
    fflush(stderr);
}

/* Creates the parent folders of path under the output dir. */
static int make_parents(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return 0;
}

static unsigned long long octal(const uint8_t *p, size_t n)
{
    unsigned long long v = 0;
    for (size_t i = 0; i < n && p[i] >= '0' && p[i] <= '7'; i++)
        v = v * 8 + (unsigned long long)(p[i] - '0');
    return v;
}

/* A whole header block is in s->hdr: start its member. */
static int begin_member(struct xstate *s)
{
    int zero = 1;
    for (int i = 0; i < TAR_BLOCK; i++)
        zero &= s->hdr[i] == 0;
    if (zero) {
        s->ended = ++s->zero_blocks >= 2;
        return 0;
    }
    if (s->zero_blocks) {
        snprintf(s->err, sizeof s->err, "archive: data after an end block");
        return -1;
    }
    unsigned sum = 0;
    for (int i = 0; i < TAR_BLOCK; i++)
        sum += i >= 148 && i < 156 ? ' ' : s->hdr[i];
    if (memcmp(s->hdr + 257, "ustar", 5) || octal(s->hdr + 148, 8) != sum) {
        snprintf(s->err, sizeof s->err, "archive: a corrupt header after %zu members",
                 s->members);
        return -1;
    }
    memcpy(s->name, s->hdr, 100);
    s->name[100] = '\0';
    if (!s->name[0] || s->name[0] == '/' || strstr(s->name, "..") || s->hdr[156] != '0') {
        snprintf(s->err, sizeof s->err, "archive: refusing member '%s'", s->name);
        return -1;
    }
    s->left = octal(s->hdr + 124, 12);
    s->pad = (TAR_BLOCK - s->left % TAR_BLOCK) % TAR_BLOCK;
    s->members++;
    s->in_manifest = !strcmp(s->name, "manifest.json");
    if (s->in_manifest && s->left > EXPORT_MANIFEST_MAX) {
        snprintf(s->err, sizeof s->err, "archive: manifest.json is too large");
        return -1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", s->dir, s->name);
    if (make_parents(path) || !(s->f = fopen(path, "wb"))) {
        snprintf(s->err, sizeof s->err, "%s: %s", path, strerror(errno));
        return -1;
    }
    EVP_DigestInit_ex(s->md, EVP_sha256(), NULL);
    return 0;
}

static int end_member(struct xstate *s)
{
    if (fclose(s->f)) {
        s->f = NULL;
        snprintf(s->err, sizeof s->err, "%s/%s: %s", s->dir, s->name, strerror(errno));
        return -1;
    }
    s->f = NULL;
    const char *base = strrchr(s->name, '/');
    if (base && !strncmp(base, "/original.", 10)) {
        struct xfile *x = xcalloc(1, sizeof *x);
        snprintf(x->name, sizeof x->name, "%s", s->name);
        EVP_DigestFinal_ex(s->md, x->sha, NULL);
        x->next = s->files;
        s->files = x;
    }
    if (base && !strcmp(base, "/render.png")) {
        s->designs++;
        progress(s, 0);
    }
    return 0;
}

/* cc_fetch's sink: the archive's bytes, unpacked as they arrive (a refusal's body is
 * kept as its reason instead). */
static int sink(const struct cc_body *head, const unsigned char *data, size_t len, void *user)
{
    struct xstate *s = user;
    if (!s->started) {
        s->started = 1;
        const char *v = json_string_value(json_object_get(head->headers, "x-export-designs"));
        if (v)
            s->designs_total = (size_t)strtoull(v, NULL, 10);
    }
    if (head->status != 200) { /* keep the start of the reason, write nothing */
        size_t n = sizeof s->reason - 1 - s->reason_len;
        n = n < len ? n : len;
        memcpy(s->reason + s->reason_len, data, n);
        s->reason_len += n;
        return 0;
    }
    s->bytes += len;
    while (len) {
        if (s->ended) {
            for (size_t i = 0; i < len; i++)
                if (data[i]) {
                    snprintf(s->err, sizeof s->err, "archive: data after its end");
                    return -1;
                }
            return 0;
        }
        if (s->f && s->left) {
            size_t n = len < s->left ? len : (size_t)s->left;
            if (fwrite(data, 1, n, s->f) != n) {
                snprintf(s->err, sizeof s->err, "%s/%s: %s", s->dir, s->name, strerror(errno));
                return -1;
            }
            EVP_DigestUpdate(s->md, data, n);
            if (s->in_manifest)
                ccbuf_append(&s->manifest, data, n);
            s->left -= n;
            data += n;
            len -= n;
            continue;
        }
        if (s->f) {
            if (end_member(s))
                return -1;
            continue;
        }
        if (s->pad) {
            size_t n = len < s->pad ? len : (size_t)s->pad;
            s->pad -= n;
            data += n;
            len -= n;
            continue;
        }
        size_t n = TAR_BLOCK - s->hdr_len < len ? TAR_BLOCK - s->hdr_len : len;
        memcpy(s->hdr + s->hdr_len, data, n);
        s->hdr_len += n;
        data += n;
        len -= n;
        if (s->hdr_len == TAR_BLOCK) {
            s->hdr_len = 0;
            if (begin_member(s))
                return -1;
        }
    }
    if (s->f && !s->left && end_member(s))
        return -1;
    return 0;
}

/* Prints the designs the server left out (the manifest's skipped list), one a line.
 * Returns how many. */
static size_t report_skipped(const struct xstate *s)
{
    json_t *m = json_loadb((const char *)s->manifest.data, s->manifest.len, 0, NULL);
    json_t *skipped = json_object_get(m, "skipped"), *d;
    size_t i;
    json_array_foreach(skipped, i, d)
    {
        fprintf(stderr, "export: design %s was left out: %s\n",
                json_string_value(json_object_get(d, "id")),
                json_string_value(json_object_get(d, "reason")));
    }
    size_t n = json_array_size(skipped);
    json_decref(m);
    return n;
}

/* Every original's SHA-256 must be the blob the manifest names for it. */
static int check_manifest(struct xstate *s)
{
    json_error_t e;
    json_t *m = json_loadb((const char *)s->manifest.data, s->manifest.len, 0, &e);
    json_t *designs = json_object_get(m, "designs");
    int rc = 0;
    if (!json_is_array(designs)) {
        snprintf(s->err, sizeof s->err, "manifest.json is not an export manifest");
        rc = -1;
    }
    size_t i, found = 0;
    json_t *d;
    json_array_foreach(designs, i, d)
    {
        const char *name = json_string_value(json_object_get(d, "original"));
        const char *blob = json_string_value(json_object_get(d, "blob"));
        struct xfile *f = s->files;
        while (f && (!name || strcmp(f->name, name)))
            f = f->next;
        char hex[65] = "";
        if (f)
            hex_encode(f->sha, 32, hex);
        if (!f || !blob || strcmp(hex, blob)) {
            snprintf(s->err, sizeof s->err, "design %s: %s", json_string_value(json_object_get(d, "id")),
                     f ? "its original does not match the blob SHA-256 of the manifest"
                       : "its original is missing from the archive");
            rc = -1;
            break;
        }
        found++;
    }
    if (!rc) {
        size_t originals = 0;
        for (struct xfile *f = s->files; f; f = f->next)
            originals++;
        if (originals != found) {
            snprintf(s->err, sizeof s->err, "the archive has %zu originals, the manifest %zu",
                     originals, found);
            rc = -1;
        }
    }
    json_decref(m);
    return rc;
}

int cmd_export(struct cli *cli)
{
    const char *contest = cli_opt(cli, "contest"), *dir = cli_opt(cli, "out");
    int rc = cli_resolve(cli);
    if (rc)
        return rc;
    const char *token = cli->token;
    if (!contest || !dir || !*contest || strlen(contest) > 64 ||
        strspn(contest, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(contest))
        return cli_usage_error(cli, "--contest ID and --out DIR are needed");
    if (!token || !*token || strlen(token) > 128 || strpbrk(token, "\r\n")) {
        fprintf(stderr, "export: a brand token is needed (cocreate login, --token or "
                        "COCREATE_TOKEN)\n");
        return 2;
    }
    if (mkdir(dir, 0755) && errno != EEXIST) {
        fprintf(stderr, "export: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    struct cc_error cerr = {0};
    if (cli_open(cli, &cerr)) {
        fprintf(stderr, "export: %s\n", cerr.message);
        rc = cli_exit_code(cerr.kind);
        cc_error_clear(&cerr);
        if (cli->json)
            printf("{\"error\":{\"code\":\"export_failed\",\"message\":\"the export failed\"}}\n");
        return rc;
    }
    cc_set_timeout(cli->conn, EXPORT_TIMEOUT_MS);
    cc_set_token(cli->conn, token); /* the brand's bearer token: no login needed */
    struct xstate s;
    memset(&s, 0, sizeof s);
    s.dir = dir;
    s.md = EVP_MD_CTX_new();
    s.tty = isatty(2);
    ccbuf_init(&s.manifest);
    char path[128];
    snprintf(path, sizeof path, "/export/%s", contest);
    static const char *const want[] = {"x-export-designs", NULL};
    struct cc_fetch f = {.sink = sink, .sink_user = &s, .headers = want};
    rc = CLI_REFUSED;
    int json_done = 0;
    int kind = cc_fetch(cli->conn, path, &f);
    /* The archive's body ends when the server closes (no Content-Length): a close after
     * a 200 is its end, and whether the archive is whole is for its end blocks to say. */
    if (kind == CC_ERR_CLOSED && f.body.status == 200)
        kind = CC_OK;
    if (kind && kind != CC_ERR_HTTP) {
        if (s.tty && s.started)
            fputc('\n', stderr);
        fprintf(stderr, "export: %s\n", s.err[0] ? s.err : f.error.message);
        /* the sink's reason, or the network */
        rc = s.err[0] ? CLI_REFUSED : cli_exit_code(kind);
        goto out;
    }
    if (kind == CC_ERR_HTTP) {
        s.reason[strcspn(s.reason, "\r\n")] = '\0';
        fprintf(stderr, "export: GET %s: status %d: %s\n", path, f.error.http_status, s.reason);
        goto out;
    }
    if (!s.ended) {
        fprintf(stderr, "export: the archive was cut off after %zu members\n", s.members);
        goto out;
    }
    if (!s.manifest.len || check_manifest(&s)) {
        fprintf(stderr, "export: %s\n", s.err[0] ? s.err : "no manifest.json in the archive");
        goto out;
    }
    progress(&s, 1);
    fprintf(stderr, "export: %zu designs, %.1f MiB written to %s\n", s.designs,
            (double)s.bytes / (1 << 20), dir);
    /* A design the server could not read is not in the archive: the export is not
     * complete until the brand deals with it (hides it, or restores its data). */
    size_t left_out = report_skipped(&s);
    if (left_out)
        fprintf(stderr, "export: incomplete: %zu design%s left out (see manifest.json)\n",
                left_out, left_out == 1 ? "" : "s");
    rc = left_out ? CLI_REFUSED : CLI_OK;
    json_done = cli->json;
    if (cli->json) {
        json_t *j = json_pack("{ss ss sI sI sI}", "contest", contest, "out", dir, "designs",
                              (json_int_t)s.designs, "bytes", (json_int_t)s.bytes, "left_out",
                              (json_int_t)left_out);
        cli_print_json(j);
        json_decref(j);
    }
out:
    if (rc && cli->json && !json_done) /* the reason is on stderr */
        printf("{\"error\":{\"code\":\"export_failed\",\"message\":\"the export failed\"}}\n");
    if (s.f)
        fclose(s.f);
    while (s.files) {
        struct xfile *n = s.files->next;
        free(s.files);
        s.files = n;
    }
    ccbuf_free(&s.manifest);
    EVP_MD_CTX_free(s.md);
    cc_fetch_clear(&f);
    return rc;
}
