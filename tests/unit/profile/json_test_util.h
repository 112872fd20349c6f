/*
 * json_test_util.h — helpers shared by the tests of the JSON formats
 * (speedscope, Chrome trace events, Firefox Profiler): per-function totals
 * to compare a profile with what came back through a format, exporting to
 * memory, and reading the committed fixtures.
 */
#ifndef SG_TEST_PROFILE_JSON_TEST_UTIL_H
#define SG_TEST_PROFILE_JSON_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "profile/formats.h"

/* Self and total weight of every function (name, file), each scaled by
 * `scale` (e.g. the interval, to compare counts with nanoseconds). Total
 * counts a function once per sample, however often it recurses. */
typedef struct jt_totals {
    size_t count;
    char **key; /* "name\tfile", sorted */
    uint64_t *self, *total;
} jt_totals;

void jt_totals_of(const sg_profile *p, uint64_t scale, jt_totals *t);
void jt_totals_free(jt_totals *t);
/* Assert (cmocka) that both list the same functions with the same sums. */
void jt_assert_same_totals(const jt_totals *a, const jt_totals *b);
/* Self weight of the function `name` (any file), 0 if absent. */
uint64_t jt_self_of(const jt_totals *t, const char *name);
uint64_t jt_total_of(const jt_totals *t, const char *name);

/* Export p with `fn` into a malloc'd NUL-terminated buffer (asserts). */
char *jt_export(const sg_profile *p, sg_export_fn fn, size_t *len);

/* The bytes of tests/fixtures/json/NAME ($SG_SOURCE_DIR is the repo). */
unsigned char *jt_fixture(const char *name, size_t *len);

#endif
