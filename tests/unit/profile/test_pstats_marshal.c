/*
 * test_pstats_marshal.c — the marshal reader and writer that pstats files
 * need: every type code CPython writes for a stats dict, references (a
 * container registered before its items), the long and text-float forms,
 * code objects in the 3.8–3.10 and 3.11+ layouts, the writer's output read
 * back, and bad input: every truncation, bad references, runaway nesting,
 * lengths past the end, all refused with an offset and never a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "profile/marshal.h"
#include "profile/status.h"

typedef struct buf {
    uint8_t data[4096];
    size_t len;
} buf;

static void put(buf *b, const void *bytes, size_t n)
{
    assert_true(b->len + n <= sizeof b->data);
    memcpy(b->data + b->len, bytes, n);
    b->len += n;
}

static void put_u8(buf *b, uint8_t v)
{
    put(b, &v, 1);
}

static void put_i32(buf *b, int32_t v)
{
    uint32_t u = (uint32_t)v;
    uint8_t bytes[4] = {(uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24)};
    put(b, bytes, 4);
}

static void put_short_ascii(buf *b, uint8_t type, const char *s)
{
    put_u8(b, type);
    put_u8(b, (uint8_t)strlen(s));
    put(b, s, strlen(s));
}

static const sg_marshal_value *item(const sg_marshal_doc *d, const sg_marshal_value *v, size_t i)
{
    return sg_marshal_get(d, sg_marshal_item(d, v, i));
}

static void assert_text(const sg_marshal_doc *d, const sg_marshal_value *v, const char *want)
{
    assert_true(v->type == SG_MARSHAL_STR || v->type == SG_MARSHAL_BYTES);
    assert_int_equal(v->len, strlen(want));
    assert_memory_equal(sg_marshal_text(d, v), want, v->len);
}

static int parse(const buf *b, sg_marshal_doc *d, char *err, size_t errlen)
{
    return sg_marshal_parse(b->data, b->len, d, err, errlen);
}

/* {("a.py", 3, "f"): (1, 2, 0.5, 1.5, {}), ...} with refs, as CPython 3.12 writes. */
static void test_stats_dict_with_refs(void **state)
{
    (void)state;
    buf b = {0};
    put_u8(&b, '{' | 0x80); /* dict, ref 0 */
    put_u8(&b, ')' | 0x80); /* key tuple, ref 1 */
    put_u8(&b, 3);
    put_short_ascii(&b, 'z' | 0x80, "a.py"); /* ref 2 */
    put_u8(&b, 'i');
    put_i32(&b, 3);
    put_short_ascii(&b, 'Z', "f");
    put_u8(&b, ')'); /* value */
    put_u8(&b, 5);
    put_u8(&b, 'i');
    put_i32(&b, 1);
    put_u8(&b, 'i');
    put_i32(&b, 2);
    put_u8(&b, 'g');
    double half = 0.5, one_half = 1.5;
    put(&b, &half, 8); /* little-endian host: the test machines are x86-64 */
    put_u8(&b, 'g');
    put(&b, &one_half, 8);
    put_u8(&b, '{');
    put_u8(&b, '0');
    /* second key: same file by reference, a long line number, unicode name */
    put_u8(&b, ')');
    put_u8(&b, 3);
    put_u8(&b, 'r');
    put_i32(&b, 2);
    put_u8(&b, 'l'); /* 70000 = 4464 + 2 * 32768 */
    put_i32(&b, 2);
    uint8_t digits[4] = {4464 & 0xff, 4464 >> 8, 2, 0};
    put(&b, digits, 4);
    put_u8(&b, 'u');
    put_i32(&b, 3);
    put(&b, "\xc3\xa9t", 3);
    put_u8(&b, 'N');
    put_u8(&b, '0');

    sg_marshal_doc d;
    char err[256];
    assert_int_equal(parse(&b, &d, err, sizeof err), 0);
    const sg_marshal_value *root = sg_marshal_get(&d, d.root);
    assert_int_equal(root->type, SG_MARSHAL_DICT);
    assert_int_equal(root->len, 2);
    const sg_marshal_value *k0 = item(&d, root, 0), *v0 = item(&d, root, 1);
    assert_int_equal(k0->type, SG_MARSHAL_TUPLE);
    assert_int_equal(k0->len, 3);
    assert_text(&d, item(&d, k0, 0), "a.py");
    assert_int_equal(item(&d, k0, 1)->u.i, 3);
    assert_text(&d, item(&d, k0, 2), "f");
    assert_int_equal(v0->len, 5);
    assert_int_equal(item(&d, v0, 1)->u.i, 2);
    assert_true(item(&d, v0, 2)->type == SG_MARSHAL_FLOAT && item(&d, v0, 2)->u.f == 0.5);
    assert_int_equal(item(&d, v0, 4)->type, SG_MARSHAL_DICT);
    assert_int_equal(item(&d, v0, 4)->len, 0);
    const sg_marshal_value *k1 = item(&d, root, 2);
    /* the reference names the very same value */
    assert_int_equal(sg_marshal_item(&d, k1, 0), sg_marshal_item(&d, k0, 0));
    assert_int_equal(item(&d, k1, 1)->u.i, 70000);
    assert_text(&d, item(&d, k1, 2), "\xc3\xa9t");
    assert_int_equal(item(&d, root, 3)->type, SG_MARSHAL_NONE);
    sg_marshal_doc_free(&d);
}

