/*
 * bench_profile.c — the frames, threads and leaf stacks of the generated
 * benchmark profiles (see bench_profile.h).
 */
#include "bench_profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile/stack_table.h"

void bench_shape_build(sg_profile *p, rng *r, bench_shape *s)
{
    for (int i = 0; i < BENCH_FRAMES; i++) {
        char file[64], name[32];
        snprintf(file, sizeof file, "/proj/pkg%d/mod%d.py", i % 20, i % 300);
        snprintf(name, sizeof name, "func_%d", i);
        check(sg_profile_intern_frame(p, file, strlen(file), name, strlen(name), (uint32_t)i,
                                      &s->frames[i]),
              "frame");
    }
    for (int t = 0; t < BENCH_THREADS; t++) {
        char name[16];
        snprintf(name, sizeof name, "worker-%d", t);
        check(sg_profile_intern_thread(p, 1000 + (uint64_t)t, name, &s->threads[t]), "thread");
    }
    s->leaves = malloc(BENCH_LEAVES * sizeof *s->leaves);
    if (s->leaves == NULL)
        check(SG_PROFILE_ENOMEM, "leaves");
    sg_frame_line chain[64];
    for (int k = 0; k < BENCH_LEAVES; k++) {
        /* a few hundred "spines" share their top; below, random frames */
        uint32_t depth = 8 + below(r, 57), spine = below(r, 300);
        for (uint32_t d = 0; d < depth; d++) {
            uint32_t f = d < 6 ? (spine * 7 + d * 13) % 64 : below(r, BENCH_FRAMES);
            chain[d] = (sg_frame_line){s->frames[f], 1 + below(r, 50)};
        }
        check(sg_stacks_intern_chain(&p->stacks, SG_STACK_NONE, chain, depth, NULL, &s->leaves[k]),
              "stack");
    }
}
