/*
 * report_views.h — the views of `spyglass report` beyond the function
 * table: the call tree (top-down or inverted), callers and callees of one
 * function, and the diff of two profiles, each printed as text or JSON.
 *
 * The numbers come from src/analyze over a resolved view; these functions
 * only query and print. Each returns 0, or 1 after printing an error.
 */
#ifndef SG_CLI_REPORT_VIEWS_H
#define SG_CLI_REPORT_VIEWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/view.h"

/* Shared by every printer of `report`: part as a percentage of whole (0
 * when whole is 0), and a frame's qualified name and file. */
double sg_report_percent(uint64_t part, uint64_t whole);
const char *sg_report_frame_name(const sg_profile *p, uint32_t frame);
const char *sg_report_frame_file(const sg_profile *p, uint32_t frame);

typedef struct sg_report_tree_opts {
    bool inverted;
    double min_percent; /* leave out nodes under this share of the view */
    uint32_t max_depth; /* levels below the root printed; 0 = all */
    bool json;
} sg_report_tree_opts;

int sg_report_tree(const sg_view_resolved *rv, const sg_report_tree_opts *o);

/* Callers above, callees below `frame`; limit rows per side (0 = all). */
int sg_report_callers(const sg_view_resolved *rv, uint32_t frame, size_t limit, bool json);

/* What changed from `before` to `after`, per function, sorted by the
 * change of self share (by_total: of total share); limit rows (0 = all). */
int sg_report_diff(const sg_view_resolved *before, const sg_view_resolved *after,
                   const char *before_name, const char *after_name, bool by_total, size_t limit,
                   bool json);

#endif
