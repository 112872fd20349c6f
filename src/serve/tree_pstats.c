/*
 * tree_pstats.c — the approximate call tree of a pstats profile
 * (tree_pstats.h). Three steps, none recursive: walk `path` from the root,
 * choose nodes heaviest first with a binary heap, then emit them breadth
 * first with siblings sorted.
 */
#include "serve/tree_pstats.h"

#include <stdlib.h>
#include <string.h>

typedef struct pnode {
    uint32_t frame, parent, depth, folded;
    double share; /* of the function's own numbers that this path holds */
    uint64_t self, total;
} pnode;

typedef struct cand {
    uint64_t total;
    uint32_t parent, frame;
    double share;
} cand;

typedef struct builder {
    const sg_profile *p;
    bool inverted;
    bool focus; /* the virtual root's only child is focus_frame */
    uint32_t focus_frame;
    const sg_callstats *cs;
    uint32_t *start, *row; /* edges grouped by the node's side: caller (top-down) or callee */
    pnode *nodes;
    size_t count, cap;
    cand *heap;
    size_t hcount, hcap;
} builder;

static const sg_call_numbers *numbers(const builder *b, uint32_t frame)
{
    static const sg_call_numbers zero;
    uint32_t r = sg_callstats_find_func(b->cs, frame);
    return r == SG_CALLSTATS_NONE ? &zero : &b->cs->funcs[r].n;
}

static uint64_t node_weight(const builder *b, const sg_call_numbers *n)
{
    return b->inverted ? n->tt_ns : n->ct_ns;
}

static int group_edges(builder *b)
{
    uint32_t nf = b->p->frames.count, ne = b->cs->edge_count;
    b->start = calloc((size_t)nf + 1, sizeof *b->start);
    b->row = malloc(((size_t)ne + 1) * sizeof *b->row);
    if (b->start == NULL || b->row == NULL)
        return SG_PROFILE_ENOMEM;
    for (uint32_t e = 0; e < ne; e++) {
        const sg_callstats_edge *ed = &b->cs->edges[e];
        uint32_t key = b->inverted ? ed->callee : ed->caller;
        if (key < nf)
            b->start[key + 1]++;
    }
    for (uint32_t f = 0; f < nf; f++)
        b->start[f + 1] += b->start[f];
    uint32_t *fill = malloc(((size_t)nf + 1) * sizeof *fill);
    if (fill == NULL)
        return SG_PROFILE_ENOMEM;
    memcpy(fill, b->start, ((size_t)nf + 1) * sizeof *fill);
    for (uint32_t e = 0; e < ne; e++) {
        const sg_callstats_edge *ed = &b->cs->edges[e];
        uint32_t key = b->inverted ? ed->callee : ed->caller;
        if (key < nf)
            b->row[fill[key]++] = e;
    }
    free(fill);
    return 0;
}

static int add_node(builder *b, pnode n)
{
    if (b->count == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        pnode *g = realloc(b->nodes, cap * sizeof *g);
        if (g == NULL)
            return SG_PROFILE_ENOMEM;
        b->nodes = g;
        b->cap = cap;
    }
    b->nodes[b->count++] = n;
    return 0;
}

static int heap_push(builder *b, cand c)
{
    if (b->hcount == b->hcap) {
        size_t cap = b->hcap ? b->hcap * 2 : 256;
        cand *g = realloc(b->heap, cap * sizeof *g);
        if (g == NULL)
            return SG_PROFILE_ENOMEM;
        b->heap = g;
        b->hcap = cap;
    }
    size_t i = b->hcount++;
    b->heap[i] = c;
    while (i > 0 && b->heap[(i - 1) / 2].total < b->heap[i].total) {
        cand t = b->heap[i];
        b->heap[i] = b->heap[(i - 1) / 2];
        b->heap[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
    return 0;
}

static cand heap_pop(builder *b)
{
    cand top = b->heap[0];
    b->heap[0] = b->heap[--b->hcount];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < b->hcount && b->heap[l].total > b->heap[m].total)
            m = l;
        if (r < b->hcount && b->heap[r].total > b->heap[m].total)
            m = r;
        if (m == i)
            break;
        cand t = b->heap[i];
        b->heap[i] = b->heap[m];
        b->heap[m] = t;
        i = m;
    }
    return top;
}

