/*
 * query.h — the analysis queries of the HTTP API (docs/api.md, "Queries"),
 * each turning one loaded profile, its resolved view and the request's
 * parameters into a compact JSON answer.
 *
 * The caller (routes_query.c) has taken the profile from the cache, parsed
 * and resolved the view once; a query reads its own parameters, runs the
 * src/analyze function and encodes the answer. Every answer that names
 * frames ends with a "frames" dictionary of just those frames
 * (frameset.h).
 *
 * Errors: a query returns 0 (answer in q->out) or an HTTP status (400
 * bad parameter, 404 unknown file or frame, 500 out of memory) with q->err
 * naming the problem. No query changes the profile or the entry.
 */
#ifndef SG_SERVE_QUERY_H
#define SG_SERVE_QUERY_H

#include <stddef.h>

#include "analyze/view.h"
#include "serve/jbuf.h"
#include "serve/params.h"
#include "serve/profile_cache.h"

typedef struct sg_query {
    sg_loaded *entry;           /* referenced by the caller */
    const sg_profile *profile;  /* entry->profile */
    const sg_params *params;    /* the request's parameters */
    const sg_view *view;        /* the parsed view */
    const sg_view_resolved *rv; /* the view resolved over profile */
    const char *view_key;       /* canonical text of the view (view_args.h), for caches */
    sg_jbuf *out;
    char *err;
    size_t errlen;
} sg_query;

int sg_query_tree(sg_query *q);
int sg_query_timeline(sg_query *q);
int sg_query_functions(sg_query *q);
int sg_query_butterfly(sg_query *q);
int sg_query_callgraph(sg_query *q);
int sg_query_source(sg_query *q);
int sg_query_treemap(sg_query *q);

/* The diff has two profiles and two views: "before" and "after". */
int sg_query_diff(const sg_query *before, const sg_query *after, sg_jbuf *out, char *err,
                  size_t errlen);

/* The view's function table by `by` (function_table.h), from the entry's
 * derived results when q->view_key is set (computed once per view), else
 * built now. Release with sg_query_ftable_release. NULL: out of memory
 * (q->err set). */
struct sg_ftable;
const struct sg_ftable *sg_query_ftable(sg_query *q, int by, sg_derived **handle);
void sg_query_ftable_release(sg_query *q, const struct sg_ftable *t, sg_derived *handle);

/* A frame id in JSON: -1 for "none"/root markers the caller maps. */
static inline long long sg_json_frame(uint32_t f)
{
    return f == UINT32_MAX ? -1 : f == UINT32_MAX - 1 ? -2 : (long long)f;
}

/* Set q->err and return status (for `return query_fail(q, 400, ...)`). */
int sg_query_fail(sg_query *q, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
