/*
 * test_function_table.c — the function table and top stacks against
 * brute-force references on random profiles (random call paths with
 * recursion, several threads, random weights, samples with no stack): for
 * every grouping, thread filter and time range (samples in time order or
 * shuffled), self and total per key equal a per-sample walk with "seen"
 * stamps, and the order (self, total or name) is as asked. A pstats
 * profile's table reproduces its numbers exactly, and groups of several
 * functions get the documented "calls entering the group" estimate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyze/function_table.h"
#include "analyze/top_stacks.h"
#include "profile/format_list.h"
#include "profile/marshal.h"

typedef struct rng {
    uint64_t s;
} rng;

static uint32_t below(rng *r, uint32_t n)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return (uint32_t)(r->s % n);
}

static const char *const FILES[] = {
    "/usr/lib/python3.12/json/decoder.py",
    "/usr/lib/python3.12/json/encoder.py",
    "/venv/lib/python3.12/site-packages/numpy/core/a.py",
    "/proj/app/x.py",
    "/proj/main.py",
    "~",
    "<frozen importlib._bootstrap>",
};
#define NFILES   (sizeof FILES / sizeof FILES[0])
#define NFRAMES  24
#define NTHREADS 3

static sg_profile *random_profile(uint64_t seed, size_t samples)
{
    rng r = {seed};
    sg_profile *p = sg_profile_new();
    uint32_t threads[NTHREADS], frames[NFRAMES];
    for (int t = 0; t < NTHREADS; t++) {
        char name[16];
        snprintf(name, sizeof name, "T%d", t);
        assert_int_equal(sg_profile_intern_thread(p, 100 + (uint64_t)t, name, &threads[t]), 0);
    }
    for (int i = 0; i < NFRAMES; i++) {
        char name[16];
        snprintf(name, sizeof name, "fn%d", i);
        const char *file = FILES[i % NFILES];
        assert_int_equal(sg_profile_intern_frame(p, file, strlen(file), name, strlen(name),
                                                 (uint32_t)i, &frames[i]),
                         0);
    }
    uint32_t paths[64];
    for (int k = 0; k < 64; k++) {
        sg_frame_line chain[40];
        uint32_t depth = 1 + below(&r, 40);
        uint32_t pool = 3 + below(&r, NFRAMES - 3); /* small pools recurse a lot */
        for (uint32_t d = 0; d < depth; d++)
            chain[d] = (sg_frame_line){frames[below(&r, pool)], 1 + below(&r, 4)};
        assert_int_equal(
            sg_stacks_intern_chain(&p->stacks, SG_STACK_NONE, chain, depth, NULL, &paths[k]), 0);
    }
    for (size_t s = 0; s < samples; s++) {
        uint32_t stack = below(&r, 20) == 0 ? SG_STACK_NONE : paths[below(&r, 64)];
        assert_int_equal(sg_profile_add_sample(p, s * 1000, threads[below(&r, NTHREADS)], stack, 0,
                                               1 + below(&r, 5)),
                         0);
    }
    return p;
}

/* The key of a stack row under a grouping, as the brute force sees it. */
static uint64_t key_of(const sg_profile *p, const uint32_t *frame_package, int by, uint32_t row)
{
    const sg_stack_row *r = &p->stacks.rows[row];
    switch (by) {
    case SG_FTABLE_BY_FUNCTION:
        return r->frame;
    case SG_FTABLE_BY_LINE:
        return (uint64_t)r->frame << 32 | r->line;
    case SG_FTABLE_BY_FILE:
        return p->frames.rows[r->frame].file;
    default:
        return frame_package[r->frame];
    }
}

static uint64_t key_of_row(const sg_ftable_row *row, int by)
{
    switch (by) {
    case SG_FTABLE_BY_FUNCTION:
        return row->frame;
    case SG_FTABLE_BY_LINE:
        return (uint64_t)row->frame << 32 | row->line;
    case SG_FTABLE_BY_FILE:
        return row->file;
    default:
        return row->package;
    }
}

#define MAX_KEYS 4096

typedef struct reference {
    uint64_t key[MAX_KEYS], self[MAX_KEYS], total[MAX_KEYS];
    size_t seen[MAX_KEYS];
    size_t count;
    uint64_t all;
} reference;

static size_t ref_slot(reference *ref, uint64_t key)
{
    for (size_t i = 0; i < ref->count; i++)
        if (ref->key[i] == key)
            return i;
    assert_true(ref->count < MAX_KEYS);
    ref->key[ref->count] = key;
    ref->self[ref->count] = ref->total[ref->count] = 0;
    ref->seen[ref->count] = SIZE_MAX;
    return ref->count++;
}

