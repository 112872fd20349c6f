/*
 * analyze_random.h — random profiles for the call graph, timeline, merge
 * and diff tests (test-only, header-only): random call paths drawn from
 * small frame pools (so they recurse, directly and indirectly), several
 * threads, samples in time order with random flags and weights, a few
 * samples with no stack, GC start/stop pairs and markers.
 */
#ifndef SG_TEST_ANALYZE_RANDOM_H
#define SG_TEST_ANALYZE_RANDOM_H

#include <stdio.h>
#include <string.h>

#include "profile/profile.h"

typedef struct rnd {
    uint64_t s;
} rnd;

static uint32_t rnd_below(rnd *r, uint32_t n)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return (uint32_t)(r->s % n);
}

#define RND_FRAMES  12
#define RND_THREADS 3
#define RND_PATHS   40

/* A random profile; `unit_weights` makes every weight 1. */
static sg_profile *rnd_profile(uint64_t seed, size_t samples, bool unit_weights)
{
    rnd r = {seed * 2654435761u + 1};
    sg_profile *p = sg_profile_new();
    assert_non_null(p);
    p->meta.interval_ns = 1000;
    uint32_t threads[RND_THREADS], frames[RND_FRAMES], paths[RND_PATHS];
    for (int t = 0; t < RND_THREADS; t++) {
        char name[16];
        snprintf(name, sizeof name, "T%d", t);
        assert_int_equal(sg_profile_intern_thread(p, 100 + (uint64_t)t, name, &threads[t]), 0);
    }
    for (int i = 0; i < RND_FRAMES; i++) {
        char name[16];
        snprintf(name, sizeof name, "fn%d", i);
        assert_int_equal(
            sg_profile_intern_frame(p, "/app/m.py", 9, name, strlen(name), (uint32_t)i, &frames[i]),
            0);
    }
    for (int k = 0; k < RND_PATHS; k++) {
        sg_frame_line chain[24];
        uint32_t depth = 1 + rnd_below(&r, 24);
        uint32_t pool = 2 + rnd_below(&r, RND_FRAMES - 2);
        for (uint32_t d = 0; d < depth; d++)
            chain[d] = (sg_frame_line){frames[rnd_below(&r, pool)], 1 + rnd_below(&r, 3)};
        assert_int_equal(
            sg_stacks_intern_chain(&p->stacks, SG_STACK_NONE, chain, depth, NULL, &paths[k]), 0);
    }
    uint64_t t = 0;
    for (size_t s = 0; s < samples; s++) {
        t += rnd_below(&r, 4) == 0 ? 0 : 200 + rnd_below(&r, 1500);
        uint32_t stack = rnd_below(&r, 25) == 0 ? SG_STACK_NONE : paths[rnd_below(&r, RND_PATHS)];
        /* runs: often repeat the thread's previous stack, as real programs do */
        uint8_t flags = (uint8_t)rnd_below(&r, 8);
        uint32_t weight = unit_weights ? 1 : 1 + rnd_below(&r, 3);
        assert_int_equal(
            sg_profile_add_sample(p, t, threads[rnd_below(&r, RND_THREADS)], stack, flags, weight),
            0);
    }
    p->meta.duration_ns = t + 1000;
    /* GC pairs (some unclosed) and markers */
    for (int k = 0; k < 6; k++) {
        uint64_t at = t == 0 ? 0 : rnd_below(&r, (uint32_t)(t > 0xffffffffu ? 0xffffffffu : t));
        uint32_t th = rnd_below(&r, 4) == 0 ? SG_THREAD_NONE : threads[rnd_below(&r, RND_THREADS)];
        assert_int_equal(sg_profile_add_event(p, at, SG_EVENT_GC_START, th, "gen0"), 0);
        if (k != 5)
            assert_int_equal(
                sg_profile_add_event(p, at + rnd_below(&r, 20000), SG_EVENT_GC_STOP, th, "gen0"),
                0);
        assert_int_equal(sg_profile_add_event(p, at + 7, SG_EVENT_MARKER, th, "mark"), 0);
    }
    return p;
}

#endif
