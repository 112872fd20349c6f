/*
 * test_forest.c — the building blocks under the fast queries, against
 * brute force on random stack tables:
 *   - stack_forest's once-per-sample totals (profile/stack_forest.h) on
 *     tables interned in three row orders: chain by chain (as a recorder
 *     interns: the scan in id order), breadth first (every row jumps to
 *     another branch), and breadth first with deep chains (the jumps cost
 *     more than the scan's budget: the children-list walk takes over);
 *   - path_index (two rows share a path iff their frame keys from the
 *     root are equal, lines ignored; parents numbered first);
 *   - radix_sort (the order of qsort, ids moving with their keys).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyze/path_index.h"
#include "analyze/radix_sort.h"
#include "profile/stack_forest.h"
#include "profile/stack_table.h"
#include "profile/status.h"

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

enum { ORDER_CHAINS, ORDER_BREADTH };

/* chains[k] has len[k] frames (random from a small pool, so they recurse
 * and share prefixes); interned in the given order. leaf[k] = its row. */
static void build(sg_stacks *st, rng *r, uint32_t nchains, uint32_t maxlen, uint32_t pool,
                  int order, uint32_t *leaf)
{
    uint32_t *len = malloc(nchains * sizeof *len);
    sg_frame_line *chain = malloc((size_t)nchains * maxlen * sizeof *chain);
    for (uint32_t k = 0; k < nchains; k++) {
        len[k] = 1 + below(r, maxlen);
        for (uint32_t d = 0; d < len[k]; d++)
            chain[(size_t)k * maxlen + d] = (sg_frame_line){below(r, pool), 1 + below(r, 3)};
    }
    assert_int_equal(sg_stacks_init(st), 0);
    if (order == ORDER_CHAINS) {
        for (uint32_t k = 0; k < nchains; k++)
            assert_int_equal(sg_stacks_intern_chain(st, SG_STACK_NONE, &chain[(size_t)k * maxlen],
                                                    len[k], NULL, &leaf[k]),
                             0);
    } else {
        for (uint32_t k = 0; k < nchains; k++)
            leaf[k] = SG_STACK_NONE;
        for (uint32_t d = 0; d < maxlen; d++)
            for (uint32_t k = 0; k < nchains; k++)
                if (d < len[k]) {
                    const sg_frame_line *f = &chain[(size_t)k * maxlen + d];
                    assert_int_equal(sg_stacks_intern(st, leaf[k], f->frame, f->line, &leaf[k]), 0);
                }
    }
    free(len);
    free(chain);
}

static void check_totals(uint64_t seed, uint32_t nchains, uint32_t maxlen, int order)
{
    rng r = {seed};
    sg_stacks st;
    uint32_t *leaf = malloc(nchains * sizeof *leaf);
    uint32_t pool = 2 + below(&r, 9);
    build(&st, &r, nchains, maxlen, pool, order, leaf);
    uint32_t n = st.count;
    uint64_t *self[2] = {calloc(n, sizeof(uint64_t)), calloc(n, sizeof(uint64_t))};
    for (uint32_t k = 0; k < nchains; k++) { /* weights on leaves and some inner rows */
        self[0][leaf[k]] += 1 + below(&r, 5);
        self[1][below(&r, n)] += below(&r, 2);
    }
    uint32_t *key = malloc(n * sizeof *key);
    for (uint32_t i = 0; i < n; i++) /* a few rows with no key */
        key[i] = below(&r, 10) == 0 ? SG_FOREST_NO_KEY : st.rows[i].frame;
    uint64_t *got[2] = {calloc(pool, sizeof(uint64_t)), calloc(pool, sizeof(uint64_t))};
    uint64_t *want[2] = {calloc(pool, sizeof(uint64_t)), calloc(pool, sizeof(uint64_t))};
    const uint64_t *cself[2] = {self[0], self[1]};
    assert_int_equal(sg_stack_forest_totals(&st, key, pool, 2, cself, got), 0);
    bool *seen = malloc(pool * sizeof *seen);
    for (uint32_t row = 0; row < n; row++) { /* each row's weight, once per key on its path */
        memset(seen, 0, pool * sizeof *seen);
        for (uint32_t a = row; a != SG_STACK_NONE; a = st.rows[a].parent)
            if (key[a] != SG_FOREST_NO_KEY && !seen[key[a]]) {
                seen[key[a]] = true;
                want[0][key[a]] += self[0][row];
                want[1][key[a]] += self[1][row];
            }
    }
    for (uint32_t k = 0; k < pool; k++) {
        assert_int_equal(got[0][k], want[0][k]);
        assert_int_equal(got[1][k], want[1][k]);
    }
    free(seen);
    for (int c = 0; c < 2; c++) {
        free(self[c]);
        free(got[c]);
        free(want[c]);
    }
    free(key);
    free(leaf);
    sg_stacks_free(&st);
}

