/*
 * report_views.c — call trees, callers/callees and diffs of `spyglass
 * report`, as text for a terminal or JSON for scripts (report_views.h).
 *
 * Trees are printed depth first from an explicit stack, never by recursion
 * on depth: a 1,000-deep recursion prints like any other tree. Indentation
 * stops growing at INDENT_MAX levels; deeper lines say their depth.
 */
#include "cli/report_views.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/butterfly.h"
#include "analyze/call_tree.h"
#include "analyze/diff.h"
#include "cli/attach.h"
#include "cli/json_write.h"

#define INDENT_MAX 24

double sg_report_percent(uint64_t part, uint64_t whole)
{
    return whole == 0 ? 0.0 : 100.0 * (double)part / (double)whole;
}

const char *sg_report_frame_name(const sg_profile *p, uint32_t frame)
{
    return sg_strings_get(&p->strings, p->frames.rows[frame].name);
}

const char *sg_report_frame_file(const sg_profile *p, uint32_t frame)
{
    return sg_strings_get(&p->strings, p->frames.rows[frame].file);
}

/* "name  file:line" of a frame, as text. */
static void print_function(const sg_profile *p, uint32_t frame)
{
    printf("%s  %s", sg_report_frame_name(p, frame), sg_report_frame_file(p, frame));
    if (p->frames.rows[frame].first_line != 0)
        printf(":%" PRIu32, p->frames.rows[frame].first_line);
}

/* {"function": ..., "file": ..., "line": ...} members of a frame, as JSON. */
static void json_function(const sg_profile *p, uint32_t frame)
{
    printf("\"function\": ");
    sg_json_string(stdout, sg_report_frame_name(p, frame));
    printf(", \"file\": ");
    sg_json_string(stdout, sg_report_frame_file(p, frame));
    printf(", \"line\": %" PRIu32, p->frames.rows[frame].first_line);
}

static int out_of_memory(void)
{
    sg_cli_error("out of memory");
    return 1;
}

/* ---- call tree ---------------------------------------------------------- */

static void tree_line(const sg_profile *p, const sg_call_tree *t, const sg_tree_node *n,
                      uint32_t level)
{
    printf("%6.1f%% %6.1f%%  ", sg_report_percent(n->total, t->total_weight),
           sg_report_percent(n->self, t->total_weight));
    uint32_t indent = level < INDENT_MAX ? level : INDENT_MAX;
    printf("%*s", (int)(2 * indent), "");
    if (level > INDENT_MAX)
        printf("[%" PRIu32 "] ", level);
    if (n->frame == SG_TREE_ROOT_FRAME)
        printf("(all)\n");
    else if (n->frame == SG_TREE_OTHER_FRAME)
        printf("(%" PRIu32 " more, each under --min)\n", n->folded);
    else {
        print_function(p, n->frame);
        printf("\n");
    }
}

static void tree_json_node(const sg_profile *p, const sg_tree_node *n, uint32_t level,
                           int64_t parent, size_t index)
{
    printf("%s\n  {\"depth\": %" PRIu32 ", \"parent\": %" PRId64 ", \"self\": %" PRIu64
           ", \"total\": %" PRIu64 ", ",
           index ? "," : "", level, parent, n->self, n->total);
    if (n->frame == SG_TREE_ROOT_FRAME)
        printf("\"function\": \"(all)\", \"file\": \"\", \"line\": 0");
    else if (n->frame == SG_TREE_OTHER_FRAME)
        printf("\"function\": \"(other)\", \"file\": \"\", \"line\": 0, \"folded\": %" PRIu32,
               n->folded);
    else
        json_function(p, n->frame);
    printf("}");
}

