/*
 * test_collapsed_import.c — the collapsed-stacks importer: each flavour
 * from real tool output (tests/fixtures/collapsed/: py-spy raw with and
 * without --threads, --nolineno and --subprocesses; austin 3 wall, cpu,
 * full and -C), our own exporter's output read back byte for byte, plain
 * flamegraph.pl input, the text edge cases (CRLF, blank lines, no final
 * newline, tabs, decimals, zero counts, empty stacks), counts too large
 * for one sample, 10,000-frame lines, prefix sharing between lines, errors
 * with their line numbers, detection, and progress reports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixtures.h"
#include "profile/export_collapsed.h"
#include "profile/format_list.h"

/* ---- helpers ---------------------------------------------------------------- */

static sg_profile *import_text(const char *text)
{
    sg_profile *p = NULL;
    char err[256];
    int rc = sg_import_collapsed((const uint8_t *)text, strlen(text), NULL, &p, err, sizeof err);
    if (rc != 0)
        fail_msg("import failed: %s", err);
    fx_assert_invariants(p);
    return p;
}

/* Import that must fail; returns the message (static buffer). */
static const char *import_error(const char *text)
{
    static char err[256];
    sg_profile *p = (sg_profile *)1;
    int rc = sg_import_collapsed((const uint8_t *)text, strlen(text), NULL, &p, err, sizeof err);
    assert_true(rc < 0);
    assert_null(p);
    assert_true(err[0] != '\0');
    return err;
}

static char *fixture_path(const char *name)
{
    const char *root = getenv("SG_SOURCE_DIR");
    static char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/collapsed/%s", root ? root : ".", name);
    return path;
}

static sg_profile *import_fixture(const char *name, size_t *len_out)
{
    size_t len;
    unsigned char *data = fx_read_file(fixture_path(name), &len);
    sg_profile *p = NULL;
    char err[256];
    assert_true(sg_detect_collapsed(data, len));
    int rc = sg_import_collapsed(data, len, NULL, &p, err, sizeof err);
    if (rc != 0)
        fail_msg("%s: %s", name, err);
    fx_assert_invariants(p);
    free(data);
    if (len_out != NULL)
        *len_out = len;
    return p;
}

/* Sum of the counts of a collapsed file, read the simple way (the first
 * metric after the last space, `# ` lines skipped). */
