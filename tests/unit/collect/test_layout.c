/*
 * test_layout.c — unit tests for the per-version layout tables
 * (sg_layout_for_version) and the 3.13 _Py_DebugOffsets cross-check
 * (sg_debug_offsets_check).
 *
 * The "good" debug-offsets buffer is not made up: its values were read from a
 * running CPython 3.13.0 (x86_64, --enable-shared) with
 *   ctypes.string_at(ctypes.addressof(ctypes.c_char.in_dll(ctypes.pythonapi,
 *                    "_PyRuntime")), 584)
 * and are kept here so the test runs without Python. The live counterpart is
 * tests/integration/test_layouts.py, which reads them again every run.
 *
 * Invariants: each test builds its own buffer; nothing is shared or mutated
 * between tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "collect/debug_offsets.h"
#include "collect/layout.h"

/* ---- sg_layout_for_version ------------------------------------------------ */

static void test_each_minor_has_its_table(void **state)
{
    (void)state;
    for (uint32_t minor = 9; minor <= 13; minor++) {
        uint32_t hex = 0x03000000u | (minor << 16);
        const sg_layout *l = sg_layout_for_version(hex);
        assert_non_null(l);
        assert_int_equal((uint32_t)l->version_hex, hex);
    }
}

static void test_patch_levels_map_to_the_minor(void **state)
{
    (void)state;
    static const uint32_t versions[][2] = {
        {0x030900f0, 0x03090000},                           /* 3.9.0 final */
        {0x030912f0, 0x03090000},                           /* 3.9.18 */
        {0x030a0da1, 0x030a0000},                           /* 3.10.13a1 */
        {0x030b07f0, 0x030b0000},                           /* 3.11.7 */
        {0x030c01c2, 0x030c0000},                           /* 3.12.1rc2 */
        {0x030cffff, 0x030c0000}, {0x030d00a1, 0x030d0000}, /* 3.13.0a1 */
        {0x030d00f0, 0x030d0000},                           /* 3.13.0 */
    };
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        const sg_layout *l = sg_layout_for_version(versions[i][0]);
        assert_non_null(l);
        assert_ptr_equal(l, sg_layout_for_version(versions[i][1]));
        assert_int_equal((uint32_t)l->version_hex, versions[i][1]);
    }
}

static void test_unsupported_versions_are_null(void **state)
{
    (void)state;
    static const uint32_t versions[] = {
        0x030800f0, /* 3.8 */
        0x030812f0, /* 3.8.18 */
        0x030e0000, /* 3.14 */
        0x030e00a1, /* 3.14.0a1 */
        0x030f00f0, /* 3.15 */
        0x020712f0, /* 2.7.18 */
        0x04000000, /* 4.0 */
        0x00090000, /* "0.9" */
        0x00000000, 0xffffffff,
    };
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        assert_null(sg_layout_for_version(versions[i]));
    }
}

static void assert_present(int32_t v)
{
    assert_true(v >= 0);
}

static void assert_absent(int32_t v)
{
    assert_int_equal(v, SG_LAYOUT_ABSENT);
}

