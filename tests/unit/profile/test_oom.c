/*
 * test_oom.c — out-of-memory faults: every allocation the profile library
 * makes is failed in turn (once, and from then on), while a profile (with
 * call statistics) is built, written, read back and exported. Each run must either succeed or
 * return an error status, never crash, and (under ASan) never leak; a
 * table left behind by a failed call must still be consistent.
 *
 * The allocator is wrapped at link time (-Wl,--wrap=malloc,...), which
 * redirects the calls made by this test's objects and libsg_profile.a but
 * not those inside shared libraries (libc, zstd, cmocka).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixtures.h"
#include "profile/export_collapsed.h"
#include "profile/sgl.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *ptr, size_t size);

static bool armed;
static bool sticky;    /* once the first failure happened, fail every later call */
static long countdown; /* allocations to let through before failing */
static bool injected;

static bool should_fail(void)
{
    if (!armed)
        return false;
    if (injected && sticky)
        return true;
    if (countdown-- == 0) {
        injected = true;
        return true;
    }
    return false;
}

void *__wrap_malloc(size_t size)
{
    return should_fail() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return should_fail() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *ptr, size_t size)
{
    return should_fail() ? NULL : __real_realloc(ptr, size);
}

/* Rebuild `from` row by row through the public API (so every table grows
 * under fire), write it, read it back and export it. Returns the first
 * error status, or 0 with *out holding the profile read back. */
static int scenario(const sg_profile *from, const char *path, sg_profile **out)
{
    *out = NULL;
    sg_profile *p = sg_profile_new();
    if (p == NULL)
        return SG_PROFILE_ENOMEM;
    int rc = 0;
    for (uint32_t i = 1; rc == 0 && i < from->strings.count; i++) {
        uint32_t id;
        rc = sg_strings_intern(&p->strings, sg_strings_get(&from->strings, i),
                               sg_strings_len(&from->strings, i), &id);
        assert_true(rc != 0 || id == i);
    }
    for (uint32_t i = 0; rc == 0 && i < from->frames.count; i++) {
        uint32_t id;
        const sg_frame *f = &from->frames.rows[i];
        rc = sg_frames_intern(&p->frames, f->file, f->name, f->first_line, &id);
    }
    for (uint32_t i = 0; rc == 0 && i < from->stacks.count; i++) {
        uint32_t id;
        rc = sg_stacks_intern(&p->stacks, from->stacks.rows[i].parent, from->stacks.rows[i].frame,
                              from->stacks.rows[i].line, &id);
    }
    for (uint32_t i = 0; rc == 0 && i < from->threads.count; i++) {
        uint32_t id;
        rc = sg_threads_intern(&p->threads, from->threads.tid[i], from->threads.name[i], &id);
    }
    const sg_samples *s = &from->samples;
    for (size_t i = 0; rc == 0 && i < s->count; i++)
        rc = sg_samples_append(&p->samples, s->time_ns[i], s->thread[i], s->stack[i], s->flags[i],
                               s->weight[i]);
    const sg_events *e = &from->events;
    for (size_t i = 0; rc == 0 && i < e->count; i++)
        rc = sg_events_append(&p->events, e->time_ns[i], e->kind[i], e->thread[i], e->label[i]);
    for (uint32_t i = 0; rc == 0 && i < from->sources.count; i++)
        rc = sg_sources_add(&p->sources, from->sources.file[i], from->sources.text[i],
                            from->sources.length[i]);
    const sg_callstats *cs = &from->callstats;
    for (uint32_t i = 0; rc == 0 && i < cs->func_count; i++)
        rc = sg_callstats_add_func(&p->callstats, cs->funcs[i].frame, &cs->funcs[i].n, NULL);
    for (uint32_t i = 0; rc == 0 && i < cs->edge_count; i++)
        rc = sg_callstats_add_edge(&p->callstats, cs->edges[i].caller, cs->edges[i].callee,
                                   cs->edges[i].flags, &cs->edges[i].n, NULL);
    p->meta = from->meta;
    /* Whatever happened, the tables hold consistent rows. */
    fx_assert_invariants(p);
    if (rc == 0) {
        sg_sgl_writer *w;
        char err[256];
        sg_sgl_writer_options exact = {.time_resolution_ns = 1};
        rc = sg_sgl_writer_open(path, &exact, &w, err, sizeof err);
        if (rc == 0) {
            rc = sg_sgl_writer_flush(w, p);
            int close_rc = sg_sgl_writer_close(w, p, err, sizeof err);
            if (rc == 0)
                rc = close_rc;
        }
    }
    if (rc == 0) {
        char err[256];
        rc = sg_sgl_read_file(path, 0, out, NULL, err, sizeof err);
        if (rc != 0)
            assert_null(*out);
    }
    if (rc == 0) {
        FILE *sink = fopen("/dev/null", "w");
        assert_non_null(sink);
        sg_collapsed_options opts = {.flags = SG_COLLAPSED_THREADS};
        rc = sg_export_collapsed(*out, sink, &opts);
        fclose(sink);
        if (rc != 0) {
            sg_profile_free(*out);
            *out = NULL;
        }
    }
    sg_profile_free(p);
    return rc;
}

static void run_faults(bool sticky_mode)
{
    static const fx_shape shape = {
        .threads = 3,
        .functions = 20,
        .paths = 12,
        .max_depth = 10,
        .interval_ns = 10000000,
        .jitter_ns = 1000,
        .stay_percent = 50,
        .events = true,
        .sources = true,
        .callstats = true,
    };
    fx_workload w;
    fx_workload_init(&w, &shape, 11);
    fx_add_sweeps(&w, 400);
    char path[256];
    fx_temp_path(path, sizeof path, "oom.sgl");
    long runs = 0;
    for (long n = 0;; n++) {
        armed = true;
        sticky = sticky_mode;
        countdown = n;
        injected = false;
        sg_profile *q;
        int rc = scenario(w.p, path, &q);
        armed = false;
        runs++;
        if (!injected) {
            assert_int_equal(rc, 0);
            fx_assert_profiles_equal(w.p, q);
            sg_profile_free(q);
            break;
        }
        /* A failed allocation must surface as an error, and nothing may be
         * returned with it. */
        if (rc == 0) {
            /* Only possible if the failure was absorbed: not allowed. */
            sg_profile_free(q);
            fail_msg("allocation %ld failed but the scenario reported success", n);
        }
        assert_true(rc == SG_PROFILE_ENOMEM || rc == SG_PROFILE_EIO || rc == SG_PROFILE_ELIMIT);
        assert_null(q);
    }
    print_message("%s faults: %ld runs\n", sticky_mode ? "sticky" : "single", runs);
    assert_true(runs > 20);
    unlink(path);
    fx_workload_free(&w);
}

static void test_single_fault(void **state)
{
    (void)state;
    run_faults(false);
}

static void test_sticky_fault(void **state)
{
    (void)state;
    run_faults(true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_fault),
        cmocka_unit_test(test_sticky_fault),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
