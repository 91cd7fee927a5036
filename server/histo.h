/* Fixed-bucket histograms for /metrics (Prometheus): request latency per op, the
 * writer's batch sizes and commit latency. Observing is a short scan of the bounds and
 * three increments, no lock and no allocation; each histogram has one writing thread
 * (a reader on another thread copies it under the owner's lock, as writer.c does).
 * Thread use: the histogram's owner's. */
#ifndef CC_HISTO_H
#define CC_HISTO_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Most bounds a scale may have (the +Inf bucket comes on top). */
#define HISTO_BOUNDS_MAX 17

/* The buckets of a family of histograms: upper bounds in the observed unit, ascending,
 * and the factor that turns that unit into the exposed one (ns → s: 1e-9). */
struct histo_scale {
    size_t n;
    uint64_t le[HISTO_BOUNDS_MAX];
    double unit;
};

/* Latency, observed in nanoseconds, exposed in seconds: 100 µs … 10 s. */
extern const struct histo_scale histo_latency;
/* Counts (a batch's requests): 1, 2, 4 … 65536. */
extern const struct histo_scale histo_sizes;

struct histo {
    uint64_t count;                         /* observations */
    uint64_t sum;                           /* their sum, in the observed unit */
    uint64_t bucket[HISTO_BOUNDS_MAX + 1];  /* per bucket (not cumulative); last: +Inf */
};

/* Adds one observation v (in the scale's unit). */
void histo_add(struct histo *h, const struct histo_scale *s, uint64_t v);

/* Appends the _bucket (cumulative), _sum and _count lines of h to b in the text
 * format 0.0.4, under the metric name, with the label pair label (e.g. `op="hello"`,
 * without braces; NULL for none). The # HELP and # TYPE lines are the caller's. */
void histo_write(struct ccbuf *b, const char *name, const char *label,
                 const struct histo_scale *s, const struct histo *h);

#endif
