/*
 * butterfly.h — callers and callees of one function, merged over every
 * occurrence of it in every stack.
 *
 * Sampled profiles (from a resolved view, view.h), with F the function:
 *   total  = weight of the kept samples with F anywhere on the stack,
 *            counted once per sample however deep F recurses;
 *   self   = weight of those where F is the newest frame;
 *   caller C: weight of the samples whose stack holds the adjacent pair
 *            C → F at least once (once per sample); F as the oldest frame
 *            counts under SG_BFLY_ROOT;
 *   callee D: the same for F → D; the share of a caller or callee is its
 *            weight / total. Direct recursion F → F appears on both sides.
 * A caller's (callee's) weight is at most total; their sum may exceed
 * it when one sample calls F from two callers.
 *
 * Profiles with call statistics (pstats) use those edges exactly: a caller
 * C is the edge C → F with its numbers (calls, time of F under C), a
 * callee D the edge F → D; weight = the edge's ct. F's own numbers are its
 * function row. An sg_bfly_index, built once per profile, makes each
 * query proportional to the function's edges (well under a millisecond);
 * without one a query scans the edge table.
 *
 * Order: callers and callees by weight descending, then frame id.
 * Ownership: the caller frees with sg_butterfly_free / sg_bfly_index_free
 * (also after a failure).
 */
#ifndef SG_ANALYZE_BUTTERFLY_H
#define SG_ANALYZE_BUTTERFLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/view.h"

#define SG_BFLY_ROOT UINT32_MAX /* "no caller": F was the oldest frame / a pstats root */

typedef struct sg_bfly_edge {
    uint32_t frame;    /* the caller or callee frame id, or SG_BFLY_ROOT */
    uint32_t flags;    /* pstats: SG_CALLSTATS_COUNT_ONLY or 0 */
    uint64_t weight;   /* see above */
    sg_call_numbers n; /* pstats: the edge's numbers; sampled: zero */
} sg_bfly_edge;

typedef struct sg_butterfly {
    uint32_t frame;
    uint64_t self, total;
    sg_call_numbers n; /* pstats: the function's row (zero if it has none) */
    sg_bfly_edge *callers;
    uint32_t caller_count;
    sg_bfly_edge *callees;
    uint32_t callee_count;
    uint64_t total_weight; /* the view's 100 % (pstats: the sum of tt) */
    bool from_pstats;
} sg_butterfly;

/* Edge index of a profile with call statistics (empty for a sampled one). */
typedef struct sg_bfly_index {
    sg_callstats_callers by_callee; /* edge rows grouped by callee */
    uint32_t *callee_start;         /* frames + 1: edge rows grouped by caller */
    uint32_t *callee_row;
    uint32_t nframes;  /* frames.count when built */
    uint64_t total_tt; /* the sum of every function's tt */
} sg_bfly_index;

int sg_bfly_index_build(const sg_profile *p, sg_bfly_index *out);
void sg_bfly_index_free(sg_bfly_index *x);

/*
 * The butterfly of `frame` (< frames.count, else SG_PROFILE_EINVAL) in a
 * resolved view. pstats profiles read rv->profile->callstats (index may
 * be NULL). Returns SG_PROFILE_OK, SG_PROFILE_EINVAL or SG_PROFILE_ENOMEM.
 */
int sg_butterfly_build(const sg_view_resolved *rv, const sg_bfly_index *index, uint32_t frame,
                       sg_butterfly *out);
void sg_butterfly_free(sg_butterfly *b);

#endif
