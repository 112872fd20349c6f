/*
 * sample_timeline.c — per-thread time order of the samples (see
 * sample_timeline.h).
 *
 * A counting pass groups the samples by thread in append order; a group
 * whose times already never decrease (the usual case: a recorder appends
 * in time order) is left as it is, any other is merge-sorted by time,
 * which is stable, so ties keep append order.
 */
#include "profile/sample_timeline.h"

#include <stdlib.h>

#include "profile/sort.h"

static int compare_time(uint32_t a, uint32_t b, const void *ctx)
{
    const uint64_t *time = ctx;
    return (time[a] > time[b]) - (time[a] < time[b]);
}

int sg_timeline_build(const sg_profile *p, sg_timeline *t)
{
    const sg_samples *s = &p->samples;
    uint32_t threads = p->threads.count;
    t->index = NULL;
    t->start = NULL;
    if (s->count > UINT32_MAX)
        return SG_PROFILE_ELIMIT;
    t->index = malloc((s->count + 1) * sizeof *t->index);
    t->start = calloc((size_t)threads + 2, sizeof *t->start);
    size_t *fill = malloc(((size_t)threads + 1) * sizeof *fill);
    int rc = SG_PROFILE_OK;
    if (t->index == NULL || t->start == NULL || fill == NULL) {
        rc = SG_PROFILE_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < s->count; i++)
        if (s->thread[i] < threads)
            t->start[s->thread[i] + 1]++;
    for (uint32_t k = 0; k < threads; k++)
        t->start[k + 1] += t->start[k];
    for (uint32_t k = 0; k < threads; k++)
        fill[k] = t->start[k];
    for (size_t i = 0; i < s->count; i++)
        if (s->thread[i] < threads)
            t->index[fill[s->thread[i]]++] = (uint32_t)i;
    for (uint32_t k = 0; k < threads && rc == 0; k++) {
        uint32_t *group = t->index + t->start[k];
        size_t n = t->start[k + 1] - t->start[k];
        bool sorted = true;
        for (size_t j = 1; j < n && sorted; j++)
            sorted = s->time_ns[group[j - 1]] <= s->time_ns[group[j]];
        if (!sorted)
            rc = sg_sort_u32(group, n, compare_time, s->time_ns);
    }
out:
    free(fill);
    if (rc != 0)
        sg_timeline_free(t);
    return rc;
}

void sg_timeline_free(sg_timeline *t)
{
    free(t->index);
    free(t->start);
    t->index = NULL;
    t->start = NULL;
}

uint64_t sg_timeline_duration(const sg_profile *p, size_t i)
{
    const uint64_t cap = UINT64_MAX / 4;
    uint64_t w = p->samples.weight[i] > 0 ? p->samples.weight[i] : 1;
    uint64_t unit;
    if (p->meta.weight_unit == SG_WEIGHT_NANOSECONDS)
        unit = 1;
    else if (p->meta.weight_unit == SG_WEIGHT_SAMPLES && p->meta.interval_ns > 0)
        unit = p->meta.interval_ns;
    else
        unit = SG_TIMELINE_DEFAULT_NS;
    return unit > cap / w ? cap : w * unit;
}

uint64_t sg_timeline_place(const sg_profile *p, size_t i, uint64_t *cursor)
{
    uint64_t start = p->samples.time_ns[i] > *cursor ? p->samples.time_ns[i] : *cursor;
    uint64_t d = sg_timeline_duration(p, i);
    *cursor = start > UINT64_MAX - d ? UINT64_MAX : start + d;
    return start;
}
