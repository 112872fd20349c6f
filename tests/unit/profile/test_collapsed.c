/*
 * test_collapsed.c — the collapsed-stacks exporter: exact output for a
 * small profile, thread roots, state filters, label sanitising, an order
 * that does not depend on interning order, 10,000-frame lines, and write
 * errors reported.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "profile/export_collapsed.h"

/* Export to a string (caller frees). */
static char *export_text(const sg_profile *p, unsigned flags)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    sg_collapsed_options opts = {.flags = flags};
    assert_int_equal(sg_export_collapsed(p, out, &opts), 0);
    fclose(out);
    return text;
}

static uint32_t frame(sg_profile *p, const char *file, const char *name, uint32_t first_line)
{
    uint32_t id;
    assert_int_equal(
        sg_profile_intern_frame(p, file, strlen(file), name, strlen(name), first_line, &id), 0);
    return id;
}

static uint32_t chain(sg_profile *p, const sg_frame_line *frames, size_t n)
{
    uint32_t id;
    assert_int_equal(sg_stacks_intern_chain(&p->stacks, SG_STACK_NONE, frames, n, NULL, &id), 0);
    return id;
}

/* main → work → helper and main → work (other line) and main → idle, on two
 * threads; built in the given order so tests can shuffle interning. */
static sg_profile *build(bool reversed)
{
    sg_profile *p = sg_profile_new();
    assert_non_null(p);
    uint32_t t_main, t_worker, f_main, f_work, f_helper, f_idle;
    if (!reversed) {
        assert_int_equal(sg_profile_intern_thread(p, 100, "MainThread", &t_main), 0);
        assert_int_equal(sg_profile_intern_thread(p, 200, "Worker", &t_worker), 0);
        f_main = frame(p, "app.py", "main", 1);
        f_work = frame(p, "app.py", "work", 8);
        f_helper = frame(p, "lib/util.py", "Helper.run", 20);
        f_idle = frame(p, "threading.py", "Event.wait", 600);
    } else {
        f_idle = frame(p, "threading.py", "Event.wait", 600);
        f_helper = frame(p, "lib/util.py", "Helper.run", 20);
        f_work = frame(p, "app.py", "work", 8);
        f_main = frame(p, "app.py", "main", 1);
        assert_int_equal(sg_profile_intern_thread(p, 200, "Worker", &t_worker), 0);
        assert_int_equal(sg_profile_intern_thread(p, 100, "MainThread", &t_main), 0);
    }
    sg_frame_line deep[] = {{f_main, 3}, {f_work, 10}, {f_helper, 22}};
    sg_frame_line shallow[] = {{f_main, 3}, {f_work, 11}};
    sg_frame_line idle[] = {{f_main, 4}, {f_idle, 610}};
    uint32_t s_deep, s_shallow, s_idle;
    if (!reversed) {
        s_deep = chain(p, deep, 3);
        s_shallow = chain(p, shallow, 2);
        s_idle = chain(p, idle, 2);
    } else {
        s_idle = chain(p, idle, 2);
        s_shallow = chain(p, shallow, 2);
        s_deep = chain(p, deep, 3);
    }
    const uint8_t run = SG_SAMPLE_ON_CPU | SG_SAMPLE_HOLDS_GIL;
    struct {
        uint32_t thread, stack;
        uint8_t flags;
        uint32_t weight;
    } samples[] = {
        {t_main, s_deep, run, 1},
        {t_main, s_deep, run, 1},
        {t_main, s_shallow, SG_SAMPLE_ON_CPU, 3},
        {t_worker, s_deep, run, 2},
        {t_worker, s_idle, SG_SAMPLE_IDLE, 5},
        {t_worker, SG_STACK_NONE, 0, 7},
    };
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++)
        assert_int_equal(sg_profile_add_sample(p, i * 10, samples[i].thread, samples[i].stack,
                                               samples[i].flags, samples[i].weight),
                         0);
    return p;
}

static void test_merged_threads(void **state)
{
    (void)state;
    sg_profile *p = build(false);
    char *text = export_text(p, 0);
    assert_string_equal(text, "main (app.py:3);work (app.py:10);Helper.run (lib/util.py:22) 4\n"
                              "main (app.py:3);work (app.py:11) 3\n"
                              "main (app.py:4);Event.wait (threading.py:610) 5\n");
    free(text);
    /* NULL options: the same. */
    char *again = NULL;
    size_t len;
    FILE *out = open_memstream(&again, &len);
    assert_int_equal(sg_export_collapsed(p, out, NULL), 0);
    fclose(out);
    assert_non_null(strstr(again, "Helper.run (lib/util.py:22) 4\n"));
    free(again);
    sg_profile_free(p);
}

