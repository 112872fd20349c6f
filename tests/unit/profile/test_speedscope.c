/*
 * test_speedscope.c — the speedscope importer and exporter: round trips of
 * generated profiles, files written by py-spy and by speedscope itself
 * (tests/fixtures/json), evented profiles with unbalanced events, errors
 * that name the JSON path (cut with "..." when long), and a file cut at
 * every byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixtures.h"
#include "json_test_util.h"
#include "profile/export_speedscope.h"
#include "profile/import_speedscope.h"
#include "profile/json_in.h"

static sg_profile *import_text(const char *text, char *err, size_t errlen)
{
    sg_profile *p = NULL;
    int rc = sg_import_speedscope((const uint8_t *)text, strlen(text), NULL, &p, err, errlen);
    assert_true((rc == 0) == (p != NULL));
    return p;
}

static sg_profile *import_ok(const char *text)
{
    char err[512] = "";
    sg_profile *p = import_text(text, err, sizeof err);
    if (p == NULL)
        fail_msg("import failed: %s", err);
    fx_assert_invariants(p);
    return p;
}

static void expect_error(const char *text, const char *needle)
{
    char err[512] = "";
    sg_profile *p = import_text(text, err, sizeof err);
    assert_null(p);
    if (strstr(err, needle) == NULL)
        fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
}

static void test_roundtrip_recording(void **state)
{
    (void)state;
    fx_shape shape = {.threads = 4,
                      .functions = 60,
                      .paths = 40,
                      .max_depth = 14,
                      .interval_ns = 5000000,
                      .jitter_ns = 300000,
                      .stay_percent = 70,
                      .events = true};
    fx_workload w;
    fx_workload_init(&w, &shape, 11);
    fx_add_sweeps(&w, 1500);
    size_t len;
    char *text = jt_export(w.p, sg_export_speedscope, &len);
    assert_true(sg_detect_speedscope((const uint8_t *)text, len));
    sg_profile *back = import_ok(text);
    /* counts × interval come back as nanoseconds */
    assert_int_equal(back->meta.weight_unit, SG_WEIGHT_NANOSECONDS);
    jt_totals a, b;
    jt_totals_of(w.p, shape.interval_ns, &a);
    jt_totals_of(back, 1, &b);
    jt_assert_same_totals(&a, &b);
    /* every thread comes back with its tid and name */
    assert_int_equal(back->threads.count, w.p->threads.count);
    for (uint32_t t = 0; t < back->threads.count; t++) {
        assert_int_equal(back->threads.tid[t], w.p->threads.tid[t]);
        assert_string_equal(sg_strings_get(&back->strings, back->threads.name[t]),
                            sg_strings_get(&w.p->strings, w.p->threads.name[t]));
    }
    /* identical consecutive stacks were merged: fewer samples */
    assert_true(back->samples.count < w.p->samples.count);
    jt_totals_free(&a);
    jt_totals_free(&b);
    sg_profile_free(back);
    free(text);
    fx_workload_free(&w);
}

static void test_roundtrip_keeps_lines_and_empty_stacks(void **state)
{
    (void)state;
    sg_profile *p = sg_profile_new();
    uint32_t t, f, s1, s2, s3;
    assert_int_equal(sg_profile_intern_thread(p, 77, "Main \"quoted\" thread", &t), 0);
    assert_int_equal(sg_profile_intern_frame(p, "/a.py", 5, "f", 1, 3, &f), 0);
    assert_int_equal(sg_stacks_intern(&p->stacks, SG_STACK_NONE, f, 10, &s1), 0);
    assert_int_equal(sg_stacks_intern(&p->stacks, s1, f, 11, &s2), 0); /* recursion */
    assert_int_equal(sg_stacks_intern(&p->stacks, SG_STACK_NONE, f, 12, &s3), 0);
    p->meta.weight_unit = SG_WEIGHT_SAMPLES; /* no interval: plain counts */
    assert_int_equal(sg_profile_add_sample(p, 0, t, s2, 0, 3), 0);
    assert_int_equal(sg_profile_add_sample(p, 1, t, SG_STACK_NONE, 0, 2), 0);
    assert_int_equal(sg_profile_add_sample(p, 2, t, s3, 0, 1), 0);
    size_t len;
    char *text = jt_export(p, sg_export_speedscope, &len);
    assert_non_null(strstr(text, "\"unit\":\"none\""));
    sg_profile *back = import_ok(text);
    assert_int_equal(back->meta.weight_unit, SG_WEIGHT_SAMPLES);
    assert_int_equal(back->samples.count, 3);
    assert_int_equal(back->samples.weight[0], 3);
    assert_int_equal(back->stacks.rows[back->samples.stack[0]].line, 11);
    assert_int_equal(back->stacks.rows[back->samples.stack[0]].depth, 2);
    assert_int_equal(back->samples.stack[1], SG_STACK_NONE);
    assert_int_equal(back->stacks.rows[back->samples.stack[2]].line, 12);
    assert_int_equal(back->threads.tid[0], 77);
    assert_string_equal(sg_strings_get(&back->strings, back->threads.name[0]),
                        "Main \"quoted\" thread");
    sg_profile_free(back);
    sg_profile_free(p);
    free(text);
}

