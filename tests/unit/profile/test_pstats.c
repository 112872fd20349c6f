/*
 * test_pstats.c — pstats in and out: a cProfile-shaped file imports into
 * the model with every number exact (functions and edges, in the profile's
 * call-statistics table), the samples are time only (no flags, plain
 * weights) and sum to each function's tt, profile-module bare counts and
 * CPython's sampled marker are handled, duplicate keys keep the last value
 * as Python does (in the stats dict and in a callers dict); exporting a
 * pstats profile gives back the same numbers; exporting samples matches a
 * brute-force per-sample computation; bad files are refused with an
 * offset, and no truncation or mutation crashes the importer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "profile/format_list.h"
#include "profile/marshal.h"
#include "profile/profile.h"

/* ---- building pstats files ---------------------------------------------- */

typedef struct fn {
    const char *file;
    int line;
    const char *name;
} fn;

static void put_key(sg_marshal_writer *w, fn f)
{
    sg_marshal_put_tuple(w, 3);
    sg_marshal_put_str(w, f.file, strlen(f.file), NULL);
    sg_marshal_put_int(w, f.line);
    sg_marshal_put_str(w, f.name, strlen(f.name), NULL);
}

static void put_stats(sg_marshal_writer *w, fn f, int cc, int nc, double tt, double ct)
{
    put_key(w, f);
    sg_marshal_put_tuple(w, 5);
    sg_marshal_put_int(w, cc);
    sg_marshal_put_int(w, nc);
    sg_marshal_put_float(w, tt);
    sg_marshal_put_float(w, ct);
    sg_marshal_put_dict_begin(w); /* callers follow; caller closes */
}

static void put_edge(sg_marshal_writer *w, fn caller, int nc, int cc, double tt, double ct)
{
    put_key(w, caller);
    sg_marshal_put_tuple(w, 4);
    sg_marshal_put_int(w, nc);
    sg_marshal_put_int(w, cc);
    sg_marshal_put_float(w, tt);
    sg_marshal_put_float(w, ct);
}

static const fn MAIN = {"app.py", 1, "<module>"};
static const fn WORK = {"app.py", 10, "work"};
static const fn FIB = {"lib/fib.py", 3, "fib"};
static const fn LEN = {"~", 0, "<built-in method builtins.len>"};

/* <module> → work → fib (recursive) and work → len; fib → len. */
static sg_marshal_writer cprofile_file(void)
{
    sg_marshal_writer w = {0};
    sg_marshal_put_dict_begin(&w);
    put_stats(&w, MAIN, 1, 1, 0.000001, 7.5);
    sg_marshal_put_dict_end(&w);
    put_stats(&w, WORK, 2, 2, 0.25, 7.4999);
    put_edge(&w, MAIN, 2, 2, 0.25, 7.4999);
    sg_marshal_put_dict_end(&w);
    put_stats(&w, FIB, 10, 177, 6.0000000004, 7.0);
    put_edge(&w, WORK, 10, 10, 0.5, 7.0);
    put_edge(&w, FIB, 167, 0, 5.5000000004, 6.5);
    sg_marshal_put_dict_end(&w);
    put_stats(&w, LEN, 300, 300, 0.2, 0.2);
    put_edge(&w, WORK, 100, 100, 0.05, 0.05);
    put_edge(&w, FIB, 200, 200, 0.15, 0.15);
    sg_marshal_put_dict_end(&w);
    sg_marshal_put_dict_end(&w);
    assert_int_equal(w.out.failed, 0);
    return w;
}

static sg_profile *import(const sg_marshal_writer *w)
{
    sg_profile *p = NULL;
    char err[256];
    int rc = sg_import_pstats(w->out.data, w->out.len, NULL, &p, err, sizeof err);
    if (rc != 0)
        fail_msg("import failed: %s", err);
    return p;
}

static uint32_t frame_of(const sg_profile *p, fn f)
{
    for (uint32_t i = 0; i < p->frames.count; i++) {
        const sg_frame *fr = &p->frames.rows[i];
        if (strcmp(sg_strings_get(&p->strings, fr->name), f.name) == 0 &&
            strcmp(sg_strings_get(&p->strings, fr->file), f.file) == 0 &&
            fr->first_line == (uint32_t)f.line)
            return i;
    }
    fail_msg("no frame %s", f.name);
    return 0;
}

