/*
 * diff.c — per-function and per-node differences of two profiles (see
 * diff.h).
 *
 * Per side: its frames are interned into keys by text (fmap), its
 * transformed stack rows into keys->stacks by (node of parent, frame)
 * (nmap). Self sums go through the maps; function totals are stack_forest
 * once-per-sample sums keyed by fmap; node totals are subtree sums over
 * keys->stacks (rows are parents-first, so one backward pass).
 */
#include "analyze/diff.h"

#include <stdlib.h>
#include <string.h>

#include "profile/sort.h"
#include "profile/stack_forest.h"

/* Growable per-key sums for both sides. */
typedef struct sums {
    uint64_t *v[2];
    size_t cap;
} sums;

static int sums_fit(sums *s, size_t need)
{
    if (need <= s->cap)
        return SG_PROFILE_OK;
    size_t cap = s->cap == 0 ? 1024 : s->cap;
    while (cap < need)
        cap *= 2;
    for (int k = 0; k < 2; k++) {
        uint64_t *a = realloc(s->v[k], cap * sizeof *a);
        if (a == NULL)
            return SG_PROFILE_ENOMEM;
        memset(a + s->cap, 0, (cap - s->cap) * sizeof *a);
        s->v[k] = a;
    }
    s->cap = cap;
    return SG_PROFILE_OK;
}

static void sums_free(sums *s)
{
    free(s->v[0]);
    free(s->v[1]);
}

typedef struct work {
    sg_profile *keys;
    sums fself, ftotal, nself;
} work;

/* fmap[f] = key frame of side frame f. */
static int map_frames(work *w, const sg_profile *p, uint32_t *fmap)
{
    for (uint32_t f = 0; f < p->frames.count; f++) {
        const sg_frame *fr = &p->frames.rows[f];
        int rc = sg_profile_intern_frame(
            w->keys, sg_strings_get(&p->strings, fr->file), sg_strings_len(&p->strings, fr->file),
            sg_strings_get(&p->strings, fr->name), sg_strings_len(&p->strings, fr->name),
            fr->first_line, &fmap[f]);
        if (rc != 0)
            return rc;
    }
    return SG_PROFILE_OK;
}

static int side_sampled(work *w, const sg_view_resolved *v, const uint32_t *fmap, int side)
{
    const sg_stacks *st = v->stacks;
    uint32_t n = st->count;
    uint32_t *key = malloc(((size_t)n + 1) * sizeof *key);
    uint32_t *nmap = malloc(((size_t)n + 1) * sizeof *nmap);
    int rc = key == NULL || nmap == NULL ? SG_PROFILE_ENOMEM : SG_PROFILE_OK;
    for (uint32_t r = 0; r < n && rc == 0; r++) {
        const sg_stack_row *row = &st->rows[r];
        key[r] = fmap[row->frame];
        uint32_t parent = row->parent == SG_STACK_NONE ? SG_STACK_NONE : nmap[row->parent];
        rc = sg_stacks_intern(&w->keys->stacks, parent, key[r], 0, &nmap[r]);
    }
    uint32_t nkeys = w->keys->frames.count;
    if (rc == 0)
        rc = sums_fit(&w->fself, nkeys);
    if (rc == 0)
        rc = sums_fit(&w->ftotal, nkeys);
    if (rc == 0)
        rc = sums_fit(&w->nself, w->keys->stacks.count);
    for (uint32_t r = 0; r < n && rc == 0; r++) {
        w->fself.v[side][key[r]] += v->row_weight[r];
        w->nself.v[side][nmap[r]] += v->row_weight[r];
    }
    if (rc == 0) {
        const uint64_t *self[1] = {v->row_weight};
        uint64_t *total[1] = {w->ftotal.v[side]};
        rc = sg_stack_forest_totals(st, key, nkeys, 1, self, total);
    }
    free(key);
    free(nmap);
    return rc;
}

static int side_callstats(work *w, const sg_profile *p, const uint32_t *fmap, int side,
                          uint64_t *total_weight)
{
    int rc = sums_fit(&w->fself, w->keys->frames.count);
    if (rc == 0)
        rc = sums_fit(&w->ftotal, w->keys->frames.count);
    *total_weight = 0;
    for (uint32_t i = 0; i < p->callstats.func_count && rc == 0; i++) {
        const sg_callstats_func *fn = &p->callstats.funcs[i];
        if (fn->frame >= p->frames.count)
            return SG_PROFILE_EINVAL;
        w->fself.v[side][fmap[fn->frame]] += fn->n.tt_ns;
        w->ftotal.v[side][fmap[fn->frame]] += fn->n.ct_ns;
        *total_weight += fn->n.tt_ns;
    }
    return rc;
}

