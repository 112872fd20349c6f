/*
 * json_test_util.c — see json_test_util.h.
 */
#include "json_test_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixtures.h"

typedef struct entry {
    char *key;
    uint64_t self, total;
} entry;

static int compare_entries(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->key, ((const entry *)b)->key);
}

void jt_totals_of(const sg_profile *p, uint64_t scale, jt_totals *t)
{
    uint32_t nf = p->frames.count;
    uint64_t *self = calloc((size_t)nf + 1, sizeof *self), *total = calloc((size_t)nf + 1, 8);
    size_t *seen = calloc((size_t)nf + 1, sizeof *seen);
    assert_true(self != NULL && total != NULL && seen != NULL);
    for (size_t i = 0; i < p->samples.count; i++) {
        uint32_t stack = p->samples.stack[i];
        uint64_t w = (uint64_t)p->samples.weight[i] * scale;
        if (stack == SG_STACK_NONE)
            continue;
        self[p->stacks.rows[stack].frame] += w;
        for (uint32_t id = stack; id != SG_STACK_NONE; id = p->stacks.rows[id].parent) {
            uint32_t f = p->stacks.rows[id].frame;
            if (seen[f] != i + 1) {
                seen[f] = i + 1;
                total[f] += w;
            }
        }
    }
    /* Merge frames of one function (same name and file, other first line). */
    entry *e = calloc((size_t)nf + 1, sizeof *e);
    assert_non_null(e);
    size_t n = 0;
    for (uint32_t f = 0; f < nf; f++) {
        if (total[f] == 0)
            continue;
        const sg_frame *fr = &p->frames.rows[f];
        const char *name = sg_strings_get(&p->strings, fr->name);
        const char *file = sg_strings_get(&p->strings, fr->file);
        e[n].key = malloc(strlen(name) + strlen(file) + 2);
        assert_non_null(e[n].key);
        sprintf(e[n].key, "%s\t%s", name, file);
        e[n].self = self[f];
        e[n].total = total[f];
        n++;
    }
    qsort(e, n, sizeof *e, compare_entries);
    t->count = 0;
    t->key = calloc(n + 1, sizeof *t->key);
    t->self = calloc(n + 1, sizeof *t->self);
    t->total = calloc(n + 1, sizeof *t->total);
    for (size_t k = 0; k < n; k++) {
        if (t->count > 0 && strcmp(t->key[t->count - 1], e[k].key) == 0) {
            t->self[t->count - 1] += e[k].self;
            t->total[t->count - 1] += e[k].total; /* frames differ: no double count in tests */
            free(e[k].key);
            continue;
        }
        t->key[t->count] = e[k].key;
        t->self[t->count] = e[k].self;
        t->total[t->count] = e[k].total;
        t->count++;
    }
    free(e);
    free(self);
    free(total);
    free(seen);
}

void jt_totals_free(jt_totals *t)
{
    for (size_t k = 0; k < t->count; k++)
        free(t->key[k]);
    free(t->key);
    free(t->self);
    free(t->total);
    memset(t, 0, sizeof *t);
}

void jt_assert_same_totals(const jt_totals *a, const jt_totals *b)
{
    for (size_t k = 0; k < a->count && k < b->count; k++) {
        if (strcmp(a->key[k], b->key[k]) != 0 || a->self[k] != b->self[k] ||
            a->total[k] != b->total[k])
            fail_msg("function %zu: %s self %llu total %llu vs %s self %llu total %llu", k,
                     a->key[k], (unsigned long long)a->self[k], (unsigned long long)a->total[k],
                     b->key[k], (unsigned long long)b->self[k], (unsigned long long)b->total[k]);
    }
    assert_int_equal(a->count, b->count);
}

static uint64_t find(const jt_totals *t, const char *name, bool self)
{
    uint64_t sum = 0;
    size_t len = strlen(name);
    for (size_t k = 0; k < t->count; k++)
        if (strncmp(t->key[k], name, len) == 0 && t->key[k][len] == '\t')
            sum += self ? t->self[k] : t->total[k];
    return sum;
}

uint64_t jt_self_of(const jt_totals *t, const char *name)
{
    return find(t, name, true);
}

uint64_t jt_total_of(const jt_totals *t, const char *name)
{
    return find(t, name, false);
}

char *jt_export(const sg_profile *p, sg_export_fn fn, size_t *len)
{
    char *buf = NULL, err[512] = "";
    FILE *out = open_memstream(&buf, len);
    assert_non_null(out);
    int rc = fn(p, out, NULL, err, sizeof err);
    if (rc != 0)
        fail_msg("export failed: %s", err);
    assert_int_equal(fclose(out), 0);
    return buf;
}

unsigned char *jt_fixture(const char *name, size_t *len)
{
    const char *root = getenv("SG_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/json/%s", root != NULL ? root : ".", name);
    return fx_read_file(path, len);
}
