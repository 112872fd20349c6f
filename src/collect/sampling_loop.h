/*
 * sampling_loop.h — the clock of a recording: calls a tick at a fixed rate
 * on absolute deadlines, so the rate does not drift with the cost of a tick.
 *
 * Deadlines are CLOCK_MONOTONIC and slept to with clock_nanosleep
 * (TIMER_ABSTIME). A tick that starts more than half an interval after its
 * deadline is late; when the loop falls more than SG_LOOP_MAX_BEHIND
 * intervals behind (the machine was suspended, the profiler was starved) it
 * skips ahead and counts the skipped ticks as missed, rather than bursting.
 */
#ifndef SG_COLLECT_SAMPLING_LOOP_H
#define SG_COLLECT_SAMPLING_LOOP_H

#include <signal.h>
#include <stdint.h>

#define SG_LOOP_MAX_BEHIND 10

typedef struct sg_loop_config {
    double rate_hz;
    double duration_s;           /* 0: until stopped */
    volatile sig_atomic_t *stop; /* set (e.g. by a signal handler) to end */
    uint64_t status_every_ns;    /* 0: never call status */
    int measure_cost;            /* time each tick's CPU cost (costs a syscall) */
} sg_loop_config;

typedef struct sg_loop_stats {
    uint64_t start_ns, now_ns;
    uint64_t ticks, late, missed;
    /* With measure_cost: the CPU time of the ticks (the first second, when
     * the code cache fills, is left out), in ns. */
    uint64_t cost_median_ns, cost_p99_ns, cost_mean_ns, cost_count;
} sg_loop_stats;

/* A tick returns 0 to go on, 1 to end the recording normally (the target
 * exited), or a negative error that ends it too. */
typedef int (*sg_tick_fn)(void *ctx, uint64_t now_ns);
typedef void (*sg_loop_status_fn)(void *ctx, const sg_loop_stats *stats);

/* Runs until the duration passes, *stop is set, or a tick ends it. Returns
 * the last tick's result (0 or 1 for a normal end, else negative). */
int sg_loop_run(const sg_loop_config *cfg, sg_tick_fn tick, sg_loop_status_fn status, void *ctx,
                sg_loop_stats *stats);

uint64_t sg_monotonic_ns(void);

#endif
