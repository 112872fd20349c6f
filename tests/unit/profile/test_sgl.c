/*
 * test_sgl.c — .sgl round trips: a profile written and read back is equal
 * table by table, whether written in one flush or in many, with or without
 * events, sources, call statistics (added between flushes too), metadata
 * changes, empty stacks and odd weights; the reader's info reports
 * complete files, and file-level errors carry the path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixtures.h"
#include "profile/sgl.h"

static const fx_shape small_shape = {
    .threads = 4,
    .functions = 60,
    .paths = 40,
    .max_depth = 30,
    .interval_ns = 10000000,
    .jitter_ns = 200000,
    .stay_percent = 70,
    .events = true,
    .sources = true,
    .callstats = true,
};

static const sg_sgl_writer_options exact = {.time_resolution_ns = 1};

static sg_profile *read_back(const char *path, sg_sgl_read_info *info)
{
    sg_profile *q = NULL;
    char err[512];
    int rc = sg_sgl_read_file(path, 0, &q, info, err, sizeof err);
    if (rc != 0)
        fail_msg("read %s: %s", path, err);
    return q;
}

static void test_round_trip_one_flush(void **state)
{
    (void)state;
    fx_workload w;
    fx_workload_init(&w, &small_shape, 1);
    fx_add_sweeps(&w, 3000);
    w.p->meta.duration_ns = 30000000000ull;
    w.p->meta.samples_missed = 3;
    char path[256];
    fx_temp_path(path, sizeof path, "one.sgl");
    fx_write_sgl(w.p, path, &exact);
    sg_sgl_read_info info;
    sg_profile *q = read_back(path, &info);
    assert_true(info.complete);
    assert_false(info.truncated);
    fx_assert_profiles_equal(w.p, q);
    sg_profile_free(q);
    fx_workload_free(&w);
    unlink(path);
}

/* Flush after every few sweeps, growing every table in between, as a
 * recorder does; the file must read back as if written at once. */
static void test_round_trip_many_flushes(void **state)
{
    (void)state;
    fx_workload w;
    fx_workload_init(&w, &small_shape, 2);
    char path[256], err[256];
    fx_temp_path(path, sizeof path, "many.sgl");
    sg_sgl_writer *sw;
    assert_int_equal(sg_sgl_writer_open(path, &exact, &sw, err, sizeof err), 0);
    fx_rng rng = {42};
    for (int round = 0; round < 300; round++) {
        fx_add_sweeps(&w, fx_below(&rng, 20));
        if (round % 17 == 3) {
            /* New strings, frames, stacks and threads mid-stream. */
            uint32_t frame, stack, thread;
            char name[32];
            snprintf(name, sizeof name, "late_%d", round);
            assert_int_equal(
                sg_profile_intern_frame(w.p, "late.py", 7, name, strlen(name), 1, &frame), 0);
            assert_int_equal(sg_stacks_intern(&w.p->stacks, w.path_stack[0], frame, 2, &stack), 0);
            assert_int_equal(sg_profile_intern_thread(w.p, 90000 + round, name, &thread), 0);
            assert_int_equal(sg_profile_add_sample(w.p, w.now_ns, thread, stack, 0, 5), 0);
            fx_add_callstats(w.p, &rng); /* the new frame's row, and an edge into it */
        }
        if (round == 100)
            assert_int_equal(sg_profile_set_meta_text(w.p, &w.p->meta.python_version, "3.13.0"), 0);
        assert_int_equal(sg_sgl_writer_flush(sw, w.p), 0);
        /* A flush with nothing new writes nothing. */
        uint64_t before = sg_sgl_writer_bytes(sw);
        assert_int_equal(sg_sgl_writer_flush(sw, w.p), 0);
        assert_int_equal(sg_sgl_writer_bytes(sw), before);
    }
    w.p->meta.duration_ns = w.now_ns;
    assert_int_equal(sg_sgl_writer_close(sw, w.p, err, sizeof err), 0);
    sg_sgl_read_info info;
    sg_profile *q = read_back(path, &info);
    assert_true(info.complete);
    assert_true(info.chunks > 100);
    fx_assert_profiles_equal(w.p, q);
    sg_profile_free(q);
    fx_workload_free(&w);
    unlink(path);
}

/* A file the writer never closed (a killed recorder) reads back whole,
 * without the end record. */
