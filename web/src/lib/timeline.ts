/*
 * lib/timeline.ts — the timeline's model: the server's answer (pixel
 * columns of one window, docs/api.md) turned into profile-clock times, so
 * any later viewport can be drawn from it at once while a sharper answer
 * is fetched; and the vertical layout of thread blocks (name, state lanes,
 * GC, markers, flame chart rows). Pure.
 *
 * The server sends spans in one of two forms (docs/api.md): five columns
 * per span (x0, x1, depth, frame, weight), or, when asked with
 * enc=compact, "runs" plus one frame per span and the thread's column
 * weights (src/analyze/timeline_compact.h). Both decode to the same
 * columns (decodeSpans), so everything after that is the same code.
 *
 * Invariants: for each thread, spans t0 <= t1 and depth >= 0; blocks are
 * stacked without overlap in thread order; hitSpan returns the deepest
 * span under a point or -1; malformed compact spans throw an Error naming
 * what is wrong, never draw something else.
 */
import type { SpanColumns, TimelineAnswer, TimelineThread } from './types';

/** enc=compact spans: runs of (dx, keep, n), a frame per span, and the
 * thread's column weights with a run of k empty columns written as -k. */
export interface CompactSpans {
  runs: number[];
  frame: number[];
  cw: number[];
}

/** A timeline answer in either form. */
export interface TimelineWire extends Omit<TimelineAnswer, 'threads'> {
  enc?: 'compact';
  threads: (Omit<TimelineThread, 'spans'> & { spans: SpanColumns | CompactSpans })[];
}

/** One thread's spans as typed columns, in the server's span order. */
export interface DecodedSpans {
  x0: Int32Array;
  x1: Int32Array;
  depth: Int32Array;
  frame: Int32Array;
  weight: Float64Array;
}

function isCompact(s: SpanColumns | CompactSpans): s is CompactSpans {
  return (s as CompactSpans).runs !== undefined;
}

/**
 * The spans of a thread in either form, over `width` pixel columns. The
 * compact form is replayed with a stack of the open spans: each run moves
 * x by dx, ends the open spans at depths >= keep there, and opens n spans
 * below them; those still open at the end end at width. A span's weight is
 * the sum of its columns' weights.
 */
export function decodeSpans(s: SpanColumns | CompactSpans, width: number): DecodedSpans {
  if (!isCompact(s)) {
    return {
      x0: Int32Array.from(s.x0),
      x1: Int32Array.from(s.x1),
      depth: Int32Array.from(s.depth),
      frame: Int32Array.from(s.frame),
      weight: Float64Array.from(s.weight),
    };
  }
  const bad = (why: string) => new Error(`the timeline's compact spans are malformed: ${why}`);
  const n = s.frame.length;
  const x0 = new Int32Array(n);
  const x1 = new Int32Array(n);
  const depth = new Int32Array(n);
  const stack = new Int32Array(n);
  const runs = s.runs;
  if (runs.length % 3 !== 0) throw bad('runs is not a list of (dx, keep, n) triples');
  let top = 0;
  let i = 0;
  let x = 0;
  for (let k = 0; k < runs.length; k += 3) {
    const dx = runs[k];
    const keep = runs[k + 1];
    const open = runs[k + 2];
    x += dx;
    if (!(dx >= 0 && (dx > 0 || k === 0) && x <= width)) throw bad(`run ${k / 3} moves x to ${x} (width ${width})`);
    if (!(keep >= 0 && keep <= top)) throw bad(`run ${k / 3} keeps ${keep} of ${top} open spans`);
    if (!(open >= 0 && open <= n - i && (open === 0 || x < width))) throw bad(`run ${k / 3} opens ${open} spans at column ${x}`);
    while (top > keep) x1[stack[--top]] = x;
    for (let j = 0; j < open; j++, i++) {
      x0[i] = x;
      depth[i] = top;
      stack[top++] = i;
    }
  }
  if (i !== n) throw bad(`the runs open ${i} spans for ${n} frames`);
  while (top > 0) x1[stack[--top]] = width;
  // column weights → prefix sums → each span's weight
  const cum = new Float64Array(width + 1);
  let c = 0;
  for (const v of s.cw) {
    if (v < 0) {
      if (c - v > width) break;
      for (let e = c - v; c < e; c++) cum[c + 1] = cum[c];
    } else if (c < width) {
      cum[c + 1] = cum[c] + v;
      c++;
    } else c++;
  }
  if (c !== width) throw bad(`cw covers ${c} columns of ${width}`);
  const weight = new Float64Array(n);
  for (let j = 0; j < n; j++) weight[j] = cum[x1[j]] - cum[x0[j]];
  return { x0, x1, depth, frame: Int32Array.from(s.frame), weight };
}

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

export function modelFromAnswer(a: TimelineAnswer | TimelineWire): TimelineModel {
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
  const threads = (a as TimelineWire).threads.map((th): ThreadModel => {
    const s = decodeSpans(th.spans, a.width);
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
      depth: s.depth,
      frame: s.frame,
      weight: s.weight,
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

function spanRows(depth: Int32Array, t0: Float64Array, maxDepth: number): Int32Array[] {
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
