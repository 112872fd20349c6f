/*
 * butterfly.c — callers and callees of one function (see butterfly.h).
 *
 * Sampled: every transformed stack row that is an occurrence of F (its
 * caller pair C → F) or a call made by F (F → D) gets the pair as its key,
 * and stack_forest's once-per-sample inclusive sums give each pair's
 * weight; total(F) is one forward pass marking the rows below an
 * occurrence. Linear in stack rows, never in samples.
 * pstats: the function's edge rows, through the index or one scan.
 */
#include "analyze/butterfly.h"

#include <stdlib.h>
#include <string.h>

#include "profile/stack_forest.h"

#define UNSET UINT32_MAX

static int heavier_first(const void *x, const void *y)
{
    const sg_bfly_edge *a = x, *b = y;
    if (a->weight != b->weight)
        return a->weight > b->weight ? -1 : 1;
    return (a->frame > b->frame) - (a->frame < b->frame);
}

int sg_bfly_index_build(const sg_profile *p, sg_bfly_index *out)
{
    memset(out, 0, sizeof *out);
    const sg_callstats *cs = &p->callstats;
    uint32_t nf = p->frames.count;
    out->nframes = nf;
    for (uint32_t i = 0; i < cs->func_count; i++)
        out->total_tt += cs->funcs[i].n.tt_ns;
    int rc = sg_callstats_callers_build(cs, nf, &out->by_callee);
    if (rc != 0)
        return rc;
    out->callee_start = calloc((size_t)nf + 2, sizeof *out->callee_start);
    out->callee_row = malloc(((size_t)cs->edge_count + 1) * sizeof *out->callee_row);
    if (out->callee_start == NULL || out->callee_row == NULL)
        return SG_PROFILE_ENOMEM;
    for (uint32_t e = 0; e < cs->edge_count; e++)
        out->callee_start[cs->edges[e].caller + 1]++; /* callers_build checked the ids */
    for (uint32_t f = 0; f < nf; f++)
        out->callee_start[f + 1] += out->callee_start[f];
    for (uint32_t e = 0; e < cs->edge_count; e++)
        out->callee_row[out->callee_start[cs->edges[e].caller]++] = e;
    for (uint32_t f = nf; f > 0; f--)
        out->callee_start[f] = out->callee_start[f - 1];
    out->callee_start[0] = 0;
    return SG_PROFILE_OK;
}

void sg_bfly_index_free(sg_bfly_index *x)
{
    sg_callstats_callers_free(&x->by_callee);
    free(x->callee_start);
    free(x->callee_row);
    memset(x, 0, sizeof *x);
}

static sg_bfly_edge edge_of(const sg_callstats_edge *e, uint32_t other)
{
    return (sg_bfly_edge){.frame = other, .flags = e->flags, .weight = e->n.ct_ns, .n = e->n};
}

static int pstats_butterfly(const sg_profile *p, const sg_bfly_index *x, uint32_t f,
                            sg_butterfly *out)
{
    const sg_callstats *cs = &p->callstats;
    out->from_pstats = true;
    uint32_t row = sg_callstats_find_func(cs, f);
    if (row != SG_CALLSTATS_NONE) {
        out->n = cs->funcs[row].n;
        out->self = out->n.tt_ns;
        out->total = out->n.ct_ns;
    }
    uint32_t ncallers = 0, ncallees = 0;
    if (x != NULL && x->nframes == p->frames.count) {
        out->total_weight = x->total_tt;
        ncallers = x->by_callee.start[f + 1] - x->by_callee.start[f];
        ncallees = x->callee_start[f + 1] - x->callee_start[f];
    } else {
        x = NULL;
        for (uint32_t i = 0; i < cs->func_count; i++)
            out->total_weight += cs->funcs[i].n.tt_ns;
        for (uint32_t e = 0; e < cs->edge_count; e++) {
            ncallers += cs->edges[e].callee == f;
            ncallees += cs->edges[e].caller == f;
        }
    }
    out->callers = malloc(((size_t)ncallers + 1) * sizeof *out->callers);
    out->callees = malloc(((size_t)ncallees + 1) * sizeof *out->callees);
    if (out->callers == NULL || out->callees == NULL)
        return SG_PROFILE_ENOMEM;
    if (x != NULL) {
        for (uint32_t i = x->by_callee.start[f]; i < x->by_callee.start[f + 1]; i++) {
            const sg_callstats_edge *e = &cs->edges[x->by_callee.row[i]];
            out->callers[out->caller_count++] = edge_of(e, e->caller);
        }
        for (uint32_t i = x->callee_start[f]; i < x->callee_start[f + 1]; i++) {
            const sg_callstats_edge *e = &cs->edges[x->callee_row[i]];
            out->callees[out->callee_count++] = edge_of(e, e->callee);
        }
    } else {
        for (uint32_t i = 0; i < cs->edge_count; i++) {
            const sg_callstats_edge *e = &cs->edges[i];
            if (e->callee == f)
                out->callers[out->caller_count++] = edge_of(e, e->caller);
            if (e->caller == f)
                out->callees[out->callee_count++] = edge_of(e, e->callee);
        }
    }
    return SG_PROFILE_OK;
}

