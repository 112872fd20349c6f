/*
 * test_timeline.c — the timeline against a naive per-pixel reconstruction
 * on random profiles: for every thread and column, scan all samples for
 * the column's representative (the sample covering the midpoint, else the
 * first in the column), take its path of frames, and cut spans where the
 * frames down to a depth change; states are runs of the representatives'
 * flags. Whole range, sub-ranges and zoomed-in ranges (columns narrower
 * than the sample spacing), unit and varying weights. Events: every GC
 * pair overlapping the range and every marker in it is accounted for once.
 * sg_tl_query_part, one thread at a time into a reused sg_tl, gives the
 * very entries of sg_tl_query, through a view too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "analyze/timeline.h"
#include "analyze_random.h"

#define MAXD 64

static uint64_t bnd(uint64_t t0, uint64_t t1, uint32_t w, uint32_t k)
{
    return t0 + (uint64_t)((unsigned __int128)(t1 - t0) * k / w);
}

/* The frames of stack s from the root, into path; returns the depth. */
static uint32_t frames_of(const sg_profile *p, uint32_t s, uint32_t *path)
{
    if (s == SG_STACK_NONE)
        return 0;
    uint32_t d = p->stacks.rows[s].depth;
    for (uint32_t x = s, k = d; x != SG_STACK_NONE; x = p->stacks.rows[x].parent)
        path[--k] = p->stacks.rows[x].frame;
    return d;
}

