/*
 * radix_sort.c — LSD radix sort of uint64 keys (see radix_sort.h).
 *
 * One pass counts all eight digit histograms at once; each digit that
 * varies is then one stable scatter between the arrays and the buffers.
 */
#include "analyze/radix_sort.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "profile/status.h"

int sg_radix_sort_u64(uint64_t *keys, uint32_t *ids, size_t n)
{
    if (n < 2)
        return SG_PROFILE_OK;
    if (n > SIZE_MAX / sizeof(uint64_t))
        return SG_PROFILE_ELIMIT;
    size_t(*count)[256] = calloc(8, sizeof *count);
    uint64_t *kbuf = malloc(n * sizeof *kbuf);
    uint32_t *ibuf = ids == NULL ? NULL : malloc(n * sizeof *ibuf);
    if (count == NULL || kbuf == NULL || (ids != NULL && ibuf == NULL)) {
        free(count);
        free(kbuf);
        free(ibuf);
        return SG_PROFILE_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        for (int d = 0; d < 8; d++)
            count[d][(keys[i] >> (8 * d)) & 0xff]++;
    uint64_t *kfrom = keys, *kto = kbuf;
    uint32_t *ifrom = ids, *ito = ibuf;
    for (int d = 0; d < 8; d++) {
        if (count[d][(kfrom[0] >> (8 * d)) & 0xff] == n)
            continue; /* every key has this digit */
        size_t at = 0;
        for (int b = 0; b < 256; b++) {
            size_t c = count[d][b];
            count[d][b] = at;
            at += c;
        }
        for (size_t i = 0; i < n; i++) {
            size_t to = count[d][(kfrom[i] >> (8 * d)) & 0xff]++;
            kto[to] = kfrom[i];
            if (ids != NULL)
                ito[to] = ifrom[i];
        }
        uint64_t *kt = kfrom;
        kfrom = kto;
        kto = kt;
        uint32_t *it = ifrom;
        ifrom = ito;
        ito = it;
    }
    if (kfrom != keys) {
        memcpy(keys, kfrom, n * sizeof *keys);
        if (ids != NULL)
            memcpy(ids, ifrom, n * sizeof *ids);
    }
    free(count);
    free(kbuf);
    free(ibuf);
    return SG_PROFILE_OK;
}
