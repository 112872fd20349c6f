/*
 * path_index.c — distinct call paths of stack tables (see path_index.h).
 *
 * Rows are put in level order by a counting sort on their depth
 * (computed here, parents first, rather than trusted), then looked up in
 * an open-addressing index whose slots hold the full 64-bit key; a lookup
 * AHEAD rows further on in the same level is prefetched, since its
 * parent's path is already known.
 */
#include "analyze/path_index.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "profile/hash.h"
#include "profile/status.h"

#define EMPTY UINT64_MAX

void sg_path_index_free(sg_path_index *ix)
{
    free(ix->slots);
    free(ix->parent);
    free(ix->key);
    free(ix->has_child);
    memset(ix, 0, sizeof *ix);
}

/* Room for `count` paths: the per-path arrays and a load of at most 3/4. */
static int reserve(sg_path_index *ix, uint64_t count)
{
    if (count > SG_HASH_MAX_ROWS)
        return SG_PROFILE_ELIMIT;
    if (count > ix->cap) {
        uint64_t cap = ix->cap == 0 ? 1024 : ix->cap;
        while (cap < count)
            cap *= 2;
        if (cap > SG_HASH_MAX_ROWS)
            cap = SG_HASH_MAX_ROWS;
        uint32_t *a = realloc(ix->parent, (size_t)cap * sizeof *a);
        if (a == NULL)
            return SG_PROFILE_ENOMEM;
        ix->parent = a;
        if ((a = realloc(ix->key, (size_t)cap * sizeof *a)) == NULL)
            return SG_PROFILE_ENOMEM;
        ix->key = a;
        bool *h = realloc(ix->has_child, (size_t)cap * sizeof *h);
        if (h == NULL)
            return SG_PROFILE_ENOMEM;
        ix->has_child = h;
        ix->cap = (uint32_t)cap;
    }
    uint64_t size = ix->slots == NULL ? 0 : ix->mask + 1;
    if (4 * count <= 3 * size)
        return SG_PROFILE_OK;
    uint64_t grown = size == 0 ? 1024 : size;
    while (4 * count > 3 * grown)
        grown *= 2;
    if (grown > SIZE_MAX / sizeof(sg_path_slot))
        return SG_PROFILE_ELIMIT;
    sg_path_slot *g = malloc((size_t)grown * sizeof *g);
    if (g == NULL)
        return SG_PROFILE_ENOMEM;
    for (uint64_t i = 0; i < grown; i++)
        g[i].key = EMPTY;
    for (uint64_t i = 0; i < size; i++) {
        if (ix->slots[i].key == EMPTY)
            continue;
        uint64_t j = sg_hash_mix(ix->slots[i].key) & (grown - 1);
        while (g[j].key != EMPTY)
            j = (j + 1) & (grown - 1);
        g[j] = ix->slots[i];
    }
    free(ix->slots);
    ix->slots = g;
    ix->mask = grown - 1;
    return SG_PROFILE_OK;
}

static inline uint64_t key_of(uint32_t parent_path, uint32_t frame_key)
{
    return (uint64_t)parent_path << 32 | frame_key;
}

/* The path with this key, added if new (room is reserved). */
static inline uint32_t intern(sg_path_index *ix, uint64_t key)
{
    uint64_t j = sg_hash_mix(key) & ix->mask;
    for (; ix->slots[j].key != EMPTY; j = (j + 1) & ix->mask)
        if (ix->slots[j].key == key)
            return ix->slots[j].id;
    uint32_t id = ix->count++;
    ix->slots[j] = (sg_path_slot){key, id};
    ix->parent[id] = (uint32_t)(key >> 32);
    ix->key[id] = (uint32_t)key;
    ix->has_child[id] = false;
    return id;
}

/* Enter a key known to be absent (room is reserved). */
static inline uint32_t append(sg_path_index *ix, uint64_t key)
{
    uint64_t j = sg_hash_mix(key) & ix->mask;
    while (ix->slots[j].key != EMPTY)
        j = (j + 1) & ix->mask;
    uint32_t id = ix->count++;
    ix->slots[j] = (sg_path_slot){key, id};
    ix->parent[id] = (uint32_t)(key >> 32);
    ix->key[id] = (uint32_t)key;
    ix->has_child[id] = false;
    return id;
}

int sg_path_index_add(sg_path_index *ix, const sg_stacks *st, const uint32_t *frame_key,
                      uint32_t *path_of_row)
{
    uint32_t n = st->count;
    int rc = reserve(ix, (uint64_t)ix->count + n);
    const sg_stack_row *rows = st->rows;
    for (uint32_t r = 0; r < n && rc == 0; r++) {
        uint32_t p = rows[r].parent;
        uint32_t pp = p == SG_STACK_NONE || p >= r ? SG_PATH_NONE : path_of_row[p];
        uint64_t key = key_of(pp, frame_key == NULL ? rows[r].frame : frame_key[rows[r].frame]);
        if (pp != SG_PATH_NONE && !ix->has_child[pp]) {
            ix->has_child[pp] = true; /* the first row below pp: a new path */
            path_of_row[r] = append(ix, key);
        } else {
            path_of_row[r] = intern(ix, key);
        }
    }
    return rc;
}
