/*
 * stack_table.h — interned stacks as a table of (parent, frame, line) rows.
 *
 * A stack id names its newest frame; following `parent` walks towards the
 * oldest frame, whose parent is SG_STACK_NONE. Two samples with the same
 * call path share one id, so a deep stack that repeats costs one integer
 * per sample, and a new stack that shares a prefix with an old one adds
 * only the rows below the fork.
 *
 * Rows are stored as small structs rather than one array per field: the
 * recorder's lookup compares all three key fields of a candidate row, so
 * keeping them together makes a probe one cache miss instead of three.
 *
 * Invariants:
 *   - ids are dense (0 .. count-1), in insertion order, never removed.
 *   - rows[id].parent < id or == SG_STACK_NONE: the table is a forest
 *     stored in topological order, so one forward pass sees parents first
 *     and nothing needs to recurse (10,000-frame stacks are legal).
 *   - rows[id].depth = 1 for a root, the parent's depth + 1 otherwise
 *     (derived, kept so walkers can size their buffers up front).
 *   - no two rows have the same (parent, frame, line).
 *   - rows [0, indexed) are in the hash index; rows past it were appended
 *     by sg_stacks_append_new and join the index in one pass at the next
 *     lookup (sg_stacks_intern, sg_stacks_intern_chain) or sg_stacks_index.
 *
 * Ownership: the table owns its rows; sg_stacks_free releases them.
 * The struct is public for reading; only the functions below change it.
 */
#ifndef SG_PROFILE_STACK_TABLE_H
#define SG_PROFILE_STACK_TABLE_H

#include <stddef.h>
#include <stdint.h>

#define SG_STACK_NONE UINT32_MAX /* "no parent" / "empty stack" */

typedef struct sg_stack_row {
    uint32_t parent; /* parent stack id or SG_STACK_NONE */
    uint32_t frame;  /* frame id (frame_table.h) */
    uint32_t line;   /* line executing in that frame, 0 if unknown */
    uint32_t depth;  /* number of frames from the root to this row, >= 1 */
} sg_stack_row;

typedef struct sg_stacks {
    uint32_t count;
    uint32_t cap;
    sg_stack_row *rows; /* rows[id] */
    uint64_t *slots;    /* open-addressing index: (hash << 32) | id, UINT64_MAX = empty */
    uint32_t slot_mask;
    uint32_t indexed; /* rows [0, indexed) are in `slots` (see the invariants) */
} sg_stacks;

/* One frame of a sampled stack, as the recorder sees it. */
typedef struct sg_frame_line {
    uint32_t frame; /* frame id */
    uint32_t line;  /* line executing, 0 if unknown */
} sg_frame_line;

int sg_stacks_init(sg_stacks *s);
void sg_stacks_free(sg_stacks *s);

/* The id of the row (parent, frame, line), adding it if new. parent must be
 * SG_STACK_NONE or an existing id (else SG_PROFILE_EINVAL). */
int sg_stacks_intern(sg_stacks *s, uint32_t parent, uint32_t frame, uint32_t line,
                     uint32_t *id_out);

/*
 * Intern a whole chain: `chain` holds n frames oldest → newest, pushed on top
 * of `base` (SG_STACK_NONE for a stack from the root). *id_out receives the
 * id of the newest frame (base itself when n == 0). If depth_ids is not
 * NULL it receives n ids, the stack id after each frame, so a recorder can
 * remember a thread's previous stack and re-intern only the frames below
 * the first one that changed (pass depth_ids[k-1] as base, chain + k).
 * Does not allocate once every row exists: a hit is one hash probe per frame.
 * On error the rows interned so far stay (they are valid, merely unused).
 */
/* Make room for `extra` more rows (array and index) at once, so that a
 * reader that knows how many rows follow grows the table once. Returns
 * SG_PROFILE_OK, SG_PROFILE_ENOMEM or SG_PROFILE_ELIMIT. */
int sg_stacks_reserve(sg_stacks *s, uint32_t extra);

/* A hint, no effect on the table: start loading the index slot where
 * (parent, frame, line) would be found (and the parent row), for a caller that interns many
 * independent rows and knows the next ones ahead (importers). */
void sg_stacks_prefetch(const sg_stacks *s, uint32_t parent, uint32_t frame, uint32_t line);

int sg_stacks_intern_chain(sg_stacks *s, uint32_t base, const sg_frame_line *chain, size_t n,
                           uint32_t *depth_ids, uint32_t *id_out);

/*
 * Append the row (parent, frame, line) without looking it up, for an
 * importer that builds its rows from distinct keys and knows each is new
 * (pstats: one root row per function, one [caller, callee] row per edge).
 * A lookup per row would be a cache miss in a large index; instead the
 * index takes the appended rows in one pass when next needed. The caller
 * guarantees the row is not in the table (asserted when it is indexed),
 * and passes the parent's depth (0 for SG_STACK_NONE), which it knows from
 * making the parent: reading it from the parent's row would be another
 * miss per row (asserted too). parent as for sg_stacks_intern (else
 * SG_PROFILE_EINVAL); ELIMIT, ENOMEM.
 */
int sg_stacks_append_new(sg_stacks *s, uint32_t parent, uint32_t parent_depth, uint32_t frame,
                         uint32_t line, uint32_t *id_out);

/* Make room for `extra` more rows in the rows array only, for an importer
 * that appends them with sg_stacks_append_new (the index is sized when
 * they join it). SG_PROFILE_OK, ENOMEM or ELIMIT. */
int sg_stacks_reserve_rows(sg_stacks *s, uint32_t extra);

/* Put the rows appended by sg_stacks_append_new into the index now (the
 * next lookup would). SG_PROFILE_OK, ENOMEM or ELIMIT (the table is
 * unchanged and stays usable: its lookups try again). */
int sg_stacks_index(sg_stacks *s);

#endif
