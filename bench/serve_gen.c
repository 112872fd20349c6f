/*
 * serve_gen.c — bench-serve-gen: writes the profile the server benchmarks
 * query, as an .sgl file: the same shape as bench-analyze's sampled
 * profile (10,000,000 samples by default, 5,000 frames, 50,000 distinct
 * leaf stacks of depth 8..64 sharing a few hundred tops, 8 threads, random
 * state flags, 1 ms apart per thread), so the server's figures sit beside
 * the analysis engine's. Deterministic (fixed seed).
 *
 *   bench-serve-gen OUT.sgl [samples]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_profile.h"
#include "bench_util.h"
#include "profile/sgl.h"

enum { FRAMES = BENCH_FRAMES, LEAVES = BENCH_LEAVES, THREADS = BENCH_THREADS };

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench-serve-gen OUT.sgl [samples]\n");
        return 2;
    }
    size_t nsamples = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : 10000000;
    rng r = {0x9e3779b97f4a7c15ull};
    sg_profile *p = sg_profile_new();
    p->meta.interval_ns = 1000000;
    p->meta.mode = SG_MODE_WALL;
    sg_profile_set_meta_text(p, &p->meta.command, "bench-serve-gen");
    bench_shape shape;
    bench_shape_build(p, &r, &shape);
    uint32_t *leaves = shape.leaves;
    const uint32_t *threads = shape.threads;
    check(sg_samples_reserve(&p->samples, nsamples), "samples");
    for (size_t i = 0; i < nsamples; i++) {
        uint32_t a = below(&r, LEAVES), b = below(&r, LEAVES);
        uint32_t leaf = leaves[a < b ? a : b];
        check(sg_samples_append(&p->samples, i / THREADS * 1000000, threads[i % THREADS], leaf,
                                (uint8_t)below(&r, 8), 1),
              "sample");
    }
    p->meta.duration_ns = nsamples / THREADS * 1000000;
    free(leaves);
    sg_sgl_writer *w;
    char err[512];
    sg_sgl_writer_options o = {0};
    if (sg_sgl_writer_open(argv[1], &o, &w, err, sizeof err) != 0 ||
        sg_sgl_writer_flush(w, p) != 0 || sg_sgl_writer_close(w, p, err, sizeof err) != 0) {
        fprintf(stderr, "bench-serve-gen: cannot write %s: %s\n", argv[1], err);
        return 1;
    }
    fprintf(stderr, "bench-serve-gen: wrote %s (%zu samples)\n", argv[1], nsamples);
    sg_profile_free(p);
    return 0;
}
