/*
 * report_view.h — the view options of `spyglass report` (time range,
 * threads, states, focus, exclude, hide, collapse) turned into an sg_view
 * (analyze/view.h) for one profile, and a function named on the command
 * line turned into that profile's frame id.
 *
 * The options are text until a profile is known: `report --diff` resolves
 * the same options against two profiles, whose frame and thread ids differ.
 *
 * Ownership: sg_report_view owns the storage its view points at (thread
 * mask); release it with sg_report_view_free (also after a failure). The
 * options only borrow argv.
 */
#ifndef SG_CLI_REPORT_VIEW_H
#define SG_CLI_REPORT_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/view.h"
#include "profile/profile.h"

#define SG_REPORT_VIEW_MAX_THREADS 64

typedef struct sg_report_view_opts {
    const char *threads[SG_REPORT_VIEW_MAX_THREADS]; /* --thread: tid or name */
    size_t nthreads;
    double from_s, to_s; /* --from/--to, seconds from the start; to_s < 0: no end */
    uint8_t flags_set, flags_clear;
    const char *focus, *exclude; /* function names (see sg_report_find_function) */
    const char *hide_regex;
    uint32_t hide_kinds;
    bool collapse;
} sg_report_view_opts;

typedef struct sg_report_view {
    sg_view view;
    bool *threads; /* owned mask (view.threads), or NULL */
} sg_report_view;

/* Set the defaults (no range end, nothing else). */
void sg_report_view_opts_init(sg_report_view_opts *o);

/* Parse one view option (long option name without "--", its argument) into
 * o. Returns 1 when name is a view option and was taken, 0 when it is not a
 * view option, 2 after printing an error naming the option. */
int sg_report_view_option(sg_report_view_opts *o, const char *name, const char *arg);

/* The options checked against p (threads, functions must exist in it; path
 * names p in errors). Returns 0, or 1 after printing the error. */
int sg_report_view_build(const sg_profile *p, const char *path, const sg_report_view_opts *o,
                         sg_report_view *out);
void sg_report_view_free(sg_report_view *v);

/*
 * The frame id of the function `spec` names in p: "qualname" (e.g. "main",
 * "Box.b"), or "qualname@file" where file is the end of its path
 * ("c@stacks.py"). Returns 0 with *frame set; or 1 after printing an error
 * that names what was wrong: no such function, or several that match (they
 * are listed, with the @file that picks each).
 */
int sg_report_find_function(const sg_profile *p, const char *path, const char *option,
                            const char *spec, uint32_t *frame);

#endif