static void test_unclosed_file(void **state)
{
    (void)state;
    fx_workload w;
    fx_workload_init(&w, &small_shape, 3);
    char path[256], err[256];
    fx_temp_path(path, sizeof path, "unclosed.sgl");
    sg_sgl_writer *sw;
    assert_int_equal(sg_sgl_writer_open(path, &exact, &sw, err, sizeof err), 0);
    fx_add_sweeps(&w, 100);
    assert_int_equal(sg_sgl_writer_flush(sw, w.p), 0);
    sg_sgl_read_info info;
    sg_profile *q = read_back(path, &info);
    assert_false(info.complete);
    assert_false(info.truncated);
    fx_assert_profiles_equal(w.p, q);
    sg_profile_free(q);
    assert_int_equal(sg_sgl_writer_close(sw, NULL, err, sizeof err), 0); /* abandon */
    q = read_back(path, &info);
    assert_false(info.complete);
    sg_profile_free(q);
    fx_workload_free(&w);
    unlink(path);
}

static void test_empty_profile(void **state)
{
    (void)state;
    sg_profile *p = sg_profile_new();
    assert_non_null(p);
    char path[256];
    fx_temp_path(path, sizeof path, "empty.sgl");
    fx_write_sgl(p, path, NULL);
    sg_sgl_read_info info;
    sg_profile *q = read_back(path, &info);
    assert_true(info.complete);
    fx_assert_profiles_equal(p, q);
    sg_profile_free(q);
    sg_profile_free(p);
    unlink(path);
}

/* Edge values: empty stacks, weights that change every sample, times that
 * go backwards, huge tids and lines, has_stacks off, ns weights. */
static void test_edge_values(void **state)
{
    (void)state;
    sg_profile *p = sg_profile_new();
    assert_non_null(p);
    p->meta.has_stacks = false;
    p->meta.weight_unit = SG_WEIGHT_NANOSECONDS;
    p->meta.mode = SG_MODE_CPU;
    uint32_t frame, stack, t0, t1;
    assert_int_equal(sg_profile_intern_frame(p, "", 0, "<module>", 8, UINT32_MAX, &frame), 0);
    assert_int_equal(sg_stacks_intern(&p->stacks, SG_STACK_NONE, frame, UINT32_MAX, &stack), 0);
    assert_int_equal(sg_profile_intern_thread(p, UINT64_MAX, "", &t0), 0);
    assert_int_equal(sg_profile_intern_thread(p, 0, "zero", &t1), 0);
    uint64_t times[] = {5, 3, UINT64_MAX, 0, 1ull << 62, 7};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++)
        assert_int_equal(sg_profile_add_sample(p, times[i], i % 2 ? t1 : t0,
                                               i % 3 ? stack : SG_STACK_NONE, (uint8_t)(i * 37),
                                               i == 2 ? UINT32_MAX : (uint32_t)i),
                         0);
    assert_int_equal(sg_profile_add_event(p, UINT64_MAX, SG_EVENT_GC_STOP, t1, "gen2"), 0);
    /* call statistics at their limits, a self-edge, a count-only edge */
    sg_call_numbers most = {SG_CALLSTATS_MAX_COUNT, SG_CALLSTATS_MAX_COUNT, SG_CALLSTATS_MAX_NS,
                            SG_CALLSTATS_MAX_NS};
    sg_call_numbers zero = {0, 0, 0, 0}, count = {.nc = UINT32_MAX + 1ull};
    assert_int_equal(sg_callstats_add_func(&p->callstats, frame, &most, NULL), 0);
    assert_int_equal(sg_callstats_add_edge(&p->callstats, frame, frame, 0, &zero, NULL), 0);
    uint32_t other;
    assert_int_equal(sg_profile_intern_frame(p, "b.py", 4, "g", 1, 0, &other), 0);
    assert_int_equal(
        sg_callstats_add_edge(&p->callstats, other, frame, SG_CALLSTATS_COUNT_ONLY, &count, NULL),
        0);
    char path[256];
    fx_temp_path(path, sizeof path, "edge.sgl");
    fx_write_sgl(p, path, &exact);
    sg_profile *q = read_back(path, NULL);
    fx_assert_profiles_equal(p, q);
    sg_profile_free(q);
    sg_profile_free(p);
    unlink(path);
}

/* The default time resolution is 1 us: times come back truncated to it. */
static void test_time_resolution(void **state)
{
    (void)state;
    sg_profile *p = sg_profile_new();
    uint32_t thread;
    assert_int_equal(sg_profile_intern_thread(p, 1, "t", &thread), 0);
    assert_int_equal(sg_profile_add_sample(p, 1999, thread, SG_STACK_NONE, 0, 1), 0);
    assert_int_equal(sg_profile_add_sample(p, 1000, thread, SG_STACK_NONE, 0, 1), 0);
    assert_int_equal(sg_profile_add_sample(p, 123456789, thread, SG_STACK_NONE, 0, 1), 0);
    char path[256];
    fx_temp_path(path, sizeof path, "res.sgl");
    fx_write_sgl(p, path, NULL);
    sg_profile *q = read_back(path, NULL);
    assert_int_equal(q->samples.count, 3);
    assert_int_equal(q->samples.time_ns[0], 1000);
    assert_int_equal(q->samples.time_ns[1], 1000);
    assert_int_equal(q->samples.time_ns[2], 123456000);
    sg_profile_free(q);
    sg_profile_free(p);
    unlink(path);
}

