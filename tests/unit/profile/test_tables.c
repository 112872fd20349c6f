/*
 * test_tables.c — the model's tables: interning gives one id per distinct
 * key, ids are dense and stable across growth, references are checked,
 * 10,000-deep stacks need no recursion, the small tables (samples,
 * events, sources) keep what they were given, and call statistics are
 * interned by key, refuse repeats and bad numbers without changing, and
 * group edges by callee in row order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "profile/profile.h"

static void test_strings_intern(void **state)
{
    (void)state;
    sg_strings s;
    assert_int_equal(sg_strings_init(&s), 0);
    assert_int_equal(s.count, 1);
    assert_string_equal(sg_strings_get(&s, 0), "");
    uint32_t id;
    assert_int_equal(sg_strings_intern(&s, "", 0, &id), 0);
    assert_int_equal(id, 0);

    /* Enough strings to grow the arena, the columns and the index many times. */
    enum { N = 20000 };
    char buf[64];
    for (uint32_t i = 0; i < N; i++) {
        int len = snprintf(buf, sizeof buf, "module_%u.function_%u", i % 97, i);
        assert_int_equal(sg_strings_intern(&s, buf, (size_t)len, &id), 0);
        assert_int_equal(id, i + 1);
    }
    assert_int_equal(s.count, N + 1);
    for (uint32_t i = 0; i < N; i++) {
        int len = snprintf(buf, sizeof buf, "module_%u.function_%u", i % 97, i);
        assert_int_equal(sg_strings_intern(&s, buf, (size_t)len, &id), 0);
        assert_int_equal(id, i + 1);
        assert_string_equal(sg_strings_get(&s, id), buf);
        assert_int_equal(sg_strings_len(&s, id), (uint32_t)len);
    }
    assert_int_equal(s.count, N + 1);
    assert_int_equal(sg_strings_find(&s, "module_0.function_0", 19, &id), 1);
    assert_int_equal(id, 1);
    assert_int_equal(sg_strings_find(&s, "nope", 4, &id), 0);

    /* Lengths matter, not NUL: "a\0b" and "a" are different strings. */
    uint32_t a, anb;
    assert_int_equal(sg_strings_intern(&s, "a", 1, &a), 0);
    assert_int_equal(sg_strings_intern(&s, "a\0b", 3, &anb), 0);
    assert_int_not_equal(a, anb);
    assert_int_equal(sg_strings_len(&s, anb), 3);
    /* UTF-8 is bytes like any other. */
    assert_int_equal(sg_strings_intern_cstr(&s, "naïve_日本", &id), 0);
    assert_string_equal(sg_strings_get(&s, id), "naïve_日本");
    sg_strings_free(&s);
}

static void test_frames_intern(void **state)
{
    (void)state;
    sg_frames f;
    sg_frames_init(&f);
    uint32_t id;
    for (uint32_t i = 0; i < 5000; i++) {
        assert_int_equal(sg_frames_intern(&f, i % 10, i, i * 3, &id), 0);
        assert_int_equal(id, i);
    }
    /* Any field differing makes a new frame; all equal finds the old one. */
    assert_int_equal(sg_frames_intern(&f, 7, 7, 21, &id), 0);
    assert_int_equal(id, 7);
    assert_int_equal(sg_frames_intern(&f, 7, 7, 22, &id), 0);
    assert_int_equal(id, 5000);
    assert_int_equal(sg_frames_intern(&f, 8, 7, 21, &id), 0);
    assert_int_equal(id, 5001);
    assert_int_equal(f.rows[5001].file, 8);
    assert_int_equal(f.count, 5002);
    sg_frames_free(&f);
}

