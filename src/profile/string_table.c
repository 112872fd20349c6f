/*
 * string_table.c — interned strings (see string_table.h).
 *
 * Layout: one byte arena holding every string followed by NUL, and per id
 * its offset, length and hash. The hash index maps hash → id; a probe
 * compares the stored hash, then the length, then the bytes.
 *
 * A new string is published (count incremented) only after the arena, the
 * per-id columns and the index all have room, so a failed intern leaves the
 * table exactly as it was.
 */
#include "profile/string_table.h"

#include <stdlib.h>
#include <string.h>

#include "profile/grow.h"
#include "profile/hash.h"
#include "profile/status.h"

static int strings_find_hashed(const sg_strings *s, const char *str, size_t len, uint32_t hash,
                               uint32_t *id_out)
{
    if (s->slots == NULL)
        return 0;
    for (uint32_t i = hash & s->slot_mask;; i = (i + 1) & s->slot_mask) {
        uint64_t slot = s->slots[i];
        if (slot == SG_HASH_EMPTY_SLOT)
            return 0;
        uint32_t id = sg_hash_slot_id(slot);
        if (sg_hash_slot_hash(slot) == hash && s->length[id] == len &&
            memcmp(s->bytes + s->offset[id], str, len) == 0) {
            *id_out = id;
            return 1;
        }
    }
}

/* Room for one more row and `len` + 1 more bytes. */
static int strings_reserve(sg_strings *s, size_t len)
{
    if (s->count == s->cap) {
        size_t cap = sg_grow_capacity(s->cap, (size_t)s->count + 1, 64, SG_HASH_MAX_ROWS);
        if (cap == 0)
            return SG_PROFILE_ELIMIT;
        int rc;
        if ((rc = sg_grow_array((void **)&s->offset, cap, sizeof *s->offset)) != 0 ||
            (rc = sg_grow_array((void **)&s->length, cap, sizeof *s->length)) != 0 ||
            (rc = sg_grow_array((void **)&s->hash, cap, sizeof *s->hash)) != 0)
            return rc;
        s->cap = (uint32_t)cap;
    }
    if (len > SIZE_MAX - 1 - s->bytes_len)
        return SG_PROFILE_ELIMIT;
    size_t need = s->bytes_len + len + 1;
    if (need > s->bytes_cap) {
        size_t cap = sg_grow_capacity(s->bytes_cap, need, 4096, SIZE_MAX);
        int rc = sg_grow_array((void **)&s->bytes, cap, 1);
        if (rc != 0)
            return rc;
        s->bytes_cap = cap;
    }
    return sg_hash_index_reserve(&s->slots, &s->slot_mask, s->count);
}

int sg_strings_intern(sg_strings *s, const char *str, size_t len, uint32_t *id_out)
{
    if (len > UINT32_MAX)
        return SG_PROFILE_ELIMIT;
    uint32_t hash = sg_hash_bytes(str, len);
    if (strings_find_hashed(s, str, len, hash, id_out))
        return SG_PROFILE_OK;
    int rc = strings_reserve(s, len);
    if (rc != 0)
        return rc;
    uint32_t id = s->count;
    s->offset[id] = s->bytes_len;
    s->length[id] = (uint32_t)len;
    s->hash[id] = hash;
    if (len > 0)
        memcpy(s->bytes + s->bytes_len, str, len);
    s->bytes[s->bytes_len + len] = '\0';
    s->bytes_len += len + 1;
    sg_hash_index_insert(s->slots, s->slot_mask, hash, id);
    s->count = id + 1;
    *id_out = id;
    return SG_PROFILE_OK;
}

int sg_strings_intern_cstr(sg_strings *s, const char *str, uint32_t *id_out)
{
    return sg_strings_intern(s, str, strlen(str), id_out);
}

int sg_strings_find(const sg_strings *s, const char *str, size_t len, uint32_t *id_out)
{
    if (len > UINT32_MAX)
        return 0;
    return strings_find_hashed(s, str, len, sg_hash_bytes(str, len), id_out);
}

int sg_strings_init(sg_strings *s)
{
    memset(s, 0, sizeof *s);
    uint32_t empty;
    int rc = sg_strings_intern(s, "", 0, &empty);
    if (rc != 0)
        sg_strings_free(s);
    return rc;
}

void sg_strings_free(sg_strings *s)
{
    free(s->offset);
    free(s->length);
    free(s->hash);
    free(s->bytes);
    free(s->slots);
    memset(s, 0, sizeof *s);
}
