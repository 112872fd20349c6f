/*
 * call_graph.c — functions and caller → callee edges of a view (see
 * call_graph.h).
 *
 * Everything is gathered per frame first (self, total, calls, present)
 * plus a list of distinct edges keyed by (caller frame, callee frame); the
 * focus walk, the thresholds and the sort then only touch those arrays.
 * Sampled numbers come from two stack_forest passes over the view's
 * transformed stack rows: one keyed by the row's frame (node totals), one
 * keyed by the row's (parent frame, frame) edge (edge weights), so both
 * are once per sample by construction.
 */
#include "analyze/call_graph.h"

#include <stdlib.h>
#include <string.h>

#include "analyze/radix_sort.h"
#include "profile/hash.h"
#include "profile/sort.h"
#include "profile/stack_forest.h"

#define UNSET UINT32_MAX

/* Per-frame and per-edge sums before selection. */
typedef struct gather {
    uint32_t nframes;
    uint64_t *self, *total, *calls; /* per frame */
    bool *present;                  /* per frame: the function is in the graph */
    uint32_t *caller, *callee;      /* per edge: frame ids */
    uint64_t *weight, *ecalls;      /* per edge */
    uint32_t nedges, cap;
    uint64_t *slots; /* (caller, callee) → edge index */
    uint32_t mask;
} gather;

static void gather_free(gather *g)
{
    free(g->self);
    free(g->total);
    free(g->calls);
    free(g->present);
    free(g->caller);
    free(g->callee);
    free(g->weight);
    free(g->ecalls);
    free(g->slots);
}

static int gather_init(gather *g, uint32_t nframes)
{
    memset(g, 0, sizeof *g);
    g->nframes = nframes;
    g->self = calloc((size_t)nframes + 1, sizeof *g->self);
    g->total = calloc((size_t)nframes + 1, sizeof *g->total);
    g->calls = calloc((size_t)nframes + 1, sizeof *g->calls);
    g->present = calloc((size_t)nframes + 1, sizeof *g->present);
    if (g->self == NULL || g->total == NULL || g->calls == NULL || g->present == NULL)
        return SG_PROFILE_ENOMEM;
    return SG_PROFILE_OK;
}

/* A new edge caller → callee (zero weight) at index *out; `indexed`
 * also enters it in the hash index (callers that know it is new and never
 * look it up again skip that). */
static int edge_append(gather *g, uint32_t caller, uint32_t callee, uint32_t hash, bool indexed,
                       uint32_t *out)
{
    int rc = indexed ? sg_hash_index_reserve(&g->slots, &g->mask, g->nedges) : SG_PROFILE_OK;
    if (rc != 0)
        return rc;
    if (g->nedges == g->cap) {
        uint32_t cap = g->cap == 0 ? 1024 : g->cap * 2;
        if (cap <= g->cap || cap > SG_HASH_MAX_ROWS)
            return SG_PROFILE_ELIMIT;
        uint32_t *a = realloc(g->caller, (size_t)cap * sizeof *a);
        if (a == NULL)
            return SG_PROFILE_ENOMEM;
        g->caller = a;
        uint32_t *b = realloc(g->callee, (size_t)cap * sizeof *b);
        if (b == NULL)
            return SG_PROFILE_ENOMEM;
        g->callee = b;
        uint64_t *w = realloc(g->weight, (size_t)cap * sizeof *w);
        if (w == NULL)
            return SG_PROFILE_ENOMEM;
        g->weight = w;
        uint64_t *c = realloc(g->ecalls, (size_t)cap * sizeof *c);
        if (c == NULL)
            return SG_PROFILE_ENOMEM;
        g->ecalls = c;
        g->cap = cap;
    }
    uint32_t e = g->nedges++;
    g->caller[e] = caller;
    g->callee[e] = callee;
    g->weight[e] = 0;
    g->ecalls[e] = 0;
    if (indexed)
        sg_hash_index_insert(g->slots, g->mask, hash, e);
    *out = e;
    return SG_PROFILE_OK;
}

/* The index of edge caller → callee, adding it (zero weight) if new. */
static int edge_intern(gather *g, uint32_t caller, uint32_t callee, uint32_t *out)
{
    uint32_t hash = sg_hash_u32x3(caller, callee, 0xed6e);
    if (g->slots != NULL) {
        for (uint32_t j = hash & g->mask; g->slots[j] != SG_HASH_EMPTY_SLOT;
             j = (j + 1) & g->mask) {
            uint32_t e = sg_hash_slot_id(g->slots[j]);
            if (sg_hash_slot_hash(g->slots[j]) == hash && g->caller[e] == caller &&
                g->callee[e] == callee) {
                *out = e;
                return SG_PROFILE_OK;
            }
        }
    }
    return edge_append(g, caller, callee, hash, true, out);
}

