/*
 * top_stacks.c — the heaviest stacks (see top_stacks.h): sum per row, then
 * sort the rows that have samples.
 */
#include "analyze/top_stacks.h"

#include <stdlib.h>
#include <string.h>

#include "profile/sort.h"

typedef struct sums {
    const uint64_t *weight;
} sums;

static int heavier_first(uint32_t a, uint32_t b, const void *ctx)
{
    const sums *s = ctx;
    if (s->weight[a] != s->weight[b])
        return s->weight[a] > s->weight[b] ? -1 : 1;
    return (a > b) - (a < b);
}

int sg_top_stacks(const sg_profile *p, const bool *threads, size_t limit, sg_top_stack **out,
                  size_t *count)
{
    *out = NULL;
    *count = 0;
    uint32_t nrows = p->stacks.count;
    if (!p->meta.has_stacks || nrows == 0 || limit == 0)
        return SG_PROFILE_OK;
    uint64_t *weight = calloc(nrows, sizeof *weight);
    uint64_t *samples = calloc(nrows, sizeof *samples);
    uint32_t *ids = malloc((size_t)nrows * sizeof *ids);
    int rc = SG_PROFILE_ENOMEM;
    if (weight == NULL || samples == NULL || ids == NULL)
        goto out;
    const sg_samples *s = &p->samples;
    for (size_t i = 0; i < s->count; i++) {
        uint32_t r = s->stack[i];
        if (r == SG_STACK_NONE || (threads != NULL && !threads[s->thread[i]]))
            continue;
        weight[r] += s->weight[i];
        samples[r]++;
    }
    uint32_t n = 0;
    for (uint32_t r = 0; r < nrows; r++)
        if (samples[r] != 0)
            ids[n++] = r;
    sums ctx = {weight};
    if ((rc = sg_sort_u32(ids, n, heavier_first, &ctx)) != 0)
        goto out;
    size_t keep = n < limit ? n : limit;
    *out = malloc((keep + 1) * sizeof **out);
    if (*out == NULL) {
        rc = SG_PROFILE_ENOMEM;
        goto out;
    }
    for (size_t k = 0; k < keep; k++)
        (*out)[k] = (sg_top_stack){ids[k], weight[ids[k]], samples[ids[k]]};
    *count = keep;
    rc = SG_PROFILE_OK;
out:
    free(weight);
    free(samples);
    free(ids);
    return rc;
}
