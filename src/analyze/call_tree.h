/*
 * call_tree.h — the call tree of a view, top-down (roots are the oldest
 * frames) or inverted (bottom-up: roots are the newest frames, children
 * their callers), pruned to a level-of-detail budget.
 *
 * A node is a path of frames from the root (lines merged: one function is
 * one node per path). For every node:
 *   total = weight of the kept samples whose (transformed, see view.h)
 *           stack, read from the root side of the tree, starts with the
 *           node's path;
 *   self  = weight of those whose stack is exactly that path (top-down:
 *           the node is the newest frame; inverted: the node is the
 *           oldest frame, so an inverted root's self is the time its
 *           function was a whole stack by itself);
 *   self + Σ children's total = total, for every returned node.
 * The tree's root (nodes[0]) is a virtual node SG_TREE_ROOT_FRAME holding
 * every kept sample (self = samples with the empty stack), or, when a path
 * is given, the node at the end of that path.
 *
 * Level of detail: a budget caps the returned nodes (root and "other"
 * nodes included) and sets a minimum weight (e.g. total_weight / width_px:
 * nothing narrower than a pixel). Nodes are chosen heaviest first (ties
 * by name, file, frame id) among the children of chosen nodes, so the
 * answer is the heaviest connected top of the tree; the children of a
 * node that are not chosen fold into ONE child SG_TREE_OTHER_FRAME per
 * parent (self = total = their weight, folded = how many). Expanding a
 * node (or the parent of an "other" node) is a further call with its
 * path and its own budget.
 *
 * Order: the children of a node are contiguous and sorted by total
 * descending, then qualified name, file and frame id (bytewise), "other"
 * last: the "left heavy" order; a time-ordered viewer re-sorts.
 *
 * Cost: linear in the view's transformed stack rows plus the chosen
 * nodes' children (top-down), or in the rows along the chosen paths
 * (inverted); never in samples (sg_view_resolve read them once), never
 * recursive. Memory: the answer plus O(stack rows) of scratch.
 *
 * Ownership: sg_call_tree_build fills a tree the caller releases with
 * sg_call_tree_free (also after a failure).
 */
#ifndef SG_ANALYZE_CALL_TREE_H
#define SG_ANALYZE_CALL_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/view.h"

#define SG_TREE_NONE        UINT32_MAX       /* no node (the root's parent) */
#define SG_TREE_ROOT_FRAME  UINT32_MAX       /* frame of the virtual root */
#define SG_TREE_OTHER_FRAME (UINT32_MAX - 1) /* frame of an "other" node */

typedef struct sg_tree_budget {
    uint32_t max_nodes;  /* at most this many nodes; 0 = no limit; below 2 counts as 2 */
    uint64_t min_weight; /* fold nodes with total < min_weight; 0 = none */
} sg_tree_budget;

typedef struct sg_tree_node {
    uint32_t frame;       /* frame id, SG_TREE_ROOT_FRAME or SG_TREE_OTHER_FRAME */
    uint32_t parent;      /* node index, SG_TREE_NONE for nodes[0] */
    uint32_t first_child; /* children are nodes [first_child, first_child + child_count) */
    uint32_t child_count;
    uint32_t depth;  /* path length from the tree's root; nodes[0] has the path's length */
    uint32_t folded; /* "other": how many sibling nodes it stands for; else 0 */
    uint64_t self, total;
} sg_tree_node;

typedef struct sg_call_tree {
    sg_tree_node *nodes; /* nodes[0] is the root; parents before children */
    uint32_t count;
    bool inverted;
    uint64_t total_weight, total_samples; /* of the whole view (the 100 %) */
} sg_call_tree;

/*
 * Build the tree of a resolved view. path (path_len frames, from the root
 * side: top-down oldest first, inverted newest first) names the node to
 * expand; path_len = 0 is the whole tree. A path that does not exist in
 * the view gives an empty tree (count 0). budget NULL = no limit.
 * Returns SG_PROFILE_OK, SG_PROFILE_ENOMEM or SG_PROFILE_ELIMIT.
 */
int sg_call_tree_build(const sg_view_resolved *rv, bool inverted, const uint32_t *path,
                       size_t path_len, const sg_tree_budget *budget, sg_call_tree *out);
void sg_call_tree_free(sg_call_tree *t);

#endif
