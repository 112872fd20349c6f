/*
 * diff.h — what changed between two profiles ("before" and "after"), per
 * function and per call-tree node, in absolute numbers and as fractions of
 * each profile's own total, so two recordings of different lengths (or
 * sampling rates) compare.
 *
 * The two profiles have their own string and frame tables, so functions
 * are matched by text: a frame is (file, qualified name, first line), and
 * the diff interns both sides' frames into a key profile of its own
 * (sg_diff.keys, which owns strings and frames). A call-tree node is a
 * path of such frames from the root (lines ignored), interned as a row of
 * keys->stacks (parent, frame, line 0): the node's path is its parent
 * chain there.
 *
 * Numbers, per side (views applied: each side may have its own view):
 *   function: self = weight of samples whose newest frame is it; total =
 *             weight of samples with it on the stack, once per sample
 *             (call statistics: tt and ct);
 *   node:     self = weight of samples whose stack is exactly the path;
 *             total = that plus every longer path below it (a tree node
 *             holds each sample once). Call statistics have no tree: no
 *             nodes.
 *   frac_x = x / that side's total weight (0 when the side is empty);
 *   delta_x = after.x - before.x, delta_frac_x = after.frac_x -
 *   before.frac_x.
 * Order: by |delta_frac_self| descending (SG_DIFF_SORT_TOTAL:
 * |delta_frac_total|), then the other one, then key id — the function
 * whose own share changed most comes first, rather than every caller
 * above it (whose totals move by the same amount). `limit` keeps the
 * first rows of each list (0 = all); min_share leaves out the nodes too
 * small to draw before any of that. A profile diffed with itself has
 * every delta 0.
 *
 * Cost: linear in both profiles' frames and (transformed) stack rows,
 * after each view's one pass over its samples; nothing recurses.
 * Ownership: sg_diff_build fills *out; release with sg_diff_free (also
 * after a failure).
 */
#ifndef SG_ANALYZE_DIFF_H
#define SG_ANALYZE_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/view.h"

enum sg_diff_sort {
    SG_DIFF_SORT_SELF = 0,
    SG_DIFF_SORT_TOTAL = 1,
};

typedef struct sg_diff_options {
    int sort;     /* enum sg_diff_sort */
    size_t limit; /* rows per list, 0 = all */
    /* Node rows whose frac_total is below min_share on BOTH sides are not
     * built (0 = every node). A flame graph drawn at a pixel budget of W
     * columns never shows a node under 1/W of both sides, so 1/W leaves
     * its picture unchanged while the diff builds, sorts and interns only
     * the few thousand visible nodes instead of millions. The comparison
     * is on the same doubles as the rows' frac_total, so a reader that
     * prunes at frac_total >= 1/W sees exactly the rows it would have
     * kept. Function rows are never cut (one per function: few). */
    double min_share;
} sg_diff_options;

typedef struct sg_diff_row {
    uint32_t frame; /* frame id in keys->frames */
    uint32_t node;  /* node rows: stack id in keys->stacks (path = parent chain); else UINT32_MAX */
    uint64_t self[2], total[2]; /* [0] before, [1] after */
    double frac_self[2], frac_total[2];
    int64_t delta_self, delta_total; /* after - before (saturating) */
    double delta_frac_self, delta_frac_total;
} sg_diff_row;

typedef struct sg_diff {
    sg_profile *keys; /* owns the matched strings, frames and the node paths */
    sg_diff_row *functions;
    size_t function_count;
    sg_diff_row *nodes;
    size_t node_count;
    uint64_t total[2]; /* each side's total weight (the 100 %) */
    bool from_pstats;  /* either side had call statistics: no nodes */
} sg_diff;

/* Diff two resolved views (view.h), each over its own profile. Returns
 * SG_PROFILE_OK, SG_PROFILE_EINVAL (bad option), SG_PROFILE_ENOMEM or
 * SG_PROFILE_ELIMIT. */
int sg_diff_build(const sg_view_resolved *before, const sg_view_resolved *after,
                  const sg_diff_options *opts, sg_diff *out);
void sg_diff_free(sg_diff *d);

#endif
