/*
 * analyze_graph.c — bench-analyze-graph: times the call graph, timeline,
 * merge and diff queries (src/analyze) on a generated 10M-sample profile
 * with 50,000 distinct stacks and 8 threads (the shape bench-analyze
 * uses; a second one with another seed for the diff), printing each
 * figure beside its goal from issue 4. One-time costs (the timeline index,
 * resolving a view) are reported on their own lines.
 *
 *   bench-analyze-graph [samples]   (default 10000000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "analyze/call_graph.h"
#include "analyze/diff.h"
#include "analyze/merge.h"
#include "analyze/timeline.h"
#include "analyze/view.h"

/* 5,000 functions, 50,000 leaves (depth 8..64, a few hundred shared
 * spines), 8 threads sampled every 1 ms, skewed towards hot stacks; a GC
 * every ~50 ms and a marker every second. */
static sg_profile *generate(uint64_t seed, size_t nsamples)
{
    rng r = {seed};
    sg_profile *p = sg_profile_new();
    enum { FRAMES = 5000, LEAVES = 50000, THREADS = 8 };
    uint32_t frames[FRAMES], threads[THREADS];
    p->meta.interval_ns = 1000000;
    for (int i = 0; i < FRAMES; i++) {
        char file[64], name[32];
        snprintf(file, sizeof file, "/proj/pkg%d/mod%d.py", i % 20, i % 300);
        snprintf(name, sizeof name, "func_%d", i);
        check(sg_profile_intern_frame(p, file, strlen(file), name, strlen(name), (uint32_t)i,
                                      &frames[i]),
              "frame");
    }
    for (int t = 0; t < THREADS; t++) {
        char name[16];
        snprintf(name, sizeof name, "worker-%d", t);
        check(sg_profile_intern_thread(p, 1000 + (uint64_t)t, name, &threads[t]), "thread");
    }
    uint32_t *leaves = malloc(LEAVES * sizeof *leaves);
    sg_frame_line chain[64];
    for (int k = 0; k < LEAVES; k++) {
        uint32_t depth = 8 + below(&r, 57), spine = below(&r, 300);
        for (uint32_t d = 0; d < depth; d++) {
            uint32_t f = d < 6 ? (spine * 7 + d * 13) % 64 : below(&r, FRAMES);
            chain[d] = (sg_frame_line){frames[f], 1 + below(&r, 50)};
        }
        check(sg_stacks_intern_chain(&p->stacks, SG_STACK_NONE, chain, depth, NULL, &leaves[k]),
              "stack");
    }
    check(sg_samples_reserve(&p->samples, nsamples), "samples");
    for (size_t i = 0; i < nsamples; i++) {
        uint32_t a = below(&r, LEAVES), b = below(&r, LEAVES);
        uint32_t leaf = leaves[a < b ? a : b];
        check(sg_samples_append(&p->samples, i / THREADS * 1000000, threads[i % THREADS], leaf,
                                (uint8_t)below(&r, 8), 1),
              "sample");
    }
    uint64_t end = nsamples / THREADS * 1000000;
    p->meta.duration_ns = end;
    for (uint64_t t = 0; t < end; t += 50000000) {
        check(sg_profile_add_event(p, t, SG_EVENT_GC_START, SG_THREAD_NONE, "gen0"), "gc");
        check(sg_profile_add_event(p, t + 300000, SG_EVENT_GC_STOP, SG_THREAD_NONE, "gen0"), "gc");
        if (t % 1000000000 == 0)
            check(sg_profile_add_event(p, t + 1, SG_EVENT_MARKER, threads[0], "tick"), "marker");
    }
    free(leaves);
    return p;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000;
    double t = now_ms();
    sg_profile *p = generate(0x9e3779b97f4a7c15ull, n);
    sg_profile *q = generate(0x2545f4914f6cdd1dull, n);
    printf("2 profiles: %zu samples, %u stack rows, %u threads each (generated in %.0f ms)\n", n,
           p->stacks.count, p->threads.count, now_ms() - t);

    sg_tlindex ix;
    t = now_ms();
    check(sg_tlindex_build(p, &ix), "timeline index");
    report("timeline index (once per profile)", now_ms() - t, 0);
    sg_tl tl;
    t = now_ms();
    check(sg_tl_query(&ix, NULL, 0, p->meta.duration_ns, 2000, &tl), "timeline");
    report("timeline 2000 px, whole profile", now_ms() - t, 50);
    printf("  %zu spans, %zu state runs, %zu events\n", tl.span_count, tl.state_count,
           tl.event_count);
    sg_tl_free(&tl);
    t = now_ms();
    check(sg_tl_query(&ix, NULL, p->meta.duration_ns / 2, p->meta.duration_ns / 2 + 2000000000,
                      2000, &tl),
          "timeline");
    report("timeline 2000 px, 2 s zoomed in", now_ms() - t, 50);
    sg_tl_free(&tl);

    sg_view_resolved vr, vq;
    t = now_ms();
    check(sg_view_resolve(p, NULL, &vr), "view");
    report("resolve the whole-profile view (once per view)", now_ms() - t, 0);
    check(sg_view_resolve(q, NULL, &vq), "view");
    sg_view focus = {.collapse_recursion = true, .flags_set = SG_SAMPLE_ON_CPU};
    sg_view_resolved vf;
    t = now_ms();
    check(sg_view_resolve(p, &focus, &vf), "view");
    report("resolve an on-CPU, collapsed view (once)", now_ms() - t, 0);
    t = now_ms();
    check(sg_tl_query(&ix, &vf, 0, p->meta.duration_ns, 2000, &tl), "timeline");
    report("timeline 2000 px through that view", now_ms() - t, 50);
    sg_tl_free(&tl);

    sg_cgraph g;
    sg_cgraph_options all = {0};
    t = now_ms();
    check(sg_cgraph_build(&vr, &all, &g), "call graph");
    report("call graph, all nodes and edges", now_ms() - t, 300);
    printf("  %zu nodes, %zu edges\n", g.node_count, g.edge_count);
    sg_cgraph_free(&g);
    sg_cgraph_options cut = {.node_fraction = 0.005, .edge_fraction = 0.001};
    t = now_ms();
    check(sg_cgraph_build(&vr, &cut, &g), "call graph");
    report("call graph, thresholds 0.5 % / 0.1 %", now_ms() - t, 300);
    printf("  %zu nodes, %zu edges\n", g.node_count, g.edge_count);
    uint32_t hub = g.node_count > 0 ? g.nodes[0].frame : 0;
    sg_cgraph_free(&g);
    sg_cgraph_options near = {.focus = true, .focus_frame = hub, .focus_levels = 2};
    t = now_ms();
    check(sg_cgraph_build(&vr, &near, &g), "call graph");
    report("call graph, focus 2 levels around the top node", now_ms() - t, 300);
    sg_cgraph_free(&g);

    sg_diff d;
    sg_diff_options dopt = {.limit = 1000};
    t = now_ms();
    check(sg_diff_build(&vr, &vq, &dopt, &d), "diff");
    report("diff of two profiles (views resolved)", now_ms() - t, 300);
    printf("  %zu functions, %zu nodes kept (limit 1000)\n", d.function_count, d.node_count);
    sg_diff_free(&d);

    const sg_profile *both[2] = {p, q};
    sg_profile *m;
    t = now_ms();
    check(sg_merge(both, NULL, 2, SG_MERGE_TIMES_KEPT, &m), "merge");
    report("merge of the two profiles", now_ms() - t, 0);
    sg_profile_free(m);

    sg_view_resolved_free(&vf);
    sg_view_resolved_free(&vr);
    sg_view_resolved_free(&vq);
    sg_tlindex_free(&ix);
    sg_profile_free(p);
    sg_profile_free(q);
    return 0;
}
