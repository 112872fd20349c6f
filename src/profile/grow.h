/*
 * grow.h — overflow-checked growth of the arrays behind every table
 * (src/profile's tables, and the answers src/analyze builds).
 *
 * Tables grow by doubling so appends are amortised O(1). Every size
 * computation is checked: a count that would overflow size_t (or the
 * table's own index type) returns SG_PROFILE_ELIMIT, a failed allocation
 * SG_PROFILE_ENOMEM, and in both cases the old array is left untouched.
 */
#ifndef SG_PROFILE_GROW_H
#define SG_PROFILE_GROW_H

#include <stddef.h>
#include <stdint.h>

/* The capacity to grow to so that `need` elements fit: at least double the
 * current one, at least `min_cap`, at most `max_cap`. Returns 0 if `need`
 * exceeds max_cap. */
size_t sg_grow_capacity(size_t cap, size_t need, size_t min_cap, size_t max_cap);

/* Reallocate *array to `new_cap` elements of `elem` bytes each. On failure
 * *array is unchanged. */
int sg_grow_array(void **array, size_t new_cap, size_t elem);

/* Room for `need` elements of `elem` bytes in *array, whose capacity is
 * *cap: grown by doubling from at least 256 when short. Returns
 * SG_PROFILE_OK, SG_PROFILE_ELIMIT or SG_PROFILE_ENOMEM (array untouched). */
int sg_grow_reserve(void **array, size_t *cap, size_t need, size_t elem);

/* Advise the whole huge pages inside `bytes` at `array` onto transparent
 * huge pages, when the array is large enough for that to pay: for a large
 * array read at random (far fewer TLB misses) or about to be filled (far
 * fewer page faults). Call it before the memory is touched: pages already
 * faulted in stay small. A hint, never an error. */
void sg_grow_advise_huge(void *array, size_t bytes);

#endif