static uint64_t file_total(const char *name)
{
    size_t len;
    unsigned char *bytes = fx_read_file(fixture_path(name), &len);
    char *data = malloc(len + 1);
    memcpy(data, bytes, len);
    data[len] = '\0';
    free(bytes);
    uint64_t total = 0;
    char *save = NULL;
    for (char *line = strtok_r(data, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *space = strrchr(line, ' ');
        assert_non_null(space);
        total += strtoull(space + 1, NULL, 10);
    }
    free(data);
    return total;
}

static uint64_t total_weight(const sg_profile *p)
{
    uint64_t w = 0;
    for (size_t i = 0; i < p->samples.count; i++)
        w += p->samples.weight[i];
    return w;
}

static bool text_is(const sg_profile *p, uint32_t id, const char *text)
{
    return strcmp(sg_strings_get(&p->strings, id), text) == 0;
}

/* The frame (name, file) or UINT32_MAX. */
static uint32_t find_frame(const sg_profile *p, const char *name, const char *file)
{
    for (uint32_t f = 0; f < p->frames.count; f++)
        if (text_is(p, p->frames.rows[f].name, name) &&
            (file == NULL || text_is(p, p->frames.rows[f].file, file)))
            return f;
    return UINT32_MAX;
}

/* Total weight of the samples whose stack holds frame f (once per sample);
 * `leaf`: only where f is the newest frame. */
static uint64_t weight_of(const sg_profile *p, uint32_t f, bool leaf)
{
    uint64_t w = 0;
    for (size_t i = 0; i < p->samples.count; i++) {
        for (uint32_t id = p->samples.stack[i]; id != SG_STACK_NONE;
             id = p->stacks.rows[id].parent) {
            if (p->stacks.rows[id].frame == f) {
                w += p->samples.weight[i];
                break;
            }
            if (leaf)
                break;
        }
    }
    return w;
}

static uint32_t find_thread(const sg_profile *p, uint64_t tid, const char *name)
{
    for (uint32_t t = 0; t < p->threads.count; t++)
        if (p->threads.tid[t] == tid && (name == NULL || text_is(p, p->threads.name[t], name)))
            return t;
    return UINT32_MAX;
}

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

/* ---- py-spy ------------------------------------------------------------------ */

static void test_pyspy_raw(void **state)
{
    (void)state;
    sg_profile *p = import_fixture("pyspy_raw.txt", NULL);
    assert_int_equal(total_weight(p), file_total("pyspy_raw.txt"));
    assert_int_equal(p->meta.weight_unit, SG_WEIGHT_SAMPLES);
    assert_int_equal(p->threads.count, 1); /* no --threads: one default thread */
    uint32_t leaf = find_frame(p, "leaf", "tiny.py");
    uint32_t worker = find_frame(p, "Worker.run", "tiny.py");
    assert_int_not_equal(leaf, UINT32_MAX);
    assert_int_not_equal(worker, UINT32_MAX);
    assert_true(weight_of(p, leaf, true) > 0);
    assert_true(weight_of(p, worker, false) >= weight_of(p, worker, true));
    /* lines live in the stack rows: leaf is sampled on its loop lines */
    bool line_seen = false;
    for (uint32_t id = 0; id < p->stacks.count; id++)
        if (p->stacks.rows[id].frame == leaf)
            line_seen |= p->stacks.rows[id].line >= 10 && p->stacks.rows[id].line <= 13;
    assert_true(line_seen);
    sg_profile_free(p);
}

static void test_pyspy_threads(void **state)
{
    (void)state;
    sg_profile *p = import_fixture("pyspy_threads.txt", NULL);
    assert_int_equal(total_weight(p), file_total("pyspy_threads.txt"));
    uint32_t main_thread = UINT32_MAX, worker = UINT32_MAX;
    for (uint32_t t = 0; t < p->threads.count; t++) {
        assert_true(p->threads.tid[t] > 0);
        if (text_is(p, p->threads.name[t], "MainThread"))
            main_thread = t;
        if (text_is(p, p->threads.name[t], "worker"))
            worker = t;
    }
    assert_int_not_equal(main_thread, UINT32_MAX);
    assert_int_not_equal(worker, UINT32_MAX);
    /* the thread root is no frame */
    for (uint32_t f = 0; f < p->frames.count; f++)
        assert_false(strncmp(sg_strings_get(&p->strings, p->frames.rows[f].name), "thread", 6) ==
                     0);
    /* Worker.run runs on the worker thread only */
    uint32_t run = find_frame(p, "Worker.run", "tiny.py");
    for (size_t i = 0; i < p->samples.count; i++)
        for (uint32_t id = p->samples.stack[i]; id != SG_STACK_NONE; id = p->stacks.rows[id].parent)
            if (p->stacks.rows[id].frame == run)
                assert_int_equal(p->samples.thread[i], worker);
    sg_profile_free(p);
}

static void test_pyspy_nolineno(void **state)
{
    (void)state;
    sg_profile *p = import_fixture("pyspy_nolineno.txt", NULL);
    assert_int_equal(total_weight(p), file_total("pyspy_nolineno.txt"));
    assert_int_not_equal(find_frame(p, "leaf", "tiny.py"), UINT32_MAX);
    for (uint32_t id = 0; id < p->stacks.count; id++)
        assert_int_equal(p->stacks.rows[id].line, 0);
    sg_profile_free(p);
}

static void test_pyspy_subprocesses(void **state)
{
    (void)state;
    sg_profile *p = import_fixture("pyspy_subprocesses.txt", NULL);
    assert_int_equal(total_weight(p), file_total("pyspy_subprocesses.txt"));
    /* `process PID:"CMD"` roots stay frames; the thread after them is read */
    uint32_t processes = 0;
    for (uint32_t f = 0; f < p->frames.count; f++)
        processes +=
            strncmp(sg_strings_get(&p->strings, p->frames.rows[f].name), "process ", 8) == 0;
    assert_true(processes >= 2);
    assert_true(p->threads.count >= 3);
    assert_int_not_equal(find_thread(p, p->threads.tid[0], NULL), UINT32_MAX);
    uint32_t named = 0;
    for (uint32_t t = 0; t < p->threads.count; t++)
        named += text_is(p, p->threads.name[t], "MainThread") ||
                 text_is(p, p->threads.name[t], "worker");
    assert_true(named >= 3);
    sg_profile_free(p);
}

/* ---- austin ------------------------------------------------------------------ */

static void check_austin(const char *name, uint8_t mode)
{
    sg_profile *p = import_fixture(name, NULL);
    assert_int_equal(p->meta.weight_unit, SG_WEIGHT_NANOSECONDS);
    assert_int_equal(total_weight(p), file_total(name) * 1000);
    assert_int_equal(p->meta.mode, mode);
    assert_int_equal(p->meta.interval_ns, 10000000);
    assert_true(p->meta.duration_ns > 0);
    assert_true(p->meta.pid > 0);
    assert_int_not_equal(find_thread(p, p->meta.pid, ""), UINT32_MAX); /* the main thread */
    uint32_t leaf = UINT32_MAX;
    for (uint32_t f = 0; f < p->frames.count; f++) {
        const char *file = sg_strings_get(&p->strings, p->frames.rows[f].file);
        size_t n = strlen(file);
        if (text_is(p, p->frames.rows[f].name, "leaf") && n >= 7 &&
            strcmp(file + n - 7, "tiny.py") == 0)
            leaf = f;
    }
    assert_int_not_equal(leaf, UINT32_MAX);
    assert_true(weight_of(p, leaf, true) > 0);
    /* a thread's samples follow each other in time */
    for (uint32_t t = 0; t < p->threads.count; t++) {
        uint64_t expect = 0;
        for (size_t i = 0; i < p->samples.count; i++) {
            if (p->samples.thread[i] != t)
                continue;
            assert_int_equal(p->samples.time_ns[i], expect);
            expect += p->samples.weight[i];
        }
    }
    if (mode == SG_MODE_CPU)
        for (size_t i = 0; i < p->samples.count; i++)
            assert_int_equal(p->samples.flags[i], SG_SAMPLE_ON_CPU);
    sg_profile_free(p);
}

static void test_austin_wall(void **state)
{
    (void)state;
    check_austin("austin_wall.austin", SG_MODE_WALL);
}

static void test_austin_cpu(void **state)
{
    (void)state;
    check_austin("austin_cpu.austin", SG_MODE_CPU);
}

static void test_austin_full(void **state)
{
    (void)state;
    check_austin("austin_full.austin", SG_MODE_WALL);
    /* idle = 0 marks a sample on CPU: the busy worker has such samples */
    sg_profile *p = import_fixture("austin_full.austin", NULL);
    size_t on_cpu = 0;
    for (size_t i = 0; i < p->samples.count; i++)
        on_cpu += p->samples.flags[i] == SG_SAMPLE_ON_CPU;
    assert_true(on_cpu > 0);
    sg_profile_free(p);
}

static void test_austin_children(void **state)
{
    (void)state;
    check_austin("austin_children.austin", SG_MODE_WALL);
    sg_profile *p = import_fixture("austin_children.austin", NULL);
    assert_true(p->threads.count >= 3); /* two processes, the parent with its worker */
    sg_profile_free(p);
}

static void test_austin_inline(void **state)
{
    (void)state;
    sg_profile *p = import_text("# austin: 3.6.0\n# interval: 100\n# mode: cpu\n\n"
                                "P7;T0:7;/a/b.py:<module>:3;/a/b.py:Cls.f:12 250\n"
                                "P7;T0:8;C:\\x\\c.py:g:4;:GC: 10\n"
                                "P7;T0:7 5\n"
                                "\n# duration: 1000\n");
    assert_int_equal(p->meta.interval_ns, 100000);
    assert_int_equal(p->meta.duration_ns, 1000000);
    assert_int_equal(p->meta.mode, SG_MODE_CPU);
    assert_int_equal(p->meta.pid, 7);
    assert_int_equal(total_weight(p), 265000);
    uint32_t f = find_frame(p, "Cls.f", "/a/b.py");
    assert_int_not_equal(f, UINT32_MAX);
    assert_int_equal(weight_of(p, f, true), 250000);
    assert_int_not_equal(find_frame(p, "g", "C:\\x\\c.py"), UINT32_MAX);
    assert_int_not_equal(find_frame(p, "GC", ""), UINT32_MAX);
    assert_int_not_equal(find_thread(p, 8, ""), UINT32_MAX);
    /* a P;T line without frames is a sample without a stack */
    bool bare = false;
    for (size_t i = 0; i < p->samples.count; i++)
        bare |= p->samples.stack[i] == SG_STACK_NONE && p->samples.weight[i] == 5000;
    assert_true(bare);
    sg_profile_free(p);
}

/* ---- our own exporter, flamegraph.pl ---------------------------------------- */

static sg_profile *small_profile(void)
{
    sg_profile *p = sg_profile_new();
    uint32_t t1, t2, fm, fw, fh, fo;
    assert_int_equal(sg_profile_intern_thread(p, 100, "MainThread", &t1), 0);
    assert_int_equal(sg_profile_intern_thread(p, 200, "pool (worker) 1", &t2), 0);
    assert_int_equal(sg_profile_intern_frame(p, "app.py", 6, "main", 4, 1, &fm), 0);
    assert_int_equal(sg_profile_intern_frame(p, "app.py", 6, "Box.work", 8, 8, &fw), 0);
    assert_int_equal(sg_profile_intern_frame(p, "/lib/x y.py", 11, "<lambda>", 8, 3, &fh), 0);
    assert_int_equal(sg_profile_intern_frame(p, "", 0, "odd name (1)", 12, 0, &fo), 0);
    sg_frame_line a[] = {{fm, 3}, {fw, 10}, {fh, 4}};
    sg_frame_line b[] = {{fm, 3}, {fw, 11}};
    sg_frame_line c[] = {{fm, 5}, {fo, 0}};
    uint32_t sa, sb, sc;
    assert_int_equal(sg_stacks_intern_chain(&p->stacks, SG_STACK_NONE, a, 3, NULL, &sa), 0);
    assert_int_equal(sg_stacks_intern_chain(&p->stacks, SG_STACK_NONE, b, 2, NULL, &sb), 0);
    assert_int_equal(sg_stacks_intern_chain(&p->stacks, SG_STACK_NONE, c, 2, NULL, &sc), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(sg_profile_add_sample(p, 0, t1, sa, 0, 1), 0);
    assert_int_equal(sg_profile_add_sample(p, 0, t1, sb, 0, 3), 0);
    assert_int_equal(sg_profile_add_sample(p, 0, t2, sc, 0, 2), 0);
    assert_int_equal(sg_profile_add_sample(p, 0, t2, sa, 0, 7), 0);
    assert_int_equal(sg_profile_add_sample(p, 0, t2, SG_STACK_NONE, 0, 4), 0);
    return p;
}

static void test_own_export_round_trip(void **state)
{
    (void)state;
    sg_profile *p = small_profile();
    for (unsigned flags = 0; flags <= SG_COLLAPSED_THREADS; flags += SG_COLLAPSED_THREADS) {
        char *first = export_text(p, flags);
        sg_profile *back = import_text(first);
        char *second = export_text(back, flags);
        assert_string_equal(first, second);
        if (flags) {
            assert_int_not_equal(find_thread(back, 200, "pool (worker) 1"), UINT32_MAX);
            assert_int_equal(total_weight(back), total_weight(p));
        }
        free(first);
        free(second);
        sg_profile_free(back);
    }
    sg_profile_free(p);
}

static void test_recorded_workload_round_trip(void **state)
{
    (void)state;
    fx_shape shape = {.threads = 4,
                      .functions = 60,
                      .paths = 40,
                      .max_depth = 30,
                      .interval_ns = 1000000,
                      .stay_percent = 50};
    fx_workload w;
    fx_workload_init(&w, &shape, 7);
    fx_add_sweeps(&w, 2000);
    char *first = export_text(w.p, SG_COLLAPSED_THREADS);
    sg_profile *back = import_text(first);
    char *second = export_text(back, SG_COLLAPSED_THREADS);
    assert_string_equal(first, second);
    assert_int_equal(total_weight(back), total_weight(w.p));
    free(first);
    free(second);
    sg_profile_free(back);
    fx_workload_free(&w);
}

static void test_flamegraph_plain(void **state)
{
    (void)state;
    sg_profile *p = import_text("main;foo;bar 10\nmain;foo 5\nmain;baz (qux) 1\n"
                                "java/lang/Thread.run;Foo::bar_[j] 2\n");
    assert_int_equal(total_weight(p), 18);
    uint32_t bar = find_frame(p, "bar", "");
    assert_int_not_equal(bar, UINT32_MAX);
    assert_int_equal(weight_of(p, bar, true), 10);
    assert_int_equal(weight_of(p, find_frame(p, "main", ""), false), 16);
    /* `(qux)` is no place: the name is kept whole */
    assert_int_not_equal(find_frame(p, "baz (qux)", ""), UINT32_MAX);
    assert_int_not_equal(find_frame(p, "Foo::bar_[j]", ""), UINT32_MAX);
    sg_profile_free(p);
}

static void test_frame_labels(void **state)
{
    (void)state;
    sg_profile *p = import_text("f (C:\\x\\a.py:12);g (<frozen os>:7);h (lib.py);k (:0) 1\n"
                                "thread (0x7F1A): pool-1;f (C:\\x\\a.py:13) 2\n"
                                "thread odd (name) (42);f (C:\\x\\a.py:12) 3\n");
    uint32_t f = find_frame(p, "f", "C:\\x\\a.py");
    assert_int_not_equal(f, UINT32_MAX);
    assert_int_equal(weight_of(p, f, false), 6);
    assert_int_not_equal(find_frame(p, "g", "<frozen os>"), UINT32_MAX);
    assert_int_not_equal(find_frame(p, "h", "lib.py"), UINT32_MAX);
    assert_int_not_equal(find_frame(p, "k", ""), UINT32_MAX);
    assert_int_not_equal(find_thread(p, 0x7f1a, "pool-1"), UINT32_MAX);
    assert_int_not_equal(find_thread(p, 42, "odd (name)"), UINT32_MAX);
    sg_profile_free(p);
}

/* ---- text edge cases ---------------------------------------------------------- */

static void test_text_edges(void **state)
{
    (void)state;
    sg_profile *p = import_text("\r\n\na;b 1\r\n  \n# comment\na;b\t2\na;c 2.5\na;c 2.4 \na;d 0\n"
                                " 4\na;e  7");
    assert_int_equal(total_weight(p), 1 + 2 + 3 + 2 + 4 + 7);
    assert_int_equal(weight_of(p, find_frame(p, "b", ""), true), 3);
    assert_int_equal(weight_of(p, find_frame(p, "c", ""), true), 5);
    assert_int_equal(weight_of(p, find_frame(p, "e", ""), true), 7);
    /* a count of 0 adds no sample; ` 4` is a sample without a stack */
    bool bare = false;
    for (size_t i = 0; i < p->samples.count; i++) {
        assert_int_not_equal(p->samples.weight[i], 0);
        bare |= p->samples.stack[i] == SG_STACK_NONE && p->samples.weight[i] == 4;
    }
    assert_true(bare);
    sg_profile_free(p);
}

static void test_prefix_sharing(void **state)
{
    (void)state;
    sg_profile *p = import_text("a;b;c 1\na;b;d 2\na;x;c 3\na;b;c 4\na;b 5\na;b;c;e 6\na;bb 7\n"
                                "a;b;c 8\n");
    /* rows: a, a;b, a;b;c, a;b;d, a;x, a;x;c, a;b;c;e, a;bb */
    assert_int_equal(p->stacks.count, 8);
    assert_int_equal(p->samples.count, 8);
    assert_int_equal(p->samples.stack[0], p->samples.stack[3]);
    assert_int_equal(p->samples.stack[0], p->samples.stack[7]);
    assert_int_equal(p->stacks.rows[p->samples.stack[5]].parent, p->samples.stack[0]);
    assert_int_equal(p->stacks.rows[p->samples.stack[4]].depth, 2);
    assert_int_not_equal(p->samples.stack[6], p->samples.stack[4]);
    sg_profile_free(p);
}

static void test_large_counts(void **state)
{
    (void)state;
    sg_profile *p = import_text("a;b 10000000000\nc 4294967295\n");
    assert_int_equal(total_weight(p), 10000000000ull + 4294967295ull);
    assert_true(p->samples.count >= 4);
    sg_profile_free(p);
    /* more splits than a small input may have: refused, not allocated */
    const char *err = import_error("a 18446744073709551615\n");
    assert_non_null(strstr(err, "line 1"));
    assert_non_null(strstr(err, "too large"));
    err = import_error("a 99999999999999999999999\n");
    assert_non_null(strstr(err, "line 1"));
}

static void test_deep_line(void **state)
{
    (void)state;
    size_t depth = 10000;
    char *text = malloc(depth * 16 + 32);
    size_t n = 0;
    for (size_t i = 0; i < depth; i++)
        n += (size_t)sprintf(text + n, "%sf%zu (m.py:%zu)", i ? ";" : "", i % 100, i);
    n += (size_t)sprintf(text + n, " 3\n");
    sg_profile *p = import_text(text);
    assert_int_equal(p->samples.count, 1);
    assert_int_equal(p->stacks.rows[p->samples.stack[0]].depth, depth);
    assert_int_equal(p->frames.count, 100);
    free(text);
    sg_profile_free(p);
}

static void test_errors_name_the_line(void **state)
{
    (void)state;
    const char *err = import_error("a;b\n");
    assert_non_null(strstr(err, "line 1"));
    assert_non_null(strstr(err, "no count"));
    err = import_error("a;b 1\n\n# x\nbad x1\n");
    assert_non_null(strstr(err, "line 4"));
    assert_non_null(strstr(err, "x1"));
    err = import_error("a 1\nb -3\n");
    assert_non_null(strstr(err, "line 2"));
    err = import_error("a 1\r\nb 1e3\r\n");
    assert_non_null(strstr(err, "line 2"));
    err = import_error("");
    assert_non_null(strstr(err, "no `frame"));
    err = import_error("\n\n# only comments\n");
    assert_non_null(strstr(err, "3 lines"));
    err = import_error("P1;T0:1;a.py:f:1 10\nP1;a.py:f:1 10\n");
    assert_non_null(strstr(err, "line 2"));
    assert_non_null(strstr(err, "T<iid>:<tid>"));
    err = import_error("P1;T0:1;a.py:f:1 10\nQ1;T0:1 10\n");
    assert_non_null(strstr(err, "P<pid>"));
    err = import_error("# austin: 3.6.0\n# mode: memory\n\nP1;T0:1;a.py:f:1 -10\n");
    assert_non_null(strstr(err, "line 2"));
    assert_non_null(strstr(err, "memory"));
    err = import_error("P1;T0:1;a.py:f:1 10,2,3\n");
    assert_non_null(strstr(err, "idle"));
}

/* ---- detection and progress ------------------------------------------------- */

static void test_detect(void **state)
{
    (void)state;
    static const char *yes[] = {"a;b 1\n",
                                "a 1",
                                "\n# austin: 3.6.0\n# interval: 1\n",
                                "<module> (x.py:1);f (x.py:2) 3\r\n",
                                " 1\na 2\n",
                                "P1;T0:1;a.py:f:1 1,0,-5\n",
                                "a;b 2.5\n"};
    static const char *no[] = {
        "",        "{\"traceEvents\": []}\n", "[{\"ph\": \"B\"} 1\n", "a;b\n",
        "a;b x\n", "# just a comment\n",      "abc\x01 1\n"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        assert_true(sg_detect_collapsed((const uint8_t *)yes[i], strlen(yes[i])));
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        assert_false(sg_detect_collapsed((const uint8_t *)no[i], strlen(no[i])));
    const uint8_t binary[] = {0x1f, 0x8b, 0x08, 0x00, ' ', '1'};
    assert_false(sg_detect_collapsed(binary, sizeof binary));
}

typedef struct progress_log {
    int calls;
    uint64_t last_done, last_total;
} progress_log;

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
    progress_log *log = ctx;
    assert_true(done <= total);
    assert_true(done >= log->last_done);
    log->calls++;
    log->last_done = done;
    log->last_total = total;
}

static void test_progress(void **state)
{
    (void)state;
    /* 10 MB of lines: passes the 4 MB check points */
    size_t lines = 400000, n = 0;
    char *text = malloc(lines * 32);
    for (size_t i = 0; i < lines; i++)
        n += (size_t)sprintf(text + n, "main;work;f%zu (a.py:%zu) 1\n", i % 50, i % 7);
    progress_log log = {0};
    sg_io_progress progress = {on_progress, &log};
    sg_profile *p = NULL;
    char err[128];
    assert_int_equal(sg_import_collapsed((const uint8_t *)text, n, &progress, &p, err, sizeof err),
                     0);
    assert_true(log.calls >= 1);
    assert_int_equal(log.last_done, n);
    assert_int_equal(log.last_total, n);
    assert_int_equal(total_weight(p), lines);
    sg_profile_free(p);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pyspy_raw),
        cmocka_unit_test(test_pyspy_threads),
        cmocka_unit_test(test_pyspy_nolineno),
        cmocka_unit_test(test_pyspy_subprocesses),
        cmocka_unit_test(test_austin_wall),
        cmocka_unit_test(test_austin_cpu),
        cmocka_unit_test(test_austin_full),
        cmocka_unit_test(test_austin_children),
        cmocka_unit_test(test_austin_inline),
        cmocka_unit_test(test_own_export_round_trip),
        cmocka_unit_test(test_recorded_workload_round_trip),
        cmocka_unit_test(test_flamegraph_plain),
        cmocka_unit_test(test_frame_labels),
        cmocka_unit_test(test_text_edges),
        cmocka_unit_test(test_prefix_sharing),
        cmocka_unit_test(test_large_counts),
        cmocka_unit_test(test_deep_line),
        cmocka_unit_test(test_errors_name_the_line),
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_progress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
