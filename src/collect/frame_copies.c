/*
 * frame_copies.c — per-round copies of target memory; see frame_copies.h.
 */
#include "collect/frame_copies.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int sg_copies_init(sg_copies *c, sg_mem *mem)
{
    memset(c, 0, sizeof *c);
    c->mem = mem;
    c->cap = 256 * 1024;
    c->cap_items = 256;
    c->arena = malloc(c->cap);
    c->items = malloc(c->cap_items * sizeof *c->items);
    return c->arena && c->items ? 0 : -ENOMEM;
}

void sg_copies_free(sg_copies *c)
{
    free(c->arena);
    free(c->items);
    memset(c, 0, sizeof *c);
}

void sg_copies_reset(sg_copies *c)
{
    c->used = 0;
    c->n = 0;
    c->last_hit = 0;
}

static int sg_copies_reserve(sg_copies *c, size_t len, size_t items)
{
    if (len > SG_MEM_MAX_READ * 4ull)
        return -ENOMEM;
    while (c->used + len > c->cap) {
        uint8_t *arena = realloc(c->arena, c->cap * 2);
        if (!arena)
            return -ENOMEM;
        c->arena = arena;
        c->cap *= 2;
    }
    while (c->n + items > c->cap_items) {
        sg_copy *it = realloc(c->items, c->cap_items * 2 * sizeof *it);
        if (!it)
            return -ENOMEM;
        c->items = it;
        c->cap_items *= 2;
    }
    return 0;
}

int sg_copies_fetch(sg_copies *c, const sg_copy_request *reqs, size_t n, size_t *offsets)
{
    size_t done = 0;
    while (done < n) {
        size_t batch = n - done, bytes = 0;
        if (batch > SG_MEM_MAX_SPANS)
            batch = SG_MEM_MAX_SPANS;
        for (size_t i = 0; i < batch; i++)
            bytes += reqs[done + i].len;
        if (sg_copies_reserve(c, bytes, batch) != 0)
            return -ENOMEM;
        sg_mem_span spans[SG_MEM_MAX_SPANS];
        size_t off = c->used;
        for (size_t i = 0; i < batch; i++) {
            spans[i] = (sg_mem_span){reqs[done + i].addr, c->arena + off, reqs[done + i].len};
            off += reqs[done + i].len;
        }
        int got = sg_mem_readv(c->mem, spans, batch);
        if (got < 0)
            return got;
        off = c->used;
        for (size_t i = 0; i < batch; i++) {
            if (i < (size_t)got)
                c->items[c->n++] = (sg_copy){spans[i].addr, spans[i].len, off};
            if (offsets)
                offsets[done + i] = i < (size_t)got ? off : SG_COPY_MISSING;
            off += spans[i].len;
        }
        c->used = off;
        /* A batch stops at its first unreadable range: skip that one. */
        done += (size_t)got < batch ? (size_t)got + 1 : batch;
    }
    return 0;
}

const uint8_t *sg_copies_find(sg_copies *c, uint64_t addr, size_t len)
{
    /* Walks look frames up mostly in copy order: try the last hit first. */
    for (size_t k = 0; k < c->n; k++) {
        size_t i = (c->last_hit + k) % c->n;
        const sg_copy *it = &c->items[i];
        if (addr >= it->addr && addr - it->addr <= it->len && len <= it->len - (addr - it->addr)) {
            c->last_hit = i;
            return c->arena + it->off + (addr - it->addr);
        }
    }
    return NULL;
}

int sg_copies_covers(sg_copies *c, uint64_t addr, size_t len)
{
    uint64_t end = addr + len;
    while (addr < end) {
        size_t step = 0;
        for (size_t i = 0; i < c->n && !step; i++) {
            const sg_copy *it = &c->items[i];
            if (addr >= it->addr && addr < it->addr + it->len)
                step = (size_t)(it->addr + it->len - addr);
        }
        if (!step)
            return 0;
        addr += step;
    }
    return 1;
}

const uint8_t *sg_copies_get(sg_copies *c, uint64_t addr, size_t len, int *rc)
{
    const uint8_t *p = sg_copies_find(c, addr, len);
    if (p)
        return p;
    sg_copy_request req = {addr, len};
    size_t off = SG_COPY_MISSING;
    *rc = sg_copies_fetch(c, &req, 1, &off);
    if (*rc == 0 && off == SG_COPY_MISSING)
        *rc = -EFAULT;
    return *rc == 0 ? c->arena + off : NULL;
}