int sg_report_tree(const sg_view_resolved *rv, const sg_report_tree_opts *o)
{
    const sg_profile *p = rv->profile;
    if (!p->meta.has_stacks) {
        sg_cli_error("this profile has no call stacks (pstats keeps only caller/callee pairs): "
                     "use --callers FUNCTION instead of a tree");
        return 1;
    }
    sg_tree_budget budget = {0};
    budget.min_weight = (uint64_t)ceil((double)rv->total_weight * o->min_percent / 100.0);
    sg_call_tree t;
    if (sg_call_tree_build(rv, o->inverted, NULL, 0, &budget, &t) != 0) {
        sg_call_tree_free(&t);
        return out_of_memory();
    }
    /* Depth first, heaviest child first: push children in reverse. Each
     * entry is a node index and the printed index of its parent (JSON). */
    typedef struct entry {
        uint32_t node;
        int64_t parent;
    } entry;
    entry *todo = malloc(((size_t)t.count + 1) * sizeof *todo);
    if (todo == NULL) {
        sg_call_tree_free(&t);
        return out_of_memory();
    }
    if (o->json)
        printf("{\"view\": \"%s\", \"total\": %" PRIu64 ", \"samples\": %" PRIu64
               ", \"min_percent\": %g, \"nodes\": [",
               o->inverted ? "inverted" : "tree", t.total_weight, t.total_samples, o->min_percent);
    else {
        printf("call tree, %s, of %" PRIu64 " samples (nodes under %g %% folded: --min):\n",
               o->inverted ? "inverted (newest frame first: who calls the hot functions)"
                           : "top-down",
               t.total_samples, o->min_percent);
        printf("%7s %7s\n", "total", "self");
    }
    size_t n = 0, printed = 0;
    if (t.count > 0)
        todo[n++] = (entry){0, -1};
    uint32_t base = t.count > 0 ? t.nodes[0].depth : 0;
    while (n > 0) {
        entry e = todo[--n];
        const sg_tree_node *node = &t.nodes[e.node];
        uint32_t level = node->depth - base;
        if (o->json)
            tree_json_node(p, node, level, e.parent, printed);
        else
            tree_line(p, &t, node, level);
        int64_t me = (int64_t)printed++;
        if (o->max_depth != 0 && level >= o->max_depth)
            continue;
        for (uint32_t c = node->child_count; c-- > 0;)
            todo[n++] = (entry){node->first_child + c, me};
    }
    if (o->json)
        printf("]}\n");
    free(todo);
    sg_call_tree_free(&t);
    return 0;
}

/* ---- callers and callees ------------------------------------------------ */

static void edges_text(const sg_profile *p, const sg_bfly_edge *e, uint32_t count, size_t limit,
                       uint64_t whole, bool pstats)
{
    size_t shown = limit == 0 || limit > count ? count : limit;
    for (size_t i = 0; i < shown; i++) {
        printf("  %6.1f%%  ", sg_report_percent(e[i].weight, whole));
        if (pstats)
            printf("%10" PRIu64 " calls  ", e[i].n.nc);
        if (e[i].frame == SG_BFLY_ROOT)
            printf("(none: the oldest frame)");
        else
            print_function(p, e[i].frame);
        printf("\n");
    }
    if (count == 0)
        printf("  (none)\n");
    if (shown < count)
        printf("  ... %zu more (--limit 0 shows all)\n", count - shown);
}

static void edges_json(const sg_profile *p, const sg_bfly_edge *e, uint32_t count, size_t limit)
{
    size_t shown = limit == 0 || limit > count ? count : limit;
    printf("[");
    for (size_t i = 0; i < shown; i++) {
        printf("%s\n  {\"weight\": %" PRIu64 ", \"calls\": %" PRIu64 ", ", i ? "," : "",
               e[i].weight, e[i].n.nc);
        if (e[i].frame == SG_BFLY_ROOT)
            printf("\"function\": null, \"file\": null, \"line\": 0");
        else
            json_function(p, e[i].frame);
        printf("}");
    }
    printf("]");
}

