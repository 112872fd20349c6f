/*
 * thread_table.c — interned (tid, name) rows (see thread_table.h).
 *
 * Threads are few; the hash index exists so a recorder can look a thread up
 * on every sample without scanning.
 */
#include "profile/thread_table.h"

#include <stdlib.h>
#include <string.h>

#include "profile/grow.h"
#include "profile/hash.h"
#include "profile/status.h"

int sg_threads_init(sg_threads *t)
{
    memset(t, 0, sizeof *t);
    return SG_PROFILE_OK;
}

void sg_threads_free(sg_threads *t)
{
    free(t->tid);
    free(t->name);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

int sg_threads_intern(sg_threads *t, uint64_t tid, uint32_t name, uint32_t *index_out)
{
    uint32_t hash = sg_hash_u32x3((uint32_t)(tid >> 32), (uint32_t)tid, name);
    if (t->slots != NULL) {
        for (uint32_t i = hash & t->slot_mask;; i = (i + 1) & t->slot_mask) {
            uint64_t slot = t->slots[i];
            if (slot == SG_HASH_EMPTY_SLOT)
                break;
            uint32_t id = sg_hash_slot_id(slot);
            if (sg_hash_slot_hash(slot) == hash && t->tid[id] == tid && t->name[id] == name) {
                *index_out = id;
                return SG_PROFILE_OK;
            }
        }
    }
    if (t->count == t->cap) {
        size_t cap = sg_grow_capacity(t->cap, (size_t)t->count + 1, 16, SG_HASH_MAX_ROWS);
        if (cap == 0)
            return SG_PROFILE_ELIMIT;
        int rc;
        if ((rc = sg_grow_array((void **)&t->tid, cap, sizeof *t->tid)) != 0 ||
            (rc = sg_grow_array((void **)&t->name, cap, sizeof *t->name)) != 0)
            return rc;
        t->cap = (uint32_t)cap;
    }
    int rc = sg_hash_index_reserve(&t->slots, &t->slot_mask, t->count);
    if (rc != 0)
        return rc;
    uint32_t id = t->count;
    t->tid[id] = tid;
    t->name[id] = name;
    sg_hash_index_insert(t->slots, t->slot_mask, hash, id);
    t->count = id + 1;
    *index_out = id;
    return SG_PROFILE_OK;
}
