/*
 * mem_guarded_signal.c — the fault guard; see mem_guarded_signal.h.
 *
 * A guarded copy is: sigsetjmp (no mask saved: no syscall), arm the slot,
 * memcpy each span, disarm. If a span faults, the kernel runs our handler
 * on the faulting thread; the handler finds that thread's armed slot and
 * siglongjmps back into sg_guard_copy, which reports the spans before the
 * faulting one as read. SA_NODEFER keeps the signal unblocked while the
 * handler runs, so after the jump the thread can fault-and-recover again;
 * the mask is still set explicitly after a fault, in case a handler that
 * chained to ours ran without SA_NODEFER.
 *
 * Passing a fault on. SA_ONSTACK: a host thread that overflowed its stack
 * has only its alternate stack to run handlers on (Python's faulthandler
 * sets one up), and we are now the first handler it meets. Then:
 *   - the previous handler took siginfo: call it with the same arguments;
 *   - it took only the signal number: call it so;
 *   - default or ignored: put SIG_DFL back and return. A real fault runs
 *     the faulting instruction again, which faults again, now with the
 *     default action: the process dies as it would have without us (core
 *     dump at the right place). A kill()ed SIGSEGV does not come back by
 *     itself, so it is raised again (unless it was ignored).
 *
 * Under AddressSanitizer the copy is a byte loop ASan does not instrument:
 * the memory we read may be freed (in ASan's quarantine), which is our
 * normal case and not the host's bug. ASan's own SEGV handler stays the
 * previous handler (handle_segv=1 lets us install ours), so its reports
 * of real faults still come.
 */
#include "collect/mem_guarded_signal.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#define SG_GUARD_SLOTS 64

#if defined(__SANITIZE_ADDRESS__)
#define SG_GUARD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SG_GUARD_ASAN 1
#endif
#endif

struct sg_guard_slot {
    atomic_int used;             /* claimed by a source */
    volatile sig_atomic_t armed; /* its thread is inside a copy */
    pthread_t thread;            /* the thread that armed it */
    sigjmp_buf jump;
};

/* The one global state: a signal handler takes no context. */
static sg_guard_slot sg_guard_slots[SG_GUARD_SLOTS];
static struct sigaction sg_guard_prev_segv, sg_guard_prev_bus;
static pthread_mutex_t sg_guard_lock = PTHREAD_MUTEX_INITIALIZER;
static bool sg_guard_ever_segv, sg_guard_ever_bus; /* ours was installed once */
static int sg_guard_users;

static struct sigaction *sg_guard_prev(int sig)
{
    return sig == SIGBUS ? &sg_guard_prev_bus : &sg_guard_prev_segv;
}

/* What would have happened without us. */
static void sg_guard_pass_on(int sig, siginfo_t *info, void *ucontext)
{
    const struct sigaction *prev = sg_guard_prev(sig);
    if (prev->sa_flags & SA_SIGINFO) {
        prev->sa_sigaction(sig, info, ucontext);
        return;
    }
    if (prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN) {
        prev->sa_handler(sig);
        return;
    }
    bool sent = info->si_code <= 0; /* kill(), tgkill(), sigqueue(): not a fault */
    if (sent && prev->sa_handler == SIG_IGN)
        return;
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    if (sent)
        raise(sig);
}

static void sg_guard_handler(int sig, siginfo_t *info, void *ucontext)
{
    if (info->si_code > 0) {
        pthread_t self = pthread_self();
        for (size_t i = 0; i < SG_GUARD_SLOTS; i++) {
            sg_guard_slot *s = &sg_guard_slots[i];
            if (s->armed && pthread_equal(s->thread, self)) {
                s->armed = 0;
                siglongjmp(s->jump, 1);
            }
        }
    }
    sg_guard_pass_on(sig, info, ucontext);
}

