/*
 * report_view.c — `report`'s view options → sg_view for one profile
 * (report_view.h). Every value is checked before a query runs, so a typo
 * is an error that names the option, never an empty report.
 */
#include "cli/report_view.h"

#include <inttypes.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/package.h"
#include "cli/attach.h"
#include "profile/sample_table.h"

#define CANDIDATES_SHOWN 6

void sg_report_view_opts_init(sg_report_view_opts *o)
{
    memset(o, 0, sizeof *o);
    o->to_s = -1;
}

static int parse_seconds(const char *opt, const char *text, double *out)
{
    char *end;
    double v = strtod(text, &end);
    if (*text == '\0' || *end != '\0' || !isfinite(v) || v < 0 || v > 1e9) {
        sg_cli_error("--%s takes seconds from the start of the recording (e.g. 1.5), not '%s'", opt,
                     text);
        return 2;
    }
    *out = v;
    return 0;
}

/* --state: a comma list of on-cpu, gil, active (= not idle). */
static int parse_states(const char *text, uint8_t *set, uint8_t *clear)
{
    const char *s = text;
    while (*s != '\0') {
        size_t n = strcspn(s, ",");
        if (n == 6 && strncmp(s, "on-cpu", n) == 0)
            *set |= SG_SAMPLE_ON_CPU;
        else if (n == 3 && strncmp(s, "gil", n) == 0)
            *set |= SG_SAMPLE_HOLDS_GIL;
        else if (n == 6 && strncmp(s, "active", n) == 0)
            *clear |= SG_SAMPLE_IDLE;
        else {
            sg_cli_error("--state takes on-cpu, gil or active (comma-separated), not '%.*s'",
                         (int)n, s);
            return 2;
        }
        s += n + (s[n] == ',');
    }
    return 0;
}

/* --hide-kind: a comma list of package kind names (package.h). */
static int parse_kinds(const char *text, uint32_t *kinds)
{
    const char *s = text;
    while (*s != '\0') {
        size_t n = strcspn(s, ",");
        int found = sg_package_kind_from_key(s, n);
        if (found < 0) {
            sg_cli_error("--hide-kind takes own, stdlib, site, builtin or other "
                         "(comma-separated), not '%.*s'",
                         (int)n, s);
            return 2;
        }
        *kinds |= SG_VIEW_HIDE_KIND(found);
        s += n + (s[n] == ',');
    }
    return 0;
}

int sg_report_view_option(sg_report_view_opts *o, const char *name, const char *arg)
{
    if (strcmp(name, "thread") == 0) {
        if (o->nthreads == SG_REPORT_VIEW_MAX_THREADS) {
            sg_cli_error("--thread: at most %d of them", SG_REPORT_VIEW_MAX_THREADS);
            return 2;
        }
        o->threads[o->nthreads++] = arg;
        return 1;
    }
    if (strcmp(name, "from") == 0)
        return parse_seconds(name, arg, &o->from_s) == 0 ? 1 : 2;
    if (strcmp(name, "to") == 0)
        return parse_seconds(name, arg, &o->to_s) == 0 ? 1 : 2;
    if (strcmp(name, "state") == 0)
        return parse_states(arg, &o->flags_set, &o->flags_clear) == 0 ? 1 : 2;
    if (strcmp(name, "hide-kind") == 0)
        return parse_kinds(arg, &o->hide_kinds) == 0 ? 1 : 2;
    if (strcmp(name, "focus") == 0) {
        o->focus = arg;
        return 1;
    }
    if (strcmp(name, "exclude") == 0) {
        o->exclude = arg;
        return 1;
    }
    if (strcmp(name, "hide") == 0) {
        regex_t re;
        int rc = regcomp(&re, arg, REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            char why[256];
            regerror(rc, &re, why, sizeof why);
            sg_cli_error("--hide '%s' is not a regular expression (POSIX extended): %s", arg, why);
            return 2;
        }
        regfree(&re);
        o->hide_regex = arg;
        return 1;
    }
    if (strcmp(name, "collapse") == 0) {
        o->collapse = true;
        return 1;
    }
    return 0;
}

