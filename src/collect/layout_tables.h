/*
 * layout_tables.h — the generated per-version layout tables (private to
 * src/collect).
 *
 * Each table is defined in its generated layout_py3X.c; code outside
 * src/collect reaches them only through sg_layout_for_version() in layout.h.
 *
 * Invariants: one table per supported minor version, each immutable and
 * living for the whole program; adding a version means a new generated file,
 * a declaration here and a case in layout.c.
 */
#ifndef SG_COLLECT_LAYOUT_TABLES_H
#define SG_COLLECT_LAYOUT_TABLES_H

#include "collect/layout.h"

extern const sg_layout sg_layout_py39;
extern const sg_layout sg_layout_py310;
extern const sg_layout sg_layout_py311;
extern const sg_layout sg_layout_py312;
extern const sg_layout sg_layout_py313;

#endif
