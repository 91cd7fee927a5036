/* Implementation of u64map.h. */
#include "u64map.h"

#include <stdlib.h>

#include "util.h"

static size_t home_of(uint64_t key, size_t cap)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    return (size_t)key & (cap - 1);
}

void u64map_init(struct u64map *m)
{
    m->slot = NULL;
    m->cap = m->count = 0;
}

void u64map_free(struct u64map *m)
{
    free(m->slot);
    u64map_init(m);
}

void *u64map_get(const struct u64map *m, uint64_t key)
{
    if (!m->cap)
        return NULL;
    for (size_t i = home_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->slot[i].key == key)
            return m->slot[i].val;
        if (!m->slot[i].key)
            return NULL;
    }
}

static void grow(struct u64map *m)
{
    struct u64map old = *m;
    m->cap = old.cap ? old.cap * 2 : 16;
    m->slot = xcalloc(m->cap, sizeof *m->slot);
    m->count = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slot[i].key)
            u64map_put(m, old.slot[i].key, old.slot[i].val);
    free(old.slot);
}

void u64map_put(struct u64map *m, uint64_t key, void *val)
{
    if ((m->count + 1) * 4 > m->cap * 3)
        grow(m);
    size_t i = home_of(key, m->cap);
    while (m->slot[i].key && m->slot[i].key != key)
        i = (i + 1) & (m->cap - 1);
    if (!m->slot[i].key)
        m->count++;
    m->slot[i].key = key;
    m->slot[i].val = val;
}

/* Empties slot i (occupied) and returns its value. Backward shift: the later entries of
 * the probe run move back into the hole when their home allows, so each entry keeps an
 * unbroken run from its home slot to its slot, with no tombstones. An entry only ever
 * moves towards its home, never past it: u64map_next's exactly-once rests on that. */
static void *del_slot(struct u64map *m, size_t i)
{
    void *val = m->slot[i].val;
    for (size_t j = (i + 1) & (m->cap - 1); m->slot[j].key; j = (j + 1) & (m->cap - 1)) {
        size_t home = home_of(m->slot[j].key, m->cap);
        /* j's entry may move to i if i lies cyclically within [home, j). */
        if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
            m->slot[i] = m->slot[j];
            i = j;
        }
    }
    m->slot[i].key = 0;
    m->slot[i].val = NULL;
    m->count--;
    return val;
}

void *u64map_del(struct u64map *m, uint64_t key)
{
    if (!m->cap)
        return NULL;
    size_t i = home_of(key, m->cap);
    while (m->slot[i].key != key) {
        if (!m->slot[i].key)
            return NULL;
        i = (i + 1) & (m->cap - 1);
    }
    return del_slot(m, i);
}

/* A walk's position p runs over [0, 2 cap): an entry in slot i sits at p = i, or at
 * p = cap + i when its probe wrapped past the last slot (its home slot is after i). Each
 * entry has one position, and a deletion at p only moves entries from later positions to
 * p or later and from earlier ones to earlier ones (they move towards their home slots,
 * never past them), so stepping back onto p after one visits each entry exactly once.
 * Walking slot order alone would not: the deletion of the last slot's entry can move an
 * entry already visited in slot 0 into it. */
int u64map_next(const struct u64map *m, size_t *at, uint64_t *key, void **val)
{
    for (size_t p = *at; p < 2 * m->cap; p++) {
        size_t i = p & (m->cap - 1);
        int wrapped = p >= m->cap;
        if (!m->slot[i].key) {
            if (wrapped) /* a wrapped entry's run covers every slot from 0 to its own */
                break;
            continue;
        }
        if ((home_of(m->slot[i].key, m->cap) > i) != wrapped)
            continue;
        if (key)
            *key = m->slot[i].key;
        if (val)
            *val = m->slot[i].val;
        *at = p + 1;
        return 1;
    }
    return 0;
}

void *u64map_del_at(struct u64map *m, size_t *at)
{
    if (!*at || *at > 2 * m->cap)
        return NULL;
    size_t p = *at - 1, i = p & (m->cap - 1);
    if (!m->slot[i].key || (home_of(m->slot[i].key, m->cap) > i) != (p >= m->cap))
        return NULL; /* no entry at position p */
    *at = p;
    return del_slot(m, i);
}

void u64map_prefetch(const struct u64map *m, uint64_t key)
{
    if (!m->cap)
        return;
    size_t i = home_of(key, m->cap);
    __builtin_prefetch(&m->slot[i]);
}

size_t u64map_memory(const struct u64map *m)
{
    return m->cap * sizeof *m->slot;
}
