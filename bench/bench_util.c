/*
 * bench_util.c — see bench_util.h.
 */
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "profile/status.h"

uint32_t below(rng *r, uint32_t n)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return (uint32_t)(r->s % n);
}

static double ms_of(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double now_ms(void)
{
    return ms_of(CLOCK_MONOTONIC);
}

bench_clock clock_now(void)
{
    return (bench_clock){ms_of(CLOCK_MONOTONIC), ms_of(CLOCK_THREAD_CPUTIME_ID)};
}

void report(const char *what, double ms, double goal_ms)
{
    if (goal_ms > 0)
        printf("%-52s %9.1f ms   goal < %4.0f ms  %s\n", what, ms, goal_ms,
               ms < goal_ms ? "ok" : "SLOW");
    else
        printf("%-52s %9.1f ms\n", what, ms);
}

void report_since(const char *what, bench_clock start, double goal_ms)
{
    bench_clock now = clock_now();
    double wall = now.wall_ms - start.wall_ms, cpu = now.cpu_ms - start.cpu_ms;
    if (goal_ms > 0)
        printf("%-52s %6.1f ms (%6.1f)   < %4.0f ms  %s\n", what, wall, cpu, goal_ms,
               wall < goal_ms ? "ok" : "SLOW");
    else
        printf("%-52s %6.1f ms (%6.1f)\n", what, wall, cpu);
}

void check(int rc, const char *what)
{
    if (rc != 0) {
        fprintf(stderr, "bench: %s: %s\n", what, sg_profile_strerror(rc));
        exit(1);
    }
}
