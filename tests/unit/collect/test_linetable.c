/*
 * test_linetable.c — unit tests for collect/linetable: the three CPython line
 * table formats on hand-built tables whose answers follow from the format
 * descriptions (lnotab_notes.txt, locations.md), plus the malformed inputs a
 * torn copy can produce. Real interpreters' tables are checked end to end by
 * tests/integration/test_decoders.py.
 *
 * Invariant: every table is handed to the decoder in a heap block of exactly
 * its length, so a read past `len` is caught under AddressSanitizer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collect/linetable.h"

/* Decodes `offset` with the table copied into an exact-size heap block. */
static int sg_test_line(int format, const uint8_t *table, size_t len, int first, int32_t offset)
{
    uint8_t *copy = len ? malloc(len) : NULL;
    if (len)
        memcpy(copy, table, len);
    int line = sg_linetable_line(format, copy, len, first, offset);
    free(copy);
    return line;
}

/* ---- 3.11+ table builder (the encoding of InternalDocs/locations.md) ---- */

typedef struct sg_test_table {
    uint8_t b[4096];
    size_t n;
} sg_test_table;

static void sg_tt_byte(sg_test_table *t, unsigned v)
{
    assert_true(t->n < sizeof t->b);
    t->b[t->n++] = (uint8_t)v;
}

static void sg_tt_varint(sg_test_table *t, uint64_t v)
{
    while (v >= 64) {
        sg_tt_byte(t, 0x40u | (unsigned)(v & 63));
        v >>= 6;
    }
    sg_tt_byte(t, (unsigned)v);
}

static void sg_tt_svarint(sg_test_table *t, int64_t v)
{
    sg_tt_varint(t, v < 0 ? ((uint64_t)(-v) << 1) | 1 : (uint64_t)v << 1);
}

static void sg_tt_head(sg_test_table *t, unsigned code, unsigned units)
{
    assert_true(units >= 1 && units <= 8);
    sg_tt_byte(t, 0x80u | (code << 3) | (units - 1));
}

static void sg_tt_short(sg_test_table *t, unsigned units, unsigned col)
{
    sg_tt_head(t, col / 8, units);
    sg_tt_byte(t, ((col % 8) << 4) | 3);
}

static void sg_tt_one_line(sg_test_table *t, unsigned units, unsigned dline)
{
    sg_tt_head(t, 10 + dline, units);
    sg_tt_byte(t, 4);
    sg_tt_byte(t, 9);
}

static void sg_tt_no_columns(sg_test_table *t, unsigned units, int64_t dline)
{
    sg_tt_head(t, 13, units);
    sg_tt_svarint(t, dline);
}

static void sg_tt_long(sg_test_table *t, unsigned units, int64_t dline, uint64_t dend, uint64_t col,
                       uint64_t end_col)
{
    sg_tt_head(t, 14, units);
    sg_tt_svarint(t, dline);
    sg_tt_varint(t, dend);
    sg_tt_varint(t, col + 1);
    sg_tt_varint(t, end_col + 1);
}

static void sg_tt_none(sg_test_table *t, unsigned units)
{
    sg_tt_head(t, 15, units);
}

static int sg_tt_line(const sg_test_table *t, int first, int32_t offset)
{
    return sg_test_line(SG_LINES_LOCATIONS, t->b, t->n, first, offset);
}

/* ---- 3.9 co_lnotab ---- */

static void test_lnotab_notes_example(void **state)
{
    (void)state;
    /* lnotab_notes.txt: offsets 0/6/50/350/361 → lines 1/2/7/207/208, with
     * the 300-byte, 200-line jump split as 255,0 45,127 0,73. */
    const uint8_t t[] = {6, 1, 44, 5, 255, 0, 45, 127, 0, 73, 11, 1};
    const int32_t offs[] = {0, 5, 6, 49, 50, 349, 350, 360, 361, 400};
    const int lines[] = {1, 1, 2, 2, 7, 7, 207, 207, 208, 208};
    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++)
        assert_int_equal(sg_test_line(SG_LINES_LNOTAB, t, sizeof t, 1, offs[i]), lines[i]);
}