static void test_thread_roots(void **state)
{
    (void)state;
    sg_profile *p = build(false);
    char *text = export_text(p, SG_COLLAPSED_THREADS);
    assert_string_equal(
        text, "thread MainThread (100);main (app.py:3);work (app.py:10);Helper.run "
              "(lib/util.py:22) 2\n"
              "thread MainThread (100);main (app.py:3);work (app.py:11) 3\n"
              "thread Worker (200) 7\n"
              "thread Worker (200);main (app.py:3);work (app.py:10);Helper.run (lib/util.py:22) 2\n"
              "thread Worker (200);main (app.py:4);Event.wait (threading.py:610) 5\n");
    free(text);
    sg_profile_free(p);
}

static void test_state_filters(void **state)
{
    (void)state;
    sg_profile *p = build(false);
    char *text = export_text(p, SG_COLLAPSED_ONLY_ON_CPU);
    assert_string_equal(text, "main (app.py:3);work (app.py:10);Helper.run (lib/util.py:22) 4\n"
                              "main (app.py:3);work (app.py:11) 3\n");
    free(text);
    text = export_text(p, SG_COLLAPSED_ONLY_GIL | SG_COLLAPSED_THREADS);
    assert_string_equal(
        text,
        "thread MainThread (100);main (app.py:3);work (app.py:10);Helper.run "
        "(lib/util.py:22) 2\n"
        "thread Worker (200);main (app.py:3);work (app.py:10);Helper.run (lib/util.py:22) 2\n");
    free(text);
    sg_profile_free(p);
}

static void test_order_ignores_interning_order(void **state)
{
    (void)state;
    sg_profile *a = build(false), *b = build(true);
    for (unsigned flags = 0; flags < 8; flags++) {
        char *ta = export_text(a, flags), *tb = export_text(b, flags);
        assert_string_equal(ta, tb);
        free(ta);
        free(tb);
    }
    sg_profile_free(a);
    sg_profile_free(b);
}

static void test_labels_sanitised(void **state)
{
    (void)state;
    sg_profile *p = sg_profile_new();
    uint32_t t, f = frame(p, "we;ird\nfile.py", "fn;with\tctl", 1);
    assert_int_equal(sg_profile_intern_thread(p, 5, "a;b", &t), 0);
    sg_frame_line one[] = {{f, 0}};
    assert_int_equal(sg_profile_add_sample(p, 0, t, chain(p, one, 1), 0, 1), 0);
    char *text = export_text(p, SG_COLLAPSED_THREADS);
    assert_string_equal(text, "thread a_b (5);fn_with_ctl (we_ird_file.py:0) 1\n");
    free(text);
    sg_profile_free(p);
}

static void test_ten_thousand_frames(void **state)
{
    (void)state;
    enum { DEPTH = 10000 };
    sg_profile *p = sg_profile_new();
    uint32_t t, f = frame(p, "r.py", "recurse", 1);
    assert_int_equal(sg_profile_intern_thread(p, 1, "", &t), 0);
    sg_frame_line *frames = calloc(DEPTH, sizeof *frames);
    for (int i = 0; i < DEPTH; i++)
        frames[i] = (sg_frame_line){f, 2};
    assert_int_equal(sg_profile_add_sample(p, 0, t, chain(p, frames, DEPTH), 0, 9), 0);
    char *text = export_text(p, SG_COLLAPSED_THREADS);
    const char *label = "recurse (r.py:2)";
    size_t expected = strlen("thread (1)") + DEPTH * (1 + strlen(label)) + strlen(" 9\n");
    assert_int_equal(strlen(text), expected);
    assert_memory_equal(text, "thread (1);recurse (r.py:2);", 28);
    const char *tail = ";recurse (r.py:2) 9\n";
    assert_string_equal(text + expected - strlen(tail), tail);
    free(text);
    free(frames);
    sg_profile_free(p);
}

static void test_empty_and_write_error(void **state)
{
    (void)state;
    sg_profile *p = sg_profile_new();
    char *text = export_text(p, SG_COLLAPSED_THREADS);
    assert_string_equal(text, "");
    free(text);
    sg_profile_free(p);

    p = build(false);
    FILE *full = fopen("/dev/full", "w");
    if (full != NULL) {
        assert_int_equal(sg_export_collapsed(p, full, NULL), SG_PROFILE_EIO);
        fclose(full);
    }
    sg_profile_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merged_threads),
        cmocka_unit_test(test_thread_roots),
        cmocka_unit_test(test_state_filters),
        cmocka_unit_test(test_order_ignores_interning_order),
        cmocka_unit_test(test_labels_sanitised),
        cmocka_unit_test(test_ten_thousand_frames),
        cmocka_unit_test(test_empty_and_write_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
