/* uploadcost: what one upload costs the server's CPU and disk, measured in process on
 * one thread with the same inputs uploadgen sends (tools/bench/gen.c): for each item
 * the SHA-256 check, kind_validate, codec_encode (the stored form), kind_render (the
 * thumbnail) and a durable LMDB write of blob + thumbnail through the store API
 * (store_write_begin, store_put ×2, store_write_commit: one fsync'd commit per item).
 * Prints one JSON line with the mean milliseconds of each step and the implied most
 * uploads/s two cores could do (2 × 1000 / total ms).
 *
 *   uploadcost --kind level|artwork --bytes N [--items 100] [--dir TMPDIR]
 *
 * With --dict it measures instead the compression ratio of levels with and without a
 * zstd dictionary: codec_train_dict on --train N generated levels (repeatable), then
 * codec_encode over --test M other levels with and without it; one JSON line each.
 *
 *   uploadcost --dict --bytes 16384 [--train 200 --train 2000] [--test 200] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchlib.h"
#include "ccerr.h"
#include "codec.h"
#include "gen.h"
#include "kind.h"
#include "store.h"
#include "util.h"

#define MAX_TRAIN_SETS 4
/* Serial ranges of the inputs: uploads, dictionary training, dictionary test. */
#define SERIAL_ITEMS 1000000000ull
#define SERIAL_TRAIN 2000000000ull
#define SERIAL_TEST 3000000000ull

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "uploadcost: %s failed (%s)\n", what, ccerr_wire(rc));
    exit(1);
}

/* One input: a level or an artwork of about `bytes`, distinct per serial. */
struct input {
    const struct kind *kind;
    size_t bytes;
    struct gen_png png; /* artworks: the template */
};

static void make_input(struct input *in, uint64_t serial, struct ccbuf *out)
{
    uint8_t sha[32];
    out->len = 0;
    if (in->kind->compress)
        gen_level(serial, in->bytes, out);
    else
        gen_png_whole(&in->png, serial, out, sha);
}

/* The durable write of one upload's blob and thumbnail. */
static void store_item(struct store *st, const uint8_t sha[32], const struct ccbuf *stored,
                       const struct ccbuf *thumb)
{
    for (;;) {
        MDB_txn *txn;
        int rc = store_write_begin(st, &txn);
        if (rc)
            die("store_write_begin", rc);
        const struct store_dbs *db = store_dbs(st);
        rc = store_put(txn, db->blobs, sha, 32, stored->data, stored->len, 0);
        if (!rc)
            rc = store_put(txn, db->thumbs, sha, 32, thumb->data, thumb->len, 0);
        if (rc == STORE_EMAPFULL) {
            store_write_abort(st, txn);
            if (store_grow(st))
                die("store_grow", CC_EINTERNAL);
            continue;
        }
        if (rc)
            die("store_put", rc);
        if ((rc = store_write_commit(st, txn)))
            die("store_write_commit", rc);
        return;
    }
}

