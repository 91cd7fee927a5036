/* Implementation of u64map.h. */
#include "u64map.h"

#include <stdlib.h>

#include "util.h"

static size_t slot(uint64_t key, size_t cap)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    return (size_t)key & (cap - 1);
}

void u64map_init(struct u64map *m)
{
    m->keys = NULL;
    m->vals = NULL;
    m->cap = m->count = 0;
}

void u64map_free(struct u64map *m)
{
    free(m->keys);
    free(m->vals);
    u64map_init(m);
}

void *u64map_get(const struct u64map *m, uint64_t key)
{
    if (!m->cap)
        return NULL;
    for (size_t i = slot(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == key)
            return m->vals[i];
        if (!m->keys[i])
            return NULL;
    }
}

static void grow(struct u64map *m)
{
    struct u64map old = *m;
    m->cap = old.cap ? old.cap * 2 : 16;
    m->keys = xcalloc(m->cap, sizeof *m->keys);
    m->vals = xcalloc(m->cap, sizeof *m->vals);
    m->count = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.keys[i])
            u64map_put(m, old.keys[i], old.vals[i]);
    free(old.keys);
    free(old.vals);
}

void u64map_put(struct u64map *m, uint64_t key, void *val)
{
    if ((m->count + 1) * 4 > m->cap * 3)
        grow(m);
    size_t i = slot(key, m->cap);
    while (m->keys[i] && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    if (!m->keys[i])
        m->count++;
    m->keys[i] = key;
    m->vals[i] = val;
}

/* Empties slot i (occupied) and returns its value. Backward shift: the later entries of
 * the probe run move back into the hole when their home allows, so each entry keeps an
 * unbroken run from its home slot to its slot, with no tombstones. An entry only ever
 * moves towards its home, never past it: u64map_next's exactly-once rests on that. */
static void *del_slot(struct u64map *m, size_t i)
{
    void *val = m->vals[i];
    for (size_t j = (i + 1) & (m->cap - 1); m->keys[j]; j = (j + 1) & (m->cap - 1)) {
        size_t home = slot(m->keys[j], m->cap);
        /* j's entry may move to i if i lies cyclically within [home, j). */
        if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
            m->keys[i] = m->keys[j];
            m->vals[i] = m->vals[j];
            i = j;
        }
    }
    m->keys[i] = 0;
    m->vals[i] = NULL;
    m->count--;
    return val;
}

void *u64map_del(struct u64map *m, uint64_t key)
{
    if (!m->cap)
        return NULL;
    size_t i = slot(key, m->cap);
    while (m->keys[i] != key) {
        if (!m->keys[i])
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
        if (!m->keys[i]) {
            if (wrapped) /* a wrapped entry's run covers every slot from 0 to its own */
                break;
            continue;
        }
        if ((slot(m->keys[i], m->cap) > i) != wrapped)
            continue;
        if (key)
            *key = m->keys[i];
        if (val)
            *val = m->vals[i];
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
    if (!m->keys[i] || (slot(m->keys[i], m->cap) > i) != (p >= m->cap))
        return NULL; /* no entry at position p */
    *at = p;
    return del_slot(m, i);
}

void u64map_prefetch(const struct u64map *m, uint64_t key)
{
    if (!m->cap)
        return;
    size_t i = slot(key, m->cap);
    __builtin_prefetch(&m->keys[i]);
    __builtin_prefetch(&m->vals[i]);
}

size_t u64map_memory(const struct u64map *m)
{
    return m->cap * (sizeof *m->keys + sizeof *m->vals);
}
