/*
 * test_chrome_trace.c — the Chrome trace event importer and exporter:
 * round trips (stacks, GC track, markers), py-spy's chrometrace output
 * (tests/fixtures/json), traces cut short, B/E and X nesting rules,
 * thread names, errors with JSON paths, and 10,000-frame stacks.
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
#include "profile/export_chrome_trace.h"
#include "profile/import_chrome_trace.h"

static sg_profile *import_bytes(const void *data, size_t len, char *err, size_t errlen)
{
    sg_profile *p = NULL;
    int rc = sg_import_chrome_trace(data, len, NULL, &p, err, errlen);
    assert_true((rc == 0) == (p != NULL));
    if (p != NULL)
        fx_assert_invariants(p);
    return p;
}

static sg_profile *import_ok(const char *text)
{
    char err[512] = "";
    sg_profile *p = import_bytes(text, strlen(text), err, sizeof err);
    if (p == NULL)
        fail_msg("import failed: %s", err);
    return p;
}

static void expect_error(const char *text, const char *needle)
{
    char err[512] = "";
    assert_null(import_bytes(text, strlen(text), err, sizeof err));
    if (strstr(err, needle) == NULL)
        fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
}

static size_t count_events(const sg_profile *p, uint8_t kind)
{
    size_t n = 0;
    for (size_t i = 0; i < p->events.count; i++)
        n += p->events.kind[i] == kind;
    return n;
}

static void test_roundtrip_recording(void **state)
{
    (void)state;
    fx_shape shape = {.threads = 3,
                      .functions = 50,
                      .paths = 30,
                      .max_depth = 12,
                      .interval_ns = 10000000,
                      .jitter_ns = 2000000,
                      .stay_percent = 60,
                      .events = true};
    fx_workload w;
    fx_workload_init(&w, &shape, 5);
    fx_add_sweeps(&w, 1000);
    size_t len;
    char *text = jt_export(w.p, sg_export_chrome_trace, &len);
    assert_true(sg_detect_chrome_trace((const uint8_t *)text, len));
    sg_profile *back = import_ok(text);
    assert_int_equal(back->meta.weight_unit, SG_WEIGHT_NANOSECONDS);
    jt_totals a, b;
    jt_totals_of(w.p, shape.interval_ns, &a);
    jt_totals_of(back, 1, &b);
    jt_assert_same_totals(&a, &b);
    /* threads by tid and name; GC spans and markers come back as events */
    assert_int_equal(back->threads.count, w.p->threads.count);
    for (uint32_t t = 0; t < w.p->threads.count; t++) {
        bool found = false;
        for (uint32_t u = 0; u < back->threads.count; u++)
            found |= back->threads.tid[u] == w.p->threads.tid[t] &&
                     strcmp(sg_strings_get(&back->strings, back->threads.name[u]),
                            sg_strings_get(&w.p->strings, w.p->threads.name[t])) == 0;
        assert_true(found);
    }
    assert_int_equal(count_events(back, SG_EVENT_GC_START), count_events(w.p, SG_EVENT_GC_START));
    assert_int_equal(count_events(back, SG_EVENT_GC_STOP), count_events(w.p, SG_EVENT_GC_STOP));
    assert_int_equal(count_events(back, SG_EVENT_MARKER), count_events(w.p, SG_EVENT_MARKER));
    assert_non_null(strstr(text, "\"args\":{\"name\":\"GC\"}"));
    jt_totals_free(&a);
    jt_totals_free(&b);
    sg_profile_free(back);
    free(text);
    fx_workload_free(&w);
}

/* Samples further apart than their length leave the track idle; samples
 * without times (an imported collapsed file) are laid end to end. */
static void test_layout(void **state)
{
    (void)state;
    sg_profile *p = sg_profile_new();
    uint32_t t, f, s;
    assert_int_equal(sg_profile_intern_thread(p, 9, "w", &t), 0);
    assert_int_equal(sg_profile_intern_frame(p, "a.py", 4, "f", 1, 1, &f), 0);
    assert_int_equal(sg_stacks_intern(&p->stacks, SG_STACK_NONE, f, 2, &s), 0);
    p->meta.interval_ns = 1000000;
    assert_int_equal(sg_profile_add_sample(p, 0, t, s, 0, 1), 0);
    assert_int_equal(sg_profile_add_sample(p, 1200000, t, s, 0, 1), 0); /* jitter */
    assert_int_equal(sg_profile_add_sample(p, 9000000, t, s, 0, 2), 0); /* after a gap */
    size_t len;
    char *text = jt_export(p, sg_export_chrome_trace, &len);
    assert_non_null(strstr(text, "{\"ph\":\"B\",\"ts\":0,"));
    assert_non_null(strstr(text, "{\"ph\":\"E\",\"ts\":2000,"));
    assert_non_null(strstr(text, "{\"ph\":\"B\",\"ts\":9000,"));
    assert_non_null(strstr(text, "{\"ph\":\"E\",\"ts\":11000,"));
    free(text);
    sg_profile_free(p);
}