static void test_deep_stack(void **state)
{
    (void)state;
    enum { DEPTH = 10000 };
    sg_profile *p = sg_profile_new();
    uint32_t t, f, g, stack = SG_STACK_NONE;
    assert_int_equal(sg_profile_intern_thread(p, 1, "MainThread", &t), 0);
    assert_int_equal(sg_profile_intern_frame(p, "/r.py", 5, "recurse", 7, 1, &f), 0);
    assert_int_equal(sg_profile_intern_frame(p, "/r.py", 5, "leaf", 4, 9, &g), 0);
    for (int d = 0; d < DEPTH; d++)
        assert_int_equal(sg_stacks_intern(&p->stacks, stack, d + 1 < DEPTH ? f : g, 2, &stack), 0);
    p->meta.interval_ns = 1000000;
    for (int i = 0; i < 5; i++)
        assert_int_equal(sg_profile_add_sample(p, (uint64_t)i * 1000000, t, stack, 0, 1), 0);
    size_t len;
    char *text = jt_export(p, sg_export_speedscope, &len);
    sg_profile *back = import_ok(text);
    assert_int_equal(back->stacks.rows[back->samples.stack[0]].depth, DEPTH);
    jt_totals a, b;
    jt_totals_of(p, p->meta.interval_ns, &a);
    jt_totals_of(back, 1, &b);
    jt_assert_same_totals(&a, &b);
    jt_totals_free(&a);
    jt_totals_free(&b);
    sg_profile_free(back);
    sg_profile_free(p);
    free(text);
}

/* py-spy 0.4.3's output for tests/targets/threads.py (3 threads, 50 Hz). */
static void test_pyspy_file(void **state)
{
    (void)state;
    size_t len;
    unsigned char *data = jt_fixture("pyspy-threads.speedscope.json", &len);
    assert_true(sg_detect_speedscope(data, len));
    sg_profile *p = NULL;
    char err[512] = "";
    if (sg_import_speedscope(data, len, NULL, &p, err, sizeof err) != 0)
        fail_msg("%s", err);
    fx_assert_invariants(p);
    assert_int_equal(p->meta.weight_unit, SG_WEIGHT_NANOSECONDS);
    assert_int_equal(p->threads.count, 3);
    assert_int_equal(p->threads.tid[1], 8639);
    assert_string_equal(sg_strings_get(&p->strings, p->threads.name[1]), "worker-sleep");
    assert_int_equal(p->threads.tid[2], 8640);
    assert_string_equal(sg_strings_get(&p->strings, p->threads.name[2]), "worker-busy");
    jt_totals t;
    jt_totals_of(p, 1, &t);
    assert_int_equal(jt_self_of(&t, "spin"), 620000000); /* 31 samples of 0.02 s */
    assert_int_equal(jt_total_of(&t, "Thread.run"), 640000000);
    assert_int_equal(jt_self_of(&t, "nap") + jt_self_of(&t, "Condition.wait"), 40000000);
    /* the line py-spy shows is the line executing: it lands in the stack row */
    bool found = false;
    for (size_t i = 0; i < p->samples.count; i++) {
        const sg_stack_row *row = &p->stacks.rows[p->samples.stack[i]];
        const char *name = sg_strings_get(&p->strings, p->frames.rows[row->frame].name);
        if (strcmp(name, "spin") == 0) {
            assert_int_equal(row->line, 26);
            found = true;
        }
    }
    assert_true(found);
    jt_totals_free(&t);
    sg_profile_free(p);
    free(data);
}