static int run_items(struct input *in, int items, const char *tmp)
{
    char dir[4096];
    if (bench_lmdb_tmpdir(dir, sizeof dir, tmp, "uploadcost")) {
        perror("uploadcost: mkdtemp");
        return 1;
    }
    struct store *st;
    char err[256];
    if (store_open(&st, dir, (size_t)256 << 20, err, sizeof err)) {
        fprintf(stderr, "uploadcost: %s\n", err);
        return 1;
    }
    struct ccbuf buf, stored, thumb;
    ccbuf_init(&buf);
    ccbuf_init(&stored);
    ccbuf_init(&thumb);
    double t_gen = 0, t_sha = 0, t_val = 0, t_enc = 0, t_thumb = 0, t_store = 0;
    double bytes = 0, stored_bytes = 0;
    for (int i = 0; i < items; i++) {
        double t0 = now_s();
        make_input(in, SERIAL_ITEMS + (uint64_t)i, &buf);
        double t1 = now_s();
        uint8_t sha[32];
        sha256(buf.data, buf.len, sha);
        double t2 = now_s();
        struct kind_error ke;
        int rc = kind_validate(in->kind, buf.data, buf.len, &ke);
        if (rc) {
            fprintf(stderr, "uploadcost: generated %s %d refused: %s (%s)\n", in->kind->name,
                    i, ke.message, ke.rule ? ke.rule : "?");
            return 1;
        }
        double t3 = now_s();
        stored.len = 0;
        if ((rc = codec_encode(in->kind, buf.data, buf.len, NULL, &stored)))
            die("codec_encode", rc);
        double t4 = now_s();
        thumb.len = 0;
        if ((rc = kind_render(in->kind, buf.data, buf.len, 1, &thumb, &ke)))
            die("kind_render", rc);
        double t5 = now_s();
        store_item(st, sha, &stored, &thumb);
        double t6 = now_s();
        t_gen += t1 - t0, t_sha += t2 - t1, t_val += t3 - t2, t_enc += t4 - t3;
        t_thumb += t5 - t4, t_store += t6 - t5;
        bytes += (double)buf.len;
        stored_bytes += (double)stored.len;
    }
    store_close(st);
    bench_lmdb_rmdir(dir);
    ccbuf_free(&buf);
    ccbuf_free(&stored);
    ccbuf_free(&thumb);

    double k = 1000.0 / items;
    double cpu = (t_sha + t_val + t_enc + t_thumb) * k, total = cpu + t_store * k;
    printf("{\"kind\":\"%s\",\"items\":%d,\"bytes_avg\":%.0f,\"stored_ratio\":%.2f,"
           "\"gen_ms\":%.3f,\"sha_ms\":%.3f,\"validate_ms\":%.3f,\"encode_ms\":%.3f,"
           "\"thumb_ms\":%.3f,\"store_ms\":%.3f,\"cpu_ms\":%.3f,\"total_ms\":%.3f,"
           "\"implied_2cores\":%.1f",
           in->kind->name, items, bytes / items, bytes / stored_bytes, t_gen * k, t_sha * k,
           t_val * k, t_enc * k, t_thumb * k, t_store * k, cpu, total, 2000.0 / total);
    if (!in->kind->compress)
        printf(",\"width\":%u,\"height\":%u,\"png_ratio\":%.2f", in->png.w, in->png.h,
               in->png.ratio);
    printf("}\n");
    fprintf(stderr,
            "uploadcost: %d %s of %.0f bytes: sha %.3f + validate %.3f + encode %.3f + "
            "thumb %.3f + store %.3f = %.3f ms each → %.1f/s on 2 cores\n",
            items, in->kind->name, bytes / items, t_sha * k, t_val * k, t_enc * k,
            t_thumb * k, t_store * k, total, 2000.0 / total);
    return 0;
}

