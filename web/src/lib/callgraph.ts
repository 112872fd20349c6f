/*
 * callgraph.ts — the call graph answer (docs/api.md /callgraph) made
 * ready to lay out and draw, as pure functions: recursion collapsed (an
 * edge from a function to itself becomes a mark on the node), the
 * neighbourhood of a function N levels out (callers and callees, breadth
 * first, so no stack depth), node sizes from self time and edge widths
 * from the time through the edge. The layout itself (dagre) runs in a
 * worker on the plain GraphInput made here.
 *
 * Invariants: node ids are frame ids as strings; every edge joins two
 * kept nodes; a kept graph has at most `maxNodes` nodes (heaviest by
 * total first), so a layout never explodes whatever the server sends.
 */
import type { CallGraphAnswer, FrameDict } from './types';
import { frameInfo } from './flame';

export interface GraphNode {
  id: string;
  frame: number;
  self: number;
  total: number;
  calls: number;
  recursive: boolean;
  width: number;
  height: number;
  label: string;
  sub: string;
}

export interface GraphEdge {
  v: string;
  w: string;
  weight: number;
  calls: number;
}

export interface GraphInput {
  nodes: GraphNode[];
  edges: GraphEdge[];
  total: number;
  /** Nodes left out here (beyond maxNodes or outside the neighbourhood). */
  hidden: number;
}

/** What the worker answers: positions of node centres and edge polylines. */
export interface GraphLayout {
  width: number;
  height: number;
  x: number[];
  y: number[];
  points: { x: number; y: number }[][];
  ms: number;
}

export const MAX_NODES = 400;

function pct(part: number, whole: number): string {
  if (whole <= 0) return '0%';
  const p = (100 * part) / whole;
  return p >= 10 ? `${p.toFixed(0)}%` : p >= 0.1 ? `${p.toFixed(1)}%` : `${p.toFixed(2)}%`;
}

/** Box size from self time: wider and taller as its share of self time grows. */
export function nodeSize(selfShare: number, labelChars: number): { width: number; height: number } {
  const k = Math.sqrt(Math.max(0, Math.min(1, selfShare)));
  const font = 11 + 13 * k;
  return { width: Math.min(360, Math.max(90, labelChars * font * 0.6 + 16)), height: Math.round(font * 2.4 + 8) };
}

/** Edge stroke width in px from its share of the total (1 … 14). */
export function edgeWidth(share: number): number {
  return 1 + 13 * Math.sqrt(Math.max(0, Math.min(1, share)));
}

/**
 * Frames within `levels` calls of `center` in either direction (callers
 * and callees), breadth first over the answer's edges.
 */
export function neighbourhood(a: CallGraphAnswer, center: number, levels: number): Set<number> {
  const n = a.nodes.frame.length;
  const index = new Map<number, number>();
  for (let i = 0; i < n; i++) index.set(a.nodes.frame[i], i);
  const start = index.get(center);
  const keep = new Set<number>();
  if (start === undefined) return keep;
  const adj: number[][] = Array.from({ length: n }, () => []);
  for (let e = 0; e < a.edges.caller.length; e++) {
    const u = a.edges.caller[e];
    const v = a.edges.callee[e];
    adj[u].push(v);
    adj[v].push(u);
  }
  const dist = new Int32Array(n).fill(-1);
  dist[start] = 0;
  let queue = [start];
  while (queue.length) {
    const next: number[] = [];
    for (const u of queue) {
      if (dist[u] >= levels) continue;
      for (const v of adj[u]) {
        if (dist[v] < 0) {
          dist[v] = dist[u] + 1;
          next.push(v);
        }
      }
    }
    queue = next;
  }
  for (let i = 0; i < n; i++) if (dist[i] >= 0) keep.add(a.nodes.frame[i]);
  return keep;
}

export interface GraphOptions {
  /** Centre of the neighbourhood and how many levels out; levels 0 keeps all. */
  center: number | null;
  levels: number;
  maxNodes?: number;
}

export function buildGraph(a: CallGraphAnswer, frames: FrameDict, opt: GraphOptions): GraphInput {
  const n = a.nodes.frame.length;
  const total = a.total;
  const within = opt.center !== null && opt.levels > 0 ? neighbourhood(a, opt.center, opt.levels) : null;
  const order = Array.from({ length: n }, (_, i) => i)
    .filter((i) => !within || within.has(a.nodes.frame[i]))
    .sort((x, y) => a.nodes.total[y] - a.nodes.total[x]);
  const max = opt.maxNodes ?? MAX_NODES;
  const kept = order.slice(0, max);
  // The centre stays even when it is light.
  if (opt.center !== null && !kept.some((i) => a.nodes.frame[i] === opt.center)) {
    const c = order.find((i) => a.nodes.frame[i] === opt.center);
    if (c !== undefined) kept[kept.length ? kept.length - 1 : 0] = c;
  }
  const keptSet = new Set(kept);
  const recursive = new Set<number>();
  const edges: GraphEdge[] = [];
  for (let e = 0; e < a.edges.caller.length; e++) {
    const u = a.edges.caller[e];
    const v = a.edges.callee[e];
    if (u === v) {
      recursive.add(u);
      continue;
    }
    if (!keptSet.has(u) || !keptSet.has(v)) continue;
    edges.push({ v: String(a.nodes.frame[u]), w: String(a.nodes.frame[v]), weight: a.edges.weight[e], calls: a.edges.calls?.[e] ?? 0 });
  }
  const nodes: GraphNode[] = kept.map((i) => {
    const f = a.nodes.frame[i];
    const info = frameInfo(frames, f);
    const label = info[0];
    const sub = `self ${pct(a.nodes.self[i], total)} · total ${pct(a.nodes.total[i], total)}`;
    const size = nodeSize(total > 0 ? a.nodes.self[i] / total : 0, Math.max(Math.min(label.length, 48), sub.length * 0.8));
    return {
      id: String(f),
      frame: f,
      self: a.nodes.self[i],
      total: a.nodes.total[i],
      calls: a.nodes.calls?.[i] ?? 0,
      recursive: recursive.has(i),
      label,
      sub,
      ...size,
    };
  });
  return { nodes, edges, total, hidden: n - kept.length };
}
