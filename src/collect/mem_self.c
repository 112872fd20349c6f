/*
 * mem_self.c — a memory source over this very process, for the in-process
 * sampler (python/): a native thread that reads the interpreter it lives in.
 *
 * The bytes it reads belong to threads that run on while we copy: a frame
 * can be popped, a chunk munmapped, a code object freed between the moment
 * we learn an address and the moment we read it. A plain memcpy would then
 * fault and take the host program down. So every copy goes through the
 * kernel, which checks the address and answers EFAULT/EIO instead of a
 * signal, exactly like the out-of-process source. No signal handler is
 * installed: the host's own SIGSEGV handling stays untouched.
 *
 * Two kernels paths, picked once at open time by probing:
 *   - process_vm_readv on our own pid: many spans per syscall. Seccomp
 *     profiles of some container runtimes refuse it (EPERM/ENOSYS).
 *   - pread on a kept-open /proc/self/mem: one span per syscall, but it
 *     needs no ptrace right for oneself. Unmapped ranges answer EIO.
 *
 * Invariants: reads only; the descriptor belongs to the source and is
 * closed with it; after fork() a source keeps reading the parent's pid (or
 * its mm, for the fd), so a child must open its own.
 */
#include "collect/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

typedef struct sg_mem_self {
    sg_mem base;
    int fd; /* /proc/self/mem, or -1 when process_vm_readv works */
} sg_mem_self;

static int sg_mem_self_vm_readv(sg_mem *mem, const sg_mem_span *spans, size_t n)
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

static int sg_mem_self_fd_readv(sg_mem *mem, const sg_mem_span *spans, size_t n)
{
    sg_mem_self *self = (sg_mem_self *)mem;
    for (size_t i = 0; i < n; i++) {
        size_t done = 0;
        while (done < spans[i].len) {
            mem->syscalls++;
            ssize_t got = pread(self->fd, (char *)spans[i].buf + done, spans[i].len - done,
                                (off_t)(spans[i].addr + done));
            if (got < 0 && errno == EINTR)
                continue;
            if (got < 0 && errno != EIO && errno != EFAULT)
                return i ? (int)i : -errno;
            if (got <= 0)
                return (int)i; /* unmapped: the batch ends at this span */
            done += (size_t)got;
        }
    }
    return (int)n;
}

static void sg_mem_self_close(sg_mem *mem)
{
    sg_mem_self *self = (sg_mem_self *)mem;
    if (self->fd >= 0)
        close(self->fd);
    free(self);
}

static const sg_mem_ops sg_mem_self_vm_ops = {sg_mem_self_vm_readv, sg_mem_self_close};
static const sg_mem_ops sg_mem_self_fd_ops = {sg_mem_self_fd_readv, sg_mem_self_close};

/* Does the source read back a word we know? */
static int sg_mem_self_probe(sg_mem *mem)
{
    volatile uint64_t known = 0x5367736c61737321ull; /* volatile: really in memory */
    uint64_t got = 0;
    sg_mem_span span = {(uint64_t)(uintptr_t)&known, &got, sizeof got};
    return mem->ops->readv(mem, &span, 1) == 1 && got == known;
}

sg_mem *sg_mem_self_open(unsigned flags)
{
    sg_mem_self *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->base.pid = getpid();
    self->base.whole_pages = true; /* process_vm_readv or pread: both pin pages */
    self->fd = -1;
    self->base.ops = &sg_mem_self_vm_ops;
    if (!(flags & SG_MEM_SELF_FD) && sg_mem_self_probe(&self->base))
        return &self->base;
    self->fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
    self->base.ops = &sg_mem_self_fd_ops;
    if (self->fd >= 0 && sg_mem_self_probe(&self->base))
        return &self->base;
    sg_mem_self_close(&self->base);
    return NULL;
}

const char *sg_mem_self_method(const sg_mem *mem)
{
    return mem->ops == &sg_mem_self_fd_ops ? "/proc/self/mem" : "process_vm_readv";
}