static int64_t delta(uint64_t before, uint64_t after)
{
    if (after >= before)
        return after - before > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)(after - before);
    return before - after > (uint64_t)INT64_MAX ? -INT64_MAX : -(int64_t)(before - after);
}

static double frac(uint64_t x, uint64_t whole)
{
    return whole == 0 ? 0.0 : (double)x / (double)whole;
}

static sg_diff_row make_row(const sg_diff *d, uint32_t frame, uint32_t node, const uint64_t *self,
                            const uint64_t *total)
{
    sg_diff_row r = {.frame = frame, .node = node};
    for (int k = 0; k < 2; k++) {
        r.self[k] = self[k];
        r.total[k] = total[k];
        r.frac_self[k] = frac(self[k], d->total[k]);
        r.frac_total[k] = frac(total[k], d->total[k]);
    }
    r.delta_self = delta(self[0], self[1]);
    r.delta_total = delta(total[0], total[1]);
    r.delta_frac_self = r.frac_self[1] - r.frac_self[0];
    r.delta_frac_total = r.frac_total[1] - r.frac_total[0];
    return r;
}

typedef struct order_ctx {
    const sg_diff_row *rows;
    int sort;
} order_ctx;

static int compare_abs(double a, double b)
{
    a = a < 0 ? -a : a;
    b = b < 0 ? -b : b;
    return a > b ? -1 : a < b ? 1 : 0;
}

static int compare_rows(uint32_t a, uint32_t b, const void *ctx)
{
    const order_ctx *c = ctx;
    const sg_diff_row *x = &c->rows[a], *y = &c->rows[b];
    double x1 = c->sort == SG_DIFF_SORT_TOTAL ? x->delta_frac_total : x->delta_frac_self;
    double y1 = c->sort == SG_DIFF_SORT_TOTAL ? y->delta_frac_total : y->delta_frac_self;
    double x2 = c->sort == SG_DIFF_SORT_TOTAL ? x->delta_frac_self : x->delta_frac_total;
    double y2 = c->sort == SG_DIFF_SORT_TOTAL ? y->delta_frac_self : y->delta_frac_total;
    int d = compare_abs(x1, y1);
    if (d == 0)
        d = compare_abs(x2, y2);
    return d != 0 ? d : (a > b) - (a < b);
}

/* Sort rows[0..n) in place, keep at most limit. */
static int sort_rows(sg_diff_row **rows, size_t *n, const sg_diff_options *o)
{
    if (*n > UINT32_MAX)
        return SG_PROFILE_ELIMIT;
    uint32_t *order = malloc((*n + 1) * sizeof *order);
    sg_diff_row *sorted = malloc((*n + 1) * sizeof *sorted);
    int rc = order == NULL || sorted == NULL ? SG_PROFILE_ENOMEM : SG_PROFILE_OK;
    for (size_t i = 0; i < *n && rc == 0; i++)
        order[i] = (uint32_t)i;
    order_ctx ctx = {*rows, o->sort};
    if (rc == 0)
        rc = sg_sort_u32(order, *n, compare_rows, &ctx);
    if (rc == 0) {
        size_t keep = o->limit != 0 && o->limit < *n ? o->limit : *n;
        for (size_t i = 0; i < keep; i++)
            sorted[i] = (*rows)[order[i]];
        free(*rows);
        *rows = sorted;
        *n = keep;
        sorted = NULL;
    }
    free(order);
    free(sorted);
    return rc;
}