/* The same recording exported by speedscope itself as evented profiles. */
static void test_speedscope_evented_export(void **state)
{
    (void)state;
    size_t len1, len2;
    unsigned char *sampled = jt_fixture("pyspy-threads.speedscope.json", &len1);
    unsigned char *evented = jt_fixture("speedscope-export-evented.speedscope.json", &len2);
    assert_non_null(strstr((const char *)evented, "\"type\":\"evented\""));
    sg_profile *a = NULL, *b = NULL;
    char err[512] = "";
    assert_int_equal(sg_import_speedscope(sampled, len1, NULL, &a, err, sizeof err), 0);
    if (sg_import_speedscope(evented, len2, NULL, &b, err, sizeof err) != 0)
        fail_msg("%s", err);
    fx_assert_invariants(b);
    jt_totals ta, tb;
    jt_totals_of(a, 1, &ta);
    jt_totals_of(b, 1, &tb);
    jt_assert_same_totals(&ta, &tb);
    jt_totals_free(&ta);
    jt_totals_free(&tb);
    sg_profile_free(a);
    sg_profile_free(b);
    free(sampled);
    free(evented);
}

#define HEAD                                                                                       \
    "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\","                         \
    "\"shared\":{\"frames\":[{\"name\":\"a\",\"file\":\"x.py\",\"line\":1},{\"name\":\"b\"},"      \
    "{\"name\":\"c\",\"line\":null,\"col\":null}]},"

static void test_evented_unbalanced(void **state)
{
    (void)state;
    /* b is left open when a closes; x closes a frame never opened; time
     * steps back once; c is still open at the end. */
    sg_profile *p = import_ok(HEAD "\"profiles\":[{\"type\":\"evented\",\"name\":\"T\","
                                   "\"unit\":\"milliseconds\",\"startValue\":10,\"endValue\":30,"
                                   "\"events\":[{\"type\":\"O\",\"at\":10,\"frame\":0},"
                                   "{\"type\":\"O\",\"at\":11,\"frame\":1},"
                                   "{\"type\":\"C\",\"at\":13,\"frame\":0},"
                                   "{\"type\":\"C\",\"at\":14,\"frame\":1},"
                                   "{\"type\":\"O\",\"at\":15,\"frame\":2},"
                                   "{\"type\":\"O\",\"at\":14.5,\"frame\":0},"
                                   "{\"type\":\"C\",\"at\":17,\"frame\":0}]}]}");
    jt_totals t;
    jt_totals_of(p, 1, &t);
    assert_int_equal(jt_self_of(&t, "a"), 1000000 + 2000000); /* 10..11, then 15..17 in c */
    assert_int_equal(jt_self_of(&t, "b"), 2000000);           /* 11..13 */
    assert_int_equal(jt_total_of(&t, "c"), 2000000);          /* 15..17 */
    assert_int_equal(jt_self_of(&t, "c"), 0);
    assert_int_equal(p->samples.time_ns[0], 0); /* relative to startValue */
    assert_int_equal(p->threads.tid[0], 0);     /* no tid in the name: the index */
    assert_string_equal(sg_strings_get(&p->strings, p->threads.name[0]), "T");
    jt_totals_free(&t);
    sg_profile_free(p);
}

static void test_units_and_kinds(void **state)
{
    (void)state;
    /* The first profile decides the kind (time); the "bytes" one is left out. */
    sg_profile *p = import_ok(HEAD "\"profiles\":["
                                   "{\"type\":\"sampled\",\"name\":\"Thread 5 \\\"w\\\"\","
                                   "\"unit\":\"microseconds\",\"startValue\":0,\"endValue\":3,"
                                   "\"samples\":[[0,1],[0]],\"weights\":[2.5,0.5]},"
                                   "{\"type\":\"sampled\",\"name\":\"mem\",\"unit\":\"bytes\","
                                   "\"startValue\":0,\"endValue\":9,\"samples\":[[2]],"
                                   "\"weights\":[9]}]}");
    assert_int_equal(p->meta.weight_unit, SG_WEIGHT_NANOSECONDS);
    assert_int_equal(p->samples.count, 2);
    assert_int_equal(p->samples.weight[0], 2500);
    assert_int_equal(p->samples.weight[1], 500);
    assert_int_equal(p->samples.time_ns[1], 2500);
    assert_int_equal(p->threads.count, 1);
    assert_int_equal(p->threads.tid[0], 5);
    sg_profile_free(p);
    /* a weight beyond a uint32 is split into several samples */
    p = import_ok(HEAD "\"profiles\":[{\"type\":\"sampled\",\"name\":\"x\",\"unit\":\"seconds\","
                       "\"startValue\":0,\"endValue\":10,\"samples\":[[0]],\"weights\":[10]}]}");
    uint64_t sum = 0;
    for (size_t i = 0; i < p->samples.count; i++)
        sum += p->samples.weight[i];
    assert_int_equal(sum, 10000000000ull);
    assert_int_equal(p->samples.count, 3);
    sg_profile_free(p);
}

