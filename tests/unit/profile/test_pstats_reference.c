/*
 * test_pstats_reference.c — the pstats importer gives, table for table and
 * row for row, what a straightforward reference import gives.
 *
 * The importer is built for speed: it appends stack rows and call
 * statistics edges without looking them up (sg_stacks_append_new,
 * sg_callstats_append_edge), caches ids per marshal value and indexes the
 * tables in one pass at the end. The reference below is the model of
 * docs/format.md ("pstats in the model") written the plain way: every
 * string, frame and stack row through the interning lookups, every edge
 * through sg_callstats_add_edge, no caches. Both must give the same
 * strings, frames, stack rows, samples, function and edge rows, in the
 * same order; and afterwards every lookup of the imported tables must find
 * each row at its own id (the deferred indexes hold every row).
 *
 * Inputs: real files (cProfile of 3.9, 3.11 and 3.13, the profile module
 * with its bare counts and code-object key, an exported file) from the
 * pstats fuzz corpus, a file of unusual shapes (data/pstats_shapes.pstats:
 * a shared callers dict, a caller named twice, a key given twice, an old
 * 8-tuple, the sampled marker), and a generated file shaped like the
 * bench's (keys and strings by reference, as CPython writes them).
 */
#include <math.h>
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

/* ---- the reference import ---------------------------------------------- */

typedef struct ref_share {
    uint32_t caller, row;
    bool bare;
    sg_call_numbers n;
    uint64_t weight, ns;
} ref_share;

static const sg_marshal_value *item(const sg_marshal_doc *d, const sg_marshal_value *v, size_t i)
{
    return sg_marshal_get(d, sg_marshal_item(d, v, i));
}

static uint64_t ns_of(const sg_marshal_value *v)
{
    double s;
    assert_true(sg_marshal_number(v, &s));
    double ns = s * 1e9;
    return ns <= 0 ? 0 : (uint64_t)llround(ns);
}

static uint64_t count_of(const sg_marshal_value *v)
{
    double c;
    assert_true(sg_marshal_number(v, &c));
    return (uint64_t)c;
}

/* The frame of a (file, line, name) key; name may be a code object. */
static uint32_t ref_frame(const sg_marshal_doc *d, sg_profile *p, const sg_marshal_value *key)
{
    assert_int_equal(key->type, SG_MARSHAL_TUPLE);
    const sg_marshal_value *file = item(d, key, 0), *line = item(d, key, 1),
                           *name = item(d, key, 2);
    char code[1024];
    const char *name_text = sg_marshal_text(d, name);
    size_t name_len = name->len;
    if (name->type == SG_MARSHAL_CODE) {
        const sg_marshal_value *cf = item(d, name, 0), *cn = item(d, name, 1),
                               *cl = item(d, name, 2);
        int n = snprintf(code, sizeof code, "<code object %.*s, file \"%.*s\", line %lld>",
                         (int)cn->len, sg_marshal_text(d, cn), (int)cf->len, sg_marshal_text(d, cf),
                         (long long)cl->u.i);
        assert_true(n > 0 && (size_t)n < sizeof code);
        name_text = code;
        name_len = (size_t)n;
    }
    uint32_t frame;
    assert_int_equal(sg_profile_intern_frame(p, sg_marshal_text(d, file), file->len, name_text,
                                             name_len, (uint32_t)line->u.i, &frame),
                     0);
    return frame;
}

/* CPython's sampler's marker key ("__sampled__",) */
static bool is_marker(const sg_marshal_doc *d, const sg_marshal_value *key)
{
    return key->type == SG_MARSHAL_TUPLE && key->len == 1 && item(d, key, 0)->len == 11 &&
           memcmp(sg_marshal_text(d, item(d, key, 0)), "__sampled__", 11) == 0;
}

static uint32_t root_of(sg_profile *p, uint32_t frame)
{
    uint32_t row;
    assert_int_equal(
        sg_stacks_intern(&p->stacks, SG_STACK_NONE, frame, p->frames.rows[frame].first_line, &row),
        0);
    return row;
}

static void add_time(sg_profile *p, uint32_t thread, uint32_t row, uint64_t ns)
{
    while (ns > 0) {
        uint32_t part = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
        assert_int_equal(sg_profile_add_sample(p, 0, thread, row, 0, part), 0);
        ns -= part;
    }
}

/* One function: its row, its callers (deduplicated by frame, the last
 * value winning in the place of the first), its tt spread over them. */