static int emit(work *w, const sg_diff_options *o, sg_diff *d)
{
    uint32_t nf = w->keys->frames.count, nn = w->keys->stacks.count;
    int rc = sums_fit(&w->fself, nf);
    if (rc == 0)
        rc = sums_fit(&w->ftotal, nf);
    if (rc == 0)
        rc = sums_fit(&w->nself, nn);
    if (rc != 0)
        return rc;
    d->functions = malloc(((size_t)nf + 1) * sizeof *d->functions);
    d->nodes = malloc(((size_t)nn + 1) * sizeof *d->nodes);
    uint64_t *ntotal[2] = {calloc((size_t)nn + 1, sizeof(uint64_t)),
                           calloc((size_t)nn + 1, sizeof(uint64_t))};
    if (d->functions == NULL || d->nodes == NULL || ntotal[0] == NULL || ntotal[1] == NULL) {
        rc = SG_PROFILE_ENOMEM;
        goto out;
    }
    for (uint32_t f = 0; f < nf; f++) {
        uint64_t self[2] = {w->fself.v[0][f], w->fself.v[1][f]};
        uint64_t total[2] = {w->ftotal.v[0][f], w->ftotal.v[1][f]};
        if (self[0] | self[1] | total[0] | total[1])
            d->functions[d->function_count++] = make_row(d, f, UINT32_MAX, self, total);
    }
    const sg_stack_row *rows = w->keys->stacks.rows;
    for (int k = 0; k < 2; k++) {
        for (uint32_t r = 0; r < nn; r++)
            ntotal[k][r] = w->nself.v[k][r];
        for (uint32_t r = nn; r-- > 0;)
            if (rows[r].parent != SG_STACK_NONE)
                ntotal[k][rows[r].parent] += ntotal[k][r];
    }
    for (uint32_t r = 0; r < nn; r++) {
        uint64_t self[2] = {w->nself.v[0][r], w->nself.v[1][r]};
        uint64_t total[2] = {ntotal[0][r], ntotal[1][r]};
        if (total[0] | total[1])
            d->nodes[d->node_count++] = make_row(d, rows[r].frame, r, self, total);
    }
    rc = sort_rows(&d->functions, &d->function_count, o);
    if (rc == 0)
        rc = sort_rows(&d->nodes, &d->node_count, o);
out:
    free(ntotal[0]);
    free(ntotal[1]);
    return rc;
}

int sg_diff_build(const sg_view_resolved *before, const sg_view_resolved *after,
                  const sg_diff_options *o, sg_diff *d)
{
    memset(d, 0, sizeof *d);
    if (o->sort != SG_DIFF_SORT_SELF && o->sort != SG_DIFF_SORT_TOTAL)
        return SG_PROFILE_EINVAL;
    work w = {0};
    w.keys = d->keys = sg_profile_new();
    if (w.keys == NULL)
        return SG_PROFILE_ENOMEM;
    const sg_view_resolved *side[2] = {before, after};
    d->from_pstats = !sg_callstats_empty(&before->profile->callstats) ||
                     !sg_callstats_empty(&after->profile->callstats);
    int rc = SG_PROFILE_OK;
    for (int k = 0; k < 2 && rc == 0; k++) {
        const sg_profile *p = side[k]->profile;
        uint32_t *fmap = malloc(((size_t)p->frames.count + 1) * sizeof *fmap);
        rc = fmap == NULL ? SG_PROFILE_ENOMEM : map_frames(&w, p, fmap);
        if (rc == 0 && !sg_callstats_empty(&p->callstats)) {
            rc = side_callstats(&w, p, fmap, k, &d->total[k]);
        } else if (rc == 0 && !d->from_pstats) {
            d->total[k] = side[k]->total_weight;
            rc = side_sampled(&w, side[k], fmap, k);
        } else if (rc == 0) { /* pstats against samples: functions only */
            d->total[k] = side[k]->total_weight;
            const sg_stacks *st = side[k]->stacks;
            uint32_t *key = malloc(((size_t)st->count + 1) * sizeof *key);
            rc = key == NULL ? SG_PROFILE_ENOMEM : sums_fit(&w.fself, w.keys->frames.count);
            if (rc == 0)
                rc = sums_fit(&w.ftotal, w.keys->frames.count);
            for (uint32_t r = 0; rc == 0 && r < st->count; r++) {
                key[r] = fmap[st->rows[r].frame];
                w.fself.v[k][key[r]] += side[k]->row_weight[r];
            }
            if (rc == 0) {
                const uint64_t *self[1] = {side[k]->row_weight};
                uint64_t *total[1] = {w.ftotal.v[k]};
                rc = sg_stack_forest_totals(st, key, w.keys->frames.count, 1, self, total);
            }
            free(key);
        }
        free(fmap);
    }
    if (rc == 0)
        rc = emit(&w, o, d);
    sums_free(&w.fself);
    sums_free(&w.ftotal);
    sums_free(&w.nself);
    if (rc != 0)
        sg_diff_free(d);
    return rc;
}

void sg_diff_free(sg_diff *d)
{
    sg_profile_free(d->keys);
    free(d->functions);
    free(d->nodes);
    memset(d, 0, sizeof *d);
}
