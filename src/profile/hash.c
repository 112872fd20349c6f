/*
 * hash.c — growing and filling the open-addressing index shared by the
 * interning tables (see hash.h).
 *
 * Invariant: after sg_hash_index_reserve(count), the slot array has at
 * least 2 * (count + 1) slots, so a probe always meets an empty slot.
 */
#include "profile/hash.h"

#include <assert.h>
#include <stdlib.h>

#include "profile/grow.h"
#include "profile/status.h"

void sg_hash_index_insert(uint64_t *slots, uint32_t mask, uint32_t hash, uint32_t id)
{
    assert(slots != NULL);
    uint32_t i = hash & mask;
    while (slots[i] != SG_HASH_EMPTY_SLOT)
        i = (i + 1) & mask;
    slots[i] = sg_hash_slot(hash, id);
}

int sg_hash_index_reserve(uint64_t **slots, uint32_t *mask, uint32_t count)
{
    if (count >= SG_HASH_MAX_ROWS)
        return SG_PROFILE_ELIMIT;
    uint64_t have = *slots == NULL ? 0 : (uint64_t)*mask + 1;
    uint64_t need = 2 * ((uint64_t)count + 1);
    if (have >= need)
        return SG_PROFILE_OK;
    uint64_t size = have == 0 ? 64 : have;
    while (size < need)
        size *= 2;
    if (size > (uint64_t)UINT32_MAX + 1 || size > SIZE_MAX / sizeof(uint64_t))
        return SG_PROFILE_ELIMIT;
    uint64_t *grown = malloc((size_t)size * sizeof(uint64_t));
    if (grown == NULL)
        return SG_PROFILE_ENOMEM;
    sg_grow_advise_huge(grown, (size_t)size * sizeof(uint64_t)); /* probes land at random */
    memset(grown, 0xff, (size_t)size * sizeof(uint64_t));        /* every slot SG_HASH_EMPTY_SLOT */
    uint32_t new_mask = (uint32_t)(size - 1);
    for (uint64_t i = 0; i < have; i++) {
        uint64_t slot = (*slots)[i];
        if (slot != SG_HASH_EMPTY_SLOT)
            sg_hash_index_insert(grown, new_mask, sg_hash_slot_hash(slot), sg_hash_slot_id(slot));
    }
    free(*slots);
    *slots = grown;
    *mask = new_mask;
    return SG_PROFILE_OK;
}
