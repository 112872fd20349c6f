/*
 * test_view.c — views and the queries over them (call tree top-down and
 * inverted, level of detail and expansion, butterfly, treemap, function
 * table and top stacks through a view) against brute-force references on
 * random profiles: each sample's stack is expanded to a frame array, the view's
 * transforms are applied to that array literally (exclude, focus at the
 * oldest occurrence, hide, collapse direct or any recursion), and every answer is
 * recomputed from those arrays. Plus a 10,000-frame stack, and a pstats
 * profile whose butterfly must be its call-statistics edges.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyze/butterfly.h"
#include "analyze/call_tree.h"
#include "analyze/top_stacks.h"
#include "analyze/function_table.h"
#include "analyze/treemap.h"
#include "analyze/view.h"

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
    "/venv/lib/python3.12/site-packages/numpy/core/a.py",
    "/proj/app/x.py",
    "/proj/main.py",
};
#define NFILES   (sizeof FILES / sizeof FILES[0])
#define NFRAMES  10
#define NTHREADS 3
#define MAXDEPTH 12

static sg_profile *random_profile(uint64_t seed, size_t samples, bool sorted)
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
    uint32_t paths[40];
    for (int k = 0; k < 40; k++) {
        sg_frame_line chain[MAXDEPTH];
        uint32_t depth = 1 + below(&r, MAXDEPTH);
        uint32_t pool = 2 + below(&r, NFRAMES - 2); /* small pools recurse a lot */
        for (uint32_t d = 0; d < depth; d++)
            chain[d] = (sg_frame_line){frames[below(&r, pool)], 1 + below(&r, 3)};
        assert_int_equal(
            sg_stacks_intern_chain(&p->stacks, SG_STACK_NONE, chain, depth, NULL, &paths[k]), 0);
    }
    uint64_t t = 0;
    for (size_t s = 0; s < samples; s++) {
        uint32_t stack = below(&r, 15) == 0 ? SG_STACK_NONE : paths[below(&r, 40)];
        t = sorted ? t + below(&r, 3) : below(&r, 1000);
        assert_int_equal(sg_profile_add_sample(p, t, threads[below(&r, NTHREADS)], stack,
                                               (uint8_t)below(&r, 8), 1 + below(&r, 5)),
                         0);
    }
    return p;
}

/* ---- the reference: per-sample stacks, transformed literally ------------ */

typedef struct ref_sample {
    bool kept;
    uint32_t n;
    uint32_t frames[MAXDEPTH + 1]; /* oldest first */
    uint64_t w;
} ref_sample;

static bool ref_hidden(const sg_profile *p, const sg_view *v, uint32_t f)
{
    bool *h = calloc(p->frames.count + 1, 1);
    assert_int_equal(sg_view_hidden_frames(p, v, h), 0);
    bool out = h[f];
    free(h);
    return out;
}

static ref_sample *reference(const sg_profile *p, const sg_view *v)
{
    const sg_samples *s = &p->samples;
    ref_sample *out = calloc(s->count + 1, sizeof *out);
    bool *hid = calloc(p->frames.count + 1, 1);
    for (uint32_t f = 0; f < p->frames.count; f++)
        hid[f] = ref_hidden(p, v, f);
    for (size_t i = 0; i < s->count; i++) {
        ref_sample *o = &out[i];
        o->w = s->weight[i];
        if (v->threads != NULL && !v->threads[s->thread[i]])
            continue;
        if ((s->flags[i] & v->flags_set) != v->flags_set || (s->flags[i] & v->flags_clear))
            continue;
        if (s->time_ns[i] < v->t0_ns || (v->t1_ns != 0 && s->time_ns[i] >= v->t1_ns))
            continue;
        uint32_t full[MAXDEPTH + 1], n = 0;
        for (uint32_t st = s->stack[i]; st != SG_STACK_NONE; st = p->stacks.rows[st].parent)
            full[n++] = p->stacks.rows[st].frame;
        for (uint32_t a = 0; a < n / 2; a++) { /* oldest first */
            uint32_t x = full[a];
            full[a] = full[n - 1 - a];
            full[n - 1 - a] = x;
        }
        bool drop = false;
        for (uint32_t k = 0; k < n; k++)
            drop |= v->exclude && full[k] == v->exclude_frame;
        uint32_t start = 0;
        if (v->focus) {
            while (start < n && full[start] != v->focus_frame)
                start++;
            drop |= start == n;
        }
        if (drop)
            continue;
        o->kept = true;
        for (uint32_t k = start; k < n; k++) {
            uint32_t f = full[k];
            if (hid[f] && !(v->focus && k == start))
                continue;
            if (v->collapse_indirect) { /* cut back to its earlier occurrence */
                uint32_t j = 0;
                while (j < o->n && o->frames[j] != f)
                    j++;
                if (j < o->n) {
                    o->n = j + 1;
                    continue;
                }
            }
            if (v->collapse_recursion && o->n > 0 && o->frames[o->n - 1] == f)
                continue;
            o->frames[o->n++] = f;
        }
    }
    free(hid);
    return out;
}

