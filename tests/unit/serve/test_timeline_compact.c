/*
 * test_timeline_compact.c — the compact timeline encoding
 * (analyze/timeline_compact.h) that /timeline?enc=compact sends: on the
 * timelines of random profiles (recursion, several threads, random flags
 * and weights, views), every thread's spans go to runs and back to the
 * same x0, x1 and depth, and the column weights the answer sends give
 * back every span's weight; spans that do not nest are refused by the
 * encoder, and malformed runs by the decoder. The query's runs mode
 * (timeline.h: runs written while walking the columns, what the server
 * sends) gives exactly the encoder's runs and the spans' frames.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "analyze/timeline.h"
#include "analyze/timeline_compact.h"
#include "analyze_random.h"

/* Each kept thread of [t0, t1) at width w: encode, decode, compare. */
static size_t check_round_trip(const sg_tlindex *ix, const sg_view_resolved *vr, uint64_t t0,
                               uint64_t t1, uint32_t w, sg_tl_runs *runs)
{
    sg_tl tl = {0}, direct = {.want_runs = true};
    size_t spans = 0;
    for (uint32_t t = 0; t < ix->profile->threads.count; t++) {
        assert_int_equal(sg_tl_query_part(ix, vr, t0, t1, w, t, t + 1, false, &tl), 0);
        if (vr != NULL && vr->threads != NULL && !vr->threads[t]) {
            assert_int_equal(tl.span_count, 0);
            continue;
        }
        assert_int_equal(sg_tl_runs_encode(tl.spans, tl.span_count, w, runs), 0);
        size_t n = tl.span_count;
        sg_tl_span *back = calloc(n + 1, sizeof *back);
        assert_non_null(back);
        assert_int_equal(sg_tl_runs_decode(runs->runs, runs->run_count, w, back, n), 0);
        uint64_t opened = 0;
        for (size_t k = 0; k < runs->run_count; k++)
            opened += runs->runs[3 * k + 2];
        assert_int_equal(opened, n);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(back[i].x0, tl.spans[i].x0);
            assert_int_equal(back[i].x1, tl.spans[i].x1);
            assert_int_equal(back[i].depth, tl.spans[i].depth);
            /* the weight the viewer derives from the column weights */
            assert_int_equal(tl.col_weight[tl.spans[i].x1] - tl.col_weight[tl.spans[i].x0],
                             tl.spans[i].weight);
        }
        /* a malformed copy is refused: one span too many or too few */
        if (n > 0) {
            assert_int_equal(sg_tl_runs_decode(runs->runs, runs->run_count, w, back, n - 1),
                             SG_PROFILE_EINVAL);
            assert_int_equal(sg_tl_runs_decode(runs->runs, runs->run_count, w, back, n + 1),
                             SG_PROFILE_EINVAL);
        }
        free(back);
        /* runs mode writes the same runs and frames while it walks the
         * columns, with the same column weights */
        assert_int_equal(sg_tl_query_part(ix, vr, t0, t1, w, t, t + 1, false, &direct), 0);
        assert_int_equal(direct.span_count, 0);
        assert_int_equal(direct.run_count, runs->run_count);
        assert_int_equal(direct.frame_count, n);
        if (runs->run_count > 0)
            assert_memory_equal(direct.runs, runs->runs, 3 * runs->run_count * sizeof(uint32_t));
        for (size_t i = 0; i < n; i++)
            assert_int_equal(direct.frames[i], tl.spans[i].frame);
        assert_memory_equal(direct.col_weight, tl.col_weight, ((size_t)w + 1) * sizeof(uint64_t));
        assert_int_equal(direct.state_count, tl.state_count);
        spans += n;
    }
    sg_tl_free(&tl);
    sg_tl_free(&direct);
    return spans;
}

static void test_round_trip_random(void **state)
{
    (void)state;
    sg_tl_runs runs = {0};
    size_t spans = 0;
    for (uint64_t seed = 1; seed <= 12; seed++) {
        sg_profile *p = rnd_profile(seed, 500 + seed * 97, seed % 2 == 1);
        sg_tlindex ix;
        assert_int_equal(sg_tlindex_build(p, &ix), 0);
        uint64_t end = p->meta.duration_ns;
        spans += check_round_trip(&ix, NULL, 0, end, 1, &runs);
        spans += check_round_trip(&ix, NULL, 0, end, 37, &runs);
        spans += check_round_trip(&ix, NULL, 0, end, 1600, &runs);
        spans += check_round_trip(&ix, NULL, end / 3, end / 2, 64, &runs);
        spans += check_round_trip(&ix, NULL, end / 2, end / 2 + 5000, 100, &runs);
        bool threads[RND_THREADS] = {true, false, true};
        sg_view v = {.threads = threads, .flags_set = seed % 3 == 0 ? SG_SAMPLE_ON_CPU : 0};
        sg_view_resolved vr;
        assert_int_equal(sg_view_resolve(p, &v, &vr), 0);
        spans += check_round_trip(&ix, &vr, 0, end, 300, &runs);
        sg_view_resolved_free(&vr);
        sg_tlindex_free(&ix);
        sg_profile_free(p);
    }
    assert_true(spans > 10000);
    sg_tl_runs_free(&runs);
}

