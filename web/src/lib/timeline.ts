/*
 * lib/timeline.ts — the timeline's model: the server's answer (pixel
 * columns of one window, docs/api.md) turned into profile-clock times, so
 * any later viewport can be drawn from it at once while a sharper answer
 * is fetched; and the vertical layout of thread blocks (name, state lanes,
 * GC, markers, flame chart rows). Pure.
 *
 * Invariants: for each thread, spans t0 <= t1 and depth >= 0; blocks are
 * stacked without overlap in thread order; hitSpan returns the deepest
 * span under a point or -1.
 */
import type { TimelineAnswer } from './types';

export interface ThreadModel {
  index: number;
  name: string;
  t0: Float64Array;
  t1: Float64Array;
  depth: Int32Array;
  frame: Int32Array;
  weight: Float64Array;
  maxDepth: number; // -1 when no spans
  cpu: Float64Array; // flat [a0, b0, a1, b1, ...] in times
  gil: Float64Array;
  idle: Float64Array;
  gc: Float64Array; // flat [a, b, count, ...]
  markers: { t: number; count: number; label: string }[];
  /** rows[d]: the span indexes at depth d, sorted by start time. */
  rows: Int32Array[];
}

export interface TimelineModel {
  t0: number;
  t1: number;
  threads: ThreadModel[];
}

export function modelFromAnswer(a: TimelineAnswer): TimelineModel {
  const scale = a.width > 0 ? (a.t1 - a.t0) / a.width : 0;
  const T = (x: number) => a.t0 + x * scale;
  const flatPairs = (pairs: [number, number][]) => {
    const out = new Float64Array(pairs.length * 2);
    pairs.forEach(([x0, x1], i) => {
      out[2 * i] = T(x0);
      out[2 * i + 1] = T(x1);
    });
    return out;
  };
  const threads = a.threads.map((th): ThreadModel => {
    const s = th.spans;
    const n = s.x0.length;
    const t0 = new Float64Array(n);
    const t1 = new Float64Array(n);
    let maxDepth = -1;
    for (let i = 0; i < n; i++) {
      t0[i] = T(s.x0[i]);
      t1[i] = T(s.x1[i]);
      if (s.depth[i] > maxDepth) maxDepth = s.depth[i];
    }
    const gc = new Float64Array(th.gc.length * 3);
    th.gc.forEach(([x0, x1, c], i) => {
      gc[3 * i] = T(x0);
      gc[3 * i + 1] = T(x1);
      gc[3 * i + 2] = c;
    });
    return {
      index: th.index,
      name: th.name,
      t0,
      t1,
      depth: Int32Array.from(s.depth),
      frame: Int32Array.from(s.frame),
      weight: Float64Array.from(s.weight),
      maxDepth,
      cpu: flatPairs(th.states?.cpu ?? []),
      gil: flatPairs(th.states?.gil ?? []),
      idle: flatPairs(th.states?.idle ?? []),
      gc,
      markers: (th.markers ?? []).map(([x, count, label]) => ({ t: T(x), count, label })),
      rows: spanRows(s.depth, t0, maxDepth),
    };
  });
  return { t0: a.t0, t1: a.t1, threads };
}

function spanRows(depth: number[], t0: Float64Array, maxDepth: number): Int32Array[] {
  const counts = new Int32Array(maxDepth + 1);
  for (const d of depth) counts[d]++;
  const rows = Array.from({ length: maxDepth + 1 }, (_, d) => new Int32Array(counts[d]));
  const fill = new Int32Array(maxDepth + 1);
  for (let i = 0; i < depth.length; i++) rows[depth[i]][fill[depth[i]]++] = i;
  for (const r of rows) r.sort((a, b) => t0[a] - t0[b]);
  return rows;
}

/** Index in a row of the first span ending after time t (binary search). */
export function firstSpanAfter(th: ThreadModel, row: Int32Array, t: number): number {
  let lo = 0;
  let hi = row.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (th.t1[row[mid]] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Heights, in CSS px, of the parts of a thread block. */
export const TL = {
  axis: 22,
  name: 18,
  lane: 5, // each of cpu, gil, idle
  gc: 8,
  marker: 10,
  row: 16,
  gap: 8,
};

export interface BlockLayout {
  top: number[]; // y of each thread block, below the axis (content coordinates)
  spansTop: number[]; // y of depth 0 of each thread
  height: number[];
  contentHeight: number;
}

export function layoutBlocks(m: TimelineModel): BlockLayout {
  const top: number[] = [];
  const spansTop: number[] = [];
  const height: number[] = [];
  let y = TL.axis;
  for (const th of m.threads) {
    top.push(y);
    const lanes = TL.name + 3 * TL.lane + TL.gc + TL.marker;
    spansTop.push(y + lanes);
    const hgt = lanes + (th.maxDepth + 1) * TL.row + TL.gap;
    height.push(hgt);
    y += hgt;
  }
  return { top, spansTop, height, contentHeight: y };
}

/** The deepest span of thread `k` under (time t, content y), or -1. */
export function hitSpan(m: TimelineModel, b: BlockLayout, k: number, t: number, y: number): number {
  const th = m.threads[k];
  if (!th) return -1;
  const d = Math.floor((y - b.spansTop[k]) / TL.row);
  if (d < 0 || d > th.maxDepth) return -1;
  const row = th.rows[d];
  const j = firstSpanAfter(th, row, t);
  return j < row.length && th.t0[row[j]] <= t ? row[j] : -1;
}

/** The thread block under content y, or -1. */
export function blockAt(b: BlockLayout, y: number): number {
  for (let k = 0; k < b.top.length; k++) if (y >= b.top[k] && y < b.top[k] + b.height[k]) return k;
  return -1;
}

/**
 * Spans of each thread that lie under a span of frame `sel` (same thread,
 * overlapping in time, not shallower), for the 'children' grey-out mode.
 */
export function underSelected(th: ThreadModel, sel: number): Uint8Array {
  const n = th.t0.length;
  const out = new Uint8Array(n);
  const roots: number[] = [];
  for (let i = 0; i < n; i++) if (th.frame[i] === sel) roots.push(i);
  if (roots.length === 0) return out;
  for (let i = 0; i < n; i++) {
    for (const r of roots) {
      if (th.depth[i] >= th.depth[r] && th.t0[i] >= th.t0[r] && th.t1[i] <= th.t1[r]) {
        out[i] = 1;
        break;
      }
    }
  }
  return out;
}
