/*
 * function_table.h — the function table: self and total weight per
 * function, per line, per file or per package, like pstats's table but
 * computed from samples.
 *
 *   self(k)  = weight of the samples whose newest frame belongs to k;
 *   total(k) = weight of the samples with k anywhere on the stack, counted
 *              once per sample however often k recurses in it.
 *
 * One pass over the samples sums weights per stack row; everything after
 * is linear in stack rows and keys (stack_forest.h), so memory is
 * proportional to frames + stacks, never to samples, and nothing recurses.
 *
 * A profile with call statistics (p->callstats not empty: a pstats
 * import) is not counted from its samples: its table is those numbers
 * (callstats_table.h): per function, self = tt, total = ct, calls = nc,
 * primitive_calls = cc, exactly. Grouped by file
 * or package, self is exact (the sum of tt) but total and calls can only
 * be estimated: the calls that enter the group from outside it (edges from
 * callers outside the group, and calls with no caller), with their ct
 * (or, when the file has only call counts, ct shared out by those counts),
 * kept between the group's largest ct and the largest ct of the profile
 * (re-entry through another group would otherwise count twice). A group
 * that holds one function gets that function's exact numbers.
 *
 * A time range [t0_ns, t1_ns) keeps only the samples taken in it (the
 * "last second" of a live view, a selection on a timeline). Samples in time
 * order (every recorded profile: each sampling round stamps all its samples
 * with the round's monotonic clock, and rounds only move forward; the .sgl
 * writer and reader keep that order) are cut with two binary searches after
 * one sequential pass over the time column that proves the order; profiles
 * out of order (an importer may append per thread) are filtered sample by
 * sample, with the same result. Call statistics have no time axis: a
 * range leaves their table whole.
 *
 * Any view (view.h) applies through opts->view: the table is then that of
 * the transformed stacks (focus, exclude, hidden frames, collapsed
 * recursion) and the kept samples. opts->threads, t0_ns and t1_ns are the
 * older spelling of the view's same fields, used when view is NULL.
 *
 * Ownership: sg_ftable_build fills a table the caller releases with
 * sg_ftable_free.
 */
#ifndef SG_ANALYZE_FUNCTION_TABLE_H
#define SG_ANALYZE_FUNCTION_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/package.h"
#include "analyze/view.h"
#include "profile/profile.h"

enum sg_ftable_by {
    SG_FTABLE_BY_FUNCTION = 0, /* one row per frame */
    SG_FTABLE_BY_LINE = 1,     /* one row per (frame, line executing) */
    SG_FTABLE_BY_FILE = 2,     /* one row per file name */
    SG_FTABLE_BY_PACKAGE = 3,  /* one row per package (package.h) */
};

enum sg_ftable_sort {
    SG_FTABLE_SORT_SELF = 0,  /* self descending, then total */
    SG_FTABLE_SORT_TOTAL = 1, /* total descending, then self */
    SG_FTABLE_SORT_NAME = 2,  /* name ascending (function, file or package; bytewise), then
                                 file name, then line */
};

typedef struct sg_ftable_options {
    int by;              /* enum sg_ftable_by */
    int sort;            /* enum sg_ftable_sort */
    const bool *threads; /* per thread index: keep its samples; NULL = every thread */
    /* Keep the samples with t0_ns <= time < t1_ns (profile time, as in
     * sample_table.h); t1_ns = 0 means no upper bound, so zeroed options
     * keep every sample. */
    uint64_t t0_ns, t1_ns;
    const sg_view *view; /* NULL: threads, t0_ns, t1_ns above; else this view (they are unused) */
} sg_ftable_options;

typedef struct sg_ftable_row {
    uint32_t frame;   /* by function or line: the frame; else the first frame seen in the group */
    uint32_t file;    /* string id of the file (0 by package) */
    uint32_t line;    /* by line: the line; by function: the frame's first line; else 0 */
    uint32_t package; /* by package: index into packages; else the frame's package */
    uint64_t self, total;
    uint64_t calls, primitive_calls; /* profiles with call statistics only (else 0) */
} sg_ftable_row;

typedef struct sg_ftable {
    sg_ftable_row *rows; /* sorted as asked; sampled: keys with samples; else every function */
    size_t count;
    uint64_t total_weight;  /* weight of every kept sample (the 100 %); else the sum of tt */
    uint64_t total_samples; /* number of kept samples (0 from call statistics) */
    bool from_pstats;       /* numbers come from call statistics (pstats): calls are valid */
    bool approximate;       /* totals and calls are estimates (pstats by file or package) */
    sg_packages packages;
} sg_ftable;

/* Build the table of p. Returns SG_PROFILE_OK, SG_PROFILE_EINVAL (bad
 * option) or SG_PROFILE_ENOMEM; on failure *out is empty. */
int sg_ftable_build(const sg_profile *p, const sg_ftable_options *opts, sg_ftable *out);
void sg_ftable_free(sg_ftable *t);

#endif