/* Rows bigger than one chunk or one record: many strings, long strings,
 * more samples than a record holds. */
static void test_large_tables_split(void **state)
{
    (void)state;
    sg_profile *p = sg_profile_new();
    char *big = malloc(3u << 20);
    assert_non_null(big);
    for (size_t i = 0; i < (3u << 20); i++)
        big[i] = (char)('a' + i % 26);
    uint32_t id;
    assert_int_equal(sg_strings_intern(&p->strings, big, 3u << 20, &id), 0);
    for (int i = 0; i < 100000; i++) {
        char s[32];
        snprintf(s, sizeof s, "s%d", i);
        assert_int_equal(sg_strings_intern_cstr(&p->strings, s, &id), 0);
    }
    uint32_t thread, frame, stack;
    assert_int_equal(sg_profile_intern_thread(p, 1, "t", &thread), 0);
    assert_int_equal(sg_profile_intern_frame(p, "f.py", 4, "f", 1, 1, &frame), 0);
    assert_int_equal(sg_stacks_intern(&p->stacks, SG_STACK_NONE, frame, 1, &stack), 0);
    for (uint32_t i = 0; i < 200000; i++)
        assert_int_equal(sg_profile_add_sample(p, i * 997ull, thread, stack, 0, 1), 0);
    char path[256];
    fx_temp_path(path, sizeof path, "large.sgl");
    fx_write_sgl(p, path, &exact);
    sg_sgl_read_info info;
    sg_profile *q = read_back(path, &info);
    assert_true(info.chunks >= 3);
    fx_assert_profiles_equal(p, q);
    sg_profile_free(q);
    sg_profile_free(p);
    free(big);
    unlink(path);
}

/* The writer refuses rows that break the profile's invariants, so it never
 * writes a file its reader would reject. */
static void test_writer_checks_references(void **state)
{
    (void)state;
    sg_profile *p = sg_profile_new();
    uint32_t thread;
    assert_int_equal(sg_profile_intern_thread(p, 1, "t", &thread), 0);
    assert_int_equal(sg_samples_append(&p->samples, 0, thread, 7, 0, 1), 0); /* no stack 7 */
    char path[256], err[256];
    fx_temp_path(path, sizeof path, "bad.sgl");
    sg_sgl_writer *w;
    assert_int_equal(sg_sgl_writer_open(path, NULL, &w, err, sizeof err), 0);
    assert_int_equal(sg_sgl_writer_flush(w, p), SG_PROFILE_EINVAL);
    assert_non_null(strstr(sg_sgl_writer_error(w), "sample 0"));
    assert_int_equal(sg_sgl_writer_flush(w, p), SG_PROFILE_EIO); /* broken from now on */
    assert_int_not_equal(sg_sgl_writer_close(w, p, err, sizeof err), 0);
    /* What reached the file still reads (the header only). */
    sg_profile *q = read_back(path, NULL);
    assert_int_equal(q->samples.count, 0);
    sg_profile_free(q);
    sg_profile_free(p);
    unlink(path);
}

/* Call statistics naming a frame that does not exist are refused too. */
static void test_writer_checks_callstats(void **state)
{
    (void)state;
    sg_profile *p = sg_profile_new();
    uint32_t frame;
    assert_int_equal(sg_profile_intern_frame(p, "a.py", 4, "f", 1, 1, &frame), 0);
    sg_call_numbers n = {1, 1, 10, 10};
    assert_int_equal(sg_callstats_add_func(&p->callstats, frame, &n, NULL), 0);
    assert_int_equal(sg_callstats_add_edge(&p->callstats, frame, 7, 0, &n, NULL), 0);
    char path[256], err[256];
    fx_temp_path(path, sizeof path, "badcs.sgl");
    sg_sgl_writer *w;
    assert_int_equal(sg_sgl_writer_open(path, NULL, &w, err, sizeof err), 0);
    assert_int_equal(sg_sgl_writer_flush(w, p), SG_PROFILE_EINVAL);
    assert_non_null(strstr(sg_sgl_writer_error(w), "edge row 0"));
    assert_int_not_equal(sg_sgl_writer_close(w, p, err, sizeof err), 0);
    sg_profile_free(p);
    unlink(path);
}

/* Call statistics cost about what their numbers hold: 20,000 functions and
 * 60,000 edges with random (incompressible) times stay under 16 bytes a
 * row, and many records' worth read back whole. */