static void forest_orders(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 40; seed++) {
        check_totals(seed * 7919, 30, 12, ORDER_CHAINS);
        check_totals(seed * 7919 + 1, 30, 12, ORDER_BREADTH);
    }
    /* deep chains breadth first: re-entering costs ~ chains × depth² / 2,
     * far past the scan's budget, so the children-list walk answers */
    check_totals(99, 60, 400, ORDER_BREADTH);
    check_totals(98, 60, 400, ORDER_CHAINS);
}

/* The frames from the root to row r, into f; returns the count. */
static uint32_t frames_of(const sg_stacks *st, uint32_t r, const uint32_t *map, uint32_t *f)
{
    uint32_t n = 0;
    for (; r != SG_STACK_NONE; r = st->rows[r].parent)
        f[n++] = map == NULL ? st->rows[r].frame : map[st->rows[r].frame];
    return n;
}

static void path_index_matches_paths(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        rng r = {seed * 104729};
        sg_stacks a, b;
        uint32_t leaf[40];
        build(&a, &r, 40, 10, 6, seed % 2 ? ORDER_CHAINS : ORDER_BREADTH, leaf);
        build(&b, &r, 40, 10, 6, ORDER_CHAINS, leaf);
        uint32_t map[6] = {0, 1, 2, 2, 4, 5}; /* side b: frames 2 and 3 share a key */
        uint32_t *pa = malloc(a.count * sizeof *pa), *pb = malloc(b.count * sizeof *pb);
        sg_path_index ix = {0};
        assert_int_equal(sg_path_index_add(&ix, &a, NULL, pa), 0);
        assert_int_equal(sg_path_index_add(&ix, &b, map, pb), 0);
        for (uint32_t p = 0; p < ix.count; p++)
            assert_true(ix.parent[p] == SG_PATH_NONE || ix.parent[p] < p);
        uint32_t fx[16], fy[16];
        for (uint32_t i = 0; i < a.count + b.count; i++)
            for (uint32_t j = 0; j < a.count + b.count; j++) {
                bool xa = i < a.count, ya = j < a.count;
                const sg_stacks *sx = xa ? &a : &b, *sy = ya ? &a : &b;
                uint32_t rx = xa ? i : i - a.count, ry = ya ? j : j - a.count;
                uint32_t nx = frames_of(sx, rx, xa ? NULL : map, fx);
                uint32_t ny = frames_of(sy, ry, ya ? NULL : map, fy);
                bool same = nx == ny && memcmp(fx, fy, nx * sizeof *fx) == 0;
                uint32_t px = xa ? pa[rx] : pb[rx], py = ya ? pa[ry] : pb[ry];
                assert_int_equal(same, px == py);
            }
        free(pa);
        free(pb);
        sg_path_index_free(&ix);
        sg_stacks_free(&a);
        sg_stacks_free(&b);
    }
}

static int by_key(const void *x, const void *y)
{
    const uint64_t *a = x, *b = y; /* [0] key, [1] original position */
    if (a[0] != b[0])
        return a[0] < b[0] ? -1 : 1;
    return (a[1] > b[1]) - (a[1] < b[1]);
}

static void radix_sort_orders(void **state)
{
    (void)state;
    rng r = {12345};
    for (int round = 0; round < 30; round++) {
        size_t n = below(&r, 3000);
        unsigned shift = below(&r, 60);
        uint64_t *keys = malloc((n + 1) * sizeof *keys);
        uint32_t *ids = malloc((n + 1) * sizeof *ids);
        uint64_t(*ref)[2] = malloc((n + 1) * sizeof *ref);
        for (size_t i = 0; i < n; i++) {
            keys[i] = ((uint64_t)below(&r, 1u << 20) << shift) ^ below(&r, 4); /* many ties */
            ids[i] = (uint32_t)i;
            ref[i][0] = keys[i];
            ref[i][1] = i;
        }
        assert_int_equal(sg_radix_sort_u64(keys, ids, n), 0);
        qsort(ref, n, sizeof *ref, by_key);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(keys[i], ref[i][0]);
            assert_int_equal(ids[i], ref[i][1]); /* stable */
        }
        free(keys);
        free(ids);
        free(ref);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(forest_orders),
        cmocka_unit_test(path_index_matches_paths),
        cmocka_unit_test(radix_sort_orders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