static void test_lnotab_edges(void **state)
{
    (void)state;
    /* Empty table: everything is on the first line. */
    assert_int_equal(sg_test_line(SG_LINES_LNOTAB, NULL, 0, 42, 0), 42);
    assert_int_equal(sg_test_line(SG_LINES_LNOTAB, NULL, 0, 42, 1000), 42);
    /* Negative line deltas (signed bytes, 3.6+), and f_lasti == -1. */
    const uint8_t t[] = {4, 10, 4, 0xfd /* -3 */, 4, 0x80 /* -128 */};
    assert_int_equal(sg_test_line(SG_LINES_LNOTAB, t, sizeof t, 200, -1), 200);
    assert_int_equal(sg_test_line(SG_LINES_LNOTAB, t, sizeof t, 200, 3), 200);
    assert_int_equal(sg_test_line(SG_LINES_LNOTAB, t, sizeof t, 200, 4), 210);
    assert_int_equal(sg_test_line(SG_LINES_LNOTAB, t, sizeof t, 200, 8), 207);
    assert_int_equal(sg_test_line(SG_LINES_LNOTAB, t, sizeof t, 200, 12), 79);
    /* Past the end: CPython keeps the last line. */
    assert_int_equal(sg_test_line(SG_LINES_LNOTAB, t, sizeof t, 200, INT32_MAX), 79);
    /* A trailing odd byte is ignored, as CPython's size / 2 does. */
    const uint8_t odd[] = {4, 10, 4};
    assert_int_equal(sg_test_line(SG_LINES_LNOTAB, odd, sizeof odd, 1, 100), 11);
    /* A line pushed outside int32 or below 0 is no line. */
    const uint8_t up[] = {0, 1};
    assert_int_equal(sg_test_line(SG_LINES_LNOTAB, up, sizeof up, INT32_MAX, 5), -1);
    const uint8_t down[] = {0, 0xff};
    assert_int_equal(sg_test_line(SG_LINES_LNOTAB, down, sizeof down, 0, 5), -1);
}

static void test_lnotab_huge_jump(void **state)
{
    (void)state;
    /* A 1,000,000-line jump at byte 2, as 3.9's compiler splits it: (2, 127),
     * 7873 x (0, 127), (0, 2). Line deltas belong to the address they follow. */
    size_t n = 7875 * 2;
    uint8_t *t = malloc(n);
    for (size_t i = 0; i < 7875; i++) {
        t[2 * i] = 0;
        t[2 * i + 1] = 127;
    }
    t[0] = 2;
    t[n - 1] = 2; /* 7874 * 127 + 2 = 1000000 */
    assert_int_equal(sg_test_line(SG_LINES_LNOTAB, t, n, 5, 0), 5);
    assert_int_equal(sg_test_line(SG_LINES_LNOTAB, t, n, 5, 1), 5);
    assert_int_equal(sg_test_line(SG_LINES_LNOTAB, t, n, 5, 2), 1000005);
    free(t);
}

/* ---- 3.10 co_linetable ---- */

static void test_linetable_ranges(void **state)
{
    (void)state;
    /* [0,6) line 10, [6,10) no line, [10,20) line 12, then nothing. */
    const uint8_t t[] = {6, 0, 4, 0x80 /* -128 */, 10, 2};
    assert_int_equal(sg_test_line(SG_LINES_LINETABLE, t, sizeof t, 10, 0), 10);
    assert_int_equal(sg_test_line(SG_LINES_LINETABLE, t, sizeof t, 10, 5), 10);
    assert_int_equal(sg_test_line(SG_LINES_LINETABLE, t, sizeof t, 10, 6), -1);
    assert_int_equal(sg_test_line(SG_LINES_LINETABLE, t, sizeof t, 10, 9), -1);
    assert_int_equal(sg_test_line(SG_LINES_LINETABLE, t, sizeof t, 10, 10), 12);
    assert_int_equal(sg_test_line(SG_LINES_LINETABLE, t, sizeof t, 10, 19), 12);
    assert_int_equal(sg_test_line(SG_LINES_LINETABLE, t, sizeof t, 10, 20), -1);
    assert_int_equal(sg_test_line(SG_LINES_LINETABLE, t, sizeof t, 10, INT32_MAX), -1);
    /* f_lasti == -1 (so -2 bytes): the first line, as PyCode_Addr2Line. */
    assert_int_equal(sg_test_line(SG_LINES_LINETABLE, t, sizeof t, 10, -2), 10);
}

static void test_linetable_no_line_keeps_running_line(void **state)
{
    (void)state;
    /* -128 leaves the running line alone: the next delta counts from before. */
    const uint8_t t[] = {2, 1, 2, 0x80, 2, 1};
    assert_int_equal(sg_test_line(SG_LINES_LINETABLE, t, sizeof t, 1, 0), 2);
    assert_int_equal(sg_test_line(SG_LINES_LINETABLE, t, sizeof t, 1, 2), -1);
    assert_int_equal(sg_test_line(SG_LINES_LINETABLE, t, sizeof t, 1, 4), 3);
}

