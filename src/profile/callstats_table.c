/*
 * callstats_table.c — function and edge call statistics, interned by key
 * (see callstats_table.h).
 *
 * Each half is an array of small structs plus the shared open-addressing
 * index of hash.h. A row is published (count incremented) only after the
 * array and the index have room, so a failed add changes nothing.
 *
 * An importer may append edges it knows are new without the index
 * (sg_callstats_append_edge), then index them in one pass that loads the
 * slots of a few edges ahead, so their cache misses overlap.
 */
#include "profile/callstats_table.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "profile/grow.h"
#include "profile/hash.h"
#include "profile/status.h"

#define FUNC_SALT 0x9f1cu /* keeps function and edge hashes of equal ids apart */

void sg_callstats_init(sg_callstats *c)
{
    memset(c, 0, sizeof *c);
}

void sg_callstats_free(sg_callstats *c)
{
    free(c->funcs);
    free(c->func_slots);
    free(c->edges);
    free(c->edge_slots);
    memset(c, 0, sizeof *c);
}

bool sg_callstats_empty(const sg_callstats *c)
{
    return c->func_count == 0 && c->edge_count == 0;
}

bool sg_call_numbers_valid(const sg_call_numbers *n, uint32_t flags)
{
    if ((flags & ~SG_CALLSTATS_ALL_FLAGS) != 0)
        return false;
    if (n->cc > SG_CALLSTATS_MAX_COUNT || n->nc > SG_CALLSTATS_MAX_COUNT ||
        n->tt_ns > SG_CALLSTATS_MAX_NS || n->ct_ns > SG_CALLSTATS_MAX_NS)
        return false;
    return !(flags & SG_CALLSTATS_COUNT_ONLY) || (n->cc == 0 && n->tt_ns == 0 && n->ct_ns == 0);
}

static uint32_t func_hash(uint32_t frame)
{
    return sg_hash_u32x3(frame, FUNC_SALT, 0);
}

static uint32_t edge_hash(uint32_t caller, uint32_t callee)
{
    return sg_hash_u32x3(caller, callee, 0);
}

uint32_t sg_callstats_find_func(const sg_callstats *c, uint32_t frame)
{
    if (c->func_slots == NULL)
        return SG_CALLSTATS_NONE;
    uint32_t hash = func_hash(frame);
    for (uint32_t i = hash & c->func_slot_mask;; i = (i + 1) & c->func_slot_mask) {
        uint64_t slot = c->func_slots[i];
        if (slot == SG_HASH_EMPTY_SLOT)
            return SG_CALLSTATS_NONE;
        uint32_t row = sg_hash_slot_id(slot);
        if (sg_hash_slot_hash(slot) == hash && c->funcs[row].frame == frame)
            return row;
    }
}

static uint32_t find_indexed_edge(const sg_callstats *c, uint32_t caller, uint32_t callee,
                                  uint32_t hash)
{
    if (c->edge_slots == NULL)
        return SG_CALLSTATS_NONE;
    for (uint32_t i = hash & c->edge_slot_mask;; i = (i + 1) & c->edge_slot_mask) {
        uint64_t slot = c->edge_slots[i];
        if (slot == SG_HASH_EMPTY_SLOT)
            return SG_CALLSTATS_NONE;
        const sg_callstats_edge *e = &c->edges[sg_hash_slot_id(slot)];
        if (sg_hash_slot_hash(slot) == hash && e->caller == caller && e->callee == callee)
            return sg_hash_slot_id(slot);
    }
}

uint32_t sg_callstats_find_edge(const sg_callstats *c, uint32_t caller, uint32_t callee)
{
    uint32_t row = find_indexed_edge(c, caller, callee, edge_hash(caller, callee));
    for (uint32_t e = c->edge_indexed; e < c->edge_count && row == SG_CALLSTATS_NONE; e++)
        if (c->edges[e].caller == caller && c->edges[e].callee == callee)
            row = e;
    return row;
}

#define INDEX_AHEAD 16 /* edges whose slots load at once while indexing */

int sg_callstats_index(sg_callstats *c)
{
    if (c->edge_indexed == c->edge_count)
        return SG_PROFILE_OK;
    int rc = sg_hash_index_reserve(&c->edge_slots, &c->edge_slot_mask, c->edge_count - 1);
    if (rc != 0)
        return rc;
    uint32_t hash[INDEX_AHEAD];
    for (uint32_t start = c->edge_indexed; start < c->edge_count; start += INDEX_AHEAD) {
        uint32_t n = c->edge_count - start < INDEX_AHEAD ? c->edge_count - start : INDEX_AHEAD;
        for (uint32_t k = 0; k < n; k++) {
            hash[k] = edge_hash(c->edges[start + k].caller, c->edges[start + k].callee);
            __builtin_prefetch(&c->edge_slots[hash[k] & c->edge_slot_mask]);
        }
        for (uint32_t k = 0; k < n; k++) {
            assert(find_indexed_edge(c, c->edges[start + k].caller, c->edges[start + k].callee,
                                     hash[k]) == SG_CALLSTATS_NONE); /* appended edges are new */
            sg_hash_index_insert(c->edge_slots, c->edge_slot_mask, hash[k], start + k);
        }
    }
    c->edge_indexed = c->edge_count;
    return SG_PROFILE_OK;
}

void sg_callstats_prefetch_edge(const sg_callstats *c, uint32_t caller, uint32_t callee)
{
    if (c->edge_slots != NULL)
        __builtin_prefetch(&c->edge_slots[edge_hash(caller, callee) & c->edge_slot_mask]);
}

