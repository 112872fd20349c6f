/*
 * pstats_model.h — how a pstats file (cProfile, profile, CPython's sampler)
 * lives in the profile model, which has no call stacks for it
 * (meta.has_stacks = false). docs/format.md, "pstats in the model", is the
 * reference; in short:
 *
 *   - one frame per pstats function (file, name, first line = the key's
 *     line); one thread; every sample at time 0;
 *   - a root stack row [f] per function and a depth-2 row [c, f] per
 *     caller→callee edge;
 *   - *time samples* (flags without SG_PSTATS_STAT) weigh nanoseconds: the
 *     function's own time tt, spread over its edge rows in proportion to
 *     the edge's own time (or call count when the file has only counts),
 *     the rest on its root row. Any consumer that knows nothing of pstats
 *     sums them into an approximate two-level flame graph whose self times
 *     and grand total are exact;
 *   - *statistic samples* (flags with SG_PSTATS_STAT) carry the other
 *     numbers exactly, one kind each (SG_PSTATS_KIND_*), on the root row
 *     (the function's) or the edge row (the edge's); a value above
 *     UINT32_MAX takes a second sample with SG_PSTATS_HIGH_WORD holding its
 *     upper 32 bits. A missing statistic is 0. To keep a file of 200,000
 *     functions small, the common case costs nothing: primitive calls are
 *     stored as the recursive calls nc - cc (0, so no sample, unless the
 *     function recursed), and an edge's own time is its time samples
 *     unless an EDGE_TIME_SET mark says EDGE_TIME holds it.
 *
 * Exporters to formats that only know time must drop statistic samples
 * first (sg_pstats_time_only); views read the numbers back with
 * sg_pstats_stats_read.
 */
#ifndef SG_PROFILE_PSTATS_MODEL_H
#define SG_PROFILE_PSTATS_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "profile/profile.h"

#define SG_PSTATS_STAT       0x80u /* the sample is a statistic, not time */
#define SG_PSTATS_KIND_MASK  0x70u /* which statistic, shifted by SG_PSTATS_KIND_SHIFT */
#define SG_PSTATS_KIND_SHIFT 4
#define SG_PSTATS_HIGH_WORD  0x08u /* the weight is bits 32..63 of the value */

enum sg_pstats_kind {
    SG_PSTATS_KIND_ENTRY = 0,         /* root row, weight 1: the function is a key of the file */
    SG_PSTATS_KIND_NCALLS = 1,        /* calls (nc) */
    SG_PSTATS_KIND_RECURSIVE = 2,     /* nc - cc, the recursive calls (usually 0: no sample) */
    SG_PSTATS_KIND_CUMTIME = 3,       /* cumulative time (ct), ns */
    SG_PSTATS_KIND_EDGE_TIME = 4,     /* edge row: its own time, when not its time samples' */
    SG_PSTATS_KIND_BARE_COUNT = 5,    /* edge row, weight 1: the file gave only a call count */
    SG_PSTATS_KIND_PCALLS = 6,        /* cc itself, only when cc > nc (odd files) */
    SG_PSTATS_KIND_EDGE_TIME_SET = 7, /* edge row, weight 1: EDGE_TIME holds its time */
};

/* Samples of a pstats profile: stat samples carry a kind, time samples not. */
static inline bool sg_pstats_is_stat(uint8_t flags)
{
    return (flags & SG_PSTATS_STAT) != 0;
}

/* Append the statistic `kind` = value on stack row `row` (0 to 2 samples;
 * nothing for 0; the marks ENTRY, BARE_COUNT and EDGE_TIME_SET carry 1
 * whatever the value). */
int sg_pstats_add_stat(sg_profile *p, uint32_t thread, uint32_t row, unsigned kind, uint64_t value);
/* Append `ns` nanoseconds of time on `row` (samples of at most UINT32_MAX). */
int sg_pstats_add_time(sg_profile *p, uint32_t thread, uint32_t row, uint64_t ns);

/* ---- reading the numbers back ------------------------------------------ */

typedef struct sg_pstats_func {
    bool present;          /* a key of the file (else only named as a caller) */
    uint32_t row;          /* its root stack row, SG_STACK_NONE if none */
    uint64_t nc, cc;       /* calls, primitive calls */
    uint64_t tt_ns, ct_ns; /* own time, cumulative time */
} sg_pstats_func;

typedef struct sg_pstats_edge {
    uint32_t caller, callee; /* frame ids */
    uint32_t row;            /* the [caller, callee] stack row */
    bool bare_count;         /* the file gave only nc for this edge */
    uint64_t nc, cc, tt_ns, ct_ns;
} sg_pstats_edge;

typedef struct sg_pstats_stats {
    sg_pstats_func *funcs; /* indexed by frame id; nfuncs = frames.count */
    uint32_t nfuncs;
    sg_pstats_edge *edges; /* grouped by callee */
    uint32_t nedges;
    uint32_t *callers_start; /* callers of f: edges[callers_start[f] .. callers_start[f+1]) */
    uint64_t total_tt_ns;    /* sum of tt over all functions */
} sg_pstats_stats;

/* Decode the numbers of a profile with has_stacks = false. Rows deeper
 * than 2 are ignored. Edges come grouped by callee, in the order their rows
 * were made (the file's order). Returns SG_PROFILE_OK or SG_PROFILE_ENOMEM. */
int sg_pstats_stats_read(const sg_profile *p, sg_pstats_stats *out);
void sg_pstats_stats_free(sg_pstats_stats *s);

/* A copy of p without its statistic samples (a profile with stacks is
 * copied whole), for exporters that only understand time. */
int sg_pstats_time_only(const sg_profile *p, sg_profile **out);

#endif
