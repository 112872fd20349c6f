/*
 * query_diff.c — GET /api/diff?before=A&after=B: what changed between two
 * profiles (diff.h), per function (the `limit` rows whose share changed
 * most) and as the merged top-down tree of both, pruned to the pixel
 * budget (nodes under one pixel of `width` in both profiles fold away, at
 * most max_nodes), so a flame graph can be coloured by change.
 *
 * Each side has its own view (routes_query.c reads "before.t0" etc. over
 * the shared parameters, view_args.h), so two time ranges of one profile
 * diff like two profiles. The diff builds only the nodes of at least
 * min_share (default: one pixel of `width`) of either side: the tree it
 * answers is the same, without building millions of rows first.
 *
 * The tree's rows are by level (roots first), siblings together and
 * heaviest first (order_rows), so "parent" always points backwards and
 * the order is the nodes' own, whatever min_share made the diff build.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/diff.h"
#include "serve/query.h"

#define SG_DIFF_DEFAULT_LIMIT 200
#define SG_DIFF_DEFAULT_NODES 5000
#define SG_DIFF_DEFAULT_WIDTH 1600

static double node_share(const sg_diff_row *r)
{
    return r->frac_total[0] > r->frac_total[1] ? r->frac_total[0] : r->frac_total[1];
}

typedef struct pick {
    double share;
    uint32_t stack;
    uint32_t row;
} pick;

static int cmp_pick(const void *pa, const void *pb)
{
    const pick *a = pa, *b = pb;
    if (a->share != b->share)
        return a->share > b->share ? -1 : 1;
    return a->stack < b->stack ? -1 : a->stack > b->stack;
}

static void write_functions(sg_jbuf *o, const sg_diff *d, size_t n)
{
    const sg_profile *k = d->keys;
    sg_jbuf_puts(o, "\"functions\":{\"key\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sg_jbuf_char(o, ',');
        sg_jbuf_str(o, sg_strings_get(&k->strings, k->frames.rows[d->functions[i].frame].name));
    }
    sg_jbuf_puts(o, "],\"file\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sg_jbuf_char(o, ',');
        sg_jbuf_str(o, sg_strings_get(&k->strings, k->frames.rows[d->functions[i].frame].file));
    }
    static const char *const cols[] = {"self_before", "self_after",      "total_before",
                                       "total_after", "delta_frac_self", "delta_frac_total"};
    for (int c = 0; c < 6; c++) {
        sg_jbuf_printf(o, "],\"%s\":[", cols[c]);
        for (size_t i = 0; i < n; i++) {
            const sg_diff_row *r = &d->functions[i];
            if (i)
                sg_jbuf_char(o, ',');
            if (c < 4)
                sg_jbuf_u64(o, c == 0   ? r->self[0]
                               : c == 1 ? r->self[1]
                               : c == 2 ? r->total[0]
                                        : r->total[1]);
            else
                sg_jbuf_double(o, c == 4 ? r->delta_frac_self : r->delta_frac_total);
        }
    }
    sg_jbuf_puts(o, "]}");
}

/* A chosen tree row, to be put in the answer's order. */
typedef struct trow {
    uint32_t stack, depth;
    uint32_t parent_out; /* the parent's index in the answer (UINT32_MAX: a root) */
    double share;
} trow;

/* Parents' levels first, then siblings together by parent, heaviest
 * first, then by frame text: an order of the nodes themselves, not of
 * their ids in keys->stacks (which depend on how many nodes the diff
 * built), so the answer does not depend on min_share. */
static int cmp_trow(const void *pa, const void *pb, void *ctx)
{
    const trow *a = pa, *b = pb;
    const sg_profile *k = ctx;
    if (a->depth != b->depth)
        return a->depth < b->depth ? -1 : 1;
    if (a->parent_out != b->parent_out)
        return a->parent_out < b->parent_out ? -1 : 1;
    if (a->share != b->share)
        return a->share > b->share ? -1 : 1;
    const sg_frame *fa = &k->frames.rows[k->stacks.rows[a->stack].frame];
    const sg_frame *fb = &k->frames.rows[k->stacks.rows[b->stack].frame];
    int c = strcmp(sg_strings_get(&k->strings, fa->name), sg_strings_get(&k->strings, fb->name));
    if (c == 0)
        c = strcmp(sg_strings_get(&k->strings, fa->file), sg_strings_get(&k->strings, fb->file));
    if (c == 0)
        c = (fa->first_line > fb->first_line) - (fa->first_line < fb->first_line);
    return c;
}

