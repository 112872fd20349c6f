/*
 * grow.c — overflow-checked array growth (see grow.h).
 *
 * sg_grow_advise_huge: arrays that are large and read at random (an
 * interning index, an importer's per-value map) or filled at once from a
 * reservation (the pstats importer's document and tables) are advised onto
 * transparent huge pages. With 4 KiB pages nearly every random read also
 * misses the TLB, which on a virtual machine costs a nested page walk,
 * and filling 100 MB faults 25,000 times. Measured on the 200,000-function
 * pstats import: its parse took half the time. Growth by doubling is not
 * advised: the copied part is faulted in already, and a profile that
 * grows sample by sample (the .sgl reader) would only gain resident
 * memory from its partly used last huge page. A hint only (ignored where
 * THP is off or unsupported).
 */
#include "profile/grow.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "profile/status.h"

#define HUGE_PAGE ((size_t)2 << 20) /* x86-64 and arm64 with 4 KiB base pages */

size_t sg_grow_capacity(size_t cap, size_t need, size_t min_cap, size_t max_cap)
{
    if (need > max_cap)
        return 0;
    size_t next = cap < min_cap ? min_cap : cap;
    while (next < need)
        next = next > max_cap / 2 ? max_cap : next * 2;
    return next > max_cap ? max_cap : next;
}

void sg_grow_advise_huge(void *array, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    if (array == NULL || bytes < 2 * HUGE_PAGE)
        return; /* small arrays: a huge page would mostly be waste */
    uintptr_t start = ((uintptr_t)array + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
    uintptr_t end = ((uintptr_t)array + bytes) & ~(uintptr_t)(HUGE_PAGE - 1);
    if (end > start)
        (void)madvise((void *)start, end - start, MADV_HUGEPAGE); /* a hint: failure is fine */
#else
    (void)array;
    (void)bytes;
#endif
}

int sg_grow_array(void **array, size_t new_cap, size_t elem)
{
    if (elem != 0 && new_cap > SIZE_MAX / elem)
        return SG_PROFILE_ELIMIT;
    void *grown = realloc(*array, new_cap * elem);
    if (grown == NULL)
        return SG_PROFILE_ENOMEM;
    *array = grown;
    return SG_PROFILE_OK;
}

int sg_grow_reserve(void **array, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return SG_PROFILE_OK;
    size_t next = sg_grow_capacity(*cap, need, 256, elem ? SIZE_MAX / elem : SIZE_MAX);
    if (next == 0)
        return SG_PROFILE_ELIMIT;
    int rc = sg_grow_array(array, next, elem);
    if (rc == SG_PROFILE_OK)
        *cap = next;
    return rc;
}