static const sg_callstats_func *func_of(const sg_profile *p, uint32_t frame)
{
    uint32_t row = sg_callstats_find_func(&p->callstats, frame);
    if (row == SG_CALLSTATS_NONE)
        fail_msg("no function row for frame %u", frame);
    return &p->callstats.funcs[row];
}

static const sg_callstats_edge *edge_of(const sg_profile *p, uint32_t caller, uint32_t callee)
{
    uint32_t row = sg_callstats_find_edge(&p->callstats, caller, callee);
    if (row == SG_CALLSTATS_NONE)
        fail_msg("no edge %u -> %u", caller, callee);
    return &p->callstats.edges[row];
}

/* The depth-2 stack row [caller, callee]. */
static uint32_t edge_row(const sg_profile *p, uint32_t caller, uint32_t callee)
{
    for (uint32_t r = 0; r < p->stacks.count; r++) {
        const sg_stack_row *row = &p->stacks.rows[r];
        if (row->depth == 2 && row->frame == callee && p->stacks.rows[row->parent].frame == caller)
            return r;
    }
    fail_msg("no stack row %u -> %u", caller, callee);
    return 0;
}

/* Samples are time only: no flags, and they sum to the functions' tt. */
static void assert_time_only(const sg_profile *p)
{
    uint64_t sum = 0, tt = 0;
    for (size_t i = 0; i < p->samples.count; i++) {
        assert_int_equal(p->samples.flags[i], 0);
        assert_int_equal(p->samples.time_ns[i], 0);
        assert_true(p->stacks.rows[p->samples.stack[i]].depth <= 2);
        sum += p->samples.weight[i];
    }
    for (uint32_t i = 0; i < p->callstats.func_count; i++)
        tt += p->callstats.funcs[i].n.tt_ns;
    assert_int_equal(sum, tt);
}

static void test_import_cprofile(void **state)
{
    (void)state;
    sg_marshal_writer w = cprofile_file();
    sg_profile *p = import(&w);
    assert_false(p->meta.has_stacks);
    assert_int_equal(p->meta.weight_unit, SG_WEIGHT_NANOSECONDS);
    uint32_t f_main = frame_of(p, MAIN), f_work = frame_of(p, WORK), f_fib = frame_of(p, FIB),
             f_len = frame_of(p, LEN);
    /* one function row per key, one edge row per caller entry, in file order */
    assert_int_equal(p->callstats.func_count, 4);
    assert_int_equal(p->callstats.edge_count, 5);
    assert_int_equal(p->callstats.funcs[0].frame, f_main);
    assert_int_equal(p->callstats.funcs[3].frame, f_len);
    const sg_callstats_func *fib = func_of(p, f_fib);
    assert_int_equal(fib->n.cc, 10);
    assert_int_equal(fib->n.nc, 177);
    assert_int_equal(fib->n.tt_ns, 6000000000ull); /* 6.0000000004 s rounds to the ns */
    assert_int_equal(fib->n.ct_ns, 7000000000ull);
    assert_int_equal(func_of(p, f_main)->n.tt_ns, 1000);
    assert_int_equal(func_of(p, f_len)->n.nc, 300);

    const sg_callstats_edge *rec = edge_of(p, f_fib, f_fib);
    assert_int_equal(rec->n.nc, 167);
    assert_int_equal(rec->n.cc, 0);
    assert_int_equal(rec->n.tt_ns, 5500000000ull);
    assert_int_equal(rec->n.ct_ns, 6500000000ull);
    assert_int_equal(rec->flags, 0);
    const sg_callstats_edge *wl = edge_of(p, f_work, f_len);
    assert_int_equal(wl->n.nc, 100);
    assert_int_equal(wl->n.tt_ns, 50000000);
    sg_callstats_callers callers;
    assert_int_equal(sg_callstats_callers_build(&p->callstats, p->frames.count, &callers), 0);
    assert_int_equal(callers.start[f_main + 1] - callers.start[f_main], 0);
    assert_int_equal(callers.start[f_fib + 1] - callers.start[f_fib], 2);
    assert_int_equal(p->callstats.edges[callers.row[callers.start[f_fib]]].caller, f_work);
    sg_callstats_callers_free(&callers);

    /* Time samples: a consumer that knows nothing of pstats sees exact self
     * times, each edge's own time under its caller. */
    assert_time_only(p);
    uint64_t leaf_time[8] = {0}, edge_time = 0;
    for (size_t i = 0; i < p->samples.count; i++) {
        const sg_stack_row *row = &p->stacks.rows[p->samples.stack[i]];
        leaf_time[row->frame] += p->samples.weight[i];
        if (row->depth == 2 && row->frame == f_fib && p->stacks.rows[row->parent].frame == f_fib)
            edge_time += p->samples.weight[i];
    }
    assert_int_equal(leaf_time[f_fib], 6000000000ull);
    assert_int_equal(edge_time, 5500000000ull);
    assert_int_equal(leaf_time[f_work], 250000000ull);
    sg_profile_free(p);
    sg_bytes_free(&w.out);
}