static void check_range(const sg_profile *p, const sg_tlindex *ix, uint64_t t0, uint64_t t1,
                        uint32_t w)
{
    sg_tl tl;
    assert_int_equal(sg_tl_query(ix, NULL, t0, t1, w, &tl), 0);
    const sg_samples *s = &p->samples;
    size_t si = 0, st = 0;
    uint32_t(*paths)[MAXD] = calloc(w, sizeof *paths);
    uint32_t *depth = calloc(w, sizeof *depth);
    uint8_t *flags = calloc(w, 1);
    uint64_t *cw = calloc((size_t)w + 1, sizeof *cw), *cn = calloc((size_t)w + 1, sizeof *cn);
    for (uint32_t t = 0; t < p->threads.count; t++) {
        for (uint32_t x = 0; x < w; x++) {
            uint64_t b0 = bnd(t0, t1, w, x), b1 = bnd(t0, t1, w, x + 1), mid = b0 + (b1 - b0) / 2;
            size_t rep = SIZE_MAX, first = SIZE_MAX, cover = SIZE_MAX;
            uint64_t weight = 0, count = 0;
            for (size_t i = 0; i < s->count; i++) {
                if (s->thread[i] != t)
                    continue;
                if (s->time_ns[i] >= b0 && s->time_ns[i] < b1) {
                    weight += s->weight[i];
                    count++;
                    if (first == SIZE_MAX)
                        first = i;
                }
                if (s->time_ns[i] <= mid)
                    cover = i; /* the last at or before mid (samples are in time order) */
            }
            if (cover != SIZE_MAX) {
                uint64_t end = s->time_ns[cover] + sg_timeline_duration(p, cover);
                for (size_t i = cover + 1; i < s->count; i++)
                    if (s->thread[i] == t) {
                        if (s->time_ns[i] < end)
                            end = s->time_ns[i];
                        break;
                    }
                if (end > mid)
                    rep = cover;
            }
            if (rep == SIZE_MAX)
                rep = first;
            cw[x + 1] = cw[x] + weight;
            cn[x + 1] = cn[x] + count;
            depth[x] = rep == SIZE_MAX ? 0 : frames_of(p, s->stack[rep], paths[x]);
            flags[x] = rep == SIZE_MAX ? 0 : s->flags[rep];
        }
        /* spans, in (x0, depth) order */
        for (uint32_t x = 0; x < w; x++)
            for (uint32_t d = 0; d < depth[x]; d++) {
                bool continues = x > 0 && depth[x - 1] > d;
                for (uint32_t k = 0; continues && k <= d; k++)
                    continues = paths[x - 1][k] == paths[x][k];
                if (continues)
                    continue;
                uint32_t x1 = x + 1;
                for (; x1 < w && depth[x1] > d; x1++) {
                    bool same = true;
                    for (uint32_t k = 0; same && k <= d; k++)
                        same = paths[x1][k] == paths[x][k];
                    if (!same)
                        break;
                }
                assert_true(si < tl.span_count);
                const sg_tl_span *sp = &tl.spans[si++];
                assert_int_equal(sp->thread, t);
                assert_int_equal(sp->x0, x);
                assert_int_equal(sp->depth, d);
                assert_int_equal(sp->x1, x1);
                assert_int_equal(sp->frame, paths[x][d]);
                assert_int_equal(sp->start_ns, bnd(t0, t1, w, x));
                assert_int_equal(sp->end_ns, bnd(t0, t1, w, x1));
                assert_int_equal(sp->samples, cn[x1] - cn[x]);
                assert_int_equal(sp->weight, cw[x1] - cw[x]);
            }
        static const uint32_t bits[3] = {SG_SAMPLE_ON_CPU, SG_SAMPLE_HOLDS_GIL, SG_SAMPLE_IDLE};
        for (int k = 0; k < 3; k++)
            for (uint32_t x = 0; x < w; x++) {
                if (!(flags[x] & bits[k]) || (x > 0 && (flags[x - 1] & bits[k])))
                    continue;
                uint32_t x1 = x + 1;
                while (x1 < w && (flags[x1] & bits[k]))
                    x1++;
                assert_true(st < tl.state_count);
                const sg_tl_state *z = &tl.states[st++];
                assert_int_equal(z->thread, t);
                assert_int_equal(z->state, bits[k]);
                assert_int_equal(z->x0, x);
                assert_int_equal(z->x1, x1);
            }
    }
    assert_int_equal(si, tl.span_count);
    assert_int_equal(st, tl.state_count);
    /* events: counts add up; entries are at least a column wide */
    const sg_events *ev = &p->events;
    uint64_t markers = 0, gcs = 0;
    for (size_t i = 0; i < ev->count; i++) {
        if (ev->kind[i] == SG_EVENT_MARKER && ev->time_ns[i] >= t0 && ev->time_ns[i] < t1)
            markers++;
    }
    for (size_t i = 0; i < ix->gc_count; i++)
        gcs += ix->gcs[i].start_ns < t1 && ix->gcs[i].end_ns > t0;
    uint64_t got_markers = 0, got_gcs = 0;
    for (size_t i = 0; i < tl.event_count; i++) {
        const sg_tl_event *e = &tl.events[i];
        assert_true(e->x0 < e->x1 && e->x1 <= w);
        if (e->kind == SG_EVENT_MARKER)
            got_markers += e->count;
        else
            got_gcs += e->count;
    }
    assert_int_equal(got_markers, markers);
    assert_int_equal(got_gcs, gcs);
    free(paths);
    free(depth);
    free(flags);
    free(cw);
    free(cn);
    sg_tl_free(&tl);
}

static void test_random_timelines(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 16; seed++) {
        sg_profile *p = rnd_profile(seed, 300 + seed * 53, seed % 2 == 1);
        sg_tlindex ix;
        assert_int_equal(sg_tlindex_build(p, &ix), 0);
        uint64_t end = p->meta.duration_ns;
        check_range(p, &ix, 0, end, 1);
        check_range(p, &ix, 0, end, 37);
        check_range(p, &ix, 0, end, 500);
        check_range(p, &ix, end / 3, end / 2, 64);
        check_range(p, &ix, end / 2, end / 2 + 5000, 100); /* zoomed in: wide columns empty */
        check_range(p, &ix, end / 2, end / 2 + 50, 200);   /* narrower than a ns per column */
        sg_tlindex_free(&ix);
        sg_profile_free(p);
    }
}