static void brute_force(const sg_profile *p, const uint32_t *frame_package, int by,
                        const bool *threads, uint64_t t0, uint64_t t1, reference *ref)
{
    memset(ref, 0, sizeof *ref);
    for (size_t i = 0; i < p->samples.count; i++) {
        if (threads != NULL && !threads[p->samples.thread[i]])
            continue;
        uint64_t time = p->samples.time_ns[i];
        if ((t0 != 0 || t1 != 0) && (time < t0 || (t1 != 0 && time >= t1)))
            continue;
        uint64_t w = p->samples.weight[i];
        ref->all += w;
        uint32_t id = p->samples.stack[i];
        if (id == SG_STACK_NONE)
            continue;
        ref->self[ref_slot(ref, key_of(p, frame_package, by, id))] += w;
        for (; id != SG_STACK_NONE; id = p->stacks.rows[id].parent) {
            size_t k = ref_slot(ref, key_of(p, frame_package, by, id));
            if (ref->seen[k] != i) {
                ref->seen[k] = i;
                ref->total[k] += w;
            }
        }
    }
}

/* A row's name as SG_FTABLE_SORT_NAME orders it. */
static const char *name_of_row(const sg_profile *p, const sg_ftable *t, const sg_ftable_row *row,
                               int by)
{
    if (by == SG_FTABLE_BY_PACKAGE)
        return t->packages.items[row->package].name;
    if (by == SG_FTABLE_BY_FILE)
        return sg_strings_get(&p->strings, row->file);
    return sg_strings_get(&p->strings, p->frames.rows[row->frame].name);
}

static void check_table_range(const sg_profile *p, int by, int sort, const bool *threads,
                              uint64_t t0, uint64_t t1)
{
    sg_ftable t;
    sg_ftable_options o = {.by = by, .sort = sort, .threads = threads, .t0_ns = t0, .t1_ns = t1};
    assert_int_equal(sg_ftable_build(p, &o, &t), 0);
    uint32_t frame_package[NFRAMES];
    sg_packages pk;
    assert_int_equal(sg_packages_classify(p, &pk, frame_package), 0);
    static reference ref;
    brute_force(p, frame_package, by, threads, t0, t1, &ref);
    assert_int_equal(t.total_weight, ref.all);
    assert_false(t.from_pstats);
    size_t nonzero = 0;
    for (size_t k = 0; k < ref.count; k++)
        nonzero += ref.self[k] != 0 || ref.total[k] != 0;
    assert_int_equal(t.count, nonzero);
    for (size_t i = 0; i < t.count; i++) {
        const sg_ftable_row *row = &t.rows[i];
        size_t k = ref_slot(&ref, key_of_row(row, by));
        if (row->self != ref.self[k] || row->total != ref.total[k])
            fail_msg("by %d key %llu: self %llu total %llu, want %llu %llu", by,
                     (unsigned long long)ref.key[k], (unsigned long long)row->self,
                     (unsigned long long)row->total, (unsigned long long)ref.self[k],
                     (unsigned long long)ref.total[k]);
        assert_true(row->total >= row->self);
        if (i > 0 && sort == SG_FTABLE_SORT_NAME)
            assert_true(
                strcmp(name_of_row(p, &t, &t.rows[i - 1], by), name_of_row(p, &t, row, by)) <= 0);
        else if (i > 0) {
            uint64_t a = sort == SG_FTABLE_SORT_SELF ? t.rows[i - 1].self : t.rows[i - 1].total;
            uint64_t b = sort == SG_FTABLE_SORT_SELF ? row->self : row->total;
            assert_true(a >= b);
        }
        if (by == SG_FTABLE_BY_PACKAGE)
            assert_true(row->package < t.packages.count);
    }
    sg_packages_free(&pk);
    sg_ftable_free(&t);
}

static void check_table(const sg_profile *p, int by, int sort, const bool *threads)
{
    check_table_range(p, by, sort, threads, 0, 0);
}

static void test_random_profiles(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 12; seed++) {
        sg_profile *p = random_profile(seed * 1000003, 3000);
        rng r = {seed};
        bool mask[NTHREADS];
        for (int t = 0; t < NTHREADS; t++)
            mask[t] = below(&r, 2);
        for (int by = SG_FTABLE_BY_FUNCTION; by <= SG_FTABLE_BY_PACKAGE; by++) {
            check_table(p, by, SG_FTABLE_SORT_SELF, NULL);
            check_table(p, by, SG_FTABLE_SORT_TOTAL, mask);
        }
        sg_profile_free(p);
    }
}

