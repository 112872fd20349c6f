/*
 * fuzz_serve_query.c — libFuzzer target for the server's request path
 * after the HTTP layer: a query string parsed into parameters and a view
 * (params.h, view_args.h), resolved over a profile, and every query of
 * query.h answered from it.
 *
 * Input: the query string up to the first '\n'; the bytes after it are
 * the profile (any format the upload path detects, as upload.c does), or,
 * when they are not one, a small built-in profile. Checks: a query answers
 * valid JSON (read back with jansson) or a 400/404 with a message; never a
 * 500, a crash or a leak. The function table's filters (`filter`, the
 * PCRE2 `match`) are also checked against each other: the rows kept
 * without `mark` are as many as `mark=1` counts as "matched", among the
 * same "unfiltered" rows.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "serve/profile_cache.h"
#include "serve/query.h"
#include "serve/view_args.h"

static int no_loader(void *ctx, const char *id, sg_profile **out, int *status, char *err,
                     size_t errlen)
{
    (void)ctx, (void)id, (void)out, (void)err, (void)errlen;
    *status = 404;
    return -1;
}

static sg_profile *builtin_profile(void)
{
    sg_profile *p = sg_profile_new();
    uint32_t f[3], t, s0, s1;
    sg_profile_intern_frame(p, "/app/main.py", 12, "main", 4, 1, &f[0]);
    sg_profile_intern_frame(p, "/app/main.py", 12, "work", 4, 10, &f[1]);
    sg_profile_intern_frame(p, "/usr/lib/python3.11/json/x.py", 29, "dumps", 5, 3, &f[2]);
    sg_profile_intern_thread(p, 100, "MainThread", &t);
    sg_stacks_intern(&p->stacks, SG_STACK_NONE, f[0], 2, &s0);
    sg_stacks_intern(&p->stacks, s0, f[1], 11, &s1);
    for (uint32_t i = 0; i < 50; i++)
        sg_profile_add_sample(p, i * 1000, t, i % 3 ? s1 : s0, (uint8_t)(i & 7), 1);
    sg_profile_add_event(p, 5000, SG_EVENT_GC_START, t, "gc");
    sg_profile_add_event(p, 9000, SG_EVENT_GC_STOP, t, "gc");
    return p;
}

static void check_answer(int status, sg_jbuf *out, const char *err)
{
    if (status == 0) {
        size_t len;
        char *text = sg_jbuf_take(out, &len);
        if (text == NULL)
            abort();
        json_error_t je;
        json_t *j = json_loadb(text, len, JSON_ALLOW_NUL, &je); /* \u0000 is valid JSON */
        if (j == NULL || !json_is_object(j))
            abort(); /* a query wrote invalid JSON */
        json_decref(j);
        free(text);
    } else {
        if ((status != 400 && status != 404) || err[0] == '\0')
            abort();
        sg_jbuf_free(out);
    }
}

/* The integer member `key` of a JSON answer, or -1. */
static long long answer_int(const char *text, size_t len, const char *key)
{
    json_t *j = json_loadb(text, len, JSON_ALLOW_NUL, NULL);
    json_t *v = json_object_get(j, key);
    long long r = json_is_integer(v) ? json_integer_value(v) : -1;
    json_decref(j);
    return r;
}

/* The functions answer with mark forced to "0" or "1" (appended: the last
 * value wins): status, and the answer's text (caller frees) on success. */
static int functions_with_mark(sg_query *qq, sg_params *q, const char *mark, char **text,
                               size_t *len)
{
    sg_jbuf out;
    sg_jbuf_init(&out);
    if (sg_params_add(q, "mark", mark) != 0) {
        sg_jbuf_free(&out);
        return -1;
    }
    qq->out = &out;
    qq->err[0] = '\0';
    int status = sg_query_functions(qq);
    *text = NULL;
    if (status == 0) {
        *text = sg_jbuf_take(&out, len);
        if (*text == NULL)
            abort();
    } else
        sg_jbuf_free(&out);
    return status;
}

/* Filtering with and without mark=1 agree on how many rows match. */
static void check_mark(sg_query qq, const sg_params *orig)
{
    sg_params q;
    sg_params_init(&q);
    for (size_t i = 0; i < orig->count; i++)
        if (sg_params_add(&q, orig->items[i].key, orig->items[i].value) != 0) {
            sg_params_free(&q);
            return;
        }
    qq.params = &q;
    char *hide, *mark;
    size_t hlen, mlen;
    int s0 = functions_with_mark(&qq, &q, "0", &hide, &hlen);
    int s1 = s0 < 0 ? -1 : functions_with_mark(&qq, &q, "1", &mark, &mlen);
    if (s0 == 0 && s1 == 0) {
        long long kept = answer_int(hide, hlen, "count");
        if (kept < 0 || kept != answer_int(mark, mlen, "matched") ||
            answer_int(hide, hlen, "unfiltered") != answer_int(mark, mlen, "count") ||
            answer_int(mark, mlen, "unfiltered") != answer_int(mark, mlen, "count"))
            abort(); /* the filters answered differently with mark=1 */
    }
    if (s0 == 0)
        free(hide);
    if (s1 == 0)
        free(mark);
    sg_params_free(&q);
}