/* The thread mask for --thread: each value names threads by tid or name. */
static int thread_mask(const sg_profile *p, const char *path, const sg_report_view_opts *o,
                       bool **mask)
{
    *mask = NULL;
    if (o->nthreads == 0)
        return 0;
    *mask = calloc((size_t)p->threads.count + 1, sizeof **mask);
    if (*mask == NULL) {
        sg_cli_error("out of memory");
        return 1;
    }
    for (size_t k = 0; k < o->nthreads; k++) {
        const char *want = o->threads[k];
        char *end;
        unsigned long long tid = strtoull(want, &end, 10);
        bool numeric = *want != '\0' && *end == '\0';
        bool found = false;
        for (uint32_t t = 0; t < p->threads.count; t++) {
            if ((numeric && p->threads.tid[t] == tid) ||
                strcmp(sg_strings_get(&p->strings, p->threads.name[t]), want) == 0) {
                (*mask)[t] = true;
                found = true;
            }
        }
        if (!found) {
            char list[512] = "";
            size_t used = 0;
            for (uint32_t t = 0; t < p->threads.count && used + 1 < sizeof list; t++)
                used += (size_t)snprintf(
                    list + used, sizeof list - used, "%s%s (%" PRIu64 ")", t ? ", " : "",
                    sg_strings_get(&p->strings, p->threads.name[t]), p->threads.tid[t]);
            sg_cli_error("no thread '%s' in %s (threads: %s)", want, path,
                         p->threads.count ? list : "none");
            free(*mask);
            *mask = NULL;
            return 1;
        }
    }
    return 0;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return m <= n && strcmp(s + n - m, tail) == 0;
}

int sg_report_find_function(const sg_profile *p, const char *path, const char *option,
                            const char *spec, uint32_t *frame)
{
    const char *at = strrchr(spec, '@');
    size_t name_len = at != NULL ? (size_t)(at - spec) : strlen(spec);
    const char *file = at != NULL ? at + 1 : NULL;
    uint32_t found = UINT32_MAX, matches = 0;
    for (uint32_t f = 0; f < p->frames.count; f++) {
        const char *name = sg_strings_get(&p->strings, p->frames.rows[f].name);
        if (strlen(name) != name_len || strncmp(name, spec, name_len) != 0)
            continue;
        if (file != NULL && !ends_with(sg_strings_get(&p->strings, p->frames.rows[f].file), file))
            continue;
        if (matches++ == 0)
            found = f;
    }
    if (matches == 1) {
        *frame = found;
        return 0;
    }
    if (matches == 0) {
        sg_cli_error("%s: no function '%s' in %s (names are qualified, like 'Class.method'; "
                     "'name@file.py' picks one file)",
                     option, spec, path);
        return 1;
    }
    sg_cli_error("%s: %" PRIu32 " functions match '%s' in %s; say which with name@file:", option,
                 matches, spec, path);
    uint32_t shown = 0;
    for (uint32_t f = found; f < p->frames.count && shown < CANDIDATES_SHOWN; f++) {
        const char *name = sg_strings_get(&p->strings, p->frames.rows[f].name);
        const char *ffile = sg_strings_get(&p->strings, p->frames.rows[f].file);
        if (strlen(name) != name_len || strncmp(name, spec, name_len) != 0 ||
            (file != NULL && !ends_with(ffile, file)))
            continue;
        const char *base = strrchr(ffile, '/');
        fprintf(stderr, "  %s@%s (%s:%" PRIu32 ")\n", name, base != NULL ? base + 1 : ffile, ffile,
                p->frames.rows[f].first_line);
        shown++;
    }
    return 1;
}

int sg_report_view_build(const sg_profile *p, const char *path, const sg_report_view_opts *o,
                         sg_report_view *out)
{
    memset(out, 0, sizeof *out);
    if (o->to_s >= 0 && o->to_s <= o->from_s) {
        sg_cli_error("--to (%g s) must be after --from (%g s)", o->to_s, o->from_s);
        return 1;
    }
    if (thread_mask(p, path, o, &out->threads) != 0)
        return 1;
    sg_view *v = &out->view;
    v->threads = out->threads;
    v->t0_ns = (uint64_t)llround(o->from_s * 1e9);
    v->t1_ns = o->to_s >= 0 ? (uint64_t)llround(o->to_s * 1e9) : 0;
    v->flags_set = o->flags_set;
    v->flags_clear = o->flags_clear;
    if (o->focus != NULL) {
        if (sg_report_find_function(p, path, "--focus", o->focus, &v->focus_frame) != 0)
            return 1;
        v->focus = true;
    }
    if (o->exclude != NULL) {
        if (sg_report_find_function(p, path, "--exclude", o->exclude, &v->exclude_frame) != 0)
            return 1;
        v->exclude = true;
    }
    v->hide_regex = o->hide_regex;
    v->hide_kinds = o->hide_kinds;
    v->collapse_recursion = o->collapse;
    return 0;
}

void sg_report_view_free(sg_report_view *v)
{
    free(v->threads);
    v->threads = NULL;
}
