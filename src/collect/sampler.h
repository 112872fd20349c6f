/*
 * sampler.h — one sampling round over every thread of a target: thread
 * states, GIL holder, CPU state, frame chains, resolved to (code id, line).
 *
 * The sampler hands what it sees to a sink: each code object once (its id,
 * file, name, first line), each thread once (and again if its name changes),
 * then samples. Collect knows nothing of files: the sink decides what a
 * sample becomes.
 *
 * Hot path rules: a round costs one batched read for all threads in the
 * steady state (a second when a thread's frames moved, see sampler.c),
 * no syscall for on-CPU state where the kernel gives us switch records
 * (else one schedstat pread per thread; thread_cpu.h), allocates nothing
 * (scratch is sized once and grown only on rare misses), and never emits a
 * stack it could not validate: a torn or failed walk is counted and dropped.
 */
#ifndef SG_COLLECT_SAMPLER_H
#define SG_COLLECT_SAMPLER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "collect/code_cache.h"
#include "collect/target.h"

enum {
    SG_THREAD_ON_CPU = 1,   /* ran during the interval this sample stands for */
    SG_THREAD_HOLDS_GIL = 2 /* held the GIL when sampled */
};

enum sg_sample_mode { SG_SAMPLER_WALL = 0, SG_SAMPLER_CPU = 1 };

typedef struct sg_frame_ref {
    uint32_t code_id;
    int32_t line; /* -1 when the instruction has no line */
} sg_frame_ref;

typedef struct sg_sample {
    uint64_t time_ns; /* CLOCK_MONOTONIC */
    pid_t pid, tid;
    uint32_t flags;
    uint32_t depth;
    const sg_frame_ref *frames; /* newest first; valid during the call */
} sg_sample;

typedef struct sg_thread_info {
    pid_t pid, tid;
    uint64_t thread_id; /* threading.get_ident() */
    const char *name;   /* Python thread name when known, else the kernel's */
} sg_thread_info;

typedef struct sg_sample_sink {
    void *ctx;
    void (*code)(void *ctx, const sg_code_info *info);
    void (*thread)(void *ctx, const sg_thread_info *info);
    /* Returns 0, or negative to stop the recording (e.g. the disk is full). */
    int (*sample)(void *ctx, const sg_sample *sample);
} sg_sample_sink;

typedef struct sg_sampler_config {
    enum sg_sample_mode mode; /* cpu: threads off CPU are not walked */
    bool gil_only;            /* only the thread holding the GIL */
    uint32_t max_depth;       /* frames; 0 = default */
    /* How long a new thread may go unsampled while threading registers its
     * name (a recording wants names; a one-off dump wants every thread now). */
    uint64_t name_wait_ns;
} sg_sampler_config;

typedef struct sg_sampler_stats {
    uint64_t rounds;   /* sampling rounds over the target */
    uint64_t samples;  /* thread stacks emitted */
    uint64_t torn;     /* stacks dropped because they changed while read */
    uint64_t failed;   /* stacks dropped for other reasons (read errors, depth) */
    uint64_t syscalls; /* reads issued */
} sg_sampler_stats;

typedef struct sg_sampler sg_sampler;

/* The target must have its interpreter found (sg_target_find_interpreter). */
sg_sampler *sg_sampler_new(sg_target *target, const sg_sampler_config *config,
                           const sg_sample_sink *sink);
void sg_sampler_free(sg_sampler *sampler);

/* One round. Returns 0, -ESRCH when the target is gone, or the sink's
 * negative code. */
int sg_sampler_round(sg_sampler *sampler, uint64_t now_ns);

/* Re-validates cached code objects from now on (call about once a second). */
void sg_sampler_new_epoch(sg_sampler *sampler);

void sg_sampler_get_stats(const sg_sampler *sampler, sg_sampler_stats *stats);

/* Flags for each thread's on-CPU reading (sg_thread_cpu_open_flags), for
 * threads found from now on; 0 by default. The in-process bench sets
 * SG_THREAD_CPU_CLOCK to compare with how it read before. */
void sg_sampler_set_thread_cpu_flags(sg_sampler *sampler, unsigned flags);

/* How many code ids the sink has heard of: they are 0 to this minus one. */
uint32_t sg_sampler_code_count(const sg_sampler *sampler);

/* The file, name and first line of a code id the sink has heard of. */
const sg_code_info *sg_sampler_code_info(const sg_sampler *sampler, uint32_t code_id);

#endif
