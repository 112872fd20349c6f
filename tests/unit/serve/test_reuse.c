/*
 * test_reuse.c — what the server recycles between requests and what it
 * no longer keeps: the answer buffer pool (serve/bufpool.h) hands back
 * what was given within its bounds; the timeline scratch pool
 * (serve/tlpool.h) gives a used scratch that yields the same timeline as a
 * fresh one; the answer cache keeps a large answer only from its second
 * computation on, still answering the first and its waiters, returns a
 * pooled buffer on release and moves a small kept answer out of it; and
 * the CRC-32C of the upload scan equals the table form on random bytes.
 */
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyze/timeline.h"
#include "profile/crc32c.h"
#include "serve/answer_cache.h"
#include "serve/bufpool.h"
#include "serve/tlpool.h"

static void test_bufpool_recycles_within_bounds(void **state)
{
    (void)state;
    sg_bufpool *p = sg_bufpool_new(256 << 10, 3 << 20);
    assert_non_null(p);
    size_t cap;
    assert_null(sg_bufpool_take(p, &cap)); /* empty */
    assert_int_equal(cap, 0);
    char *small = malloc(1000), *big = malloc(1 << 20), *big2 = malloc(1 << 20),
         *big3 = malloc(2 << 20);
    sg_bufpool_put(p, small); /* below the minimum: freed */
    assert_int_equal(sg_bufpool_bytes(p), 0);
    sg_bufpool_put(p, big);
    sg_bufpool_put(p, big2);
    size_t held = sg_bufpool_bytes(p);
    assert_true(held >= 2u << 20);
    sg_bufpool_put(p, big3); /* over max_bytes: freed */
    assert_int_equal(sg_bufpool_bytes(p), held);
    char *t = sg_bufpool_take(p, &cap); /* the last given back first */
    assert_ptr_equal(t, big2);
    assert_int_equal(cap, malloc_usable_size(big2));
    sg_jbuf b;
    sg_jbuf_init(&b);
    sg_bufpool_jbuf(p, &b); /* a jbuf starting in the pooled buffer */
    assert_ptr_equal(b.data, big);
    sg_jbuf_puts(&b, "{\"x\":1}");
    assert_string_equal(b.data, "{\"x\":1}");
    assert_int_equal(sg_bufpool_bytes(p), 0);
    sg_bufpool_put(p, t);
    sg_bufpool_put(p, sg_jbuf_take(&b, NULL));
    sg_bufpool_put(NULL, malloc(10)); /* no pool: freed */
    sg_bufpool_free(p);               /* frees what it holds */
}

/* A synthetic answer of n bytes of 'x' in a buffer of cap bytes. */
static sg_answer *answer_of(size_t n, size_t cap, sg_bufpool *pool)
{
    char *d = malloc(cap);
    assert_non_null(d);
    memset(d, 'x', n);
    d[n] = '\0';
    sg_answer *a = sg_answer_adopt(200, d, n);
    assert_non_null(a);
    a->pool = pool;
    return a;
}

static void test_large_answers_kept_from_the_second_computation(void **state)
{
    (void)state;
    sg_bufpool *pool = sg_bufpool_new(256 << 10, 64 << 20);
    sg_acache *c = sg_acache_new((size_t)256 << 20);
    const char *key = "timeline\nid\n\nt0=1&t1=2";
    size_t big = SG_ACACHE_ONCE_BYTES + 10;
    for (int round = 0; round < 3; round++) {
        sg_answer *a;
        sg_flight *f;
        int rc = sg_acache_begin(c, key, strlen(key), "id", NULL, &a, &f);
        if (round < 2) { /* first: not kept; second: computed again, kept */
            assert_int_equal(rc, SG_ACACHE_COMPUTE);
            a = answer_of(big, big + 1, pool);
            sg_acache_finish(c, f, a);
        } else
            assert_int_equal(rc, SG_ACACHE_HIT);
        assert_int_equal(a->len, big);
        assert_int_equal(a->data[0], 'x');
        sg_answer_release(a);
        sg_acache_stats st;
        sg_acache_get_stats(c, &st);
        assert_int_equal(st.once, 1);
        assert_int_equal(st.entries, round == 0 ? 0 : 1);
        /* round 0: the not-kept answer's buffer went back to the pool */
        if (round == 0)
            assert_true(sg_bufpool_bytes(pool) >= big);
    }
    /* a small answer in a large pooled buffer: kept in a block of its own
     * size, the buffer back in the pool */
    size_t cap;
    char *buf = sg_bufpool_take(pool, &cap);
    assert_non_null(buf);
    free(buf);
    sg_answer *a;
    sg_flight *f;
    assert_int_equal(sg_acache_begin(c, "tree", 4, "id", NULL, &a, &f), SG_ACACHE_COMPUTE);
    a = answer_of(100, 4 << 20, pool);
    sg_acache_finish(c, f, a);
    assert_null(a->pool);
    assert_true(malloc_usable_size(a->data) < 4096);
    assert_true(sg_bufpool_bytes(pool) >= 4u << 20);
    assert_int_equal(strlen(a->data), 100);
    sg_answer_release(a);
    sg_acache_free(c);
    sg_bufpool_free(pool);
}

static void test_tlpool_recycles_scratch(void **state)
{
    (void)state;
    sg_tlpool *p = sg_tlpool_new(2, 1 << 20, 1 << 20);
    assert_non_null(p);
    sg_tl *a = sg_tlpool_take(p), *b = sg_tlpool_take(p), *c = sg_tlpool_take(p);
    assert_non_null(a);
    assert_non_null(c);
    a->runs = malloc(4096 * sizeof *a->runs);
    a->runs_cap = 4096;
    a->run_count = 7;
    a->want_runs = true;
    sg_tlpool_put(p, a);
    sg_tlpool_put(p, b);
    sg_tlpool_put(p, c); /* over keep: freed */
    sg_tl *again = sg_tlpool_take(p);
    assert_ptr_equal(again, b);
    again = sg_tlpool_take(p);
    assert_ptr_equal(again, a); /* its arrays kept, its results cleared */
    assert_int_equal(again->runs_cap, 4096);
    assert_int_equal(again->run_count, 0);
    assert_false(again->want_runs);
    again->span_cap = 1 << 20; /* claims more than max_bytes: freed on return */
    again->spans = malloc(16);
    sg_tlpool_put(p, again);
    sg_tlpool_put(p, b);
    sg_tlpool_free(p);
}

static void test_crc32c_forms_agree(void **state)
{
    (void)state;
    assert_int_equal(sg_crc32c("123456789", 9), 0xe3069283u);
    assert_int_equal(sg_crc32c_tables("123456789", 9), 0xe3069283u);
    unsigned char buf[4096];
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < sizeof buf; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        buf[i] = (unsigned char)x;
    }
    for (size_t off = 0; off < 9; off++)
        for (size_t len = 0; len + off <= sizeof buf; len += len < 64 ? 1 : 397)
            assert_int_equal(sg_crc32c(buf + off, len), sg_crc32c_tables(buf + off, len));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bufpool_recycles_within_bounds),
        cmocka_unit_test(test_large_answers_kept_from_the_second_computation),
        cmocka_unit_test(test_tlpool_recycles_scratch),
        cmocka_unit_test(test_crc32c_forms_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
