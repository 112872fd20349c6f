/*
 * thread_cpu.h — whether a thread of another process is on CPU.
 *
 * A thread counts as on CPU for a sample when the kernel's run time for it
 * (the first field of /proc/PID/task/TID/schedstat) grew since the previous
 * sample: it ran during the interval that the sample stands for. The first
 * reading has nothing to compare with, so it uses the scheduler state letter
 * of /proc/PID/task/TID/stat ('R' = running or runnable).
 *
 * Files stay open between samples: a pread on a kept descriptor costs a
 * third of an open+read+close.
 */
#ifndef SG_COLLECT_THREAD_CPU_H
#define SG_COLLECT_THREAD_CPU_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct sg_thread_cpu {
    pid_t pid, tid;
    int schedstat_fd; /* -1 when closed or unavailable */
    uint64_t run_ns;  /* last reading */
    bool have_reading;
} sg_thread_cpu;

void sg_thread_cpu_open(sg_thread_cpu *c, pid_t pid, pid_t tid);

/* Takes a reading; returns 1 on CPU, 0 idle, -1 when the thread is gone. */
int sg_thread_cpu_sample(sg_thread_cpu *c);

/* The instantaneous state letter from /proc/PID/task/TID/stat, or 0. */
char sg_thread_state_letter(pid_t pid, pid_t tid);

void sg_thread_cpu_close(sg_thread_cpu *c);

#endif
