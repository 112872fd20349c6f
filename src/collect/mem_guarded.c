/*
 * mem_guarded.c — the guarded-copy memory source; see mem_guarded.h.
 *
 * A source holds its guard slot (mem_guarded_signal.c) and a kernel
 * fallback (mem_self.c). `guarded` says which one reads; it is only changed
 * by sg_mem_guarded_check, which the caller serialises with reads (the
 * in-process sampler calls both under its lock).
 *
 * A read counts in mem->syscalls as one read, guarded or not: the sampler
 * compares that counter before and after a walk to learn whether the walk
 * read anything (sampler.c's tear check), and the benchmarks print it as
 * reads per round.
 */
#include "collect/mem_guarded.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "collect/mem_guarded_signal.h"

/* The top of user space on x86-64 and arm64 with 4-level page tables is
 * 2^47 (2^48 on arm64); 5-level tables reach 2^56. An address above that
 * faults anyway (and the guard would catch it); refusing it up front keeps
 * wild pointers off the fault path. */
#define SG_GUARDED_MAX_ADDR (1ull << 56)

/* Why a source reads through its fallback. */
enum sg_guarded_why { SG_WHY_NONE, SG_WHY_NO_SLOT, SG_WHY_SEGV_TAKEN, SG_WHY_BUS_TAKEN };

/* Method names by [why][fallback is /proc/self/mem]. */
static const char *const sg_guarded_methods[][2] = {
    {"guarded memcpy", "guarded memcpy"},
    {"process_vm_readv (no guard slot left)", "/proc/self/mem (no guard slot left)"},
    {"process_vm_readv (the host replaced spyglass's SIGSEGV handler)",
     "/proc/self/mem (the host replaced spyglass's SIGSEGV handler)"},
    {"process_vm_readv (the host replaced spyglass's SIGBUS handler)",
     "/proc/self/mem (the host replaced spyglass's SIGBUS handler)"},
};

typedef struct sg_mem_guarded {
    sg_mem base;
    sg_mem *kernel;      /* the fallback, owned */
    sg_guard_slot *slot; /* NULL when no slot was left */
    bool guarded;        /* copies go through the guard now */
    enum sg_guarded_why why;
    pthread_t thread;      /* the last thread that read, and whether it */
    bool thread_can_fault; /* leaves SIGSEGV and SIGBUS unblocked */
    bool have_thread;
    uint64_t faults;
} sg_mem_guarded;

/* A copying thread must not block SIGSEGV/SIGBUS: a blocked synchronous
 * fault kills the process instead of running our handler. Looked at (one
 * syscall) only when a new thread starts reading; a thread that blocks them
 * reads through the kernel: its signal mask is the host's, not ours to
 * change (the sampler thread unblocks them itself). */
static bool sg_mem_guarded_thread_can_fault(sg_mem_guarded *g)
{
    pthread_t self = pthread_self();
    if (g->have_thread && pthread_equal(self, g->thread))
        return g->thread_can_fault;
    sigset_t cur;
    g->thread_can_fault = pthread_sigmask(SIG_BLOCK, NULL, &cur) == 0 &&
                          !sigismember(&cur, SIGSEGV) && !sigismember(&cur, SIGBUS);
    g->thread = self;
    g->have_thread = true;
    return g->thread_can_fault;
}

static int sg_mem_guarded_kernel_readv(sg_mem_guarded *g, const sg_mem_span *spans, size_t n)
{
    uint64_t before = g->kernel->syscalls;
    int got = g->kernel->ops->readv(g->kernel, spans, n);
    g->base.syscalls += g->kernel->syscalls - before;
    return got;
}

static int sg_mem_guarded_readv(sg_mem *mem, const sg_mem_span *spans, size_t n)
{
    sg_mem_guarded *g = (sg_mem_guarded *)mem;
    if (!g->guarded || !sg_mem_guarded_thread_can_fault(g))
        return sg_mem_guarded_kernel_readv(g, spans, n);
    size_t ok = 0;
    while (ok < n && spans[ok].addr + spans[ok].len <= SG_GUARDED_MAX_ADDR)
        ok++;
    mem->syscalls++;
    if (ok == 0)
        return 0;
    size_t got = sg_guard_copy(g->slot, spans, ok);
    if (got < ok)
        g->faults++;
    return (int)got;
}

static void sg_mem_guarded_close(sg_mem *mem)
{
    sg_mem_guarded *g = (sg_mem_guarded *)mem;
    sg_guard_release(g->slot);
    sg_mem_close(g->kernel);
    free(g);
}

static const sg_mem_ops sg_mem_guarded_ops = {sg_mem_guarded_readv, sg_mem_guarded_close};

sg_mem *sg_mem_guarded_open(unsigned fallback_flags)
{
    sg_mem_guarded *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->base.ops = &sg_mem_guarded_ops;
    g->base.pid = getpid();
    if (!(g->kernel = sg_mem_self_open(fallback_flags))) {
        free(g);
        return NULL;
    }
    const char *no_slot;
    g->slot = sg_guard_acquire(&no_slot);
    sg_mem_guarded_check(&g->base);
    return &g->base;
}

bool sg_mem_is_guarded(const sg_mem *mem)
{
    return mem && mem->ops == &sg_mem_guarded_ops;
}

bool sg_mem_guarded_check(sg_mem *mem)
{
    sg_mem_guarded *g = (sg_mem_guarded *)mem;
    const char *lost = "";
    if (!g->slot)
        g->why = SG_WHY_NO_SLOT;
    else if (sg_guard_first(&lost))
        g->why = SG_WHY_NONE;
    else
        g->why = lost[3] == 'B' ? SG_WHY_BUS_TAKEN : SG_WHY_SEGV_TAKEN; /* "SIGBUS" */
    g->guarded = g->why == SG_WHY_NONE;
    g->base.whole_pages = !g->guarded;
    return g->guarded;
}

const char *sg_mem_guarded_method(const sg_mem *mem)
{
    const sg_mem_guarded *g = (const sg_mem_guarded *)mem;
    bool fd = sg_mem_self_method(g->kernel)[0] == '/';
    return sg_guarded_methods[g->why][fd];
}

uint64_t sg_mem_guarded_faults(const sg_mem *mem)
{
    return ((const sg_mem_guarded *)mem)->faults;
}
