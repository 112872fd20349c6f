/*
 * sample_table.c — columnar samples (see sample_table.h).
 *
 * Growth reallocates each column in turn and raises `cap` only when all of
 * them succeeded, so a failure leaves every column valid for `count` rows.
 */
#include "profile/sample_table.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "profile/grow.h"
#include "profile/status.h"

void sg_samples_init(sg_samples *s)
{
    memset(s, 0, sizeof *s);
}

void sg_samples_free(sg_samples *s)
{
    free(s->time_ns);
    free(s->thread);
    free(s->stack);
    free(s->flags);
    free(s->weight);
    memset(s, 0, sizeof *s);
}

int sg_samples_reserve(sg_samples *s, size_t extra)
{
    if (extra > SIZE_MAX - s->count)
        return SG_PROFILE_ELIMIT;
    size_t need = s->count + extra;
    if (need <= s->cap)
        return SG_PROFILE_OK;
    size_t cap = sg_grow_capacity(s->cap, need, 1024, SIZE_MAX / sizeof(uint64_t));
    if (cap == 0)
        return SG_PROFILE_ELIMIT;
    int rc;
    if ((rc = sg_grow_array((void **)&s->time_ns, cap, sizeof *s->time_ns)) != 0 ||
        (rc = sg_grow_array((void **)&s->thread, cap, sizeof *s->thread)) != 0 ||
        (rc = sg_grow_array((void **)&s->stack, cap, sizeof *s->stack)) != 0 ||
        (rc = sg_grow_array((void **)&s->flags, cap, sizeof *s->flags)) != 0 ||
        (rc = sg_grow_array((void **)&s->weight, cap, sizeof *s->weight)) != 0)
        return rc;
    s->cap = cap;
    return SG_PROFILE_OK;
}

int sg_samples_append(sg_samples *s, uint64_t time_ns, uint32_t thread, uint32_t stack,
                      uint8_t flags, uint32_t weight)
{
    if (s->count == s->cap) {
        int rc = sg_samples_reserve(s, 1);
        if (rc != 0)
            return rc;
    }
    size_t i = s->count;
    assert(i < s->cap);
    s->time_ns[i] = time_ns;
    s->thread[i] = thread;
    s->stack[i] = stack;
    s->flags[i] = flags;
    s->weight[i] = weight;
    s->count = i + 1;
    return SG_PROFILE_OK;
}
