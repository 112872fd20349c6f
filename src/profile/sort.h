/*
 * sort.h — a stable merge sort of uint32 ids with a comparison that gets a
 * context pointer (internal).
 *
 * Exporters and views order rows by what the rows refer to (a frame's name
 * text, a thread's name), which needs the profile at hand: qsort has no
 * context argument, and qsort_r differs between C libraries. Stable, so ties
 * keep id order and every output is deterministic.
 */
#ifndef SG_PROFILE_SORT_H
#define SG_PROFILE_SORT_H

#include <stddef.h>
#include <stdint.h>

/* Negative, zero or positive as a sorts before, with or after b. */
typedef int (*sg_sort_cmp)(uint32_t a, uint32_t b, const void *ctx);

/* Sort n ids in place. Returns SG_PROFILE_ENOMEM if the n-element work
 * buffer cannot be allocated (ids untouched), else SG_PROFILE_OK. */
int sg_sort_u32(uint32_t *ids, size_t n, sg_sort_cmp cmp, const void *ctx);

#endif
