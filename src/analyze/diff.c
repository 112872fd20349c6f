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

#include "analyze/path_index.h"
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
    /* The call-tree nodes of both sides, matched by path (path_index.h):
     * every stack row of both profiles is looked up, but only the nodes
     * the answer keeps are interned into keys->stacks, at the end. */
    sg_path_index nodes;
    uint32_t *stack; /* per node: its row in keys->stacks, or UINT32_MAX (not yet) */
    uint32_t *path;  /* intern_path's scratch */
    size_t path_cap;
} work;

/* The row of node n in keys->stacks, interning its path (root first);
 * path is scratch for the nodes not yet interned. */
static int intern_path(work *w, uint32_t n, uint32_t *out)
{
    const sg_path_index *t = &w->nodes;
    size_t len = 0;
    for (uint32_t m = n; m != SG_PATH_NONE && w->stack[m] == UINT32_MAX; m = t->parent[m]) {
        if (len == w->path_cap) {
            size_t cap = w->path_cap == 0 ? 64 : w->path_cap * 2;
            uint32_t *g = realloc(w->path, cap * sizeof *g);
            if (g == NULL)
                return SG_PROFILE_ENOMEM;
            w->path = g;
            w->path_cap = cap;
        }
        w->path[len++] = m;
    }
    while (len > 0) {
        uint32_t m = w->path[--len];
        uint32_t parent = t->parent[m] == SG_PATH_NONE ? SG_STACK_NONE : w->stack[t->parent[m]];
        int rc = sg_stacks_intern(&w->keys->stacks, parent, t->key[m], 0, &w->stack[m]);
        if (rc != 0)
            return rc;
    }
    *out = w->stack[n];
    return SG_PROFILE_OK;
}

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
    for (uint32_t r = 0; r < n && rc == 0; r++)
        key[r] = fmap[st->rows[r].frame];
    if (rc == 0)
        rc = sg_path_index_add(&w->nodes, st, fmap, nmap);
    uint32_t nkeys = w->keys->frames.count;
    if (rc == 0)
        rc = sums_fit(&w->fself, nkeys);
    if (rc == 0)
        rc = sums_fit(&w->ftotal, nkeys);
    if (rc == 0)
        rc = sums_fit(&w->nself, w->nodes.count);
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

/*
 * Ordering without building every row: a row's place is given by two
 * non-negative doubles (|delta_frac| of the sort column, then of the
 * other) and its id. The bits of a non-negative double order like the
 * double, so a rank is three integers, and `limit` rows are chosen from n
 * candidates with a heap of `limit` entries (the worst kept on top), in
 * O(n log limit); only the chosen rows are built and sorted. With no
 * limit every row is the answer and all are sorted.
 */
typedef struct rank {
    uint64_t k1, k2; /* bits of |delta_frac|: larger first */
    uint32_t id;     /* then smaller id first */
} rank;

static uint64_t abs_bits(double x)
{
    if (x == 0)
        return 0; /* -0.0 too, whose sign bit would rank it first */
    x = x < 0 ? -x : x;
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

/* Negative when x comes before y in the output. */
static int rank_cmp(const rank *x, const rank *y)
{
    if (x->k1 != y->k1)
        return x->k1 > y->k1 ? -1 : 1;
    if (x->k2 != y->k2)
        return x->k2 > y->k2 ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static int rank_qsort(const void *a, const void *b)
{
    return rank_cmp(a, b);
}

/* The kept ranks: a heap of at most `limit` whose top is the worst. */
typedef struct chosen {
    rank *at;
    size_t count, limit; /* limit 0: keep every candidate */
    size_t cap;
} chosen;

static void sift_down(rank *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && rank_cmp(&h[l], &h[w]) > 0)
            w = l;
        if (r < n && rank_cmp(&h[r], &h[w]) > 0)
            w = r;
        if (w == i)
            return;
        rank t = h[i];
        h[i] = h[w];
        h[w] = t;
        i = w;
    }
}

static int choose(chosen *c, rank x)
{
    if (c->limit != 0 && c->count == c->limit) {
        if (rank_cmp(&x, &c->at[0]) >= 0)
            return SG_PROFILE_OK; /* not better than the worst kept */
        c->at[0] = x;
        sift_down(c->at, c->count, 0);
        return SG_PROFILE_OK;
    }
    if (c->count == c->cap) {
        size_t cap = c->cap == 0 ? 1024 : c->cap * 2;
        rank *g = realloc(c->at, cap * sizeof *g);
        if (g == NULL)
            return SG_PROFILE_ENOMEM;
        c->at = g;
        c->cap = cap;
    }
    size_t i = c->count++;
    c->at[i] = x;
    if (c->limit != 0) /* sift up: keep the worst on top */
        for (; i > 0 && rank_cmp(&c->at[i], &c->at[(i - 1) / 2]) > 0; i = (i - 1) / 2) {
            rank t = c->at[i];
            c->at[i] = c->at[(i - 1) / 2];
            c->at[(i - 1) / 2] = t;
        }
    return SG_PROFILE_OK;
}