/* The profile module and CPython's sampler: callers are bare counts. */
static void test_import_bare_counts_and_marker(void **state)
{
    (void)state;
    sg_marshal_writer w = {0};
    sg_marshal_put_dict_begin(&w);
    put_stats(&w, WORK, 3, 3, 0.3, 0.9);
    put_key(&w, MAIN);
    sg_marshal_put_int(&w, 1);
    put_key(&w, FIB);
    sg_marshal_put_int(&w, 2);
    sg_marshal_put_dict_end(&w);
    put_stats(&w, FIB, 4, 5, 0.5, 0.6); /* FIB first seen as a caller */
    sg_marshal_put_dict_end(&w);
    /* a duplicate key: Python's dict keeps the last value */
    put_stats(&w, MAIN, 1, 1, 0.125, 1.0);
    sg_marshal_put_dict_end(&w);
    put_stats(&w, MAIN, 2, 2, 0.25, 2.0);
    sg_marshal_put_dict_end(&w);
    sg_marshal_put_tuple(&w, 1); /* ("__sampled__",): True */
    sg_marshal_put_str(&w, "__sampled__", 11, NULL);
    sg_marshal_put_bool(&w, true);
    sg_marshal_put_dict_end(&w);

    sg_profile *p = import(&w);
    uint32_t f_main = frame_of(p, MAIN), f_work = frame_of(p, WORK), f_fib = frame_of(p, FIB);
    assert_int_equal(p->callstats.func_count, 3);
    assert_int_equal(func_of(p, f_main)->n.nc, 2);
    assert_int_equal(func_of(p, f_main)->n.tt_ns, 250000000);
    assert_int_equal(func_of(p, f_fib)->n.cc, 4);
    const sg_callstats_edge *e = edge_of(p, f_fib, f_work);
    assert_int_equal(e->flags, SG_CALLSTATS_COUNT_ONLY);
    assert_int_equal(e->n.nc, 2);
    assert_int_equal(e->n.cc, 0);
    assert_int_equal(e->n.tt_ns, 0);
    assert_int_equal(e->n.ct_ns, 0);
    assert_time_only(p);
    /* work's 0.3 s is split 1:2 between its callers by count */
    uint64_t under_fib = 0, under_main = 0;
    for (size_t i = 0; i < p->samples.count; i++) {
        const sg_stack_row *row = &p->stacks.rows[p->samples.stack[i]];
        if (row->frame != f_work || row->depth != 2)
            continue;
        if (p->stacks.rows[row->parent].frame == f_fib)
            under_fib += p->samples.weight[i];
        else
            under_main += p->samples.weight[i];
    }
    assert_int_equal(under_main, 100000000);
    assert_int_equal(under_fib, 200000000);
    /* the marker is not a function */
    for (uint32_t f = 0; f < p->frames.count; f++)
        assert_string_not_equal(sg_strings_get(&p->strings, p->frames.rows[f].file), "__sampled__");
    sg_profile_free(p);
    sg_bytes_free(&w.out);
}

/* Odd files: edges whose own times exceed the callee's (kept exactly, with
 * the time spread in proportion), and more primitive calls than calls. */
