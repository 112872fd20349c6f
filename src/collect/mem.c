/*
 * mem.c — the parts of a memory source common to every backend: argument
 * checks and the retry of partial batches.
 */
#include "collect/mem.h"

#include <errno.h>

static int sg_mem_span_ok(const sg_mem_span *s)
{
    return s->addr >= SG_MEM_MIN_ADDR && s->len <= SG_MEM_MAX_READ && s->addr + s->len >= s->addr;
}

int sg_mem_readv(sg_mem *mem, const sg_mem_span *spans, size_t n)
{
    size_t ok = 0;
    while (ok < n && sg_mem_span_ok(&spans[ok]))
        ok++;
    if (ok == 0)
        return 0;
    return mem->ops->readv(mem, spans, ok);
}

int sg_mem_read(sg_mem *mem, uint64_t addr, void *buf, size_t len)
{
    sg_mem_span span = {addr, buf, len};
    int got = sg_mem_readv(mem, &span, 1);
    if (got < 0)
        return got;
    return got == 1 ? 0 : -EFAULT;
}

int sg_mem_read_all(sg_mem *mem, const sg_mem_span *spans, size_t n)
{
    size_t done = 0;
    while (done < n) {
        size_t batch = n - done;
        if (batch > SG_MEM_MAX_SPANS)
            batch = SG_MEM_MAX_SPANS;
        int got = sg_mem_readv(mem, spans + done, batch);
        if (got < 0)
            return got;
        if (got == 0)
            return -EFAULT; /* the first span of the batch is unreadable */
        done += (size_t)got;
    }
    return 0;
}

void sg_mem_close(sg_mem *mem)
{
    if (mem)
        mem->ops->close(mem);
}
