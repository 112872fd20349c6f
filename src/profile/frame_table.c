/*
 * frame_table.c — interned frames (see frame_table.h).
 *
 * Rows are an array of small structs (the three fields are always read
 * together); the hash index maps (file, name, first_line) → id. A row is
 * published only after the array and the index have room.
 */
#include "profile/frame_table.h"

#include <stdlib.h>
#include <string.h>

#include "profile/grow.h"
#include "profile/hash.h"
#include "profile/status.h"

int sg_frames_init(sg_frames *f)
{
    memset(f, 0, sizeof *f);
    return SG_PROFILE_OK;
}

void sg_frames_free(sg_frames *f)
{
    free(f->rows);
    free(f->slots);
    memset(f, 0, sizeof *f);
}

int sg_frames_intern(sg_frames *f, uint32_t file, uint32_t name, uint32_t first_line,
                     uint32_t *id_out)
{
    uint32_t hash = sg_hash_u32x3(file, name, first_line);
    if (f->slots != NULL) {
        for (uint32_t i = hash & f->slot_mask;; i = (i + 1) & f->slot_mask) {
            uint64_t slot = f->slots[i];
            if (slot == SG_HASH_EMPTY_SLOT)
                break;
            const sg_frame *row = &f->rows[sg_hash_slot_id(slot)];
            if (sg_hash_slot_hash(slot) == hash && row->file == file && row->name == name &&
                row->first_line == first_line) {
                *id_out = sg_hash_slot_id(slot);
                return SG_PROFILE_OK;
            }
        }
    }
    if (f->count == f->cap) {
        size_t cap = sg_grow_capacity(f->cap, (size_t)f->count + 1, 64, SG_HASH_MAX_ROWS);
        if (cap == 0)
            return SG_PROFILE_ELIMIT;
        int rc = sg_grow_array((void **)&f->rows, cap, sizeof *f->rows);
        if (rc != 0)
            return rc;
        f->cap = (uint32_t)cap;
    }
    int rc = sg_hash_index_reserve(&f->slots, &f->slot_mask, f->count);
    if (rc != 0)
        return rc;
    uint32_t id = f->count;
    f->rows[id] = (sg_frame){.file = file, .name = name, .first_line = first_line};
    sg_hash_index_insert(f->slots, f->slot_mask, hash, id);
    f->count = id + 1;
    *id_out = id;
    return SG_PROFILE_OK;
}