/* Weight of kept samples whose stack (reversed when inverted) starts with
 * path; *self gets those equal to it. */
static uint64_t ref_prefix(const sg_profile *p, const ref_sample *ref, bool inv,
                           const uint32_t *path, uint32_t len, uint64_t *self)
{
    uint64_t total = 0;
    *self = 0;
    for (size_t i = 0; i < p->samples.count; i++) {
        const ref_sample *r = &ref[i];
        if (!r->kept || r->n < len)
            continue;
        bool ok = true;
        for (uint32_t k = 0; k < len && ok; k++)
            ok = (inv ? r->frames[r->n - 1 - k] : r->frames[k]) == path[k];
        if (!ok)
            continue;
        total += r->w;
        if (r->n == len)
            *self += r->w;
    }
    return total;
}

static uint32_t node_path(const sg_call_tree *t, uint32_t node, uint32_t *path)
{
    uint32_t len = 0;
    for (uint32_t n = node; t->nodes[n].parent != SG_TREE_NONE; n = t->nodes[n].parent)
        path[len++] = t->nodes[n].frame;
    for (uint32_t a = 0; a < len / 2; a++) {
        uint32_t x = path[a];
        path[a] = path[len - 1 - a];
        path[len - 1 - a] = x;
    }
    return len;
}

static void check_conservation(const sg_call_tree *t)
{
    for (uint32_t n = 0; n < t->count; n++) {
        const sg_tree_node *x = &t->nodes[n];
        uint64_t sum = x->self;
        for (uint32_t c = 0; c < x->child_count; c++) {
            const sg_tree_node *ch = &t->nodes[x->first_child + c];
            assert_int_equal(ch->parent, n);
            sum += ch->total;
            if (c > 0 && ch->frame != SG_TREE_OTHER_FRAME)
                assert_true(t->nodes[x->first_child + c - 1].total >= ch->total);
        }
        assert_int_equal(sum, x->total);
    }
}

static void check_tree(const sg_profile *p, const sg_view_resolved *rv, const ref_sample *ref,
                       bool inv)
{
    sg_call_tree t;
    assert_int_equal(sg_call_tree_build(rv, inv, NULL, 0, NULL, &t), 0);
    check_conservation(&t);
    uint32_t path[MAXDEPTH + 2];
    for (uint32_t n = 0; n < t.count; n++) {
        assert_true(t.nodes[n].frame != SG_TREE_OTHER_FRAME);
        uint32_t len = node_path(&t, n, path);
        uint64_t self;
        uint64_t total = ref_prefix(p, ref, inv, path, len, &self);
        assert_int_equal(t.nodes[n].total, total);
        assert_int_equal(t.nodes[n].self, self);
    }
    /* level of detail: budgets, "other", expansion */
    rng r = {t.count * 7919 + 1};
    for (int round = 0; round < 6 && t.count > 0; round++) {
        sg_tree_budget b = {.max_nodes = below(&r, 20),
                            .min_weight = below(&r, 3) * t.total_weight / 50};
        sg_call_tree l;
        assert_int_equal(sg_call_tree_build(rv, inv, NULL, 0, &b, &l), 0);
        check_conservation(&l);
        if (b.max_nodes != 0)
            assert_true(l.count <= (b.max_nodes < 2 ? 2 : b.max_nodes));
        for (uint32_t n = 1; n < l.count; n++) {
            if (l.nodes[n].frame == SG_TREE_OTHER_FRAME) {
                assert_int_equal(l.nodes[n].child_count, 0);
                continue;
            }
            assert_true(l.nodes[n].total >= b.min_weight);
            uint32_t len = node_path(&l, n, path);
            uint64_t self;
            assert_int_equal(l.nodes[n].total, ref_prefix(p, ref, inv, path, len, &self));
        }
        /* expand a random node of the full tree: its subtree, rooted */
        uint32_t pick = below(&r, t.count);
        uint32_t len = node_path(&t, pick, path);
        sg_call_tree e;
        assert_int_equal(sg_call_tree_build(rv, inv, path, len, NULL, &e), 0);
        assert_true(e.count >= 1);
        assert_int_equal(e.nodes[0].total, t.nodes[pick].total);
        assert_int_equal(e.nodes[0].self, t.nodes[pick].self);
        assert_int_equal(e.nodes[0].child_count, t.nodes[pick].child_count);
        check_conservation(&e);
        sg_call_tree_free(&e);
        sg_call_tree_free(&l);
    }
    sg_call_tree_free(&t);
}

