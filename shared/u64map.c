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
    void *val = m->vals[i];
    /* Backward-shift: pull later entries of the probe run into the hole. */
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
