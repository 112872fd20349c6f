/*
 * flame.ts — lays out the server's columnar call tree (docs/api.md, tree)
 * for the flame graph and icicle: each node gets a start x and a width as
 * fractions of the root's total, and a row (depth below the root).
 *
 * Invariants, given the answer's own (parents before children, siblings
 * contiguous in left-heavy order, self + Σ children's total = total):
 *   - children lie inside their parent, in answer order, left-aligned;
 *   - rows[d] lists the nodes of depth d sorted by x (so a renderer finds
 *     the visible ones of a row by binary search);
 *   - enter/exit number the nodes in depth-first order, so node b is in
 *     the subtree of a iff enter[a] <= enter[b] < exit[a].
 * Everything is one pass (plus a sort per row); nothing recurses, so
 * stacks of any depth lay out. Arrays are typed and owned by the layout.
 */
import { FrameDict, FrameInfo, OTHER_FRAME, ROOT_FRAME, TreeAnswer } from './types';

export interface FlameLayout {
  count: number;
  frame: Int32Array;
  parent: Int32Array;
  depth: Int32Array; // row below the layout's root (root = 0)
  x: Float64Array; // start, fraction of the root's total
  w: Float64Array; // width, fraction of the root's total
  self: Float64Array;
  total: Float64Array;
  folded: Int32Array;
  firstChild: Int32Array; // -1 when none
  childCount: Int32Array;
  enter: Int32Array;
  exit: Int32Array;
  rows: Int32Array[]; // rows[d]: node indexes at depth d, by x
  maxDepth: number;
  rootTotal: number; // weight of nodes[0]
  viewTotal: number; // weight of the whole view (the answer's `total`)
  baseDepth: number; // nodes[0]'s depth in the full tree (path length)
  frames: FrameDict;
  approximate: boolean;
}

/** Builds the layout; throws an Error naming the problem on a malformed answer. */
export function layoutTree(answer: TreeAnswer): FlameLayout {
  const cols = answer.nodes;
  const n = cols.frame.length;
  for (const k of ['parent', 'depth', 'self', 'total', 'folded'] as const) {
    if (cols[k].length !== n) throw new Error(`tree answer: column ${k} has ${cols[k].length} rows, frame has ${n}`);
  }
  const frame = Int32Array.from(cols.frame);
  const parent = Int32Array.from(cols.parent);
  const self = Float64Array.from(cols.self);
  const total = Float64Array.from(cols.total);
  const folded = Int32Array.from(cols.folded);
  const depth = new Int32Array(n);
  const x = new Float64Array(n);
  const w = new Float64Array(n);
  const firstChild = new Int32Array(n).fill(-1);
  const childCount = new Int32Array(n);
  const cursor = new Float64Array(n);
  const baseDepth = n > 0 ? cols.depth[0] : 0;
  const rootTotal = n > 0 ? total[0] : 0;
  const scale = rootTotal > 0 ? 1 / rootTotal : 0;
  let maxDepth = 0;
  if (n > 0) {
    w[0] = rootTotal > 0 ? 1 : 0;
    parent[0] = -1;
  }
  for (let i = 1; i < n; i++) {
    const p = parent[i];
    if (!(p >= 0 && p < i)) throw new Error(`tree answer: node ${i} has parent ${p}, which does not come before it`);
    depth[i] = depth[p] + 1;
    if (depth[i] > maxDepth) maxDepth = depth[i];
    if (firstChild[p] < 0) firstChild[p] = i;
    else if (firstChild[p] + childCount[p] !== i) throw new Error(`tree answer: the children of node ${p} are not contiguous`);
    childCount[p]++;
    x[i] = x[p] + cursor[p];
    w[i] = total[i] * scale;
    cursor[p] += w[i];
  }
  const rows = buildRows(depth, x, maxDepth, n);
  const { enter, exit } = numberDepthFirst(n, firstChild, childCount);
  return {
    count: n,
    frame,
    parent,
    depth,
    x,
    w,
    self,
    total,
    folded,
    firstChild,
    childCount,
    enter,
    exit,
    rows,
    maxDepth,
    rootTotal,
    viewTotal: answer.total,
    baseDepth,
    frames: answer.frames,
    approximate: answer.approximate,
  };
}