/* Per-key sums of both sides, and whether a key is a row at all. */
typedef struct columns {
    const uint64_t *self[2], *total[2];
    uint32_t count;
    const sg_path_index *nodes; /* keys are nodes (paths of frame keys); NULL: frames */
} columns;

static sg_diff_row row_of(const sg_diff *d, const columns *c, uint32_t k)
{
    uint64_t self[2] = {c->self[0][k], c->self[1][k]};
    uint64_t total[2] = {c->total[0][k], c->total[1][k]};
    return c->nodes != NULL ? make_row(d, c->nodes->key[k], k, self, total)
                            : make_row(d, k, UINT32_MAX, self, total);
}

/* the rank of row_of(d, c, k) without building the row: the same
 * arithmetic (frac, then the difference), so the same doubles. */
static rank rank_of_key(const sg_diff *d, const columns *c, int sort, uint32_t k)
{
    double ds = frac(c->self[1][k], d->total[1]) - frac(c->self[0][k], d->total[0]);
    double dt = frac(c->total[1][k], d->total[1]) - frac(c->total[0][k], d->total[0]);
    bool by_total = sort == SG_DIFF_SORT_TOTAL;
    return (rank){abs_bits(by_total ? dt : ds), abs_bits(by_total ? ds : dt), k};
}

/* The rows of c in output order, at most o->limit of them. */
static int ordered_rows(work *w, const sg_diff *d, const columns *c, const sg_diff_options *o,
                        sg_diff_row **rows, size_t *n)
{
    chosen ch = {.limit = o->limit};
    int rc = SG_PROFILE_OK;
    for (uint32_t k = 0; k < c->count && rc == 0; k++) {
        bool listed = c->nodes
                          ? (c->total[0][k] | c->total[1][k]) != 0
                          : (c->self[0][k] | c->self[1][k] | c->total[0][k] | c->total[1][k]) != 0;
        if (listed)
            rc = choose(&ch, rank_of_key(d, c, o->sort, k));
    }
    if (rc == 0 && ch.count > 1)
        qsort(ch.at, ch.count, sizeof *ch.at, rank_qsort);
    if (rc == 0 && (*rows = malloc((ch.count + 1) * sizeof **rows)) == NULL)
        rc = SG_PROFILE_ENOMEM;
    for (size_t i = 0; rc == 0 && i < ch.count; i++) {
        (*rows)[i] = row_of(d, c, ch.at[i].id);
        if (c->nodes != NULL) /* a node: its row in keys->stacks */
            rc = intern_path(w, ch.at[i].id, &(*rows)[i].node);
    }
    *n = rc == 0 ? ch.count : 0;
    free(ch.at);
    return rc;
}

static int emit(work *w, const sg_diff_options *o, sg_diff *d)
{
    const sg_path_index *t = &w->nodes;
    uint32_t nf = w->keys->frames.count, nn = t->count;
    int rc = sums_fit(&w->fself, nf);
    if (rc == 0)
        rc = sums_fit(&w->ftotal, nf);
    if (rc == 0)
        rc = sums_fit(&w->nself, nn);
    if (rc != 0)
        return rc;
    uint64_t *ntotal[2] = {calloc((size_t)nn + 1, sizeof(uint64_t)),
                           calloc((size_t)nn + 1, sizeof(uint64_t))};
    w->stack = malloc(((size_t)nn + 1) * sizeof *w->stack);
    if (ntotal[0] == NULL || ntotal[1] == NULL || w->stack == NULL) {
        rc = SG_PROFILE_ENOMEM;
        goto out;
    }
    for (uint32_t r = 0; r < nn; r++)
        w->stack[r] = UINT32_MAX;
    for (int k = 0; k < 2; k++) { /* parents come first: one backward pass */
        for (uint32_t r = 0; r < nn; r++)
            ntotal[k][r] = w->nself.v[k][r];
        for (uint32_t r = nn; r-- > 0;)
            if (t->parent[r] != SG_PATH_NONE)
                ntotal[k][t->parent[r]] += ntotal[k][r];
    }
    columns fc = {{w->fself.v[0], w->fself.v[1]}, {w->ftotal.v[0], w->ftotal.v[1]}, nf, NULL};
    columns nc = {{w->nself.v[0], w->nself.v[1]}, {ntotal[0], ntotal[1]}, nn, t};
    rc = ordered_rows(w, d, &fc, o, &d->functions, &d->function_count);
    if (rc == 0)
        rc = ordered_rows(w, d, &nc, o, &d->nodes, &d->node_count);
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
    sg_path_index_free(&w.nodes);
    free(w.stack);
    free(w.path);
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