static void test_import_odd_numbers(void **state)
{
    (void)state;
    sg_marshal_writer w = {0};
    sg_marshal_put_dict_begin(&w);
    put_stats(&w, WORK, 9, 4, 1.0, 2.0);
    put_edge(&w, MAIN, 3, 5, 0.7, 1.2);
    put_edge(&w, FIB, 1, 1, 0.6, 0.8);
    sg_marshal_put_dict_end(&w);
    sg_marshal_put_dict_end(&w);
    sg_profile *p = import(&w);
    uint32_t f_work = frame_of(p, WORK);
    assert_int_equal(func_of(p, f_work)->n.nc, 4);
    assert_int_equal(func_of(p, f_work)->n.cc, 9);
    assert_int_equal(func_of(p, f_work)->n.tt_ns, 1000000000);
    const sg_callstats_edge *a = edge_of(p, frame_of(p, MAIN), f_work);
    const sg_callstats_edge *b = edge_of(p, frame_of(p, FIB), f_work);
    assert_int_equal(a->n.tt_ns, 700000000);
    assert_int_equal(b->n.tt_ns, 600000000);
    assert_int_equal(a->n.cc, 5);
    assert_int_equal(b->n.cc, 1);
    /* the time samples still sum to tt, split 7:6 */
    assert_time_only(p);
    uint32_t a_row = edge_row(p, frame_of(p, MAIN), f_work);
    uint64_t shares[2] = {0, 0};
    for (size_t i = 0; i < p->samples.count; i++)
        shares[p->samples.stack[i] == a_row ? 0 : 1] += p->samples.weight[i];
    assert_int_equal(shares[0] + shares[1], 1000000000);
    assert_int_equal(shares[0], 538461538);
    sg_profile_free(p);
    sg_bytes_free(&w.out);
}

/* The call statistics of a and b are equal row by row, keys compared by
 * the frames' text (file, name, line). */
static bool same_frame(const sg_profile *a, uint32_t fa, const sg_profile *b, uint32_t fb)
{
    const sg_frame *x = &a->frames.rows[fa], *y = &b->frames.rows[fb];
    return x->first_line == y->first_line &&
           strcmp(sg_strings_get(&a->strings, x->file), sg_strings_get(&b->strings, y->file)) ==
               0 &&
           strcmp(sg_strings_get(&a->strings, x->name), sg_strings_get(&b->strings, y->name)) == 0;
}

static void assert_numbers_equal(const sg_call_numbers *x, const sg_call_numbers *y)
{
    assert_int_equal(x->cc, y->cc);
    assert_int_equal(x->nc, y->nc);
    assert_int_equal(x->tt_ns, y->tt_ns);
    assert_int_equal(x->ct_ns, y->ct_ns);
}

static void assert_callstats_equal(const sg_profile *a, const sg_profile *b)
{
    const sg_callstats *x = &a->callstats, *y = &b->callstats;
    assert_int_equal(x->func_count, y->func_count);
    assert_int_equal(x->edge_count, y->edge_count);
    for (uint32_t i = 0; i < x->func_count; i++) {
        assert_true(same_frame(a, x->funcs[i].frame, b, y->funcs[i].frame));
        assert_numbers_equal(&x->funcs[i].n, &y->funcs[i].n);
    }
    for (uint32_t i = 0; i < x->edge_count; i++) {
        assert_true(same_frame(a, x->edges[i].caller, b, y->edges[i].caller));
        assert_true(same_frame(a, x->edges[i].callee, b, y->edges[i].callee));
        assert_int_equal(x->edges[i].flags, y->edges[i].flags);
        assert_numbers_equal(&x->edges[i].n, &y->edges[i].n);
    }
}

/* Export a pstats profile and import it again: every number survives. */
static void test_pstats_round_trip(void **state)
{
    (void)state;
    sg_marshal_writer w = cprofile_file();
    sg_profile *p = import(&w);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    char err[256];
    assert_int_equal(sg_export_pstats(p, out, NULL, err, sizeof err), 0);
    fclose(out);
    sg_profile *q = NULL;
    assert_int_equal(sg_import_pstats((uint8_t *)text, len, NULL, &q, err, sizeof err), 0);
    assert_callstats_equal(p, q);
    sg_profile_free(p);
    sg_profile_free(q);
    free(text);
    sg_bytes_free(&w.out);
}

/* The same numbers with bare counts (the profile module), written back as
 * bare counts. */
