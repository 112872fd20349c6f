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

void sg_copies_keep(sg_copies *c, size_t lo, size_t hi)
{
    size_t m = 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->items[i].off >= lo && c->items[i].off + c->items[i].len <= hi)
            c->items[m++] = c->items[i];
    c->n = m;
    c->last_hit = m; /* the next lookup starts at what comes next */
}

void sg_copies_forget_after(sg_copies *c, sg_copies_mark mark)
{
    if (mark.n > c->n || mark.used > c->used)
        return; /* not a mark of these copies as they stand */
    c->n = mark.n;
    c->used = mark.used;
    if (c->last_hit >= c->n)
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

/* Whether request b, right after a, may share a's span: it starts at or
 * after a's end (a re-read of the same bytes must stay a read of its own,
 * later in time), close by, and the bytes between touch no page that
 * neither touches (so the shared span cannot fail where they would not). */
static int sg_copies_joinable(uint64_t span_addr, size_t span_len, const sg_copy_request *b)
{
    uint64_t end = span_addr + span_len;
    return b->addr >= end && b->addr - end <= SG_COPY_JOIN_GAP &&
           b->addr / SG_COPY_PAGE <= (end - 1) / SG_COPY_PAGE + 1 &&
           b->addr + b->len - span_addr <= SG_MEM_MAX_READ;
}

/* One readv of up to SG_MEM_MAX_SPANS spans over reqs[0..n): consecutive
 * requests merge into one span when joinable (if `join`). Stores each
 * request's offset and returns how many requests it settled (>= 1), or a
 * negative errno. A span that fails ends the batch there; a merged one is
 * then read again request by request, so merging never loses a range. */
static long sg_copies_fetch_batch(sg_copies *c, const sg_copy_request *reqs, size_t n,
                                  size_t *offsets, int join)
{
    sg_mem_span spans[SG_MEM_MAX_SPANS];
    size_t first[SG_MEM_MAX_SPANS + 1]; /* requests first[i]..first[i+1]-1 form span i */
    size_t nspans = 0, r = 0, bytes = 0;
    while (r < n && nspans < SG_MEM_MAX_SPANS) {
        first[nspans] = r;
        uint64_t addr = reqs[r].addr;
        size_t len = reqs[r].len;
        for (r++; join && r < n && sg_copies_joinable(addr, len, &reqs[r]); r++)
            len = (size_t)(reqs[r].addr + reqs[r].len - addr);
        spans[nspans++] = (sg_mem_span){addr, NULL, len};
        bytes += len;
    }
    first[nspans] = r;
    if (sg_copies_reserve(c, bytes, nspans) != 0)
        return -ENOMEM;
    size_t off = c->used;
    for (size_t i = 0; i < nspans; i++) {
        spans[i].buf = c->arena + off;
        off += spans[i].len;
    }
    int got = sg_mem_readv(c->mem, spans, nspans);
    if (got < 0)
        return got;
    off = c->used;
    for (size_t i = 0; i < (size_t)got; i++) {
        c->items[c->n++] = (sg_copy){spans[i].addr, spans[i].len, off};
        for (size_t q = first[i]; offsets && q < first[i + 1]; q++)
            offsets[q] = off + (size_t)(reqs[q].addr - spans[i].addr);
        off += spans[i].len;
    }
    c->used = off;
    if ((size_t)got == nspans)
        return (long)r;
    /* Span `got` failed: alone, its request is missing; merged, its
     * requests are tried one by one. Either way the batch resumes after. */
    size_t a = first[got], b = first[got + 1];
    if (b - a == 1) {
        if (offsets)
            offsets[a] = SG_COPY_MISSING;
        return (long)b;
    }
    for (size_t q = a; q < b;) {
        long done = sg_copies_fetch_batch(c, reqs + q, b - q, offsets ? offsets + q : NULL, 0);
        if (done < 0)
            return done;
        q += (size_t)done;
    }
    return (long)b;
}

size_t sg_copies_whole_pages(sg_copy_request *r, size_t n)
{
    const uint64_t mask = ~(uint64_t)(SG_COPY_PAGE - 1);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t lo = r[i].addr & mask, hi = (r[i].addr + r[i].len + SG_COPY_PAGE - 1) & mask;
        uint64_t end = m ? r[m - 1].addr + r[m - 1].len : 0;
        if (m && lo <= end) {
            if (hi > end)
                r[m - 1].len = (size_t)(hi - r[m - 1].addr);
        } else {
            r[m++] = (sg_copy_request){lo, (size_t)(hi - lo)};
        }
    }
    return m;
}

int sg_copies_fetch(sg_copies *c, const sg_copy_request *reqs, size_t n, size_t *offsets)
{
    size_t done = 0;
    while (done < n) {
        long got =
            sg_copies_fetch_batch(c, reqs + done, n - done, offsets ? offsets + done : NULL, 1);
        if (got < 0)
            return (int)got;
        done += (size_t)got;
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

const uint8_t *sg_copies_find_since(sg_copies *c, size_t since, uint64_t addr, size_t len)
{
    size_t i = c->n;
    while (i > 0 && c->items[i - 1].off >= since)
        i--;
    for (; i < c->n; i++) {
        const sg_copy *it = &c->items[i];
        if (addr >= it->addr && addr - it->addr <= it->len && len <= it->len - (addr - it->addr))
            return c->arena + it->off + (addr - it->addr);
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

const uint8_t *sg_copies_get_miss(sg_copies *c, uint64_t addr, size_t len, int *rc)
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
