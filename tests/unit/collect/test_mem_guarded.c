/*
 * test_mem_guarded.c — the guarded-copy memory source (mem_guarded.c) on
 * this process's real memory: a fault inside a guarded copy becomes a
 * failed read, never a crash, and every other fault reaches the handler
 * that was there before, or kills the process as it would have.
 *
 * Faults are real: an unmapped page, a PROT_NONE page, a span that runs off
 * the end of a mapping, a mapped file cut short (SIGBUS). The "dies as it
 * would have" cases run in forked children, whose exit we inspect.
 *
 * The tests share one process, so they leave the handlers as they found
 * them (every source is closed at the end of its test).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "collect/mem.h"
#include "collect/mem_guarded.h"

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif

static uint64_t addr_of(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

static long page_size(void)
{
    return sysconf(_SC_PAGESIZE);
}

/* Three pages: readable, unmapped, PROT_NONE. */
typedef struct pages {
    uint8_t *base;
    uint8_t *readable, *unmapped, *none;
} pages;

static pages pages_make(void)
{
    long ps = page_size();
    pages p;
    p.base = mmap(NULL, (size_t)ps * 3, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(p.base != MAP_FAILED);
    p.readable = p.base;
    p.unmapped = p.base + ps;
    p.none = p.base + 2 * ps;
    for (long i = 0; i < ps; i++)
        p.readable[i] = (uint8_t)(i * 13);
    assert_int_equal(munmap(p.unmapped, (size_t)ps), 0);
    assert_int_equal(mprotect(p.none, (size_t)ps, PROT_NONE), 0);
    return p;
}

static void pages_free(pages *p)
{
    long ps = page_size();
    munmap(p->readable, (size_t)ps);
    munmap(p->none, (size_t)ps);
}

static void test_reads_known_bytes_without_syscalls(void **state)
{
    (void)state;
    sg_mem *mem = sg_mem_guarded_open(0);
    assert_non_null(mem);
    assert_true(sg_mem_is_guarded(mem));
    assert_string_equal(sg_mem_guarded_method(mem), "guarded memcpy");
    uint64_t a = 0x1122334455667788ull, b[64];
    for (size_t i = 0; i < 64; i++)
        b[i] = i * 3;
    uint64_t ga = 0, gb[64] = {0};
    sg_mem_span spans[2] = {{addr_of(&a), &ga, sizeof ga}, {addr_of(b), gb, sizeof gb}};
    assert_int_equal(sg_mem_readv(mem, spans, 2), 2);
    assert_true(ga == a);
    assert_memory_equal(gb, b, sizeof b);
    /* One read counted for the batch (the sampler's "did the walk read"),
     * and no fault. */
    assert_int_equal(mem->syscalls, 1);
    assert_int_equal(sg_mem_guarded_faults(mem), 0);
    sg_mem_close(mem);
}

static void test_unmapped_and_prot_none_are_failed_reads(void **state)
{
    (void)state;
    pages p = pages_make();
    sg_mem *mem = sg_mem_guarded_open(0);
    assert_non_null(mem);
    uint8_t buf[64];
    assert_int_equal(sg_mem_read(mem, addr_of(p.unmapped), buf, sizeof buf), -EFAULT);
    assert_int_equal(sg_mem_read(mem, addr_of(p.none), buf, sizeof buf), -EFAULT);
    /* A span running off the end of the readable page into the hole. */
    assert_int_equal(sg_mem_read(mem, addr_of(p.unmapped - 8), buf, sizeof buf), -EFAULT);
    assert_int_equal(sg_mem_guarded_faults(mem), 3);
    /* A batch stops at its first unreadable span: the spans before it are
     * whole, exactly as process_vm_readv reports. */
    uint8_t x[16], y[16], z[16];
    sg_mem_span spans[3] = {{addr_of(p.readable), x, sizeof x},
                            {addr_of(p.readable + 100), y, sizeof y},
                            {addr_of(p.none + 16), z, sizeof z}};
    assert_int_equal(sg_mem_readv(mem, spans, 3), 2);
    assert_memory_equal(x, p.readable, sizeof x);
    assert_memory_equal(y, p.readable + 100, sizeof y);
    spans[1].addr = addr_of(p.unmapped);
    assert_int_equal(sg_mem_readv(mem, spans, 3), 1);
    /* And it keeps working: each fault recovers, the signal stays usable. */
    for (int i = 0; i < 200; i++)
        assert_int_equal(sg_mem_read(mem, addr_of(i % 2 ? p.none : p.unmapped), buf, 8), -EFAULT);
    assert_int_equal(sg_mem_read(mem, addr_of(p.readable), buf, sizeof buf), 0);
    assert_memory_equal(buf, p.readable, sizeof buf);
    /* Addresses beyond user space are refused before any copy. */
    assert_int_equal(sg_mem_read(mem, 0xffff800000001000ull, buf, 8), -EFAULT);
    sg_mem_close(mem);
    pages_free(&p);
}

/* SIGBUS: a page of a mapped file that the file no longer reaches. */
static void test_sigbus_past_end_of_file_is_a_failed_read(void **state)
{
    (void)state;
    char path[] = "/tmp/sg-test-guard-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    long ps = page_size();
    assert_int_equal(ftruncate(fd, ps * 2), 0);
    uint8_t *m = mmap(NULL, (size_t)ps * 2, PROT_READ, MAP_SHARED, fd, 0);
    assert_true(m != MAP_FAILED);
    assert_int_equal(ftruncate(fd, ps), 0); /* the second page is past the end now */
    sg_mem *mem = sg_mem_guarded_open(0);
    uint8_t buf[32];
    assert_int_equal(sg_mem_read(mem, addr_of(m), buf, sizeof buf), 0);
    assert_int_equal(sg_mem_read(mem, addr_of(m + ps), buf, sizeof buf), -EFAULT);
    assert_int_equal(sg_mem_guarded_faults(mem), 1);
    sg_mem_close(mem);
    munmap(m, (size_t)ps * 2);
    close(fd);
}

/* A thread that blocks SIGSEGV (a host thread; the sampler thread unblocks
 * it) must never fault in a copy: a blocked synchronous SIGSEGV kills the
 * process. Its reads go through the kernel, and its mask stays its own. */
typedef struct blocked_reader {
    sg_mem *mem;
    uint64_t addr;
    int rc;
    int still_blocked;
} blocked_reader;

static void *read_with_all_signals_blocked(void *arg)
{
    blocked_reader *r = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    uint8_t buf[8];
    r->rc = sg_mem_read(r->mem, r->addr, buf, sizeof buf);
    sigset_t now;
    pthread_sigmask(SIG_BLOCK, NULL, &now);
    r->still_blocked = sigismember(&now, SIGSEGV) && sigismember(&now, SIGBUS);
    return NULL;
}

static void test_thread_blocking_sigsegv_reads_through_kernel(void **state)
{
    (void)state;
    pages p = pages_make();
    sg_mem *mem = sg_mem_guarded_open(0);
    blocked_reader r = {mem, addr_of(p.unmapped), 1, 0};
    uint64_t reads = mem->syscalls;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, read_with_all_signals_blocked, &r), 0);
    pthread_join(th, NULL);
    assert_int_equal(r.rc, -EFAULT);
    assert_true(r.still_blocked);
    assert_int_equal(sg_mem_guarded_faults(mem), 0); /* the kernel said EFAULT */
    assert_true(mem->syscalls > reads);
    /* This thread (SIGSEGV unblocked) still copies under the guard. */
    uint8_t buf[8];
    assert_int_equal(sg_mem_read(mem, addr_of(p.none), buf, sizeof buf), -EFAULT);
    assert_int_equal(sg_mem_guarded_faults(mem), 1);
    sg_mem_close(mem);
    pages_free(&p);
}

