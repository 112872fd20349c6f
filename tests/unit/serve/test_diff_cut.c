/*
 * test_diff_cut.c — the diff's node cut (diff.h min_share), which the
 * server's /api/diff sets to one pixel of its width: on random profiles
 * (analyze_random.h: recursion, several threads, weights), the nodes a cut
 * diff builds are exactly the full diff's nodes of at least that share on
 * either side, with the same numbers, and the function rows do not change.
 * Lives with the server's tests because the server is what relies on it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "analyze/diff.h"
#include "analyze_random.h"

/* The node's path (frame keys, newest first) as text: nodes of two diffs
 * live in different key stack tables, so they are compared by path. */
static void path_text(const sg_diff *d, uint32_t stack, char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (uint32_t s = stack; s != SG_STACK_NONE; s = d->keys->stacks.rows[s].parent) {
        const sg_frame *f = &d->keys->frames.rows[d->keys->stacks.rows[s].frame];
        int n = snprintf(out + used, len - used, "%s/", sg_strings_get(&d->keys->strings, f->name));
        assert_true(n > 0 && (size_t)n < len - used);
        used += (size_t)n;
    }
}

static const sg_diff_row *find_node(const sg_diff *d, const char *path)
{
    char buf[1024];
    for (size_t i = 0; i < d->node_count; i++) {
        path_text(d, d->nodes[i].node, buf, sizeof buf);
        if (strcmp(buf, path) == 0)
            return &d->nodes[i];
    }
    return NULL;
}

static void test_cut_keeps_the_visible_nodes(void **state)
{
    (void)state;
    static const double shares[] = {0.001, 0.01, 0.05, 0.2, 1.0};
    for (uint64_t seed = 1; seed <= 6; seed++) {
        sg_profile *a = rnd_profile(seed, 3000, seed % 2 == 0);
        sg_profile *b = rnd_profile(seed + 100, 2000, true);
        sg_view_resolved va, vb;
        assert_int_equal(sg_view_resolve(a, NULL, &va), 0);
        assert_int_equal(sg_view_resolve(b, NULL, &vb), 0);
        sg_diff full;
        sg_diff_options o = {0};
        assert_int_equal(sg_diff_build(&va, &vb, &o, &full), 0);
        for (size_t k = 0; k < sizeof shares / sizeof *shares; k++) {
            double m = shares[k];
            sg_diff cut;
            sg_diff_options oc = {.min_share = m};
            assert_int_equal(sg_diff_build(&va, &vb, &oc, &cut), 0);
            /* functions: untouched */
            assert_int_equal(cut.function_count, full.function_count);
            assert_memory_equal(cut.functions, full.functions,
                                full.function_count * sizeof *full.functions);
            /* nodes: exactly the full diff's of share >= m on either side */
            size_t expect = 0;
            char path[1024];
            for (size_t i = 0; i < full.node_count; i++) {
                const sg_diff_row *r = &full.nodes[i];
                bool visible = r->frac_total[0] >= m || r->frac_total[1] >= m;
                path_text(&full, r->node, path, sizeof path);
                const sg_diff_row *c = find_node(&cut, path);
                if (!visible) {
                    assert_null(c);
                    continue;
                }
                expect++;
                assert_non_null(c);
                assert_memory_equal(c->total, r->total, sizeof r->total);
                assert_memory_equal(c->self, r->self, sizeof r->self);
                assert_true(c->delta_frac_self == r->delta_frac_self);
            }
            assert_int_equal(cut.node_count, expect);
            /* ...in the full diff's relative order */
            size_t j = 0;
            for (size_t i = 0; i < full.node_count && j < cut.node_count; i++) {
                char p2[1024];
                path_text(&full, full.nodes[i].node, path, sizeof path);
                path_text(&cut, cut.nodes[j].node, p2, sizeof p2);
                j += strcmp(path, p2) == 0;
            }
            assert_int_equal(j, cut.node_count);
            sg_diff_free(&cut);
        }
        sg_diff o_bad;
        sg_diff_options bad = {.min_share = 1.5};
        assert_int_equal(sg_diff_build(&va, &vb, &bad, &o_bad), SG_PROFILE_EINVAL);
        sg_diff_free(&o_bad);
        sg_diff_free(&full);
        sg_view_resolved_free(&va);
        sg_view_resolved_free(&vb);
        sg_profile_free(a);
        sg_profile_free(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cut_keeps_the_visible_nodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