static bool on_path(const builder *b, uint32_t node, uint32_t frame)
{
    for (uint32_t n = node; n != SG_TREE_NONE; n = b->nodes[n].parent)
        if (b->nodes[n].frame == frame)
            return true;
    return false;
}

/* Each child of node: (frame, total, share). Roots of the virtual root:
 * top-down the functions without callers, inverted every function. */
typedef int (*child_fn)(builder *b, uint32_t node, uint32_t frame, uint64_t total, double share,
                        void *ctx);

static int each_child(builder *b, uint32_t node, child_fn fn, void *ctx)
{
    const pnode *n = &b->nodes[node];
    if (n->frame == SG_TREE_ROOT_FRAME && b->focus) {
        uint64_t w = node_weight(b, numbers(b, b->focus_frame));
        return w == 0 ? 0 : fn(b, node, b->focus_frame, w, 1.0, ctx);
    }
    if (n->frame == SG_TREE_ROOT_FRAME) {
        for (uint32_t i = 0; i < b->cs->func_count; i++) {
            const sg_callstats_func *f = &b->cs->funcs[i];
            uint64_t w = node_weight(b, &f->n);
            int rc = fn(b, node, f->frame, w, 1.0, ctx);
            if (rc != 0)
                return rc;
        }
        return 0;
    }
    uint32_t f = n->frame;
    if (f >= b->p->frames.count)
        return 0;
    for (uint32_t k = b->start[f]; k < b->start[f + 1]; k++) {
        const sg_callstats_edge *ed = &b->cs->edges[b->row[k]];
        uint32_t g = b->inverted ? ed->caller : ed->callee;
        if (g == f || on_path(b, node, g))
            continue;
        uint64_t ew = b->inverted ? ed->n.tt_ns : ed->n.ct_ns;
        uint64_t total = (uint64_t)((double)ew * n->share);
        uint64_t gw = node_weight(b, numbers(b, g));
        double share = gw > 0 ? (double)total / (double)gw : 0.0;
        int rc = fn(b, node, g, total, share > 1.0 ? 1.0 : share, ctx);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static pnode make_node(const builder *b, uint32_t parent, uint32_t frame, uint64_t total,
                       double share)
{
    const sg_call_numbers *n = numbers(b, frame);
    uint64_t self = b->inverted ? total : (uint64_t)((double)n->tt_ns * share);
    return (pnode){frame, parent, b->nodes[parent].depth + 1, 0, share, self > total ? total : self,
                   total};
}

static int push_child(builder *b, uint32_t node, uint32_t frame, uint64_t total, double share,
                      void *ctx)
{
    (void)ctx;
    return total == 0 ? 0 : heap_push(b, (cand){total, node, frame, share});
}

typedef struct find_ctx {
    uint32_t want;
    bool found;
    uint64_t total;
    double share;
} find_ctx;

static int find_child(builder *b, uint32_t node, uint32_t frame, uint64_t total, double share,
                      void *ctx)
{
    (void)b, (void)node;
    find_ctx *f = ctx;
    if (frame == f->want && !f->found) {
        f->found = true;
        f->total = total;
        f->share = share;
    }
    return 0;
}

/* Roots of a top-down tree are the functions with no caller edge: mark
 * them once (each_child's root case is then a filter on this mask). */
static int root_mask(builder *b, bool **mask)
{
    *mask = calloc((size_t)b->p->frames.count + 1, sizeof **mask);
    if (*mask == NULL)
        return SG_PROFILE_ENOMEM;
    for (uint32_t e = 0; e < b->cs->edge_count; e++)
        if (b->cs->edges[e].callee < b->p->frames.count &&
            b->cs->edges[e].caller != b->cs->edges[e].callee)
            (*mask)[b->cs->edges[e].callee] = true; /* called: not a root */
    return 0;
}

typedef struct root_ctx {
    const bool *called;
    child_fn inner;
    void *inner_ctx;
} root_ctx;

static int root_filter(builder *b, uint32_t node, uint32_t frame, uint64_t total, double share,
                       void *ctx)
{
    root_ctx *r = ctx;
    if (!b->inverted && !b->focus && frame < b->p->frames.count && r->called[frame])
        return 0;
    return r->inner(b, node, frame, total, share, r->inner_ctx);
}

static int children(builder *b, uint32_t node, const bool *called, child_fn fn, void *ctx)
{
    if (b->nodes[node].frame != SG_TREE_ROOT_FRAME)
        return each_child(b, node, fn, ctx);
    root_ctx r = {called, fn, ctx};
    return each_child(b, node, root_filter, &r);
}

/* Siblings by total descending, "other" last, then frame. */
static int cmp_sibling(const void *pa, const void *pb, void *ctx)
{
    const pnode *nodes = ctx;
    const pnode *a = &nodes[*(const uint32_t *)pa], *b = &nodes[*(const uint32_t *)pb];
    bool oa = a->frame == SG_TREE_OTHER_FRAME, ob = b->frame == SG_TREE_OTHER_FRAME;
    if (oa != ob)
        return oa ? 1 : -1;
    if (a->total != b->total)
        return a->total > b->total ? -1 : 1;
    return a->frame < b->frame ? -1 : a->frame > b->frame;
}

static int emit(builder *b, sg_call_tree *out)
{
    size_t n = b->count;
    uint32_t *nchild = calloc(n + 1, sizeof *nchild), *first = calloc(n + 1, sizeof *first);
    uint32_t *kids = malloc((n + 1) * sizeof *kids), *order = malloc((n + 1) * sizeof *order);
    uint32_t *newidx = malloc((n + 1) * sizeof *newidx);
    out->nodes = calloc(n + 1, sizeof *out->nodes);
    if (!nchild || !first || !kids || !order || !newidx || !out->nodes) {
        free(nchild), free(first), free(kids), free(order), free(newidx);
        return SG_PROFILE_ENOMEM;
    }
    for (size_t i = 1; i < n; i++)
        nchild[b->nodes[i].parent]++;
    for (size_t i = 0, acc = 0; i < n; i++) {
        first[i] = (uint32_t)acc;
        acc += nchild[i];
        nchild[i] = 0;
    }
    for (size_t i = 1; i < n; i++) {
        uint32_t par = b->nodes[i].parent;
        kids[first[par] + nchild[par]++] = (uint32_t)i;
    }
    for (size_t i = 0; i < n; i++)
        qsort_r(kids + first[i], nchild[i], sizeof *kids, cmp_sibling, b->nodes);
    /* breadth first: order[] is the output order */
    size_t head = 0, tail = 0;
    order[tail++] = 0;
    while (head < tail) {
        uint32_t v = order[head++];
        for (uint32_t k = 0; k < nchild[v]; k++)
            order[tail++] = kids[first[v] + k];
    }
    for (size_t i = 0; i < n; i++)
        newidx[order[i]] = (uint32_t)i;
    for (size_t i = 0; i < n; i++) {
        const pnode *s = &b->nodes[order[i]];
        sg_tree_node *d = &out->nodes[i];
        d->frame = s->frame;
        d->parent = i == 0 ? SG_TREE_NONE : newidx[s->parent];
        d->depth = s->depth;
        d->folded = s->folded;
        d->self = s->self;
        d->total = s->total;
        d->child_count = nchild[order[i]];
        d->first_child = nchild[order[i]] ? newidx[kids[first[order[i]]]] : 0;
    }
    out->count = (uint32_t)n;
    free(nchild), free(first), free(kids), free(order), free(newidx);
    return 0;
}

int sg_tree_pstats_build(const sg_profile *p, const sg_view_resolved *rv,
                         const sg_tree_pstats_options *o, const uint32_t *path, size_t path_len,
                         sg_call_tree *out)
{
    memset(out, 0, sizeof *out);
    out->inverted = o->inverted;
    builder b = {.p = p,
                 .inverted = o->inverted,
                 .focus = o->focus && o->focus_frame < p->frames.count,
                 .focus_frame = o->focus_frame,
                 .cs = &p->callstats};
    bool *called = NULL;
    int rc = group_edges(&b);
    if (rc == 0)
        rc = root_mask(&b, &called);
    uint64_t total = 0;
    if (b.focus) /* the focus function is the 100 % */
        total = node_weight(&b, numbers(&b, b.focus_frame));
    else
        for (uint32_t i = 0; i < b.cs->func_count; i++)
            total += b.cs->funcs[i].n.tt_ns;
    /* a thread set that keeps nothing empties the tree (call stats have no threads) */
    if (rv != NULL && rv->threads != NULL) {
        bool any = false;
        for (uint32_t t = 0; t < p->threads.count && !any; t++)
            any = rv->threads[t];
        if (!any && p->threads.count > 0)
            total = 0;
    }
    out->total_weight = total;
    if (rc == 0)
        rc = add_node(&b, (pnode){SG_TREE_ROOT_FRAME, SG_TREE_NONE, 0, 0, 1.0, 0, total});
    /* walk the path: the node at its end becomes the root */
    for (size_t i = 0; rc == 0 && i < path_len && total > 0; i++) {
        find_ctx f = {path[i], false, 0, 0};
        rc = children(&b, (uint32_t)(b.count - 1), called, find_child, &f);
        if (rc == 0 && !f.found) {
            b.count = 0;
            break;
        }
        if (rc == 0) {
            pnode n = make_node(&b, (uint32_t)(b.count - 1), path[i], f.total, f.share);
            n.parent = SG_TREE_NONE;
            b.nodes[0] = n;
        }
    }
    uint32_t max_nodes = o->max_nodes ? o->max_nodes : UINT32_MAX;
    uint64_t min_weight = o->width ? total / o->width : 0;
    if (rc == 0 && b.count == 1 && total > 0) {
        if (path_len == 0)
            b.nodes[0].self = 0;
        rc = children(&b, 0, called, push_child, NULL);
        /* leave room for "other" nodes: at most one per chosen parent */
        uint32_t choose = max_nodes > 4 ? max_nodes - max_nodes / 4 : max_nodes;
        while (rc == 0 && b.hcount > 0 && b.count < choose) {
            if (b.heap[0].total < min_weight || b.heap[0].total == 0)
                break;
            cand c = heap_pop(&b);
            rc = add_node(&b, make_node(&b, c.parent, c.frame, c.total, c.share));
            if (rc == 0)
                rc = children(&b, (uint32_t)(b.count - 1), called, push_child, NULL);
        }
        /* fold what is left into one "other" per parent */
        uint32_t *other = NULL;
        if (rc == 0 && b.hcount > 0) {
            size_t chosen = b.count;
            other = malloc(chosen * sizeof *other);
            if (other == NULL)
                rc = SG_PROFILE_ENOMEM;
            for (size_t i = 0; rc == 0 && i < chosen; i++)
                other[i] = SG_TREE_NONE;
            for (size_t k = 0; rc == 0 && k < b.hcount; k++) {
                const cand *c = &b.heap[k];
                if (other[c->parent] == SG_TREE_NONE) {
                    pnode n = {
                        SG_TREE_OTHER_FRAME, c->parent, b.nodes[c->parent].depth + 1, 0, 0, 0, 0};
                    rc = add_node(&b, n);
                    other[c->parent] = (uint32_t)(b.count - 1);
                }
                if (rc == 0) {
                    pnode *n = &b.nodes[other[c->parent]];
                    n->folded++;
                    n->total += c->total;
                    n->self += c->total;
                }
            }
        }
        free(other);
    }
    if (rc == 0 && b.count > 0)
        rc = emit(&b, out);
    if (rc == 0)
        out->total_weight = total;
    free(b.start);
    free(b.row);
    free(b.nodes);
    free(b.heap);
    free(called);
    return rc;
}