static void test_scalars(void **state)
{
    (void)state;
    buf b = {0};
    put_u8(&b, '(');
    put_i32(&b, 12);
    put_u8(&b, 'T');
    put_u8(&b, 'F');
    put_u8(&b, 'f'); /* text float */
    put_u8(&b, 5);
    put(&b, "-2.25", 5);
    put_u8(&b, 'I');
    uint8_t big[8] = {0, 0, 0, 0, 0, 0, 0, 0x40}; /* 2^62 */
    put(&b, big, 8);
    put_u8(&b, 'l'); /* -(2^45): three digits 0, 0, 1 */
    put_i32(&b, -4);
    uint8_t neg[8] = {0, 0, 0, 0, 0, 0, 1, 0};
    put(&b, neg, 8);
    put_u8(&b, 'l'); /* 2^75: does not fit int64 */
    put_i32(&b, 6);
    uint8_t huge[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0};
    put(&b, huge, 12);
    put_u8(&b, 's'); /* bytes */
    put_i32(&b, 2);
    put(&b, "ab", 2);
    put_u8(&b, 'a' | 0x80);
    put_i32(&b, 3);
    put(&b, "xyz", 3);
    put_u8(&b, 'S');
    put_u8(&b, '.');
    put_u8(&b, '[');
    put_i32(&b, 1);
    put_u8(&b, 'r'); /* the "xyz" above */
    put_i32(&b, 0);
    put_u8(&b, '>');
    put_i32(&b, 0);

    sg_marshal_doc d;
    char err[256];
    assert_int_equal(parse(&b, &d, err, sizeof err), 0);
    const sg_marshal_value *t = sg_marshal_get(&d, d.root);
    assert_int_equal(t->len, 12);
    assert_true(item(&d, t, 0)->type == SG_MARSHAL_BOOL && item(&d, t, 0)->u.i == 1);
    assert_true(item(&d, t, 1)->type == SG_MARSHAL_BOOL && item(&d, t, 1)->u.i == 0);
    assert_true(item(&d, t, 2)->u.f == -2.25);
    assert_true(item(&d, t, 3)->u.i == (int64_t)1 << 62);
    assert_true(item(&d, t, 4)->u.i == -((int64_t)1 << 45));
    assert_int_equal(item(&d, t, 5)->type, SG_MARSHAL_BIGINT);
    assert_int_equal(item(&d, t, 6)->type, SG_MARSHAL_BYTES);
    assert_text(&d, item(&d, t, 7), "xyz");
    assert_int_equal(item(&d, t, 8)->type, SG_MARSHAL_OTHER);
    assert_int_equal(item(&d, t, 9)->type, SG_MARSHAL_OTHER);
    assert_text(&d, item(&d, item(&d, t, 10), 0), "xyz");
    assert_int_equal(item(&d, t, 11)->type, SG_MARSHAL_SET);
    double x;
    assert_true(sg_marshal_number(item(&d, t, 3), &x) && x == 4611686018427387904.0);
    assert_false(sg_marshal_number(item(&d, t, 6), &x));
    sg_marshal_doc_free(&d);
}

/* A container flagged FLAG_REF is registered before its items: an item
 * may name it (a cycle), and later references count from there. */
static void test_self_reference(void **state)
{
    (void)state;
    buf b = {0};
    put_u8(&b, '[' | 0x80); /* ref 0 */
    put_i32(&b, 2);
    put_u8(&b, 'r');
    put_i32(&b, 0);
    put_short_ascii(&b, 'z' | 0x80, "s"); /* ref 1 */
    sg_marshal_doc d;
    char err[256];
    assert_int_equal(parse(&b, &d, err, sizeof err), 0);
    assert_int_equal(sg_marshal_item(&d, sg_marshal_get(&d, d.root), 0), d.root);
    sg_marshal_doc_free(&d);
}

