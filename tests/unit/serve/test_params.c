/*
 * test_params.c — query strings into parameters, and parameters into an
 * sg_view checked against a real profile (view_args.h): every parameter of
 * docs/api.md's view state, and every way a value can be wrong, each
 * named in the error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyze/package.h"
#include "serve/params.h"
#include "serve/view_args.h"

/* A profile of 3 frames and 2 threads. */
static sg_profile *small_profile(void)
{
    sg_profile *p = sg_profile_new();
    uint32_t f;
    assert_int_equal(sg_profile_intern_frame(p, "/app/main.py", 12, "main", 4, 1, &f), 0);
    assert_int_equal(sg_profile_intern_frame(p, "/app/main.py", 12, "work", 4, 10, &f), 0);
    assert_int_equal(
        sg_profile_intern_frame(p, "/usr/lib/python3.11/json/x.py", 29, "dumps", 5, 3, &f), 0);
    uint32_t t;
    assert_int_equal(sg_profile_intern_thread(p, 100, "MainThread", &t), 0);
    assert_int_equal(sg_profile_intern_thread(p, 101, "worker", &t), 0);
    return p;
}

static void parse(sg_params *q, const char *qs)
{
    sg_params_init(q);
    assert_int_equal(sg_params_parse(q, qs, strlen(qs)), 0);
}

static void test_query_string_decoding(void **state)
{
    (void)state;
    sg_params q;
    parse(&q, "?a=1&b=x%20y+z&empty=&flag&a=2&bad=%zz%4&nul=a%00b");
    assert_string_equal(sg_params_get(&q, "a"), "2"); /* the last one wins */
    assert_string_equal(sg_params_get(&q, "b"), "x y z");
    assert_string_equal(sg_params_get(&q, "empty"), "");
    assert_string_equal(sg_params_get(&q, "flag"), "");
    assert_string_equal(sg_params_get(&q, "bad"), "%zz%4");
    assert_string_equal(sg_params_get(&q, "nul"), "ab");
    assert_null(sg_params_get(&q, "missing"));
    sg_params_free(&q);
}

