/*
 * view_args.c — request parameters → sg_view, checked against the profile
 * (view_args.h). Comma lists are split by hand: no strtok (not reentrant
 * across the server's threads) and no allocation per item but the copies
 * the view keeps.
 */
#include "serve/view_args.h"

#include <assert.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/package.h"

#define SG_HIDE_REGEX_MAX 4096
#define SG_SIDE_KEY_MAX   64 /* a prefix and the longest view parameter name */

/* The view parameters' names (docs/api.md), for the check of prefixed
 * ones: a typo in "before.t0" must not silently diff the whole profile. */
static const char *const view_names[] = {"t0",      "t1",   "threads",    "state",
                                         "exclude", "hide", "hide_kinds", "hide_packages",
                                         "collapse"}; /* and the focus */

/* The name a view parameter is read under: "PREFIXname" when the request
 * has it (a side's own value wins), else the shared "name". buf (of
 * SG_SIDE_KEY_MAX bytes) holds the prefixed name; the result is the name
 * an error must give. */
static const char *key_of(const sg_params *q, const char *prefix, const char *name, char *buf)
{
    if (prefix == NULL || prefix[0] == '\0')
        return name;
    int n = snprintf(buf, SG_SIDE_KEY_MAX, "%s%s", prefix, name);
    if (n > 0 && n < SG_SIDE_KEY_MAX && sg_params_get(q, buf) != NULL)
        return buf;
    return name;
}

void sg_view_args_free(sg_view_args *a)
{
    free(a->threads);
    free(a->hide_regex);
    for (size_t i = 0; i < a->hide_package_count; i++)
        free(a->hide_packages[i]);
    free(a->hide_packages);
    memset(a, 0, sizeof *a);
}

/* The next item of a comma list: [*start, *end) of s from *pos; false at
 * the end. Empty items are skipped. */
static bool next_item(const char *s, size_t *pos, size_t *start, size_t *end)
{
    while (s[*pos] == ',')
        (*pos)++;
    if (s[*pos] == '\0')
        return false;
    *start = *pos;
    while (s[*pos] != '\0' && s[*pos] != ',')
        (*pos)++;
    *end = *pos;
    return true;
}

static bool item_is(const char *s, size_t start, size_t end, const char *word)
{
    return strlen(word) == end - start && memcmp(s + start, word, end - start) == 0;
}

