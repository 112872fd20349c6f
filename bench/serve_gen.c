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

#include "bench_util.h"
#include "profile/sgl.h"

enum { FRAMES = 5000, LEAVES = 50000, THREADS = 8 };

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench-serve-gen OUT.sgl [samples]\n");
        return 2;
    }
    size_t nsamples = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : 10000000;
    rng r = {0x9e3779b97f4a7c15ull};
    sg_profile *p = sg_profile_new();
    uint32_t frames[FRAMES], threads[THREADS];
    p->meta.interval_ns = 1000000;
    p->meta.mode = SG_MODE_WALL;
    sg_profile_set_meta_text(p, &p->meta.command, "bench-serve-gen");
    for (int i = 0; i < FRAMES; i++) {
        char file[64], name[32];
        snprintf(file, sizeof file, "/proj/pkg%d/mod%d.py", i % 20, i % 300);
        snprintf(name, sizeof name, "func_%d", i);
        check(sg_profile_intern_frame(p, file, strlen(file), name, strlen(name), (uint32_t)i,
                                      &frames[i]),
              "frame");
    }
    for (int t = 0; t < THREADS; t++) {
        char name[16];
        snprintf(name, sizeof name, "worker-%d", t);
        check(sg_profile_intern_thread(p, 1000 + (uint64_t)t, name, &threads[t]), "thread");
    }
    uint32_t *leaves = malloc(LEAVES * sizeof *leaves);
    sg_frame_line chain[64];
    for (int k = 0; k < LEAVES; k++) {
        uint32_t depth = 8 + below(&r, 57), spine = below(&r, 300);
        for (uint32_t d = 0; d < depth; d++) {
            uint32_t f = d < 6 ? (spine * 7 + d * 13) % 64 : below(&r, FRAMES);
            chain[d] = (sg_frame_line){frames[f], 1 + below(&r, 50)};
        }
        check(sg_stacks_intern_chain(&p->stacks, SG_STACK_NONE, chain, depth, NULL, &leaves[k]),
              "stack");
    }
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
