/*
 * radix_sort.h — sorting plain 64-bit keys (internal to src/analyze).
 *
 * Queries that must order a million rows (the edges of a call graph) pack
 * each row's whole order into one uint64 when it fits and sort those:
 * a least-significant-digit radix sort, 8 bits a pass, that skips the
 * passes whose digit is the same in every key (high bits of small
 * numbers), so it costs a few sequential passes where a comparison sort
 * would make n log n indirect comparisons.
 */
#ifndef SG_ANALYZE_RADIX_SORT_H
#define SG_ANALYZE_RADIX_SORT_H

#include <stddef.h>
#include <stdint.h>

/* Sort keys[0, n) ascending, stably, moving ids[i] (a payload, e.g. the
 * row each key stands for; NULL = none) with keys[i]. Returns
 * SG_PROFILE_OK or SG_PROFILE_ENOMEM (the work buffers; nothing moved). */
int sg_radix_sort_u64(uint64_t *keys, uint32_t *ids, size_t n);

/* Bits needed to hold x (0 for 0). */
static inline unsigned sg_bits_of(uint64_t x)
{
    unsigned b = 0;
    while (x != 0) {
        b++;
        x >>= 1;
    }
    return b;
}

#endif