static int parse_threads(const char *key, const char *v, const sg_profile *p, sg_view_args *out,
                         char *err, size_t errlen)
{
    out->threads = calloc((size_t)p->threads.count + 1, sizeof *out->threads);
    if (out->threads == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t pos = 0, a, b;
    while (next_item(v, &pos, &a, &b)) {
        char num[24];
        uint64_t t;
        if (b - a >= sizeof num)
            goto bad;
        memcpy(num, v + a, b - a);
        num[b - a] = '\0';
        if (!sg_parse_u64(num, UINT32_MAX, &t) || t >= p->threads.count)
            goto bad;
        out->threads[t] = true;
        continue;
    bad:
        snprintf(err, errlen,
                 "parameter %s: '%.*s' is not a thread index of this profile (0 to %ld)", key,
                 (int)(b - a > 32 ? 32 : b - a), v + a, (long)p->threads.count - 1);
        return -1;
    }
    out->view.threads = out->threads;
    return 0;
}

static int parse_state(const char *key, const char *v, sg_view *view, char *err, size_t errlen)
{
    size_t pos = 0, a, b;
    while (next_item(v, &pos, &a, &b)) {
        if (item_is(v, a, b, "cpu"))
            view->flags_set |= SG_SAMPLE_ON_CPU;
        else if (item_is(v, a, b, "gil"))
            view->flags_set |= SG_SAMPLE_HOLDS_GIL;
        else if (item_is(v, a, b, "active"))
            view->flags_clear |= SG_SAMPLE_IDLE;
        else {
            snprintf(err, errlen, "parameter %s: '%.*s' is not cpu, gil or active", key,
                     (int)(b - a > 32 ? 32 : b - a), v + a);
            return -1;
        }
    }
    return 0;
}

static int parse_frame(const sg_params *q, const char *key, const sg_profile *p, bool *set,
                       uint32_t *frame, char *err, size_t errlen)
{
    const char *v = sg_params_get(q, key);
    if (v == NULL || *v == '\0')
        return 0;
    uint64_t f;
    if (!sg_parse_u64(v, UINT32_MAX, &f) || f >= p->frames.count) {
        snprintf(err, errlen, "parameter %s: '%.32s' is not a frame id of this profile (0 to %ld)",
                 key, v, (long)p->frames.count - 1);
        return -1;
    }
    *set = true;
    *frame = (uint32_t)f;
    return 0;
}

static int parse_hide(const char *key, const char *v, sg_view_args *out, char *err, size_t errlen)
{
    if (*v == '\0')
        return 0;
    if (strlen(v) > SG_HIDE_REGEX_MAX) {
        snprintf(err, errlen, "parameter %s: longer than %d bytes", key, SG_HIDE_REGEX_MAX);
        return -1;
    }
    regex_t re;
    int rc = regcomp(&re, v, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char why[128];
        regerror(rc, &re, why, sizeof why);
        snprintf(err, errlen, "parameter %s: the regular expression does not compile: %s", key,
                 why);
        return -1;
    }
    regfree(&re);
    out->hide_regex = strdup(v);
    if (out->hide_regex == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    out->view.hide_regex = out->hide_regex;
    return 0;
}

static int parse_kinds(const char *key, const char *v, sg_view *view, char *err, size_t errlen)
{
    size_t pos = 0, a, b;
    while (next_item(v, &pos, &a, &b)) {
        int kind = sg_package_kind_from_key(v + a, b - a);
        if (kind < 0) {
            snprintf(err, errlen, "parameter %s: '%.*s' is not own, stdlib, site, builtin or other",
                     key, (int)(b - a > 32 ? 32 : b - a), v + a);
            return -1;
        }
        view->hide_kinds |= SG_VIEW_HIDE_KIND(kind);
    }
    return 0;
}

static int parse_packages(const char *v, sg_view_args *out, char *err, size_t errlen)
{
    size_t pos = 0, a, b, n = 0;
    while (next_item(v, &pos, &a, &b))
        n++;
    if (n == 0)
        return 0;
    out->hide_packages = calloc(n, sizeof *out->hide_packages);
    if (out->hide_packages == NULL)
        goto oom;
    pos = 0;
    while (next_item(v, &pos, &a, &b)) {
        char *name = strndup(v + a, b - a);
        if (name == NULL)
            goto oom;
        out->hide_packages[out->hide_package_count++] = name;
    }
    out->view.hide_packages = (const char *const *)out->hide_packages;
    out->view.hide_package_count = out->hide_package_count;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

/* Every parameter "PREFIXname" must name a view parameter: -1 with err
 * naming the first that does not. */
static int check_prefixed(const sg_params *q, const char *prefix, const char *focus, char *err,
                          size_t errlen)
{
    size_t plen = strlen(prefix);
    for (size_t i = 0; i < q->count; i++) {
        const char *k = q->items[i].key;
        if (strncmp(k, prefix, plen) != 0)
            continue;
        bool known = strcmp(k + plen, focus) == 0;
        for (size_t n = 0; n < sizeof view_names / sizeof *view_names && !known; n++)
            known = strcmp(k + plen, view_names[n]) == 0;
        if (!known) {
            snprintf(err, errlen,
                     "parameter %.64s: '%.32s' is not a view parameter (t0, t1, threads, state, "
                     "%s, exclude, hide, hide_kinds, hide_packages, collapse)",
                     k, k + plen, focus);
            return -1;
        }
    }
    return 0;
}

int sg_view_args_parse_side(const sg_params *q, const sg_profile *p, int focus_key,
                            const char *prefix, sg_view_args *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *focus = focus_key == SG_VIEW_ARGS_VIEW_FOCUS ? "view_focus" : "focus";
    if (prefix != NULL && prefix[0] != '\0') {
        assert(strlen(prefix) + sizeof "hide_packages" <= SG_SIDE_KEY_MAX);
        if (check_prefixed(q, prefix, focus, err, errlen) != 0)
            return -1;
    }
    sg_view *view = &out->view;
    const char *v, *key;
    char b0[SG_SIDE_KEY_MAX], b1[SG_SIDE_KEY_MAX], buf[SG_SIDE_KEY_MAX];
    const char *k0 = key_of(q, prefix, "t0", b0), *k1 = key_of(q, prefix, "t1", b1);
    uint64_t t0 = 0, t1 = 0;
    if (sg_params_u64(q, k0, UINT64_MAX, &t0, err, errlen) != 0 ||
        sg_params_u64(q, k1, UINT64_MAX, &t1, err, errlen) != 0)
        return -1;
    if (sg_params_get(q, k1) != NULL && t1 <= t0) {
        snprintf(err, errlen, "parameter %s: %llu is not after %s (%llu)", k1,
                 (unsigned long long)t1, k0, (unsigned long long)t0);
        return -1;
    }
    view->t0_ns = t0;
    view->t1_ns = t1;
    key = key_of(q, prefix, "threads", buf);
    if ((v = sg_params_get(q, key)) != NULL && parse_threads(key, v, p, out, err, errlen) != 0)
        return -1;
    key = key_of(q, prefix, "state", buf);
    if ((v = sg_params_get(q, key)) != NULL && parse_state(key, v, view, err, errlen) != 0)
        return -1;
    key = key_of(q, prefix, focus, buf);
    if (parse_frame(q, key, p, &view->focus, &view->focus_frame, err, errlen) != 0)
        return -1;
    key = key_of(q, prefix, "exclude", buf);
    if (parse_frame(q, key, p, &view->exclude, &view->exclude_frame, err, errlen) != 0)
        return -1;
    key = key_of(q, prefix, "hide", buf);
    if ((v = sg_params_get(q, key)) != NULL && parse_hide(key, v, out, err, errlen) != 0)
        return -1;
    key = key_of(q, prefix, "hide_kinds", buf);
    if ((v = sg_params_get(q, key)) != NULL && parse_kinds(key, v, view, err, errlen) != 0)
        return -1;
    key = key_of(q, prefix, "hide_packages", buf);
    if ((v = sg_params_get(q, key)) != NULL && parse_packages(v, out, err, errlen) != 0)
        return -1;
    key = key_of(q, prefix, "collapse", buf);
    if (sg_params_bool(q, key, &view->collapse_recursion, err, errlen) != 0)
        return -1;
    return 0;
}

int sg_view_args_parse(const sg_params *q, const sg_profile *p, int focus_key, sg_view_args *out,
                       char *err, size_t errlen)
{
    return sg_view_args_parse_side(q, p, focus_key, NULL, out, err, errlen);
}

void sg_view_args_key(const sg_view_args *a, uint32_t nthreads, sg_jbuf *out)
{
    const sg_view *v = &a->view;
    sg_jbuf_printf(out, "t%llu-%llu;s%u;c%u;", (unsigned long long)v->t0_ns,
                   (unsigned long long)v->t1_ns, v->flags_set, v->flags_clear);
    if (v->threads != NULL) {
        sg_jbuf_char(out, 'T');
        for (uint32_t t = 0; t < nthreads; t++)
            sg_jbuf_char(out, v->threads[t] ? '1' : '0');
        sg_jbuf_char(out, ';');
    }
    if (v->exclude)
        sg_jbuf_printf(out, "x%u;", v->exclude_frame);
    if (v->focus)
        sg_jbuf_printf(out, "f%u;", v->focus_frame);
    if (v->collapse_recursion)
        sg_jbuf_puts(out, "r;");
    sg_jbuf_printf(out, "k%u;", v->hide_kinds);
    for (size_t i = 0; i < v->hide_package_count; i++) {
        sg_jbuf_puts(out, "p");
        sg_jbuf_str(out, v->hide_packages[i]);
    }
    if (v->hide_regex != NULL && v->hide_regex[0] != '\0') {
        sg_jbuf_puts(out, ";h");
        sg_jbuf_str(out, v->hide_regex); /* quoted: the key stays unambiguous */
    }
}