static void test_linetable_split_jumps(void **state)
{
    (void)state;
    /* Line +300 as empty ranges (0,127) (0,127) then (8,46); bytes 600 as
     * (254,-1) (254,0) (92,0); line -300 as (0,-127) (0,-127) (2,-46). */
    const uint8_t t[] = {0, 127, 0, 127, 8,    46, 254,  0xff, 254,
                         0, 92,  0, 0,   0x81, 0,  0x81, 2,    0xd2};
    assert_int_equal(sg_test_line(SG_LINES_LINETABLE, t, sizeof t, 1, 0), 301);
    assert_int_equal(sg_test_line(SG_LINES_LINETABLE, t, sizeof t, 1, 7), 301);
    assert_int_equal(sg_test_line(SG_LINES_LINETABLE, t, sizeof t, 1, 8), 300);
    assert_int_equal(sg_test_line(SG_LINES_LINETABLE, t, sizeof t, 1, 607), 300);
    assert_int_equal(sg_test_line(SG_LINES_LINETABLE, t, sizeof t, 1, 608), 0);
    assert_int_equal(sg_test_line(SG_LINES_LINETABLE, t, sizeof t, 1, 610), -1);
}

static void test_linetable_edges(void **state)
{
    (void)state;
    assert_int_equal(sg_test_line(SG_LINES_LINETABLE, NULL, 0, 7, 0), -1);
    assert_int_equal(sg_test_line(SG_LINES_LINETABLE, NULL, 0, 7, -2), 7);
    /* Odd trailing byte: not an entry. */
    const uint8_t odd[] = {2, 1, 2};
    assert_int_equal(sg_test_line(SG_LINES_LINETABLE, odd, sizeof odd, 1, 1), 2);
    assert_int_equal(sg_test_line(SG_LINES_LINETABLE, odd, sizeof odd, 1, 2), -1);
    /* Overflowing the running line. */
    const uint8_t up[] = {2, 1};
    assert_int_equal(sg_test_line(SG_LINES_LINETABLE, up, sizeof up, INT32_MAX, 0), -1);
}

/* ---- 3.11+ location table ---- */

static void test_locations_forms(void **state)
{
    (void)state;
    sg_test_table t = {.n = 0};
    sg_tt_short(&t, 1, 0);           /* [0,1)   line 100 (RESUME) */
    sg_tt_one_line(&t, 3, 1);        /* [1,4)   101 */
    sg_tt_short(&t, 8, 77);          /* [4,12)  101, with caches */
    sg_tt_one_line(&t, 2, 2);        /* [12,14) 103 */
    sg_tt_one_line(&t, 1, 0);        /* [14,15) 103 */
    sg_tt_no_columns(&t, 2, -3);     /* [15,17) 100 */
    sg_tt_none(&t, 4);               /* [17,21) none; line stays 100 */
    sg_tt_long(&t, 5, 20, 3, 5, 40); /* [21,26) 120 */
    sg_tt_short(&t, 1, 3);           /* [26,27) 120 */
    const int32_t offs[] = {0, 1, 3, 4, 11, 12, 13, 14, 15, 16, 17, 20, 21, 25, 26, 27, 1000};
    const int lines[] = {100, 101, 101, 101, 101, 103, 103, 103, 100,
                         100, -1,  -1,  120, 120, 120, -1,  -1};
    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++)
        assert_int_equal(sg_tt_line(&t, 100, offs[i]), lines[i]);
    /* A frame before its first instruction (3.11/3.12 prev_instr). */
    assert_int_equal(sg_tt_line(&t, 100, -1), 100);
}

static void test_locations_huge_deltas(void **state)
{
    (void)state;
    sg_test_table t = {.n = 0};
    sg_tt_long(&t, 1, 5000000, 0, 100000, 100020); /* 5,000,001 */
    sg_tt_no_columns(&t, 1, -4999990);             /* 11 */
    sg_tt_long(&t, 1, 2147483640, 0, 0, 1);        /* 2147483651 > INT32_MAX */
    assert_int_equal(sg_tt_line(&t, 1, 0), 5000001);
    assert_int_equal(sg_tt_line(&t, 1, 1), 11);
    assert_int_equal(sg_tt_line(&t, 1, 2), -1); /* past INT32_MAX: refused */
    sg_test_table u = {.n = 0};
    sg_tt_no_columns(&u, 1, -20); /* below zero */
    assert_int_equal(sg_tt_line(&u, 10, 0), -1);
    sg_test_table w = {.n = 0};
    sg_tt_long(&w, 2, 2147483646, 0, 0, 1); /* 1 + (2^31 - 2) == INT32_MAX */
    assert_int_equal(sg_tt_line(&w, 1, 1), INT32_MAX);
}