/* A code object in a key, as `python -m profile` writes it. */
static void put_code(buf *b, int ints_before, bool qualname, int lines_after)
{
    put_u8(b, 'c' | 0x80);
    for (int k = 0; k < ints_before; k++)
        put_i32(b, k == ints_before - 1 ? 0x43 : 0); /* ... flags */
    put_u8(b, 's');                                  /* co_code */
    put_i32(b, 2);
    put(b, "\x97\x00", 2);
    put_u8(b, ')'); /* consts: a nested code object would go here */
    put_u8(b, 0);
    put_u8(b, ')');
    put_u8(b, 0);
    put_u8(b, ')'); /* varnames / localsplusnames */
    put_u8(b, 0);
    put_u8(b, 's'); /* freevars / localspluskinds */
    put_i32(b, 0);
    if (!qualname) {
        put_u8(b, ')'); /* cellvars */
        put_u8(b, 0);
    }
    put_short_ascii(b, 'z', "prog.py");
    put_short_ascii(b, 'Z', "<module>");
    if (qualname)
        put_short_ascii(b, 'Z', "<module>");
    put_i32(b, 7); /* first line */
    for (int k = 0; k < lines_after; k++) {
        put_u8(b, 's');
        put_i32(b, 0);
    }
}

static void check_code(const buf *b)
{
    sg_marshal_doc d;
    char err[256];
    assert_int_equal(sg_marshal_parse(b->data, b->len, &d, err, sizeof err), 0);
    const sg_marshal_value *c = sg_marshal_get(&d, d.root);
    assert_int_equal(c->type, SG_MARSHAL_CODE);
    assert_text(&d, item(&d, c, 0), "prog.py");
    assert_text(&d, item(&d, c, 1), "<module>");
    assert_int_equal(item(&d, c, 2)->u.i, 7);
    sg_marshal_doc_free(&d);
}

static void test_code_objects(void **state)
{
    (void)state;
    buf new_layout = {0}, old_layout = {0};
    put_code(&new_layout, 5, true, 2);  /* 3.11+ */
    put_code(&old_layout, 6, false, 1); /* 3.8-3.10 */
    check_code(&new_layout);
    check_code(&old_layout);
}

static void test_writer_round_trip(void **state)
{
    (void)state;
    sg_marshal_writer w = {0};
    uint32_t slot = 0;
    sg_marshal_put_dict_begin(&w);
    sg_marshal_put_tuple(&w, 3);
    sg_marshal_put_str(&w, "file.py", 7, &slot);
    sg_marshal_put_int(&w, 12);
    sg_marshal_put_str(&w, "caf\xc3\xa9", 5, NULL);
    sg_marshal_put_tuple(&w, 300); /* long tuple form */
    for (int i = 0; i < 300; i++) {
        switch (i % 6) {
        case 0:
            sg_marshal_put_int(&w, INT64_MIN + i);
            break;
        case 1:
            sg_marshal_put_int(&w, (int64_t)1 << 40);
            break;
        case 2:
            sg_marshal_put_float(&w, 0.1 * i);
            break;
        case 3:
            sg_marshal_put_str(&w, "file.py", 7, &slot); /* a reference now */
            break;
        case 4:
            sg_marshal_put_str(&w, "bad\xff\xfe", 5, NULL); /* becomes U+FFFD */
            break;
        default:
            sg_marshal_put_bool(&w, i & 1);
        }
    }
    sg_marshal_put_dict_end(&w);
    assert_int_equal(w.out.failed, 0);
    assert_int_equal(slot, 1);

    sg_marshal_doc d;
    char err[256];
    assert_int_equal(sg_marshal_parse(w.out.data, w.out.len, &d, err, sizeof err), 0);
    const sg_marshal_value *root = sg_marshal_get(&d, d.root);
    assert_int_equal(root->len, 1);
    const sg_marshal_value *key = item(&d, root, 0), *t = item(&d, root, 1);
    assert_text(&d, item(&d, key, 0), "file.py");
    assert_text(&d, item(&d, key, 2), "caf\xc3\xa9");
    assert_int_equal(t->len, 300);
    for (uint32_t i = 0; i < 300; i++) {
        const sg_marshal_value *v = item(&d, t, i);
        switch (i % 6) {
        case 0:
            assert_true(v->type == SG_MARSHAL_INT && v->u.i == INT64_MIN + i);
            break;
        case 1:
            assert_true(v->u.i == (int64_t)1 << 40);
            break;
        case 2:
            assert_true(v->u.f == 0.1 * i);
            break;
        case 3:
            assert_int_equal(sg_marshal_item(&d, t, i), sg_marshal_item(&d, key, 0));
            break;
        case 4:
            assert_text(&d, v, "bad\xef\xbf\xbd\xef\xbf\xbd");
            break;
        default:
            assert_true(v->type == SG_MARSHAL_BOOL && v->u.i == (i & 1));
        }
    }
    sg_marshal_doc_free(&d);
    sg_bytes_free(&w.out);
}