int sg_report_callers(const sg_view_resolved *rv, uint32_t frame, size_t limit, bool json)
{
    const sg_profile *p = rv->profile;
    sg_bfly_index index;
    sg_butterfly b;
    memset(&b, 0, sizeof b);
    int rc = sg_bfly_index_build(p, &index);
    if (rc == 0)
        rc = sg_butterfly_build(rv, &index, frame, &b);
    if (rc != 0) {
        sg_butterfly_free(&b);
        sg_bfly_index_free(&index);
        return out_of_memory();
    }
    /* Shares are of the function's total: "of the time in F, how much came
     * from each caller / went to each callee". */
    if (json) {
        printf("{\"view\": \"callers\", ");
        json_function(p, frame);
        printf(", \"self\": %" PRIu64 ", \"total\": %" PRIu64 ", \"view_total\": %" PRIu64
               ", \"pstats\": %s,\n \"callers\": ",
               b.self, b.total, b.total_weight, b.from_pstats ? "true" : "false");
        edges_json(p, b.callers, b.caller_count, limit);
        printf(",\n \"callees\": ");
        edges_json(p, b.callees, b.callee_count, limit);
        printf("}\n");
    } else {
        printf("callers of ");
        print_function(p, frame);
        printf("\n(shares of its total time, %.1f%% of the view; self %.1f%%)\n",
               sg_report_percent(b.total, b.total_weight),
               sg_report_percent(b.self, b.total_weight));
        edges_text(p, b.callers, b.caller_count, limit, b.total, b.from_pstats);
        printf("\ncallees:\n");
        edges_text(p, b.callees, b.callee_count, limit, b.total, b.from_pstats);
    }
    sg_butterfly_free(&b);
    sg_bfly_index_free(&index);
    return 0;
}

/* ---- diff --------------------------------------------------------------- */

int sg_report_diff(const sg_view_resolved *before, const sg_view_resolved *after,
                   const char *before_name, const char *after_name, bool by_total, size_t limit,
                   bool json)
{
    sg_diff_options o = {.sort = by_total ? SG_DIFF_SORT_TOTAL : SG_DIFF_SORT_SELF, .limit = limit};
    o.min_share = 1.0; /* no node rows: this view prints functions */
    sg_diff d;
    if (sg_diff_build(before, after, &o, &d) != 0) {
        sg_diff_free(&d);
        return out_of_memory();
    }
    const sg_profile *k = d.keys;
    if (json) {
        printf("{\"view\": \"diff\", \"before\": ");
        sg_json_string(stdout, before_name);
        printf(", \"after\": ");
        sg_json_string(stdout, after_name);
        printf(", \"total_before\": %" PRIu64 ", \"total_after\": %" PRIu64 ", \"rows\": [",
               d.total[0], d.total[1]);
        for (size_t i = 0; i < d.function_count; i++) {
            const sg_diff_row *r = &d.functions[i];
            printf("%s\n  {", i ? "," : "");
            json_function(k, r->frame);
            printf(", \"self_before\": %" PRIu64 ", \"self_after\": %" PRIu64
                   ", \"total_before\": %" PRIu64 ", \"total_after\": %" PRIu64
                   ", \"delta_self_pp\": %.4f, \"delta_total_pp\": %.4f}",
                   r->self[0], r->self[1], r->total[0], r->total[1], 100.0 * r->delta_frac_self,
                   100.0 * r->delta_frac_total);
        }
        printf("]}\n");
    } else {
        printf("diff, per function: %s -> %s, by the change of %s share (percentage points)\n",
               before_name, after_name, by_total ? "total" : "self");
        printf("%8s %8s %8s %8s %8s %8s  %s\n", "self", "", "", "total", "", "", "function");
        printf("%8s %8s %8s %8s %8s %8s\n", "before", "after", "change", "before", "after",
               "change");
        for (size_t i = 0; i < d.function_count; i++) {
            const sg_diff_row *r = &d.functions[i];
            printf("%7.1f%% %7.1f%% %+8.1f %7.1f%% %7.1f%% %+8.1f  ", 100.0 * r->frac_self[0],
                   100.0 * r->frac_self[1], 100.0 * r->delta_frac_self, 100.0 * r->frac_total[0],
                   100.0 * r->frac_total[1], 100.0 * r->delta_frac_total);
            print_function(k, r->frame);
            printf("\n");
        }
        if (d.function_count == 0)
            printf("  (no functions on either side)\n");
    }
    sg_diff_free(&d);
    return 0;
}
