/*
 * callstats_table.h — exact call statistics, for profiles that carry them
 * (pstats files): per function and per caller→callee edge, the four numbers
 * a deterministic profiler counts — primitive calls cc, calls nc, own time
 * tt and cumulative time ct.
 *
 * Samples are time, and only time: these numbers live here, beside them,
 * never in the sample columns. A sampled profile has an empty table; a
 * consumer that knows only samples loses nothing it could misread. Views
 * that want the exact numbers (the function table, the pstats exporter)
 * read them from here when the table is not empty (sg_callstats_empty).
 *
 * Rows are interned by key: one function row per frame id, one edge row
 * per (caller frame, callee frame). An edge needs no function row at
 * either end (pstats names callers that are not keys of the file).
 *
 * Invariants:
 *   - function and edge rows are dense (0 .. count-1), in insertion order,
 *     never changed or removed (so a streaming writer only remembers how
 *     many rows it has sent); no two rows share a key.
 *   - every row's numbers pass sg_call_numbers_valid: counts at most
 *     SG_CALLSTATS_MAX_COUNT, times at most SG_CALLSTATS_MAX_NS, and an
 *     edge with SG_CALLSTATS_COUNT_ONLY holds only nc (cc, tt, ct are 0).
 *   - edges [0, edge_indexed) are in the edge index; later ones were
 *     appended by sg_callstats_append_edge and join it at the next add
 *     or sg_callstats_index (the finders search them one by one until
 *     then: correct, only slow).
 *   - frame ids are not checked here (the table does not know the frame
 *     table): the profile's importers and the .sgl reader check them.
 *
 * Ownership: the table owns its arrays; sg_callstats_free releases them.
 * The struct is public for reading; only the functions below change it.
 * A failed add changes nothing.
 */
#ifndef SG_PROFILE_CALLSTATS_TABLE_H
#define SG_PROFILE_CALLSTATS_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#define SG_CALLSTATS_NONE      UINT32_MAX          /* "no such row" from the finders */
#define SG_CALLSTATS_MAX_COUNT 0x7fffffffffffffffu /* largest cc or nc: what pstats can hold */
#define SG_CALLSTATS_MAX_NS    (1ull << 62)        /* largest time, about 146 years */

/* Edge flags. */
#define SG_CALLSTATS_COUNT_ONLY 0x01u /* the source gave only a call count (nc) for this edge */
#define SG_CALLSTATS_ALL_FLAGS  0x01u

/* The numbers of one function, or of one edge (the callee's numbers for the
 * calls made from that caller). */
typedef struct sg_call_numbers {
    uint64_t cc;    /* primitive calls: calls not made while the function was already active */
    uint64_t nc;    /* all calls */
    uint64_t tt_ns; /* own time, callees excluded */
    uint64_t ct_ns; /* cumulative time, callees included */
} sg_call_numbers;

typedef struct sg_callstats_func {
    uint32_t frame; /* frame id */
    sg_call_numbers n;
} sg_callstats_func;

typedef struct sg_callstats_edge {
    uint32_t caller, callee; /* frame ids */
    uint32_t flags;          /* SG_CALLSTATS_COUNT_ONLY or 0 */
    sg_call_numbers n;
} sg_callstats_edge;

typedef struct sg_callstats {
    uint32_t func_count, func_cap;
    sg_callstats_func *funcs; /* funcs[row] */
    uint64_t *func_slots;     /* index by frame: (hash << 32) | row, UINT64_MAX = empty */
    uint32_t func_slot_mask;
    uint32_t edge_count, edge_cap;
    sg_callstats_edge *edges; /* edges[row] */
    uint64_t *edge_slots;     /* index by (caller, callee) */
    uint32_t edge_slot_mask;
    uint32_t edge_indexed; /* edges [0, edge_indexed) are in edge_slots */
} sg_callstats;

void sg_callstats_init(sg_callstats *c);
void sg_callstats_free(sg_callstats *c);

/* True when the table holds no row: the profile has no call statistics. */
bool sg_callstats_empty(const sg_callstats *c);

/* Whether n (with edge flags, 0 for a function) keeps the invariants above. */
bool sg_call_numbers_valid(const sg_call_numbers *n, uint32_t flags);

/* Add the function row of `frame`. SG_PROFILE_EINVAL if the frame has a
 * row already (rows are never changed) or n is not valid; ELIMIT, ENOMEM.
 * row_out may be NULL. */
int sg_callstats_add_func(sg_callstats *c, uint32_t frame, const sg_call_numbers *n,
                          uint32_t *row_out);

/* Add the edge row caller → callee, as sg_callstats_add_func. */
int sg_callstats_add_edge(sg_callstats *c, uint32_t caller, uint32_t callee, uint32_t flags,
                          const sg_call_numbers *n, uint32_t *row_out);

/*
 * Add the edge row caller → callee without looking it up, for an importer
 * whose edges come from distinct keys (a lookup per edge is a cache miss
 * in a large index). The caller guarantees the edge is new; call
 * sg_callstats_index when done so that the finders are fast again. n as
 * for sg_callstats_add_edge (else SG_PROFILE_EINVAL); ELIMIT, ENOMEM.
 */
int sg_callstats_append_edge(sg_callstats *c, uint32_t caller, uint32_t callee, uint32_t flags,
                             const sg_call_numbers *n, uint32_t *row_out);

/* Make room for `extra` more edge rows (not their index: see
 * sg_callstats_index), for an importer that knows how many follow.
 * SG_PROFILE_OK, ENOMEM or ELIMIT. */
int sg_callstats_reserve_edges(sg_callstats *c, uint32_t extra);

/* Put the edges appended by sg_callstats_append_edge into the index in one
 * pass. SG_PROFILE_OK, ENOMEM or ELIMIT (nothing lost: the finders still
 * see every edge). */
int sg_callstats_index(sg_callstats *c);

/* The row of a key, or SG_CALLSTATS_NONE. */
uint32_t sg_callstats_find_func(const sg_callstats *c, uint32_t frame);
uint32_t sg_callstats_find_edge(const sg_callstats *c, uint32_t caller, uint32_t callee);

/* A hint, no effect on the table: start loading the index slot of the edge
 * caller → callee, for an importer that knows its next edges ahead. */
void sg_callstats_prefetch_edge(const sg_callstats *c, uint32_t caller, uint32_t callee);

/*
 * The edges grouped by callee: the callers of frame f are the edge rows
 * row[start[f]] .. row[start[f + 1] - 1], in row order (for an import, the
 * order the file listed them). Built with one counting sort; nframes is the
 * profile's frame count, and an edge naming a frame at or past it gives
 * SG_PROFILE_EINVAL. Free with sg_callstats_callers_free (also after a
 * failure).
 */
typedef struct sg_callstats_callers {
    uint32_t *start; /* nframes + 1 entries */
    uint32_t *row;   /* edge_count entries */
} sg_callstats_callers;

int sg_callstats_callers_build(const sg_callstats *c, uint32_t nframes, sg_callstats_callers *out);
void sg_callstats_callers_free(sg_callstats_callers *g);

#endif
