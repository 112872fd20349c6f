/*
 * test_pystring.c — unit tests for collect/pystring: Latin-1/UCS-2/UCS-4 to
 * UTF-8, replacement of surrogates and out-of-range values, truncation at a
 * code point boundary, and PEP 393 header parsing on hand-built objects.
 *
 * The objects here use a hand-written 3.12-shaped layout (offsets as in
 * samplers.md §3: PyASCIIObject 40 bytes, PyCompactUnicodeObject 56) so the
 * test does not depend on the generated tables; real objects from every
 * interpreter are checked by tests/integration/test_decoders.py.
 *
 * Invariant: inputs sit in exact-size heap blocks, so ASan catches over-reads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collect/pystring.h"

/* Transcodes through an exact-size heap copy of the data. */
static int sg_test_transcode(int kind, const void *data, size_t length, char *out, size_t cap,
                             size_t *out_len)
{
    size_t size = length * (size_t)(kind > 0 ? kind : 1);
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    int rc = sg_pystring_transcode(kind, copy, size, length, out, cap, out_len);
    free(copy);
    return rc;
}

static void sg_expect_utf8(int kind, const void *data, size_t length, const char *want)
{
    char out[64];
    size_t n = 99;
    assert_int_equal(sg_test_transcode(kind, data, length, out, sizeof out, &n), SG_PYSTRING_OK);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(out, want, n + 1);
}

static void test_latin1(void **state)
{
    (void)state;
    const uint8_t donnees[] = {'d', 'o', 'n', 'n', 0xe9, 'e', 's'};
    sg_expect_utf8(1, donnees, sizeof donnees,
                   "donn\xc3\xa9"
                   "es");
    const uint8_t y[] = {0xff};
    sg_expect_utf8(1, y, 1, "\xc3\xbf");
    const uint8_t low[] = {0x80, 0xa0};
    sg_expect_utf8(1, low, 2, "\xc2\x80\xc2\xa0");
    sg_expect_utf8(1, "", 0, "");
}

static void test_ucs2(void **state)
{
    (void)state;
    const uint16_t jisuan[] = {0x8ba1, 0x7b97}; /* 计算 */
    sg_expect_utf8(2, jisuan, 2, "\xe8\xae\xa1\xe7\xae\x97");
    const uint16_t omega[] = {0x03a9, 'x', 0xffff};
    sg_expect_utf8(2, omega, 3, "\xce\xa9x\xef\xbf\xbf");
    /* Lone surrogates, and a "pair": PEP 393 keeps them as two code points. */
    const uint16_t lone[] = {'a', 0xd800, 'b', 0xdfff};
    sg_expect_utf8(2, lone, 4,
                   "a\xef\xbf\xbd"
                   "b\xef\xbf\xbd");
    const uint16_t pair[] = {0xd83d, 0xde00};
    sg_expect_utf8(2, pair, 2, "\xef\xbf\xbd\xef\xbf\xbd");
}

