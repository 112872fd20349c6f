/*
 * timeline_compact.c — spans to runs and back (timeline_compact.h).
 *
 * Both directions walk the spans once with an explicit stack of the open
 * ones (span indexes, depth = position), so the cost is one push and one
 * pop per span and nothing recurses on depth. The encoder checks every
 * assumption it relies on (depth = open count, a child ends no later than
 * its parent, x only grows) as it goes: the decoder then rebuilds the same
 * spans by construction, and the round trip is checked by the unit tests
 * and a fuzz target.
 */
#include "profile/grow.h"
#include "analyze/timeline_compact.h"

#include <stdlib.h>

/* Room for `need` elements of `elem` bytes in *array (capacity *cap). */

int sg_tl_runs_encode(const sg_tl_span *s, size_t n, uint32_t width, sg_tl_runs *out)
{
    out->run_count = 0;
    /* at most one run per span opened or closed, plus the first */
    int rc = sg_grow_reserve((void **)&out->stack, &out->stack_cap, n + 1, sizeof *out->stack);
    if (rc != 0)
        return rc;
    uint32_t *stack = out->stack;
    size_t top = 0, i = 0;
    uint64_t prev = 0;
    for (;;) {
        uint64_t xo = i < n ? s[i].x0 : UINT64_MAX;
        uint64_t xc = top > 0 ? s[stack[top - 1]].x1 : UINT64_MAX; /* the deepest ends first */
        if (i == n && (top == 0 || xc >= width)) {
            /* what is still open ends at width (children end no later) */
            if (top > 0 && s[stack[0]].x1 != width)
                return SG_PROFILE_EINVAL;
            return SG_PROFILE_OK;
        }
        uint64_t x = xo < xc ? xo : xc;
        if (out->run_count > 0 ? x <= prev : x < prev)
            return SG_PROFILE_EINVAL; /* not sorted by x0 */
        size_t keep = top;
        while (keep > 0 && s[stack[keep - 1]].x1 == x)
            keep--;
        top = keep;
        uint32_t opened = 0;
        for (; i < n && s[i].x0 == x; i++, opened++) {
            const sg_tl_span *sp = &s[i];
            if (sp->depth != top || sp->x1 <= x || sp->x1 > width ||
                (top > 0 && sp->x1 > s[stack[top - 1]].x1))
                return SG_PROFILE_EINVAL;
            stack[top++] = (uint32_t)i;
        }
        if ((rc = sg_grow_reserve((void **)&out->runs, &out->runs_cap, 3 * (out->run_count + 1),
                                  sizeof *out->runs)) != 0)
            return rc;
        uint32_t *r = out->runs + 3 * out->run_count++;
        r[0] = (uint32_t)(x - prev);
        r[1] = (uint32_t)keep;
        r[2] = opened;
        prev = x;
    }
}

int sg_tl_runs_decode(const uint32_t *runs, size_t run_count, uint32_t width, sg_tl_span *spans,
                      size_t n)
{
    uint32_t *stack = n > 0 ? malloc(n * sizeof *stack) : NULL;
    if (n > 0 && stack == NULL)
        return SG_PROFILE_ENOMEM;
    size_t top = 0, i = 0;
    uint64_t x = 0;
    int rc = SG_PROFILE_OK;
    for (size_t k = 0; k < run_count && rc == 0; k++) {
        uint32_t dx = runs[3 * k], keep = runs[3 * k + 1], opened = runs[3 * k + 2];
        x += dx;
        if ((k > 0 && dx == 0) || x > width || keep > top || opened > n - i ||
            (opened > 0 && x >= width)) {
            rc = SG_PROFILE_EINVAL;
            break;
        }
        while (top > keep)
            spans[stack[--top]].x1 = (uint32_t)x;
        for (uint32_t j = 0; j < opened; j++, i++) {
            spans[i].x0 = (uint32_t)x;
            spans[i].depth = (uint32_t)top;
            stack[top++] = (uint32_t)i;
        }
    }
    if (rc == 0 && i != n)
        rc = SG_PROFILE_EINVAL;
    while (rc == 0 && top > 0)
        spans[stack[--top]].x1 = width;
    free(stack);
    return rc;
}

void sg_tl_runs_free(sg_tl_runs *r)
{
    free(r->runs);
    free(r->stack);
    r->runs = r->stack = NULL;
    r->run_count = r->runs_cap = r->stack_cap = 0;
}
