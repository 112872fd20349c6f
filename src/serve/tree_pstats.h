/*
 * tree_pstats.h — an approximate call tree for a profile that has call
 * statistics but no stacks (pstats), in the same shape as call_tree.h so
 * the viewer draws it the same way. (Written here rather than in
 * src/analyze, whose API is being kept still; it only reads the profile.)
 *
 * pstats knows, per edge caller → callee, the callee's time when called
 * from that caller, not the path above the caller. So the tree is rebuilt
 * the way snakeviz does, and is labelled approximate:
 *   top-down: roots are the functions nobody calls, with their cumulative
 *   time ct; a node (f, share s) has total = s × ct(f), self = s × tt(f),
 *   and one child per callee g with total = s × ct(f → g), whose share is
 *   that total / ct(g);
 *   inverted: roots are every function with its own time tt; a node's
 *   children are its callers, weighted by the edge's tt the same way.
 * A function already on the node's path is not expanded again (recursion
 * would never end). The virtual root's total is the sum of tt (what the
 * function table calls 100 %).
 *
 * Focus (the view's focus frame F): the virtual root has one child, F,
 * with share 1 — top-down its callees subtree as the edges give it (total
 * ct(F), the 100 %), inverted its callers (total tt(F)). This is what the
 * edges say about F wherever it was called from, not the samples under
 * F: a callee's time is split among its callers in proportion, so the
 * answer must say it is derived from edges. A focus function that pstats
 * never saw gives an empty tree (total 0).
 *
 * Budget: nodes are chosen heaviest first (a priority queue) up to
 * max_nodes, nothing under total/width; the rest of each parent's
 * children fold into one "other" node, as call_tree.h does. Output order
 * is breadth-first with siblings by total descending: parents first,
 * siblings contiguous. Nothing recurses.
 */
#ifndef SG_SERVE_TREE_PSTATS_H
#define SG_SERVE_TREE_PSTATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/call_tree.h"

typedef struct sg_tree_pstats_options {
    bool inverted;
    uint32_t max_nodes; /* 0 = no limit */
    uint32_t width;     /* pixels; nodes under total/width fold */
    bool focus;         /* the view's focus: focus_frame is the only root */
    uint32_t focus_frame;
} sg_tree_pstats_options;

/* Build into *out (free with sg_call_tree_free). rv: a view over p, whose
 * thread set empties the tree when it keeps no thread. path: frames from
 * the root side to expand (a path that does not exist gives count 0). */
int sg_tree_pstats_build(const sg_profile *p, const sg_view_resolved *rv,
                         const sg_tree_pstats_options *o, const uint32_t *path, size_t path_len,
                         sg_call_tree *out);

#endif