/* Spans that the runs could not describe are refused, not mis-encoded. */
static void test_encoder_refuses(void **state)
{
    (void)state;
    sg_tl_runs runs = {0};
    sg_tl_span ok[2] = {{.depth = 0, .x0 = 0, .x1 = 10}, {.depth = 1, .x0 = 2, .x1 = 5}};
    assert_int_equal(sg_tl_runs_encode(ok, 2, 10, &runs), 0);
    /* x=0 open 1; x=2 open 1; x=5 close to depth 1 */
    uint32_t want[] = {0, 0, 1, 2, 1, 1, 3, 1, 0};
    assert_int_equal(runs.run_count, 3);
    assert_memory_equal(runs.runs, want, sizeof want);
    sg_tl_span child_outlives[2] = {{.depth = 0, .x0 = 0, .x1 = 4}, {.depth = 1, .x0 = 2, .x1 = 6}};
    assert_int_equal(sg_tl_runs_encode(child_outlives, 2, 10, &runs), SG_PROFILE_EINVAL);
    sg_tl_span depth_gap[2] = {{.depth = 0, .x0 = 0, .x1 = 4}, {.depth = 2, .x0 = 2, .x1 = 3}};
    assert_int_equal(sg_tl_runs_encode(depth_gap, 2, 10, &runs), SG_PROFILE_EINVAL);
    sg_tl_span unsorted[2] = {{.depth = 0, .x0 = 5, .x1 = 6}, {.depth = 0, .x0 = 1, .x1 = 2}};
    assert_int_equal(sg_tl_runs_encode(unsorted, 2, 10, &runs), SG_PROFILE_EINVAL);
    sg_tl_span past_width[1] = {{.depth = 0, .x0 = 5, .x1 = 11}};
    assert_int_equal(sg_tl_runs_encode(past_width, 1, 10, &runs), SG_PROFILE_EINVAL);
    sg_tl_span empty[1] = {{.depth = 0, .x0 = 5, .x1 = 5}};
    assert_int_equal(sg_tl_runs_encode(empty, 1, 10, &runs), SG_PROFILE_EINVAL);
    sg_tl_runs_free(&runs);
}

static void test_decoder_refuses(void **state)
{
    (void)state;
    sg_tl_span s[4];
    const uint32_t keep_too_many[] = {0, 1, 1};
    assert_int_equal(sg_tl_runs_decode(keep_too_many, 1, 10, s, 1), SG_PROFILE_EINVAL);
    const uint32_t x_stands_still[] = {0, 0, 1, 0, 0, 1};
    assert_int_equal(sg_tl_runs_decode(x_stands_still, 2, 10, s, 2), SG_PROFILE_EINVAL);
    const uint32_t past_width[] = {0, 0, 1, 11, 0, 0};
    assert_int_equal(sg_tl_runs_decode(past_width, 2, 10, s, 1), SG_PROFILE_EINVAL);
    const uint32_t open_at_width[] = {10, 0, 1};
    assert_int_equal(sg_tl_runs_decode(open_at_width, 1, 10, s, 1), SG_PROFILE_EINVAL);
    const uint32_t wraps[] = {0, 0, 1, UINT32_MAX, 0, 0, UINT32_MAX, 0, 0};
    assert_int_equal(sg_tl_runs_decode(wraps, 3, UINT32_MAX, s, 1), SG_PROFILE_EINVAL);
    const uint32_t fine[] = {1, 0, 2, 3, 1, 0};
    assert_int_equal(sg_tl_runs_decode(fine, 2, 10, s, 2), 0);
    assert_true(s[0].x0 == 1 && s[0].x1 == 10 && s[0].depth == 0);
    assert_true(s[1].x0 == 1 && s[1].x1 == 4 && s[1].depth == 1);
    assert_int_equal(sg_tl_runs_decode(NULL, 0, 10, s, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_random),
        cmocka_unit_test(test_encoder_refuses),
        cmocka_unit_test(test_decoder_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