static void test_ucs4(void **state)
{
    (void)state;
    const uint32_t fraktur[] = {0x1d518, 0x1d52b, 0x1d526}; /* 𝔘𝔫𝔦 */
    sg_expect_utf8(4, fraktur, 3, "\xf0\x9d\x94\x98\xf0\x9d\x94\xab\xf0\x9d\x94\xa6");
    const uint32_t emoji[] = {0x1f600, 0x10ffff};
    sg_expect_utf8(4, emoji, 2, "\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf");
    const uint32_t bad[] = {0x110000, 0xffffffffu, 0xdc00, 'z'};
    sg_expect_utf8(4, bad, 4, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz");
}

static void test_embedded_nul(void **state)
{
    (void)state;
    const uint8_t s[] = {'a', 0, 'b'};
    char out[8];
    size_t n;
    assert_int_equal(sg_test_transcode(1, s, 3, out, sizeof out, &n), SG_PYSTRING_OK);
    assert_int_equal(n, 3);
    assert_memory_equal(out, "a\0b\0", 4);
}

static void test_truncation(void **state)
{
    (void)state;
    char out[16];
    size_t n;
    /* "aé": cap 3 leaves room for 'a' only (é needs 2 more, plus the NUL). */
    const uint8_t ae[] = {'a', 0xe9};
    assert_int_equal(sg_test_transcode(1, ae, 2, out, 3, &n), SG_PYSTRING_TRUNCATED);
    assert_int_equal(n, 1);
    assert_string_equal(out, "a");
    assert_int_equal(sg_test_transcode(1, ae, 2, out, 4, &n), SG_PYSTRING_OK);
    assert_string_equal(out, "a\xc3\xa9");
    /* 计算 with cap 5: the second character (3 bytes) does not fit. */
    const uint16_t jisuan[] = {0x8ba1, 0x7b97};
    assert_int_equal(sg_test_transcode(2, jisuan, 2, out, 5, &n), SG_PYSTRING_TRUNCATED);
    assert_int_equal(n, 3);
    assert_string_equal(out, "\xe8\xae\xa1");
    /* An emoji in 4 bytes of room (3 + NUL): nothing. */
    const uint32_t emoji[] = {0x1f600};
    assert_int_equal(sg_test_transcode(4, emoji, 1, out, 4, &n), SG_PYSTRING_TRUNCATED);
    assert_int_equal(n, 0);
    assert_string_equal(out, "");
    assert_int_equal(sg_test_transcode(4, emoji, 1, out, 5, &n), SG_PYSTRING_OK);
    assert_int_equal(n, 4);
    /* cap 1: only the NUL; cap 0: nothing written at all. */
    assert_int_equal(sg_test_transcode(1, ae, 2, out, 1, &n), SG_PYSTRING_TRUNCATED);
    assert_string_equal(out, "");
    out[0] = 'X';
    assert_int_equal(sg_test_transcode(1, ae, 2, out, 0, &n), SG_PYSTRING_TRUNCATED);
    assert_int_equal(out[0], 'X');
    assert_int_equal(sg_test_transcode(1, ae, 0, out, 0, &n), SG_PYSTRING_OK);
}

static void test_transcode_refusals(void **state)
{
    (void)state;
    char out[16];
    size_t n;
    const uint8_t d[8] = {0};
    assert_int_equal(sg_pystring_transcode(3, d, 8, 1, out, sizeof out, &n), SG_PYSTRING_EKIND);
    assert_int_equal(sg_pystring_transcode(0, d, 8, 1, out, sizeof out, &n), SG_PYSTRING_EKIND);
    assert_int_equal(sg_pystring_transcode(4, d, 7, 2, out, sizeof out, &n), SG_PYSTRING_ESHORT);
    assert_int_equal(sg_pystring_transcode(2, d, 8, (size_t)1 << 40, out, sizeof out, &n),
                     SG_PYSTRING_ELENGTH);
    assert_int_equal(sg_pystring_transcode(2, d, 8, SIZE_MAX, out, sizeof out, &n),
                     SG_PYSTRING_ELENGTH);
    assert_string_equal(out, "");
    assert_int_equal(n, 0);
}

/* ---- headers ---- */

/* A 3.12-shaped layout: length@16, state@32, kind bits 2-4, compact bit 5,
 * ascii bit 6; PyASCIIObject 40 bytes, PyCompactUnicodeObject 56, data.any@56. */
static const sg_layout sg_test_layout = {
    .unicode_length = 16,
    .unicode_state = 32,
    .unicode_kind_shift = 2,
    .unicode_kind_mask = 7,
    .unicode_compact_bit = 5,
    .unicode_ascii_bit = 6,
    .unicode_ascii_size = 40,
    .unicode_compact_size = 56,
    .unicode_data_any = 56,
};

/* Builds a str object: header, then (compact) the characters and a NUL. */
static size_t sg_make_str(uint8_t *obj, int64_t length, int kind, int compact, int ascii,
                          const void *chars, size_t chars_size)
{
    memset(obj, 0xAA, 128);
    memcpy(obj + 16, &length, sizeof length);
    uint32_t st = ((uint32_t)kind << 2) | ((uint32_t)compact << 5) | ((uint32_t)ascii << 6);
    memcpy(obj + 32, &st, sizeof st);
    if (!compact) {
        uint64_t addr = 0x7f0012345678u;
        memcpy(obj + 56, &addr, sizeof addr);
        return 64;
    }
    size_t off = ascii ? 40 : 56;
    memcpy(obj + off, chars, chars_size);
    memset(obj + off + chars_size, 0, (size_t)kind);
    return off + chars_size + (size_t)kind;
}

static int sg_test_to_utf8(const uint8_t *obj, size_t len, char *out, size_t cap, size_t *n,
                           sg_pystring_loc *loc)
{
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, obj, len);
    int rc = sg_pystring_to_utf8(&sg_test_layout, copy, len, out, cap, n, loc);
    free(copy);
    return rc;
}

