/*
 * test_call_graph.c — the call graph against a brute force on random
 * profiles: per sample, walk the stack with "seen" marks for functions and
 * caller→callee pairs (self-calls skipped), so node totals and edge
 * weights are once per sample; then thresholds and the focus
 * neighbourhood (breadth-first over the brute-force adjacency). Also a
 * thread filter through a view, and a pstats profile read exactly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "analyze/call_graph.h"
#include "analyze_random.h"

#define NF RND_FRAMES

typedef struct ref {
    uint64_t self[NF], total[NF], edge[NF][NF], all;
} ref;

static void brute_force(const sg_profile *p, const bool *threads, ref *r)
{
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < p->samples.count; i++) {
        if (threads != NULL && !threads[p->samples.thread[i]])
            continue;
        uint64_t w = p->samples.weight[i];
        r->all += w;
        uint32_t s = p->samples.stack[i];
        if (s == SG_STACK_NONE)
            continue;
        bool seen[NF] = {0}, eseen[NF][NF] = {{0}};
        r->self[p->stacks.rows[s].frame] += w;
        for (uint32_t x = s; x != SG_STACK_NONE; x = p->stacks.rows[x].parent) {
            uint32_t f = p->stacks.rows[x].frame;
            if (!seen[f])
                r->total[f] += w;
            seen[f] = true;
            uint32_t parent = p->stacks.rows[x].parent;
            if (parent == SG_STACK_NONE)
                continue;
            uint32_t c = p->stacks.rows[parent].frame;
            if (c != f && !eseen[c][f])
                r->edge[c][f] += w;
            if (c != f)
                eseen[c][f] = true;
        }
    }
}

static void check(const sg_profile *p, const bool *threads, const sg_cgraph_options *o)
{
    ref r;
    brute_force(p, threads, &r);
    sg_view v = {.threads = threads};
    sg_view_resolved vr;
    assert_int_equal(sg_view_resolve(p, &v, &vr), 0);
    sg_cgraph g;
    assert_int_equal(sg_cgraph_build(&vr, o, &g), 0);
    assert_int_equal(g.total_weight, r.all);
    /* focus: distances over the undirected brute-force graph */
    uint32_t dist[NF];
    for (int f = 0; f < NF; f++)
        dist[f] = o->focus ? UINT32_MAX : 0;
    if (o->focus) {
        dist[o->focus_frame] = 0;
        for (uint32_t level = 0; level < o->focus_levels; level++)
            for (int a = 0; a < NF; a++)
                for (int b = 0; b < NF; b++)
                    if (dist[a] == level && dist[b] == UINT32_MAX &&
                        (r.edge[a][b] != 0 || r.edge[b][a] != 0))
                        dist[b] = level + 1;
    }
    bool keep[NF];
    size_t expect_nodes = 0;
    for (int f = 0; f < NF; f++) {
        keep[f] = r.total[f] != 0 && dist[f] != UINT32_MAX &&
                  ((o->focus && (uint32_t)f == o->focus_frame) ||
                   (double)r.total[f] >= o->node_fraction * (double)r.all);
        expect_nodes += keep[f];
    }
    assert_int_equal(g.node_count, expect_nodes);
    bool listed[NF] = {0};
    for (size_t i = 0; i < g.node_count; i++) {
        const sg_cgraph_node *n = &g.nodes[i];
        assert_true(keep[n->frame]);
        assert_false(listed[n->frame]);
        listed[n->frame] = true;
        assert_int_equal(n->self, r.self[n->frame]);
        assert_int_equal(n->total, r.total[n->frame]);
        if (i > 0)
            assert_true(g.nodes[i - 1].total >= n->total);
    }
    size_t expect_edges = 0;
    for (int a = 0; a < NF; a++)
        for (int b = 0; b < NF; b++)
            expect_edges += keep[a] && keep[b] && r.edge[a][b] != 0 &&
                            (double)r.edge[a][b] >= o->edge_fraction * (double)r.all;
    assert_int_equal(g.edge_count, expect_edges);
    for (size_t i = 0; i < g.edge_count; i++) {
        const sg_cgraph_edge *e = &g.edges[i];
        uint32_t a = g.nodes[e->caller].frame, b = g.nodes[e->callee].frame;
        assert_int_not_equal(a, b); /* direct recursion folded */
        assert_int_equal(e->weight, r.edge[a][b]);
        if (i > 0)
            assert_true(g.edges[i - 1].weight >= e->weight);
    }
    sg_cgraph_free(&g);
    sg_view_resolved_free(&vr);
}