static void test_callstats_size(void **state)
{
    (void)state;
    sg_profile *p = sg_profile_new();
    fx_rng rng = {77};
    for (uint32_t i = 0; i < 20000; i++) {
        char name[32];
        uint32_t frame;
        int len = snprintf(name, sizeof name, "f%u", i);
        assert_int_equal(sg_profile_intern_frame(p, "mod.py", 6, name, (size_t)len, i + 1, &frame),
                         0);
    }
    fx_add_callstats(p, &rng);
    for (uint32_t i = 0; i < 40000; i++) {
        uint32_t caller = fx_below(&rng, 20000), callee = fx_below(&rng, 20000);
        sg_call_numbers n = {.cc = 3, .nc = 3, .tt_ns = fx_below(&rng, 1u << 30)};
        n.ct_ns = n.tt_ns * 2;
        if (sg_callstats_find_edge(&p->callstats, caller, callee) == SG_CALLSTATS_NONE)
            assert_int_equal(sg_callstats_add_edge(&p->callstats, caller, callee, 0, &n, NULL), 0);
    }
    char path[256];
    fx_temp_path(path, sizeof path, "cs-size.sgl");
    size_t bare = 0;
    {
        sg_profile *q = sg_profile_new();
        for (uint32_t i = 1; i < p->strings.count; i++) {
            uint32_t id;
            assert_int_equal(sg_strings_intern(&q->strings, sg_strings_get(&p->strings, i),
                                               sg_strings_len(&p->strings, i), &id),
                             0);
        }
        for (uint32_t i = 0; i < p->frames.count; i++) {
            uint32_t id;
            const sg_frame *f = &p->frames.rows[i];
            assert_int_equal(sg_frames_intern(&q->frames, f->file, f->name, f->first_line, &id), 0);
        }
        bare = fx_write_sgl(q, path, NULL);
        sg_profile_free(q);
    }
    size_t with = fx_write_sgl(p, path, NULL);
    size_t rows = p->callstats.func_count + p->callstats.edge_count;
    print_message("call statistics: %zu rows in %zu bytes (%.1f per row)\n", rows, with - bare,
                  (double)(with - bare) / (double)rows);
    assert_true(with - bare < 16 * rows);
    sg_profile *q = read_back(path, NULL);
    fx_assert_profiles_equal(p, q);
    sg_profile_free(q);
    sg_profile_free(p);
    unlink(path);
}

static void test_open_errors(void **state)
{
    (void)state;
    sg_sgl_writer *w = (sg_sgl_writer *)1;
    char err[256];
    assert_int_equal(sg_sgl_writer_open("/nonexistent-dir/x.sgl", NULL, &w, err, sizeof err),
                     SG_PROFILE_EIO);
    assert_null(w);
    assert_non_null(strstr(err, "/nonexistent-dir/x.sgl"));
    sg_profile *q = (sg_profile *)1;
    assert_int_equal(sg_sgl_read_file("/nonexistent-dir/x.sgl", 0, &q, NULL, err, sizeof err),
                     SG_PROFILE_EIO);
    assert_null(q);
    assert_non_null(strstr(err, "No such file"));
}

/* A writer on a pipe: the stream needs no seeking. */
static void test_writer_on_pipe(void **state)
{
    (void)state;
    fx_workload w;
    fx_workload_init(&w, &small_shape, 9);
    fx_add_sweeps(&w, 50);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    char path[256], err[256];
    fx_temp_path(path, sizeof path, "pipe.sgl");
    FILE *sink = fopen(path, "wb");
    assert_non_null(sink);
    sg_sgl_writer *sw;
    assert_int_equal(sg_sgl_writer_open_fd(fds[1], &exact, &sw, err, sizeof err), 0);
    assert_int_equal(sg_sgl_writer_flush(sw, w.p), 0);
    assert_int_equal(sg_sgl_writer_close(sw, w.p, err, sizeof err), 0);
    close(fds[1]); /* open_fd does not own it */
    char buf[4096];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0)
        fwrite(buf, 1, (size_t)n, sink);
    close(fds[0]);
    fclose(sink);
    sg_profile *q = read_back(path, NULL);
    fx_assert_profiles_equal(w.p, q);
    sg_profile_free(q);
    fx_workload_free(&w);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_one_flush),
        cmocka_unit_test(test_round_trip_many_flushes),
        cmocka_unit_test(test_unclosed_file),
        cmocka_unit_test(test_empty_profile),
        cmocka_unit_test(test_edge_values),
        cmocka_unit_test(test_time_resolution),
        cmocka_unit_test(test_large_tables_split),
        cmocka_unit_test(test_writer_checks_references),
        cmocka_unit_test(test_writer_checks_callstats),
        cmocka_unit_test(test_callstats_size),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_writer_on_pipe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
