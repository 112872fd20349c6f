/*
 * bench_util.h — what the C benchmarks share: a small seeded random number
 * generator (so generated profiles are the same every run), a monotonic
 * clock in milliseconds, a line printing a figure beside its goal, and a
 * check that stops the benchmark on an error status.
 */
#ifndef SG_BENCH_UTIL_H
#define SG_BENCH_UTIL_H

#include <stdint.h>

typedef struct rng {
    uint64_t s; /* xorshift state; never 0 */
} rng;

/* A number in [0, n). */
uint32_t below(rng *r, uint32_t n);

double now_ms(void);

/* "what   12.3 ms   goal < 300 ms  ok"; goal_ms <= 0 prints no goal. */
void report(const char *what, double ms, double goal_ms);

/* Exits with a message naming `what` when rc (a profile status) is an error. */
void check(int rc, const char *what);

#endif
