/*
 * query_graph.c — the queries about one function's neighbours and the
 * whole call graph: GET .../butterfly (callers and callees of one frame,
 * butterfly.h) and GET .../callgraph (nodes and edges with thresholds, a
 * focus neighbourhood and a node cap, call_graph.h), as columns.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "analyze/butterfly.h"
#include "analyze/call_graph.h"
#include "serve/frameset.h"
#include "serve/query.h"

#define SG_CGRAPH_DEFAULT_NODES 200     /* what a layout in the browser draws at once */
#define SG_CGRAPH_MAX_NODES     1000000 /* max_nodes=0: no cap */

static void write_edges(sg_jbuf *o, const char *name, const sg_bfly_edge *e, uint32_t n,
                        sg_frameset *fs)
{
    sg_jbuf_printf(o, "\"%s\":{\"frame\":[", name);
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            sg_jbuf_char(o, ',');
        sg_jbuf_i64(o, e[i].frame == SG_BFLY_ROOT ? -1 : (int64_t)e[i].frame);
        sg_frameset_add(fs, e[i].frame);
    }
    sg_jbuf_puts(o, "],\"weight\":[");
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            sg_jbuf_char(o, ',');
        sg_jbuf_u64(o, e[i].weight);
    }
    sg_jbuf_puts(o, "],\"calls\":[");
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            sg_jbuf_char(o, ',');
        sg_jbuf_u64(o, e[i].n.nc);
    }
    sg_jbuf_puts(o, "]}");
}

int sg_query_butterfly(sg_query *q)
{
    const sg_profile *p = q->profile;
    const char *v = sg_params_get(q->params, "frame");
    uint64_t frame;
    if (v == NULL)
        return sg_query_fail(q, 400, "parameter frame: missing (the frame id to look at)");
    if (!sg_parse_u64(v, UINT32_MAX, &frame) || frame >= p->frames.count)
        return sg_query_fail(
            q, 400, "parameter frame: '%.32s' is not a frame id of this profile (0 to %ld)", v,
            (long)p->frames.count - 1);
    const sg_bfly_index *ix = NULL;
    if (!sg_callstats_empty(&p->callstats) && (ix = sg_loaded_bfly(q->entry)) == NULL)
        return sg_query_fail(q, 500, "out of memory building the butterfly index");
    sg_butterfly b;
    int rc = sg_butterfly_build(q->rv, ix, (uint32_t)frame, &b);
    if (rc != 0) {
        sg_butterfly_free(&b);
        return sg_query_fail(q, 500, "butterfly: %s", sg_profile_strerror(rc));
    }
    sg_jbuf *o = q->out;
    sg_frameset fs;
    sg_frameset_init(&fs, p->frames.count);
    sg_frameset_add(&fs, b.frame);
    sg_jbuf_puts(o, "{\"frame\":");
    sg_jbuf_u64(o, b.frame);
    sg_jbuf_puts(o, ",\"self\":");
    sg_jbuf_u64(o, b.self);
    sg_jbuf_puts(o, ",\"total\":");
    sg_jbuf_u64(o, b.total);
    sg_jbuf_puts(o, ",\"calls\":");
    sg_jbuf_u64(o, b.n.nc);
    sg_jbuf_puts(o, ",\"view_total\":");
    sg_jbuf_u64(o, b.total_weight);
    sg_jbuf_puts(o, ",\"from_pstats\":");
    sg_jbuf_bool(o, b.from_pstats);
    sg_jbuf_char(o, ',');
    write_edges(o, "callers", b.callers, b.caller_count, &fs);
    sg_jbuf_char(o, ',');
    write_edges(o, "callees", b.callees, b.callee_count, &fs);
    sg_jbuf_char(o, ',');
    sg_frameset_write(&fs, q->entry, o);
    sg_jbuf_char(o, '}');
    sg_frameset_free(&fs);
    sg_butterfly_free(&b);
    return 0;
}

/*
 * max_nodes: keep the heaviest nodes (the graph's nodes are by total
 * descending, so the first ones), the focus function always among them,
 * and the edges whose both ends stay, renumbered. What goes is counted
 * apart (capped_*) and in dropped_*. A graph of thousands of nodes is
 * not drawable: the default keeps the viewer's layout fast.
 */
static int cap_nodes(sg_cgraph *g, const sg_cgraph_options *o, uint32_t max_nodes,
                     size_t *capped_nodes, size_t *capped_edges)
{
    *capped_nodes = *capped_edges = 0;
    if (max_nodes == 0 || g->node_count <= max_nodes)
        return 0;
    uint32_t *new_index = malloc(g->node_count * sizeof *new_index);
    if (new_index == NULL)
        return SG_PROFILE_ENOMEM;
    size_t focus_at = g->node_count;
    for (size_t i = 0; o->focus && i < g->node_count && focus_at == g->node_count; i++)
        if (g->nodes[i].frame == o->focus_frame)
            focus_at = i;
    /* room for the focus when it is not among the heaviest */
    size_t heaviest = focus_at >= max_nodes && focus_at < g->node_count ? max_nodes - 1 : max_nodes;
    size_t kept = 0;
    for (size_t i = 0; i < g->node_count; i++) {
        bool keep = i < heaviest || i == focus_at;
        new_index[i] = keep ? (uint32_t)kept : UINT32_MAX;
        if (keep)
            g->nodes[kept++] = g->nodes[i];
    }
    *capped_nodes = g->node_count - kept;
    g->node_count = kept;
    size_t ekept = 0;
    for (size_t i = 0; i < g->edge_count; i++) {
        sg_cgraph_edge e = g->edges[i];
        if (new_index[e.caller] == UINT32_MAX || new_index[e.callee] == UINT32_MAX)
            continue;
        e.caller = new_index[e.caller];
        e.callee = new_index[e.callee];
        g->edges[ekept++] = e;
    }
    *capped_edges = g->edge_count - ekept;
    g->edge_count = ekept;
    g->dropped_nodes += *capped_nodes;
    g->dropped_edges += *capped_edges;
    free(new_index);
    return 0;
}