static void test_stacks_intern(void **state)
{
    (void)state;
    sg_stacks s;
    sg_stacks_init(&s);
    uint32_t root, child, again;
    assert_int_equal(sg_stacks_intern(&s, SG_STACK_NONE, 1, 10, &root), 0);
    assert_int_equal(sg_stacks_intern(&s, root, 2, 20, &child), 0);
    assert_int_equal(sg_stacks_intern(&s, root, 2, 20, &again), 0);
    assert_int_equal(child, again);
    assert_int_equal(s.rows[child].parent, root);
    assert_int_equal(s.rows[root].depth, 1);
    assert_int_equal(s.rows[child].depth, 2);
    /* The line is part of the row: same frame, other line, other stack. */
    assert_int_equal(sg_stacks_intern(&s, root, 2, 21, &again), 0);
    assert_int_not_equal(child, again);
    /* A parent that does not exist is refused and changes nothing. */
    uint32_t count = s.count;
    assert_int_equal(sg_stacks_intern(&s, 999, 1, 1, &again), SG_PROFILE_EINVAL);
    assert_int_equal(s.count, count);
    sg_stacks_free(&s);
}

static void test_stacks_chain_and_prefix_reuse(void **state)
{
    (void)state;
    sg_stacks s;
    sg_stacks_init(&s);
    sg_frame_line chain[6] = {{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}, {6, 6}};
    uint32_t ids[6], leaf, base_only;
    assert_int_equal(sg_stacks_intern_chain(&s, SG_STACK_NONE, chain, 6, ids, &leaf), 0);
    assert_int_equal(s.count, 6);
    assert_int_equal(leaf, ids[5]);
    for (int i = 1; i < 6; i++)
        assert_int_equal(s.rows[ids[i]].parent, ids[i - 1]);
    /* n = 0 returns the base. */
    assert_int_equal(sg_stacks_intern_chain(&s, ids[2], chain, 0, NULL, &base_only), 0);
    assert_int_equal(base_only, ids[2]);
    /* A recorder that kept ids[] re-interns only below the first change. */
    sg_frame_line tail[2] = {{40, 4}, {50, 5}};
    uint32_t fork;
    assert_int_equal(sg_stacks_intern_chain(&s, ids[2], tail, 2, NULL, &fork), 0);
    assert_int_equal(s.count, 8);
    assert_int_equal(s.rows[fork].depth, 5);
    /* Same chain from the root again: nothing new. */
    assert_int_equal(sg_stacks_intern_chain(&s, SG_STACK_NONE, chain, 6, NULL, &leaf), 0);
    assert_int_equal(leaf, ids[5]);
    assert_int_equal(s.count, 8);
    assert_int_equal(sg_stacks_intern_chain(&s, 12345, chain, 1, NULL, &leaf), SG_PROFILE_EINVAL);
    sg_stacks_free(&s);
}

static void test_stacks_ten_thousand_deep(void **state)
{
    (void)state;
    enum { DEPTH = 10000 };
    sg_stacks s;
    sg_stacks_init(&s);
    sg_frame_line *chain = calloc(DEPTH, sizeof *chain);
    uint32_t *ids = calloc(DEPTH, sizeof *ids);
    assert_non_null(chain);
    assert_non_null(ids);
    /* Deep recursion of one function: the same frame at the same line. */
    for (uint32_t i = 0; i < DEPTH; i++)
        chain[i] = (sg_frame_line){.frame = 0, .line = 7};
    uint32_t leaf;
    assert_int_equal(sg_stacks_intern_chain(&s, SG_STACK_NONE, chain, DEPTH, ids, &leaf), 0);
    assert_int_equal(s.count, DEPTH);
    assert_int_equal(s.rows[leaf].depth, DEPTH);
    uint32_t walked = 0;
    for (uint32_t id = leaf; id != SG_STACK_NONE; id = s.rows[id].parent)
        walked++;
    assert_int_equal(walked, DEPTH);
    /* Interning it again allocates nothing and returns the same leaf. */
    uint32_t again;
    assert_int_equal(sg_stacks_intern_chain(&s, SG_STACK_NONE, chain, DEPTH, NULL, &again), 0);
    assert_int_equal(again, leaf);
    assert_int_equal(s.count, DEPTH);
    free(chain);
    free(ids);
    sg_stacks_free(&s);
}

