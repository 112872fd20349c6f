/*
 * diff.c — per-function and per-node differences of two profiles (see
 * diff.h).
 *
 * Per side: its frames are interned into keys by text (fmap). The
 * call-tree nodes of both sides are matched by a joint walk of the two
 * stack tables, level by level (joint_paths): the rows of depth d of both
 * sides, keyed by (node of their parent, frame key), are sorted together
 * by that key (radix_sort.h: a few sequential passes) and each run of one
 * key becomes one node, so matching needs no hash table over millions of
 * paths (which cost a cache miss per row). Self sums go through the maps;
 * function totals are stack_forest once-per-sample sums keyed by fmap;
 * node totals are subtree sums over the nodes (parents first, so one
 * backward pass). Only the nodes the answer keeps are interned into
 * keys->stacks, at the end.
 */
#include "analyze/diff.h"

#include <stdlib.h>
#include <string.h>

#include "analyze/path_index.h"
#include "analyze/radix_sort.h"
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

/*
 * One side's rows laid out level by level (depth 1, 2, ...; id order within
 * a level), filled by one pass in id order, so the walk reads each level
 * as a run: key[p] = frame key, parent[p] = position of the parent row
 * (SG_PATH_NONE for a root), row[p] = row id; level d is positions
 * [start[d], start[d + 1]). node[p] is the node the walk gives position p.
 */
typedef struct levels {
    uint32_t *key, *parent, *row, *node;
    size_t *start;
    uint32_t depth; /* deepest level */
} levels;

static void levels_free(levels *l)
{
    free(l->key);
    free(l->parent);
    free(l->row);
    free(l->node);
    free(l->start);
}

/* pos: scratch of st->count entries (a row's position). */
static int levels_build(const sg_stacks *st, const uint32_t *fmap, uint32_t *pos, levels *l)
{
    uint32_t n = st->count, dmax = 0;
    for (uint32_t r = 0; r < n; r++)
        dmax = st->rows[r].depth > dmax ? st->rows[r].depth : dmax;
    l->depth = dmax;
    size_t m = (size_t)n + 1;
    l->key = malloc(m * sizeof *l->key);
    l->parent = malloc(m * sizeof *l->parent);
    l->row = malloc(m * sizeof *l->row);
    l->node = malloc(m * sizeof *l->node);
    l->start = calloc((size_t)dmax + 2, sizeof *l->start);
    size_t *next = malloc(((size_t)dmax + 2) * sizeof *next);
    if (l->key == NULL || l->parent == NULL || l->row == NULL || l->node == NULL ||
        l->start == NULL || next == NULL) {
        free(next);
        return SG_PROFILE_ENOMEM;
    }
    for (uint32_t r = 0; r < n; r++)
        l->start[st->rows[r].depth]++; /* depth >= 1: start[0] stays 0 */
    size_t at = 0;
    for (uint32_t d = 0; d <= dmax + 1; d++) {
        size_t c = d <= dmax ? l->start[d] : 0;
        l->start[d] = next[d] = at;
        at += c;
    }
    for (uint32_t r = 0; r < n; r++) { /* parents come first: pos[parent] is set */
        const sg_stack_row *row = &st->rows[r];
        uint32_t p = (uint32_t)next[row->depth]++;
        pos[r] = p;
        l->key[p] = fmap[row->frame];
        l->parent[p] = row->parent == SG_STACK_NONE ? SG_PATH_NONE : pos[row->parent];
        l->row[p] = r;
    }
    free(next);
    return SG_PROFILE_OK;
}

/* Room for `need` nodes in the node arrays. */
static int nodes_fit(sg_path_index *t, size_t need)
{
    if (need <= t->cap)
        return SG_PROFILE_OK;
    if (need >= SG_PATH_NONE)
        return SG_PROFILE_ELIMIT;
    size_t cap = t->cap == 0 ? 1024 : t->cap;
    while (cap < need)
        cap = cap * 2 < SG_PATH_NONE ? cap * 2 : SG_PATH_NONE - 1;
    uint32_t *p = realloc(t->parent, cap * sizeof *p);
    if (p == NULL)
        return SG_PROFILE_ENOMEM;
    t->parent = p;
    uint32_t *k = realloc(t->key, cap * sizeof *k);
    if (k == NULL)
        return SG_PROFILE_ENOMEM;
    t->key = k;
    t->cap = (uint32_t)cap;
    return SG_PROFILE_OK;
}

