/*
 * analyze.c — bench-analyze: times the src/analyze queries on generated
 * profiles and prints each figure beside its goal from issue 4.
 *
 *   sampled: 10,000,000 samples, 50,000 distinct leaf stacks (shared
 *            prefixes, depth 8..64), 8 threads, random state flags;
 *   pstats:  200,000 functions, 5 caller edges each on average.
 *
 * One function per query (bench_*), each printing one line; a new query
 * adds a function and a call in main. Generation is deterministic (a fixed
 * xorshift seed) and not timed. Usage: bench-analyze [samples]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "analyze/butterfly.h"
#include "analyze/call_tree.h"
#include "analyze/function_table.h"
#include "analyze/view.h"

/* ---- generated profiles -------------------------------------------------- */

static sg_profile *sampled_profile(size_t nsamples, uint32_t *hot_frame)
{
    rng r = {0x9e3779b97f4a7c15ull};
    sg_profile *p = sg_profile_new();
    enum { FRAMES = 5000, LEAVES = 50000, THREADS = 8 };
    uint32_t frames[FRAMES], threads[THREADS];
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
        /* a few hundred "spines" share their top; below, random frames */
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
        uint32_t leaf = leaves[a < b ? a : b]; /* skewed: low ids are hot */
        check(sg_samples_append(&p->samples, i / THREADS * 1000000, threads[i % THREADS], leaf,
                                (uint8_t)below(&r, 8), 1),
              "sample");
    }
    *hot_frame = frames[(3 * 7 + 2 * 13) % 64];
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

/* ---- one function per query ---------------------------------------------- */

static void bench_tree(const sg_profile *p, const sg_view *v, bool inverted, const char *what,
                       double goal)
{
    double t0 = now_ms();
    sg_view_resolved rv;
    check(sg_view_resolve(p, v, &rv), "resolve");
    double t1 = now_ms();
    sg_call_tree t;
    check(sg_call_tree_build(&rv, inverted, NULL, 0, NULL, &t), "tree");
    double t2 = now_ms();
    char line[128];
    snprintf(line, sizeof line, "%s (%u nodes)", what, t.count);
    report(line, t2 - t0, goal);
    printf("    of which resolve %.1f ms, tree %.1f ms\n", t1 - t0, t2 - t1);
    sg_call_tree_free(&t);
    sg_view_resolved_free(&rv);
}

static void bench_tree_budget(const sg_profile *p, uint32_t width_px)
{
    double t0 = now_ms();
    sg_view_resolved rv;
    check(sg_view_resolve(p, NULL, &rv), "resolve");
    sg_tree_budget b = {.max_nodes = 20000, .min_weight = rv.total_weight / width_px};
    sg_call_tree t;
    check(sg_call_tree_build(&rv, false, NULL, 0, &b, &t), "tree");
    char line[128];
    snprintf(line, sizeof line, "top-down tree, %u px budget (%u nodes)", width_px, t.count);
    report(line, now_ms() - t0, 300);
    sg_call_tree_free(&t);
    sg_view_resolved_free(&rv);
}

static void bench_ftable(const sg_profile *p, const char *what)
{
    double t0 = now_ms();
    sg_ftable t;
    sg_ftable_options o = {.by = SG_FTABLE_BY_FUNCTION};
    check(sg_ftable_build(p, &o, &t), "function table");
    char line[128];
    snprintf(line, sizeof line, "%s (%zu rows)", what, t.count);
    report(line, now_ms() - t0, 200);
    sg_ftable_free(&t);
}

static void bench_butterfly(const sg_profile *p, uint32_t frame, const char *what)
{
    sg_view_resolved rv;
    check(sg_view_resolve(p, NULL, &rv), "resolve");
    sg_bfly_index x;
    double t0 = now_ms();
    check(sg_bfly_index_build(p, &x), "index");
    double t1 = now_ms();
    sg_butterfly b;
    check(sg_butterfly_build(&rv, &x, frame, &b), "butterfly");
    double t2 = now_ms();
    char line[128];
    snprintf(line, sizeof line, "%s (%u callers, %u callees)", what, b.caller_count,
             b.callee_count);
    report(line, t2 - t1, 5);
    if (!b.from_pstats)
        printf("    (on a resolved view; resolving it is the sample pass above)\n");
    else
        printf("    edge index, built once per profile: %.1f ms\n", t1 - t0);
    sg_butterfly_free(&b);
    sg_bfly_index_free(&x);
    sg_view_resolved_free(&rv);
}

int main(int argc, char **argv)
{
    size_t nsamples = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000;
    uint32_t hot;
    double g0 = now_ms();
    sg_profile *p = sampled_profile(nsamples, &hot);
    printf("sampled profile: %zu samples, %u stack rows, %u frames, 8 threads "
           "(generated in %.0f ms)\n",
           p->samples.count, p->stacks.count, p->frames.count, now_ms() - g0);
    bench_tree(p, NULL, false, "full top-down tree", 300);
    bench_tree(p, NULL, true, "full inverted tree", 300);
    bench_tree_budget(p, 2000);
    bench_ftable(p, "function table");
    sg_view focus = {.focus = true, .focus_frame = hot};
    bench_tree(p, &focus, false, "focus change: focus + top-down tree", 300);
    bool threads[8] = {true, true, false, false, true, false, false, false};
    sg_view filter = {.threads = threads, .flags_set = SG_SAMPLE_ON_CPU};
    bench_tree(p, &filter, false, "filter change: 3 threads, on-CPU + tree", 300);
    bench_butterfly(p, hot, "butterfly of one function");
    sg_profile_free(p);

    uint32_t some;
    g0 = now_ms();
    p = pstats_profile(200000, &some);
    printf("pstats profile: %u functions, %u edges (generated in %.0f ms)\n",
           p->callstats.func_count, p->callstats.edge_count, now_ms() - g0);
    bench_ftable(p, "pstats function table");
    bench_butterfly(p, some, "pstats callers and callees of one function");
    sg_profile_free(p);
    return 0;
}
