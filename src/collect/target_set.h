/*
 * target_set.h — the processes one recording samples: the one it started
 * with and, when asked, every descendant that runs Python
 * (`--subprocesses`: multiprocessing workers, forked children, `python`
 * started by a shell script).
 *
 * Each process gets its own target, sampler and sink (the sink comes from a
 * factory the caller supplies, so collect stays ignorant of what a sample
 * becomes). Children are looked for about ten times a second, off the
 * per-round path; one that is not Python yet (exec pending) is retried for
 * a while, then given up.
 */
#ifndef SG_COLLECT_TARGET_SET_H
#define SG_COLLECT_TARGET_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/sampler.h"
#include "collect/target.h"

typedef int (*sg_sink_factory_fn)(void *ctx, pid_t pid, sg_sample_sink *sink);

typedef struct sg_target_item {
    sg_target target;
    sg_sampler *sampler;
    bool gone;
} sg_target_item;

typedef struct sg_pending_child {
    pid_t pid;
    uint64_t give_up_ns;
} sg_pending_child;

typedef struct sg_target_set {
    sg_target_item **items; /* each allocated once: samplers point into them */
    size_t n, cap;
    sg_pending_child *pending;
    size_t npending, cap_pending;
    pid_t *ignored; /* children that are not Python: never tried again */
    size_t nignored, cap_ignored;
    sg_sampler_config config;
    sg_sink_factory_fn sink_for;
    void *sink_ctx;
    bool follow_children;
    uint64_t next_scan_ns;
    sg_sampler_stats finished; /* stats of samplers already freed */
} sg_target_set;

enum { SG_TARGETS_ALL_GONE = 1 };

void sg_target_set_init(sg_target_set *set, const sg_sampler_config *config,
                        sg_sink_factory_fn sink_for, void *sink_ctx, bool follow_children);

/* Adds an attached target (its interpreter found); the set owns it now. */
int sg_target_set_add(sg_target_set *set, sg_target *target);

/* One round over every live process. Returns 0, SG_TARGETS_ALL_GONE when
 * every process has exited, or a negative error (a sink's). */
int sg_target_set_round(sg_target_set *set, uint64_t now_ns);

void sg_target_set_new_epoch(sg_target_set *set);
void sg_target_set_stats(const sg_target_set *set, sg_sampler_stats *stats);
void sg_target_set_free(sg_target_set *set);

#endif
