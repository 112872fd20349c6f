/*
 * bench_profile.h — the shape every generated benchmark profile shares:
 * 5,000 frames in 20 packages and 300 modules, 8 named threads, and 50,000
 * distinct leaf stacks of depth 8..64 whose oldest six frames come from a
 * few hundred "spines" (so trees have a shared top) and whose rest is
 * random. The benchmarks differ only in how samples pick their stacks.
 * Deterministic for a given rng seed.
 */
#ifndef SG_BENCH_PROFILE_H
#define SG_BENCH_PROFILE_H

#include <stdint.h>

#include "bench_util.h"
#include "profile/profile.h"

enum { BENCH_FRAMES = 5000, BENCH_LEAVES = 50000, BENCH_THREADS = 8 };

typedef struct bench_shape {
    uint32_t frames[BENCH_FRAMES];   /* frame ids */
    uint32_t threads[BENCH_THREADS]; /* thread indexes */
    uint32_t *leaves;                /* BENCH_LEAVES stack ids; the caller frees it */
} bench_shape;

/* Interns the frames, threads and leaf stacks into p (exits on error). */
void bench_shape_build(sg_profile *p, rng *r, bench_shape *s);

#endif
