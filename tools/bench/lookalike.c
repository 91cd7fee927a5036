/* lookalike [--designs N] [--queries Q]: the time to find a design's look-alikes (SPEC
 * §8) among N fingerprinted designs — the server's own search_similar over an index of
 * N random 64-bit fingerprints with some near copies planted — and the index's bytes per
 * design. Issue 18's target: ≤ 1 ms a query among 100k designs. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "benchlib.h"
#include "search.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t next(void)
{
    return bench_rand(&rng);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long designs = 100000, queries = 2000;
    static const struct option opts[] = {{"designs", required_argument, NULL, 'd'},
                                         {"queries", required_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'd')
            designs = atol(optarg);
        else if (c == 'q')
            queries = atol(optarg);
        else {
            fprintf(c == 'h' ? stdout : stderr,
                    "usage: lookalike [--designs N] [--queries Q]\n");
            return c == 'h' ? 0 : 2;
        }
    }
    if (designs < 1 || queries < 1) {
        fprintf(stderr, "lookalike: --designs and --queries want positive numbers\n");
        return 2;
    }
    struct search *s = search_new_ready();
    uint64_t *fps = malloc((size_t)designs * sizeof *fps);
    for (long i = 0; i < designs; i++) {
        /* every 100th design a near copy (3 bits flipped) of the one before */
        fps[i] = i % 100 == 1 ? fps[i - 1] ^ (1ULL << (next() & 63)) ^ (1ULL << (next() & 63)) ^
                                    (1ULL << (next() & 63))
                              : next();
        search_add_fingerprint(s, (uint64_t)i + 1, (uint64_t)(i % 5000) + 1, 2, fps[i]);
    }
    uint64_t ids[SEARCH_SIMILAR_MAX];
    int dist[SEARCH_SIMILAR_MAX];
    long found = 0;
    double t0 = now_s();
    for (long q = 0; q < queries; q++) {
        long i = (q * 100) % designs; /* a design with a planted near copy after it */
        found += search_similar(s, 2, fps[i], 0, (uint64_t)i + 1, ids, dist) > 0;
    }
    double per = (now_s() - t0) / (double)queries;
    size_t bytes, words;
    int ready;
    search_stats(s, &bytes, &words, &ready);
    printf("lookalike: %ld designs, %ld queries: %.3f ms a query, %ld of them found a "
           "look-alike; index %.1f bytes a design\n",
           designs, queries, per * 1e3, found, (double)bytes / (double)designs);
    free(fps);
    search_close(s);
    return 0;
}