/*
 * The joint walk: every row r of side s gets nmap[s][r], its node (a path
 * of frame keys from the root, lines ignored), with w->nodes holding each
 * node's parent and frame key. Level d's nodes are numbered after level
 * d - 1's, in (parent node, frame key) order, so parents come first.
 */
static int joint_paths(work *w, const sg_stacks *st[2], const uint32_t *fmap[2], uint32_t *nmap[2])
{
    levels lv[2] = {{0}, {0}};
    uint64_t *keys = NULL;
    uint32_t *ids = NULL;
    int rc = SG_PROFILE_OK;
    for (int s = 0; s < 2 && rc == 0; s++)
        rc = levels_build(st[s], fmap[s], nmap[s], &lv[s]); /* nmap: scratch until the end */
    size_t widest = 0;
    uint32_t depth = lv[0].depth > lv[1].depth ? lv[0].depth : lv[1].depth;
    for (uint32_t d = 1; rc == 0 && d <= depth; d++) {
        size_t m = 0;
        for (int s = 0; s < 2; s++)
            m += d <= lv[s].depth ? lv[s].start[d + 1] - lv[s].start[d] : 0;
        widest = m > widest ? m : widest;
    }
    if (rc == 0 && ((keys = malloc((widest + 1) * sizeof *keys)) == NULL ||
                    (ids = malloc((widest + 1) * sizeof *ids)) == NULL))
        rc = SG_PROFILE_ENOMEM;
    unsigned kbits = sg_bits_of(w->keys->frames.count);
    sg_path_index *t = &w->nodes;
    uint32_t prev_lo = 0; /* the nodes of level d - 1: [prev_lo, t->count) */
    for (uint32_t d = 1; rc == 0 && d <= depth; d++) {
        size_t m = 0;
        for (int s = 0; s < 2; s++) {
            const levels *l = &lv[s];
            if (d > l->depth)
                continue;
            for (size_t p = l->start[d]; p < l->start[d + 1]; p++) {
                /* parent node relative to the previous level: small numbers,
                 * so the sort skips the high digits */
                uint64_t parent = d == 1 ? 0 : l->node[l->parent[p]] - prev_lo;
                keys[m] = parent << kbits | l->key[p];
                ids[m++] = (uint32_t)s << 31 | (uint32_t)p;
            }
        }
        rc = sg_radix_sort_u64(keys, ids, m);
        if (rc == 0)
            rc = nodes_fit(t, (size_t)t->count + m);
        uint32_t lo = t->count;
        for (size_t i = 0; rc == 0 && i < m; i++) {
            if (i == 0 || keys[i] != keys[i - 1]) {
                t->parent[t->count] =
                    d == 1 ? SG_PATH_NONE : prev_lo + (uint32_t)(keys[i] >> kbits);
                t->key[t->count] = (uint32_t)(keys[i] & ((1ull << kbits) - 1));
                t->count++;
            }
            lv[ids[i] >> 31].node[ids[i] & 0x7fffffffu] = t->count - 1;
        }
        prev_lo = lo;
    }
    for (int s = 0; s < 2; s++) {
        for (uint32_t p = 0; rc == 0 && p < st[s]->count; p++)
            nmap[s][lv[s].row[p]] = lv[s].node[p];
        levels_free(&lv[s]);
    }
    free(keys);
    free(ids);
    return rc;
}

/* Sums of one side's rows (nmap: their nodes) into the function and node
 * columns of that side. */