static void test_pstats_round_trip_bare_counts(void **state)
{
    (void)state;
    sg_marshal_writer w = {0};
    sg_marshal_put_dict_begin(&w);
    put_stats(&w, WORK, 3, 3, 0.3, 0.9);
    put_key(&w, MAIN);
    sg_marshal_put_int(&w, 1);
    put_key(&w, FIB);
    sg_marshal_put_int(&w, 2);
    sg_marshal_put_dict_end(&w);
    put_stats(&w, FIB, 4, 5, 0.5, 0.6);
    sg_marshal_put_dict_end(&w);
    sg_marshal_put_dict_end(&w);
    sg_profile *p = import(&w);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    char err[256];
    assert_int_equal(sg_export_pstats(p, out, NULL, err, sizeof err), 0);
    fclose(out);
    sg_profile *q = NULL;
    assert_int_equal(sg_import_pstats((uint8_t *)text, len, NULL, &q, err, sizeof err), 0);
    assert_callstats_equal(p, q);
    assert_int_equal(edge_of(q, frame_of(q, MAIN), frame_of(q, WORK))->flags,
                     SG_CALLSTATS_COUNT_ONLY);
    sg_profile_free(p);
    sg_profile_free(q);
    free(text);
    sg_bytes_free(&w.out);
}

/* A caller that appears twice in one callers dict keeps its last value, as
 * Python's dict does; so does a function key that appears twice. */
static void test_duplicate_caller_keeps_last(void **state)
{
    (void)state;
    sg_marshal_writer w = {0};
    sg_marshal_put_dict_begin(&w);
    put_stats(&w, WORK, 5, 5, 1.0, 2.0);
    put_edge(&w, MAIN, 1, 1, 0.25, 0.5);
    put_edge(&w, FIB, 2, 2, 0.25, 0.5);
    put_edge(&w, MAIN, 3, 3, 0.5, 1.5);
    sg_marshal_put_dict_end(&w);
    sg_marshal_put_dict_end(&w);
    sg_profile *p = import(&w);
    uint32_t f_work = frame_of(p, WORK), f_main = frame_of(p, MAIN);
    assert_int_equal(p->callstats.func_count, 1);
    assert_int_equal(p->callstats.edge_count, 2);
    const sg_callstats_edge *e = edge_of(p, f_main, f_work);
    assert_int_equal(e->n.nc, 3);
    assert_int_equal(e->n.tt_ns, 500000000);
    assert_int_equal(e->n.ct_ns, 1500000000);
    /* the time is spread over the two edges that remain */
    assert_time_only(p);
    uint64_t under_main = 0;
    uint32_t r = edge_row(p, f_main, f_work);
    for (size_t i = 0; i < p->samples.count; i++)
        if (p->samples.stack[i] == r)
            under_main += p->samples.weight[i];
    assert_int_equal(under_main, 500000000);
    sg_profile_free(p);
    sg_bytes_free(&w.out);
}

/* ---- export from samples vs brute force -------------------------------- */

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

static sg_profile *random_profile(uint64_t seed)
{
    rng r = {seed};
    sg_profile *p = sg_profile_new();
    uint32_t t, frames[6];
    assert_int_equal(sg_profile_intern_thread(p, 1, "main", &t), 0);
    for (int i = 0; i < 6; i++) {
        char name[8];
        snprintf(name, sizeof name, "f%d", i);
        assert_int_equal(
            sg_profile_intern_frame(p, "m.py", 4, name, strlen(name), (uint32_t)i * 10, &frames[i]),
            0);
    }
    p->meta.interval_ns = 1000000;
    for (int s = 0; s < 400; s++) {
        sg_frame_line chain[12];
        uint32_t depth = 1 + below(&r, 12), id;
        for (uint32_t d = 0; d < depth; d++)
            chain[d] = (sg_frame_line){frames[below(&r, 6)], below(&r, 3)};
        assert_int_equal(sg_stacks_intern_chain(&p->stacks, SG_STACK_NONE, chain, depth, NULL, &id),
                         0);
        assert_int_equal(
            sg_profile_add_sample(p, (uint64_t)s * 1000000, t, id, 0, 1 + below(&r, 3)), 0);
    }
    return p;
}

static double number(const sg_marshal_doc *d, const sg_marshal_value *t, size_t i)
{
    double x = -1;
    assert_true(sg_marshal_number(sg_marshal_get(d, sg_marshal_item(d, t, i)), &x));
    return x;
}

