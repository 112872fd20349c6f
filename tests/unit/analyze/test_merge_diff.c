/*
 * test_merge_diff.c — merge and diff on random profiles: a merge's totals
 * are the sums of its inputs' (overall and per function, matched by name;
 * threads kept apart; wall-clock shift), a profile diffed with itself has
 * every delta zero, and a profile diffed with a copy that spends extra
 * time in one function ranks that function first.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "analyze/diff.h"
#include "analyze/function_table.h"
#include "analyze/merge.h"
#include "analyze_random.h"

static uint64_t total_of(const sg_ftable *t, const sg_profile *p, const char *name, bool self)
{
    for (size_t i = 0; i < t->count; i++)
        if (strcmp(sg_strings_get(&p->strings, p->frames.rows[t->rows[i].frame].name), name) == 0)
            return self ? t->rows[i].self : t->rows[i].total;
    return 0;
}

static void test_merge_sums(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 8; seed++) {
        const sg_profile *in[3];
        sg_profile *own[3];
        for (int k = 0; k < 3; k++) {
            in[k] = own[k] = rnd_profile(seed * 10 + (uint64_t)k, 200 + 50 * (size_t)k, k != 1);
            own[k]->meta.start_unix_ns = 1000000 + 5000 * (uint64_t)k;
        }
        const char *names[3] = {"a", NULL, "c"};
        sg_profile *m;
        assert_int_equal(sg_merge(in, names, 3, SG_MERGE_TIMES_WALL, &m), 0);
        assert_int_equal(m->threads.count, 3 * RND_THREADS);
        assert_string_equal(sg_strings_get(&m->strings, m->threads.name[RND_THREADS]),
                            "profile 2: T0");
        size_t n = 0;
        for (int k = 0; k < 3; k++)
            n += in[k]->samples.count;
        assert_int_equal(m->samples.count, n);
        /* WALL: input 2 is shifted by 10 us */
        assert_int_equal(m->samples.time_ns[n - in[2]->samples.count],
                         in[2]->samples.time_ns[0] + 10000);
        sg_ftable_options o = {0};
        sg_ftable mt, t[3];
        assert_int_equal(sg_ftable_build(m, &o, &mt), 0);
        uint64_t sum = 0;
        for (int k = 0; k < 3; k++) {
            assert_int_equal(sg_ftable_build(in[k], &o, &t[k]), 0);
            sum += t[k].total_weight;
        }
        assert_int_equal(mt.total_weight, sum);
        for (int f = 0; f < RND_FRAMES; f++) {
            char name[16];
            snprintf(name, sizeof name, "fn%d", f);
            for (int self = 0; self < 2; self++) {
                uint64_t expect = 0;
                for (int k = 0; k < 3; k++)
                    expect += total_of(&t[k], in[k], name, self);
                assert_int_equal(total_of(&mt, m, name, self), expect);
            }
        }
        for (int k = 0; k < 3; k++) {
            sg_ftable_free(&t[k]);
            sg_profile_free(own[k]);
        }
        sg_ftable_free(&mt);
        sg_profile_free(m);
    }
}

static void test_diff_self_is_zero(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 8; seed++) {
        sg_profile *p = rnd_profile(seed, 500, seed % 2 == 0);
        sg_view_resolved vr;
        assert_int_equal(sg_view_resolve(p, NULL, &vr), 0);
        sg_diff d;
        sg_diff_options o = {0};
        assert_int_equal(sg_diff_build(&vr, &vr, &o, &d), 0);
        assert_true(d.function_count > 0 && d.node_count > 0);
        for (size_t i = 0; i < d.function_count; i++) {
            assert_int_equal(d.functions[i].delta_self, 0);
            assert_int_equal(d.functions[i].delta_total, 0);
            assert_true(d.functions[i].delta_frac_self == 0.0);
        }
        for (size_t i = 0; i < d.node_count; i++) {
            assert_int_equal(d.nodes[i].delta_total, 0);
            assert_int_equal(d.nodes[i].self[0], d.nodes[i].self[1]);
        }
        sg_diff_free(&d);
        sg_view_resolved_free(&vr);
        sg_profile_free(p);
    }
}

/* Does side row r of p (through its parent chain) spell the same path,
 * frame by frame (file, name, first line), as node n of d? */
static bool same_path(const sg_profile *p, const sg_stacks *st, uint32_t r, const sg_diff *d,
                      uint32_t n)
{
    const sg_profile *k = d->keys;
    while (r != SG_STACK_NONE && n != SG_STACK_NONE) {
        const sg_frame *a = &p->frames.rows[st->rows[r].frame];
        const sg_frame *b = &k->frames.rows[k->stacks.rows[n].frame];
        if (strcmp(sg_strings_get(&p->strings, a->file), sg_strings_get(&k->strings, b->file)) ||
            strcmp(sg_strings_get(&p->strings, a->name), sg_strings_get(&k->strings, b->name)) ||
            a->first_line != b->first_line)
            return false;
        r = st->rows[r].parent;
        n = k->stacks.rows[n].parent;
    }
    return r == SG_STACK_NONE && n == SG_STACK_NONE;
}