static void check_function_table(const sg_profile *p, const sg_view *v, const ref_sample *ref)
{
    sg_ftable t;
    sg_ftable_options o = {.view = v};
    assert_int_equal(sg_ftable_build(p, &o, &t), 0);
    for (size_t i = 0; i < t.count; i++) {
        uint32_t f = t.rows[i].frame;
        uint64_t self = 0, total = 0;
        for (size_t s = 0; s < p->samples.count; s++) {
            const ref_sample *r = &ref[s];
            if (!r->kept || r->n == 0)
                continue;
            self += r->frames[r->n - 1] == f ? r->w : 0;
            bool in = false;
            for (uint32_t k = 0; k < r->n; k++)
                in |= r->frames[k] == f;
            total += in ? r->w : 0;
        }
        assert_int_equal(t.rows[i].self, self);
        assert_int_equal(t.rows[i].total, total);
    }
    sg_ftable_free(&t);
}

static void check_butterfly(const sg_profile *p, const sg_view_resolved *rv, const ref_sample *ref)
{
    for (uint32_t f = 0; f < p->frames.count; f++) {
        sg_butterfly b;
        assert_int_equal(sg_butterfly_build(rv, NULL, f, &b), 0);
        /* every (caller, callee) candidate, brute force */
        for (uint32_t side = 0; side < 2; side++) {
            uint32_t listed = 0;
            for (uint32_t o = 0; o <= p->frames.count; o++) {
                uint32_t other = o == p->frames.count ? SG_BFLY_ROOT : o;
                if (side == 1 && other == SG_BFLY_ROOT)
                    continue;
                uint64_t w = 0;
                for (size_t s = 0; s < p->samples.count; s++) {
                    const ref_sample *r = &ref[s];
                    bool hit = false;
                    for (uint32_t k = 0; r->kept && k < r->n && !hit; k++) {
                        if (side == 0)
                            hit = r->frames[k] == f &&
                                  (k == 0 ? other == SG_BFLY_ROOT : r->frames[k - 1] == other);
                        else
                            hit = r->frames[k] == f && k + 1 < r->n && r->frames[k + 1] == other;
                    }
                    w += hit ? r->w : 0;
                }
                const sg_bfly_edge *list = side == 0 ? b.callers : b.callees;
                uint32_t count = side == 0 ? b.caller_count : b.callee_count;
                uint64_t got = 0;
                for (uint32_t i = 0; i < count; i++)
                    if (list[i].frame == other)
                        got = list[i].weight;
                assert_int_equal(got, w);
                listed += w != 0;
            }
            assert_int_equal(listed, side == 0 ? b.caller_count : b.callee_count);
        }
        sg_butterfly_free(&b);
    }
}

