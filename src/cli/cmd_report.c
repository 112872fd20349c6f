/*
 * cmd_report.c — `spyglass report FILE`: the function table (like pstats,
 * but from samples) and the heaviest stacks, in the terminal or as JSON.
 *
 * Works on every format spyglass reads. Weights print as samples for a
 * recording and as seconds (or ms) for time-weighted profiles; a pstats
 * file adds its ncalls column and says that it has no call stacks. The
 * numbers come from src/analyze; this file only parses and prints.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/function_table.h"
#include "analyze/merge.h"
#include "analyze/top_stacks.h"
#include "cli/attach.h"
#include "cli/commands.h"
#include "cli/json_write.h"
#include "cli/report_view.h"
#include "cli/report_views.h"
#include "profile/formats.h"

#define NAME_WIDTH_MAX     48
#define LOCATION_WIDTH_MAX 56
#define STACK_SHOW_HEAD    4 /* oldest frames shown of a long stack */
#define STACK_SHOW_TAIL    8 /* newest frames shown of a long stack */
#define DETECT_BYTES       (1 << 16)

typedef struct report_args {
    const char **paths; /* one or more: several are merged */
    size_t npaths;
    const char *path; /* the name the report gives them */
    const char *format;
    int by, sort;
    size_t limit, stacks;
    int json;
    sg_report_view_opts view;
    /* views beyond the table (report_views.h) */
    bool tree, inverted;
    double min_percent;
    size_t depth;
    const char *callers; /* function spec */
    const char *diff;    /* the "before" file */
} report_args;

static void report_usage(FILE *out)
{
    fprintf(out, "usage: spyglass report FILE... [options]\n\n"
                 "Prints where the time went: a table of functions (or lines, files, packages)\n"
                 "with their own (self) and inclusive (total) share, then the heaviest stacks.\n"
                 "FILE is any format spyglass reads (.sgl, pstats, collapsed, speedscope, Chrome\n"
                 "trace, pprof); '-' reads standard input. Several FILEs are merged into one.\n\n"
                 "  --by WHAT        function (default), line, file or package\n"
                 "  --sort KEY       self (default) or total\n"
                 "  --limit N        rows of the table (default 25, 0 = all)\n"
                 "  --stacks N       heaviest stacks to show (default 5, 0 = none)\n"
                 "  --format FMT     read FILE as this format instead of detecting it\n"
                 "  --json           print the table and stacks (or the view) as JSON\n\n"
                 "what is counted (every view):\n"
                 "  --thread T       only the thread with this id or name (repeatable)\n"
                 "  --from S, --to S only samples from S seconds after the start, until S\n"
                 "  --state LIST     only samples in these states: on-cpu, gil, active (not idle)\n"
                 "  --focus F        only stacks through function F, rooted at F\n"
                 "  --exclude F      leave out stacks through function F\n"
                 "  --hide REGEX     hide frames whose \"name (file)\" matches (POSIX extended)\n"
                 "  --hide-kind LIST hide frames of own, stdlib, site, builtin or other code\n"
                 "  --collapse       collapse recursion (f -> f -> f becomes f)\n\n"
                 "other views (instead of the table):\n"
                 "  --tree           the call tree, top-down\n"
                 "  --inverted       the call tree bottom-up: the hot functions and their callers\n"
                 "  --min PCT        trees: fold nodes under PCT %% of the view (default 1)\n"
                 "  --depth N        trees: print N levels (default 0 = all)\n"
                 "  --callers F      callers and callees of function F\n"
                 "  --diff BEFORE    what changed from BEFORE to FILE, per function\n\n"
                 "A function F is its qualified name (main, Box.method) or name@file.py.\n");
}

static int parse_count(const char *opt, const char *text, size_t *out)
{
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (*text == '\0' || *end != '\0' || text[0] == '-') {
        sg_cli_error("%s takes a number (0 or more), not '%s'", opt, text);
        return 2;
    }
    *out = (size_t)v;
    return 0;
}

