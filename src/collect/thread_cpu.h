/*
 * thread_cpu.h — whether a thread of another process is on CPU.
 *
 * The cheap source is /proc/PID/task/TID/schedstat: run time and the number
 * of times the thread was switched in. If either grew since the previous
 * sample, the thread ran during the interval the sample stands for. But the
 * kernel brings a running thread's run time up to date only at scheduler
 * ticks (every 1-10 ms), so "unchanged" is ambiguous for a thread that ran
 * recently: it may be running right now, between ticks. Only then do we ask
 * /proc/PID/task/TID/wchan, which says "0" for a running (or runnable)
 * thread. A thread that has not run for a while costs one read.
 *
 * And wchan is asked once per change, not once per sample: what it said
 * stays true while the schedstat reading stays the same. A thread it found
 * asleep cannot start running without being switched in (the switch count
 * grows); one it found running cannot stop without being switched out
 * (its run time grows). A switch between our schedstat read and our wchan
 * read shows up as a change at the next sample, which forgets the answer.
 * So a thread blocked on the GIL for 5 ms costs one wchan read, not five.
 *
 * Files stay open between samples: a pread on a kept descriptor costs a
 * third of an open+read+close.
 *
 * Cheaper still, where the kernel allows it: the thread's context-switch
 * records (thread_switches.h), read from a ring we map, no syscall at all.
 * A sample that finds none knows the thread kept its state since the
 * previous one; one that finds some knows it ran, and from the last record
 * whether it runs now. The first reading (and one after lost records)
 * asks wchan once. schedstat is then only the fallback, when
 * perf_event_open is refused.
 *
 * A thread of our own process (the in-process sampler, pid == getpid())
 * is asked its CPU clock instead: clock_gettime on the thread's CPU clock
 * id (what pthread_getcpuclockid returns, built from the tid), which the
 * kernel brings up to date to the nanosecond even while the thread runs.
 * "Unchanged" is then unambiguous: the thread did not run at all since the
 * previous sample. One syscall with no text to format or parse, and never
 * a wchan read. The schedstat file is not opened then.
 *
 * But that syscall is ~0.5 us per thread per sample on a VM: half of the
 * in-process sampler's budget. So an own thread is watched through its
 * switch records too, like a thread of another process (perf_event_paranoid
 * 2, the default, allows it for threads of our own process); the CPU clock
 * is only the fallback when perf_event_open is refused. Either way the
 * answer means the same: it ran during the interval, or it kept the state
 * it was last known in.
 *
 * wchan can say running for a thread that sleeps. Since Linux 6.12 a
 * thread that goes to sleep owing CPU time stays on its run queue
 * ("delayed dequeue") until the scheduler next picks it, and the kernel
 * reports no wait channel ("0") for a thread still on a run queue. So a
 * first reading taken just as a thread fell asleep can say "running", and
 * its switch out came before our watch (or our schedstat reading) began:
 * no later record or schedstat change would ever correct it, and a thread
 * in one long sleep would count as on CPU for the whole recording. A
 * "running" that rests on wchan alone is therefore asked again once it is
 * older than a scheduler tick (a thread that truly runs is rarely left
 * that long without a switch record or a schedstat change), while an
 * "asleep" from wchan is always right: the kernel names a wait channel
 * only for a thread off every run queue.
 */
#ifndef SG_COLLECT_THREAD_CPU_H
#define SG_COLLECT_THREAD_CPU_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "collect/thread_switches.h"

typedef struct sg_thread_cpu {
    pid_t pid, tid;
    int schedstat_fd;          /* -1 when closed or unavailable */
    int wchan_fd;              /* opened the first time it is needed */
    bool own;                  /* a thread of this process: its CPU clock when not watched */
    bool watched;              /* its switch records are read (no schedstat, no clock) */
    sg_switch_watch watch;     /* when watched */
    clockid_t clock;           /* its CPU clock, when own */
    uint64_t run_ns, switches; /* last reading */
    uint64_t last_change_ns;   /* when the reading last changed */
    bool have_reading;
    bool state_known;        /* `running` holds since the reading last changed */
    bool running;            /* what wchan (or a long quiet spell) said then */
    bool wchan_said_running; /* watched: `running` rests on wchan alone */
    uint64_t asked_ns;       /* watched: when wchan was last asked */
} sg_thread_cpu;

void sg_thread_cpu_open(sg_thread_cpu *c, pid_t pid, pid_t tid);

/* The same, where SG_THREAD_CPU_CLOCK in `flags` reads an own thread's CPU
 * clock even where its switch records could be watched: the way the
 * in-process sampler read before, kept to compare against (the bench). */
#define SG_THREAD_CPU_CLOCK 1u
void sg_thread_cpu_open_flags(sg_thread_cpu *c, pid_t pid, pid_t tid, unsigned flags);

/* Takes a reading at `now_ns` (CLOCK_MONOTONIC); returns 1 on CPU, 0 idle,
 * -1 when the thread is gone. */
int sg_thread_cpu_sample(sg_thread_cpu *c, uint64_t now_ns);

/* How a thread's state is read: "switch records", "cpu clock" or
 * "schedstat" (a static string). */
const char *sg_thread_cpu_method(const sg_thread_cpu *c);

void sg_thread_cpu_close(sg_thread_cpu *c);

#endif