static void test_top_stacks(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 6; seed++) {
        sg_profile *p = random_profile(seed * 31337, 2000);
        bool mask[NTHREADS] = {true, false, true};
        uint64_t *w = calloc(p->stacks.count, sizeof *w);
        for (size_t i = 0; i < p->samples.count; i++)
            if (p->samples.stack[i] != SG_STACK_NONE && mask[p->samples.thread[i]])
                w[p->samples.stack[i]] += p->samples.weight[i];
        sg_top_stack *top;
        size_t n;
        assert_int_equal(sg_top_stacks(p, mask, 10, &top, &n), 0);
        assert_int_equal(n, 10);
        for (size_t k = 0; k < n; k++) {
            assert_int_equal(top[k].weight, w[top[k].stack]);
            /* nothing left out weighs more than the last one kept */
            for (uint32_t s = 0; s < p->stacks.count; s++) {
                bool kept = false;
                for (size_t j = 0; j < n; j++)
                    kept |= top[j].stack == s;
                if (!kept)
                    assert_true(w[s] <= top[n - 1].weight);
            }
            if (k > 0)
                assert_true(top[k - 1].weight >= top[k].weight);
        }
        free(top);
        free(w);
        sg_profile_free(p);
    }
}

/* ---- pstats profiles ------------------------------------------------------ */

static void put_key(sg_marshal_writer *w, const char *file, int line, const char *name)
{
    sg_marshal_put_tuple(w, 3);
    sg_marshal_put_str(w, file, strlen(file), NULL);
    sg_marshal_put_int(w, line);
    sg_marshal_put_str(w, name, strlen(name), NULL);
}

static void put_numbers(sg_marshal_writer *w, int a, int b, double tt, double ct)
{
    sg_marshal_put_int(w, a);
    sg_marshal_put_int(w, b);
    sg_marshal_put_float(w, tt);
    sg_marshal_put_float(w, ct);
}

static void test_pstats_table(void **state)
{
    (void)state;
    /* app.py: main → work; work → fib (lib.py, recursive); fib → helper (lib.py) */
    sg_marshal_writer w = {0};
    sg_marshal_put_dict_begin(&w);
    put_key(&w, "app.py", 1, "main");
    sg_marshal_put_tuple(&w, 5);
    put_numbers(&w, 1, 1, 0.5, 10.0);
    sg_marshal_put_dict_begin(&w);
    sg_marshal_put_dict_end(&w);
    put_key(&w, "app.py", 5, "work");
    sg_marshal_put_tuple(&w, 5);
    put_numbers(&w, 3, 3, 1.5, 9.5);
    sg_marshal_put_dict_begin(&w);
    put_key(&w, "app.py", 1, "main");
    sg_marshal_put_tuple(&w, 4);
    put_numbers(&w, 3, 3, 1.5, 9.5);
    sg_marshal_put_dict_end(&w);
    put_key(&w, "lib.py", 2, "fib");
    sg_marshal_put_tuple(&w, 5);
    put_numbers(&w, 3, 50, 6.0, 8.0);
    sg_marshal_put_dict_begin(&w);
    put_key(&w, "app.py", 5, "work");
    sg_marshal_put_tuple(&w, 4);
    put_numbers(&w, 3, 3, 1.0, 8.0);
    put_key(&w, "lib.py", 2, "fib");
    sg_marshal_put_tuple(&w, 4);
    put_numbers(&w, 47, 0, 5.0, 7.0);
    sg_marshal_put_dict_end(&w);
    put_key(&w, "lib.py", 9, "helper");
    sg_marshal_put_tuple(&w, 5);
    put_numbers(&w, 10, 10, 2.0, 2.0);
    sg_marshal_put_dict_begin(&w);
    put_key(&w, "lib.py", 2, "fib");
    sg_marshal_put_tuple(&w, 4);
    put_numbers(&w, 10, 10, 2.0, 2.0);
    sg_marshal_put_dict_end(&w);
    sg_marshal_put_dict_end(&w);

    sg_profile *p = NULL;
    char err[256];
    assert_int_equal(sg_import_pstats(w.out.data, w.out.len, NULL, &p, err, sizeof err), 0);
    sg_ftable t;
    sg_ftable_options o = {.by = SG_FTABLE_BY_FUNCTION, .sort = SG_FTABLE_SORT_TOTAL};
    assert_int_equal(sg_ftable_build(p, &o, &t), 0);
    assert_true(t.from_pstats);
    assert_false(t.approximate);
    assert_int_equal(t.total_weight, 10000000000ull);
    assert_int_equal(t.count, 4);
    const char *order[] = {"main", "work", "fib", "helper"};
    const uint64_t self[] = {500000000, 1500000000, 6000000000, 2000000000};
    const uint64_t total[] = {10000000000, 9500000000, 8000000000, 2000000000};
    const uint64_t calls[] = {1, 3, 50, 10}, prim[] = {1, 3, 3, 10};
    for (int i = 0; i < 4; i++) {
        assert_string_equal(sg_strings_get(&p->strings, p->frames.rows[t.rows[i].frame].name),
                            order[i]);
        assert_int_equal(t.rows[i].self, self[i]);
        assert_int_equal(t.rows[i].total, total[i]);
        assert_int_equal(t.rows[i].calls, calls[i]);
        assert_int_equal(t.rows[i].primitive_calls, prim[i]);
    }
    sg_ftable_free(&t);

    /* By file: self exact; app.py is entered once (main, no caller);
     * lib.py is entered by work → fib (8 s, 3 calls). */
    o.by = SG_FTABLE_BY_FILE;
    assert_int_equal(sg_ftable_build(p, &o, &t), 0);
    assert_true(t.approximate);
    assert_int_equal(t.count, 2);
    assert_string_equal(sg_strings_get(&p->strings, t.rows[0].file), "app.py");
    assert_int_equal(t.rows[0].self, 2000000000);
    assert_int_equal(t.rows[0].total, 10000000000ull);
    assert_int_equal(t.rows[0].calls, 1);
    assert_string_equal(sg_strings_get(&p->strings, t.rows[1].file), "lib.py");
    assert_int_equal(t.rows[1].self, 8000000000ull);
    assert_int_equal(t.rows[1].total, 8000000000ull);
    assert_int_equal(t.rows[1].calls, 3);
    sg_ftable_free(&t);

    /* no stacks: no top stacks */
    sg_top_stack *top;
    size_t n;
    assert_int_equal(sg_top_stacks(p, NULL, 5, &top, &n), 0);
    assert_int_equal(n, 0);
    free(top);
    sg_profile_free(p);
    sg_bytes_free(&w.out);
}

