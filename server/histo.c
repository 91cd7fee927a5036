/* Fixed-bucket histograms. See histo.h. */
#include "histo.h"

#include <stdio.h>

/* Prometheus' default latency buckets (5 ms … 10 s) with 100 µs … 2.5 ms in front: a
 * read answered from memory takes tens of microseconds, a durable write about a sync. */
const struct histo_scale histo_latency = {
    .n = 16,
    .le = {100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000, 25000000,
           50000000, 100000000, 250000000, 500000000, 1000000000, 2500000000,
           5000000000, 10000000000},
    .unit = 1e-9,
};

/* writer.h: WRITER_MAX_QUEUED (65536) requests may wait, so a batch holds at most that. */
const struct histo_scale histo_sizes = {
    .n = 17,
    .le = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768,
           65536},
    .unit = 1,
};

void histo_add(struct histo *h, const struct histo_scale *s, uint64_t v)
{
    size_t i = 0;
    while (i < s->n && v > s->le[i])
        i++;
    h->bucket[i]++;
    h->count++;
    h->sum += v;
}

void histo_write(struct ccbuf *b, const char *name, const char *label,
                 const struct histo_scale *s, const struct histo *h)
{
    char line[256];
    const char *sep = label ? "," : "";
    if (!label)
        label = "";
    uint64_t cum = 0;
    for (size_t i = 0; i <= s->n; i++) {
        cum += h->bucket[i];
        char le[32];
        if (i == s->n)
            snprintf(le, sizeof le, "+Inf");
        else
            snprintf(le, sizeof le, "%g", (double)s->le[i] * s->unit);
        int n = snprintf(line, sizeof line, "%s_bucket{%s%sle=\"%s\"} %llu\n", name, label,
                         sep, le, (unsigned long long)cum);
        ccbuf_append(b, line, (size_t)n);
    }
    const char *open = *label ? "{" : "", *close = *label ? "}" : "";
    int n = snprintf(line, sizeof line, "%s_sum%s%s%s %.17g\n%s_count%s%s%s %llu\n", name,
                     open, label, close, (double)h->sum * s->unit, name, open, label, close,
                     (unsigned long long)h->count);
    ccbuf_append(b, line, (size_t)n);
}
