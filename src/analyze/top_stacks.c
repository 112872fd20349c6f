/*
 * top_stacks.c — the heaviest stacks (see top_stacks.h): the view's
 * per-row sums (sg_view_resolve's one pass over the samples), then the
 * `limit` heaviest rows chosen with a heap of `limit` entries (the
 * lightest kept on top), then sorted: O(rows log limit), not a sort of
 * every row.
 */
#include "analyze/top_stacks.h"

#include <stdlib.h>
#include <string.h>

/* Negative when a comes first: heavier, then the lower stack id. */
static int order(const sg_top_stack *a, const sg_top_stack *b)
{
    if (a->weight != b->weight)
        return a->weight > b->weight ? -1 : 1;
    return (a->stack > b->stack) - (a->stack < b->stack);
}

static int order_qsort(const void *a, const void *b)
{
    return order(a, b);
}

/* Restore the heap (worst on top) below position i. */
static void sift_down(sg_top_stack *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && order(&h[l], &h[w]) > 0)
            w = l;
        if (r < n && order(&h[r], &h[w]) > 0)
            w = r;
        if (w == i)
            return;
        sg_top_stack t = h[i];
        h[i] = h[w];
        h[w] = t;
        i = w;
    }
}

int sg_top_stacks_view(const sg_view_resolved *rv, size_t limit, sg_top_stack **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    uint32_t nrows = rv->stacks->count;
    if (!rv->profile->meta.has_stacks || nrows == 0 || limit == 0)
        return SG_PROFILE_OK;
    size_t cap = limit < nrows ? limit : nrows, n = 0;
    sg_top_stack *h = malloc((cap + 1) * sizeof *h);
    if (h == NULL)
        return SG_PROFILE_ENOMEM;
    for (uint32_t r = 0; r < nrows; r++) {
        if (rv->row_samples[r] == 0)
            continue;
        sg_top_stack x = {r, rv->row_weight[r], rv->row_samples[r]};
        if (n < cap) { /* sift up */
            size_t i = n++;
            for (; i > 0 && order(&x, &h[(i - 1) / 2]) > 0; i = (i - 1) / 2)
                h[i] = h[(i - 1) / 2];
            h[i] = x;
        } else if (order(&x, &h[0]) < 0) {
            h[0] = x;
            sift_down(h, n, 0);
        }
    }
    qsort(h, n, sizeof *h, order_qsort);
    *out = h;
    *count = n;
    return SG_PROFILE_OK;
}

int sg_top_stacks(const sg_profile *p, const bool *threads, size_t limit, sg_top_stack **out,
                  size_t *count)
{
    *out = NULL;
    *count = 0;
    if (!p->meta.has_stacks || p->stacks.count == 0 || limit == 0)
        return SG_PROFILE_OK;
    sg_view_resolved rv;
    int rc = sg_view_resolve(p, &(sg_view){.threads = threads}, &rv);
    if (rc == 0)
        rc = sg_top_stacks_view(&rv, limit, out, count);
    sg_view_resolved_free(&rv);
    return rc;
}
