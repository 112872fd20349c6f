/*
 * thread_cpu.c — on-CPU detection; see thread_cpu.h for the method.
 */
#include "collect/thread_cpu.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Longer than the slowest scheduler tick (HZ=100): a thread whose run time
 * moved this recently may be running between ticks. */
#define SG_RECENTLY_RAN_NS 20000000ull

/* How long a "running" from wchan is trusted without a switch record to
 * back it (see "wchan can say running for a thread that sleeps" in
 * thread_cpu.h): past this the thread is asked again. */
#define SG_WCHAN_TRUSTED_NS SG_RECENTLY_RAN_NS

static int sg_open_task_file(pid_t pid, pid_t tid, const char *name)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/task/%d/%s", (int)pid, (int)tid, name);
    return open(path, O_RDONLY | O_CLOEXEC);
}

static int sg_running_now(sg_thread_cpu *c);

void sg_thread_cpu_open(sg_thread_cpu *c, pid_t pid, pid_t tid)
{
    sg_thread_cpu_open_flags(c, pid, tid, 0);
}

void sg_thread_cpu_open_flags(sg_thread_cpu *c, pid_t pid, pid_t tid, unsigned flags)
{
    memset(c, 0, sizeof *c);
    c->pid = pid;
    c->tid = tid;
    c->wchan_fd = -1;
    c->schedstat_fd = -1;
    /* The kernel's encoding of a per-thread CPU clock (CPUCLOCK_PERTHREAD |
     * CPUCLOCK_SCHED), as glibc's pthread_getcpuclockid builds it; readable
     * only within the thread group, hence only for our own threads. */
    struct timespec ts;
    c->clock = (clockid_t)((~(unsigned)tid) << 3) | 6;
    c->own = pid == getpid() && tid > 0 && clock_gettime(c->clock, &ts) == 0;
    if (c->own) {
        /* Our own thread: its switch records cost no syscall per sample,
         * the clock one (~0.5 us on a VM); the clock stays the fallback
         * when perf_event_open is refused (see thread_cpu.h). */
        c->watched = !(flags & SG_THREAD_CPU_CLOCK) && sg_switch_watch_open(&c->watch, tid) == 0;
        return;
    }
    c->schedstat_fd = sg_open_task_file(pid, tid, "schedstat");
    /* Only a thread we can read at all is worth a watch (and a dead tid
     * must keep saying -1 through schedstat). */
    c->watched = c->schedstat_fd >= 0 && sg_switch_watch_open(&c->watch, tid) == 0;
    if (c->watched) {
        close(c->schedstat_fd); /* not read while watched: keep fds to one per thread */
        c->schedstat_fd = -1;
    }
}

/* A watched thread: what its switch records say (see thread_cpu.h). */
static int sg_watched_thread_sample(sg_thread_cpu *c, uint64_t now_ns)
{
    switch (sg_switch_watch_read(&c->watch)) {
    case SG_SWITCH_QUIET:
        if (!c->state_known ||
            (c->wchan_said_running && now_ns - c->asked_ns >= SG_WCHAN_TRUSTED_NS)) {
            /* The first reading, or one after lost records: ask. A switch
             * after this answer shows up as a record next time. But a
             * "running" from wchan alone is asked again until a record
             * backs it: the thread may have slept before our watch began. */
            c->running = sg_running_now(c) > 0;
            c->wchan_said_running = c->running;
            c->asked_ns = now_ns;
            c->state_known = true;
        }
        break;
    case SG_SWITCH_NOW_IN:
        c->last_change_ns = now_ns;
        c->running = c->state_known = true;
        c->wchan_said_running = false;
        return 1;
    case SG_SWITCH_NOW_OUT:
        c->last_change_ns = now_ns;
        c->running = c->wchan_said_running = false;
        c->state_known = true;
        return 1; /* it ran during the interval */
    case SG_SWITCH_UNKNOWN:
        c->last_change_ns = now_ns;
        c->state_known = false;
        return 1;
    case SG_SWITCH_GONE:
        return -1;
    }
    c->have_reading = true;
    return c->running;
}

/* Our own thread: did its CPU clock move since the last reading? */
static int sg_own_thread_sample(sg_thread_cpu *c, uint64_t now_ns)
{
    struct timespec ts;
    if (clock_gettime(c->clock, &ts) != 0)
        return -1; /* EINVAL: the thread is gone */
    uint64_t run_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    int on_cpu;
    if (c->have_reading)
        on_cpu = run_ns != c->run_ns;
    else
        on_cpu = sg_running_now(c); /* nothing to compare with yet: ask once */
    if (on_cpu)
        c->last_change_ns = now_ns;
    c->run_ns = run_ns;
    c->have_reading = true;
    return on_cpu;
}

/* Is the thread running or runnable right now? wchan is "0" then. */
static int sg_running_now(sg_thread_cpu *c)
{
    if (c->wchan_fd < 0 && (c->wchan_fd = sg_open_task_file(c->pid, c->tid, "wchan")) < 0)
        return 0;
    char buf[64];
    ssize_t n = pread(c->wchan_fd, buf, sizeof buf, 0);
    return n == 1 && buf[0] == '0';
}

int sg_thread_cpu_sample(sg_thread_cpu *c, uint64_t now_ns)
{
    if (c->watched)
        return sg_watched_thread_sample(c, now_ns);
    if (c->own)
        return sg_own_thread_sample(c, now_ns);
    if (c->schedstat_fd < 0)
        return -1;
    char buf[96];
    ssize_t n = pread(c->schedstat_fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *p = buf;
    uint64_t run_ns = strtoull(p, &p, 10);
    strtoull(p, &p, 10); /* time spent waiting for a CPU */
    uint64_t switches = strtoull(p, NULL, 10);
    int changed = c->have_reading && (run_ns != c->run_ns || switches != c->switches);
    int on_cpu;
    if (changed) {
        on_cpu = 1; /* it ran; whether it still runs is not known */
        c->state_known = false;
        c->last_change_ns = now_ns;
    } else if (c->state_known &&
               !(c->running && now_ns - c->last_change_ns >= SG_RECENTLY_RAN_NS)) {
        /* No switch in or out since we learned it. (A thread that truly
         * runs shows its run time grow at the next tick, so "running" with
         * a still run time for longer than a tick is asked again.) */
        on_cpu = c->running;
    } else if (!c->have_reading || now_ns - c->last_change_ns < SG_RECENTLY_RAN_NS) {
        on_cpu = c->running = sg_running_now(c) > 0;
        c->state_known = true;
        if (!c->have_reading)
            c->last_change_ns = now_ns;
    } else {
        on_cpu = 0; /* quiet for longer than any tick: asleep */
        c->running = false;
        c->state_known = true;
    }
    c->run_ns = run_ns;
    c->switches = switches;
    c->have_reading = true;
    return on_cpu;
}

void sg_thread_cpu_close(sg_thread_cpu *c)
{
    if (c->schedstat_fd >= 0)
        close(c->schedstat_fd);
    if (c->wchan_fd >= 0)
        close(c->wchan_fd);
    if (c->watched)
        sg_switch_watch_close(&c->watch);
    c->watched = false;
    c->schedstat_fd = c->wchan_fd = -1;
}

const char *sg_thread_cpu_method(const sg_thread_cpu *c)
{
    return c->watched ? "switch records" : c->own ? "cpu clock" : "schedstat";
}
