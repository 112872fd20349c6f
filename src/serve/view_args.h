/*
 * view_args.h — the view state of docs/api.md (t0, t1, threads, state,
 * focus, exclude, hide, hide_kinds, hide_packages, collapse) read from a
 * request's parameters into an sg_view (analyze/view.h) for one profile.
 *
 * Everything is checked against that profile before any query runs, so a
 * bad value is a 400 naming the parameter, never an error deep in a query:
 * frame ids and thread indexes must exist, t1 must be after t0, the regex
 * must compile (POSIX ERE), kinds must be sg_package_kind names.
 *
 * Ownership: sg_view_args owns the storage its view points at (thread
 * mask, regex, package names); sg_view_args_free releases it (also after
 * a failed parse). The view borrows nothing from the params.
 */
#ifndef SG_SERVE_VIEW_ARGS_H
#define SG_SERVE_VIEW_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "analyze/view.h"
#include "serve/jbuf.h"
#include "serve/params.h"

typedef struct sg_view_args {
    sg_view view;
    bool *threads;        /* owned mask (view.threads), or NULL */
    char *hide_regex;     /* owned (view.hide_regex), or NULL */
    char **hide_packages; /* owned names (view.hide_packages) */
    size_t hide_package_count;
} sg_view_args;

/* Which parameter names the view's focus: "focus" for every query but the
 * call graph, whose own "focus" is the neighbourhood centre and whose view
 * focus is "view_focus". */
#define SG_VIEW_ARGS_FOCUS      0
#define SG_VIEW_ARGS_VIEW_FOCUS 1

/* Parse q's view state for profile p into *out. Returns 0, or -1 with err
 * naming the parameter and what was wrong. */
int sg_view_args_parse(const sg_params *q, const sg_profile *p, int focus_key, sg_view_args *out,
                       char *err, size_t errlen);

/*
 * The same for one side of a two-sided query (the diff): every view
 * parameter is read as "PREFIXname" when the request has that (e.g.
 * "before.t0"; the side's own value wins) and else as the shared "name",
 * and an error names the parameter actually read ("parameter before.t0:
 * ..."). A "PREFIXx" whose x is not a view parameter is an error naming
 * it (a misspelt side parameter must not silently widen the view).
 * prefix NULL or "" is sg_view_args_parse; at most 40 bytes.
 */
int sg_view_args_parse_side(const sg_params *q, const sg_profile *p, int focus_key,
                            const char *prefix, sg_view_args *out, char *err, size_t errlen);
void sg_view_args_free(sg_view_args *a);

/* A canonical text of the parsed view (two requests with the same key
 * resolve to the same thing, whatever order or spelling their parameters
 * had), for caching resolved views. Appended to out. */
void sg_view_args_key(const sg_view_args *a, uint32_t nthreads, sg_jbuf *out);

#endif