static void test_export_samples(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        sg_profile *p = random_profile(seed * 7919);
        uint32_t nf = p->frames.count;
        /* brute force: walk every sample's stack with "seen" stamps */
        uint64_t tt[6] = {0}, ct[6] = {0}, nc[6] = {0};
        uint64_t ett[6][6] = {{0}}, ect[6][6] = {{0}}, enc[6][6] = {{0}};
        size_t seen[6], seen_pair[6][6];
        memset(seen, 0xff, sizeof seen);
        memset(seen_pair, 0xff, sizeof seen_pair);
        for (size_t i = 0; i < p->samples.count; i++) {
            uint64_t w = (uint64_t)p->samples.weight[i] * 1000000;
            uint32_t id = p->samples.stack[i];
            uint32_t leaf = p->stacks.rows[id].frame;
            tt[leaf] += w;
            if (p->stacks.rows[id].parent != SG_STACK_NONE)
                ett[p->stacks.rows[p->stacks.rows[id].parent].frame][leaf] += w;
            for (; id != SG_STACK_NONE; id = p->stacks.rows[id].parent) {
                uint32_t f = p->stacks.rows[id].frame;
                if (seen[f] != i) {
                    seen[f] = i;
                    ct[f] += w;
                    nc[f]++;
                }
                uint32_t parent = p->stacks.rows[id].parent;
                if (parent == SG_STACK_NONE)
                    continue;
                uint32_t c = p->stacks.rows[parent].frame;
                if (seen_pair[c][f] != i) {
                    seen_pair[c][f] = i;
                    ect[c][f] += w;
                    enc[c][f]++;
                }
            }
        }
        char *text = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&text, &len);
        char err[256];
        assert_int_equal(sg_export_pstats(p, out, NULL, err, sizeof err), 0);
        fclose(out);
        sg_marshal_doc d;
        assert_int_equal(sg_marshal_parse((uint8_t *)text, len, &d, err, sizeof err), 0);
        const sg_marshal_value *root = sg_marshal_get(&d, d.root);
        uint32_t listed = 0;
        for (uint32_t k = 0; k < root->len; k++) {
            const sg_marshal_value *key = sg_marshal_get(&d, sg_marshal_item(&d, root, 2 * k));
            const sg_marshal_value *v = sg_marshal_get(&d, sg_marshal_item(&d, root, 2 * k + 1));
            uint32_t f = (uint32_t)sg_marshal_get(&d, sg_marshal_item(&d, key, 1))->u.i / 10;
            assert_true(f < nf && nc[f] > 0);
            listed++;
            assert_true(number(&d, v, 0) == (double)nc[f]);
            assert_true(number(&d, v, 1) == (double)nc[f]);
            assert_true(number(&d, v, 2) == (double)tt[f] / 1e9);
            assert_true(number(&d, v, 3) == (double)ct[f] / 1e9);
            const sg_marshal_value *callers = sg_marshal_get(&d, sg_marshal_item(&d, v, 4));
            uint32_t ncallers = 0;
            for (uint32_t c = 0; c < nf; c++)
                ncallers += enc[c][f] > 0;
            assert_int_equal(callers->len, ncallers);
            for (uint32_t j = 0; j < callers->len; j++) {
                const sg_marshal_value *ck =
                    sg_marshal_get(&d, sg_marshal_item(&d, callers, 2 * j));
                const sg_marshal_value *cv =
                    sg_marshal_get(&d, sg_marshal_item(&d, callers, 2 * j + 1));
                uint32_t c = (uint32_t)sg_marshal_get(&d, sg_marshal_item(&d, ck, 1))->u.i / 10;
                assert_true(number(&d, cv, 0) == (double)enc[c][f]);
                assert_true(number(&d, cv, 2) == (double)ett[c][f] / 1e9);
                assert_true(number(&d, cv, 3) == (double)ect[c][f] / 1e9);
            }
        }
        uint32_t expected = 0;
        for (uint32_t f = 0; f < nf; f++)
            expected += nc[f] > 0;
        assert_int_equal(listed, expected);
        sg_marshal_doc_free(&d);
        free(text);
        sg_profile_free(p);
    }
}