/*
 * row_key[r] = the edge (caller frame → frame) of row r, numbering the
 * distinct edges without a hash: the rows are bucketed by caller frame
 * (a counting sort that carries each row's callee), and within a bucket a
 * per-frame stamp says whether that callee has its edge yet. Every access
 * is sequential or into per-frame arrays, where a hash of the pair would
 * miss the cache on every row.
 */
static int edge_keys(const sg_stacks *st, gather *g, uint32_t *row_key)
{
    uint32_t n = st->count, nf = g->nframes;
    uint32_t *start = calloc((size_t)nf + 2, sizeof *start);
    uint32_t *stamp = malloc(((size_t)nf + 1) * sizeof *stamp);
    uint32_t *edge = malloc(((size_t)nf + 1) * sizeof *edge);
    uint64_t *bucket = malloc(((size_t)n + 1) * sizeof *bucket); /* row << 32 | callee */
    int rc = SG_PROFILE_ENOMEM;
    if (start == NULL || stamp == NULL || edge == NULL || bucket == NULL)
        goto out;
    for (uint32_t r = 0; r < n; r++) {
        const sg_stack_row *row = &st->rows[r];
        row_key[r] = SG_FOREST_NO_KEY;
        if (row->parent == SG_STACK_NONE || g->total[row->frame] == 0)
            continue;
        uint32_t caller = st->rows[row->parent].frame;
        if (caller != row->frame)
            start[caller + 2]++;
    }
    for (uint32_t f = 0; f < nf; f++)
        start[f + 2] += start[f + 1];
    for (uint32_t r = 0; r < n; r++) { /* start[f + 1] is the write position of bucket f */
        const sg_stack_row *row = &st->rows[r];
        if (row->parent == SG_STACK_NONE || g->total[row->frame] == 0)
            continue;
        uint32_t caller = st->rows[row->parent].frame;
        if (caller != row->frame)
            bucket[start[caller + 1]++] = (uint64_t)r << 32 | row->frame;
    }
    for (uint32_t f = 0; f < nf; f++)
        stamp[f] = UNSET;
    rc = SG_PROFILE_OK;
    for (uint32_t caller = 0; caller < nf && rc == 0; caller++)
        for (uint32_t i = start[caller]; i < start[caller + 1] && rc == 0; i++) {
            uint32_t callee = (uint32_t)bucket[i], r = (uint32_t)(bucket[i] >> 32);
            if (stamp[callee] != caller) {
                stamp[callee] = caller;
                rc = edge_append(g, caller, callee, 0, false, &edge[callee]);
            }
            row_key[r] = edge[callee];
        }
out:
    free(start);
    free(stamp);
    free(edge);
    free(bucket);
    return rc;
}

/* Sampled: node and edge sums from the view's per-row weights. */
static int gather_sampled(const sg_view_resolved *v, gather *g)
{
    const sg_stacks *st = v->stacks;
    uint32_t n = st->count;
    uint32_t *row_key = malloc(((size_t)n + 1) * sizeof *row_key);
    if (row_key == NULL)
        return SG_PROFILE_ENOMEM;
    int rc = SG_PROFILE_OK;
    /* nodes: key = frame */
    for (uint32_t r = 0; r < n; r++) {
        row_key[r] = st->rows[r].frame;
        g->self[st->rows[r].frame] += v->row_weight[r];
    }
    const uint64_t *self[1] = {v->row_weight};
    uint64_t *total[1] = {g->total};
    rc = sg_stack_forest_totals(st, row_key, g->nframes, 1, self, total);
    /* edges: key = (parent's frame, frame), none for a root or a self-call;
     * rows under no weight need no key (the forest skips them anyway) */
    if (rc == 0)
        rc = edge_keys(st, g, row_key);
    if (rc == 0 && g->nedges > 0) {
        total[0] = g->weight;
        rc = sg_stack_forest_totals(st, row_key, g->nedges, 1, self, total);
    }
    for (uint32_t f = 0; f < g->nframes; f++)
        g->present[f] = g->total[f] != 0;
    free(row_key);
    return rc;
}

/* Call statistics: exact numbers, self-edges folded. */
static int gather_callstats(const sg_profile *p, gather *g, uint64_t *total_weight)
{
    const sg_callstats *cs = &p->callstats;
    *total_weight = 0;
    for (uint32_t i = 0; i < cs->func_count; i++) {
        const sg_callstats_func *fn = &cs->funcs[i];
        if (fn->frame >= g->nframes)
            return SG_PROFILE_EINVAL;
        g->self[fn->frame] = fn->n.tt_ns;
        g->total[fn->frame] = fn->n.ct_ns;
        g->calls[fn->frame] = fn->n.nc;
        g->present[fn->frame] = true;
        *total_weight += fn->n.tt_ns;
    }
    for (uint32_t i = 0; i < cs->edge_count; i++) {
        const sg_callstats_edge *ed = &cs->edges[i];
        if (ed->caller >= g->nframes || ed->callee >= g->nframes)
            return SG_PROFILE_EINVAL;
        if (ed->caller == ed->callee)
            continue;
        uint32_t e;
        int rc = edge_intern(g, ed->caller, ed->callee, &e);
        if (rc != 0)
            return rc;
        g->weight[e] = ed->n.ct_ns;
        g->ecalls[e] = ed->n.nc;
        g->present[ed->caller] = g->present[ed->callee] = true;
    }
    return SG_PROFILE_OK;
}

