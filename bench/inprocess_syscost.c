/*
 * inprocess_syscost.c — what the kernel charges for each call one round of
 * the in-process sampler makes, on this machine: the floor under the
 * sampler's CPU per sample. Run by bench/inprocess-slowdown (which compiles
 * it with cc); standalone: cc -O2 -o /tmp/syscost bench/inprocess_syscost.c
 *
 * Each figure is the calling thread's own CPU time (CLOCK_THREAD_CPUTIME_ID)
 * per call, median of several batches, so a busy machine inflates it less
 * than wall time would. Prints two JSON objects, one per line: calls made
 * in a loop, then calls made right after a 1 ms sleep (the *_cold_us
 * names), with reads of another process beside them.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SC_BATCHES 7

static uint64_t sc_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int sc_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef void (*sc_fn)(void *ctx);

/* Median over SC_BATCHES of the thread CPU ns per call of fn. */
static double sc_measure(sc_fn fn, void *ctx, int calls)
{
    double per[SC_BATCHES];
    for (int b = 0; b < SC_BATCHES; b++) {
        uint64_t t0 = sc_cpu_ns();
        for (int i = 0; i < calls; i++)
            fn(ctx);
        per[b] = (double)(sc_cpu_ns() - t0) / calls;
    }
    qsort(per, SC_BATCHES, sizeof *per, sc_cmp);
    return per[SC_BATCHES / 2];
}

/* A sampler sleeps between rounds, and its first calls after a wakeup
 * find the caches, TLB and branch predictors cold (on a VM also after the
 * host ran other guests): a call made right after a 1 ms sleep costs
 * several times one made in a loop. Median over `calls` such calls of the
 * call alone (the wakeup itself is outside the clock reads). */
static double sc_measure_cold(sc_fn fn, void *ctx, int calls)
{
    double *per = malloc((size_t)calls * sizeof *per);
    if (!per)
        return 0;
    struct timespec ms = {0, 1000000};
    for (int i = 0; i < calls; i++) {
        clock_nanosleep(CLOCK_MONOTONIC, 0, &ms, NULL);
        uint64_t t0 = sc_cpu_ns();
        fn(ctx);
        per[i] = (double)(sc_cpu_ns() - t0);
    }
    qsort(per, (size_t)calls, sizeof *per, sc_cmp);
    double median = per[calls / 2];
    free(per);
    return median;
}

#define SC_MAX_SPANS 12
static char sc_src[SC_MAX_SPANS * 8192] __attribute__((aligned(4096)));
static char sc_dst[SC_MAX_SPANS * 8192];

typedef struct sc_vm {
    size_t len, spans;
    pid_t pid; /* 0: this process */
} sc_vm;

static void sc_vm_readv(void *ctx)
{
    const sc_vm *v = ctx;
    struct iovec local[SC_MAX_SPANS], remote[SC_MAX_SPANS];
    for (size_t i = 0; i < v->spans; i++) {
        local[i] = (struct iovec){sc_dst + i * 8192, v->len};
        remote[i] = (struct iovec){sc_src + i * 8192, v->len};
    }
    if (process_vm_readv(v->pid ? v->pid : getpid(), local, v->spans, remote, v->spans, 0) < 0)
        perror("process_vm_readv");
}

static void sc_pread(void *ctx)
{
    char buf[96];
    if (pread(*(int *)ctx, buf, sizeof buf, 0) < 0)
        perror("pread");
}

static void sc_thread_clock(void *ctx)
{
    struct timespec ts;
    clock_gettime(*(clockid_t *)ctx, &ts);
}

static void sc_monotonic(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
}

static void sc_sleep(void *ctx)
{
    struct timespec ts = {0, *(long *)ctx};
    clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
}

int main(void)
{
    memset(sc_src, 1, sizeof sc_src);
    /* Five 8-byte ranges on five pages: the fewest a 2-thread round with
     * tear checks can make (thread list, two stacks, two re-reads); eleven:
     * what a 3.11-3.13 round makes in the steady state. */
    sc_vm empty = {8, 1, 0}, page = {4096, 1, 0}, three = {4096, 3, 0}, five = {8, 5, 0},
          eleven = {8, 11, 0};
    char path[64];
    pid_t tid = (pid_t)syscall(SYS_gettid);
    snprintf(path, sizeof path, "/proc/self/task/%d/schedstat", (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    /* The kernel's encoding of a thread's CPU clock (what pthread_getcpuclockid returns). */
    clockid_t clk = (clockid_t)((~(unsigned)tid) << 3) | 6;
    long ms = 1000000;
    /* Another process to read, as the out-of-process sampler does: a child
     * holds a copy of sc_src at the same addresses (fork), and waits. */
    pid_t child = fork();
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives the measurement */
        pause();
        _exit(0);
    }
    sc_vm other = {8, 1, child}, other11 = {8, 11, child};
    printf("{\"vm_readv_5x8B_us\": %.3f, \"vm_readv_11x8B_us\": %.3f, ",
           sc_measure(sc_vm_readv, &five, 20000) / 1e3,
           sc_measure(sc_vm_readv, &eleven, 20000) / 1e3);
    printf("\"vm_readv_8B_us\": %.3f, \"vm_readv_4KB_us\": %.3f, \"vm_readv_3x4KB_us\": %.3f, "
           "\"schedstat_pread_us\": %.3f, \"thread_clock_us\": %.3f, \"monotonic_us\": %.3f, "
           "\"sleep_1ms_wakeup_us\": %.3f}\n",
           sc_measure(sc_vm_readv, &empty, 20000) / 1e3,
           sc_measure(sc_vm_readv, &page, 20000) / 1e3,
           sc_measure(sc_vm_readv, &three, 20000) / 1e3, sc_measure(sc_pread, &fd, 20000) / 1e3,
           sc_measure(sc_thread_clock, &clk, 20000) / 1e3,
           sc_measure(sc_monotonic, NULL, 20000) / 1e3, sc_measure(sc_sleep, &ms, 200) / 1e3);
    if (child > 0) {
        /* Right after a wakeup: what one call of a sampling round costs. */
        printf("{\"vm_readv_8B_cold_us\": %.3f, \"vm_readv_11x8B_cold_us\": %.3f, "
               "\"vm_readv_other_8B_us\": %.3f, \"vm_readv_other_8B_cold_us\": %.3f, "
               "\"vm_readv_other_11x8B_cold_us\": %.3f}\n",
               sc_measure_cold(sc_vm_readv, &empty, 300) / 1e3,
               sc_measure_cold(sc_vm_readv, &eleven, 300) / 1e3,
               sc_measure(sc_vm_readv, &other, 20000) / 1e3,
               sc_measure_cold(sc_vm_readv, &other, 300) / 1e3,
               sc_measure_cold(sc_vm_readv, &other11, 300) / 1e3);
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
    }
    return 0;
}