/* What the era flags promise about which fields exist. */
static void test_tables_agree_with_their_era(void **state)
{
    (void)state;
    for (uint32_t minor = 9; minor <= 13; minor++) {
        const sg_layout *l = sg_layout_for_version(0x03000000u | (minor << 16));
        assert_non_null(l);

        int32_t era = minor <= 10   ? SG_ERA_FRAME_OBJECT
                      : minor <= 12 ? SG_ERA_CFRAME
                                    : SG_ERA_CURRENT_FRAME;
        int32_t lines = minor == 9    ? SG_LINES_LNOTAB
                        : minor == 10 ? SG_LINES_LINETABLE
                                      : SG_LINES_LOCATIONS;
        assert_int_equal(l->frame_era, era);
        assert_int_equal(l->lines_format, lines);

        if (era == SG_ERA_FRAME_OBJECT) {
            assert_present(l->tstate_frame);
            assert_absent(l->tstate_cframe);
            assert_present(l->frameobj_back);
            assert_present(l->frameobj_code);
            assert_present(l->frameobj_lasti);
            assert_true(l->frameobj_size > l->frameobj_lasti);
            assert_absent(l->iframe_code);
            assert_absent(l->iframe_localsplus);
            assert_absent(l->tstate_datastack_chunk);
            assert_absent(l->chunk_data);
            assert_absent(l->code_qualname);
            assert_absent(l->code_code_adaptive);
        } else {
            if (era == SG_ERA_CFRAME) {
                assert_absent(l->tstate_frame);
                assert_present(l->tstate_cframe);
                assert_present(l->cframe_current_frame);
            } else {
                assert_present(l->tstate_frame);
                assert_absent(l->tstate_cframe);
                assert_absent(l->cframe_current_frame);
            }
            assert_absent(l->frameobj_size);
            assert_present(l->iframe_code);
            assert_present(l->iframe_previous);
            assert_present(l->iframe_instr);
            assert_present(l->iframe_owner);
            assert_true(l->iframe_localsplus > l->iframe_owner);
            assert_present(l->tstate_native_thread_id);
            assert_present(l->tstate_datastack_chunk);
            assert_present(l->tstate_datastack_top);
            assert_present(l->chunk_previous);
            assert_true(l->chunk_data > l->chunk_size);
            assert_present(l->code_qualname);
            assert_true(l->code_code_adaptive > l->code_linetable);
        }

        /* GIL: an inline struct in _PyRuntime until 3.11, then a pointer. */
        if (minor <= 11) {
            assert_present(l->runtime_ceval_gil);
            assert_absent(l->interp_ceval_gil_ptr);
            assert_absent(l->owner_cstack);
        } else {
            assert_absent(l->runtime_ceval_gil);
            assert_present(l->interp_ceval_gil_ptr);
            assert_int_equal(l->owner_cstack, 3);
        }

        /* The *_size fields cover what they claim to cover. */
        assert_true(l->tstate_size >= l->tstate_thread_id + 8);
        assert_true(l->tstate_size >= l->tstate_next + 8);
        assert_true(l->code_size >= l->code_linetable + 8);
        assert_true(l->code_size >= l->code_filename + 8);
        assert_true(l->code_size >= l->code_firstlineno + 4);

        /* How far an instruction may lie in its code: the size of co_code
         * before 3.11 (code_cache.c's check that a frame's code is still
         * the one remembered at its address), the code's own length after. */
        if (minor <= 10) {
            assert_present(l->code_code);
            assert_absent(l->code_code_adaptive);
            assert_true(l->code_size >= l->code_code + 8);
        } else {
            assert_absent(l->code_code);
            assert_present(l->code_code_adaptive);
        }

        /* 3.11+: a frame's size in its chunk (sampler.c, "Where a callee
         * sits"), read with the code object's header. */
        if (minor <= 10) {
            assert_absent(l->code_stacksize);
            assert_absent(l->code_nlocalsplus);
        } else {
            assert_true(l->code_size >= l->code_stacksize + 4);
            assert_true(l->code_size >= l->code_nlocalsplus + 4);
            assert_int_equal(l->iframe_localsplus % 8, 0);
        }

        /* PEP 393: kind is 3 bits, compact and ascii single bits. */
        assert_int_equal(l->unicode_kind_mask, 7);
        assert_true(l->unicode_compact_bit != l->unicode_ascii_bit);
        assert_true(l->unicode_compact_size > l->unicode_ascii_size);
        assert_int_equal(l->object_type, 8);
        assert_int_equal(l->varobject_size, 16);
    }
}

/* ---- sg_debug_offsets_check ---------------------------------------------- */

#define DO_SIZE 584