/* Time ranges: random_profile's sample i is at i * 1000 ns, in order. */
static void test_time_range(void **state)
{
    (void)state;
    static const uint64_t ranges[][2] = {
        {0, 1},       {1, 0},       {500000, 0},
        {0, 1000000}, {999, 1001},  {1000000, 2000000},
        {2999000, 0}, {5000000, 0}, {2000000, 1000000},
    };
    for (uint64_t seed = 1; seed <= 4; seed++) {
        sg_profile *p = random_profile(seed * 7919, 3000);
        bool mask[NTHREADS] = {true, false, true};
        for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++)
            for (int by = SG_FTABLE_BY_FUNCTION; by <= SG_FTABLE_BY_PACKAGE; by++) {
                check_table_range(p, by, SG_FTABLE_SORT_SELF, NULL, ranges[r][0], ranges[r][1]);
                check_table_range(p, by, SG_FTABLE_SORT_TOTAL, mask, ranges[r][0], ranges[r][1]);
            }
        /* Out of order (as an importer may append): the same numbers, found
         * sample by sample instead of by binary search. */
        rng g = {seed};
        for (size_t i = 0; i < p->samples.count; i++) {
            size_t j = below(&g, (uint32_t)p->samples.count);
            uint64_t x = p->samples.time_ns[i];
            p->samples.time_ns[i] = p->samples.time_ns[j];
            p->samples.time_ns[j] = x;
        }
        for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++)
            check_table_range(p, SG_FTABLE_BY_FUNCTION, SG_FTABLE_SORT_SELF, mask, ranges[r][0],
                              ranges[r][1]);
        sg_profile_free(p);
    }
}

static void test_sort_by_name(void **state)
{
    (void)state;
    sg_profile *p = random_profile(4242, 2000);
    for (int by = SG_FTABLE_BY_FUNCTION; by <= SG_FTABLE_BY_PACKAGE; by++)
        check_table(p, by, SG_FTABLE_SORT_NAME, NULL);
    sg_profile_free(p);
}

static void test_bad_options(void **state)
{
    (void)state;
    sg_profile *p = sg_profile_new();
    sg_ftable t;
    sg_ftable_options o = {.by = 9};
    assert_int_equal(sg_ftable_build(p, &o, &t), SG_PROFILE_EINVAL);
    o = (sg_ftable_options){.sort = SG_FTABLE_SORT_NAME + 1};
    assert_int_equal(sg_ftable_build(p, &o, &t), SG_PROFILE_EINVAL);
    o = (sg_ftable_options){.by = SG_FTABLE_BY_FILE};
    assert_int_equal(sg_ftable_build(p, &o, &t), 0); /* an empty profile: an empty table */
    assert_int_equal(t.count, 0);
    sg_ftable_free(&t);
    sg_profile_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_profiles),
        cmocka_unit_test(test_top_stacks),
        cmocka_unit_test(test_pstats_table),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_time_range),
        cmocka_unit_test(test_sort_by_name), /* one test a line */
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