static void check_treemap(const sg_profile *p, const sg_view_resolved *rv, const ref_sample *ref)
{
    sg_treemap m;
    assert_int_equal(sg_treemap_build(rv, &m), 0);
    uint64_t sum_pkg = 0;
    for (uint32_t i = 0; i < m.count; i++) {
        const sg_treemap_cell *c = &m.cells[i];
        if (c->level == SG_TREEMAP_PACKAGE)
            sum_pkg += c->self;
        uint64_t kids = 0;
        bool any = false;
        for (uint32_t j = i + 1; j < m.count; j++)
            if (m.cells[j].parent == i) {
                kids += m.cells[j].self;
                any = true;
            }
        if (c->level != SG_TREEMAP_FUNCTION) {
            assert_true(any);
            assert_int_equal(kids, c->self);
            continue;
        }
        uint64_t self = 0;
        for (size_t s = 0; s < p->samples.count; s++)
            if (ref[s].kept && ref[s].n > 0 && ref[s].frames[ref[s].n - 1] == c->frame)
                self += ref[s].w;
        assert_int_equal(c->self, self);
    }
    assert_int_equal(sum_pkg, rv->total_weight - rv->empty_weight);
    sg_treemap_free(&m);
}

/* sg_top_stacks_view against per-row sums made sample by sample through
 * sg_view_sample_stack, ordered by brute force. */
static void check_top_stacks(const sg_profile *p, const sg_view_resolved *rv)
{
    uint32_t n = rv->stacks->count;
    uint64_t *w = calloc(n + 1, sizeof *w), *c = calloc(n + 1, sizeof *c);
    for (size_t i = rv->first; i < rv->last; i++) {
        uint32_t st = sg_view_sample_stack(rv, i);
        if (st == SG_VIEW_DROPPED || st == SG_STACK_NONE)
            continue;
        w[st] += p->samples.weight[i];
        c[st]++;
    }
    sg_top_stack *top;
    size_t k;
    assert_int_equal(sg_top_stacks_view(rv, 7, &top, &k), 0);
    size_t listed = 0;
    for (uint32_t r = 0; r < n; r++)
        listed += c[r] != 0;
    assert_int_equal(k, listed < 7 ? listed : 7);
    for (size_t i = 0; i < k; i++) {
        uint32_t r = top[i].stack;
        assert_int_equal(top[i].weight, w[r]);
        assert_int_equal(top[i].samples, c[r]);
        size_t before = 0; /* rows that must come first */
        for (uint32_t o = 0; o < n; o++)
            before += c[o] != 0 && (w[o] > w[r] || (w[o] == w[r] && o < r));
        assert_int_equal(before, i);
    }
    free(top);
    free(w);
    free(c);
}

static void check_view(const sg_profile *p, const sg_view *v)
{
    ref_sample *ref = reference(p, v);
    sg_view_resolved rv;
    assert_int_equal(sg_view_resolve(p, v, &rv), 0);
    uint64_t total = 0;
    for (size_t i = 0; i < p->samples.count; i++)
        total += ref[i].kept ? ref[i].w : 0;
    assert_int_equal(rv.total_weight, total);
    check_tree(p, &rv, ref, false);
    check_tree(p, &rv, ref, true);
    check_function_table(p, v, ref);
    check_butterfly(p, &rv, ref);
    check_treemap(p, &rv, ref);
    check_top_stacks(p, &rv);
    sg_view_resolved_free(&rv);
    free(ref);
}

static sg_view random_view(rng *r, bool *threads)
{
    sg_view v = {0};
    static const char *const hide_pkg[] = {"numpy"};
    if (below(r, 2)) {
        v.t0_ns = below(r, 300);
        v.t1_ns = below(r, 3) == 0 ? 0 : v.t0_ns + below(r, 700);
    }
    if (below(r, 2)) {
        for (int t = 0; t < NTHREADS; t++)
            threads[t] = below(r, 2);
        v.threads = threads;
    }
    v.flags_set = below(r, 3) == 0 ? SG_SAMPLE_ON_CPU : 0;
    v.flags_clear = below(r, 3) == 0 ? SG_SAMPLE_IDLE : 0;
    v.exclude = below(r, 4) == 0;
    v.exclude_frame = below(r, NFRAMES);
    v.focus = below(r, 3) == 0;
    v.focus_frame = below(r, NFRAMES);
    v.hide_regex = below(r, 4) == 0 ? "^fn[13] " : NULL;
    v.hide_kinds = below(r, 4) == 0 ? SG_VIEW_HIDE_KIND(SG_PACKAGE_STDLIB) : 0;
    if (below(r, 5) == 0) {
        v.hide_packages = hide_pkg;
        v.hide_package_count = 1;
    }
    v.collapse_recursion = below(r, 2);
    v.collapse_indirect = below(r, 4) == 0;
    return v;
}

