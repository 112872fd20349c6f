/*
 * sort.c — bottom-up merge sort of ids (see sort.h).
 *
 * Iterative (no recursion), O(n log n) comparisons, one n-element buffer.
 * Runs of width 1, 2, 4 ... are merged back and forth between the two
 * arrays; the result is copied home if it ends in the buffer.
 */
#include "profile/sort.h"

#include <stdlib.h>
#include <string.h>

#include "profile/status.h"

int sg_sort_u32(uint32_t *ids, size_t n, sg_sort_cmp cmp, const void *ctx)
{
    if (n < 2)
        return SG_PROFILE_OK;
    if (n > SIZE_MAX / sizeof(uint32_t))
        return SG_PROFILE_ELIMIT;
    uint32_t *buf = malloc(n * sizeof(uint32_t));
    if (buf == NULL)
        return SG_PROFILE_ENOMEM;
    uint32_t *from = ids, *to = buf;
    for (size_t width = 1; width<n; width = width> n / 2 ? n : width * 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = mid + width < n ? mid + width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                to[k++] = cmp(from[j], from[i], ctx) < 0 ? from[j++] : from[i++];
            while (i < mid)
                to[k++] = from[i++];
            while (j < hi)
                to[k++] = from[j++];
        }
        uint32_t *t = from;
        from = to;
        to = t;
    }
    if (from != ids)
        memcpy(ids, from, n * sizeof(uint32_t));
    free(buf);
    return SG_PROFILE_OK;
}
