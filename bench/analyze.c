/*
 * analyze.c — bench-analyze: times every src/analyze query on generated
 * profiles and prints each figure beside its goal from issue 4.
 *
 *   sampled: 10,000,000 samples over 50,000 distinct leaf stacks (a few
 *            hundred shared spines, random frames below them, depth
 *            8..64: 1.7M stack rows), 8 threads sampled every 1 ms, random
 *            state flags, skewed towards hot stacks, a GC every 50 ms and
 *            a marker every second; a second one (another seed) for the
 *            diff and the merge;
 *   pstats:  200,000 functions, ~5 caller edges each.
 *
 * Each line is one query: wall time (what the goal is about), CPU time of
 * this thread in brackets (when it is well below the wall time the
 * machine was busy with something else), the goal, ok or SLOW. Lines
 * without a goal are one-time costs or queries the issue sets no figure
 * for. Generation is deterministic (fixed xorshift seeds) and not timed;
 * the peak RSS is printed at the end.
 *
 *   bench-analyze [samples]      (default 10000000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench_profile.h"
#include "bench_util.h"
#include "analyze/butterfly.h"
#include "analyze/call_graph.h"
#include "analyze/call_tree.h"
#include "analyze/diff.h"
#include "analyze/function_table.h"
#include "analyze/merge.h"
#include "analyze/timeline.h"
#include "analyze/view.h"

/* ---- generated profiles -------------------------------------------------- */

enum { FRAMES = BENCH_FRAMES, LEAVES = BENCH_LEAVES, THREADS = BENCH_THREADS };

