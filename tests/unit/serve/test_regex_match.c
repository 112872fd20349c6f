/*
 * test_regex_match.c — the function table's request regex (regex_match.h)
 * on real PCRE2: case-insensitive matching as the viewer's JavaScript
 * RegExp('…', 'i') does, the JavaScript-compatible escapes, subjects of
 * any bytes, a bad pattern named with PCRE2's message and offset, a
 * pattern over the length limit, and a catastrophic pattern stopped by
 * the match limits instead of running for minutes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "serve/regex_match.h"

/* 1/0 for pattern on subject, asserting both compile and match work. */
static int matches(const char *pattern, const char *subject)
{
    char err[300] = "";
    sg_regex *re;
    assert_int_equal(sg_regex_compile(pattern, &re, err, sizeof err), 0);
    int rc = sg_regex_test(re, subject, strlen(subject), err, sizeof err);
    assert_true(rc == 0 || rc == 1);
    sg_regex_free(re);
    return rc;
}

static void test_matches_like_a_case_insensitive_js_regexp(void **state)
{
    (void)state;
    assert_int_equal(matches("^json\\.", "JSON.decoder.JSONDecoder.decode (/usr/lib/json/x.py)"),
                     1);
    assert_int_equal(matches("^json\\.", "myjson.dumps"), 0);
    assert_int_equal(matches("Decode$", "JSONDecoder.decode"), 1);
    assert_int_equal(matches("decode$", "decode\n"), 0); /* $ only at the very end, as in JS */
    assert_int_equal(matches("func_(1|2)\\d{2}\\b", "func_199 (/proj/mod.py)"), 1);
    assert_int_equal(matches("(?<!_)init", "__init__"), 0);
    assert_int_equal(matches("\\(/proj/", "f (/proj/a.py)"), 1);
    /* JavaScript's escapes and classes (PCRE2's JS-compatibility options) */
    assert_int_equal(matches("caf\\u00e9", "CAF\xc3\x89.open"), 1);
    assert_int_equal(matches("a[^]b", "a\nb"), 1);
    assert_int_equal(matches("a[]b", "ab"), 0);
    assert_int_equal(matches("(x)?\\1y", "y"), 1); /* an unset group matches empty */
    /* \w is ASCII, as in a JS regex without the u flag */
    assert_int_equal(matches("^\\w+$", "\xc3\xa9t\xc3\xa9"), 0);
}

static void test_subjects_of_any_bytes(void **state)
{
    (void)state;
    /* invalid UTF-8 in a name: no match there, no error */
    assert_int_equal(matches("bad", "\xff\xfe bad \xc3"), 1);
    assert_int_equal(matches("^.$", "\xff"), 0);
    char err[300];
    sg_regex *re;
    assert_int_equal(sg_regex_compile("a.c", &re, err, sizeof err), 0);
    assert_int_equal(sg_regex_test(re, "a\0c", 3, err, sizeof err), 1); /* length, not NUL */
    sg_regex_free(re);
}

static void test_bad_patterns_are_named(void **state)
{
    (void)state;
    char err[300];
    sg_regex *re = (sg_regex *)&err; /* must come back NULL */
    assert_int_equal(sg_regex_compile("func_(1", &re, err, sizeof err), -1);
    assert_null(re);
    assert_string_equal(err, "not a valid regular expression: missing closing parenthesis at "
                             "offset 7");
    assert_int_equal(sg_regex_compile("a{2,1}", &re, err, sizeof err), -1);
    assert_non_null(strstr(err, "out of order"));
    assert_non_null(strstr(err, "offset 5"));
    assert_int_equal(sg_regex_compile("\xff", &re, err, sizeof err), -1); /* not UTF-8 */
    assert_non_null(strstr(err, "UTF-8"));
    assert_int_equal(sg_regex_compile("\\C", &re, err, sizeof err), -1);

    char *longp = malloc(SG_REGEX_MAX_PATTERN + 2);
    memset(longp, 'a', SG_REGEX_MAX_PATTERN + 1);
    longp[SG_REGEX_MAX_PATTERN + 1] = '\0';
    assert_int_equal(sg_regex_compile(longp, &re, err, sizeof err), -1);
    assert_string_equal(err, "the pattern is 1001 bytes long; at most 1000 are allowed");
    longp[SG_REGEX_MAX_PATTERN] = '\0';
    assert_int_equal(sg_regex_compile(longp, &re, err, sizeof err), 0);
    sg_regex_free(re);
    free(longp);

    char nest[400] = "";
    for (int i = 0; i < 150; i++)
        strcat(nest, "(");
    assert_int_equal(sg_regex_compile(nest, &re, err, sizeof err), -1);
    assert_non_null(strstr(err, "parentheses are too deeply nested"));
}

static void test_catastrophic_backtracking_is_stopped(void **state)
{
    (void)state;
    char err[300];
    sg_regex *re;
    /* nested quantifiers over a name that almost matches: 2^n paths */
    assert_int_equal(sg_regex_compile("^(\\w+\\s?)*$", &re, err, sizeof err), 0);
    const char *name = "a_long_function_name_that_nearly_matches_the_pattern!";
    assert_int_equal(sg_regex_test(re, name, strlen(name), err, sizeof err), -1);
    assert_string_equal(err, "the pattern is too costly to match (match limit exceeded)");
    /* the same regex still answers on a short name */
    assert_int_equal(sg_regex_test(re, "short name", 10, err, sizeof err), 1);
    sg_regex_free(re);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_like_a_case_insensitive_js_regexp),
        cmocka_unit_test(test_subjects_of_any_bytes),
        cmocka_unit_test(test_bad_patterns_are_named),
        cmocka_unit_test(test_catastrophic_backtracking_is_stopped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