static bool sg_guard_is_ours(int sig)
{
    struct sigaction cur;
    if (sigaction(sig, NULL, &cur) != 0)
        return false;
    return (cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == sg_guard_handler;
}

bool sg_guard_first(const char **lost)
{
    if (!sg_guard_is_ours(SIGSEGV)) {
        *lost = "SIGSEGV";
        return false;
    }
    if (!sg_guard_is_ours(SIGBUS)) {
        *lost = "SIGBUS";
        return false;
    }
    return true;
}

static bool sg_guard_same(const struct sigaction *a, const struct sigaction *b)
{
    if ((a->sa_flags & SA_SIGINFO) != (b->sa_flags & SA_SIGINFO))
        return false;
    return a->sa_flags & SA_SIGINFO ? a->sa_sigaction == b->sa_sigaction
                                    : a->sa_handler == b->sa_handler;
}

/* With sg_guard_lock held: makes ours the handler of `sig` unless the host
 * displaced it. Once ours was installed, a handler that is neither ours nor
 * the one we found first was put there by the host after us, and may chain
 * to ours: installing ours over it again would make each call the other
 * forever. So then we stay out (the source reads through the kernel). */
static void sg_guard_install(int sig)
{
    if (sg_guard_is_ours(sig))
        return;
    struct sigaction cur, *prev = sg_guard_prev(sig);
    bool *ever = sig == SIGBUS ? &sg_guard_ever_bus : &sg_guard_ever_segv;
    if (sigaction(sig, NULL, &cur) != 0)
        return;
    if (*ever && !sg_guard_same(&cur, prev))
        return;
    *prev = cur; /* before ours can run */
    *ever = true;
    struct sigaction ours;
    memset(&ours, 0, sizeof ours);
    ours.sa_sigaction = sg_guard_handler;
    ours.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&ours.sa_mask);
    sigaction(sig, &ours, NULL);
}

/* With sg_guard_lock held: puts the previous handlers back where ours are
 * still installed. Where the host installed its own since, ours stays
 * behind it (it may chain to us; we pass on to our saved previous). */
static void sg_guard_uninstall(void)
{
    /* Put back cleanly, nothing can chain to ours any more: a handler the
     * host installs from now on is simply the host's. */
    if (sg_guard_is_ours(SIGSEGV) && sigaction(SIGSEGV, &sg_guard_prev_segv, NULL) == 0)
        sg_guard_ever_segv = false;
    if (sg_guard_is_ours(SIGBUS) && sigaction(SIGBUS, &sg_guard_prev_bus, NULL) == 0)
        sg_guard_ever_bus = false;
}

sg_guard_slot *sg_guard_acquire(const char **why)
{
    sg_guard_slot *slot = NULL;
    for (size_t i = 0; i < SG_GUARD_SLOTS && !slot; i++) {
        int expected = 0;
        if (atomic_compare_exchange_strong(&sg_guard_slots[i].used, &expected, 1))
            slot = &sg_guard_slots[i];
    }
    if (!slot) {
        *why = "no guard slot left";
        return NULL;
    }
    pthread_mutex_lock(&sg_guard_lock);
    sg_guard_users++;
    sg_guard_install(SIGSEGV);
    sg_guard_install(SIGBUS);
    pthread_mutex_unlock(&sg_guard_lock);
    return slot;
}

void sg_guard_release(sg_guard_slot *slot)
{
    if (!slot)
        return;
    slot->armed = 0;
    pthread_mutex_lock(&sg_guard_lock);
    if (--sg_guard_users == 0)
        sg_guard_uninstall();
    pthread_mutex_unlock(&sg_guard_lock);
    atomic_store(&slot->used, 0);
}

#ifdef SG_GUARD_ASAN
__attribute__((no_sanitize("address"))) static void sg_guard_memcpy(void *dst, const void *src,
                                                                    size_t n)
{
    volatile unsigned char *d = dst; /* volatile: never turned into a memcpy call */
    const volatile unsigned char *s = src;
    for (size_t i = 0; i < n; i++)
        d[i] = s[i];
}
#else
#define sg_guard_memcpy memcpy
#endif

static void sg_guard_unblock(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGSEGV);
    sigaddset(&set, SIGBUS);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

size_t sg_guard_copy(sg_guard_slot *slot, const sg_mem_span *spans, size_t n)
{
    volatile size_t i = 0; /* read after the jump: must live in memory */
    slot->thread = pthread_self();
    if (sigsetjmp(slot->jump, 0) != 0) {
        atomic_signal_fence(memory_order_seq_cst);
        sg_guard_unblock();
        return i;
    }
    slot->armed = 1;
    atomic_signal_fence(memory_order_seq_cst);
    for (; i < n; i++)
        sg_guard_memcpy(spans[i].buf, (const void *)(uintptr_t)spans[i].addr, spans[i].len);
    atomic_signal_fence(memory_order_seq_cst);
    slot->armed = 0;
    return n;
}