/* A handler the host installed before us: faults outside our copies reach it. */
static sigjmp_buf host_jump;
static volatile sig_atomic_t host_calls;
static volatile int host_code;

static void host_handler(int sig, siginfo_t *info, void *uc)
{
    (void)sig;
    (void)uc;
    host_calls++;
    host_code = info->si_code;
    siglongjmp(host_jump, 1);
}

static void install_host_handler(struct sigaction *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = host_handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGSEGV, &sa, old), 0);
}

static void test_foreign_fault_reaches_previous_handler(void **state)
{
    (void)state;
    pages p = pages_make();
    struct sigaction before;
    install_host_handler(&before);
    sg_mem *mem = sg_mem_guarded_open(0);
    assert_string_equal(sg_mem_guarded_method(mem), "guarded memcpy");
    host_calls = 0;
    if (sigsetjmp(host_jump, 1) == 0) {
        volatile uint8_t v = *(volatile uint8_t *)p.none; /* a fault of the host's own */
        (void)v;
        fail_msg("reading a PROT_NONE page did not fault");
    }
    assert_int_equal(host_calls, 1);
    assert_int_equal(host_code, SEGV_ACCERR);
    /* Our copies still recover, without bothering the host's handler. */
    uint8_t buf[8];
    assert_int_equal(sg_mem_read(mem, addr_of(p.none), buf, sizeof buf), -EFAULT);
    assert_int_equal(host_calls, 1);
    sg_mem_close(mem);
    /* The last close put the host's handler back. */
    struct sigaction now;
    sigaction(SIGSEGV, NULL, &now);
    assert_true(now.sa_sigaction == host_handler);
    sigaction(SIGSEGV, &before, NULL);
    pages_free(&p);
}

/* The host installs its handler after us (faulthandler.enable()): the
 * source notices at its next check and reads through the kernel, still
 * safely; when ours is first again, copies are guarded again. */