static void test_threads_intern(void **state)
{
    (void)state;
    sg_threads t;
    sg_threads_init(&t);
    uint32_t a, b, c, d;
    assert_int_equal(sg_threads_intern(&t, 100, 1, &a), 0);
    assert_int_equal(sg_threads_intern(&t, 100, 1, &b), 0);
    assert_int_equal(sg_threads_intern(&t, 100, 2, &c), 0); /* renamed: a new row */
    assert_int_equal(sg_threads_intern(&t, (uint64_t)1 << 40, 1, &d), 0);
    assert_int_equal(a, b);
    assert_int_not_equal(a, c);
    assert_int_equal(d, 2);
    assert_int_equal(t.tid[d], (uint64_t)1 << 40);
    sg_threads_free(&t);
}

static void test_samples_and_events(void **state)
{
    (void)state;
    sg_profile *p = sg_profile_new();
    assert_non_null(p);
    uint32_t frame, stack, thread;
    assert_int_equal(sg_profile_intern_frame(p, "a.py", 4, "main", 4, 1, &frame), 0);
    assert_int_equal(sg_stacks_intern(&p->stacks, SG_STACK_NONE, frame, 3, &stack), 0);
    assert_int_equal(sg_profile_intern_thread(p, 77, "MainThread", &thread), 0);
    for (uint32_t i = 0; i < 100000; i++)
        assert_int_equal(sg_profile_add_sample(p, i * 1000ull, thread,
                                               i % 5 == 0 ? SG_STACK_NONE : stack, SG_SAMPLE_ON_CPU,
                                               1 + i % 3),
                         0);
    assert_int_equal(p->samples.count, 100000);
    assert_int_equal(p->samples.time_ns[99999], 99999000ull);
    assert_int_equal(p->samples.stack[5], SG_STACK_NONE);
    assert_int_equal(p->samples.weight[4], 2);
    assert_int_equal(sg_profile_add_sample(p, 0, thread + 1, stack, 0, 1), SG_PROFILE_EINVAL);
    assert_int_equal(sg_profile_add_sample(p, 0, thread, stack + 1, 0, 1), SG_PROFILE_EINVAL);
    assert_int_equal(p->samples.count, 100000);

    assert_int_equal(sg_profile_add_event(p, 5, SG_EVENT_GC_START, thread, "gen2"), 0);
    assert_int_equal(sg_profile_add_event(p, 9, SG_EVENT_MARKER, SG_THREAD_NONE, NULL), 0);
    assert_int_equal(sg_profile_add_event(p, 9, 0, thread, "x"), SG_PROFILE_EINVAL);
    assert_int_equal(sg_profile_add_event(p, 9, SG_EVENT_MARKER, 3, "x"), SG_PROFILE_EINVAL);
    assert_int_equal(p->events.count, 2);
    assert_string_equal(sg_strings_get(&p->strings, p->events.label[0]), "gen2");
    assert_int_equal(p->events.label[1], 0);
    sg_profile_free(p);
}

static void test_sources_cap(void **state)
{
    (void)state;
    sg_sources s;
    sg_sources_init(&s);
    assert_int_equal(s.cap_bytes, SG_SOURCES_DEFAULT_CAP);
    s.cap_bytes = 10;
    assert_int_equal(sg_sources_add(&s, 1, "12345", 5), 0);
    assert_int_equal(sg_sources_add(&s, 1, "other", 5), 0); /* first text wins */
    assert_int_equal(s.count, 1);
    assert_string_equal(s.text[0], "12345");
    assert_int_equal(sg_sources_add(&s, 2, "123456", 6), SG_PROFILE_ELIMIT);
    assert_int_equal(sg_sources_add(&s, 3, "12345", 5), 0); /* exactly at the cap */
    assert_int_equal(s.total_bytes, 10);
    assert_int_equal(sg_sources_find(&s, 3), 1);
    assert_int_equal(sg_sources_find(&s, 2), -1);
    sg_sources_free(&s);
}