/* Room for one more row in an array of `elem`-byte rows and its index. */
static int reserve_row(void **rows, uint32_t *cap, uint32_t count, size_t elem, uint64_t **slots,
                       uint32_t *mask)
{
    if (count == *cap) {
        size_t grown = sg_grow_capacity(*cap, (size_t)count + 1, 64, SG_HASH_MAX_ROWS);
        if (grown == 0)
            return SG_PROFILE_ELIMIT;
        int rc = sg_grow_array(rows, grown, elem);
        if (rc != 0)
            return rc;
        *cap = (uint32_t)grown;
    }
    return sg_hash_index_reserve(slots, mask, count);
}

int sg_callstats_add_func(sg_callstats *c, uint32_t frame, const sg_call_numbers *n,
                          uint32_t *row_out)
{
    if (!sg_call_numbers_valid(n, 0) || sg_callstats_find_func(c, frame) != SG_CALLSTATS_NONE)
        return SG_PROFILE_EINVAL;
    int rc = reserve_row((void **)&c->funcs, &c->func_cap, c->func_count, sizeof *c->funcs,
                         &c->func_slots, &c->func_slot_mask);
    if (rc != 0)
        return rc;
    uint32_t row = c->func_count;
    c->funcs[row] = (sg_callstats_func){.frame = frame, .n = *n};
    sg_hash_index_insert(c->func_slots, c->func_slot_mask, func_hash(frame), row);
    c->func_count = row + 1;
    if (row_out != NULL)
        *row_out = row;
    return SG_PROFILE_OK;
}

int sg_callstats_add_edge(sg_callstats *c, uint32_t caller, uint32_t callee, uint32_t flags,
                          const sg_call_numbers *n, uint32_t *row_out)
{
    if (!sg_call_numbers_valid(n, flags))
        return SG_PROFILE_EINVAL;
    int rc = sg_callstats_index(c); /* the new row joins an index that has every other */
    if (rc != 0)
        return rc;
    uint32_t hash = edge_hash(caller, callee);
    if (find_indexed_edge(c, caller, callee, hash) != SG_CALLSTATS_NONE)
        return SG_PROFILE_EINVAL;
    rc = reserve_row((void **)&c->edges, &c->edge_cap, c->edge_count, sizeof *c->edges,
                     &c->edge_slots, &c->edge_slot_mask);
    if (rc != 0)
        return rc;
    uint32_t row = c->edge_count;
    c->edges[row] =
        (sg_callstats_edge){.caller = caller, .callee = callee, .flags = flags, .n = *n};
    sg_hash_index_insert(c->edge_slots, c->edge_slot_mask, hash, row);
    c->edge_count = row + 1;
    c->edge_indexed = c->edge_count;
    if (row_out != NULL)
        *row_out = row;
    return SG_PROFILE_OK;
}

int sg_callstats_reserve_edges(sg_callstats *c, uint32_t extra)
{
    uint64_t need = (uint64_t)c->edge_count + extra;
    if (need > SG_HASH_MAX_ROWS)
        return SG_PROFILE_ELIMIT;
    if (need > c->edge_cap) {
        int rc = sg_grow_array((void **)&c->edges, (size_t)need, sizeof *c->edges);
        if (rc != 0)
            return rc;
        c->edge_cap = (uint32_t)need;
    }
    return SG_PROFILE_OK;
}

int sg_callstats_append_edge(sg_callstats *c, uint32_t caller, uint32_t callee, uint32_t flags,
                             const sg_call_numbers *n, uint32_t *row_out)
{
    if (!sg_call_numbers_valid(n, flags))
        return SG_PROFILE_EINVAL;
    if (c->edge_count == c->edge_cap) {
        size_t grown =
            sg_grow_capacity(c->edge_cap, (size_t)c->edge_count + 1, 64, SG_HASH_MAX_ROWS);
        if (grown == 0)
            return SG_PROFILE_ELIMIT;
        int rc = sg_grow_array((void **)&c->edges, grown, sizeof *c->edges);
        if (rc != 0)
            return rc;
        c->edge_cap = (uint32_t)grown;
    }
    uint32_t row = c->edge_count;
    c->edges[row] =
        (sg_callstats_edge){.caller = caller, .callee = callee, .flags = flags, .n = *n};
    c->edge_count = row + 1;
    if (row_out != NULL)
        *row_out = row;
    return SG_PROFILE_OK;
}

int sg_callstats_callers_build(const sg_callstats *c, uint32_t nframes, sg_callstats_callers *out)
{
    memset(out, 0, sizeof *out);
    out->start = calloc((size_t)nframes + 2, sizeof *out->start);
    out->row = malloc(((size_t)c->edge_count + 1) * sizeof *out->row);
    if (out->start == NULL || out->row == NULL)
        return SG_PROFILE_ENOMEM;
    /* count per callee in start[f + 1], sum to starts, then place in order;
     * start[f + 1] doubles as f's fill cursor and ends as f + 1's start */
    for (uint32_t e = 0; e < c->edge_count; e++) {
        uint32_t callee = c->edges[e].callee;
        if (callee >= nframes || c->edges[e].caller >= nframes)
            return SG_PROFILE_EINVAL;
        out->start[callee + 1]++;
    }
    for (uint32_t f = 0; f < nframes; f++)
        out->start[f + 1] += out->start[f];
    for (uint32_t f = nframes; f > 0; f--)
        out->start[f] = out->start[f - 1];
    for (uint32_t e = 0; e < c->edge_count; e++)
        out->row[out->start[c->edges[e].callee + 1]++] = e;
    return SG_PROFILE_OK;
}

void sg_callstats_callers_free(sg_callstats_callers *g)
{
    free(g->start);
    free(g->row);
    memset(g, 0, sizeof *g);
}
