/*
 * mem_process.c — a memory source over another process, with
 * process_vm_readv(2): one syscall copies many ranges, no ptrace stop, and
 * the kernel checks every address, so a stale pointer costs an error code,
 * never a fault in the sampler or a change in the target.
 *
 * The kernel stops a batch at the first range it cannot read and returns the
 * bytes copied so far; we turn that byte count into "spans read whole".
 */
#include "collect/mem.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/uio.h>

static int sg_mem_process_readv(sg_mem *mem, const sg_mem_span *spans, size_t n)
{
    struct iovec local[SG_MEM_MAX_SPANS], remote[SG_MEM_MAX_SPANS];
    size_t want = 0;
    if (n > SG_MEM_MAX_SPANS)
        n = SG_MEM_MAX_SPANS;
    for (size_t i = 0; i < n; i++) {
        local[i].iov_base = spans[i].buf;
        local[i].iov_len = spans[i].len;
        remote[i].iov_base = (void *)(uintptr_t)spans[i].addr;
        remote[i].iov_len = spans[i].len;
        want += spans[i].len;
    }
    mem->syscalls++;
    ssize_t got = process_vm_readv(mem->pid, local, n, remote, n, 0);
    if (got < 0)
        return errno == EFAULT ? 0 : -errno;
    if ((size_t)got == want)
        return (int)n;
    size_t whole = 0, bytes = (size_t)got;
    while (whole < n && bytes >= spans[whole].len) {
        bytes -= spans[whole].len;
        whole++;
    }
    return (int)whole;
}

static void sg_mem_process_close(sg_mem *mem)
{
    free(mem);
}

static const sg_mem_ops sg_mem_process_ops = {sg_mem_process_readv, sg_mem_process_close};

sg_mem *sg_mem_process_open(pid_t pid)
{
    sg_mem *mem = calloc(1, sizeof *mem);
    if (!mem)
        return NULL;
    mem->ops = &sg_mem_process_ops;
    mem->pid = pid;
    mem->whole_pages = true;
    return mem;
}