/* Keep only the frames at most `levels` edges from `focus` (either
 * direction): a breadth-first walk over an undirected CSR adjacency. */
static int focus_filter(gather *g, uint32_t focus, uint32_t levels)
{
    uint32_t nf = g->nframes;
    uint32_t *start = calloc((size_t)nf + 2, sizeof *start);
    uint32_t *adj = malloc(2 * ((size_t)g->nedges + 1) * sizeof *adj);
    uint32_t *dist = malloc(((size_t)nf + 1) * sizeof *dist);
    uint32_t *queue = malloc(((size_t)nf + 1) * sizeof *queue);
    int rc = SG_PROFILE_ENOMEM;
    if (start == NULL || adj == NULL || dist == NULL || queue == NULL)
        goto out;
    for (uint32_t e = 0; e < g->nedges; e++) {
        if (g->weight[e] == 0 && g->ecalls[e] == 0)
            continue; /* a pair seen only under rows without samples: no edge */
        start[g->caller[e] + 2]++;
        start[g->callee[e] + 2]++;
    }
    for (uint32_t f = 0; f < nf; f++)
        start[f + 2] += start[f + 1];
    for (uint32_t e = 0; e < g->nedges; e++) {
        if (g->weight[e] == 0 && g->ecalls[e] == 0)
            continue;
        adj[start[g->caller[e] + 1]++] = g->callee[e];
        adj[start[g->callee[e] + 1]++] = g->caller[e];
    }
    /* now adj[start[f] .. start[f + 1]) are f's neighbours */
    for (uint32_t f = 0; f < nf; f++)
        dist[f] = UNSET;
    size_t head = 0, tail = 0;
    dist[focus] = 0;
    queue[tail++] = focus;
    while (head < tail) {
        uint32_t f = queue[head++];
        if (dist[f] == levels)
            continue;
        for (uint32_t k = start[f]; k < start[f + 1]; k++)
            if (dist[adj[k]] == UNSET) {
                dist[adj[k]] = dist[f] + 1;
                queue[tail++] = adj[k];
            }
    }
    for (uint32_t f = 0; f < nf; f++)
        if (dist[f] == UNSET)
            g->present[f] = false;
    rc = SG_PROFILE_OK;
out:
    free(start);
    free(adj);
    free(dist);
    free(queue);
    return rc;
}

static bool at_least(uint64_t value, double fraction, uint64_t whole)
{
    return fraction <= 0 || (double)value >= fraction * (double)whole;
}

static int compare_nodes(uint32_t a, uint32_t b, const void *ctx)
{
    const gather *g = ctx;
    if (g->total[a] != g->total[b])
        return g->total[a] > g->total[b] ? -1 : 1;
    if (g->self[a] != g->self[b])
        return g->self[a] > g->self[b] ? -1 : 1;
    return (a > b) - (a < b);
}

typedef struct edge_order {
    const gather *g;
    const uint32_t *node_of; /* frame → output node index */
} edge_order;

static int compare_edges(uint32_t a, uint32_t b, const void *ctx)
{
    const edge_order *o = ctx;
    const gather *g = o->g;
    if (g->weight[a] != g->weight[b])
        return g->weight[a] > g->weight[b] ? -1 : 1;
    uint32_t ca = o->node_of[g->caller[a]], cb = o->node_of[g->caller[b]];
    if (ca != cb)
        return ca < cb ? -1 : 1;
    uint32_t ea = o->node_of[g->callee[a]], eb = o->node_of[g->callee[b]];
    return (ea > eb) - (ea < eb);
}

/*
 * The edges order[0, m) in output order (compare_edges). When the whole
 * order fits in 64 bits — (heaviest - weight), caller node, callee node,
 * which name the edge by themselves — those keys are radix sorted: the
 * graph of a large profile has a million edges, and n log n indirect
 * comparisons of them cost more than building the rest of the graph.
 */
