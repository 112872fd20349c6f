/*
 * test_jbuf_u64.c — the decimal writers of serve/jbuf.h that every answer's
 * numbers go through: sg_jbuf_u64 and the unchecked sg_jbuf_u64_put of
 * large columns give what printf("%llu") gives, at every digit-count
 * boundary (10^k - 1, 10^k, 10^k + 1), 0 and UINT64_MAX, and a fixed
 * random walk; _put never writes past its SG_JBUF_U64_MAX bytes of room.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "serve/jbuf.h"

static void check_one(uint64_t v)
{
    char want[32];
    int n = snprintf(want, sizeof want, "%" PRIu64, v);
    char room[SG_JBUF_U64_MAX + 8];
    memset(room, '#', sizeof room);
    char *end = sg_jbuf_u64_put(room, v);
    assert_int_equal(end - room, n);
    assert_memory_equal(room, want, (size_t)n);
    for (size_t k = SG_JBUF_U64_MAX; k < sizeof room; k++)
        assert_int_equal(room[k], '#'); /* nothing past the room */
    sg_jbuf b;
    sg_jbuf_init(&b);
    sg_jbuf_u64(&b, v);
    assert_string_equal(b.data, want);
    sg_jbuf_free(&b);
}

static void test_boundaries(void **state)
{
    (void)state;
    check_one(0);
    check_one(UINT64_MAX);
    uint64_t p = 1;
    for (int k = 0; k < 20; k++, p *= 10) {
        check_one(p - 1);
        check_one(p);
        check_one(p + 1);
    }
}

static void test_random_and_a_column(void **state)
{
    (void)state;
    uint64_t r = 88172645463325252ull;
    char want[64 * 22], *w = want;
    sg_jbuf b;
    sg_jbuf_init(&b);
    assert_true(sg_jbuf_reserve(&b, 64 * SG_JBUF_U64_MAX));
    for (int i = 0; i < 100000; i++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        uint64_t v = r >> (r % 64); /* every magnitude */
        check_one(v);
        if (i < 64) { /* a column as query_timeline writes one */
            if (i > 0) {
                b.data[b.len++] = ',';
                *w++ = ',';
            }
            sg_jbuf_u64_reserved(&b, v);
            w += sprintf(w, "%" PRIu64, v);
        }
    }
    b.data[b.len] = '\0';
    assert_string_equal(b.data, want);
    sg_jbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_boundaries),
        cmocka_unit_test(test_random_and_a_column),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