/* Each side's view from its "before." / "after." parameters over the
 * shared ones (as routes_query.c reads them), then the diff of the two. */
static void diff_sides(sg_loaded *e, const sg_params *q)
{
    static const char *const prefix[2] = {"before.", "after."};
    sg_view_args a[2];
    sg_view_resolved rv[2];
    sg_query side[2];
    char err[512];
    int ok = 0;
    sg_jbuf out;
    sg_jbuf_init(&out);
    for (; ok < 2; ok++) {
        err[0] = '\0';
        if (sg_view_args_parse_side(q, e->profile, SG_VIEW_ARGS_FOCUS, prefix[ok], &a[ok], err,
                                    sizeof err) != 0) {
            if (err[0] == '\0')
                abort();
            sg_view_args_free(&a[ok]);
            break;
        }
        if (sg_view_resolve(e->profile, &a[ok].view, &rv[ok]) != 0) {
            sg_view_resolved_free(&rv[ok]);
            sg_view_args_free(&a[ok]);
            break;
        }
        side[ok] = (sg_query){e, e->profile, q, &a[ok].view, &rv[ok], NULL, &out, err, sizeof err};
    }
    if (ok == 2) {
        err[0] = '\0';
        check_answer(sg_query_diff(&side[0], &side[1], &out, err, sizeof err), &out, err);
    } else {
        sg_jbuf_free(&out);
    }
    for (int i = 0; i < ok; i++) {
        sg_view_resolved_free(&rv[i]);
        sg_view_args_free(&a[i]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t qlen = nl ? (size_t)(nl - data) : size;
    sg_params q;
    sg_params_init(&q);
    if (sg_params_parse(&q, (const char *)data, qlen) != 0) {
        sg_params_free(&q);
        return 0;
    }
    sg_profile *p = NULL;
    if (nl != NULL) {
        const uint8_t *rest = nl + 1;
        size_t rlen = size - qlen - 1;
        const sg_format *fmt = sg_format_detect(rest, rlen);
        char err[256];
        if (fmt != NULL && fmt->import(rest, rlen, NULL, &p, err, sizeof err) != 0)
            p = NULL;
    }
    if (p == NULL)
        p = builtin_profile();
    sg_pcache *cache = sg_pcache_new(1u << 30, 4, no_loader, NULL);
    sg_pcache_put(cache, "fuzzfuzz", p);
    int status;
    char err[512];
    sg_loaded *e = sg_pcache_get(cache, "fuzzfuzz", &status, err, sizeof err);
    if (e == NULL)
        abort();
    static int (*const queries[])(sg_query *) = {
        sg_query_tree,      sg_query_timeline, sg_query_functions, sg_query_butterfly,
        sg_query_callgraph, sg_query_source,   sg_query_treemap};
    for (size_t k = 0; k < sizeof queries / sizeof *queries; k++) {
        int key = queries[k] == sg_query_callgraph ? SG_VIEW_ARGS_VIEW_FOCUS : SG_VIEW_ARGS_FOCUS;
        sg_view_args a;
        err[0] = '\0';
        if (sg_view_args_parse(&q, e->profile, key, &a, err, sizeof err) != 0) {
            if (err[0] == '\0')
                abort();
            sg_view_args_free(&a);
            continue;
        }
        sg_view_resolved rv;
        if (sg_view_resolve(e->profile, &a.view, &rv) == 0) {
            sg_jbuf out;
            sg_jbuf_init(&out);
            sg_query qq = {e, e->profile, &q, &a.view, &rv, NULL, &out, err, sizeof err};
            err[0] = '\0';
            check_answer(queries[k](&qq), &out, err);
            if (k == 0) /* the diff of the profile with itself, a view per side */
                diff_sides(e, &q);
            if (queries[k] == sg_query_functions)
                check_mark(qq, &q);
        }
        sg_view_resolved_free(&rv);
        sg_view_args_free(&a);
    }
    sg_pcache_release(cache, e);
    sg_pcache_free(cache);
    sg_params_free(&q);
    return 0;
}
