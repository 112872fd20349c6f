/*
 * test_timeline_paths.c — the timeline index's stack paths
 * (analyze/timeline.h: each sample stack's (row, frame) pairs in one
 * array, what a pan reads instead of a stack row per depth) change
 * nothing: on random profiles (recursion, several threads, random flags
 * and weights, a view), the spans and the runs with the paths are exactly
 * those of the same index with its paths taken away (the row walk), and
 * every path lists its row's chain to the root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyze/timeline.h"
#include "analyze_random.h"

static void same_timeline(const sg_tlindex *with, const sg_tlindex *without,
                          const sg_view_resolved *vr, uint64_t t0, uint64_t t1, uint32_t w)
{
    sg_tl a, b;
    assert_int_equal(sg_tl_query(with, vr, t0, t1, w, &a), 0);
    assert_int_equal(sg_tl_query(without, vr, t0, t1, w, &b), 0);
    assert_int_equal(a.span_count, b.span_count);
    if (a.span_count > 0)
        assert_memory_equal(a.spans, b.spans, a.span_count * sizeof *a.spans);
    sg_tl_free(&a);
    sg_tl_free(&b);
    uint32_t threads = with->profile->threads.count;
    for (uint32_t t = 0; t < threads; t++) {
        sg_tl ra = {.want_runs = true}, rb = {.want_runs = true};
        assert_int_equal(sg_tl_query_part(with, vr, t0, t1, w, t, t + 1, false, &ra), 0);
        assert_int_equal(sg_tl_query_part(without, vr, t0, t1, w, t, t + 1, false, &rb), 0);
        assert_int_equal(ra.run_count, rb.run_count);
        assert_int_equal(ra.frame_count, rb.frame_count);
        if (ra.run_count > 0)
            assert_memory_equal(ra.runs, rb.runs, 3 * ra.run_count * sizeof *ra.runs);
        if (ra.frame_count > 0)
            assert_memory_equal(ra.frames, rb.frames, ra.frame_count * sizeof *ra.frames);
        sg_tl_free(&ra);
        sg_tl_free(&rb);
    }
}

static void test_paths_change_nothing(void **state)
{
    (void)state;
    size_t checked = 0;
    for (uint64_t seed = 1; seed <= 10; seed++) {
        sg_profile *p = rnd_profile(seed, 400 + seed * 131, seed % 2 == 0);
        sg_tlindex ix;
        assert_int_equal(sg_tlindex_build(p, &ix), 0);
        assert_non_null(ix.paths); /* small profiles: within the bound */
        /* every sample stack's path is its chain of rows, root first */
        for (size_t i = 0; i < p->samples.count; i++) {
            uint32_t r = p->samples.stack[i];
            if (r == SG_STACK_NONE)
                continue;
            const uint32_t *path = ix.paths + ix.path_off[r];
            assert_int_equal(path[0], p->stacks.rows[r].depth);
            for (uint32_t d = path[0], row = r; d > 0; d--, row = p->stacks.rows[row].parent) {
                assert_int_equal(path[2 * d - 1], row);
                assert_int_equal(path[2 * d], p->stacks.rows[row].frame);
            }
            checked++;
        }
        sg_tlindex bare = ix; /* the same index without paths: the row walk */
        bare.path_off = NULL;
        bare.paths = NULL;
        uint64_t end = p->meta.duration_ns;
        same_timeline(&ix, &bare, NULL, 0, end, 1);
        same_timeline(&ix, &bare, NULL, 0, end, 53);
        same_timeline(&ix, &bare, NULL, 0, end, 1600);
        same_timeline(&ix, &bare, NULL, end / 3, end / 2, 64);
        bool threads[RND_THREADS] = {true, false, true};
        sg_view v = {.threads = threads, .flags_set = seed % 3 == 0 ? SG_SAMPLE_ON_CPU : 0};
        sg_view_resolved vr;
        assert_int_equal(sg_view_resolve(p, &v, &vr), 0);
        same_timeline(&ix, &bare, &vr, 0, end, 300);
        sg_view_resolved_free(&vr);
        sg_tlindex_free(&ix);
        sg_profile_free(p);
    }
    assert_true(checked > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths_change_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