static void test_locate_compact(void **state)
{
    (void)state;
    uint8_t obj[128];
    char out[32];
    size_t n;
    sg_pystring_loc loc;

    size_t len = sg_make_str(obj, 5, 1, 1, 1, "hello", 5);
    assert_int_equal(sg_test_to_utf8(obj, len, out, sizeof out, &n, &loc), SG_PYSTRING_OK);
    assert_string_equal(out, "hello");
    assert_int_equal(loc.data_offset, 40);
    assert_int_equal(loc.kind, 1);
    assert_true(loc.ascii && loc.compact);

    /* Latin-1 data follows PyCompactUnicodeObject, not PyASCIIObject. */
    len = sg_make_str(obj, 2, 1, 1, 0, "\xe9\xff", 2);
    assert_int_equal(sg_test_to_utf8(obj, len, out, sizeof out, &n, &loc), SG_PYSTRING_OK);
    assert_string_equal(out, "\xc3\xa9\xc3\xbf");
    assert_int_equal(loc.data_offset, 56);

    const uint16_t omega[] = {0x03a9};
    len = sg_make_str(obj, 1, 2, 1, 0, omega, sizeof omega);
    assert_int_equal(sg_test_to_utf8(obj, len, out, sizeof out, &n, &loc), SG_PYSTRING_OK);
    assert_string_equal(out, "\xce\xa9");
    assert_int_equal(loc.data_size, 2);

    const uint32_t emoji[] = {0x1f40d};
    len = sg_make_str(obj, 1, 4, 1, 0, emoji, sizeof emoji);
    assert_int_equal(sg_test_to_utf8(obj, len, out, sizeof out, &n, &loc), SG_PYSTRING_OK);
    assert_string_equal(out, "\xf0\x9f\x90\x8d");

    /* Copy cut before the last character: ask for more, write nothing. */
    assert_int_equal(sg_test_to_utf8(obj, 56 + 3, out, sizeof out, &n, &loc), SG_PYSTRING_ESHORT);
    assert_int_equal(loc.data_offset + loc.data_size, 60);
    assert_string_equal(out, "");
}

static void test_locate_non_compact(void **state)
{
    (void)state;
    uint8_t obj[128];
    char out[8];
    size_t n;
    sg_pystring_loc loc;
    size_t len = sg_make_str(obj, 3, 2, 0, 0, NULL, 0);
    assert_int_equal(sg_test_to_utf8(obj, len, out, sizeof out, &n, &loc), SG_PYSTRING_ENOTCOMPACT);
    assert_int_equal(loc.compact, 0);
    assert_int_equal(loc.kind, 2);
    assert_int_equal(loc.data_size, 6);
    assert_int_equal(loc.data_addr, 0x7f0012345678u);
    /* Without data.any in the copy. */
    assert_int_equal(sg_test_to_utf8(obj, 60, out, sizeof out, &n, &loc), SG_PYSTRING_ESHORT);
}

static void test_locate_refusals(void **state)
{
    (void)state;
    uint8_t obj[128];
    char out[8];
    size_t n;
    sg_pystring_loc loc;
    size_t len = sg_make_str(obj, (int64_t)1 << 40, 1, 1, 1, "", 0);
    assert_int_equal(sg_test_to_utf8(obj, len, out, sizeof out, &n, &loc), SG_PYSTRING_ELENGTH);
    len = sg_make_str(obj, -1, 1, 1, 1, "", 0);
    assert_int_equal(sg_test_to_utf8(obj, len, out, sizeof out, &n, &loc), SG_PYSTRING_ELENGTH);
    len = sg_make_str(obj, SG_PYSTRING_MAX_CHARS + 1, 4, 1, 0, "", 0);
    assert_int_equal(sg_test_to_utf8(obj, len, out, sizeof out, &n, &loc), SG_PYSTRING_ELENGTH);
    /* Kind 0 (not-ready legacy string), kind 3, ascii with kind 2. */
    len = sg_make_str(obj, 1, 0, 0, 0, NULL, 0);
    assert_int_equal(sg_test_to_utf8(obj, len, out, sizeof out, &n, &loc), SG_PYSTRING_EKIND);
    len = sg_make_str(obj, 1, 3, 1, 0, "abc", 3);
    assert_int_equal(sg_test_to_utf8(obj, len, out, sizeof out, &n, &loc), SG_PYSTRING_EKIND);
    len = sg_make_str(obj, 1, 2, 1, 1, "ab", 2);
    assert_int_equal(sg_test_to_utf8(obj, len, out, sizeof out, &n, &loc), SG_PYSTRING_EKIND);
    /* A copy shorter than the header. */
    len = sg_make_str(obj, 1, 1, 1, 1, "a", 1);
    assert_int_equal(sg_test_to_utf8(obj, 35, out, sizeof out, &n, &loc), SG_PYSTRING_ESHORT);
    assert_int_equal(sg_test_to_utf8(obj, 0, out, sizeof out, &n, &loc), SG_PYSTRING_ESHORT);
    /* A huge length whose data would not be in the copy. */
    len = sg_make_str(obj, SG_PYSTRING_MAX_CHARS, 4, 1, 0, "", 0);
    assert_int_equal(sg_test_to_utf8(obj, len, out, sizeof out, &n, &loc), SG_PYSTRING_ESHORT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_latin1),
        cmocka_unit_test(test_ucs2),
        cmocka_unit_test(test_ucs4),
        cmocka_unit_test(test_embedded_nul),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_transcode_refusals),
        cmocka_unit_test(test_locate_compact),
        cmocka_unit_test(test_locate_non_compact),
        cmocka_unit_test(test_locate_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
