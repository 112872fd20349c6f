/*
 * treemap.ts — the treemap answer (docs/api.md /treemap: package → file →
 * function cells with self time) as a squarified layout, pure: d3-hierarchy
 * does the squarifying. zoomTo() picks the subtree a zoom names (a package,
 * then one of its files); a zoom that names nothing falls back to the
 * whole map, so an old link never shows a blank view.
 *
 * Invariants: rectangles are in the given width × height; leaves are
 * functions (level 2) with self > 0; parents carry the sum of their leaves.
 */
import { hierarchy, treemap, treemapSquarify, HierarchyRectangularNode } from 'd3-hierarchy';
import type { TreemapAnswer } from './types';

export interface TmDatum {
  level: number; // -1 root, 0 package, 1 file, 2 function
  name: string;
  pkg: number;
  file: number;
  frame: number;
  self: number;
  children?: TmDatum[];
}

export interface TmRect {
  level: number;
  name: string;
  pkg: number;
  file: number;
  frame: number;
  value: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The answer's flat cells as a tree (parents come before children). */
export function treemapTree(a: TreemapAnswer): TmDatum {
  const root: TmDatum = { level: -1, name: 'all', pkg: -1, file: -1, frame: -1, self: 0, children: [] };
  const c = a.cells;
  const made: TmDatum[] = [];
  for (let i = 0; i < c.level.length; i++) {
    const lv = c.level[i];
    const name = lv === 0 ? (a.packages[c.package[i]]?.name ?? '?') : lv === 1 ? (a.files[c.file[i]] ?? '?') : String(c.frame[i]);
    const d: TmDatum = { level: lv, name, pkg: c.package[i], file: c.file[i], frame: c.frame[i], self: c.self[i] };
    if (lv < 2) d.children = [];
    made.push(d);
    const parent = c.parent[i] < 0 ? root : made[c.parent[i]];
    (parent.children ??= []).push(d);
  }
  return root;
}

/** The subtree a zoom names: package name, then a file of it. */
export function zoomTo(root: TmDatum, pkg: string | null, file: string | null): TmDatum {
  if (pkg === null) return root;
  const p = root.children?.find((d) => d.level === 0 && d.name === pkg);
  if (!p) return root;
  if (file === null) return p;
  return p.children?.find((d) => d.level === 1 && d.name === file) ?? p;
}

/** Squarified rectangles of `top` in width × height; headers leave room for labels. */
export function layoutTreemap(top: TmDatum, width: number, height: number): TmRect[] {
  const hroot = hierarchy<TmDatum>(top, (d) => d.children)
    .sum((d) => (d.level === 2 ? Math.max(0, d.self) : 0))
    .sort((x, y) => (y.value ?? 0) - (x.value ?? 0));
  const laid: HierarchyRectangularNode<TmDatum> = treemap<TmDatum>()
    .tile(treemapSquarify)
    .size([width, height])
    .paddingInner(1)
    .paddingOuter((n) => (n.depth === 0 ? 0 : 2))
    .paddingTop((n) => (n.depth === 0 ? 0 : n.data.level < 2 && n.y1 - n.y0 > 40 ? 16 : 2))
    .round(false)(hroot);
  const out: TmRect[] = [];
  for (const n of laid.descendants()) {
    if (n.depth === 0 || !(n.value! > 0)) continue;
    const d = n.data;
    out.push({ level: d.level, name: d.name, pkg: d.pkg, file: d.file, frame: d.frame, value: n.value!, x0: n.x0, y0: n.y0, x1: n.x1, y1: n.y1 });
  }
  return out;
}

/** The innermost rectangle under (x, y), or -1. Parents come before children. */
export function rectAt(rects: TmRect[], x: number, y: number): number {
  let hit = -1;
  for (let i = 0; i < rects.length; i++) {
    const r = rects[i];
    if (x >= r.x0 && x < r.x1 && y >= r.y0 && y < r.y1 && (hit < 0 || r.level >= rects[hit].level)) hit = i;
  }
  return hit;
}