static void test_displaced_handler_falls_back_to_kernel(void **state)
{
    (void)state;
    pages p = pages_make();
    sg_mem *mem = sg_mem_guarded_open(0);
    assert_true(sg_mem_guarded_check(mem));
    struct sigaction ours;
    install_host_handler(&ours);
    assert_false(sg_mem_guarded_check(mem));
    const char *method = sg_mem_guarded_method(mem);
    assert_non_null(strstr(method, "the host replaced spyglass's SIGSEGV handler"));
    assert_true(strncmp(method, "process_vm_readv", 16) == 0 ||
                strncmp(method, "/proc/self/mem", 14) == 0);
    uint64_t faults = sg_mem_guarded_faults(mem), syscalls = mem->syscalls;
    uint8_t buf[16];
    host_calls = 0;
    assert_int_equal(sg_mem_read(mem, addr_of(p.none), buf, sizeof buf), -EFAULT);
    assert_int_equal(sg_mem_read(mem, addr_of(p.readable), buf, sizeof buf), 0);
    assert_memory_equal(buf, p.readable, sizeof buf);
    assert_int_equal(host_calls, 0);                      /* the kernel said EFAULT */
    assert_int_equal(sg_mem_guarded_faults(mem), faults); /* no fault was taken */
    assert_true(mem->syscalls >= syscalls + 2);           /* kernel reads */
    /* A second source opened now must not install ours over the host's
     * (which may chain to ours: each would call the other forever). */
    sg_mem *second = sg_mem_guarded_open(0);
    assert_false(sg_mem_guarded_check(second));
    struct sigaction now;
    sigaction(SIGSEGV, NULL, &now);
    assert_true(now.sa_sigaction == host_handler);
    sg_mem_close(second);
    /* The host puts ours back (faulthandler.disable()). */
    sigaction(SIGSEGV, &ours, NULL);
    assert_true(sg_mem_guarded_check(mem));
    assert_string_equal(sg_mem_guarded_method(mem), "guarded memcpy");
    assert_int_equal(sg_mem_read(mem, addr_of(p.none), buf, sizeof buf), -EFAULT);
    assert_int_equal(sg_mem_guarded_faults(mem), faults + 1);
    sg_mem_close(mem);
    pages_free(&p);
}

/* Runs fn in a child and returns its wait status. */
static int in_child(void (*fn)(void))
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        fn();
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

/* cmocka catches SIGSEGV in its tests: the child starts as a program with
 * no handler of its own. */
static void child_default_segv(void)
{
    signal(SIGSEGV, SIG_DFL);
    signal(SIGBUS, SIG_DFL);
    int null = open("/dev/null", O_WRONLY); /* quiet: dying is the expected outcome */
    dup2(null, 1);
    dup2(null, 2);
}

static void child_faults_outside_guard(void)
{
    child_default_segv();
    sg_mem *mem = sg_mem_guarded_open(0);
    pages p = pages_make();
    uint8_t buf[8];
    if (sg_mem_read(mem, addr_of(p.none), buf, sizeof buf) != -EFAULT)
        _exit(3);
    volatile uint8_t v = *(volatile uint8_t *)p.unmapped;
    (void)v;
    _exit(4); /* survived a fault that should have killed it */
}

static void child_gets_killed_with_sigsegv(void)
{
    child_default_segv();
    sg_mem *mem = sg_mem_guarded_open(0);
    (void)mem;
    kill(getpid(), SIGSEGV);
    _exit(4);
}

static void assert_died_of_segv(int status)
{
#ifdef TEST_ASAN
    /* ASan's handler was the previous one: it reports and exits. */
    assert_true((WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV) ||
                (WIFEXITED(status) && WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 3 &&
                 WEXITSTATUS(status) != 4));
#else
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSEGV);
#endif
}

static void test_foreign_fault_without_handler_kills_as_before(void **state)
{
    (void)state;
    assert_died_of_segv(in_child(child_faults_outside_guard));
    assert_died_of_segv(in_child(child_gets_killed_with_sigsegv));
}

static void test_last_close_restores_previous_handler(void **state)
{
    (void)state;
    struct sigaction before, after;
    sigaction(SIGSEGV, NULL, &before);
    sg_mem *a = sg_mem_guarded_open(0), *b = sg_mem_guarded_open(SG_MEM_SELF_FD);
    assert_string_equal(sg_mem_guarded_method(b), "guarded memcpy");
    sg_mem_close(a);
    sigaction(SIGSEGV, NULL, &after);
    assert_false(after.sa_handler == before.sa_handler); /* b still holds ours */
    sg_mem_close(b);
    sigaction(SIGSEGV, NULL, &after);
    assert_true(after.sa_handler == before.sa_handler);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_known_bytes_without_syscalls),
        cmocka_unit_test(test_unmapped_and_prot_none_are_failed_reads),
        cmocka_unit_test(test_sigbus_past_end_of_file_is_a_failed_read),
        cmocka_unit_test(test_thread_blocking_sigsegv_reads_through_kernel),
        cmocka_unit_test(test_foreign_fault_reaches_previous_handler),
        cmocka_unit_test(test_displaced_handler_falls_back_to_kernel),
        cmocka_unit_test(test_foreign_fault_without_handler_kills_as_before),
        cmocka_unit_test(test_last_close_restores_previous_handler),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