static void analyze_view_random(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 60; seed++) {
        sg_profile *p = random_profile(seed * 2654435761u, 150, seed % 3 != 0);
        rng r = {seed * 77 + 5};
        bool threads[NTHREADS];
        sg_view whole = {0};
        check_view(p, &whole);
        for (int k = 0; k < 6; k++) {
            sg_view v = random_view(&r, threads);
            check_view(p, &v);
        }
        sg_profile_free(p);
    }
}

static void analyze_view_errors(void **state)
{
    (void)state;
    sg_profile *p = random_profile(9, 10, true);
    sg_view_resolved rv;
    sg_view bad = {.hide_regex = "(("};
    assert_int_equal(sg_view_resolve(p, &bad, &rv), SG_PROFILE_EINVAL);
    sg_view_resolved_free(&rv);
    sg_view bad2 = {.focus = true, .focus_frame = 1000};
    assert_int_equal(sg_view_resolve(p, &bad2, &rv), SG_PROFILE_EINVAL);
    sg_view_resolved_free(&rv);
    sg_view bad3 = {.flags_set = 0x80};
    assert_int_equal(sg_view_resolve(p, &bad3, &rv), SG_PROFILE_EINVAL);
    sg_view_resolved_free(&rv);
    /* a path that is not in the tree: an empty answer */
    assert_int_equal(sg_view_resolve(p, NULL, &rv), 0);
    sg_call_tree t;
    uint32_t path[2] = {0, 1000};
    assert_int_equal(sg_call_tree_build(&rv, false, path, 2, NULL, &t), 0);
    assert_int_equal(t.count, 0);
    sg_call_tree_free(&t);
    sg_view_resolved_free(&rv);
    /* a focus on a frame no sample has: empty trees, both ways round */
    uint32_t unseen;
    assert_int_equal(sg_profile_intern_frame(p, "unseen.py", 9, "never", 5, 1, &unseen), 0);
    sg_view none = {.focus = true, .focus_frame = unseen};
    assert_int_equal(sg_view_resolve(p, &none, &rv), 0);
    for (int inv = 0; inv < 2; inv++) {
        assert_int_equal(sg_call_tree_build(&rv, inv, NULL, 0, NULL, &t), 0);
        assert_true(t.count <= 1);
        for (size_t i = 0; i < t.count; i++)
            assert_int_equal(t.nodes[i].total, 0);
        sg_call_tree_free(&t);
    }
    sg_view_resolved_free(&rv);
    sg_profile_free(p);
}