/* Byte offsets inside 3.13's _Py_DebugOffsets used by the tests below. */
#define DO_AT_VERSION              8
#define DO_AT_FREE_THREADED        16
#define DO_AT_GIL_LOCKED           136
#define DO_AT_TSTATE_SIZE          152
#define DO_AT_TSTATE_CURRENT_FRAME 184
#define DO_AT_UNICODE_ASCII_SIZE   560

/* The 72 uint64_t after the cookie, as read from CPython 3.13.0. */
static const uint64_t real_313_values[72] = {
    /* version, free_threaded */
    0x030d00f0,
    0,
    /* runtime_state: size, finalizing, interpreters_head */
    283320,
    608,
    632,
    /* interpreter_state: size, id, next, threads_head, gc, imports_modules,
     * sysdict, builtins, ceval_gil, gil_runtime_state, .._enabled,
     * .._locked, .._holder */
    194968,
    7272,
    7264,
    7344,
    7400,
    7656,
    7640,
    7648,
    16,
    7752,
    0,
    7768,
    7760,
    /* thread_state: size, prev, next, interp, current_frame, thread_id,
     * native_thread_id, datastack_chunk, status */
    304,
    0,
    8,
    16,
    72,
    152,
    160,
    232,
    32,
    /* interpreter_frame: size, previous, executable, instr_ptr, localsplus,
     * owner */
    80,
    8,
    0,
    56,
    72,
    70,
    /* code_object: size, filename, name, qualname, linetable, firstlineno,
     * argcount, localsplusnames, localspluskinds, co_code_adaptive */
    208,
    112,
    120,
    128,
    136,
    68,
    52,
    96,
    104,
    200,
    /* pyobject: size, ob_type */
    16,
    8,
    /* type_object: size, tp_name, tp_repr, tp_flags */
    416,
    24,
    88,
    168,
    /* tuple_object: size, ob_item, ob_size */
    32,
    24,
    16,
    /* list_object: size, ob_item, ob_size */
    40,
    24,
    16,
    /* dict_object: size, ma_keys, ma_values */
    48,
    32,
    40,
    /* float_object: size, ob_fval */
    24,
    16,
    /* long_object: size, lv_tag, ob_digit */
    32,
    16,
    24,
    /* bytes_object: size, ob_size, ob_sval */
    40,
    16,
    32,
    /* unicode_object: size, state, length, asciiobject_size */
    64,
    32,
    16,
    40,
    /* gc: size, collecting */
    240,
    200,
};

static void real_313_buffer(uint8_t buf[DO_SIZE])
{
    memcpy(buf, "xdebugpy", 8);
    memcpy(buf + 8, real_313_values, sizeof real_313_values);
}

static void put_u64(uint8_t *buf, size_t at, uint64_t v)
{
    memcpy(buf + at, &v, sizeof v);
}

static const sg_layout *table_313(void)
{
    return sg_layout_for_version(0x030d0000);
}

static void test_size_covers_the_313_struct(void **state)
{
    (void)state;
    assert_true(sg_debug_offsets_size() >= DO_SIZE);
    assert_int_equal(sizeof real_313_values + 8, DO_SIZE);
}

static void test_real_313_buffer_passes(void **state)
{
    (void)state;
    uint8_t buf[DO_SIZE];
    char err[256] = "untouched";
    uint32_t version = 0;
    real_313_buffer(buf);

    assert_int_equal(
        sg_debug_offsets_check(buf, sizeof buf, table_313(), &version, err, sizeof err),
        SG_DEBUG_OFFSETS_OK);
    assert_int_equal(version, 0x030d00f0);
    assert_string_equal(err, "");
    assert_int_equal(sg_debug_offsets_version(buf, sizeof buf), 0x030d00f0);
    assert_ptr_equal(sg_layout_for_version(sg_debug_offsets_version(buf, sizeof buf)), table_313());

    /* Head only, and no outputs at all. */
    assert_int_equal(sg_debug_offsets_check(buf, sizeof buf, NULL, &version, err, sizeof err),
                     SG_DEBUG_OFFSETS_OK);
    assert_int_equal(sg_debug_offsets_check(buf, sizeof buf, table_313(), NULL, NULL, 0),
                     SG_DEBUG_OFFSETS_OK);
}

