/*
 * sampling_loop.c — absolute-deadline ticking; see sampling_loop.h.
 */
#include "collect/sampling_loop.h"

#include <errno.h>
#include <string.h>
#include <time.h>

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
    int rc = 0;
    while (!(cfg->stop && *cfg->stop)) {
        uint64_t now = sg_monotonic_ns();
        if (end && now >= end)
            break;
        if (now > deadline + interval / 2)
            stats->late++;
        rc = tick(ctx, now);
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
    return rc;
}
