/*
 * diff.ts — the diff answer (docs/api.md /api/diff) as a flame graph
 * coloured by change, pure. Each node's width is the mean of its shares of
 * the two totals, so a function that vanished or appeared still shows and
 * children always fit in their parent; its change is after/Wa − before/Wb
 * (normalized by each profile's total, so a longer run is not "slower"
 * everywhere). Red is slower (a larger share after), blue faster.
 *
 * Invariants: rows are parents first (as the answer sends them); x and w
 * are fractions of the full width in [0, 1]; depth 0 are the roots.
 */
import type { DiffAnswer } from './types';

export interface DiffFlame {
  count: number;
  x: Float64Array;
  w: Float64Array;
  depth: Int32Array;
  delta: Float64Array;
  maxDepth: number;
  maxAbs: number;
}

export function diffFlame(a: DiffAnswer): DiffFlame {
  const t = a.tree;
  const n = t.parent.length;
  const [wb, wa] = a.total;
  const x = new Float64Array(n);
  const w = new Float64Array(n);
  const depth = new Int32Array(n);
  const delta = new Float64Array(n);
  const cursor = new Float64Array(n);
  let rootCursor = 0;
  let maxDepth = 0;
  let maxAbs = 0;
  for (let i = 0; i < n; i++) {
    const fb = wb > 0 ? t.before[i] / wb : 0;
    const fa = wa > 0 ? t.after[i] / wa : 0;
    w[i] = (fb + fa) / 2;
    delta[i] = fa - fb;
    const p = t.parent[i];
    if (p < 0 || p >= i) {
      x[i] = rootCursor;
      rootCursor += w[i];
      depth[i] = 0;
    } else {
      x[i] = cursor[p];
      cursor[p] += w[i];
      depth[i] = depth[p] + 1;
    }
    cursor[i] = x[i];
    if (depth[i] > maxDepth) maxDepth = depth[i];
    if (Math.abs(delta[i]) > maxAbs) maxAbs = Math.abs(delta[i]);
  }
  return { count: n, x, w, depth, delta, maxDepth, maxAbs };
}

/**
 * The colour of a change: grey when none, red when slower, blue when
 * faster; full strength at `scale` (a change of that share of the total).
 */
export function changeColor(delta: number, scale: number): string {
  const s = scale > 0 ? Math.min(1, Math.abs(delta) / scale) : 0;
  if (s < 0.01) return 'hsl(0,0%,82%)';
  const light = 85 - 35 * Math.sqrt(s);
  return delta > 0 ? `hsl(2,80%,${light.toFixed(0)}%)` : `hsl(215,80%,${light.toFixed(0)}%)`;
}

/** A signed percentage-point text for a change of share: "+12.3 pp". */
export function formatDelta(d: number): string {
  const pp = d * 100;
  const s = Math.abs(pp) >= 10 ? pp.toFixed(0) : Math.abs(pp) >= 0.1 ? pp.toFixed(1) : pp.toFixed(2);
  return (pp > 0 ? '+' : pp < 0 ? '' : '±') + s + ' pp';
}