static sg_profile *sampled_profile(uint64_t seed, size_t nsamples, uint32_t *hot_frame)
{
    rng r = {seed};
    sg_profile *p = sg_profile_new();
    p->meta.interval_ns = 1000000;
    bench_shape shape;
    bench_shape_build(p, &r, &shape);
    uint32_t *leaves = shape.leaves;
    const uint32_t *threads = shape.threads;
    check(sg_samples_reserve(&p->samples, nsamples), "samples");
    for (size_t i = 0; i < nsamples; i++) {
        uint32_t a = below(&r, LEAVES), b = below(&r, LEAVES);
        uint32_t leaf = leaves[a < b ? a : b]; /* skewed: low ids are hot */
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
    *hot_frame = shape.frames[(3 * 7 + 2 * 13) % 64];
    free(leaves);
    return p;
}

static sg_profile *pstats_profile(uint32_t nfuncs, uint32_t *some_frame)
{
    rng r = {0x2545f4914f6cdd1dull};
    sg_profile *p = sg_profile_new();
    p->meta.has_stacks = false;
    p->meta.weight_unit = SG_WEIGHT_NANOSECONDS;
    uint32_t *frames = malloc((size_t)nfuncs * sizeof *frames);
    for (uint32_t i = 0; i < nfuncs; i++) {
        char file[64], name[32];
        snprintf(file, sizeof file, "/venv/lib/python3.12/site-packages/p%u/m%u.py", i % 500,
                 i % 9000);
        snprintf(name, sizeof name, "f%u", i);
        check(sg_profile_intern_frame(p, file, strlen(file), name, strlen(name), i, &frames[i]),
              "frame");
        sg_call_numbers n = {1 + below(&r, 100), 1 + below(&r, 100), below(&r, 1000000), 0};
        n.nc += n.cc;
        n.ct_ns = n.tt_ns + below(&r, 10000000);
        check(sg_callstats_add_func(&p->callstats, frames[i], &n, NULL), "func");
    }
    for (uint32_t i = 1; i < nfuncs; i++) {
        uint32_t callers = 1 + below(&r, 9);
        for (uint32_t c = 0; c < callers; c++) {
            uint32_t from = below(&r, i);
            if (sg_callstats_find_edge(&p->callstats, frames[from], frames[i]) != SG_CALLSTATS_NONE)
                continue;
            sg_call_numbers n = {1, 1 + below(&r, 10), below(&r, 1000), below(&r, 100000)};
            n.ct_ns += n.tt_ns;
            check(sg_callstats_add_edge(&p->callstats, frames[from], frames[i], 0, &n, NULL),
                  "edge");
        }
    }
    *some_frame = frames[1];
    free(frames);
    return p;
}

/* ---- trees, tables, butterfly -------------------------------------------- */

/* A view change as the server answers it: resolve the view, then the tree. */
static void bench_tree(const sg_profile *p, const sg_view *v, bool inverted, const char *what,
                       double goal)
{
    bench_clock c0 = clock_now();
    sg_view_resolved rv;
    check(sg_view_resolve(p, v, &rv), "resolve");
    bench_clock c1 = clock_now();
    sg_call_tree t;
    check(sg_call_tree_build(&rv, inverted, NULL, 0, NULL, &t), "tree");
    char line[128];
    snprintf(line, sizeof line, "%s (%u nodes)", what, t.count);
    report_since(line, c0, goal);
    printf("    of which resolving the view %.1f ms\n", c1.wall_ms - c0.wall_ms);
    sg_call_tree_free(&t);
    sg_view_resolved_free(&rv);
}

static void bench_tree_budget(const sg_profile *p, uint32_t width_px)
{
    bench_clock c0 = clock_now();
    sg_view_resolved rv;
    check(sg_view_resolve(p, NULL, &rv), "resolve");
    sg_tree_budget b = {.max_nodes = 20000, .min_weight = rv.total_weight / width_px};
    sg_call_tree t;
    check(sg_call_tree_build(&rv, false, NULL, 0, &b, &t), "tree");
    char line[128];
    snprintf(line, sizeof line, "top-down tree, %u px budget (%u nodes)", width_px, t.count);
    report_since(line, c0, 300);
    sg_call_tree_free(&t);
    sg_view_resolved_free(&rv);
}

static void bench_ftable(const sg_profile *p, const char *what)
{
    bench_clock c0 = clock_now();
    sg_ftable t;
    sg_ftable_options o = {.by = SG_FTABLE_BY_FUNCTION};
    check(sg_ftable_build(p, &o, &t), "function table");
    char line[128];
    snprintf(line, sizeof line, "%s (%zu rows)", what, t.count);
    report_since(line, c0, 200);
    sg_ftable_free(&t);
}

/* goal 0: the issue sets none (its 5 ms is for pstats) */
static void bench_butterfly(const sg_profile *p, uint32_t frame, const char *what, double goal)
{
    sg_view_resolved rv;
    check(sg_view_resolve(p, NULL, &rv), "resolve");
    sg_bfly_index x;
    bench_clock c0 = clock_now();
    check(sg_bfly_index_build(p, &x), "index");
    bench_clock c1 = clock_now();
    sg_butterfly b;
    check(sg_butterfly_build(&rv, &x, frame, &b), "butterfly");
    char line[128];
    snprintf(line, sizeof line, "%s (%u callers, %u callees)", what, b.caller_count,
             b.callee_count);
    report_since(line, c1, goal);
    if (b.from_pstats)
        printf("    edge index, built once per profile: %.1f ms\n", c1.wall_ms - c0.wall_ms);
    else
        printf("    on a resolved view (no goal in the issue for sampled profiles)\n");
    sg_butterfly_free(&b);
    sg_bfly_index_free(&x);
    sg_view_resolved_free(&rv);
}

/* ---- timeline, call graph, diff, merge ----------------------------------- */

static void bench_timeline(const sg_profile *p)
{
    sg_tlindex ix;
    bench_clock c = clock_now();
    check(sg_tlindex_build(p, &ix), "timeline index");
    report_since("timeline index (once per profile)", c, 0);
    uint64_t end = p->meta.duration_ns;
    sg_tl tl;
    c = clock_now();
    check(sg_tl_query(&ix, NULL, 0, end, 2000, &tl), "timeline");
    report_since("timeline 2000 px, whole profile", c, 50);
    printf("    %zu spans, %zu state runs, %zu events\n", tl.span_count, tl.state_count,
           tl.event_count);
    sg_tl_free(&tl);
    c = clock_now();
    check(sg_tl_query(&ix, NULL, end / 2, end / 2 + 2000000000, 2000, &tl), "timeline");
    report_since("timeline 2000 px, 2 s zoomed in", c, 50);
    sg_tl_free(&tl);
    sg_view on_cpu = {.collapse_recursion = true, .flags_set = SG_SAMPLE_ON_CPU};
    sg_view_resolved vf;
    c = clock_now();
    check(sg_view_resolve(p, &on_cpu, &vf), "view");
    bench_clock c1 = clock_now();
    check(sg_tl_query(&ix, &vf, 0, end, 2000, &tl), "timeline");
    report_since("timeline 2000 px through an on-CPU, collapsed view", c1, 50);
    printf("    resolving that view first (once per view): %.1f ms\n", c1.wall_ms - c.wall_ms);
    sg_tl_free(&tl);
    sg_view_resolved_free(&vf);
    sg_tlindex_free(&ix);
}

static void bench_graph(const sg_view_resolved *vr, const sg_cgraph_options *o, const char *what)
{
    sg_cgraph g;
    bench_clock c = clock_now();
    check(sg_cgraph_build(vr, o, &g), "call graph");
    char line[128];
    snprintf(line, sizeof line, "%s (%zu nodes, %zu edges)", what, g.node_count, g.edge_count);
    report_since(line, c, 300);
    sg_cgraph_free(&g);
}

static void bench_graphs(const sg_profile *p, uint32_t hot)
{
    sg_view_resolved vr;
    check(sg_view_resolve(p, NULL, &vr), "view");
    bench_graph(&vr, &(sg_cgraph_options){0}, "call graph, all");
    bench_graph(&vr, &(sg_cgraph_options){.node_fraction = 0.005, .edge_fraction = 0.001},
                "call graph, 0.5 % / 0.1 %");
    bench_graph(&vr, &(sg_cgraph_options){.focus = true, .focus_frame = hot, .focus_levels = 2},
                "call graph, 2 levels around one function");
    sg_view_resolved_free(&vr);
}

static void bench_diff_merge(const sg_profile *p, const sg_profile *q)
{
    sg_view_resolved vp, vq;
    check(sg_view_resolve(p, NULL, &vp), "view");
    check(sg_view_resolve(q, NULL, &vq), "view");
    sg_diff d;
    sg_diff_options o = {.limit = 1000};
    bench_clock c = clock_now();
    check(sg_diff_build(&vp, &vq, &o, &d), "diff");
    char line[128];
    snprintf(line, sizeof line, "diff of two profiles, 1000 rows (of %u nodes)",
             p->stacks.count + q->stacks.count);
    report_since(line, c, 300);
    sg_diff_free(&d);
    sg_view_resolved_free(&vp);
    sg_view_resolved_free(&vq);
    const sg_profile *both[2] = {p, q};
    sg_profile *m;
    c = clock_now();
    check(sg_merge(both, NULL, 2, SG_MERGE_TIMES_KEPT, &m), "merge");
    report_since("merge of the two profiles", c, 0);
    sg_profile_free(m);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000;
    uint32_t hot, some;
    bench_clock g = clock_now();
    sg_profile *p = sampled_profile(0x9e3779b97f4a7c15ull, n, &hot);
    printf("sampled profile: %zu samples, %u stack rows, %u frames, %u threads "
           "(generated in %.0f ms)\n",
           p->samples.count, p->stacks.count, p->frames.count, p->threads.count,
           clock_now().wall_ms - g.wall_ms);
    printf("%-52s %9s %8s   %s\n", "query", "wall", "(cpu)", "goal");
    bench_tree(p, NULL, false, "full top-down tree", 300);
    bench_tree(p, NULL, true, "full inverted tree", 300);
    bench_tree_budget(p, 2000);
    bench_ftable(p, "function table");
    sg_view focus = {.focus = true, .focus_frame = hot};
    bench_tree(p, &focus, false, "focus change: focus + top-down tree", 300);
    bool threads[THREADS] = {true, true, false, false, true, false, false, false};
    sg_view filter = {.threads = threads, .flags_set = SG_SAMPLE_ON_CPU};
    bench_tree(p, &filter, false, "filter change: 3 threads, on-CPU + tree", 300);
    bench_butterfly(p, hot, "butterfly of one function", 0);
    bench_timeline(p);
    bench_graphs(p, hot);
    uint32_t unused;
    sg_profile *q = sampled_profile(0x2545f4914f6cdd1dull, n, &unused);
    bench_diff_merge(p, q);
    sg_profile_free(q);
    sg_profile_free(p);

    g = clock_now();
    p = pstats_profile(200000, &some);
    printf("pstats profile: %u functions, %u edges (generated in %.0f ms)\n",
           p->callstats.func_count, p->callstats.edge_count, clock_now().wall_ms - g.wall_ms);
    bench_ftable(p, "pstats function table");
    bench_butterfly(p, some, "pstats callers and callees of one function", 5);
    sg_profile_free(p);

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak RSS %.0f MB (two 10M-sample profiles held at once: %.0f MB of sample columns)\n",
           ru.ru_maxrss / 1024.0, 2.0 * n * 21 / 1e6);
    return 0;
}