/* Per frame: the compact key of the pair (frame → F) or (F → frame). */
typedef struct pair_keys {
    uint32_t *caller, *callee; /* frames + 1 entries (caller[nf] = root) */
    uint32_t *frame_of;        /* per key: the other frame */
    bool *is_callee;           /* per key */
    uint32_t count;
} pair_keys;

static uint32_t key_of(pair_keys *k, uint32_t *slot, uint32_t frame, bool callee)
{
    if (*slot == UNSET) {
        *slot = k->count;
        k->frame_of[k->count] = frame;
        k->is_callee[k->count] = callee;
        k->count++;
    }
    return *slot;
}

static int sampled_butterfly(const sg_view_resolved *rv, uint32_t f, sg_butterfly *out)
{
    const sg_stacks *st = rv->stacks;
    uint32_t m = st->count, nf = rv->profile->frames.count;
    out->total_weight = rv->total_weight;
    pair_keys k = {0};
    k.caller = malloc(((size_t)nf + 2) * sizeof *k.caller);
    k.callee = malloc(((size_t)nf + 2) * sizeof *k.callee);
    k.frame_of = malloc(((size_t)m + 1) * sizeof *k.frame_of);
    k.is_callee = malloc(((size_t)m + 1) * sizeof *k.is_callee);
    uint32_t *row_key = malloc(((size_t)m + 1) * sizeof *row_key);
    bool *below = malloc(((size_t)m + 1) * sizeof *below);
    uint64_t *total = NULL;
    int rc = SG_PROFILE_ENOMEM;
    if (k.caller == NULL || k.callee == NULL || k.frame_of == NULL || k.is_callee == NULL ||
        row_key == NULL || below == NULL)
        goto out;
    for (uint32_t i = 0; i <= nf; i++)
        k.caller[i] = k.callee[i] = UNSET;
    for (uint32_t r = 0; r < m; r++) {
        const sg_stack_row *row = &st->rows[r];
        uint32_t pf = row->parent == SG_STACK_NONE ? nf : st->rows[row->parent].frame;
        below[r] = row->frame == f || (row->parent != SG_STACK_NONE && below[row->parent]);
        if (below[r])
            out->total += rv->row_weight[r];
        row_key[r] = SG_FOREST_NO_KEY;
        if (row->frame == f) {
            out->self += rv->row_weight[r];
            row_key[r] = key_of(&k, &k.caller[pf], pf == nf ? SG_BFLY_ROOT : pf, false);
        } else if (pf == f) {
            row_key[r] = key_of(&k, &k.callee[row->frame], row->frame, true);
        }
    }
    total = calloc((size_t)k.count + 1, sizeof *total);
    if (total == NULL)
        goto out;
    const uint64_t *self[1] = {rv->row_weight};
    uint64_t *totals[1] = {total};
    if ((rc = sg_stack_forest_totals(st, row_key, k.count, 1, self, totals)) != 0)
        goto out;
    uint32_t ncallers = 0, ncallees = 0;
    for (uint32_t i = 0; i < k.count; i++) {
        if (total[i] == 0)
            continue;
        ncallers += !k.is_callee[i];
        ncallees += k.is_callee[i] || k.frame_of[i] == f; /* F → F is on both sides */
    }
    rc = SG_PROFILE_ENOMEM;
    out->callers = malloc(((size_t)ncallers + 1) * sizeof *out->callers);
    out->callees = malloc(((size_t)ncallees + 1) * sizeof *out->callees);
    if (out->callers == NULL || out->callees == NULL)
        goto out;
    for (uint32_t i = 0; i < k.count; i++) {
        if (total[i] == 0)
            continue;
        sg_bfly_edge e = {.frame = k.frame_of[i], .weight = total[i]};
        if (!k.is_callee[i])
            out->callers[out->caller_count++] = e;
        if (k.is_callee[i] || k.frame_of[i] == f)
            out->callees[out->callee_count++] = e;
    }
    rc = SG_PROFILE_OK;
out:
    free(k.caller);
    free(k.callee);
    free(k.frame_of);
    free(k.is_callee);
    free(row_key);
    free(below);
    free(total);
    return rc;
}

int sg_butterfly_build(const sg_view_resolved *rv, const sg_bfly_index *index, uint32_t frame,
                       sg_butterfly *out)
{
    memset(out, 0, sizeof *out);
    out->frame = frame;
    const sg_profile *p = rv->profile;
    if (frame >= p->frames.count)
        return SG_PROFILE_EINVAL;
    int rc = sg_callstats_empty(&p->callstats) ? sampled_butterfly(rv, frame, out)
                                               : pstats_butterfly(p, index, frame, out);
    if (rc != 0) {
        sg_butterfly_free(out);
        return rc;
    }
    qsort(out->callers, out->caller_count, sizeof *out->callers, heavier_first);
    qsort(out->callees, out->callee_count, sizeof *out->callees, heavier_first);
    return SG_PROFILE_OK;
}

void sg_butterfly_free(sg_butterfly *b)
{
    free(b->callers);
    free(b->callees);
    memset(b, 0, sizeof *b);
}
