/*
 * query_tree.c — GET /api/profiles/{id}/tree: the call tree (top-down or
 * inverted) pruned to a node budget and a pixel width (call_tree.h), as
 * columns: frame, parent, depth, self, total, folded.
 *
 * Profiles without stacks (pstats) get the approximate tree of
 * tree_pstats.h (the view's focus included: F's callees as the edges give
 * them), "approximate": true and "derived_from": "edges".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "analyze/call_tree.h"
#include "serve/frameset.h"
#include "serve/query.h"
#include "serve/tree_pstats.h"

#define SG_TREE_DEFAULT_NODES 5000
#define SG_TREE_MAX_NODES     1000000
#define SG_TREE_DEFAULT_WIDTH 1600
#define SG_TREE_MAX_PATH      100000

int sg_query_fail(sg_query *q, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q->err, q->errlen, fmt, ap);
    va_end(ap);
    return status;
}

/* "f1,f2,..." → frame ids (each < nframes). */
static int parse_path(sg_query *q, uint32_t **path, size_t *len)
{
    *path = NULL;
    *len = 0;
    const char *v = sg_params_get(q->params, "path");
    if (v == NULL || *v == '\0')
        return 0;
    size_t n = 1;
    for (const char *c = v; *c; c++)
        n += *c == ',';
    if (n > SG_TREE_MAX_PATH)
        return sg_query_fail(q, 400, "parameter path: more than %d frames", SG_TREE_MAX_PATH);
    *path = malloc(n * sizeof **path);
    if (*path == NULL)
        return sg_query_fail(q, 500, "out of memory");
    const char *c = v;
    while (*c) {
        char *end;
        if (*c < '0' || *c > '9')
            goto bad;
        unsigned long long f = strtoull(c, &end, 10);
        if (f >= q->profile->frames.count || (*end != ',' && *end != '\0'))
            goto bad;
        (*path)[(*len)++] = (uint32_t)f;
        c = *end == ',' ? end + 1 : end;
    }
    return 0;
bad:
    free(*path);
    *path = NULL;
    return sg_query_fail(q, 400, "parameter path: '%.64s' is not a comma list of frame ids", v);
}

static int sg_tree_budget_params(sg_query *q, uint32_t *max_nodes, uint32_t *width)
{
    *max_nodes = SG_TREE_DEFAULT_NODES;
    *width = SG_TREE_DEFAULT_WIDTH;
    if (sg_params_u32(q->params, "max_nodes", SG_TREE_MAX_NODES, max_nodes, q->err, q->errlen) !=
            0 ||
        sg_params_u32(q->params, "width", 1000000, width, q->err, q->errlen) != 0)
        return 400;
    if (*width == 0)
        return sg_query_fail(q, 400, "parameter width: must be at least 1");
    return 0;
}

static void sg_tree_write(sg_query *q, const sg_call_tree *t, bool approximate)
{
    sg_jbuf *o = q->out;
    sg_frameset fs;
    sg_frameset_init(&fs, q->profile->frames.count);
    sg_jbuf_puts(o, "{\"total\":");
    sg_jbuf_u64(o, t->total_weight);
    sg_jbuf_puts(o, ",\"samples\":");
    sg_jbuf_u64(o, t->total_samples);
    sg_jbuf_puts(o, ",\"inverted\":");
    sg_jbuf_bool(o, t->inverted);
    sg_jbuf_puts(o, ",\"approximate\":");
    sg_jbuf_bool(o, approximate);
    /* pstats has no stacks: say what the tree (and a focus on it) is made of */
    sg_jbuf_puts(o, ",\"derived_from\":");
    sg_jbuf_str(o, approximate ? "edges" : "stacks");
    if (approximate)
        sg_jbuf_puts(o, ",\"note\":\"pstats has no stacks: this tree is rebuilt from "
                        "caller-callee edges, splitting a function's time among its callers in "
                        "proportion\"");
    sg_jbuf_puts(o, ",\"nodes\":{\"frame\":[");
    for (uint32_t i = 0; i < t->count; i++) {
        if (i)
            sg_jbuf_char(o, ',');
        sg_jbuf_i64(o, sg_json_frame(t->nodes[i].frame));
        sg_frameset_add(&fs, t->nodes[i].frame);
    }
    sg_jbuf_puts(o, "],\"parent\":[");
    for (uint32_t i = 0; i < t->count; i++) {
        if (i)
            sg_jbuf_char(o, ',');
        sg_jbuf_i64(o, t->nodes[i].parent == SG_TREE_NONE ? -1 : (int64_t)t->nodes[i].parent);
    }
    sg_jbuf_puts(o, "],\"depth\":[");
    for (uint32_t i = 0; i < t->count; i++) {
        if (i)
            sg_jbuf_char(o, ',');
        sg_jbuf_u64(o, t->nodes[i].depth);
    }
    sg_jbuf_puts(o, "],\"self\":[");
    for (uint32_t i = 0; i < t->count; i++) {
        if (i)
            sg_jbuf_char(o, ',');
        sg_jbuf_u64(o, t->nodes[i].self);
    }
    sg_jbuf_puts(o, "],\"total\":[");
    for (uint32_t i = 0; i < t->count; i++) {
        if (i)
            sg_jbuf_char(o, ',');
        sg_jbuf_u64(o, t->nodes[i].total);
    }
    sg_jbuf_puts(o, "],\"folded\":[");
    for (uint32_t i = 0; i < t->count; i++) {
        if (i)
            sg_jbuf_char(o, ',');
        sg_jbuf_u64(o, t->nodes[i].folded);
    }
    sg_jbuf_puts(o, "]},");
    sg_frameset_write(&fs, q->entry, o);
    sg_jbuf_char(o, '}');
    sg_frameset_free(&fs);
}

int sg_query_tree(sg_query *q)
{
    bool inverted = false;
    uint32_t max_nodes, width;
    if (sg_params_bool(q->params, "inverted", &inverted, q->err, q->errlen) != 0)
        return 400;
    int rc = sg_tree_budget_params(q, &max_nodes, &width);
    if (rc != 0)
        return rc;
    uint32_t *path;
    size_t path_len;
    if ((rc = parse_path(q, &path, &path_len)) != 0)
        return rc;
    sg_call_tree t = {0};
    bool pstats = !sg_callstats_empty(&q->profile->callstats);
    if (pstats) {
        sg_tree_pstats_options o = {inverted, max_nodes, width, q->view->focus,
                                    q->view->focus_frame};
        rc = sg_tree_pstats_build(q->profile, q->rv, &o, path, path_len, &t);
    } else {
        sg_tree_budget budget = {max_nodes, q->rv->total_weight / width};
        rc = sg_call_tree_build(q->rv, inverted, path, path_len, &budget, &t);
    }
    free(path);
    if (rc != 0) {
        sg_call_tree_free(&t);
        return sg_query_fail(q, 500, "building the tree: %s", sg_profile_strerror(rc));
    }
    sg_tree_write(q, &t, pstats);
    sg_call_tree_free(&t);
    return 0;
}