function buildRows(depth: Int32Array, x: Float64Array, maxDepth: number, n: number): Int32Array[] {
  const counts = new Int32Array(maxDepth + 1);
  for (let i = 0; i < n; i++) counts[depth[i]]++;
  const rows: Int32Array[] = [];
  for (let d = 0; d <= maxDepth && n > 0; d++) rows.push(new Int32Array(counts[d]));
  const fill = new Int32Array(maxDepth + 1);
  for (let i = 0; i < n; i++) rows[depth[i]][fill[depth[i]]++] = i;
  for (const row of rows) row.sort((a, b) => x[a] - x[b] || a - b);
  return rows;
}

/** Depth-first enter/exit numbers with an explicit stack (no recursion). */
function numberDepthFirst(n: number, firstChild: Int32Array, childCount: Int32Array) {
  const enter = new Int32Array(n);
  const exit = new Int32Array(n);
  if (n === 0) return { enter, exit };
  const stack = new Int32Array(n);
  const next = new Int32Array(n); // next child offset to visit
  let top = 0;
  let clock = 0;
  stack[0] = 0;
  enter[0] = clock++;
  while (top >= 0) {
    const v = stack[top];
    if (next[v] < childCount[v]) {
      const c = firstChild[v] + next[v]++;
      enter[c] = clock++;
      stack[++top] = c;
    } else {
      exit[v] = clock;
      top--;
    }
  }
  return { enter, exit };
}

/** True iff b is a or lies in a's subtree. */
export function isInSubtree(l: FlameLayout, a: number, b: number): boolean {
  return l.enter[a] <= l.enter[b] && l.enter[b] < l.exit[a];
}

/** The frame ids from the layout's root (excluded) down to node i (included). */
export function framePath(l: FlameLayout, i: number): number[] {
  const out: number[] = [];
  for (let v = i; v > 0; v = l.parent[v]) out.push(l.frame[v]);
  return out.reverse();
}

/** The node whose path of frames below the root is `path`, or -1. */
export function findPath(l: FlameLayout, path: number[]): number {
  let v = 0;
  for (const f of path) {
    let found = -1;
    for (let c = l.firstChild[v], e = c + l.childCount[v]; c >= 0 && c < e; c++) {
      if (l.frame[c] === f) {
        found = c;
        break;
      }
    }
    if (found < 0) return -1;
    v = found;
  }
  return v;
}

/** The node at (fraction fx, row) or -1: binary search in the row. */
export function hitTest(l: FlameLayout, fx: number, row: number): number {
  if (row < 0 || row >= l.rows.length) return -1;
  const r = l.rows[row];
  let lo = 0;
  let hi = r.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (l.x[r[mid]] <= fx) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (best < 0) return -1;
  const i = r[best];
  return fx < l.x[i] + l.w[i] ? i : -1;
}

/** Index in row r of the first node whose right edge passes fx. */
export function firstVisible(l: FlameLayout, row: Int32Array, fx: number): number {
  let lo = 0;
  let hi = row.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const i = row[mid];
    if (l.x[i] + l.w[i] <= fx) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The frame's info, with names for the special nodes. */
export function frameInfo(frames: FrameDict, frame: number, folded = 0): FrameInfo {
  if (frame === ROOT_FRAME) return ['all', '', 0, ''];
  if (frame === OTHER_FRAME) return [`other (${folded} calls)`, '', 0, ''];
  return frames[String(frame)] ?? [`frame ${frame}`, '', 0, ''];
}

/** The frame's label in a box: its qualified name. */
export function nodeLabel(l: FlameLayout, i: number): string {
  return frameInfo(l.frames, l.frame[i], l.folded[i])[0];
}
