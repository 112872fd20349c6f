/*
 * sunburst.ts — the callee pie: how a function's total time splits among
 * its callees (ring 1), theirs (ring 2) and so on, with the function's own
 * self time as a slice of ring 1. Pure: arcs from a tree answer whose
 * node `center` is the function (the tree asked with view focus = the
 * function, so the tree below it is exactly its callees). Parents come
 * before children in the answer, so one forward pass places every arc.
 *
 * Invariants: ring-1 arcs (callees plus self) cover [0, 2π) exactly
 * (shares of the centre's total); a child's arc lies inside its parent's;
 * arcs thinner than `minAngle` are left out; rings stop at `maxDepth`.
 */
import type { TreeAnswer } from './types';

export const SELF_ARC = -3; // the frame value of the "self" slice

export interface Arc {
  node: number; // index in the answer, or -1 for the self slice
  frame: number; // frame id, SELF_ARC for self
  ring: number; // 1 = callees of the centre
  a0: number; // radians
  a1: number;
  value: number;
}

export function sunburstArcs(t: TreeAnswer, center: number, maxDepth = 8, minAngle = 0.002): Arc[] {
  const n = t.nodes.frame.length;
  const whole = t.nodes.total[center];
  const arcs: Arc[] = [];
  if (!(whole > 0)) return arcs;
  const start = new Float64Array(n).fill(NaN); // start angle of each placed node
  const end = new Float64Array(n).fill(NaN);
  const ring = new Int32Array(n);
  const cursor = new Float64Array(n); // next free angle inside each placed node
  const k = (2 * Math.PI) / whole;
  start[center] = 0;
  end[center] = 2 * Math.PI;
  ring[center] = 0;
  cursor[center] = 0;
  // The centre's self first, so it sits at 12 o'clock.
  const selfW = t.nodes.self[center];
  if (selfW > 0) {
    arcs.push({ node: -1, frame: SELF_ARC, ring: 1, a0: 0, a1: selfW * k, value: selfW });
    cursor[center] = selfW * k;
  }
  for (let i = center + 1; i < n; i++) {
    const p = t.nodes.parent[i];
    if (p < 0 || Number.isNaN(start[p])) continue;
    const r = ring[p] + 1;
    if (r > maxDepth) continue;
    const a0 = cursor[p];
    const a1 = Math.min(end[p], a0 + t.nodes.total[i] * k);
    cursor[p] = a1;
    if (a1 - a0 < minAngle) continue;
    start[i] = a0;
    end[i] = a1;
    cursor[i] = a0;
    ring[i] = r;
    arcs.push({ node: i, frame: t.nodes.frame[i], ring: r, a0, a1, value: t.nodes.total[i] });
  }
  return arcs;
}

/** The arc under polar (angle in [0, 2π), ring), or -1. */
export function arcAt(arcs: Arc[], angle: number, ringNo: number): number {
  for (let i = 0; i < arcs.length; i++) {
    const a = arcs[i];
    if (a.ring === ringNo && angle >= a.a0 && angle < a.a1) return i;
  }
  return -1;
}