/* ---- bad files ----------------------------------------------------------- */

static void expect_refused(const sg_marshal_writer *w, const char *needle)
{
    sg_profile *p = NULL;
    char err[256] = "";
    int rc = sg_import_pstats(w->out.data, w->out.len, NULL, &p, err, sizeof err);
    assert_int_equal(rc, SG_PROFILE_EFORMAT);
    assert_null(p);
    assert_non_null(strstr(err, "offset "));
    if (strstr(err, needle) == NULL)
        fail_msg("error '%s' does not mention '%s'", err, needle);
}

static void test_bad_files(void **state)
{
    (void)state;
    sg_marshal_writer w = {0};
    sg_marshal_put_tuple(&w, 0);
    expect_refused(&w, "not a pstats dict");

    w.out.len = 0;
    sg_marshal_put_dict_begin(&w);
    sg_marshal_put_str(&w, "x", 1, NULL);
    sg_marshal_put_none(&w);
    sg_marshal_put_dict_end(&w);
    expect_refused(&w, "(file, line, name)");

    w.out.len = 0;
    sg_marshal_put_dict_begin(&w);
    put_key(&w, WORK);
    sg_marshal_put_tuple(&w, 2);
    sg_marshal_put_int(&w, 1);
    sg_marshal_put_int(&w, 1);
    sg_marshal_put_dict_end(&w);
    expect_refused(&w, "(cc, nc, tt, ct, callers)");

    w.out.len = 0;
    sg_marshal_put_dict_begin(&w);
    put_stats(&w, WORK, -1, 1, 0.1, 0.1);
    sg_marshal_put_dict_end(&w);
    sg_marshal_put_dict_end(&w);
    expect_refused(&w, "negative");

    w.out.len = 0;
    sg_marshal_put_dict_begin(&w);
    put_stats(&w, WORK, 1, 1, 1e300, 0.1);
    sg_marshal_put_dict_end(&w);
    sg_marshal_put_dict_end(&w);
    expect_refused(&w, "too large");

    w.out.len = 0;
    sg_marshal_put_dict_begin(&w);
    put_stats(&w, WORK, 1, 1, 0.1, 0.1);
    put_key(&w, MAIN);
    sg_marshal_put_str(&w, "x", 1, NULL);
    sg_marshal_put_dict_end(&w);
    sg_marshal_put_dict_end(&w);
    expect_refused(&w, "caller's value");
    sg_bytes_free(&w.out);
}

static void test_truncations_and_mutations(void **state)
{
    (void)state;
    sg_marshal_writer w = cprofile_file();
    char err[256];
    sg_profile *p;
    for (size_t n = 0; n < w.out.len; n++) {
        int rc = sg_import_pstats(w.out.data, n, NULL, &p, err, sizeof err);
        assert_int_not_equal(rc, 0);
        assert_null(p);
    }
    rng r = {42};
    uint8_t *copy = malloc(w.out.len);
    for (int round = 0; round < 3000; round++) {
        memcpy(copy, w.out.data, w.out.len);
        for (int k = 0; k < 3; k++)
            copy[below(&r, (uint32_t)w.out.len)] = (uint8_t)below(&r, 256);
        int rc = sg_import_pstats(copy, w.out.len, NULL, &p, err, sizeof err);
        if (rc == 0)
            sg_profile_free(p);
        else
            assert_null(p);
    }
    free(copy);
    sg_bytes_free(&w.out);
}

static void test_detect(void **state)
{
    (void)state;
    sg_marshal_writer w = cprofile_file();
    assert_true(sg_detect_pstats(w.out.data, w.out.len));
    assert_false(sg_detect_pstats((const uint8_t *)"{\"a\": 1}", 8));
    assert_false(sg_detect_pstats((const uint8_t *)"main;f 1\n", 9));
    sg_bytes_free(&w.out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import_cprofile),
        cmocka_unit_test(test_import_bare_counts_and_marker),
        cmocka_unit_test(test_import_odd_numbers),
        cmocka_unit_test(test_pstats_round_trip),
        cmocka_unit_test(test_pstats_round_trip_bare_counts),
        cmocka_unit_test(test_duplicate_caller_keeps_last),
        cmocka_unit_test(test_export_samples),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_truncations_and_mutations),
        cmocka_unit_test(test_detect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
