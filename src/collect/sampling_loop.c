/*
 * sampling_loop.c — absolute-deadline ticking; see sampling_loop.h.
 */
#include "collect/sampling_loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SG_COST_MAX_TICKS (1u << 22)
#define SG_COST_WARMUP_NS 1000000000ull

static uint64_t sg_thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int sg_cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void sg_cost_summary(uint32_t *costs, size_t n, sg_loop_stats *stats)
{
    if (n == 0)
        return;
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += costs[i];
    qsort(costs, n, sizeof *costs, sg_cmp_u32);
    stats->cost_count = n;
    stats->cost_mean_ns = sum / n;
    stats->cost_median_ns = costs[n / 2];
    stats->cost_p99_ns = costs[(n * 99) / 100];
}

uint64_t sg_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sg_sleep_until(uint64_t deadline_ns)
{
    struct timespec ts = {(time_t)(deadline_ns / 1000000000ull),
                          (long)(deadline_ns % 1000000000ull)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

int sg_loop_run(const sg_loop_config *cfg, sg_tick_fn tick, sg_loop_status_fn status, void *ctx,
                sg_loop_stats *stats)
{
    uint64_t interval = (uint64_t)(1e9 / cfg->rate_hz);
    if (interval == 0)
        interval = 1;
    memset(stats, 0, sizeof *stats);
    stats->start_ns = sg_monotonic_ns();
    uint64_t end = cfg->duration_s > 0 ? stats->start_ns + (uint64_t)(cfg->duration_s * 1e9) : 0;
    uint64_t deadline = stats->start_ns, next_status = stats->start_ns + cfg->status_every_ns;
    uint32_t *costs = cfg->measure_cost ? malloc(SG_COST_MAX_TICKS * sizeof *costs) : NULL;
    size_t ncosts = 0;
    int rc = 0;
    while (!(cfg->stop && *cfg->stop)) {
        uint64_t now = sg_monotonic_ns();
        if (end && now >= end)
            break;
        if (now > deadline + interval / 2)
            stats->late++;
        uint64_t cpu0 = costs ? sg_thread_cpu_ns() : 0;
        rc = tick(ctx, now);
        if (costs && now >= stats->start_ns + SG_COST_WARMUP_NS && ncosts < SG_COST_MAX_TICKS)
            costs[ncosts++] = (uint32_t)(sg_thread_cpu_ns() - cpu0);
        stats->ticks++;
        stats->now_ns = now;
        if (rc != 0)
            break;
        if (cfg->status_every_ns && status && now >= next_status) {
            status(ctx, stats);
            next_status = now + cfg->status_every_ns;
        }
        deadline += interval;
        now = sg_monotonic_ns();
        if (now > deadline + SG_LOOP_MAX_BEHIND * interval) {
            uint64_t behind = (now - deadline) / interval;
            stats->missed += behind;
            deadline += behind * interval;
        }
        if (end && deadline > end)
            deadline = end;
        sg_sleep_until(deadline);
    }
    stats->now_ns = sg_monotonic_ns();
    sg_cost_summary(costs, ncosts, stats);
    free(costs);
    return rc;
}
