/*
 * recorder.h — the sink that turns the sampler's samples into a profile.
 *
 * The sampler speaks in code ids and kernel tids; the profile in interned
 * frames, stack rows and thread indexes. The recorder maps one onto the
 * other as samples arrive, and embeds the source text of every file that
 * appears (read through /proc/PID/root, so a container's files are its
 * own), up to the profile's source cap.
 *
 * Cost: a thread whose stack did not change since its last sample costs a
 * memcmp of its frames; otherwise only the frames below the first change are
 * interned (one hash probe each). Nothing is allocated in the steady state.
 *
 * Ownership: the recorder writes into a profile the caller owns and that
 * must outlive it.
 */
#ifndef SG_PROFILE_RECORDER_H
#define SG_PROFILE_RECORDER_H

#include <stdbool.h>
#include <stdint.h>

#include "collect/sampler.h"
#include "profile/profile.h"

typedef struct sg_recorder sg_recorder;

typedef struct sg_recorder_options {
    uint64_t start_ns; /* CLOCK_MONOTONIC of the profile's time 0 */
    bool no_sources;   /* leave source text out */
} sg_recorder_options;

sg_recorder *sg_recorder_new(sg_profile *profile, const sg_recorder_options *opts);
void sg_recorder_free(sg_recorder *r);

/* A sink for the sampler of process `pid` (one per sampled process: code
 * ids are per sampler). `pid` also says whose files hold the sources. The
 * sink lives as long as the recorder. Returns 0, or SG_PROFILE_ENOMEM. */
int sg_recorder_add_source(sg_recorder *r, pid_t pid, sg_sample_sink *sink);

/* The first error a sink call met (a profile status code), or 0. */
int sg_recorder_error(const sg_recorder *r);

#endif