static void test_deep_stack(void **state)
{
    (void)state;
    enum { DEPTH = 10000 };
    sg_profile *p = sg_profile_new();
    uint32_t t, f, stack = SG_STACK_NONE, half = SG_STACK_NONE;
    assert_int_equal(sg_profile_intern_thread(p, 1, "MainThread", &t), 0);
    assert_int_equal(sg_profile_intern_frame(p, "/r.py", 5, "recurse", 7, 1, &f), 0);
    for (int d = 0; d < DEPTH; d++) {
        assert_int_equal(sg_stacks_intern(&p->stacks, stack, f, 2, &stack), 0);
        if (d == DEPTH / 2)
            half = stack;
    }
    p->meta.interval_ns = 1000000;
    for (int i = 0; i < 6; i++)
        assert_int_equal(
            sg_profile_add_sample(p, (uint64_t)i * 1000000, t, i % 2 ? half : stack, 0, 1), 0);
    size_t len;
    char *text = jt_export(p, sg_export_chrome_trace, &len);
    sg_profile *back = import_ok(text);
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

/* py-spy 0.4.3 `-f chrometrace` of tests/targets/stacks.py: a bare array of
 * B/E events with args {filename, line}, no thread names. */
static void test_pyspy_file(void **state)
{
    (void)state;
    size_t len;
    unsigned char *data = jt_fixture("pyspy-stacks.chrometrace.json", &len);
    assert_true(sg_detect_chrome_trace(data, len));
    char err[512] = "";
    sg_profile *p = import_bytes(data, len, err, sizeof err);
    if (p == NULL)
        fail_msg("%s", err);
    assert_int_equal(p->threads.count, 1);
    assert_int_equal(p->threads.tid[0], 139707271109504ull);
    jt_totals t;
    jt_totals_of(p, 1, &t);
    /* the B/E nesting of the file, summed from its timestamps by a script */
    assert_int_equal(jt_total_of(&t, "main"), 318304000);
    assert_int_equal(jt_total_of(&t, "leaf_deep"), 195610000);
    assert_int_equal(jt_total_of(&t, "leaf_shallow"), 106809000);
    assert_int_equal(jt_total_of(&t, "Box.b"), jt_total_of(&t, "leaf_deep"));
    assert_int_equal(jt_self_of(&t, "leaf_deep"), 195610000);
    jt_totals_free(&t);
    sg_profile_free(p);
    free(data);
}

/* A trace cut anywhere keeps every event that was whole (array form). */
static void test_truncated(void **state)
{
    (void)state;
    size_t len;
    unsigned char *data = jt_fixture("pyspy-threads.chrometrace.json", &len);
    char err[512] = "";
    sg_profile *whole = import_bytes(data, len, err, sizeof err);
    assert_non_null(whole);
    size_t whole_samples = whole->samples.count;
    sg_profile_free(whole);
    size_t loaded = 0;
    for (size_t cut = 1; cut < len; cut += 1 + cut / 50) {
        sg_profile *p = import_bytes(data, cut, err, sizeof err);
        if (p == NULL)
            fail_msg("cut at %zu: %s", cut, err);
        assert_true(p->samples.count <= whole_samples);
        loaded += p->samples.count > 0;
        sg_profile_free(p);
    }
    assert_true(loaded > 0);
    /* the classic form: no closing bracket after a trailing comma */
    sg_profile *p = import_ok("[{\"ph\":\"B\",\"name\":\"a\",\"ts\":0,\"pid\":1,\"tid\":2},"
                              "{\"ph\":\"E\",\"ts\":5,\"pid\":1,\"tid\":2},\n");
    assert_int_equal(p->samples.count, 1);
    assert_int_equal(p->samples.weight[0], 5000);
    sg_profile_free(p);
    /* cut inside an event: the half event is dropped, open frames close at
     * the last time seen */
    p = import_ok("[{\"ph\":\"B\",\"name\":\"a\",\"ts\":0,\"pid\":1,\"tid\":2},"
                  "{\"ph\":\"B\",\"name\":\"b\",\"ts\":2,\"pid\":1,\"tid\":2},"
                  "{\"ph\":\"E\",\"ts\":3,\"pi");
    assert_int_equal(p->samples.count, 1);
    assert_int_equal(p->samples.weight[0], 2000);
    sg_profile_free(p);
    free(data);
}

static void test_nesting_rules(void **state)
{
    (void)state;
    /* Object form; X events out of file order; two X starting together
     * (the longer is the parent); siblings where one ends as the next
     * starts; E without a name closes the innermost B; an E with nothing
     * open is ignored; thread names from "M"; a B/E of zero length. */
    sg_profile *p = import_ok(
        "{\"displayTimeUnit\":\"ns\",\"traceEvents\":["
        "{\"ph\":\"X\",\"name\":\"child2\",\"ts\":30,\"dur\":10,\"pid\":1,\"tid\":1},"
        "{\"ph\":\"X\",\"name\":\"child1\",\"ts\":0,\"dur\":30,\"pid\":1,\"tid\":1},"
        "{\"ph\":\"X\",\"name\":\"parent\",\"ts\":0,\"dur\":50,\"pid\":1,\"tid\":1,"
        "\"args\":{\"filename\":\"p.py\",\"line\":7,\"first_line\":3}},"
        "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":1,\"args\":{\"name\":\"main\"}},"
        "{\"ph\":\"E\",\"ts\":1,\"pid\":1,\"tid\":2},"
        "{\"ph\":\"B\",\"name\":\"outer\",\"ts\":1.5,\"pid\":1,\"tid\":2},"
        "{\"ph\":\"B\",\"name\":\"zero\",\"ts\":2,\"pid\":1,\"tid\":2},"
        "{\"ph\":\"E\",\"ts\":2,\"pid\":1,\"tid\":2},"
        "{\"ph\":\"B\",\"name\":\"inner\",\"ts\":2,\"pid\":1,\"tid\":2},"
        "{\"ph\":\"E\",\"ts\":4,\"pid\":1,\"tid\":2},"
        "{\"ph\":\"E\",\"ts\":5.5,\"pid\":1,\"tid\":2},"
        "{\"ph\":\"C\",\"name\":\"counter\",\"ts\":3,\"pid\":1,\"tid\":2,\"args\":{\"v\":1}},"
        "{\"ph\":\"i\",\"name\":\"mark\",\"ts\":3,\"pid\":1,\"tid\":2,\"s\":\"t\"}"
        "],\"otherData\":{\"x\":[1,{\"y\":\"]\"}]}}");
    jt_totals t;
    jt_totals_of(p, 1, &t);
    assert_int_equal(jt_self_of(&t, "child1"), 30000);
    assert_int_equal(jt_self_of(&t, "child2"), 10000);
    assert_int_equal(jt_self_of(&t, "parent"), 10000);
    assert_int_equal(jt_total_of(&t, "parent"), 50000);
    assert_int_equal(jt_self_of(&t, "outer"), 500 + 1500);
    assert_int_equal(jt_self_of(&t, "inner"), 2000);
    assert_int_equal(jt_total_of(&t, "zero"), 0);
    /* args: file, line executing, first line */
    for (uint32_t f = 0; f < p->frames.count; f++)
        if (strcmp(sg_strings_get(&p->strings, p->frames.rows[f].name), "parent") == 0) {
            assert_string_equal(sg_strings_get(&p->strings, p->frames.rows[f].file), "p.py");
            assert_int_equal(p->frames.rows[f].first_line, 3);
        }
    uint32_t named = 0;
    for (uint32_t u = 0; u < p->threads.count; u++)
        named += strcmp(sg_strings_get(&p->strings, p->threads.name[u]), "main") == 0;
    assert_int_equal(named, 1);
    assert_int_equal(count_events(p, SG_EVENT_MARKER), 1);
    jt_totals_free(&t);
    sg_profile_free(p);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("[{\"ph\":\"B\",\"name\":\"a\",\"ts\":\"zero\",\"pid\":1,\"tid\":2}]",
                 "events[0].ts: not a number of microseconds");
    expect_error("[{\"ph\":\"X\",\"name\":\"a\",\"ts\":1,\"dur\":[],\"pid\":1,\"tid\":2}]",
                 "events[0].dur");
    expect_error("[{\"ph\":\"B\",\"ts\":1,\"pid\":{},\"tid\":2}]", "events[0]: pid or tid");
    expect_error("{\"traceEvents\":[{\"ph\":\"B\",\"ts\":1e300}]}",
                 "traceEvents[0].ts: not a number of microseconds");
    expect_error("{\"otherData\":{}}", "no \"traceEvents\" array");
    expect_error("[{\"ph\":\"C\"} {\"ph\":\"E\"}]", "expected ',' or ']'");
    expect_error("\"trace\"", "expected a JSON array or object");
}

static void test_detect(void **state)
{
    (void)state;
    size_t len;
    unsigned char *data = jt_fixture("pyspy-threads.speedscope.json", &len);
    assert_false(sg_detect_chrome_trace(data, len));
    free(data);
    const char *arr = " [ {\"name\":\"a\",\"ph\":\"B\"}";
    assert_true(sg_detect_chrome_trace((const uint8_t *)arr, strlen(arr)));
    assert_false(sg_detect_chrome_trace((const uint8_t *)"[1,2]", 5));
    assert_false(sg_detect_chrome_trace((const uint8_t *)"[", 1));
    const char *obj = "{\"traceEvents\":[]}";
    assert_true(sg_detect_chrome_trace((const uint8_t *)obj, strlen(obj)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_recording),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_deep_stack),
        cmocka_unit_test(test_pyspy_file),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_nesting_rules),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_detect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