static void ref_function(const sg_marshal_doc *d, sg_profile *p, uint32_t thread, uint32_t f,
                         const sg_marshal_value *v)
{
    uint32_t line = p->frames.rows[f].first_line, root = root_of(p, f);
    sg_call_numbers fn = {.cc = count_of(item(d, v, 0)),
                          .nc = count_of(item(d, v, 1)),
                          .tt_ns = ns_of(item(d, v, 2)),
                          .ct_ns = ns_of(item(d, v, 3))};
    assert_int_equal(sg_callstats_add_func(&p->callstats, f, &fn, NULL), 0);
    const sg_marshal_value *callers = item(d, v, 4);
    ref_share *shares = calloc(callers->len + 1, sizeof *shares);
    size_t n = 0;
    for (uint32_t k = 0; k < callers->len; k++) {
        uint32_t caller = ref_frame(d, p, item(d, callers, 2 * (size_t)k));
        const sg_marshal_value *cv = item(d, callers, 2 * (size_t)k + 1);
        uint32_t edge;
        assert_int_equal(sg_stacks_intern(&p->stacks, root_of(p, caller), f, line, &edge), 0);
        ref_share sh = {.caller = caller, .row = edge};
        if (cv->type == SG_MARSHAL_TUPLE) {
            for (uint32_t g = 0; g < cv->len; g += 4) {
                sh.n.nc += count_of(item(d, cv, g));
                sh.n.cc += count_of(item(d, cv, g + 1));
                sh.n.tt_ns += ns_of(item(d, cv, g + 2));
                sh.n.ct_ns += ns_of(item(d, cv, g + 3));
            }
            sh.weight = sh.n.tt_ns;
        } else {
            sh.bare = true;
            sh.n.nc = count_of(cv);
            sh.weight = sh.n.nc;
        }
        size_t at = 0;
        while (at < n && shares[at].caller != caller)
            at++;
        shares[at] = sh;
        n += at == n;
    }
    bool exact = true;
    uint64_t sum = 0, rest = fn.tt_ns;
    for (size_t k = 0; k < n; k++) {
        exact &= !shares[k].bare;
        sum += shares[k].weight;
    }
    if (exact && sum <= fn.tt_ns) {
        for (size_t k = 0; k < n; k++)
            shares[k].ns = shares[k].weight;
        rest = fn.tt_ns - sum;
    } else if (sum > 0) {
        unsigned __int128 cum = 0;
        uint64_t given = 0;
        for (size_t k = 0; k < n; k++) {
            cum += shares[k].weight;
            uint64_t upto = (uint64_t)(cum * fn.tt_ns / sum);
            shares[k].ns = upto - given;
            given = upto;
        }
        rest = fn.tt_ns - given;
    }
    for (size_t k = 0; k < n; k++)
        add_time(p, thread, shares[k].row, shares[k].ns);
    add_time(p, thread, root, rest);
    for (size_t k = 0; k < n; k++)
        assert_int_equal(sg_callstats_add_edge(&p->callstats, shares[k].caller, f,
                                               shares[k].bare ? SG_CALLSTATS_COUNT_ONLY : 0,
                                               &shares[k].n, NULL),
                         0);
    free(shares);
}

static sg_profile *reference_import(const uint8_t *data, size_t len)
{
    sg_marshal_doc d;
    char err[256];
    if (sg_marshal_parse(data, len, &d, err, sizeof err) != 0)
        fail_msg("reference: %s", err);
    sg_profile *p = sg_profile_new();
    assert_non_null(p);
    p->meta.has_stacks = false;
    p->meta.weight_unit = SG_WEIGHT_NANOSECONDS;
    uint32_t thread;
    assert_int_equal(sg_profile_intern_thread(p, 0, "pstats", &thread), 0);
    const sg_marshal_value *root = sg_marshal_get(&d, d.root);
    /* every key's frame in order of first appearance; its last value */
    const sg_marshal_value **entry = calloc(root->len + 1, sizeof *entry);
    for (uint32_t k = 0; k < root->len; k++) {
        const sg_marshal_value *key = item(&d, root, 2 * (size_t)k);
        if (is_marker(&d, key))
            continue;
        uint32_t f = ref_frame(&d, p, key);
        assert_true(f <= k);
        entry[f] = item(&d, root, 2 * (size_t)k + 1);
    }
    uint32_t nkeys = p->frames.count;
    for (uint32_t f = 0; f < nkeys; f++)
        if (entry[f] != NULL)
            ref_function(&d, p, thread, f, entry[f]);
    free(entry);
    sg_marshal_doc_free(&d);
    return p;
}

