/*
 * test_firefox.c — the Firefox Profiler exporter: the output parsed back
 * with jansson is checked against the processed format's structure
 * (version 60: shared tables, per-thread samples and markers), every
 * reference is in range, and the per-function sample sums computed from
 * the written tables equal the profile's.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixtures.h"
#include "json_test_util.h"
#include "profile/export_firefox.h"

static json_t *get(const json_t *obj, const char *path)
{
    char key[64];
    const json_t *v = obj;
    while (*path) {
        size_t n = strcspn(path, ".");
        assert_true(n < sizeof key);
        memcpy(key, path, n);
        key[n] = '\0';
        v = json_object_get(v, key);
        if (v == NULL)
            fail_msg("missing %s", key);
        path += n + (path[n] == '.');
    }
    return (json_t *)v;
}

/* A table: every column listed has `length` entries. */
static size_t check_table(const json_t *table, const char *const *columns)
{
    size_t length = (size_t)json_integer_value(get(table, "length"));
    for (const char *const *c = columns; *c != NULL; c++) {
        json_t *col = get(table, *c);
        if (!json_is_array(col) || json_array_size(col) != length)
            fail_msg("column %s: %zu entries, length %zu", *c, json_array_size(col), length);
    }
    return length;
}

static json_t *export_and_parse(const sg_profile *p)
{
    size_t len;
    char *text = jt_export(p, sg_export_firefox, &len);
    json_error_t e;
    json_t *root = json_loadb(text, len, 0, &e);
    if (root == NULL)
        fail_msg("invalid JSON at %d: %s", e.position, e.text);
    free(text);
    return root;
}

static void test_structure_and_totals(void **state)
{
    (void)state;
    fx_shape shape = {.threads = 3,
                      .functions = 40,
                      .paths = 25,
                      .max_depth = 10,
                      .interval_ns = 1000000,
                      .jitter_ns = 100000,
                      .stay_percent = 50,
                      .events = true};
    fx_workload w;
    fx_workload_init(&w, &shape, 3);
    fx_add_sweeps(&w, 800);
    const sg_profile *p = w.p;
    json_t *root = export_and_parse(p);

    assert_int_equal(json_integer_value(get(root, "meta.preprocessedProfileVersion")),
                     SG_FIREFOX_PROCESSED_VERSION);
    assert_int_equal(json_integer_value(get(root, "meta.version")), SG_FIREFOX_GECKO_VERSION);
    assert_true(json_is_number(get(root, "meta.interval")));
    assert_true(json_is_true(get(root, "meta.symbolicated")));
    assert_true(json_array_size(get(root, "meta.categories")) >= 3);
    assert_true(json_is_array(get(root, "libs")));

    json_t *strings = get(root, "shared.stringArray");
    size_t nstrings = json_array_size(strings);
    assert_true(nstrings > p->strings.count);
    static const char *const func_cols[] = {"name",   "isJS",       "relevantForJS", "resource",
                                            "source", "lineNumber", "columnNumber",  NULL};
    static const char *const frame_cols[] = {
        "address",      "inlineDepth",   "category", "subcategory", "func",
        "nativeSymbol", "innerWindowID", "line",     "column",      NULL};
    static const char *const stack_cols[] = {"frame", "prefix", NULL};
    static const char *const source_cols[] = {"uuid", "filename", NULL};
    static const char *const sample_cols[] = {"stack", "time", NULL};
    static const char *const marker_cols[] = {"data",  "name",     "startTime", "endTime",
                                              "phase", "category", NULL};
    json_t *funcs = get(root, "shared.funcTable"), *frames = get(root, "shared.frameTable");
    json_t *stacks = get(root, "shared.stackTable");
    size_t nfuncs = check_table(funcs, func_cols), nframes = check_table(frames, frame_cols);
    size_t nstacks = check_table(stacks, stack_cols);
    size_t nsources = check_table(get(root, "shared.sources"), source_cols);
    assert_int_equal(nfuncs, p->frames.count);
    assert_int_equal(nstacks, p->stacks.count);
    for (size_t f = 0; f < nfuncs; f++) {
        assert_true((size_t)json_integer_value(json_array_get(get(funcs, "name"), f)) < nstrings);
        json_t *source = json_array_get(get(funcs, "source"), f);
        assert_true(json_is_null(source) || (size_t)json_integer_value(source) < nsources);
    }
    for (size_t k = 0; k < nframes; k++)
        assert_true((size_t)json_integer_value(json_array_get(get(frames, "func"), k)) < nfuncs);
    for (size_t s = 0; s < nstacks; s++) {
        assert_true((size_t)json_integer_value(json_array_get(get(stacks, "frame"), s)) < nframes);
        json_t *prefix = json_array_get(get(stacks, "prefix"), s);
        assert_true(json_is_null(prefix) || (size_t)json_integer_value(prefix) < s);
    }

    /* Per-function sums over the written samples, walking the written tables. */
    json_t *threads = get(root, "threads");
    assert_int_equal(json_array_size(threads), p->threads.count);
    uint64_t *self = calloc(nfuncs, sizeof *self);
    size_t intervals = 0, instants = 0, total_samples = 0;
    for (size_t t = 0; t < json_array_size(threads); t++) {
        json_t *th = json_array_get(threads, t);
        assert_true(json_is_string(get(th, "pid")));
        assert_true(json_is_integer(get(th, "tid")));
        json_t *samples = get(th, "samples");
        size_t n = check_table(samples, sample_cols);
        total_samples += n;
        assert_string_equal(json_string_value(get(samples, "weightType")), "samples");
        double last = 0;
        for (size_t i = 0; i < n; i++) {
            double time = json_number_value(json_array_get(get(samples, "time"), i));
            assert_true(time >= last); /* sorted */
            last = time;
            json_t *stack = json_array_get(get(samples, "stack"), i);
            if (json_is_null(stack))
                continue;
            size_t s = (size_t)json_integer_value(stack);
            size_t frame = (size_t)json_integer_value(json_array_get(get(stacks, "frame"), s));
            self[json_integer_value(json_array_get(get(frames, "func"), frame))] += 1;
        }
        json_t *markers = get(th, "markers");
        size_t m = check_table(markers, marker_cols);
        for (size_t i = 0; i < m; i++) {
            json_int_t phase = json_integer_value(json_array_get(get(markers, "phase"), i));
            if (phase == 1) {
                intervals++;
                assert_true(json_number_value(json_array_get(get(markers, "endTime"), i)) >=
                            json_number_value(json_array_get(get(markers, "startTime"), i)));
                assert_string_equal(json_string_value(json_array_get(
                                        strings, (size_t)json_integer_value(
                                                     json_array_get(get(markers, "name"), i)))),
                                    "GC");
            } else {
                instants++;
            }
        }
    }
    assert_int_equal(total_samples, p->samples.count);
    size_t gc = 0, marks = 0;
    for (size_t i = 0; i < p->events.count; i++) {
        gc += p->events.kind[i] == SG_EVENT_GC_START;
        marks += p->events.kind[i] == SG_EVENT_MARKER;
    }
    assert_int_equal(intervals, gc);
    assert_int_equal(instants, marks);
    uint64_t *want = calloc(nfuncs, sizeof *want);
    for (size_t i = 0; i < p->samples.count; i++)
        if (p->samples.stack[i] != SG_STACK_NONE)
            want[p->stacks.rows[p->samples.stack[i]].frame] += p->samples.weight[i];
    assert_memory_equal(self, want, nfuncs * sizeof *self);
    free(self);
    free(want);
    json_decref(root);
    fx_workload_free(&w);
}

