/*
 * treemap.h — the density map: self weight by package → module (file) →
 * function, as a flat list of cells a renderer turns into rectangles.
 *
 * Cells are in depth-first order: a package, then each of its files, each
 * followed by its functions. Siblings are sorted by self descending, then
 * name (bytewise), then id. A cell's self is the sum of its children's;
 * cells of zero weight are left out. Sampled profiles use the resolved
 * view's per-row weights (the newest frame's function gets the sample);
 * pstats profiles use each function's tt (the view's stack transforms do
 * not apply; a thread set that keeps nothing empties the map).
 *
 * Ownership: sg_treemap_free releases the cells and the package list.
 */
#ifndef SG_ANALYZE_TREEMAP_H
#define SG_ANALYZE_TREEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/package.h"
#include "analyze/view.h"

#define SG_TREEMAP_NONE UINT32_MAX

enum sg_treemap_level {
    SG_TREEMAP_PACKAGE = 0,
    SG_TREEMAP_FILE = 1,
    SG_TREEMAP_FUNCTION = 2,
};

typedef struct sg_treemap_cell {
    uint32_t level;   /* enum sg_treemap_level */
    uint32_t parent;  /* index of the enclosing cell, SG_TREEMAP_NONE for a package */
    uint32_t package; /* index into packages */
    uint32_t file;    /* string id of the file (files and functions) */
    uint32_t frame;   /* frame id (functions), else SG_TREEMAP_NONE */
    uint64_t self;
} sg_treemap_cell;

typedef struct sg_treemap {
    sg_treemap_cell *cells;
    uint32_t count;
    uint64_t total_weight; /* the view's 100 % */
    sg_packages packages;
} sg_treemap;

int sg_treemap_build(const sg_view_resolved *rv, sg_treemap *out);
void sg_treemap_free(sg_treemap *t);

#endif
