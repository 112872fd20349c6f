/*
 * stack_table.c — interned (parent, frame, line) rows (see stack_table.h).
 *
 * The recorder interns every frame of every sample, so the lookup is the
 * hot path: one hash of three integers, then a probe that compares the
 * 32-bit hash stored in the slot before it touches the row's columns. In
 * steady state (every row already present) no call allocates.
 *
 * A row is published (count incremented) only after the rows array and the
 * index have room, so a failed intern changes nothing.
 *
 * Importers append rows they know are new (sg_stacks_append_new) without
 * touching the index; the index catches up on those rows in one pass
 * before the next lookup. That pass loads the slots of a few rows ahead
 * so their cache misses overlap, where a lookup per appended row would
 * wait on each miss in turn.
 */
#include "profile/stack_table.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "profile/grow.h"
#include "profile/hash.h"
#include "profile/status.h"

int sg_stacks_init(sg_stacks *s)
{
    memset(s, 0, sizeof *s);
    return SG_PROFILE_OK;
}

void sg_stacks_free(sg_stacks *s)
{
    free(s->rows);
    free(s->slots);
    memset(s, 0, sizeof *s);
}

static inline int stacks_find(const sg_stacks *s, uint32_t parent, uint32_t frame, uint32_t line,
                              uint32_t hash, uint32_t *id_out)
{
    if (s->slots == NULL)
        return 0;
    for (uint32_t i = hash & s->slot_mask;; i = (i + 1) & s->slot_mask) {
        uint64_t slot = s->slots[i];
        if (slot == SG_HASH_EMPTY_SLOT)
            return 0;
        const sg_stack_row *row = &s->rows[sg_hash_slot_id(slot)];
        if (sg_hash_slot_hash(slot) == hash && row->frame == frame && row->line == line &&
            row->parent == parent) {
            *id_out = sg_hash_slot_id(slot);
            return 1;
        }
    }
}

/* Room in the rows array for one more row. */
static int stacks_reserve_row(sg_stacks *s)
{
    if (s->count == s->cap) {
        size_t cap = sg_grow_capacity(s->cap, (size_t)s->count + 1, 256, SG_HASH_MAX_ROWS);
        if (cap == 0)
            return SG_PROFILE_ELIMIT;
        int rc = sg_grow_array((void **)&s->rows, cap, sizeof *s->rows);
        if (rc != 0)
            return rc;
        s->cap = (uint32_t)cap;
    }
    return SG_PROFILE_OK;
}

static int stacks_reserve(sg_stacks *s)
{
    int rc = stacks_reserve_row(s);
    return rc != 0 ? rc : sg_hash_index_reserve(&s->slots, &s->slot_mask, s->count);
}

/* Write row `id` (= count, room reserved) below a parent of depth
 * `parent_depth`, and publish it. */
static void stacks_put(sg_stacks *s, uint32_t parent, uint32_t parent_depth, uint32_t frame,
                       uint32_t line)
{
    uint32_t id = s->count;
    assert(parent == SG_STACK_NONE || parent < id); /* the forest stays topological */
    assert(parent_depth == (parent == SG_STACK_NONE ? 0 : s->rows[parent].depth));
    s->rows[id] = (sg_stack_row){
        .parent = parent,
        .frame = frame,
        .line = line,
        .depth = parent_depth + 1,
    };
    s->count = id + 1;
}

static int stacks_add(sg_stacks *s, uint32_t parent, uint32_t frame, uint32_t line, uint32_t hash,
                      uint32_t *id_out)
{
    assert(s->indexed == s->count); /* lookups index appended rows first */
    int rc = stacks_reserve(s);
    if (rc != 0)
        return rc;
    uint32_t id = s->count;
    stacks_put(s, parent, parent == SG_STACK_NONE ? 0 : s->rows[parent].depth, frame, line);
    sg_hash_index_insert(s->slots, s->slot_mask, hash, id);
    s->indexed = s->count;
    *id_out = id;
    return SG_PROFILE_OK;
}

#define INDEX_AHEAD 16 /* rows whose slots load at once while indexing */