/* Levels with and without a dictionary trained on `train` other levels. */
static int run_dict(size_t bytes, const int *train, int ntrain, int test)
{
    const struct kind *level = kind_find("level");
    struct ccbuf buf, out;
    ccbuf_init(&buf);
    ccbuf_init(&out);
    /* The held-out set, compressed without a dictionary once. */
    struct ccbuf tests;
    size_t *tsize = xmalloc((size_t)test * sizeof *tsize);
    ccbuf_init(&tests);
    double raw = 0, plain = 0, t_plain = 0;
    for (int i = 0; i < test; i++) {
        size_t before = tests.len;
        gen_level(SERIAL_TEST + (uint64_t)i, bytes, &tests);
        tsize[i] = tests.len - before;
        raw += (double)tsize[i];
    }
    size_t off = 0;
    for (int i = 0; i < test; i++) {
        out.len = 0;
        double t0 = now_s();
        if (codec_encode(level, tests.data + off, tsize[i], NULL, &out))
            die("codec_encode", CC_EINTERNAL);
        t_plain += now_s() - t0;
        plain += (double)out.len;
        off += tsize[i];
    }
    for (int s = 0; s < ntrain; s++) {
        struct ccbuf samples, dict;
        ccbuf_init(&samples);
        ccbuf_init(&dict);
        size_t *sizes = xmalloc((size_t)train[s] * sizeof *sizes);
        for (int i = 0; i < train[s]; i++) {
            size_t before = samples.len;
            gen_level(SERIAL_TRAIN + (uint64_t)i, bytes, &samples);
            sizes[i] = samples.len - before;
        }
        uint32_t id;
        double t0 = now_s();
        int rc = codec_train_dict(samples.data, sizes, (unsigned)train[s], &dict, &id);
        double t_train = now_s() - t0;
        if (rc)
            die("codec_train_dict", rc);
        struct codec_dict *cd;
        if ((rc = codec_dict_new(dict.data, dict.len, &cd)))
            die("codec_dict_new", rc);
        double with = 0, t_with = 0;
        off = 0;
        for (int i = 0; i < test; i++) {
            out.len = 0;
            double t1 = now_s();
            if (codec_encode(level, tests.data + off, tsize[i], cd, &out))
                die("codec_encode", CC_EINTERNAL);
            t_with += now_s() - t1;
            with += (double)out.len;
            off += tsize[i];
        }
        printf("{\"train\":%d,\"test\":%d,\"bytes_avg\":%.0f,\"dict_bytes\":%zu,"
               "\"train_ms\":%.1f,\"ratio_plain\":%.2f,\"ratio_dict\":%.2f,"
               "\"stored_plain_avg\":%.0f,\"stored_dict_avg\":%.0f,"
               "\"encode_plain_us\":%.1f,\"encode_dict_us\":%.1f}\n",
               train[s], test, raw / test, dict.len, t_train * 1000, raw / plain, raw / with,
               plain / test, with / test, t_plain * 1e6 / test, t_with * 1e6 / test);
        fprintf(stderr,
                "uploadcost: levels of %.0f bytes: ratio %.2f plain, %.2f with a %zu-byte "
                "dictionary trained on %d levels in %.0f ms (held-out %d)\n",
                raw / test, raw / plain, raw / with, dict.len, train[s], t_train * 1000, test);
        codec_dict_free(cd);
        ccbuf_free(&samples);
        ccbuf_free(&dict);
        free(sizes);
    }
    ccbuf_free(&tests);
    ccbuf_free(&buf);
    ccbuf_free(&out);
    free(tsize);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: uploadcost --kind level|artwork --bytes N [--items 100] [--dir TMPDIR]\n"
               "       uploadcost --dict [--bytes 16384] [--train N]... [--test 200]\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"kind", required_argument, NULL, 'k'},  {"bytes", required_argument, NULL, 'b'},
        {"items", required_argument, NULL, 'n'}, {"dir", required_argument, NULL, 'd'},
        {"dict", no_argument, NULL, 'D'},        {"train", required_argument, NULL, 't'},
        {"test", required_argument, NULL, 'T'},  {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *kind = NULL, *dir = getenv("TMPDIR");
    size_t bytes = 16384;
    int items = 100, dict = 0, train[MAX_TRAIN_SETS], ntrain = 0, test = 200, c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'k': kind = optarg; break;
        case 'b': bytes = strtoull(optarg, NULL, 10); break;
        case 'n': items = atoi(optarg); break;
        case 'd': dir = optarg; break;
        case 'D': dict = 1; break;
        case 't':
            if (ntrain < MAX_TRAIN_SETS)
                train[ntrain++] = atoi(optarg);
            break;
        case 'T': test = atoi(optarg); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!dir)
        dir = "/tmp";
    if (dict) {
        if (!ntrain)
            train[ntrain++] = 200;
        for (int i = 0; i < ntrain; i++)
            if (train[i] < 1)
                return usage(stderr), 2;
        return test < 1 ? 2 : run_dict(bytes, train, ntrain, test);
    }
    struct input in = {.kind = kind ? kind_find(kind) : NULL, .bytes = bytes};
    if (!in.kind || items < 1 || bytes < 64) {
        usage(stderr);
        return 2;
    }
    if (!in.kind->compress && gen_png_init(&in.png, bytes, in.kind->max_bytes)) {
        fprintf(stderr, "uploadcost: cannot make an artwork of %zu bytes\n", bytes);
        return 1;
    }
    int rc = run_items(&in, items, dir);
    if (!in.kind->compress)
        gen_png_free(&in.png);
    return rc;
}