int sg_query_callgraph(sg_query *q)
{
    const sg_profile *p = q->profile;
    sg_cgraph_options o = {.node_fraction = 0.005, .edge_fraction = 0.001, .focus_levels = 2};
    uint32_t max_nodes = SG_CGRAPH_DEFAULT_NODES;
    size_t capped_nodes = 0, capped_edges = 0;
    if (sg_params_double(q->params, "node_fraction", 0, 1, &o.node_fraction, q->err, q->errlen) !=
            0 ||
        sg_params_double(q->params, "edge_fraction", 0, 1, &o.edge_fraction, q->err, q->errlen) !=
            0 ||
        sg_params_u32(q->params, "levels", 1000, &o.focus_levels, q->err, q->errlen) != 0 ||
        sg_params_u32(q->params, "max_nodes", SG_CGRAPH_MAX_NODES, &max_nodes, q->err, q->errlen) !=
            0)
        return 400;
    const char *v = sg_params_get(q->params, "focus");
    if (v != NULL && *v != '\0') {
        uint64_t f;
        if (!sg_parse_u64(v, UINT32_MAX, &f) || f >= p->frames.count)
            return sg_query_fail(
                q, 400, "parameter focus: '%.32s' is not a frame id of this profile (0 to %ld)", v,
                (long)p->frames.count - 1);
        o.focus = true;
        o.focus_frame = (uint32_t)f;
    }
    sg_cgraph g;
    int rc = sg_cgraph_build(q->rv, &o, &g);
    if (rc == 0)
        rc = cap_nodes(&g, &o, max_nodes, &capped_nodes, &capped_edges);
    if (rc != 0) {
        sg_cgraph_free(&g);
        return sg_query_fail(q, rc == SG_PROFILE_EINVAL ? 400 : 500, "call graph: %s",
                             sg_profile_strerror(rc));
    }
    sg_jbuf *out = q->out;
    sg_frameset fs;
    sg_frameset_init(&fs, p->frames.count);
    sg_jbuf_puts(out, "{\"total\":");
    sg_jbuf_u64(out, g.total_weight);
    sg_jbuf_puts(out, ",\"from_pstats\":");
    sg_jbuf_bool(out, g.from_pstats);
    sg_jbuf_puts(out, ",\"nodes\":{");
    static const char *const ncols[] = {"frame", "self", "total", "calls"};
    for (int c = 0; c < 4; c++) {
        sg_jbuf_printf(out, "%s\"%s\":[", c ? "]," : "", ncols[c]);
        for (size_t i = 0; i < g.node_count; i++) {
            const sg_cgraph_node *n = &g.nodes[i];
            if (i)
                sg_jbuf_char(out, ',');
            sg_jbuf_u64(out, c == 0 ? n->frame : c == 1 ? n->self : c == 2 ? n->total : n->calls);
            if (c == 0)
                sg_frameset_add(&fs, n->frame);
        }
    }
    sg_jbuf_puts(out, "]},\"edges\":{");
    static const char *const ecols[] = {"caller", "callee", "weight", "calls"};
    for (int c = 0; c < 4; c++) {
        sg_jbuf_printf(out, "%s\"%s\":[", c ? "]," : "", ecols[c]);
        for (size_t i = 0; i < g.edge_count; i++) {
            const sg_cgraph_edge *e = &g.edges[i];
            if (i)
                sg_jbuf_char(out, ',');
            sg_jbuf_u64(out, c == 0   ? e->caller
                             : c == 1 ? e->callee
                             : c == 2 ? e->weight
                                      : e->calls);
        }
    }
    sg_jbuf_puts(out, "]},\"dropped_nodes\":");
    sg_jbuf_u64(out, g.dropped_nodes);
    sg_jbuf_puts(out, ",\"dropped_edges\":");
    sg_jbuf_u64(out, g.dropped_edges);
    sg_jbuf_puts(out, ",\"max_nodes\":");
    sg_jbuf_u64(out, max_nodes);
    sg_jbuf_puts(out, ",\"capped_nodes\":");
    sg_jbuf_u64(out, capped_nodes);
    sg_jbuf_puts(out, ",\"capped_edges\":");
    sg_jbuf_u64(out, capped_edges);
    sg_jbuf_char(out, ',');
    sg_frameset_write(&fs, q->entry, out);
    sg_jbuf_char(out, '}');
    sg_frameset_free(&fs);
    sg_cgraph_free(&g);
    return 0;
}
