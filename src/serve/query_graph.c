/*
 * query_graph.c — the queries about one function's neighbours and the
 * whole call graph: GET .../butterfly (callers and callees of one frame,
 * butterfly.h) and GET .../callgraph (nodes and edges with thresholds and
 * a focus neighbourhood, call_graph.h), as columns.
 */
#include <stdlib.h>

#include "analyze/butterfly.h"
#include "analyze/call_graph.h"
#include "serve/frameset.h"
#include "serve/query.h"

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

int sg_query_callgraph(sg_query *q)
{
    const sg_profile *p = q->profile;
    sg_cgraph_options o = {.node_fraction = 0.005, .edge_fraction = 0.001, .focus_levels = 2};
    if (sg_params_double(q->params, "node_fraction", 0, 1, &o.node_fraction, q->err, q->errlen) !=
            0 ||
        sg_params_double(q->params, "edge_fraction", 0, 1, &o.edge_fraction, q->err, q->errlen) !=
            0 ||
        sg_params_u32(q->params, "levels", 1000, &o.focus_levels, q->err, q->errlen) != 0)
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
    sg_jbuf_char(out, ',');
    sg_frameset_write(&fs, q->entry, out);
    sg_jbuf_char(out, '}');
    sg_frameset_free(&fs);
    sg_cgraph_free(&g);
    return 0;
}
