/*
 * test_encoders.c — the JSON encoder (jbuf.h), id generation and checking
 * (ids.h), and the JSON body parsers (body_json.h). Encoded strings are
 * checked by reading them back with jansson, a parser we did not write.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "serve/body_json.h"
#include "serve/ids.h"
#include "serve/jbuf.h"

/* Encode s as a JSON string, parse it back, return the decoded text. */
static char *round_trip(const char *s, size_t n)
{
    sg_jbuf b;
    sg_jbuf_init(&b);
    sg_jbuf_puts(&b, "[");
    sg_jbuf_strn(&b, s, n);
    sg_jbuf_puts(&b, "]");
    size_t len;
    char *text = sg_jbuf_take(&b, &len);
    assert_non_null(text);
    json_error_t je;
    json_t *j = json_loadb(text, len, 0, &je);
    if (j == NULL)
        fail_msg("not valid JSON: %s (%s)", text, je.text);
    char *out = strdup(json_string_value(json_array_get(j, 0)));
    json_decref(j);
    free(text);
    return out;
}

static void test_strings(void **state)
{
    (void)state;
    char *r = round_trip("a\"b\\c\n\t\x01 é 𝄞", strlen("a\"b\\c\n\t\x01 é 𝄞"));
    assert_string_equal(r, "a\"b\\c\n\t\x01 é 𝄞");
    free(r);
    /* invalid UTF-8 (a lone continuation byte, an overlong '/', a surrogate, a
     * truncated sequence) comes out as U+FFFD, never as broken JSON */
    static const char bad[] = "x\x80y\xc0\xafz\xed\xa0\x80w\xe2\x82";
    r = round_trip(bad, sizeof bad - 1);
    assert_string_equal(r, "x\xef\xbf\xbdy\xef\xbf\xbd\xef\xbf\xbdz\xef\xbf\xbd\xef\xbf\xbd"
                           "\xef\xbf\xbdw\xef\xbf\xbd\xef\xbf\xbd");
    free(r);
    char zero[3] = {'a', 0, 'b'};
    sg_jbuf b;
    sg_jbuf_init(&b);
    sg_jbuf_strn(&b, zero, 3);
    assert_string_equal(b.data, "\"a\\u0000b\"");
    sg_jbuf_free(&b);
}

static void test_numbers(void **state)
{
    (void)state;
    sg_jbuf b;
    sg_jbuf_init(&b);
    sg_jbuf_u64(&b, 0);
    sg_jbuf_char(&b, ',');
    sg_jbuf_u64(&b, UINT64_MAX);
    sg_jbuf_char(&b, ',');
    sg_jbuf_i64(&b, INT64_MIN);
    sg_jbuf_char(&b, ',');
    sg_jbuf_double(&b, 0.5);
    sg_jbuf_char(&b, ',');
    sg_jbuf_double(&b, 1.0 / 0.0);
    sg_jbuf_char(&b, ',');
    sg_jbuf_bool(&b, true);
    sg_jbuf_char(&b, ',');
    sg_jbuf_str(&b, NULL);
    assert_string_equal(b.data, "0,18446744073709551615,-9223372036854775808,0.5,0,true,null");
    sg_jbuf_printf(&b, "%0300d", 7); /* longer than printf's small buffer */
    assert_int_equal(b.len, strlen(b.data));
    assert_int_equal(b.data[b.len - 1], '7');
    size_t len;
    char *s = sg_jbuf_take(&b, &len);
    assert_int_equal(len, strlen(s));
    assert_null(b.data);
    free(s);
}

static void test_ids(void **state)
{
    (void)state;
    char seen[64][SG_ID_LEN + 1];
    for (int i = 0; i < 64; i++) {
        assert_int_equal(sg_id_new(seen[i]), 0);
        assert_true(sg_id_valid(seen[i]));
        for (int j = 0; j < i; j++)
            assert_string_not_equal(seen[i], seen[j]);
    }
    static const char *const invalid[] = {"",         "abc",       "abcdefghi", "ABCDEFGH",
                                          "abcd/fgh", "../../etc", "abcdefg.",  "abc efgh"};
    for (size_t i = 0; i < sizeof invalid / sizeof *invalid; i++)
        assert_false(sg_id_valid(invalid[i]));
    assert_false(sg_id_valid(NULL));
    assert_true(sg_id_valid("a1b2c3d4"));
}

static void test_profile_patch(void **state)
{
    (void)state;
    sg_profile_patch p;
    char err[256];
    const char *ok = "{\"name\": \"run 3\", \"tags\": [\"b\", \"a\", \"b\"]}";
    assert_int_equal(sg_profile_patch_parse(ok, strlen(ok), &p, err, sizeof err), 0);
    assert_string_equal(p.name, "run 3");
    assert_string_equal(p.tags_json, "[\"b\",\"a\"]");
    sg_profile_patch_free(&p);
    static const struct {
        const char *body, *needle;
    } bad[] = {
        {"", "empty"},
        {"{", "not valid JSON"},
        {"[]", "object"},
        {"{}", "nothing to change"},
        {"{\"name\": 3}", "name"},
        {"{\"tags\": \"a\"}", "tags"},
        {"{\"tags\": [\"\"]}", "tags"},
        {"{\"tags\": [1]}", "element 0"},
        {"{\"name\": \"a\", \"name\": \"b\"}", "JSON"},
        {"{\"owner\": \"x\"}", "owner"},
        {"{\"name\": \"a\\u0000b\"}", "JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        assert_int_equal(
            sg_profile_patch_parse(bad[i].body, strlen(bad[i].body), &p, err, sizeof err), -1);
        if (strstr(err, bad[i].needle) == NULL)
            fail_msg("%s: error '%s' does not say %s", bad[i].body, err, bad[i].needle);
    }
}

static void test_view_body_and_tags(void **state)
{
    (void)state;
    sg_view_body v;
    char err[256];
    const char *ok = "{\"profile\": \"abcd1234\", \"state\": \"v=flame\", \"note\": \"n\"}";
    assert_int_equal(sg_view_body_parse(ok, strlen(ok), &v, err, sizeof err), 0);
    assert_string_equal(v.profile, "abcd1234");
    assert_string_equal(v.state, "v=flame");
    assert_string_equal(v.tags_json, "[]");
    sg_view_body_free(&v);
    const char *bad = "{\"profile\": \"../etc\"}";
    assert_int_equal(sg_view_body_parse(bad, strlen(bad), &v, err, sizeof err), -1);
    assert_non_null(strstr(err, "profile"));
    const char *missing = "{\"state\": \"x\"}";
    assert_int_equal(sg_view_body_parse(missing, strlen(missing), &v, err, sizeof err), -1);
    assert_non_null(strstr(err, "missing"));
    char *tags;
    assert_int_equal(sg_tags_from_list("x,,y,x", &tags, err, sizeof err), 0);
    assert_string_equal(tags, "[\"x\",\"y\"]");
    free(tags);
    char many[SG_TAGS_MAX * 4 + 8] = "";
    for (int i = 0; i <= SG_TAGS_MAX; i++)
        sprintf(many + strlen(many), "%d,", i);
    assert_int_equal(sg_tags_from_list(many, &tags, err, sizeof err), -1);
    assert_non_null(strstr(err, "at most"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_profile_patch),
        cmocka_unit_test(test_view_body_and_tags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