/* A view: a thread filter removes lanes; a state filter empties columns. */
static void test_view(void **state)
{
    (void)state;
    sg_profile *p = rnd_profile(77, 2000, true);
    sg_tlindex ix;
    assert_int_equal(sg_tlindex_build(p, &ix), 0);
    bool threads[RND_THREADS] = {false, true, false};
    sg_view v = {.threads = threads, .flags_set = SG_SAMPLE_ON_CPU};
    sg_view_resolved vr;
    assert_int_equal(sg_view_resolve(p, &v, &vr), 0);
    sg_tl all, some;
    assert_int_equal(sg_tl_query(&ix, NULL, 0, p->meta.duration_ns, 300, &all), 0);
    assert_int_equal(sg_tl_query(&ix, &vr, 0, p->meta.duration_ns, 300, &some), 0);
    assert_true(some.span_count < all.span_count);
    for (size_t i = 0; i < some.span_count; i++)
        assert_int_equal(some.spans[i].thread, 1);
    for (size_t i = 0; i < some.state_count; i++)
        assert_int_equal(some.states[i].thread, 1);
    sg_tl bad;
    assert_int_equal(sg_tl_query(&ix, NULL, 10, 10, 300, &bad), SG_PROFILE_EINVAL);
    sg_tl_free(&bad);
    sg_tl_free(&all);
    sg_tl_free(&some);
    sg_view_resolved_free(&vr);
    sg_tlindex_free(&ix);
    sg_profile_free(p);
}

/* The whole timeline, rebuilt from per-thread parts into one reused sg_tl. */
static void check_parts(const sg_tlindex *ix, const sg_view_resolved *vr, uint64_t t0, uint64_t t1,
                        uint32_t w)
{
    sg_tl all, part = {0};
    assert_int_equal(sg_tl_query(ix, vr, t0, t1, w, &all), 0);
    size_t spans = 0, states = 0;
    for (uint32_t t = 0; t < ix->profile->threads.count; t++) {
        assert_int_equal(sg_tl_query_part(ix, vr, t0, t1, w, t, t + 1, false, &part), 0);
        assert_int_equal(part.event_count, 0);
        for (size_t i = 0; i < part.span_count; i++)
            assert_memory_equal(&part.spans[i], &all.spans[spans++], sizeof *part.spans);
        for (size_t i = 0; i < part.state_count; i++)
            assert_memory_equal(&part.states[i], &all.states[states++], sizeof *part.states);
    }
    assert_int_equal(spans, all.span_count);
    assert_int_equal(states, all.state_count);
    assert_int_equal(sg_tl_query_part(ix, vr, t0, t1, w, 0, 0, true, &part), 0);
    assert_int_equal(part.span_count + part.state_count, 0);
    assert_int_equal(part.event_count, all.event_count);
    for (size_t i = 0; i < part.event_count; i++) { /* field by field: padding differs */
        const sg_tl_event *a = &part.events[i], *b = &all.events[i];
        assert_true(a->thread == b->thread && a->kind == b->kind && a->label == b->label &&
                    a->count == b->count && a->x0 == b->x0 && a->x1 == b->x1 &&
                    a->start_ns == b->start_ns && a->end_ns == b->end_ns);
    }
    assert_int_equal(sg_tl_query_part(ix, vr, t1, t0, w, 0, 9, true, &part), SG_PROFILE_EINVAL);
    assert_int_equal(part.span_count + part.state_count + part.event_count, 0);
    sg_tl_free(&part);
    sg_tl_free(&all);
}

static void test_parts_equal_the_whole(void **state)
{
    (void)state;
    for (uint64_t seed = 3; seed <= 6; seed++) {
        sg_profile *p = rnd_profile(seed, 1500, seed % 2 == 1);
        sg_tlindex ix;
        assert_int_equal(sg_tlindex_build(p, &ix), 0);
        uint64_t end = p->meta.duration_ns;
        check_parts(&ix, NULL, 0, end, 400);
        check_parts(&ix, NULL, end / 4, end / 3, 90);
        bool threads[RND_THREADS] = {true, false, true};
        sg_view v = {.threads = threads};
        sg_view_resolved vr;
        assert_int_equal(sg_view_resolve(p, &v, &vr), 0);
        check_parts(&ix, &vr, 0, end, 300);
        sg_view_resolved_free(&vr);
        sg_tlindex_free(&ix);
        sg_profile_free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_timelines),
        cmocka_unit_test(test_view),
        cmocka_unit_test(test_parts_equal_the_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