static int parse_percent(const char *opt, const char *text, double *out)
{
    char *end;
    double v = strtod(text, &end);
    if (*text == '\0' || *end != '\0' || !(v >= 0 && v <= 100)) {
        sg_cli_error("%s takes a percentage from 0 to 100, not '%s'", opt, text);
        return 2;
    }
    *out = v;
    return 0;
}

static int parse_report_args(int argc, char **argv, report_args *a)
{
    enum {
        OPT_BY = 256,
        OPT_SORT,
        OPT_LIMIT,
        OPT_STACKS,
        OPT_FORMAT,
        OPT_JSON,
        OPT_TREE,
        OPT_INVERTED,
        OPT_MIN,
        OPT_DEPTH,
        OPT_CALLERS,
        OPT_DIFF,
        OPT_VIEW, /* every view option: report_view.c parses it by name */
    };
    static const struct option opts[] = {{"by", required_argument, NULL, OPT_BY},
                                         {"sort", required_argument, NULL, OPT_SORT},
                                         {"limit", required_argument, NULL, OPT_LIMIT},
                                         {"stacks", required_argument, NULL, OPT_STACKS},
                                         {"format", required_argument, NULL, OPT_FORMAT},
                                         {"json", no_argument, NULL, OPT_JSON},
                                         {"tree", no_argument, NULL, OPT_TREE},
                                         {"inverted", no_argument, NULL, OPT_INVERTED},
                                         {"min", required_argument, NULL, OPT_MIN},
                                         {"depth", required_argument, NULL, OPT_DEPTH},
                                         {"callers", required_argument, NULL, OPT_CALLERS},
                                         {"diff", required_argument, NULL, OPT_DIFF},
                                         {"thread", required_argument, NULL, OPT_VIEW},
                                         {"from", required_argument, NULL, OPT_VIEW},
                                         {"to", required_argument, NULL, OPT_VIEW},
                                         {"state", required_argument, NULL, OPT_VIEW},
                                         {"focus", required_argument, NULL, OPT_VIEW},
                                         {"exclude", required_argument, NULL, OPT_VIEW},
                                         {"hide", required_argument, NULL, OPT_VIEW},
                                         {"hide-kind", required_argument, NULL, OPT_VIEW},
                                         {"collapse", no_argument, NULL, OPT_VIEW},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->limit = 25;
    a->stacks = 5;
    a->min_percent = 1.0;
    sg_report_view_opts_init(&a->view);
    int c, at;
    while ((c = getopt_long(argc, argv, "h", opts, &at)) != -1) {
        switch (c) {
        case OPT_BY:
            if (strcmp(optarg, "function") == 0)
                a->by = SG_FTABLE_BY_FUNCTION;
            else if (strcmp(optarg, "line") == 0)
                a->by = SG_FTABLE_BY_LINE;
            else if (strcmp(optarg, "file") == 0)
                a->by = SG_FTABLE_BY_FILE;
            else if (strcmp(optarg, "package") == 0)
                a->by = SG_FTABLE_BY_PACKAGE;
            else {
                sg_cli_error("--by is function, line, file or package, not '%s'", optarg);
                return 2;
            }
            break;
        case OPT_SORT:
            if (strcmp(optarg, "self") == 0)
                a->sort = SG_FTABLE_SORT_SELF;
            else if (strcmp(optarg, "total") == 0)
                a->sort = SG_FTABLE_SORT_TOTAL;
            else {
                sg_cli_error("--sort is self or total, not '%s'", optarg);
                return 2;
            }
            break;
        case OPT_LIMIT:
            if (parse_count("--limit", optarg, &a->limit) != 0)
                return 2;
            break;
        case OPT_STACKS:
            if (parse_count("--stacks", optarg, &a->stacks) != 0)
                return 2;
            break;
        case OPT_FORMAT:
            a->format = optarg;
            break;
        case OPT_JSON:
            a->json = 1;
            break;
        case OPT_TREE:
            a->tree = true;
            break;
        case OPT_INVERTED:
            a->tree = a->inverted = true;
            break;
        case OPT_MIN:
            if (parse_percent("--min", optarg, &a->min_percent) != 0)
                return 2;
            break;
        case OPT_DEPTH:
            if (parse_count("--depth", optarg, &a->depth) != 0)
                return 2;
            break;
        case OPT_CALLERS:
            a->callers = optarg;
            break;
        case OPT_DIFF:
            a->diff = optarg;
            break;
        case OPT_VIEW:
            if (sg_report_view_option(&a->view, opts[at].name, optarg) != 1)
                return 2;
            break;
        case 'h':
            report_usage(stdout);
            return -1;
        default:
            report_usage(stderr);
            return 2;
        }
    }
    if ((a->tree ? 1 : 0) + (a->callers != NULL) + (a->diff != NULL) > 1) {
        sg_cli_error("--tree/--inverted, --callers and --diff are separate views: pick one");
        return 2;
    }
    if (optind >= argc) {
        sg_cli_error("report needs a FILE to read");
        return 2;
    }
    a->paths = (const char **)&argv[optind];
    a->npaths = (size_t)(argc - optind);
    a->path = a->paths[0];
    if (a->diff != NULL && a->npaths != 1) {
        sg_cli_error("--diff compares one FILE with BEFORE (got %zu files)", a->npaths);
        return 2;
    }
    return 0;
}

/* ---- text output -------------------------------------------------------- */

typedef struct units {
    const char *label; /* "samples", "s", "ms", "calls" */
    double scale;      /* weight units per printed unit */
    int decimals;
} units;

static units pick_units(const sg_profile *p, const sg_ftable *t)
{
    if (p->meta.weight_unit == SG_WEIGHT_NANOSECONDS) {
        uint64_t max = 0;
        for (size_t i = 0; i < t->count; i++)
            max = t->rows[i].total > max ? t->rows[i].total : max;
        if (max >= 1000000000ull)
            return (units){"s", 1e9, 3};
        return (units){"ms", 1e6, 3};
    }
    if (p->meta.weight_unit == SG_WEIGHT_CALLS)
        return (units){"calls", 1, 0};
    return (units){"samples", 1, 0};
}

/* The label of a row (first column after the numbers). */
static void row_label(const sg_profile *p, const sg_ftable *t, int by, const sg_ftable_row *r,
                      char *buf, size_t len)
{
    switch (by) {
    case SG_FTABLE_BY_FILE:
        snprintf(buf, len, "%s", sg_strings_get(&p->strings, r->file));
        break;
    case SG_FTABLE_BY_PACKAGE:
        snprintf(buf, len, "%s (%s)", t->packages.items[r->package].name,
                 sg_package_kind_name(t->packages.items[r->package].kind));
        break;
    default:
        snprintf(buf, len, "%s", sg_report_frame_name(p, r->frame));
    }
}

/* Print s in `width` columns: cut on the right (names) or the left (paths). */
static void print_fitted(const char *s, int width, bool keep_tail)
{
    int len = (int)strlen(s);
    if (len <= width)
        printf("%-*s", width, s);
    else if (keep_tail)
        printf("...%s", s + len - (width - 3));
    else
        printf("%.*s...", width - 3, s);
}

static void print_value(uint64_t v, units u, int width)
{
    if (u.decimals == 0)
        printf("%*" PRIu64, width, v);
    else
        printf("%*.*f", width, u.decimals, (double)v / u.scale);
}

static void print_table(const sg_profile *p, const sg_ftable *t, const report_args *a)
{
    units u = pick_units(p, t);
    size_t shown = a->limit == 0 || a->limit > t->count ? t->count : a->limit;
    bool location = a->by == SG_FTABLE_BY_FUNCTION || a->by == SG_FTABLE_BY_LINE;
    int name_width = 8;
    char label[1024];
    for (size_t i = 0; i < shown; i++) {
        row_label(p, t, a->by, &t->rows[i], label, sizeof label);
        int n = (int)strlen(label);
        name_width = n > name_width ? n : name_width;
    }
    if (!location && name_width > LOCATION_WIDTH_MAX + NAME_WIDTH_MAX)
        name_width = LOCATION_WIDTH_MAX + NAME_WIDTH_MAX;
    else if (location && name_width > NAME_WIDTH_MAX)
        name_width = NAME_WIDTH_MAX;

    const char *what = a->by == SG_FTABLE_BY_LINE      ? "function"
                       : a->by == SG_FTABLE_BY_FILE    ? "file"
                       : a->by == SG_FTABLE_BY_PACKAGE ? "package"
                                                       : "function";
    char self_head[32], total_head[32];
    snprintf(self_head, sizeof self_head, "self %s", u.label);
    snprintf(total_head, sizeof total_head, "total %s", u.label);
    printf("%7s %7s %13s %13s", "self%", "total%", self_head, total_head);
    if (t->from_pstats)
        printf(" %13s", "ncalls");
    if (location)
        printf("  %-*s  %s", name_width, what,
               a->by == SG_FTABLE_BY_LINE ? "file:line" : "file:def line");
    else
        printf("  %s", what);
    printf("\n");
    for (size_t i = 0; i < shown; i++) {
        const sg_ftable_row *r = &t->rows[i];
        printf("%6.1f%% %6.1f%% ", sg_report_percent(r->self, t->total_weight),
               sg_report_percent(r->total, t->total_weight));
        print_value(r->self, u, 13);
        printf(" ");
        print_value(r->total, u, 13);
        if (t->from_pstats) {
            char calls[48];
            if (r->calls != r->primitive_calls)
                snprintf(calls, sizeof calls, "%" PRIu64 "/%" PRIu64, r->calls, r->primitive_calls);
            else
                snprintf(calls, sizeof calls, "%" PRIu64, r->calls);
            printf(" %13s", calls);
        }
        printf("  ");
        row_label(p, t, a->by, r, label, sizeof label);
        if (location) {
            print_fitted(label, name_width, false);
            char where[1024];
            if (r->line != 0)
                snprintf(where, sizeof where, "%s:%" PRIu32, sg_report_frame_file(p, r->frame),
                         r->line);
            else /* the format did not say (collapsed, speedscope) */
                snprintf(where, sizeof where, "%s", sg_report_frame_file(p, r->frame));
            printf("  ");
            print_fitted(where,
                         (int)strlen(where) < LOCATION_WIDTH_MAX ? (int)strlen(where)
                                                                 : LOCATION_WIDTH_MAX,
                         true);
        } else {
            print_fitted(label, (int)strlen(label) < name_width ? (int)strlen(label) : name_width,
                         true);
        }
        printf("\n");
    }
    if (shown < t->count)
        printf("... %zu more (--limit 0 shows all)\n", t->count - shown);
}

static void print_frame_line(const sg_stacks *stacks, const sg_profile *p, uint32_t stack)
{
    const sg_stack_row *row = &stacks->rows[stack];
    printf("      %s (%s:%" PRIu32 ")\n", sg_report_frame_name(p, row->frame),
           sg_report_frame_file(p, row->frame), row->line);
}

/* top[] names rows of stacks (the view's table; its frames are p's). */
static int print_stacks(const sg_stacks *stacks, const sg_profile *p, const sg_top_stack *top,
                        size_t n, uint64_t whole, units u)
{
    if (n == 0)
        return 0;
    printf("\nheaviest stacks (oldest frame first, newest last):\n");
    uint32_t max_depth = 0;
    for (size_t k = 0; k < n; k++)
        max_depth = stacks->rows[top[k].stack].depth > max_depth ? stacks->rows[top[k].stack].depth
                                                                 : max_depth;
    uint32_t *path = malloc(((size_t)max_depth + 1) * sizeof *path);
    if (path == NULL) {
        sg_cli_error("out of memory");
        return 1;
    }
    for (size_t k = 0; k < n; k++) {
        printf("\n  #%zu  %5.1f%%  ", k + 1, sg_report_percent(top[k].weight, whole));
        if (u.decimals == 0)
            printf("%" PRIu64 " %s", top[k].weight, u.label);
        else
            printf("%.*f %s", u.decimals, (double)top[k].weight / u.scale, u.label);
        if (u.decimals != 0 || p->meta.weight_unit == SG_WEIGHT_CALLS)
            printf(" in %" PRIu64 " samples", top[k].samples);
        printf("\n");
        uint32_t depth = 0;
        for (uint32_t id = top[k].stack; id != SG_STACK_NONE; id = stacks->rows[id].parent)
            path[depth++] = id;
        /* path[] runs newest → oldest; print oldest first */
        for (uint32_t i = 0; i < depth; i++) {
            uint32_t from_root = i;
            if (depth > STACK_SHOW_HEAD + STACK_SHOW_TAIL + 1 && from_root == STACK_SHOW_HEAD) {
                uint32_t skipped = depth - STACK_SHOW_HEAD - STACK_SHOW_TAIL;
                printf("      ... %" PRIu32 " more frames ...\n", skipped);
                i += skipped - 1;
                continue;
            }
            print_frame_line(stacks, p, path[depth - 1 - from_root]);
        }
    }
    free(path);
    return 0;
}

static void print_header(const sg_profile *p, const sg_ftable *t, const report_args *a,
                         const char *format)
{
    printf("%s", strcmp(a->path, "-") == 0 ? "standard input" : a->path);
    if (a->npaths > 1)
        printf(" and %zu more", a->npaths - 1);
    if (format != NULL)
        printf(" (%s)", format);
    static const char *const kinds[] = {"functions", "lines", "files", "packages"};
    if (t->from_pstats) {
        printf(": %zu %s, %.3f s in all\n", t->count, kinds[a->by], (double)t->total_weight / 1e9);
    } else {
        printf(": %" PRIu64 " sample%s", t->total_samples, t->total_samples == 1 ? "" : "s");
        if (p->meta.weight_unit == SG_WEIGHT_NANOSECONDS)
            printf(", %.3f s in all", (double)t->total_weight / 1e9);
        else if (p->meta.interval_ns != 0)
            printf(" every %.3g ms", (double)p->meta.interval_ns / 1e6);
        if (p->meta.duration_ns != 0)
            printf(" over %.2f s", (double)p->meta.duration_ns / 1e9);
        printf(", %" PRIu32 " thread%s", p->threads.count, p->threads.count == 1 ? "" : "s");
        if (a->view.nthreads > 0)
            printf(", only those named by --thread");
        printf("\n");
    }
    if (t->from_pstats) {
        printf("pstats has no call stacks: self, total and ncalls are pstats's own numbers");
        printf(t->approximate ? "; totals and calls of a group are estimates (calls entering "
                                "it)\n"
                              : "\n");
    }
    printf("\n");
}

/* ---- JSON output -------------------------------------------------------- */

static void json_frame(const sg_profile *p, uint32_t frame, uint32_t line)
{
    printf("{\"function\": ");
    sg_json_string(stdout, sg_report_frame_name(p, frame));
    printf(", \"file\": ");
    sg_json_string(stdout, sg_report_frame_file(p, frame));
    printf(", \"line\": %" PRIu32 "}", line);
}

static void print_json(const sg_stacks *stacks, const sg_profile *p, const sg_ftable *t,
                       const sg_top_stack *top, size_t ntop, const report_args *a,
                       const char *format)
{
    static const char *const by_names[] = {"function", "line", "file", "package"};
    static const char *const unit_names[] = {"samples", "nanoseconds", "calls"};
    printf("{\"format\": ");
    sg_json_string(stdout, format != NULL ? format : "");
    printf(", \"by\": \"%s\", \"has_stacks\": %s, \"weight_unit\": \"%s\",\n", by_names[a->by],
           p->meta.has_stacks ? "true" : "false",
           unit_names[p->meta.weight_unit <= SG_WEIGHT_UNIT_MAX ? p->meta.weight_unit : 0]);
    printf(" \"total\": %" PRIu64 ", \"samples\": %" PRIu64 ", \"interval_ns\": %" PRIu64
           ", \"approximate\": %s,\n",
           t->total_weight, t->total_samples, p->meta.interval_ns,
           t->approximate ? "true" : "false");
    printf(" \"threads\": [");
    for (uint32_t i = 0; i < p->threads.count; i++) {
        printf("%s{\"tid\": %" PRIu64 ", \"name\": ", i ? ", " : "", p->threads.tid[i]);
        sg_json_string(stdout, sg_strings_get(&p->strings, p->threads.name[i]));
        printf("}");
    }
    printf("],\n \"rows\": [");
    size_t shown = a->limit == 0 || a->limit > t->count ? t->count : a->limit;
    for (size_t i = 0; i < shown; i++) {
        const sg_ftable_row *r = &t->rows[i];
        printf("%s\n  {\"self\": %" PRIu64 ", \"total\": %" PRIu64, i ? "," : "", r->self,
               r->total);
        if (t->from_pstats)
            printf(", \"calls\": %" PRIu64 ", \"primitive_calls\": %" PRIu64, r->calls,
                   r->primitive_calls);
        if (a->by == SG_FTABLE_BY_FUNCTION || a->by == SG_FTABLE_BY_LINE) {
            printf(", \"function\": ");
            sg_json_string(stdout, sg_report_frame_name(p, r->frame));
        }
        if (a->by != SG_FTABLE_BY_PACKAGE) {
            printf(", \"file\": ");
            sg_json_string(stdout, sg_strings_get(&p->strings, r->file));
        }
        if (a->by == SG_FTABLE_BY_FUNCTION || a->by == SG_FTABLE_BY_LINE)
            printf(", \"line\": %" PRIu32, r->line);
        const sg_package *pk = &t->packages.items[r->package];
        printf(", \"package\": ");
        sg_json_string(stdout, pk->name);
        printf(", \"package_kind\": ");
        sg_json_string(stdout, sg_package_kind_name(pk->kind));
        printf("}");
    }
    printf("],\n \"stacks\": [");
    for (size_t k = 0; k < ntop; k++) {
        printf("%s\n  {\"weight\": %" PRIu64 ", \"samples\": %" PRIu64 ", \"frames\": [",
               k ? "," : "", top[k].weight, top[k].samples);
        /* oldest first: count the depth, then walk down from the root */
        uint32_t depth = stacks->rows[top[k].stack].depth;
        for (uint32_t i = 0; i < depth; i++) {
            uint32_t id = top[k].stack;
            for (uint32_t up = depth - 1 - i; up > 0; up--)
                id = stacks->rows[id].parent;
            printf("%s", i ? ", " : "");
            json_frame(p, stacks->rows[id].frame, stacks->rows[id].line);
        }
        printf("]}");
    }
    printf("]}\n");
}

/* ---- the command -------------------------------------------------------- */

static const char *detected_format(const char *path, const char *forced)
{
    if (forced != NULL)
        return forced;
    /* Re-detect from the first bytes: cheap, and keeps sg_profile_load's
     * interface as it is. Standard input cannot be re-read: no name. */
    if (strcmp(path, "-") == 0)
        return NULL;
    FILE *f = fopen(path, "rb");
    uint8_t *head = malloc(DETECT_BYTES);
    const sg_format *fmt = NULL;
    if (f != NULL && head != NULL)
        fmt = sg_format_detect(head, fread(head, 1, DETECT_BYTES, f));
    if (f != NULL)
        fclose(f);
    free(head);
    return fmt != NULL ? fmt->name : NULL;
}

/* Load FILE, or every FILE merged into one profile (sg_merge: threads of
 * each input kept apart, times from each input's own start). */
static int load_inputs(const report_args *a, sg_profile **out)
{
    char err[1024];
    sg_profile **each = calloc(a->npaths, sizeof *each);
    if (each == NULL) {
        sg_cli_error("out of memory");
        return 1;
    }
    int rc = 0;
    for (size_t i = 0; i < a->npaths && rc == 0; i++) {
        if (sg_profile_load(a->paths[i], a->format, NULL, &each[i], err, sizeof err) != 0) {
            sg_cli_error("%s", err);
            rc = 1;
        }
    }
    if (rc == 0 && a->npaths == 1) {
        *out = each[0];
        each[0] = NULL;
    } else if (rc == 0 && sg_merge((const sg_profile *const *)each, a->paths, a->npaths,
                                   SG_MERGE_TIMES_KEPT, out) != 0) {
        sg_cli_error("cannot merge the %zu files (out of memory, or a mix of pstats and "
                     "sampled profiles)",
                     a->npaths);
        rc = 1;
    }
    for (size_t i = 0; i < a->npaths; i++)
        sg_profile_free(each[i]);
    free(each);
    return rc;
}

/* Resolve the command line's view over p (named path in errors). */
static int resolve_view(const sg_profile *p, const char *path, const report_args *a,
                        sg_report_view *v, sg_view_resolved *rv)
{
    memset(rv, 0, sizeof *rv);
    if (sg_report_view_build(p, path, &a->view, v) != 0)
        return 1;
    if (sg_view_resolve(p, &v->view, rv) != 0) {
        sg_cli_error("cannot apply the view to %s (out of memory)", path);
        return 1;
    }
    return 0;
}

/* The function table and heaviest stacks: the default view. */
static int report_table(const sg_profile *p, const report_args *a, const sg_view *view,
                        const sg_view_resolved *rv)
{
    const char *format = a->npaths == 1 ? detected_format(a->path, a->format) : "merged";
    sg_ftable t;
    sg_top_stack *top = NULL;
    size_t ntop = 0;
    sg_ftable_options o = {.by = a->by, .sort = a->sort, .view = view};
    if (sg_ftable_build(p, &o, &t) != 0 || sg_top_stacks_view(rv, a->stacks, &top, &ntop) != 0) {
        sg_cli_error("out of memory analysing %s", a->path);
        return 1;
    }
    int rc = 0;
    if (a->json) {
        print_json(rv->stacks, p, &t, top, ntop, a, format);
    } else {
        print_header(p, &t, a, format);
        print_table(p, &t, a);
        if (!p->meta.has_stacks && a->stacks > 0)
            printf("\nstacks: not available (pstats records no call stacks)\n");
        else
            rc = print_stacks(rv->stacks, p, top, ntop, t.total_weight, pick_units(p, &t));
    }
    sg_ftable_free(&t);
    free(top);
    return rc;
}

/* --diff BEFORE: the same view over both files. */
static int report_diff(const report_args *a, const sg_view_resolved *after_rv)
{
    char err[1024];
    sg_profile *before = NULL;
    if (sg_profile_load(a->diff, a->format, NULL, &before, err, sizeof err) != 0) {
        sg_cli_error("%s", err);
        return 1;
    }
    sg_report_view v;
    sg_view_resolved rv;
    int rc = resolve_view(before, a->diff, a, &v, &rv);
    if (rc == 0)
        rc = sg_report_diff(&rv, after_rv, a->diff, a->path, a->sort == SG_FTABLE_SORT_TOTAL,
                            a->limit, a->json);
    sg_view_resolved_free(&rv);
    sg_report_view_free(&v);
    sg_profile_free(before);
    return rc;
}

int sg_cmd_report(int argc, char **argv)
{
    report_args a;
    int rc = parse_report_args(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    sg_profile *p = NULL;
    if (load_inputs(&a, &p) != 0)
        return 1;
    sg_report_view v;
    sg_view_resolved rv;
    rc = resolve_view(p, a.path, &a, &v, &rv);
    if (rc == 0) {
        if (a.tree) {
            sg_report_tree_opts o = {.inverted = a.inverted,
                                     .min_percent = a.min_percent,
                                     .max_depth = (uint32_t)a.depth,
                                     .json = a.json};
            rc = sg_report_tree(&rv, &o);
        } else if (a.callers != NULL) {
            uint32_t frame;
            rc = sg_report_find_function(p, a.path, "--callers", a.callers, &frame);
            if (rc == 0)
                rc = sg_report_callers(&rv, frame, a.limit, a.json);
        } else if (a.diff != NULL) {
            rc = report_diff(&a, &rv);
        } else {
            rc = report_table(p, &a, &v.view, &rv);
        }
    }
    if (fflush(stdout) != 0 && rc == 0) {
        sg_cli_error("cannot write the report to standard output");
        rc = 1;
    }
    sg_view_resolved_free(&rv);
    sg_report_view_free(&v);
    sg_profile_free(p);
    return rc;
}