static void test_random_graphs(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 30; seed++) {
        sg_profile *p = rnd_profile(seed, 400 + seed * 37, seed % 2 == 0);
        bool threads[RND_THREADS] = {true, false, true};
        sg_cgraph_options all = {0};
        check(p, NULL, &all);
        check(p, threads, &all);
        sg_cgraph_options cut = {.node_fraction = 0.3, .edge_fraction = 0.1};
        check(p, NULL, &cut);
        for (uint32_t levels = 0; levels < 3; levels++) {
            sg_cgraph_options focus = {.focus = true,
                                       .focus_frame = (uint32_t)(seed % RND_FRAMES),
                                       .focus_levels = levels,
                                       .node_fraction = levels == 2 ? 0.2 : 0};
            check(p, NULL, &focus);
        }
        sg_profile_free(p);
    }
}

static void test_bad_options(void **state)
{
    (void)state;
    sg_profile *p = rnd_profile(3, 50, true);
    sg_view_resolved vr;
    assert_int_equal(sg_view_resolve(p, NULL, &vr), 0);
    sg_cgraph g;
    sg_cgraph_options o = {.node_fraction = 1.5};
    assert_int_equal(sg_cgraph_build(&vr, &o, &g), SG_PROFILE_EINVAL);
    sg_cgraph_free(&g);
    sg_cgraph_options f = {.focus = true, .focus_frame = 999};
    assert_int_equal(sg_cgraph_build(&vr, &f, &g), SG_PROFILE_EINVAL);
    sg_cgraph_free(&g);
    sg_view_resolved_free(&vr);
    sg_profile_free(p);
}

/* pstats: nodes and edges are the call statistics; A→A folded. */
static void test_callstats(void **state)
{
    (void)state;
    sg_profile *p = sg_profile_new();
    uint32_t a, b, c;
    assert_int_equal(sg_profile_intern_frame(p, "m.py", 4, "a", 1, 1, &a), 0);
    assert_int_equal(sg_profile_intern_frame(p, "m.py", 4, "b", 1, 5, &b), 0);
    assert_int_equal(sg_profile_intern_frame(p, "m.py", 4, "c", 1, 9, &c), 0);
    sg_call_numbers na = {1, 1, 100, 1000}, nb = {2, 5, 600, 800}, nc = {3, 3, 200, 200};
    assert_int_equal(sg_callstats_add_func(&p->callstats, a, &na, NULL), 0);
    assert_int_equal(sg_callstats_add_func(&p->callstats, b, &nb, NULL), 0);
    assert_int_equal(sg_callstats_add_func(&p->callstats, c, &nc, NULL), 0);
    sg_call_numbers eab = {2, 2, 500, 700}, ebb = {0, 3, 100, 100}, ebc = {3, 3, 200, 200};
    assert_int_equal(sg_callstats_add_edge(&p->callstats, a, b, 0, &eab, NULL), 0);
    assert_int_equal(sg_callstats_add_edge(&p->callstats, b, b, 0, &ebb, NULL), 0);
    assert_int_equal(sg_callstats_add_edge(&p->callstats, b, c, 0, &ebc, NULL), 0);
    p->meta.has_stacks = false;
    sg_view_resolved vr;
    assert_int_equal(sg_view_resolve(p, NULL, &vr), 0);
    sg_cgraph g;
    sg_cgraph_options o = {0};
    assert_int_equal(sg_cgraph_build(&vr, &o, &g), 0);
    assert_true(g.from_pstats);
    assert_int_equal(g.total_weight, 900);
    assert_int_equal(g.node_count, 3);
    assert_int_equal(g.nodes[0].frame, a);
    assert_int_equal(g.nodes[1].frame, b);
    assert_int_equal(g.nodes[1].self, 600);
    assert_int_equal(g.nodes[1].calls, 5);
    assert_int_equal(g.edge_count, 2);
    assert_int_equal(g.edges[0].weight, 700);
    assert_int_equal(g.nodes[g.edges[0].caller].frame, a);
    assert_int_equal(g.edges[1].calls, 3);
    sg_cgraph_free(&g);
    sg_view_resolved_free(&vr);
    sg_profile_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_graphs),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_callstats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
