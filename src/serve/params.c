/*
 * params.c — query-string parameters and their typed readers (params.h).
 *
 * Invariant: bytes (the sum of key and value lengths) never exceeds
 * SG_PARAMS_MAX_BYTES and count never exceeds SG_PARAMS_MAX_COUNT.
 */
#include "serve/params.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/jbuf.h"

void sg_params_init(sg_params *q)
{
    memset(q, 0, sizeof *q);
}

void sg_params_free(sg_params *q)
{
    for (size_t i = 0; i < q->count; i++) {
        free(q->items[i].key);
        free(q->items[i].value);
    }
    free(q->items);
    sg_params_init(q);
}

static int add_owned(sg_params *q, char *key, char *value, size_t bytes)
{
    if (q->count >= SG_PARAMS_MAX_COUNT || q->bytes + bytes > SG_PARAMS_MAX_BYTES)
        goto fail;
    if (q->count == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 8;
        sg_param *items = realloc(q->items, cap * sizeof *items);
        if (items == NULL)
            goto fail;
        q->items = items;
        q->cap = cap;
    }
    q->items[q->count++] = (sg_param){key, value};
    q->bytes += bytes;
    return 0;
fail:
    free(key);
    free(value);
    return -1;
}

int sg_params_add(sg_params *q, const char *key, const char *value)
{
    if (value == NULL)
        value = "";
    size_t kl = strlen(key), vl = strlen(value);
    if (kl > SG_PARAMS_MAX_BYTES || vl > SG_PARAMS_MAX_BYTES)
        return -1;
    char *k = strdup(key), *v = strdup(value);
    if (k == NULL || v == NULL) {
        free(k);
        free(v);
        return -1;
    }
    return add_owned(q, k, v, kl + vl);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode n bytes of s (%XX, '+') into a new NUL-terminated string. A
 * malformed escape stays as it is; a decoded NUL is dropped (C strings). */
static char *decode(const char *s, size_t n)
{
    char *out = malloc(n + 1), *o = out;
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+')
            c = ' ';
        else if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        }
        if (c != '\0')
            *o++ = c;
    }
    *o = '\0';
    return out;
}

int sg_params_parse(sg_params *q, const char *qs, size_t len)
{
    size_t i = 0;
    if (len > 0 && qs[0] == '?')
        i = 1;
    if (len > SG_PARAMS_MAX_BYTES + SG_PARAMS_MAX_COUNT * 2)
        return -1;
    while (i < len) {
        size_t end = i;
        while (end < len && qs[end] != '&')
            end++;
        if (end > i) {
            size_t eq = i;
            while (eq < end && qs[eq] != '=')
                eq++;
            char *k = decode(qs + i, eq - i);
            char *v = eq < end ? decode(qs + eq + 1, end - eq - 1) : decode("", 0);
            if (k == NULL || v == NULL) {
                free(k);
                free(v);
                return -1;
            }
            if (add_owned(q, k, v, strlen(k) + strlen(v)) != 0)
                return -1;
        }
        i = end + 1;
    }
    return 0;
}

const char *sg_params_get(const sg_params *q, const char *key)
{
    for (size_t i = q->count; i-- > 0;)
        if (strcmp(q->items[i].key, key) == 0)
            return q->items[i].value;
    return NULL;
}

bool sg_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (s[0] < '0' || s[0] > '9')
        return false;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        unsigned d = (unsigned)(*p - '0');
        if (v > (max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static int bad(const char *key, const char *value, const char *want, char *err, size_t errlen)
{
    snprintf(err, errlen, "parameter %s: '%.64s' is not %s", key, value, want);
    return -1;
}

int sg_params_u64(const sg_params *q, const char *key, uint64_t max, uint64_t *out, char *err,
                  size_t errlen)
{
    const char *v = sg_params_get(q, key);
    if (v == NULL)
        return 0;
    if (!sg_parse_u64(v, max, out)) {
        char want[64];
        snprintf(want, sizeof want, "a whole number from 0 to %llu", (unsigned long long)max);
        return bad(key, v, want, err, errlen);
    }
    return 0;
}

int sg_params_u32(const sg_params *q, const char *key, uint32_t max, uint32_t *out, char *err,
                  size_t errlen)
{
    uint64_t v = *out;
    if (sg_params_u64(q, key, max, &v, err, errlen) != 0)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int sg_params_double(const sg_params *q, const char *key, double lo, double hi, double *out,
                     char *err, size_t errlen)
{
    const char *v = sg_params_get(q, key);
    if (v == NULL)
        return 0;
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (*v == '\0' || *end != '\0' || errno != 0 || !isfinite(d) || d < lo || d > hi) {
        char want[80];
        snprintf(want, sizeof want, "a number from %g to %g", lo, hi);
        return bad(key, v, want, err, errlen);
    }
    *out = d;
    return 0;
}

int sg_params_bool(const sg_params *q, const char *key, bool *out, char *err, size_t errlen)
{
    const char *v = sg_params_get(q, key);
    if (v == NULL)
        return 0;
    if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0)
        *out = true;
    else if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0)
        *out = false;
    else
        return bad(key, v, "0 or 1", err, errlen);
    return 0;
}

int sg_params_enum(const sg_params *q, const char *key, const char *const *names, size_t n,
                   int *out, char *err, size_t errlen)
{
    const char *v = sg_params_get(q, key);
    if (v == NULL)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(v, names[i]) == 0) {
            *out = (int)i;
            return 0;
        }
    char want[256] = "one of";
    size_t used = strlen(want);
    for (size_t i = 0; i < n && used < sizeof want; i++)
        used += (size_t)snprintf(want + used, sizeof want - used, "%s %s", i ? "," : "", names[i]);
    return bad(key, v, want, err, errlen);
}

static int key_cmp(const void *a, const void *b)
{
    const sg_param *x = *(const sg_param *const *)a, *y = *(const sg_param *const *)b;
    return strcmp(x->key, y->key);
}

void sg_params_key(const sg_params *q, const char *const *skip, sg_jbuf *out)
{
    if (q->count == 0)
        return;
    const sg_param **sorted = malloc(q->count * sizeof *sorted);
    if (sorted == NULL) {
        out->failed = true;
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < q->count; i++) {
        const char *k = q->items[i].key;
        bool skipped = false;
        for (const char *const *s = skip; s != NULL && *s != NULL && !skipped; s++)
            skipped = strcmp(*s, k) == 0;
        /* only the last occurrence of a key counts (sg_params_get) */
        for (size_t j = i + 1; j < q->count && !skipped; j++)
            skipped = strcmp(q->items[j].key, k) == 0;
        if (!skipped)
            sorted[n++] = &q->items[i];
    }
    qsort(sorted, n, sizeof *sorted, key_cmp);
    for (size_t i = 0; i < n; i++)
        sg_jbuf_printf(out, "%zu:%s%zu:%s", strlen(sorted[i]->key), sorted[i]->key,
                       strlen(sorted[i]->value), sorted[i]->value);
    free(sorted);
}