static int sort_edges(const gather *g, const uint32_t *node_of, uint32_t nodes, uint32_t *order,
                      uint32_t m, const edge_order *ctx)
{
    uint64_t heaviest = 0;
    for (uint32_t i = 0; i < m; i++)
        if (g->weight[order[i]] > heaviest)
            heaviest = g->weight[order[i]];
    unsigned nb = sg_bits_of(nodes), wb = sg_bits_of(heaviest);
    if (m < 2 || wb + 2 * nb > 64)
        return sg_sort_u32(order, m, compare_edges, ctx);
    uint64_t *keys = malloc((size_t)m * sizeof *keys);
    if (keys == NULL)
        return SG_PROFILE_ENOMEM;
    for (uint32_t i = 0; i < m; i++) {
        uint32_t e = order[i];
        keys[i] = (heaviest - g->weight[e]) << (2 * nb) | (uint64_t)node_of[g->caller[e]] << nb |
                  node_of[g->callee[e]];
    }
    int rc = sg_radix_sort_u64(keys, order, m);
    free(keys);
    return rc;
}

/* Thresholds, then the sorted output arrays. */
static int select_and_emit(gather *g, const sg_cgraph_options *o, sg_cgraph *out)
{
    uint32_t nf = g->nframes;
    uint32_t *order = malloc(((size_t)nf + g->nedges + 1) * sizeof *order);
    uint32_t *node_of = malloc(((size_t)nf + 1) * sizeof *node_of);
    int rc = SG_PROFILE_ENOMEM;
    if (order == NULL || node_of == NULL)
        goto out;
    uint32_t n = 0;
    size_t listed = 0;
    for (uint32_t f = 0; f < nf; f++) {
        node_of[f] = UNSET;
        if (!g->present[f])
            continue;
        listed++;
        if ((o->focus && f == o->focus_frame) ||
            at_least(g->total[f], o->node_fraction, out->total_weight))
            order[n++] = f;
    }
    out->dropped_nodes = listed - n;
    if ((rc = sg_sort_u32(order, n, compare_nodes, g)) != 0)
        goto out;
    out->nodes = malloc(((size_t)n + 1) * sizeof *out->nodes);
    if (out->nodes == NULL) {
        rc = SG_PROFILE_ENOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t f = order[i];
        node_of[f] = i;
        out->nodes[i] = (sg_cgraph_node){f, g->self[f], g->total[f], g->calls[f]};
    }
    out->node_count = n;
    uint32_t m = 0;
    size_t candidates = 0;
    for (uint32_t e = 0; e < g->nedges; e++) {
        if (!g->present[g->caller[e]] || !g->present[g->callee[e]] ||
            (g->weight[e] == 0 && g->ecalls[e] == 0))
            continue;
        candidates++;
        if (node_of[g->caller[e]] != UNSET && node_of[g->callee[e]] != UNSET &&
            at_least(g->weight[e], o->edge_fraction, out->total_weight))
            order[m++] = e;
    }
    out->dropped_edges = candidates - m;
    edge_order ctx = {g, node_of};
    if ((rc = sort_edges(g, node_of, n, order, m, &ctx)) != 0)
        goto out;
    out->edges = malloc(((size_t)m + 1) * sizeof *out->edges);
    if (out->edges == NULL) {
        rc = SG_PROFILE_ENOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < m; i++) {
        uint32_t e = order[i];
        out->edges[i] = (sg_cgraph_edge){node_of[g->caller[e]], node_of[g->callee[e]], g->weight[e],
                                         g->ecalls[e]};
    }
    out->edge_count = m;
out:
    free(order);
    free(node_of);
    return rc;
}

int sg_cgraph_build(const sg_view_resolved *v, const sg_cgraph_options *o, sg_cgraph *out)
{
    memset(out, 0, sizeof *out);
    const sg_profile *p = v->profile;
    if (!(o->node_fraction >= 0 && o->node_fraction <= 1) ||
        !(o->edge_fraction >= 0 && o->edge_fraction <= 1) ||
        (o->focus && o->focus_frame >= p->frames.count))
        return SG_PROFILE_EINVAL;
    gather g;
    int rc = gather_init(&g, p->frames.count);
    if (rc == 0 && !sg_callstats_empty(&p->callstats)) {
        out->from_pstats = true;
        bool any = v->threads == NULL;
        for (uint32_t t = 0; !any && t < p->threads.count; t++)
            any = v->threads[t];
        if (any)
            rc = gather_callstats(p, &g, &out->total_weight);
    } else if (rc == 0) {
        out->total_weight = v->total_weight;
        rc = gather_sampled(v, &g);
    }
    if (rc == 0 && o->focus)
        rc = focus_filter(&g, o->focus_frame, o->focus_levels);
    if (rc == 0)
        rc = select_and_emit(&g, o, out);
    gather_free(&g);
    if (rc != 0)
        sg_cgraph_free(out);
    return rc;
}

void sg_cgraph_free(sg_cgraph *g)
{
    free(g->nodes);
    free(g->edges);
    memset(g, 0, sizeof *g);
}
