/*
 * test_package.c — package classification from paths: standard library,
 * site-packages, built-ins, frozen modules, and the program's own code
 * grouped below the directory common to its files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyze/package.h"

static void expect(const char *path, int kind, const char *name)
{
    const char *got = NULL;
    size_t len = 0;
    int k = sg_package_of_path(path, strlen(path), &got, &len);
    if (k != kind)
        fail_msg("%s: kind %d, want %d", path, k, kind);
    if (name != NULL && (len != strlen(name) || memcmp(got, name, len) != 0))
        fail_msg("%s: name '%.*s', want '%s'", path, (int)len, got, name);
}

static void test_paths(void **state)
{
    (void)state;
    expect("/usr/lib/python3.12/json/decoder.py", SG_PACKAGE_STDLIB, "json");
    expect("/root/.pyenv/versions/3.11.7/lib/python3.11/threading.py", SG_PACKAGE_STDLIB,
           "threading");
    expect("/usr/lib64/python3.9/lib-dynload/_json.cpython-39-x86_64-linux-gnu.so",
           SG_PACKAGE_STDLIB, "_json");
    expect("/opt/py/lib/python3.13t/asyncio/events.py", SG_PACKAGE_STDLIB, "asyncio");
    expect("C:\\Python312\\Lib\\json\\decoder.py", SG_PACKAGE_STDLIB, "json");
    expect("/venv/lib/python3.12/site-packages/numpy/core/numeric.py", SG_PACKAGE_SITE, "numpy");
    expect("/usr/lib/python3/dist-packages/six.py", SG_PACKAGE_SITE, "six");
    expect("/venv/lib/python3.8/site-packages/foo-1.0-py3.8.egg/foo/bar.py", SG_PACKAGE_SITE,
           "foo");
    expect("C:\\Python312\\Lib\\site-packages\\requests\\api.py", SG_PACKAGE_SITE, "requests");
    expect("~", SG_PACKAGE_BUILTIN, "<built-in>");
    expect("", SG_PACKAGE_BUILTIN, "<built-in>");
    expect("<frozen importlib._bootstrap>", SG_PACKAGE_STDLIB, "importlib");
    expect("<frozen runpy>", SG_PACKAGE_STDLIB, "runpy");
    expect("<string>", SG_PACKAGE_OTHER, "<string>");
    expect("/home/me/proj/app/models.py", SG_PACKAGE_OWN, NULL);
    expect("app/models.py", SG_PACKAGE_OWN, NULL);
    expect("/home/me/lib/thing.py", SG_PACKAGE_OWN, NULL); /* "lib" alone is not the stdlib */
}

static void add_frame(sg_profile *p, const char *file, const char *name)
{
    uint32_t id;
    assert_int_equal(sg_profile_intern_frame(p, file, strlen(file), name, strlen(name), 1, &id), 0);
}

static const char *package_of(const sg_profile *p, const sg_packages *pk, const uint32_t *fp,
                              const char *file, int *kind)
{
    for (uint32_t f = 0; f < p->frames.count; f++)
        if (strcmp(sg_strings_get(&p->strings, p->frames.rows[f].file), file) == 0) {
            *kind = pk->items[fp[f]].kind;
            return pk->items[fp[f]].name;
        }
    fail_msg("no frame in %s", file);
    return NULL;
}

static void check_groups(const char *const *files, size_t n, const char *const *want, int kind)
{
    sg_profile *p = sg_profile_new();
    for (size_t i = 0; i < n; i++)
        add_frame(p, files[i], "f");
    add_frame(p, "/usr/lib/python3.12/json/decoder.py", "decode");
    uint32_t fp[16];
    sg_packages pk;
    assert_int_equal(sg_packages_classify(p, &pk, fp), 0);
    for (size_t i = 0; i < n; i++) {
        int k;
        const char *name = package_of(p, &pk, fp, files[i], &k);
        assert_int_equal(k, kind);
        assert_string_equal(name, want[i]);
    }
    int k;
    assert_string_equal(package_of(p, &pk, fp, "/usr/lib/python3.12/json/decoder.py", &k), "json");
    sg_packages_free(&pk);
    sg_profile_free(p);
}

static void test_own_code_groups(void **state)
{
    (void)state;
    const char *a[] = {"/proj/main.py", "/proj/app/models.py", "/proj/app/sub/x.py",
                       "/proj/tools/cli.py"};
    const char *a_want[] = {"main", "app", "app", "tools"};
    check_groups(a, 4, a_want, SG_PACKAGE_OWN);
    const char *b[] = {"/srv/pkg/mod.py", "/srv/pkg/util.py"}; /* one directory */
    const char *b_want[] = {"mod", "util"};
    check_groups(b, 2, b_want, SG_PACKAGE_OWN);
    const char *c[] = {"/srv/project/a.py", "/srv/proj/b.py"}; /* no false common prefix */
    const char *c_want[] = {"project", "proj"};
    check_groups(c, 2, c_want, SG_PACKAGE_OWN);
    const char *d[] = {"script.py", "pkg/mod.py"}; /* relative paths */
    const char *d_want[] = {"script", "pkg"};
    check_groups(d, 2, d_want, SG_PACKAGE_OWN);
    const char *e[] = {"/main.py", "/x/y.py"};
    const char *e_want[] = {"main", "x"};
    check_groups(e, 2, e_want, SG_PACKAGE_OWN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_own_code_groups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
