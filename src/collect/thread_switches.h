/*
 * thread_switches.h — a thread of another process, watched through the
 * kernel's context-switch records, so "did it run, does it run now" costs
 * no syscall per sample.
 *
 * perf_event_open can attach a dummy software event to one thread with
 * `context_switch` set: the kernel then appends a small record to a ring
 * buffer we map each time the thread is switched in or out (the way
 * `perf record --switch-events` sees switches). Reading the ring is reading
 * our own memory: a sample that finds no new record learns that the thread
 * kept its state (running, or asleep) for the whole interval; one that
 * finds records learns that it ran, and from the last record whether it
 * runs now. That replaces a pread of /proc/PID/task/TID/schedstat per
 * thread per sample (a microsecond or more on a VM) with a few loads.
 *
 * Nothing here touches the target: the kernel writes the records as part
 * of its own switch path (a few tens of nanoseconds per switch of the
 * watched thread).
 *
 * Invariants:
 *   - The ring is mapped read-write so the kernel never overwrites records
 *     we have not read; when it had to drop some (the ring was full) it
 *     says so with a LOST record, and the reading says "unknown".
 *   - A watch that cannot be opened (perf_event_open refused by
 *     perf_event_paranoid, a seccomp filter, or the fd limit) is simply not
 *     used: the caller falls back to schedstat.
 */
#ifndef SG_COLLECT_THREAD_SWITCHES_H
#define SG_COLLECT_THREAD_SWITCHES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct sg_switch_watch {
    int fd;      /* -1 when not open */
    int gone;    /* its exit record was seen */
    void *ring;  /* header page + data pages, owned */
    size_t size; /* bytes mapped */
} sg_switch_watch;

enum sg_switch_state {
    SG_SWITCH_QUIET = 0,   /* no switch since the last reading */
    SG_SWITCH_NOW_IN = 1,  /* switched; its last switch was in: it runs */
    SG_SWITCH_NOW_OUT = 2, /* switched; its last switch was out, asleep */
    SG_SWITCH_UNKNOWN = 3, /* records were lost: it switched, state unknown */
    SG_SWITCH_GONE = 4     /* the thread exited (from then on, always) */
};

/* Starts watching thread `tid`. The first watch opened on a system with
 * none costs ~10 ms (the kernel turns its switch hooks on); later ones cost
 * tens of microseconds, so a sampler opens one before its loop starts
 * (the sampler's anchor) and keeps it while it runs. Returns 0, or a negative errno (the watch
 * is then closed and the caller falls back). */
int sg_switch_watch_open(sg_switch_watch *w, pid_t tid);

/* Consumes the records since the last reading and says what they mean.
 * A thread switched out by preemption is runnable and counts as in. */
enum sg_switch_state sg_switch_watch_read(sg_switch_watch *w);

void sg_switch_watch_close(sg_switch_watch *w);

#endif
