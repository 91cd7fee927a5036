/* Cluster records put back together. See assembly.h. */
#include "assembly.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* One record being put together. */
struct record {
    struct record *next;
    char id[ASSEMBLY_ID_MAX + 1];
    int parts, got;
    uint64_t first_seq;
    struct ccbuf part[ASSEMBLY_PARTS_MAX];
    uint8_t have[ASSEMBLY_PARTS_MAX];
};

struct assembly {
    struct record *records; /* newest first */
    size_t n;
};

/* A header holding a number as "%d" writes it, from 0 to max: the number, else -1. */
static int header_int(const char *s, int max)
{
    if (!s || !*s || (s[0] == '0' && s[1]) || strlen(s) > 9 || s[strspn(s, "0123456789")] != '\0')
        return -1;
    long v = strtol(s, NULL, 10);
    return v <= max ? (int)v : -1;
}

int assembly_parse(const char *record, const char *part, const char *parts,
                   struct assembly_part *out)
{
    if (!record)
        return 0;
    size_t n = strlen(record);
    int k = header_int(part, ASSEMBLY_PARTS_MAX - 1), count = header_int(parts, ASSEMBLY_PARTS_MAX);
    if (!n || n > ASSEMBLY_ID_MAX || k < 0 || count < 2 || k >= count)
        return -1;
    memcpy(out->record, record, n + 1);
    out->part = k;
    out->parts = count;
    return 1;
}

struct assembly *assembly_new(void) { return xcalloc(1, sizeof(struct assembly)); }

static void record_free(struct assembly *a, struct record *r)
{
    for (struct record **pp = &a->records; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    for (int i = 0; i < r->parts; i++)
        ccbuf_free(&r->part[i]);
    free(r);
    a->n--;
}

void assembly_free(struct assembly *a)
{
    if (!a)
        return;
    while (a->records)
        record_free(a, a->records);
    free(a);
}

void assembly_expire(struct assembly *a, uint64_t seq)
{
    for (struct record *r = a->records, *next; r; r = next) {
        next = r->next;
        if (seq - r->first_seq > ASSEMBLY_SPAN) {
            log_warn("cluster: record %s never got all its parts: dropped", r->id);
            record_free(a, r);
        }
    }
}

int assembly_add(struct assembly *a, uint64_t seq, const struct assembly_part *p,
                 const uint8_t *data, size_t len, struct ccbuf *whole)
{
    struct record *r = a->records;
    while (r && strcmp(r->id, p->record))
        r = r->next;
    if (!r) {
        r = xcalloc(1, sizeof *r);
        snprintf(r->id, sizeof r->id, "%s", p->record);
        r->parts = p->parts;
        r->first_seq = seq;
        for (int i = 0; i < r->parts; i++)
            ccbuf_init(&r->part[i]);
        r->next = a->records;
        a->records = r;
        a->n++;
    }
    if (r->parts != p->parts || r->have[p->part])
        return 0; /* a part seen already (republished after the duplicate window) */
    r->have[p->part] = 1;
    ccbuf_append(&r->part[p->part], data, len);
    if (++r->got < r->parts)
        return 0;
    for (int i = 0; i < r->parts; i++)
        ccbuf_append(whole, r->part[i].data, r->part[i].len);
    record_free(a, r);
    return 1;
}

uint64_t assembly_resume(const struct assembly *a, uint64_t seq)
{
    uint64_t from = seq + 1;
    for (const struct record *r = a->records; r; r = r->next)
        if (r->first_seq < from)
            from = r->first_seq;
    return from;
}

size_t assembly_pending(const struct assembly *a) { return a->n; }
