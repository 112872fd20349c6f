/*
 * mem.h — a memory source: where the sampler's bytes come from.
 *
 * The sampler never dereferences a target address itself; it asks a memory
 * source to copy ranges into its own buffers. Two implementations share this
 * interface: another process (process_vm_readv, mem_process.c) and, for the
 * in-process sampler, this process: guarded memcpy (mem_guarded.h), with
 * kernel copies (mem_self.c) as its fallback.
 *
 * Invariants:
 *   - A source only ever reads. Nothing here can write to or stop a target.
 *   - Addresses below SG_MEM_MIN_ADDR and lengths above SG_MEM_MAX_READ are
 *     refused before any syscall, so a torn pointer cannot make us copy
 *     gigabytes or read page zero.
 *   - sg_mem_readv reads spans in order and reports how many leading spans
 *     arrived whole; a caller that needs all of them retries the rest one by
 *     one (a batch stops at its first unmapped span).
 */
#ifndef SG_COLLECT_MEM_H
#define SG_COLLECT_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SG_MEM_MIN_ADDR  4096u
#define SG_MEM_MAX_READ  (16u << 20)
#define SG_MEM_MAX_SPANS 256

typedef struct sg_mem_span {
    uint64_t addr;
    void *buf;
    size_t len;
} sg_mem_span;

typedef struct sg_mem sg_mem;

typedef struct sg_mem_ops {
    /* Reads spans in order; returns how many leading spans were read whole
     * (0..n), or a negative errno when the source itself failed (the process
     * is gone: -ESRCH; not allowed: -EPERM). */
    int (*readv)(sg_mem *mem, const sg_mem_span *spans, size_t n);
    void (*close)(sg_mem *mem);
} sg_mem_ops;

struct sg_mem {
    const sg_mem_ops *ops;
    pid_t pid;
    uint64_t syscalls; /* reads issued, for the benchmarks' syscalls/sample */
    /* A range costs its page pins, not its bytes (kernel copies): copying
     * the whole pages a range touches costs about what the range does
     * (see sg_copies_whole_pages). False for memcpy, where bytes cost. */
    bool whole_pages;
};

/* Opens a source over process `pid`. Returns NULL only when out of memory. */
sg_mem *sg_mem_process_open(pid_t pid);

/* Opens a source over this process (mem_self.c, for the in-process
 * sampler): process_vm_readv on our own pid when allowed, else pread on
 * /proc/self/mem (SG_MEM_SELF_FD forces that). Returns NULL when out of
 * memory or when neither can read. sg_mem_self_method names the one used. */
#define SG_MEM_SELF_FD 1u
/* For the in-process sampler's choice (python/ext/inproc.c), not for
 * sg_mem_self_open: kernel copies only, no guarded memcpy (mem_guarded.h). */
#define SG_MEM_SELF_KERNEL 2u
sg_mem *sg_mem_self_open(unsigned flags);
const char *sg_mem_self_method(const sg_mem *mem);

/* Reads spans; see sg_mem_ops.readv. Spans with a bad address or length end
 * the batch there (they are counted as not read). */
int sg_mem_readv(sg_mem *mem, const sg_mem_span *spans, size_t n);

/* Reads one range whole: 0, -EFAULT when part of it is unmapped, or the
 * source's negative errno. */
int sg_mem_read(sg_mem *mem, uint64_t addr, void *buf, size_t len);

/* Reads every span, retrying after a partial batch one span at a time.
 * Returns 0 when all arrived; else the first failure's negative errno. */
int sg_mem_read_all(sg_mem *mem, const sg_mem_span *spans, size_t n);

void sg_mem_close(sg_mem *mem);

#endif
