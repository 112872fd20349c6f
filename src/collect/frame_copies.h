/*
 * frame_copies.h — the bytes a sampling round copied out of the target, and
 * a lookup from target address to copied bytes.
 *
 * A round first copies, in one batched read, the memory it expects to need
 * (datastack chunks, last round's frame addresses); the walk then looks each
 * frame up here and reads individually only what is missing. Copies live in
 * one arena reset each round, so steady state allocates nothing.
 *
 * Pointers returned by find/get are valid until the next fetch or get (the
 * arena may move when it grows): take the fields you need at once.
 */
#ifndef SG_COLLECT_FRAME_COPIES_H
#define SG_COLLECT_FRAME_COPIES_H

#include <stddef.h>
#include <stdint.h>

#include "collect/mem.h"

typedef struct sg_copy {
    uint64_t addr;
    size_t len, off;
} sg_copy;

typedef struct sg_copies {
    sg_mem *mem;
    uint8_t *arena;
    size_t cap, used;
    sg_copy *items;
    size_t n, cap_items;
    size_t last_hit;
} sg_copies;

int sg_copies_init(sg_copies *c, sg_mem *mem);
void sg_copies_free(sg_copies *c);
void sg_copies_reset(sg_copies *c);

/* A request for one range of target memory. */
typedef struct sg_copy_request {
    uint64_t addr;
    size_t len;
} sg_copy_request;

#define SG_COPY_MISSING SIZE_MAX

/* Requests that follow each other in the list and lie close together in
 * memory (the next one starts at most SG_COPY_JOIN_GAP bytes after the end
 * of the previous, on the same page or the next) are copied as one range:
 * each range in a read costs the kernel a page-table walk and a page pin,
 * about a third of a microsecond, while a few hundred extra bytes cost
 * nothing. The bytes still arrive in the order of the requests. */
#define SG_COPY_JOIN_GAP 1024u
#define SG_COPY_PAGE     4096u

/* Widens requests r[0..n), sorted by address, to the whole pages they
 * touch, merging those that share or border a page; returns the new count.
 * A range costs its page pins, not its bytes, so a whole page comes at the
 * price of the few hundred bytes asked for, and brings whatever else lies
 * on it: a frame object allocated there since the plan was made (3.9/3.10
 * frames of one size share the allocator's page-sized pools). Only pages
 * the requests touch are added, so a widened range is readable whenever
 * its requests are. */
size_t sg_copies_whole_pages(sg_copy_request *r, size_t n);

/* Copies every request it can, in batches of up to SG_MEM_MAX_SPANS ranges
 * per read; offsets[i] (may be NULL) receives where request i's bytes are
 * (for sg_copies_at), or SG_COPY_MISSING when it did not arrive whole.
 * Returns 0, or a negative errno when the source failed (target gone). */
int sg_copies_fetch(sg_copies *c, const sg_copy_request *reqs, size_t n, size_t *offsets);

/* Forgets every copy but those lying within arena offsets [lo, hi): their
 * bytes and offsets stay as they were, and copies fetched after them are
 * looked up first (a retry re-reads the fast-changing part of a stack and
 * keeps the rest). */
void sg_copies_keep(sg_copies *c, size_t lo, size_t hi);

/* Where the copies stand: copies fetched after a mark lie at arena offsets
 * from mark.used on (for sg_copies_find_since), and can be forgotten. */
typedef struct sg_copies_mark {
    size_t n, used;
} sg_copies_mark;

static inline sg_copies_mark sg_copies_here(const sg_copies *c)
{
    return (sg_copies_mark){c->n, c->used};
}

/* Forgets every copy fetched after the mark. */
void sg_copies_forget_after(sg_copies *c, sg_copies_mark mark);

/* The bytes at an offset sg_copies_fetch gave. */
static inline const uint8_t *sg_copies_at(const sg_copies *c, size_t offset)
{
    return c->arena + offset;
}

/* The copied bytes of [addr, addr+len), or NULL. */
const uint8_t *sg_copies_find(sg_copies *c, uint64_t addr, size_t len);

/* The first copy of [addr, addr+len) among those made at or after arena
 * offset `since` (copies are made in arena order, so: since then), or NULL. */
const uint8_t *sg_copies_find_since(sg_copies *c, size_t since, uint64_t addr, size_t len);

/* Whether [addr, addr+len) was copied, possibly in adjacent pieces. */
int sg_copies_covers(sg_copies *c, uint64_t addr, size_t len);

/* sg_copies_get's path when the last hit does not hold the range. */
const uint8_t *sg_copies_get_miss(sg_copies *c, uint64_t addr, size_t len, int *rc);

/* Like find, but reads the range when it is not there. NULL when it cannot
 * be read; *rc receives the source's negative errno (or -EFAULT).
 *
 * Inline because a walk asks once per frame and nearly every frame lies in
 * the copy the previous one came from (the chunk's top part): the check of
 * the last hit is what sg_copies_find tries first anyway, so answers are the
 * same, without a call and a loop per frame. */
static inline const uint8_t *sg_copies_get(sg_copies *c, uint64_t addr, size_t len, int *rc)
{
    if (c->last_hit < c->n) {
        const sg_copy *it = &c->items[c->last_hit];
        if (addr >= it->addr && addr - it->addr <= it->len && len <= it->len - (addr - it->addr))
            return c->arena + it->off + (addr - it->addr);
    }
    return sg_copies_get_miss(c, addr, len, rc);
}

#endif