static void test_wrong_cookie_is_refused(void **state)
{
    (void)state;
    uint8_t buf[DO_SIZE];
    char err[256];
    uint32_t version = 123;
    real_313_buffer(buf);
    buf[0] = 'y';

    assert_int_equal(
        sg_debug_offsets_check(buf, sizeof buf, table_313(), &version, err, sizeof err),
        SG_DEBUG_OFFSETS_BAD_COOKIE);
    assert_int_equal(version, 0);
    assert_non_null(strstr(err, "xdebugpy"));
    assert_int_equal(sg_debug_offsets_version(buf, sizeof buf), 0);

    memset(buf, 0, sizeof buf); /* a pre-3.13 _PyRuntime starts with zeros */
    assert_int_equal(
        sg_debug_offsets_check(buf, sizeof buf, table_313(), &version, err, sizeof err),
        SG_DEBUG_OFFSETS_BAD_COOKIE);
}

static void test_mismatched_field_is_named(void **state)
{
    (void)state;
    uint8_t buf[DO_SIZE];
    char err[256];
    uint32_t version = 0;
    real_313_buffer(buf);
    put_u64(buf, DO_AT_TSTATE_CURRENT_FRAME, 80);

    assert_int_equal(
        sg_debug_offsets_check(buf, sizeof buf, table_313(), &version, err, sizeof err),
        SG_DEBUG_OFFSETS_MISMATCH);
    assert_int_equal(version, 0x030d00f0);
    assert_non_null(strstr(err, "thread_state.current_frame"));
    assert_non_null(strstr(err, "tstate_frame"));
    assert_non_null(strstr(err, " 80 "));
    assert_non_null(strstr(err, " 72 "));
}

static void test_first_mismatch_wins_and_relative_fields(void **state)
{
    (void)state;
    uint8_t buf[DO_SIZE];
    char err[256];
    real_313_buffer(buf);
    put_u64(buf, DO_AT_UNICODE_ASCII_SIZE, 48);
    put_u64(buf, DO_AT_GIL_LOCKED, 7752 + 20); /* _gil + 20, ours says + 16 */

    assert_int_equal(sg_debug_offsets_check(buf, sizeof buf, table_313(), NULL, err, sizeof err),
                     SG_DEBUG_OFFSETS_MISMATCH);
    assert_non_null(strstr(err, "gil_runtime_state_locked is 20"));
    assert_non_null(strstr(err, "gil_locked"));
}

static void test_struct_too_small_for_what_we_read(void **state)
{
    (void)state;
    uint8_t buf[DO_SIZE];
    char err[256];
    real_313_buffer(buf);
    put_u64(buf, DO_AT_TSTATE_SIZE, 200); /* we read 248 bytes of a tstate */

    assert_int_equal(sg_debug_offsets_check(buf, sizeof buf, table_313(), NULL, err, sizeof err),
                     SG_DEBUG_OFFSETS_MISMATCH);
    assert_non_null(strstr(err, "thread_state.size is 200"));
    assert_non_null(strstr(err, "tstate_size"));
}

static void test_free_threaded_is_refused(void **state)
{
    (void)state;
    uint8_t buf[DO_SIZE];
    char err[256];
    uint32_t version = 0;
    real_313_buffer(buf);
    put_u64(buf, DO_AT_FREE_THREADED, 1);

    assert_int_equal(
        sg_debug_offsets_check(buf, sizeof buf, table_313(), &version, err, sizeof err),
        SG_DEBUG_OFFSETS_FREE_THREADED);
    assert_int_equal(version, 0x030d00f0); /* still reported, for the message */
    assert_non_null(strstr(err, "free-threaded"));
    assert_non_null(strstr(err, "3.13.0"));
}

