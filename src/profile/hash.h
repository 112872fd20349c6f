/*
 * hash.h — the hash functions behind the interning tables (internal).
 *
 * Interning is on the recorder's hot path (one stack lookup per frame per
 * sample), so the integer hash is a couple of multiplies; the byte hash
 * reads 8 bytes at a time. Neither needs to resist an adversary: a hostile
 * .sgl file can at worst make its own loading slower, and every table keeps
 * its load factor at or below 1/2.
 *
 * Tables store (hash << 32 | id) in their slots so a probe compares the
 * hash before touching the row, and growing never rehashes keys.
 */
#ifndef SG_PROFILE_HASH_H
#define SG_PROFILE_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SG_HASH_EMPTY_SLOT UINT64_MAX

/* Scramble 64 bits so that every input bit affects the high output bits. */
static inline uint64_t sg_hash_mix(uint64_t x)
{
    x ^= x >> 31;
    x *= 0x9e6c63d0676a9a99ull;
    x ^= x >> 29;
    x *= 0xc2b2ae3d27d4eb4full;
    x ^= x >> 32;
    return x;
}

/* Hash of up to three 32-bit fields. */
static inline uint32_t sg_hash_u32x3(uint32_t a, uint32_t b, uint32_t c)
{
    uint64_t h = sg_hash_mix(((uint64_t)a << 32 | b) ^ ((uint64_t)c * 0x8f1bbcdcbfa53e0bull));
    return (uint32_t)(h >> 32);
}

/* Hash of a byte string. */
static inline uint32_t sg_hash_bytes(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 0x2545f4914f6cdd1dull ^ (len * 0x9e3779b97f4a7c15ull);
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = sg_hash_mix(h ^ w) + 0x632be59bd9b4e019ull;
        p += 8;
        len -= 8;
    }
    uint64_t tail = 0;
    for (size_t i = 0; i < len; i++)
        tail |= (uint64_t)p[i] << (8 * i);
    h = sg_hash_mix(h ^ tail ^ ((uint64_t)len << 56));
    return (uint32_t)(h >> 32);
}

/* Build or read a slot. */
static inline uint64_t sg_hash_slot(uint32_t hash, uint32_t id)
{
    return (uint64_t)hash << 32 | id;
}

static inline uint32_t sg_hash_slot_hash(uint64_t slot)
{
    return (uint32_t)(slot >> 32);
}

static inline uint32_t sg_hash_slot_id(uint64_t slot)
{
    return (uint32_t)slot;
}

/*
 * The index behind every interning table: open addressing with linear
 * probing over 2^k slots (`slots`, `mask` = 2^k - 1), kept at most half
 * full. It stores ids only; the table that owns it compares keys through
 * its own rows. Tables hold at most SG_HASH_MAX_ROWS rows, so ids never
 * collide with the SG_*_NONE markers (UINT32_MAX) and 2^k fits in 64 bits.
 */
#define SG_HASH_MAX_ROWS 0x7fffffffu

/* Make room so that `count + 1` entries keep the load at or below 1/2,
 * re-placing existing entries by their stored hash. */
int sg_hash_index_reserve(uint64_t **slots, uint32_t *mask, uint32_t count);

/* Place (hash, id) in the first empty slot of its probe sequence; the
 * caller has checked the key is absent and reserved room. */
void sg_hash_index_insert(uint64_t *slots, uint32_t mask, uint32_t hash, uint32_t id);

#endif