static void expect_error(const buf *b, const char *needle)
{
    sg_marshal_doc d;
    char err[256] = "";
    int rc = sg_marshal_parse(b->data, b->len, &d, err, sizeof err);
    assert_int_equal(rc, SG_PROFILE_EFORMAT);
    assert_non_null(strstr(err, "offset "));
    if (needle != NULL && strstr(err, needle) == NULL)
        fail_msg("error '%s' does not mention '%s'", err, needle);
    assert_null(d.values);
}

static void test_bad_input(void **state)
{
    (void)state;
    buf b = {0};
    put_u8(&b, 'r'); /* reference before anything */
    put_i32(&b, 0);
    expect_error(&b, "reference 0");

    b.len = 0;
    put_u8(&b, '(');
    put_i32(&b, 1000000); /* more items than bytes */
    put_u8(&b, 'N');
    expect_error(&b, "runs past the end");

    b.len = 0;
    put_u8(&b, 'u');
    put_i32(&b, -1);
    expect_error(&b, "negative length");

    b.len = 0;
    put_u8(&b, 'l');
    put_i32(&b, 1);
    uint8_t digit[2] = {0xff, 0xff};
    put(&b, digit, 2);
    expect_error(&b, "digit out of range");

    b.len = 0;
    put_u8(&b, 'f');
    put_u8(&b, 3);
    put(&b, "1x2", 3);
    expect_error(&b, "not a number");

    b.len = 0;
    put_u8(&b, 'Q');
    expect_error(&b, "unknown marshal type code 0x51");

    b.len = 0; /* 100 nested lists */
    for (int i = 0; i < 100; i++) {
        put_u8(&b, '[');
        put_i32(&b, 1);
    }
    put_u8(&b, 'N');
    expect_error(&b, "nest deeper");

    b.len = 0;
    put_u8(&b, '{');
    put_u8(&b, 'N');
    put_u8(&b, 'N');
    expect_error(&b, "ends inside a dict");
}

/* Every prefix of a valid document fails cleanly; every one-byte change
 * either parses or fails cleanly (ASan and UBSan catch the rest). */
static void test_truncations_and_mutations(void **state)
{
    (void)state;
    buf b = {0};
    put_code(&b, 5, true, 2);
    buf doc = {0};
    put_u8(&doc, '{' | 0x80);
    put_u8(&doc, ')');
    put_u8(&doc, 3);
    put_short_ascii(&doc, 'z' | 0x80, "x.py");
    put_u8(&doc, 'i');
    put_i32(&doc, 1);
    put(&doc, b.data, b.len);
    put_u8(&doc, '[');
    put_i32(&doc, 2);
    put_u8(&doc, 'r');
    put_i32(&doc, 1);
    put_u8(&doc, 'g');
    double x = 3.5;
    put(&doc, &x, 8);
    put_u8(&doc, '0');

    sg_marshal_doc d;
    char err[256];
    assert_int_equal(sg_marshal_parse(doc.data, doc.len, &d, err, sizeof err), 0);
    sg_marshal_doc_free(&d);
    for (size_t n = 0; n < doc.len; n++) {
        int rc = sg_marshal_parse(doc.data, n, &d, err, sizeof err);
        if (rc != SG_PROFILE_EFORMAT)
            fail_msg("prefix of %zu bytes: status %d", n, rc);
    }
    for (size_t at = 0; at < doc.len; at++) {
        for (int v = 0; v < 256; v += 7) {
            buf m = doc;
            m.data[at] = (uint8_t)v;
            int rc = sg_marshal_parse(m.data, m.len, &d, err, sizeof err);
            assert_true(rc == 0 || rc == SG_PROFILE_EFORMAT);
            if (rc == 0)
                sg_marshal_doc_free(&d);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stats_dict_with_refs),
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_self_reference),
        cmocka_unit_test(test_code_objects),
        cmocka_unit_test(test_writer_round_trip),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_truncations_and_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