static sg_call_numbers numbers(uint64_t i)
{
    return (sg_call_numbers){.cc = i, .nc = i + 1, .tt_ns = i * 1000, .ct_ns = i * 3000};
}

static void test_callstats(void **state)
{
    (void)state;
    sg_callstats c;
    sg_callstats_init(&c);
    assert_true(sg_callstats_empty(&c));
    assert_int_equal(sg_callstats_find_func(&c, 0), SG_CALLSTATS_NONE);
    assert_int_equal(sg_callstats_find_edge(&c, 0, 0), SG_CALLSTATS_NONE);
    /* Enough rows to grow both arrays and both indexes many times. */
    enum { N = 20000 };
    for (uint32_t f = 0; f < N; f++) {
        sg_call_numbers n = numbers(f);
        uint32_t row;
        assert_int_equal(sg_callstats_add_func(&c, N - 1 - f, &n, &row), 0);
        assert_int_equal(row, f);
        /* f → f + 1, and f → f (recursion) */
        assert_int_equal(sg_callstats_add_edge(&c, f, (f + 1) % N, 0, &n, &row), 0);
        assert_int_equal(row, 2 * f);
        assert_int_equal(sg_callstats_add_edge(&c, f, f, 0, &n, NULL), 0);
    }
    assert_false(sg_callstats_empty(&c));
    assert_int_equal(c.func_count, N);
    assert_int_equal(c.edge_count, 2 * N);
    for (uint32_t f = 0; f < N; f++) {
        uint32_t row = sg_callstats_find_func(&c, f);
        assert_int_equal(row, N - 1 - f);
        assert_int_equal(c.funcs[row].frame, f);
        assert_int_equal(c.funcs[row].n.nc, row + 1);
        row = sg_callstats_find_edge(&c, f, (f + 1) % N);
        assert_int_equal(row, 2 * f);
        assert_int_equal(c.edges[row].n.ct_ns, f * 3000ull);
        assert_int_equal(sg_callstats_find_edge(&c, f, f), 2 * f + 1);
        assert_int_equal(sg_callstats_find_edge(&c, (f + 1) % N, f), SG_CALLSTATS_NONE);
    }
    /* A repeated key is refused and changes nothing. */
    sg_call_numbers n = numbers(5);
    assert_int_equal(sg_callstats_add_func(&c, 7, &n, NULL), SG_PROFILE_EINVAL);
    assert_int_equal(sg_callstats_add_edge(&c, 3, 4, 0, &n, NULL), SG_PROFILE_EINVAL);
    assert_int_equal(c.funcs[N - 1 - 7].n.nc, N - 1 - 7 + 1);
    assert_int_equal(c.func_count, N);
    assert_int_equal(c.edge_count, 2 * N);
    sg_callstats_free(&c);
}