static void test_errors_name_the_path(void **state)
{
    (void)state;
    expect_error(HEAD "\"profiles\":[{\"type\":\"sampled\",\"name\":\"x\",\"unit\":\"none\","
                      "\"samples\":[[0],[0,7]],\"weights\":[1,1]}]}",
                 "profiles[0].samples[1][1]: frame index out of range (3 frames)");
    expect_error(HEAD "\"profiles\":[{\"type\":\"sampled\",\"name\":\"x\",\"unit\":\"none\","
                      "\"samples\":[[0],[1]],\"weights\":[1]}]}",
                 "2 samples but 1 weights");
    expect_error(HEAD "\"profiles\":[{\"type\":\"sampled\",\"unit\":\"furlongs\","
                      "\"samples\":[],\"weights\":[]}]}",
                 "profiles[0].unit: unknown unit \"furlongs\"");
    expect_error(HEAD "\"profiles\":[{\"type\":\"evented\",\"unit\":\"none\",\"events\":"
                      "[{\"type\":\"O\",\"at\":\"soon\",\"frame\":0}]}]}",
                 "profiles[0].events[0].at: missing or not a number");
    expect_error(HEAD "\"profiles\":[{\"type\":\"sampled\",\"unit\":\"none\",\"weights\":[1,,2]}]}",
                 "profiles[0].weights[1]");
    expect_error("{\"profiles\":[]}", "no \"shared\" object");
    expect_error("{\"shared\":{\"frames\":[{\"file\":\"a\"}]},\"profiles\":[]}",
                 "shared.frames[0].name: missing");
    expect_error("{\"shared\":{\"frames\":[]},\n\"profiles\":[{\"type\":\"sampled\"", "line 2");
    expect_error("[1,2]", "expected an object");
}

/* An element's path fits its buffer or is cut with "...", never overrun. */
static void test_element_path_is_cut(void **state)
{
    (void)state;
    char small[16], roomy[64];
    sg_json_in_element_path(roomy, sizeof roomy, "profiles[0].samples", 12);
    assert_string_equal(roomy, "profiles[0].samples[12]");
    sg_json_in_element_path(small, sizeof small, "profiles[0].samples", 12);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_string_equal(small, "profiles[0]....");
}

/* Every prefix of a real file either loads or fails with an offset. */
static void test_cut_anywhere(void **state)
{
    (void)state;
    size_t len;
    unsigned char *data = jt_fixture("speedscope-export-evented.speedscope.json", &len);
    for (size_t cut = 0; cut < len; cut += 1 + cut / 64) {
        sg_profile *p = NULL;
        char err[512] = "";
        int rc = sg_import_speedscope(data, cut, NULL, &p, err, sizeof err);
        assert_int_not_equal(rc, 0); /* a cut object is never complete */
        assert_null(p);
        assert_non_null(strstr(err, "offset "));
    }
    free(data);
}

static void test_detect(void **state)
{
    (void)state;
    size_t len;
    unsigned char *data = jt_fixture("pyspy-stacks.chrometrace.json", &len);
    assert_false(sg_detect_speedscope(data, len));
    free(data);
    const char *yes = "\xef\xbb\xbf {\"$schema\":\"https:\\/\\/www.speedscope.app\\/file-format-"
                      "schema.json\"}";
    assert_true(sg_detect_speedscope((const uint8_t *)yes, strlen(yes)));
    assert_false(sg_detect_speedscope((const uint8_t *)"{}", 2));
    assert_false(sg_detect_speedscope((const uint8_t *)"", 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_recording),
        cmocka_unit_test(test_roundtrip_keeps_lines_and_empty_stacks),
        cmocka_unit_test(test_deep_stack),
        cmocka_unit_test(test_pyspy_file),
        cmocka_unit_test(test_speedscope_evented_export),
        cmocka_unit_test(test_evented_unbalanced),
        cmocka_unit_test(test_units_and_kinds),
        cmocka_unit_test(test_errors_name_the_path),
        cmocka_unit_test(test_element_path_is_cut),
        cmocka_unit_test(test_cut_anywhere),
        cmocka_unit_test(test_detect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