int sg_stacks_index(sg_stacks *s)
{
    if (s->indexed == s->count)
        return SG_PROFILE_OK;
    int rc = sg_hash_index_reserve(&s->slots, &s->slot_mask, s->count - 1);
    if (rc != 0)
        return rc;
    uint32_t hash[INDEX_AHEAD];
    for (uint32_t start = s->indexed; start < s->count; start += INDEX_AHEAD) {
        uint32_t n = s->count - start < INDEX_AHEAD ? s->count - start : INDEX_AHEAD;
        for (uint32_t k = 0; k < n; k++) {
            const sg_stack_row *row = &s->rows[start + k];
            hash[k] = sg_hash_u32x3(row->parent, row->frame, row->line);
            __builtin_prefetch(&s->slots[hash[k] & s->slot_mask]);
        }
        for (uint32_t k = 0; k < n; k++) {
#ifndef NDEBUG
            const sg_stack_row *row = &s->rows[start + k];
            uint32_t found;
            assert(!stacks_find(s, row->parent, row->frame, row->line, hash[k], &found));
#endif
            sg_hash_index_insert(s->slots, s->slot_mask, hash[k], start + k);
        }
    }
    s->indexed = s->count;
    return SG_PROFILE_OK;
}

int sg_stacks_append_new(sg_stacks *s, uint32_t parent, uint32_t parent_depth, uint32_t frame,
                         uint32_t line, uint32_t *id_out)
{
    if (parent != SG_STACK_NONE && parent >= s->count)
        return SG_PROFILE_EINVAL;
    int rc = stacks_reserve_row(s);
    if (rc != 0)
        return rc;
    *id_out = s->count;
    stacks_put(s, parent, parent_depth, frame, line);
    return SG_PROFILE_OK;
}

int sg_stacks_intern(sg_stacks *s, uint32_t parent, uint32_t frame, uint32_t line, uint32_t *id_out)
{
    if (parent != SG_STACK_NONE && parent >= s->count)
        return SG_PROFILE_EINVAL;
    int rc = sg_stacks_index(s);
    if (rc != 0)
        return rc;
    uint32_t hash = sg_hash_u32x3(parent, frame, line);
    if (stacks_find(s, parent, frame, line, hash, id_out))
        return SG_PROFILE_OK;
    return stacks_add(s, parent, frame, line, hash, id_out);
}

int sg_stacks_reserve_rows(sg_stacks *s, uint32_t extra)
{
    uint64_t need = (uint64_t)s->count + extra;
    if (need > SG_HASH_MAX_ROWS)
        return SG_PROFILE_ELIMIT;
    if (need > s->cap) {
        int rc = sg_grow_array((void **)&s->rows, (size_t)need, sizeof *s->rows);
        if (rc != 0)
            return rc;
        s->cap = (uint32_t)need;
    }
    return SG_PROFILE_OK;
}

int sg_stacks_reserve(sg_stacks *s, uint32_t extra)
{
    if (extra == 0)
        return SG_PROFILE_OK;
    int rc = sg_stacks_reserve_rows(s, extra);
    if (rc != 0)
        return rc;
    return sg_hash_index_reserve(&s->slots, &s->slot_mask, s->count + extra - 1);
}

void sg_stacks_prefetch(const sg_stacks *s, uint32_t parent, uint32_t frame, uint32_t line)
{
    if (s->slots != NULL)
        __builtin_prefetch(&s->slots[sg_hash_u32x3(parent, frame, line) & s->slot_mask]);
    if (parent < s->count) /* a new row reads its parent's depth */
        __builtin_prefetch(&s->rows[parent]);
}

int sg_stacks_intern_chain(sg_stacks *s, uint32_t base, const sg_frame_line *chain, size_t n,
                           uint32_t *depth_ids, uint32_t *id_out)
{
    if (base != SG_STACK_NONE && base >= s->count)
        return SG_PROFILE_EINVAL;
    int rc = sg_stacks_index(s);
    if (rc != 0)
        return rc;
    uint32_t id = base;
    for (size_t i = 0; i < n; i++) {
        uint32_t frame = chain[i].frame, line = chain[i].line;
        uint32_t hash = sg_hash_u32x3(id, frame, line);
        uint32_t next;
        if (!stacks_find(s, id, frame, line, hash, &next)) {
            rc = stacks_add(s, id, frame, line, hash, &next);
            if (rc != 0)
                return rc;
        }
        id = next;
        if (depth_ids != NULL)
            depth_ids[i] = id;
    }
    *id_out = id;
    return SG_PROFILE_OK;
}