/* ---- comparing ---------------------------------------------------------- */

static void assert_same_profile(const sg_profile *a, const sg_profile *b)
{
    assert_int_equal(a->strings.count, b->strings.count);
    for (uint32_t i = 0; i < a->strings.count; i++) {
        assert_int_equal(sg_strings_len(&a->strings, i), sg_strings_len(&b->strings, i));
        assert_memory_equal(sg_strings_get(&a->strings, i), sg_strings_get(&b->strings, i),
                            sg_strings_len(&a->strings, i));
    }
    assert_int_equal(a->frames.count, b->frames.count);
    assert_memory_equal(a->frames.rows, b->frames.rows, a->frames.count * sizeof(sg_frame));
    assert_int_equal(a->stacks.count, b->stacks.count);
    assert_memory_equal(a->stacks.rows, b->stacks.rows, a->stacks.count * sizeof(sg_stack_row));
    assert_int_equal(a->samples.count, b->samples.count);
    for (size_t i = 0; i < a->samples.count; i++) {
        assert_int_equal(a->samples.time_ns[i], b->samples.time_ns[i]);
        assert_int_equal(a->samples.thread[i], b->samples.thread[i]);
        assert_int_equal(a->samples.stack[i], b->samples.stack[i]);
        assert_int_equal(a->samples.flags[i], b->samples.flags[i]);
        assert_int_equal(a->samples.weight[i], b->samples.weight[i]);
    }
    assert_int_equal(a->callstats.func_count, b->callstats.func_count);
    for (uint32_t i = 0; i < a->callstats.func_count; i++) {
        assert_int_equal(a->callstats.funcs[i].frame, b->callstats.funcs[i].frame);
        assert_memory_equal(&a->callstats.funcs[i].n, &b->callstats.funcs[i].n,
                            sizeof(sg_call_numbers));
    }
    assert_int_equal(a->callstats.edge_count, b->callstats.edge_count);
    for (uint32_t i = 0; i < a->callstats.edge_count; i++) {
        const sg_callstats_edge *x = &a->callstats.edges[i], *y = &b->callstats.edges[i];
        assert_int_equal(x->caller, y->caller);
        assert_int_equal(x->callee, y->callee);
        assert_int_equal(x->flags, y->flags);
        assert_memory_equal(&x->n, &y->n, sizeof(sg_call_numbers));
    }
    assert_int_equal(a->threads.count, b->threads.count);
    assert_int_equal(a->meta.has_stacks, b->meta.has_stacks);
    assert_int_equal(a->meta.weight_unit, b->meta.weight_unit);
}

/* Every row is found at its own id by the tables' lookups, and a new row
 * interned afterwards gets the next id (the deferred indexes are whole). */
static void assert_lookups_whole(sg_profile *p)
{
    for (uint32_t i = 0; i < p->callstats.edge_count; i++)
        assert_int_equal(sg_callstats_find_edge(&p->callstats, p->callstats.edges[i].caller,
                                                p->callstats.edges[i].callee),
                         i);
    for (uint32_t i = 0; i < p->callstats.func_count; i++)
        assert_int_equal(sg_callstats_find_func(&p->callstats, p->callstats.funcs[i].frame), i);
    uint32_t count = p->stacks.count, id;
    for (uint32_t i = 0; i < count; i++) {
        const sg_stack_row *r = &p->stacks.rows[i];
        assert_int_equal(sg_stacks_intern(&p->stacks, r->parent, r->frame, r->line, &id), 0);
        assert_int_equal(id, i);
    }
    assert_int_equal(p->stacks.count, count);
    if (count > 0) {
        assert_int_equal(sg_stacks_intern(&p->stacks, count - 1, 0, 123456789, &id), 0);
        assert_int_equal(id, count);
    }
}

static void check_bytes(const uint8_t *data, size_t len, const char *what)
{
    sg_profile *fast = NULL;
    char err[256];
    if (sg_import_pstats(data, len, NULL, &fast, err, sizeof err) != 0)
        fail_msg("%s: %s", what, err);
    sg_profile *ref = reference_import(data, len);
    assert_true(fast->callstats.func_count > 0);
    assert_same_profile(fast, ref);
    assert_lookups_whole(fast);
    sg_profile_free(fast);
    sg_profile_free(ref);
}