static int side_sampled(work *w, const sg_view_resolved *v, const uint32_t *fmap,
                        const uint32_t *nmap, int side)
{
    const sg_stacks *st = v->stacks;
    uint32_t n = st->count;
    uint32_t *key = malloc(((size_t)n + 1) * sizeof *key);
    int rc = key == NULL ? SG_PROFILE_ENOMEM : SG_PROFILE_OK;
    for (uint32_t r = 0; r < n && rc == 0; r++)
        key[r] = fmap[st->rows[r].frame];
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
    double min_share;           /* nodes: a row under this share of both sides is not one */
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

/* rank_of_key(d, c, sort, k).k1 alone (half the divisions): most rows of
 * a long list are rejected on it. */
static uint64_t primary_bits(const sg_diff *d, const columns *c, int sort, uint32_t k)
{
    const uint64_t *const *col = sort == SG_DIFF_SORT_TOTAL ? c->total : c->self;
    return abs_bits(frac(col[1][k], d->total[1]) - frac(col[0][k], d->total[0]));
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
        if (!listed || (c->min_share > 0 && frac(c->total[0][k], d->total[0]) < c->min_share &&
                        frac(c->total[1][k], d->total[1]) < c->min_share))
            continue;
        if (ch.limit != 0 && ch.count == ch.limit && primary_bits(d, c, o->sort, k) < ch.at[0].k1)
            continue; /* worse than the worst kept on its first key alone */
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
    columns fc = {{w->fself.v[0], w->fself.v[1]}, {w->ftotal.v[0], w->ftotal.v[1]}, nf, NULL, 0};
    columns nc = {{w->nself.v[0], w->nself.v[1]}, {ntotal[0], ntotal[1]}, nn, t, o->min_share};
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
    if ((o->sort != SG_DIFF_SORT_SELF && o->sort != SG_DIFF_SORT_TOTAL) ||
        !(o->min_share >= 0 && o->min_share <= 1))
        return SG_PROFILE_EINVAL;
    work w = {0};
    w.keys = d->keys = sg_profile_new();
    if (w.keys == NULL)
        return SG_PROFILE_ENOMEM;
    const sg_view_resolved *side[2] = {before, after};
    d->from_pstats = !sg_callstats_empty(&before->profile->callstats) ||
                     !sg_callstats_empty(&after->profile->callstats);
    int rc = SG_PROFILE_OK;
    uint32_t *fmap[2] = {NULL, NULL}, *nmap[2] = {NULL, NULL};
    for (int k = 0; k < 2 && rc == 0; k++) {
        const sg_profile *p = side[k]->profile;
        fmap[k] = malloc(((size_t)p->frames.count + 1) * sizeof *fmap[k]);
        rc = fmap[k] == NULL ? SG_PROFILE_ENOMEM : map_frames(&w, p, fmap[k]);
    }
    if (rc == 0 && !d->from_pstats) { /* both sampled: functions and nodes */
        const sg_stacks *st[2] = {side[0]->stacks, side[1]->stacks};
        for (int k = 0; k < 2 && rc == 0; k++)
            if ((nmap[k] = malloc(((size_t)st[k]->count + 1) * sizeof *nmap[k])) == NULL)
                rc = SG_PROFILE_ENOMEM;
        if (rc == 0)
            rc = joint_paths(&w, st, (const uint32_t **)fmap, nmap);
        for (int k = 0; k < 2 && rc == 0; k++) {
            d->total[k] = side[k]->total_weight;
            rc = side_sampled(&w, side[k], fmap[k], nmap[k], k);
        }
    }
    for (int k = 0; k < 2 && rc == 0 && d->from_pstats; k++) {
        const sg_profile *p = side[k]->profile;
        if (!sg_callstats_empty(&p->callstats)) {
            rc = side_callstats(&w, p, fmap[k], k, &d->total[k]);
        } else { /* pstats against samples: functions only */
            d->total[k] = side[k]->total_weight;
            const sg_stacks *st = side[k]->stacks;
            uint32_t *key = malloc(((size_t)st->count + 1) * sizeof *key);
            rc = key == NULL ? SG_PROFILE_ENOMEM : sums_fit(&w.fself, w.keys->frames.count);
            if (rc == 0)
                rc = sums_fit(&w.ftotal, w.keys->frames.count);
            for (uint32_t r = 0; rc == 0 && r < st->count; r++) {
                key[r] = fmap[k][st->rows[r].frame];
                w.fself.v[k][key[r]] += side[k]->row_weight[r];
            }
            if (rc == 0) {
                const uint64_t *self[1] = {side[k]->row_weight};
                uint64_t *total[1] = {w.ftotal.v[k]};
                rc = sg_stack_forest_totals(st, key, w.keys->frames.count, 1, self, total);
            }
            free(key);
        }
    }
    for (int k = 0; k < 2; k++) {
        free(fmap[k]);
        free(nmap[k]);
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