/* The chosen rows in answer order (cmp_trow), one level at a time so each
 * level sorts by its parents' final places; out_index[stack] = place. */
static int order_rows(const sg_diff *d, const uint8_t *chosen, const uint32_t *row_of,
                      uint32_t *out_index, trow **rows, size_t *count)
{
    const sg_profile *k = d->keys;
    uint32_t nst = k->stacks.count;
    size_t n = 0;
    for (uint32_t s = 0; s < nst; s++)
        n += chosen[s];
    trow *t = malloc((n + 1) * sizeof *t);
    if (t == NULL)
        return -1;
    n = 0;
    for (uint32_t s = 0; s < nst; s++)
        if (chosen[s]) {
            const sg_diff_row *r = row_of[s] == UINT32_MAX ? NULL : &d->nodes[row_of[s]];
            t[n++] = (trow){s, k->stacks.rows[s].depth, UINT32_MAX, r ? node_share(r) : 0};
        }
    /* ids are parents first, so depth d's rows follow depth d - 1's once
     * sorted by depth; parent_out is read only after the parent's level */
    qsort_r(t, n, sizeof *t, cmp_trow, (void *)k);
    for (size_t lo = 0; lo < n;) {
        size_t hi = lo;
        while (hi < n && t[hi].depth == t[lo].depth)
            hi++;
        for (size_t i = lo; i < hi; i++) {
            uint32_t par = k->stacks.rows[t[i].stack].parent;
            t[i].parent_out = par == SG_STACK_NONE ? UINT32_MAX : out_index[par];
        }
        qsort_r(t + lo, hi - lo, sizeof *t, cmp_trow, (void *)k);
        for (size_t i = lo; i < hi; i++)
            out_index[t[i].stack] = (uint32_t)i;
        lo = hi;
    }
    *rows = t;
    *count = n;
    return 0;
}

/* The pruned merged tree; returns -1 when memory ran out. */
static int write_tree(sg_jbuf *o, const sg_diff *d, uint32_t max_nodes, uint32_t width)
{
    const sg_profile *k = d->keys;
    uint32_t nst = k->stacks.count;
    pick *picks = malloc((d->node_count + 1) * sizeof *picks);
    uint32_t *row_of = malloc(((size_t)nst + 1) * sizeof *row_of);
    uint32_t *out_index = malloc(((size_t)nst + 1) * sizeof *out_index);
    uint8_t *chosen = calloc((size_t)nst + 1, 1);
    trow *rows = NULL;
    size_t nrows = 0;
    if (picks == NULL || row_of == NULL || out_index == NULL || chosen == NULL) {
        free(picks), free(row_of), free(out_index), free(chosen);
        return -1;
    }
    memset(row_of, 0xff, ((size_t)nst + 1) * sizeof *row_of);
    memset(out_index, 0xff, ((size_t)nst + 1) * sizeof *out_index);
    size_t n = 0;
    double min_share = 1.0 / width;
    for (size_t i = 0; i < d->node_count; i++) {
        const sg_diff_row *r = &d->nodes[i];
        if (r->node >= nst)
            continue;
        row_of[r->node] = (uint32_t)i;
        if (node_share(r) >= min_share)
            picks[n++] = (pick){node_share(r), r->node, (uint32_t)i};
    }
    qsort(picks, n, sizeof *picks, cmp_pick);
    if (max_nodes != 0 && n > max_nodes)
        n = max_nodes;
    /* chosen: mark, with their ancestors (a parent's share is never smaller,
     * so this only matters for ties cut by max_nodes) */
    for (size_t i = 0; i < n; i++)
        for (uint32_t s = picks[i].stack; s != SG_STACK_NONE && !chosen[s];
             s = k->stacks.rows[s].parent)
            chosen[s] = 1;
    if (order_rows(d, chosen, row_of, out_index, &rows, &nrows) != 0) {
        free(picks), free(row_of), free(out_index), free(chosen);
        return -1;
    }
    static const char *const cols[] = {"parent", "name", "file", "before", "after"};
    sg_jbuf_puts(o, "\"tree\":{");
    for (int c = 0; c < 5; c++) {
        sg_jbuf_printf(o, "%s\"%s\":[", c ? "]," : "", cols[c]);
        for (size_t i = 0; i < nrows; i++) {
            uint32_t s = rows[i].stack;
            const sg_stack_row *st = &k->stacks.rows[s];
            const sg_frame *fr = &k->frames.rows[st->frame];
            const sg_diff_row *r = row_of[s] == UINT32_MAX ? NULL : &d->nodes[row_of[s]];
            if (i)
                sg_jbuf_char(o, ',');
            if (c == 0)
                sg_jbuf_i64(o, rows[i].parent_out == UINT32_MAX ? -1 : (int64_t)rows[i].parent_out);
            else if (c == 1)
                sg_jbuf_str(o, sg_strings_get(&k->strings, fr->name));
            else if (c == 2)
                sg_jbuf_str(o, sg_strings_get(&k->strings, fr->file));
            else
                sg_jbuf_u64(o, r == NULL ? 0 : r->total[c == 3 ? 0 : 1]);
        }
    }
    sg_jbuf_puts(o, "]}");
    free(picks), free(row_of), free(out_index), free(chosen), free(rows);
    return 0;
}