static void test_typed_readers(void **state)
{
    (void)state;
    sg_params q;
    parse(&q, "n=42&big=18446744073709551615&over=18446744073709551616&neg=-1&d=0.25&b=1&e=asc");
    char err[256];
    uint64_t v = 7;
    assert_int_equal(sg_params_u64(&q, "n", 100, &v, err, sizeof err), 0);
    assert_int_equal(v, 42);
    assert_int_equal(sg_params_u64(&q, "big", UINT64_MAX, &v, err, sizeof err), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(sg_params_u64(&q, "over", UINT64_MAX, &v, err, sizeof err), -1);
    assert_non_null(strstr(err, "parameter over"));
    assert_int_equal(sg_params_u64(&q, "neg", 100, &v, err, sizeof err), -1);
    assert_int_equal(sg_params_u64(&q, "n", 41, &v, err, sizeof err), -1);
    v = 9;
    assert_int_equal(sg_params_u64(&q, "absent", 100, &v, err, sizeof err), 0);
    assert_int_equal(v, 9);
    double d = 0;
    assert_int_equal(sg_params_double(&q, "d", 0, 1, &d, err, sizeof err), 0);
    assert_true(d == 0.25);
    assert_int_equal(sg_params_double(&q, "n", 0, 1, &d, err, sizeof err), -1);
    bool b = false;
    assert_int_equal(sg_params_bool(&q, "b", &b, err, sizeof err), 0);
    assert_true(b);
    assert_int_equal(sg_params_bool(&q, "d", &b, err, sizeof err), -1);
    static const char *const orders[] = {"desc", "asc"};
    int e = -1;
    assert_int_equal(sg_params_enum(&q, "e", orders, 2, &e, err, sizeof err), 0);
    assert_int_equal(e, 1);
    assert_int_equal(sg_params_enum(&q, "n", orders, 2, &e, err, sizeof err), -1);
    assert_non_null(strstr(err, "desc, asc"));
    sg_params_free(&q);
}

static void test_limits(void **state)
{
    (void)state;
    sg_params q;
    sg_params_init(&q);
    for (int i = 0; i < SG_PARAMS_MAX_COUNT; i++)
        assert_int_equal(sg_params_add(&q, "k", "v"), 0);
    assert_int_equal(sg_params_add(&q, "k", "v"), -1);
    sg_params_free(&q);
    char *huge = malloc(SG_PARAMS_MAX_BYTES + 10);
    memset(huge, 'a', SG_PARAMS_MAX_BYTES + 9);
    huge[SG_PARAMS_MAX_BYTES + 9] = '\0';
    sg_params_init(&q);
    assert_int_equal(sg_params_add(&q, "k", huge), -1);
    sg_params_free(&q);
    free(huge);
}

static void test_view_state(void **state)
{
    (void)state;
    sg_profile *p = small_profile();
    sg_params q;
    parse(&q, "t0=5&t1=900&threads=1&state=cpu,gil,active&focus=1&exclude=2"
              "&hide=^json&hide_kinds=stdlib,site&hide_packages=json,numpy&collapse=1");
    sg_view_args a;
    char err[256];
    assert_int_equal(sg_view_args_parse(&q, p, SG_VIEW_ARGS_FOCUS, &a, err, sizeof err), 0);
    const sg_view *v = &a.view;
    assert_int_equal(v->t0_ns, 5);
    assert_int_equal(v->t1_ns, 900);
    assert_false(v->threads[0]);
    assert_true(v->threads[1]);
    assert_int_equal(v->flags_set, SG_SAMPLE_ON_CPU | SG_SAMPLE_HOLDS_GIL);
    assert_int_equal(v->flags_clear, SG_SAMPLE_IDLE);
    assert_true(v->focus && v->focus_frame == 1);
    assert_true(v->exclude && v->exclude_frame == 2);
    assert_string_equal(v->hide_regex, "^json");
    assert_int_equal(v->hide_kinds,
                     SG_VIEW_HIDE_KIND(SG_PACKAGE_STDLIB) | SG_VIEW_HIDE_KIND(SG_PACKAGE_SITE));
    assert_int_equal(v->hide_package_count, 2);
    assert_string_equal(v->hide_packages[1], "numpy");
    assert_true(v->collapse_recursion);
    /* the view resolves: it is a valid sg_view for this profile */
    sg_view_resolved rv;
    assert_int_equal(sg_view_resolve(p, v, &rv), 0);
    sg_view_resolved_free(&rv);
    sg_view_args_free(&a);
    sg_params_free(&q);

    /* the call graph's view focus is view_focus; its own focus is not the view's */
    parse(&q, "focus=2&view_focus=0");
    assert_int_equal(sg_view_args_parse(&q, p, SG_VIEW_ARGS_VIEW_FOCUS, &a, err, sizeof err), 0);
    assert_true(a.view.focus && a.view.focus_frame == 0);
    sg_view_args_free(&a);
    sg_params_free(&q);

    /* nothing given: the whole profile */
    parse(&q, "");
    assert_int_equal(sg_view_args_parse(&q, p, SG_VIEW_ARGS_FOCUS, &a, err, sizeof err), 0);
    assert_null(a.view.threads);
    assert_false(a.view.focus || a.view.exclude || a.view.collapse_recursion);
    assert_int_equal(a.view.t1_ns, 0);
    sg_view_args_free(&a);
    sg_params_free(&q);
    sg_profile_free(p);
}

/* The view of side `prefix` (NULL: the shared one) of query qs is refused
 * with an error that contains needle. */
static void expect_view_error(const sg_params *q, const sg_profile *p, const char *prefix,
                              const char *qs, const char *needle)
{
    sg_view_args a;
    char err[256] = "";
    assert_int_equal(sg_view_args_parse_side(q, p, SG_VIEW_ARGS_FOCUS, prefix, &a, err, sizeof err),
                     -1);
    if (strstr(err, needle) == NULL)
        fail_msg("%s: error '%s' does not name %s", qs, err, needle);
    sg_view_args_free(&a);
}

static void test_view_state_errors(void **state)
{
    (void)state;
    static const struct {
        const char *qs, *needle;
    } bad[] = {
        {"t0=10&t1=10", "parameter t1"},
        {"t0=x", "parameter t0"},
        {"t1=-3", "parameter t1"},
        {"threads=2", "parameter threads"},
        {"threads=0,zz", "parameter threads"},
        {"threads=99999999999", "parameter threads"},
        {"state=sleeping", "parameter state"},
        {"focus=3", "parameter focus"},
        {"focus=1x", "parameter focus"},
        {"exclude=-1", "parameter exclude"},
        {"hide=a(b", "parameter hide"},
        {"hide_kinds=own,mine", "parameter hide_kinds"},
        {"collapse=yes", "parameter collapse"},
    };
    sg_profile *p = small_profile();
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        sg_params q;
        parse(&q, bad[i].qs);
        expect_view_error(&q, p, NULL, bad[i].qs, bad[i].needle);
        sg_params_free(&q);
    }
    sg_profile_free(p);
}

