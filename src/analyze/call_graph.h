/*
 * call_graph.h — the call graph of a view: one node per function (frame),
 * one edge per caller → callee pair, with thresholds and a focus
 * neighbourhood. What gprof2dot / pprof's graph view draw.
 *
 * Sampled profiles (numbers are sample weights of the view's kept samples):
 *   node.self   = weight of the samples whose newest frame is the function;
 *   node.total  = weight of the samples with the function anywhere on the
 *                 stack, counted ONCE per sample however often it recurses;
 *   edge.weight = weight of the samples in which the caller directly calls
 *                 the callee somewhere on the stack, counted ONCE per sample
 *                 even when the pair repeats (A→B→A→B counts A→B once).
 * Recursion is collapsed: a function is one node whatever its depth, and a
 * direct self-call A→A (the same frame called by itself) is folded into the
 * node, never drawn as an edge — A→A→B gives the edge A→B. Indirect
 * recursion stays as the cycle it is (A→B and B→A), each edge once per
 * sample, so no weight is ever counted twice.
 *
 * Cost: both sums are stack_forest's once-per-sample totals over the
 * view's transformed stack rows, weighted by the per-row sums that
 * sg_view_resolve already made in its one pass over the samples. So every
 * distinct stack is expanded once, never per sample; the graph itself is
 * O(stack rows + frames + edges), independent of the sample count, and no
 * step recurses on stack depth.
 *
 * Profiles with call statistics (pstats; p->callstats not empty) read them
 * exactly: node.self = tt, node.total = ct, node.calls = nc; edge.weight =
 * the edge's ct (the callee's cumulative time when called from that
 * caller), edge.calls = nc. pstats's self-edges (A called by A) are folded
 * the same way. The view's stack transforms do not apply (no stacks); a
 * thread set that keeps no thread gives an empty graph.
 *
 * total_weight (the 100 % the thresholds are fractions of) is the view's
 * kept sample weight, or the sum of tt for call statistics.
 *
 * Selection, in this order:
 *   1. focus (optional): only the functions at most focus_levels edges
 *      away from focus_frame, following edges in either direction (callers
 *      and callees), measured on the whole graph before thresholds;
 *   2. thresholds: a node stays when total >= node_fraction × total_weight
 *      (the focus function always stays); an edge stays when weight >=
 *      edge_fraction × total_weight and both its ends stay.
 * Dropped nodes and edges are counted (dropped_nodes, dropped_edges) so a
 * viewer can say "n functions below the threshold".
 *
 * Ownership: sg_cgraph_build fills *out, which the caller releases with
 * sg_cgraph_free (also after a failure).
 */
#ifndef SG_ANALYZE_CALL_GRAPH_H
#define SG_ANALYZE_CALL_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/view.h"

typedef struct sg_cgraph_options {
    double node_fraction;  /* keep nodes with total >= this × total_weight (0 = all) */
    double edge_fraction;  /* keep edges with weight >= this × total_weight (0 = all) */
    bool focus;            /* restrict to the neighbourhood of focus_frame */
    uint32_t focus_frame;  /* frame id (when focus) */
    uint32_t focus_levels; /* edges away from focus_frame (0 = the function alone) */
} sg_cgraph_options;

typedef struct sg_cgraph_node {
    uint32_t frame; /* frame id of the profile */
    uint64_t self, total;
    uint64_t calls; /* call statistics only (nc), else 0 */
} sg_cgraph_node;

typedef struct sg_cgraph_edge {
    uint32_t caller, callee; /* indexes into nodes */
    uint64_t weight;
    uint64_t calls; /* call statistics only (nc), else 0 */
} sg_cgraph_edge;

typedef struct sg_cgraph {
    sg_cgraph_node *nodes; /* by total descending, then self, then frame id */
    size_t node_count;
    sg_cgraph_edge *edges; /* by weight descending, then caller, then callee */
    size_t edge_count;
    uint64_t total_weight;
    size_t dropped_nodes, dropped_edges; /* cut by focus or thresholds */
    bool from_pstats;
} sg_cgraph;

/* Build the call graph of a resolved view (view.h). Returns SG_PROFILE_OK,
 * SG_PROFILE_EINVAL (focus frame not in the profile, a fraction outside
 * [0, 1]), SG_PROFILE_ENOMEM or SG_PROFILE_ELIMIT. */
int sg_cgraph_build(const sg_view_resolved *view, const sg_cgraph_options *opts, sg_cgraph *out);
void sg_cgraph_free(sg_cgraph *g);

#endif