static void test_locations_malformed(void **state)
{
    (void)state;
    /* Empty table. */
    assert_int_equal(sg_test_line(SG_LINES_LOCATIONS, NULL, 0, 5, 0), -1);
    /* A varint whose continuation bit runs off the end. */
    const uint8_t trunc[] = {0x80 | (13 << 3), 0x40 | 2};
    assert_int_equal(sg_test_line(SG_LINES_LOCATIONS, trunc, sizeof trunc, 5, 0), -1);
    /* A varint that runs into the next entry's head. */
    const uint8_t into[] = {0x80 | (13 << 3), 0x42, 0x80 | (15 << 3)};
    assert_int_equal(sg_test_line(SG_LINES_LOCATIONS, into, sizeof into, 5, 0), -1);
    /* Seven chunks: longer than any 32-bit value CPython writes. */
    const uint8_t overlong[] = {0x80 | (13 << 3), 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x00};
    assert_int_equal(sg_test_line(SG_LINES_LOCATIONS, overlong, sizeof overlong, 5, 0), -1);
    /* The table starts mid-entry (bit 7 clear). */
    const uint8_t mid[] = {0x03, 0x80, 0x03};
    assert_int_equal(sg_test_line(SG_LINES_LOCATIONS, mid, sizeof mid, 5, 0), -1);
    /* Short form missing its column byte, one-line form missing one. */
    const uint8_t short_cut[] = {0x80, 0x03, 0x80};
    assert_int_equal(sg_test_line(SG_LINES_LOCATIONS, short_cut, sizeof short_cut, 5, 0), 5);
    assert_int_equal(sg_test_line(SG_LINES_LOCATIONS, short_cut, sizeof short_cut, 5, 1), -1);
    const uint8_t one_cut[] = {0x80 | (11 << 3), 0x04};
    assert_int_equal(sg_test_line(SG_LINES_LOCATIONS, one_cut, sizeof one_cut, 5, 0), -1);
    /* Long form cut after its line delta. */
    const uint8_t long_cut[] = {0x80 | (14 << 3), 0x02, 0x00};
    assert_int_equal(sg_test_line(SG_LINES_LOCATIONS, long_cut, sizeof long_cut, 5, 0), -1);
    /* Stray operand bytes after a complete entry. */
    const uint8_t stray[] = {0x80, 0x03, 0x03, 0x80, 0x03};
    assert_int_equal(sg_test_line(SG_LINES_LOCATIONS, stray, sizeof stray, 5, 0), -1);
    /* Unknown format. */
    assert_int_equal(sg_test_line(0, stray, sizeof stray, 5, 0), -1);
    assert_int_equal(sg_test_line(99, stray, sizeof stray, 5, 0), -1);
}

/* Garbage in every format: the answer is -1 or a line, nothing else, and
 * ASan sees no read outside the table. */
static void test_garbage_never_escapes(void **state)
{
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15u;
    uint8_t t[64];
    for (int round = 0; round < 20000; round++) {
        size_t n = (size_t)(round % 64);
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            t[i] = (uint8_t)x;
        }
        int32_t offset = (int32_t)(x >> 40) % 600 - 4;
        int first = (round & 1) ? (int)(x >> 33) : (int)(x & 0xffff);
        for (int format = SG_LINES_LNOTAB; format <= SG_LINES_LOCATIONS; format++) {
            int line = sg_test_line(format, t, n, first, offset);
            assert_true(line >= -1);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lnotab_notes_example),
        cmocka_unit_test(test_lnotab_edges),
        cmocka_unit_test(test_lnotab_huge_jump),
        cmocka_unit_test(test_linetable_ranges),
        cmocka_unit_test(test_linetable_no_line_keeps_running_line),
        cmocka_unit_test(test_linetable_split_jumps),
        cmocka_unit_test(test_linetable_edges),
        cmocka_unit_test(test_locations_forms),
        cmocka_unit_test(test_locations_huge_deltas),
        cmocka_unit_test(test_locations_malformed),
        cmocka_unit_test(test_garbage_never_escapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