/* A 10,000-frame stack: a -> b -> a -> b ..., no recursion on depth. */
static void analyze_view_deep(void **state)
{
    (void)state;
    enum { DEPTH = 10000 };
    sg_profile *p = sg_profile_new();
    uint32_t thread, fa, fb;
    assert_int_equal(sg_profile_intern_thread(p, 1, "main", &thread), 0);
    assert_int_equal(sg_profile_intern_frame(p, "/a.py", 5, "a", 1, 1, &fa), 0);
    assert_int_equal(sg_profile_intern_frame(p, "/b.py", 5, "b", 1, 1, &fb), 0);
    sg_frame_line *chain = malloc(DEPTH * sizeof *chain);
    for (int i = 0; i < DEPTH; i++)
        chain[i] = (sg_frame_line){i % 3 == 2 ? fb : fa, 1};
    uint32_t leaf;
    assert_int_equal(sg_stacks_intern_chain(&p->stacks, SG_STACK_NONE, chain, DEPTH, NULL, &leaf),
                     0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(sg_profile_add_sample(p, (uint64_t)i, thread, leaf, 1, 2), 0);
    for (int collapse = 0; collapse < 2; collapse++) {
        sg_view v = {.collapse_recursion = collapse, .focus = collapse, .focus_frame = fb};
        sg_view_resolved rv;
        assert_int_equal(sg_view_resolve(p, &v, &rv), 0);
        for (int inv = 0; inv < 2; inv++) {
            sg_call_tree t;
            assert_int_equal(sg_call_tree_build(&rv, inv, NULL, 0, NULL, &t), 0);
            check_conservation(&t);
            /* a a b repeated: focused at the first b and collapsed, b (a b)x3332 a
             * is 6666 frames; else all 10,000; plus the root */
            uint32_t want = collapse ? 1 + 6666 : 1 + DEPTH;
            assert_int_equal(t.count, want);
            assert_int_equal(t.nodes[0].total, 10);
            sg_call_tree_free(&t);
            sg_tree_budget b = {.max_nodes = 100};
            assert_int_equal(sg_call_tree_build(&rv, inv, NULL, 0, &b, &t), 0);
            assert_true(t.count <= 100);
            check_conservation(&t);
            sg_call_tree_free(&t);
        }
        sg_butterfly bf;
        assert_int_equal(sg_butterfly_build(&rv, NULL, fa, &bf), 0);
        assert_int_equal(bf.total, 10);
        sg_butterfly_free(&bf);
        sg_view_resolved_free(&rv);
    }
    free(chain);
    sg_profile_free(p);
}

/* A pstats-shaped profile: the butterfly is its edges, exactly. */
static void analyze_butterfly_pstats(void **state)
{
    (void)state;
    sg_profile *p = sg_profile_new();
    p->meta.has_stacks = false;
    uint32_t f[6];
    for (int i = 0; i < 6; i++) {
        char name[8];
        snprintf(name, sizeof name, "g%d", i);
        assert_int_equal(sg_profile_intern_frame(p, "/m.py", 5, name, strlen(name), 1, &f[i]), 0);
        sg_call_numbers n = {1 + (uint64_t)i, 2 + (uint64_t)i, 100 * (uint64_t)i, 1000};
        assert_int_equal(sg_callstats_add_func(&p->callstats, f[i], &n, NULL), 0);
    }
    for (int a = 0; a < 6; a++)
        for (int b = 0; b < 6; b++)
            if ((a * 7 + b * 3) % 4 == 0) {
                sg_call_numbers n = {1, (uint64_t)(a + b + 1), 10, 50 * (uint64_t)(a + 1)};
                assert_int_equal(sg_callstats_add_edge(&p->callstats, f[a], f[b], 0, &n, NULL), 0);
            }
    sg_bfly_index x;
    assert_int_equal(sg_bfly_index_build(p, &x), 0);
    sg_view_resolved rv;
    assert_int_equal(sg_view_resolve(p, NULL, &rv), 0);
    for (int i = 0; i < 6; i++) {
        for (int with_index = 0; with_index < 2; with_index++) {
            sg_butterfly b;
            assert_int_equal(sg_butterfly_build(&rv, with_index ? &x : NULL, f[i], &b), 0);
            assert_true(b.from_pstats);
            assert_int_equal(b.self, 100 * (uint64_t)i);
            assert_int_equal(b.total, 1000);
            uint32_t nc = 0, ne = 0;
            for (uint32_t e = 0; e < p->callstats.edge_count; e++) {
                const sg_callstats_edge *ed = &p->callstats.edges[e];
                for (int side = 0; side < 2; side++) {
                    if ((side == 0 ? ed->callee : ed->caller) != f[i])
                        continue;
                    uint32_t other = side == 0 ? ed->caller : ed->callee;
                    const sg_bfly_edge *list = side == 0 ? b.callers : b.callees;
                    uint32_t count = side == 0 ? b.caller_count : b.callee_count;
                    bool found = false;
                    for (uint32_t k = 0; k < count; k++)
                        if (list[k].frame == other) {
                            found = true;
                            assert_int_equal(list[k].n.nc, ed->n.nc);
                            assert_int_equal(list[k].weight, ed->n.ct_ns);
                        }
                    assert_true(found);
                    *(side == 0 ? &nc : &ne) += 1;
                }
            }
            assert_int_equal(nc, b.caller_count);
            assert_int_equal(ne, b.callee_count);
            sg_butterfly_free(&b);
        }
    }
    sg_view_resolved_free(&rv);
    sg_bfly_index_free(&x);
    sg_profile_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(analyze_view_random),
        cmocka_unit_test(analyze_view_errors),
        cmocka_unit_test(analyze_view_deep),
        cmocka_unit_test(analyze_butterfly_pstats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
