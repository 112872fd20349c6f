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

double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void report(const char *what, double ms, double goal_ms)
{
    if (goal_ms > 0)
        printf("%-48s %9.1f ms   goal < %4.0f ms  %s\n", what, ms, goal_ms,
               ms < goal_ms ? "ok" : "SLOW");
    else
        printf("%-48s %9.1f ms\n", what, ms);
}

void check(int rc, const char *what)
{
    if (rc != 0) {
        fprintf(stderr, "bench: %s: %s\n", what, sg_profile_strerror(rc));
        exit(1);
    }
}