/* One side of a diff: "before.x" wins over "x", "x" applies when the side
 * has none, the other side's parameters are not read. */
static void test_view_state_per_side(void **state)
{
    (void)state;
    sg_profile *p = small_profile();
    sg_params q;
    parse(&q, "t0=5&t1=900&threads=0&focus=1&before.t1=400&before.threads=1&after.t0=400"
              "&after.hide=^json&collapse=1&before.collapse=0");
    sg_view_args a;
    char err[256];
    assert_int_equal(
        sg_view_args_parse_side(&q, p, SG_VIEW_ARGS_FOCUS, "before.", &a, err, sizeof err), 0);
    assert_int_equal(a.view.t0_ns, 5);
    assert_int_equal(a.view.t1_ns, 400);
    assert_false(a.view.threads[0]);
    assert_true(a.view.threads[1]);
    assert_true(a.view.focus && a.view.focus_frame == 1); /* shared */
    assert_null(a.view.hide_regex);                       /* after's own */
    assert_false(a.view.collapse_recursion);              /* before.collapse=0 wins */
    sg_view_args_free(&a);
    assert_int_equal(
        sg_view_args_parse_side(&q, p, SG_VIEW_ARGS_FOCUS, "after.", &a, err, sizeof err), 0);
    assert_int_equal(a.view.t0_ns, 400);
    assert_int_equal(a.view.t1_ns, 900);
    assert_true(a.view.threads[0]);
    assert_false(a.view.threads[1]);
    assert_string_equal(a.view.hide_regex, "^json");
    assert_true(a.view.collapse_recursion);
    sg_view_args_free(&a);
    /* no prefix: exactly sg_view_args_parse (the prefixed ones are ignored) */
    assert_int_equal(sg_view_args_parse_side(&q, p, SG_VIEW_ARGS_FOCUS, NULL, &a, err, sizeof err),
                     0);
    assert_int_equal(a.view.t0_ns, 5);
    assert_int_equal(a.view.t1_ns, 900);
    sg_view_args_free(&a);
    sg_params_free(&q);
    sg_profile_free(p);
}

static void test_view_state_per_side_errors(void **state)
{
    (void)state;
    static const struct {
        const char *qs, *needle;
    } bad[] = {
        {"before.t0=x", "parameter before.t0:"},
        {"t0=10&before.t1=10", "parameter before.t1: 10 is not after t0"},
        {"before.t0=10&t1=10", "parameter t1: 10 is not after before.t0"},
        {"before.threads=7", "parameter before.threads:"},
        {"before.state=asleep", "parameter before.state:"},
        {"before.focus=9", "parameter before.focus:"},
        {"before.exclude=z", "parameter before.exclude:"},
        {"before.hide=(", "parameter before.hide:"},
        {"before.hide_kinds=moon", "parameter before.hide_kinds:"},
        {"before.collapse=2", "parameter before.collapse:"},
        {"before.limit=3", "parameter before.limit: 'limit' is not a view parameter"},
        {"before.view_focus=1", "parameter before.view_focus:"},
        {"before.=1", "parameter before.:"},
    };
    sg_profile *p = small_profile();
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        sg_params q;
        parse(&q, bad[i].qs);
        expect_view_error(&q, p, "before.", bad[i].qs, bad[i].needle);
        sg_view_args a;
        char err[256] = "";
        /* the other side does not read them (the shared ones left are valid) */
        assert_int_equal(
            sg_view_args_parse_side(&q, p, SG_VIEW_ARGS_FOCUS, "after.", &a, err, sizeof err), 0);
        sg_view_args_free(&a);
        sg_params_free(&q);
    }
    sg_profile_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_string_decoding),
        cmocka_unit_test(test_typed_readers),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_view_state),
        cmocka_unit_test(test_view_state_errors),
        cmocka_unit_test(test_view_state_per_side),
        cmocka_unit_test(test_view_state_per_side_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