static void check_file(const char *relative)
{
    const char *root = getenv("SG_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root != NULL ? root : ".", relative);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s (is SG_SOURCE_DIR set?)", path);
    uint8_t *data = NULL;
    size_t len = 0, cap = 0, n;
    do {
        if (len == cap) {
            cap = cap ? 2 * cap : 65536;
            data = realloc(data, cap);
            assert_non_null(data);
        }
        n = fread(data + len, 1, cap - len, f);
        len += n;
    } while (n > 0);
    fclose(f);
    check_bytes(data, len, relative);
    free(data);
}

/* ---- the tests ---------------------------------------------------------- */

static void test_real_cprofile_files(void **state)
{
    (void)state;
    check_file("tests/fuzz/corpus/pstats/tiny_cprofile_3.9.18.pstats");
    check_file("tests/fuzz/corpus/pstats/tiny_cprofile_3.11.7.pstats");
    check_file("tests/fuzz/corpus/pstats/tiny_cprofile_3.13.0.pstats");
}

static void test_profile_module_and_exported_files(void **state)
{
    (void)state;
    check_file("tests/fuzz/corpus/pstats/tiny_profile_3.11.pstats"); /* bare counts, code key */
    check_file("tests/fuzz/corpus/pstats/json_roundtrip.pstats");    /* our exporter's output */
}

static void test_unusual_shapes(void **state)
{
    (void)state;
    check_file("tests/unit/profile/data/pstats_shapes.pstats");
}

/* The bench's shape, smaller: keys and file names by reference, a few
 * distinct callers per function drawn from the earlier ones. */
static void test_generated_like_the_bench(void **state)
{
    (void)state;
    enum { N = 3000, FILES = 70 };
    uint32_t *slots = calloc(2 * FILES + 2 * N, sizeof *slots);
    sg_marshal_writer w = {0};
    uint64_t r = 0x2545f4914f6cdd1dull;
    sg_marshal_put_dict_begin(&w);
    for (uint32_t i = 0; i < N; i++) {
        for (int pass = 0; pass < 2; pass++) {
            /* pass 0: the key of function i; pass 1: its callers dict */
            uint32_t count = pass == 0 ? 1 : (i == 0 ? 0 : 1 + (uint32_t)(r % 6));
            if (pass == 1) {
                sg_marshal_put_tuple(&w, 5);
                sg_marshal_put_int(&w, 1 + i % 7);
                sg_marshal_put_int(&w, 2 + i % 7);
                sg_marshal_put_float(&w, (double)(i % 1000) / 1e6);
                sg_marshal_put_float(&w, (double)(i % 1000) / 1e5);
                sg_marshal_put_dict_begin(&w);
            }
            uint32_t seen[8], m = 0;
            for (uint32_t c = 0; c < count; c++) {
                r ^= r << 13, r ^= r >> 7, r ^= r << 17;
                uint32_t k = pass == 0 ? i : (uint32_t)(r % i), dup = 0;
                for (uint32_t j = 0; j < m; j++)
                    dup |= seen[j] == k;
                if (dup)
                    continue;
                seen[m++] = k;
                if (sg_marshal_put_tuple_ref(&w, 3, &slots[2 * FILES + N + k])) {
                    char file[64], name[32];
                    snprintf(file, sizeof file, "/site-packages/p%u/m%u.py", k % 9, k % FILES);
                    snprintf(name, sizeof name, "f%u", k);
                    sg_marshal_put_str(&w, file, strlen(file), &slots[2 * (k % FILES)]);
                    sg_marshal_put_int(&w, k % 500 + 1);
                    sg_marshal_put_str(&w, name, strlen(name), &slots[2 * FILES + k]);
                }
                if (pass == 1) {
                    sg_marshal_put_tuple(&w, 4);
                    sg_marshal_put_int(&w, 1 + k % 3);
                    sg_marshal_put_int(&w, 1 + k % 3);
                    sg_marshal_put_float(&w, (double)(k % 97) / 1e8);
                    sg_marshal_put_float(&w, (double)(k % 89) / 1e7);
                }
            }
            if (pass == 1)
                sg_marshal_put_dict_end(&w);
        }
    }
    sg_marshal_put_dict_end(&w);
    assert_int_equal(w.out.failed, 0);
    check_bytes(w.out.data, w.out.len, "generated");
    free(w.out.data);
    free(slots);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_cprofile_files),
        cmocka_unit_test(test_profile_module_and_exported_files),
        cmocka_unit_test(test_unusual_shapes),
        cmocka_unit_test(test_generated_like_the_bench),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