/* Every node of a diff of two different profiles, by brute force: its self
 * on each side is the weight of that side's rows spelling its path, its
 * total that of the rows under it (the path is a prefix of theirs), and
 * every path of either side is a node, once. */
static void test_diff_nodes_match_paths(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 6; seed++) {
        sg_profile *p[2] = {rnd_profile(seed, 300, true), rnd_profile(seed + 100, 250, false)};
        sg_view_resolved v[2];
        for (int s = 0; s < 2; s++)
            assert_int_equal(sg_view_resolve(p[s], NULL, &v[s]), 0);
        sg_diff d;
        sg_diff_options o = {0};
        assert_int_equal(sg_diff_build(&v[0], &v[1], &o, &d), 0);
        size_t paths = 0;
        for (int s = 0; s < 2; s++) {
            const sg_stacks *st = v[s].stacks;
            for (uint32_t r = 0; r < st->count; r++) {
                size_t found = 0;
                for (size_t i = 0; i < d.node_count; i++)
                    found += same_path(p[s], st, r, &d, d.nodes[i].node);
                if (v[s].row_weight[r] != 0 || found != 0)
                    assert_int_equal(found, 1); /* a node, once */
            }
        }
        for (size_t i = 0; i < d.node_count; i++) {
            const sg_diff_row *n = &d.nodes[i];
            for (int s = 0; s < 2; s++) {
                const sg_stacks *st = v[s].stacks;
                uint64_t self = 0, total = 0;
                for (uint32_t r = 0; r < st->count; r++) {
                    self += same_path(p[s], st, r, &d, n->node) ? v[s].row_weight[r] : 0;
                    for (uint32_t a = r; a != SG_STACK_NONE; a = st->rows[a].parent)
                        if (st->rows[a].depth == d.keys->stacks.rows[n->node].depth &&
                            same_path(p[s], st, a, &d, n->node))
                            total += v[s].row_weight[r];
                }
                assert_int_equal(n->self[s], self);
                assert_int_equal(n->total[s], total);
            }
            paths += n->total[0] + n->total[1] != 0;
        }
        assert_true(paths > 10);
        sg_diff_free(&d);
        for (int s = 0; s < 2; s++) {
            sg_view_resolved_free(&v[s]);
            sg_profile_free(p[s]);
        }
    }
}

/* "after" = "before" + as much time again in a new leaf "hot" under a
 * common path: hot ranks first among functions (its share rises the most
 * in self), and its node ranks first among nodes. */
static void test_diff_ranks_changed_function(void **state)
{
    (void)state;
    sg_profile *before = rnd_profile(5, 1000, true);
    const sg_profile *one[1] = {before};
    sg_profile *after;
    assert_int_equal(sg_merge(one, NULL, 1, SG_MERGE_TIMES_KEPT, &after), 0);
    uint32_t hot, base = after->samples.stack[0];
    if (base == SG_STACK_NONE)
        base = after->samples.stack[1];
    assert_int_equal(sg_profile_intern_frame(after, "/app/hot.py", 11, "hot", 3, 1, &hot), 0);
    uint32_t leaf;
    assert_int_equal(sg_stacks_intern(&after->stacks, base, hot, 3, &leaf), 0);
    for (int i = 0; i < 400; i++)
        assert_int_equal(sg_profile_add_sample(after, 5000000 + (uint64_t)i, 0, leaf, 0, 1), 0);
    sg_view_resolved a, b;
    assert_int_equal(sg_view_resolve(before, NULL, &a), 0);
    assert_int_equal(sg_view_resolve(after, NULL, &b), 0);
    sg_diff d;
    sg_diff_options o = {.limit = 5};
    assert_int_equal(sg_diff_build(&a, &b, &o, &d), 0);
    assert_int_equal(d.function_count, 5);
    assert_string_equal(
        sg_strings_get(&d.keys->strings, d.keys->frames.rows[d.functions[0].frame].name), "hot");
    assert_int_equal(d.functions[0].self[0], 0);
    assert_int_equal(d.functions[0].self[1], 400);
    assert_int_equal(d.nodes[0].frame, d.functions[0].frame);
    assert_true(d.functions[0].delta_frac_self > 0.25);
    sg_diff_free(&d);
    sg_view_resolved_free(&a);
    sg_view_resolved_free(&b);
    sg_profile_free(before);
    sg_profile_free(after);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_sums),
        cmocka_unit_test(test_diff_self_is_zero),
        cmocka_unit_test(test_diff_nodes_match_paths),
        cmocka_unit_test(test_diff_ranks_changed_function),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