/* Nanosecond weights (an imported trace) become "tracing-ms"; samples
 * without times are laid end to end; text is escaped and valid UTF-8. */
static void test_weights_and_text(void **state)
{
    (void)state;
    sg_profile *p = sg_profile_new();
    uint32_t t, f, s;
    assert_int_equal(sg_profile_intern_thread(p, 3, "bad \xff name \"q\"", &t), 0);
    assert_int_equal(sg_profile_intern_frame(p, "", 0, "f\n", 2, 0, &f), 0);
    assert_int_equal(sg_stacks_intern(&p->stacks, SG_STACK_NONE, f, 0, &s), 0);
    p->meta.weight_unit = SG_WEIGHT_NANOSECONDS;
    assert_int_equal(sg_profile_add_sample(p, 0, t, s, 0, 1500000), 0);
    assert_int_equal(sg_profile_add_sample(p, 0, t, SG_STACK_NONE, 0, 250), 0);
    json_t *root = export_and_parse(p);
    json_t *th = json_array_get(get(root, "threads"), 0);
    assert_string_equal(json_string_value(get(th, "name")), "bad \xef\xbf\xbd name \"q\"");
    json_t *samples = get(th, "samples");
    assert_string_equal(json_string_value(get(samples, "weightType")), "tracing-ms");
    assert_true(json_number_value(json_array_get(get(samples, "weight"), 0)) == 1.5);
    assert_true(json_number_value(json_array_get(get(samples, "time"), 1)) == 1.5);
    assert_true(json_is_null(json_array_get(get(samples, "stack"), 1)));
    json_t *funcs = get(root, "shared.funcTable");
    assert_true(json_is_null(json_array_get(get(funcs, "source"), 0)));
    assert_true(json_is_null(json_array_get(get(funcs, "lineNumber"), 0)));
    json_decref(root);
    sg_profile_free(p);
}

static void test_deep_stack(void **state)
{
    (void)state;
    sg_profile *p = sg_profile_new();
    uint32_t t, f, stack = SG_STACK_NONE;
    assert_int_equal(sg_profile_intern_thread(p, 1, "MainThread", &t), 0);
    assert_int_equal(sg_profile_intern_frame(p, "/r.py", 5, "recurse", 7, 1, &f), 0);
    for (int d = 0; d < 10000; d++)
        assert_int_equal(sg_stacks_intern(&p->stacks, stack, f, 2, &stack), 0);
    assert_int_equal(sg_profile_add_sample(p, 0, t, stack, 0, 1), 0);
    json_t *root = export_and_parse(p);
    assert_int_equal(json_integer_value(get(root, "shared.stackTable.length")), 10000);
    json_decref(root);
    sg_profile_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_structure_and_totals),
        cmocka_unit_test(test_weights_and_text),
        cmocka_unit_test(test_deep_stack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
