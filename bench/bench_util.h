/*
 * bench_util.h — what the C benchmarks share: a small seeded random number
 * generator (so generated profiles are the same every run), a clock that
 * reads wall and CPU time together, a line printing a figure beside its
 * goal, and a check that stops the benchmark on an error status.
 */
#ifndef SG_BENCH_UTIL_H
#define SG_BENCH_UTIL_H

#include <stdint.h>

typedef struct rng {
    uint64_t s; /* xorshift state; never 0 */
} rng;

/* A number in [0, n). */
uint32_t below(rng *r, uint32_t n);

/* Monotonic wall-clock milliseconds. */
double now_ms(void);

/* Wall time and this thread's CPU time, in milliseconds. */
typedef struct bench_clock {
    double wall_ms, cpu_ms;
} bench_clock;

bench_clock clock_now(void);

/* "what   12.3 ms   goal < 300 ms  ok"; goal_ms <= 0 prints no goal. */
void report(const char *what, double ms, double goal_ms);

/* The same for the time since `start`, with the CPU time in brackets (a
 * CPU time well below the wall time means the machine was busy). The goal
 * is judged on the wall time. */
void report_since(const char *what, bench_clock start, double goal_ms);

/* Exits with a message naming `what` when rc (a profile status) is an error. */
void check(int rc, const char *what);

#endif
