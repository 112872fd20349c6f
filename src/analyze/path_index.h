/*
 * path_index.h — numbering the distinct call paths of stack tables (internal
 * to src/analyze): two rows are the same path when their parents are the
 * same path and their frames have the same key (the frame id, or a key the
 * caller maps frames to), whatever their lines. The call-tree node of a row,
 * the timeline's "call node", a diff's node matched across two profiles.
 *
 * Paths are numbered densely from 0 in the order they are met; a path's
 * parent always has a smaller number. Rows are visited level by level
 * (depth 1, then 2, ...) and in id order within a level, so the lookups
 * of one level do not wait on each other (in id order each row would wait
 * for its parent's lookup: a chain of cache misses) and are prefetched;
 * the index keeps the whole key in its slot, so a lookup is one miss.
 * Within a level the first row met for a path is its smallest row id.
 *
 * Memory: 16 bytes a slot at a load of at most 3/4, plus 8 bytes a path,
 * plus 12 bytes a row of scratch while adding. Nothing recurses.
 * Ownership: sg_path_index_free releases what the index holds.
 */
#ifndef SG_ANALYZE_PATH_INDEX_H
#define SG_ANALYZE_PATH_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile/stack_table.h"

#define SG_PATH_NONE UINT32_MAX /* the parent of a root path */

typedef struct sg_path_slot {
    uint64_t key; /* parent path << 32 | frame key; UINT64_MAX = free */
    uint32_t id;
} sg_path_slot;

typedef struct sg_path_index {
    sg_path_slot *slots;
    uint64_t mask;
    uint32_t *parent; /* per path: its parent path or SG_PATH_NONE */
    uint32_t *key;    /* per path: its frame key */
    bool *has_child;  /* per path: some row below it was met */
    uint32_t count, cap;
} sg_path_index;

/*
 * Add the paths of every row of st: path_of_row[r] receives row r's path
 * (st->count entries, caller-allocated). frame_key maps a frame id to its
 * key (NULL: the frame id itself). Rows must be parents first (stack
 * tables are). Returns SG_PROFILE_OK, SG_PROFILE_ENOMEM or
 * SG_PROFILE_ELIMIT (more than SG_HASH_MAX_ROWS paths).
 */
int sg_path_index_add(sg_path_index *ix, const sg_stacks *st, const uint32_t *frame_key,
                      uint32_t *path_of_row);
void sg_path_index_free(sg_path_index *ix);

#endif