static void test_callstats_numbers(void **state)
{
    (void)state;
    sg_callstats c;
    sg_callstats_init(&c);
    sg_call_numbers most = {SG_CALLSTATS_MAX_COUNT, SG_CALLSTATS_MAX_COUNT, SG_CALLSTATS_MAX_NS,
                            SG_CALLSTATS_MAX_NS};
    assert_true(sg_call_numbers_valid(&most, 0));
    assert_int_equal(sg_callstats_add_func(&c, 0, &most, NULL), 0);
    sg_call_numbers bad = most;
    bad.nc++;
    assert_false(sg_call_numbers_valid(&bad, 0));
    assert_int_equal(sg_callstats_add_func(&c, 1, &bad, NULL), SG_PROFILE_EINVAL);
    bad = most;
    bad.tt_ns++;
    assert_int_equal(sg_callstats_add_edge(&c, 0, 1, 0, &bad, NULL), SG_PROFILE_EINVAL);
    /* count-only edges hold nc alone; unknown flags are refused */
    sg_call_numbers count = {.nc = 12};
    assert_int_equal(sg_callstats_add_edge(&c, 0, 1, SG_CALLSTATS_COUNT_ONLY, &most, NULL),
                     SG_PROFILE_EINVAL);
    assert_int_equal(sg_callstats_add_edge(&c, 0, 1, 0x80, &count, NULL), SG_PROFILE_EINVAL);
    assert_int_equal(c.edge_count, 0);
    assert_int_equal(sg_callstats_add_edge(&c, 0, 1, SG_CALLSTATS_COUNT_ONLY, &count, NULL), 0);
    assert_int_equal(c.edges[0].flags, SG_CALLSTATS_COUNT_ONLY);
    assert_int_equal(c.func_count, 1);
    sg_callstats_free(&c);
    /* The profile owns one, empty until filled. */
    sg_profile *p = sg_profile_new();
    assert_true(sg_callstats_empty(&p->callstats));
    assert_int_equal(sg_callstats_add_func(&p->callstats, 0, &count, NULL), 0);
    sg_profile_free(p);
}

static void test_callstats_callers(void **state)
{
    (void)state;
    sg_callstats c;
    sg_callstats_init(&c);
    sg_call_numbers n = {1, 1, 1, 1};
    /* edges into 2 from 5, 0, 3 (in that order), into 0 from 2, none into 1 */
    const uint32_t edge[][2] = {{5, 2}, {2, 0}, {0, 2}, {3, 2}, {4, 4}};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(sg_callstats_add_edge(&c, edge[i][0], edge[i][1], 0, &n, NULL), 0);
    sg_callstats_callers g;
    assert_int_equal(sg_callstats_callers_build(&c, 6, &g), 0);
    assert_int_equal(g.start[0], 0);
    assert_int_equal(g.start[1], 1); /* 0: edge 1 */
    assert_int_equal(g.row[0], 1);
    assert_int_equal(g.start[2], 1); /* 1: none */
    assert_int_equal(g.start[3], 4); /* 2: edges 0, 2, 3 in row order */
    assert_int_equal(g.row[1], 0);
    assert_int_equal(g.row[2], 2);
    assert_int_equal(g.row[3], 3);
    assert_int_equal(g.start[4], 4);
    assert_int_equal(g.start[5], 5); /* 4: edge 4 */
    assert_int_equal(g.row[4], 4);
    assert_int_equal(g.start[6], 5);
    sg_callstats_callers_free(&g);
    /* a frame past the profile's is refused */
    assert_int_equal(sg_callstats_callers_build(&c, 5, &g), SG_PROFILE_EINVAL);
    sg_callstats_callers_free(&g);
    sg_callstats_free(&c);
    /* an empty table groups nothing */
    sg_callstats_init(&c);
    assert_int_equal(sg_callstats_callers_build(&c, 0, &g), 0);
    assert_int_equal(g.start[0], 0);
    sg_callstats_callers_free(&g);
    sg_callstats_free(&c);
}

static void test_strerror(void **state)
{
    (void)state;
    assert_string_equal(sg_profile_strerror(SG_PROFILE_OK), "success");
    assert_string_equal(sg_profile_strerror(SG_PROFILE_ENOMEM), "out of memory");
    assert_string_equal(sg_profile_strerror(12345), "unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings_intern),
        cmocka_unit_test(test_frames_intern),
        cmocka_unit_test(test_stacks_intern),
        cmocka_unit_test(test_stacks_chain_and_prefix_reuse),
        cmocka_unit_test(test_stacks_ten_thousand_deep),
        cmocka_unit_test(test_threads_intern),
        cmocka_unit_test(test_samples_and_events),
        cmocka_unit_test(test_sources_cap),
        cmocka_unit_test(test_callstats),
        cmocka_unit_test(test_callstats_numbers),
        cmocka_unit_test(test_callstats_callers),
        cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