int sg_query_diff(const sg_query *before, const sg_query *after, sg_jbuf *out, char *err,
                  size_t errlen)
{
    sg_query q = *after; /* parameters are shared: read them through either */
    q.err = err;
    q.errlen = errlen;
    uint64_t limit = SG_DIFF_DEFAULT_LIMIT;
    uint32_t max_nodes = SG_DIFF_DEFAULT_NODES, width = SG_DIFF_DEFAULT_WIDTH;
    if (sg_params_u64(q.params, "limit", 1000000, &limit, err, errlen) != 0 ||
        sg_params_u32(q.params, "max_nodes", 1000000, &max_nodes, err, errlen) != 0 ||
        sg_params_u32(q.params, "width", 1000000, &width, err, errlen) != 0)
        return 400;
    if (width == 0)
        return sg_query_fail(&q, 400, "parameter width: must be at least 1");
    /* nodes under one pixel of both sides would be pruned by write_tree:
     * not building them is most of the first request's cost */
    double min_share = 1.0 / width;
    if (sg_params_double(q.params, "min_share", 0, 1, &min_share, err, errlen) != 0)
        return 400;
    sg_diff d;
    sg_diff_options o = {.sort = SG_DIFF_SORT_SELF, .limit = 0, .min_share = min_share};
    int rc = sg_diff_build(before->rv, after->rv, &o, &d);
    if (rc != 0) {
        sg_diff_free(&d);
        return sg_query_fail(&q, rc == SG_PROFILE_EINVAL ? 400 : 500, "diff: %s",
                             sg_profile_strerror(rc));
    }
    size_t nf = limit == 0 || limit > d.function_count ? d.function_count : (size_t)limit;
    sg_jbuf_puts(out, "{\"before\":");
    sg_jbuf_str(out, before->entry->id);
    sg_jbuf_puts(out, ",\"after\":");
    sg_jbuf_str(out, after->entry->id);
    sg_jbuf_puts(out, ",\"total\":[");
    sg_jbuf_u64(out, d.total[0]);
    sg_jbuf_char(out, ',');
    sg_jbuf_u64(out, d.total[1]);
    sg_jbuf_puts(out, "],\"min_share\":");
    sg_jbuf_double(out, min_share);
    sg_jbuf_puts(out, ",\"from_pstats\":");
    sg_jbuf_bool(out, d.from_pstats);
    sg_jbuf_puts(out, ",\"function_count\":");
    sg_jbuf_u64(out, d.function_count);
    sg_jbuf_char(out, ',');
    write_functions(out, &d, nf);
    sg_jbuf_char(out, ',');
    rc = write_tree(out, &d, max_nodes, width);
    sg_jbuf_char(out, '}');
    sg_diff_free(&d);
    return rc == 0 ? 0 : sg_query_fail(&q, 500, "out of memory");
}