static void test_short_buffer_is_refused(void **state)
{
    (void)state;
    uint8_t buf[DO_SIZE];
    char err[256];
    real_313_buffer(buf);

    assert_int_equal(sg_debug_offsets_check(buf, DO_SIZE - 1, table_313(), NULL, err, sizeof err),
                     SG_DEBUG_OFFSETS_SHORT);
    assert_non_null(strstr(err, "583"));
    assert_int_equal(sg_debug_offsets_check(buf, 23, table_313(), NULL, err, sizeof err),
                     SG_DEBUG_OFFSETS_SHORT);
    assert_int_equal(sg_debug_offsets_check(buf, 0, table_313(), NULL, err, sizeof err),
                     SG_DEBUG_OFFSETS_SHORT);
    assert_int_equal(sg_debug_offsets_check(NULL, DO_SIZE, table_313(), NULL, err, sizeof err),
                     SG_DEBUG_OFFSETS_SHORT);
    assert_int_equal(sg_debug_offsets_version(buf, 23), 0);
}

static void test_unknown_version_and_wrong_table(void **state)
{
    (void)state;
    uint8_t buf[DO_SIZE];
    char err[256];
    uint32_t version = 0;
    real_313_buffer(buf);

    put_u64(buf, DO_AT_VERSION, 0x030e00f0); /* 3.14: a different struct */
    assert_int_equal(sg_debug_offsets_check(buf, sizeof buf, NULL, &version, err, sizeof err),
                     SG_DEBUG_OFFSETS_UNSUPPORTED);
    assert_int_equal(version, 0x030e00f0);
    assert_non_null(strstr(err, "3.14.0"));

    put_u64(buf, DO_AT_VERSION, 0x0000000100000000ull);
    assert_int_equal(sg_debug_offsets_check(buf, sizeof buf, NULL, &version, err, sizeof err),
                     SG_DEBUG_OFFSETS_UNSUPPORTED);

    put_u64(buf, DO_AT_VERSION, 0x030d01f0);
    assert_int_equal(sg_debug_offsets_check(buf, sizeof buf, sg_layout_for_version(0x030c0000),
                                            &version, err, sizeof err),
                     SG_DEBUG_OFFSETS_WRONG_TABLE);
    assert_non_null(strstr(err, "3.12"));
}

static void test_small_error_buffer_is_terminated(void **state)
{
    (void)state;
    uint8_t buf[DO_SIZE];
    char err[8];
    real_313_buffer(buf);
    put_u64(buf, DO_AT_TSTATE_CURRENT_FRAME, 80);

    assert_int_equal(sg_debug_offsets_check(buf, sizeof buf, table_313(), NULL, err, sizeof err),
                     SG_DEBUG_OFFSETS_MISMATCH);
    assert_int_equal(strlen(err), sizeof err - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_minor_has_its_table),
        cmocka_unit_test(test_patch_levels_map_to_the_minor),
        cmocka_unit_test(test_unsupported_versions_are_null),
        cmocka_unit_test(test_tables_agree_with_their_era),
        cmocka_unit_test(test_size_covers_the_313_struct),
        cmocka_unit_test(test_real_313_buffer_passes),
        cmocka_unit_test(test_wrong_cookie_is_refused),
        cmocka_unit_test(test_mismatched_field_is_named),
        cmocka_unit_test(test_first_mismatch_wins_and_relative_fields),
        cmocka_unit_test(test_struct_too_small_for_what_we_read),
        cmocka_unit_test(test_free_threaded_is_refused),
        cmocka_unit_test(test_short_buffer_is_refused),
        cmocka_unit_test(test_unknown_version_and_wrong_table),
        cmocka_unit_test(test_small_error_buffer_is_terminated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
