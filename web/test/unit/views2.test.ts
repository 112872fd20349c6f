// views2.test.ts — the pure parts of the call graph, callee pie, treemap
// and diff views (issue 7), on small answers shaped as docs/api.md says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGraph, neighbourhood } from '../../src/lib/callgraph';
import { changeColor, diffFlame, formatDelta } from '../../src/lib/diff';
import { SELF_ARC, sunburstArcs } from '../../src/lib/sunburst';
import { layoutTreemap, rectAt, treemapTree, zoomTo } from '../../src/lib/treemap';
import type { CallGraphAnswer, DiffAnswer, TreeAnswer, TreemapAnswer } from '../../src/lib/types';

// main(0) → a(1) → b(2) → c(3); a recurses into itself; d(4) hangs off main.
const graph: CallGraphAnswer = {
  total: 100,
  nodes: { frame: [10, 11, 12, 13, 14], self: [0, 10, 20, 50, 20], total: [100, 80, 70, 50, 20], calls: [0, 0, 0, 0, 0] },
  edges: { caller: [0, 1, 1, 2, 0], callee: [1, 1, 2, 3, 4], weight: [80, 5, 70, 50, 20], calls: [0, 0, 0, 0, 0] },
  dropped_nodes: 0,
  dropped_edges: 0,
  frames: {},
};

test('recursion is collapsed into a mark on the node, never an edge', () => {
  const g = buildGraph(graph, {}, { center: null, levels: 0 });
  assert.equal(g.nodes.length, 5);
  assert.ok(g.edges.every((e) => e.v !== e.w));
  assert.deepEqual(g.nodes.filter((n) => n.recursive).map((n) => n.frame), [11]);
});

test('the neighbourhood keeps callers and callees N levels out', () => {
  assert.deepEqual([...neighbourhood(graph, 12, 1)].sort(), [11, 12, 13]);
  assert.deepEqual([...neighbourhood(graph, 12, 2)].sort(), [10, 11, 12, 13]);
  const g = buildGraph(graph, {}, { center: 13, levels: 1 });
  assert.deepEqual(g.nodes.map((n) => n.frame).sort(), [12, 13]);
  assert.equal(g.hidden, 3);
});

test('boxes grow with self time and the cap keeps the heaviest', () => {
  const g = buildGraph(graph, {}, { center: null, levels: 0, maxNodes: 2 });
  assert.deepEqual(g.nodes.map((n) => n.frame), [10, 11]);
  const all = buildGraph(graph, {}, { center: null, levels: 0 });
  const hOf = (f: number) => all.nodes.find((n) => n.frame === f)!.height;
  assert.ok(hOf(13) > hOf(10));
});

test('the pie: ring 1 is the callees and the self slice, covering the circle', () => {
  // root(-1) → F(5, self 30) → x(6, 50) → y(7, 20); F → z(8, 20)
  const t: TreeAnswer = {
    total: 100,
    samples: 100,
    approximate: false,
    nodes: { frame: [-1, 5, 6, 8, 7], parent: [-1, 0, 1, 1, 2], depth: [0, 1, 2, 2, 3], self: [0, 30, 30, 20, 20], total: [100, 100, 50, 20, 20], folded: [0, 0, 0, 0, 0] },
    frames: {},
  };
  const arcs = sunburstArcs(t, 1);
  const ring1 = arcs.filter((a) => a.ring === 1);
  assert.deepEqual(ring1.map((a) => a.frame), [SELF_ARC, 6, 8]);
  const span = ring1.reduce((s, a) => s + (a.a1 - a.a0), 0);
  assert.ok(Math.abs(span - 2 * Math.PI) < 1e-9);
  const y = arcs.find((a) => a.frame === 7)!;
  const x = arcs.find((a) => a.frame === 6)!;
  assert.equal(y.ring, 2);
  assert.ok(y.a0 >= x.a0 && y.a1 <= x.a1, 'a child lies inside its parent');
});

test('the treemap nests package → file → function and zooms', () => {
  const a: TreemapAnswer = {
    total: 100,
    packages: [{ name: 'app', kind: 'own' }, { name: 'json', kind: 'stdlib' }],
    cells: {
      level: [0, 1, 2, 2, 0, 1, 2],
      parent: [-1, 0, 1, 1, -1, 4, 5],
      package: [0, 0, 0, 0, 1, 1, 1],
      file: [-1, 0, 0, 0, -1, 1, 1],
      frame: [-1, -1, 1, 2, -1, -1, 3],
      self: [70, 70, 50, 20, 30, 30, 30],
    },
    files: ['app.py', 'json/decoder.py'],
    frames: {},
  };
  const root = treemapTree(a);
  const rects = layoutTreemap(root, 400, 300);
  const leaves = rects.filter((r) => r.level === 2);
  const area = (r: (typeof rects)[0]) => (r.x1 - r.x0) * (r.y1 - r.y0);
  assert.equal(leaves.length, 3);
  assert.ok(area(leaves.find((r) => r.frame === 1)!) > area(leaves.find((r) => r.frame === 2)!));
  const f1 = leaves.find((r) => r.frame === 1)!;
  assert.equal(rects[rectAt(rects, (f1.x0 + f1.x1) / 2, (f1.y0 + f1.y1) / 2)].frame, 1);
  const z = layoutTreemap(zoomTo(root, 'json', null), 400, 300);
  assert.deepEqual(z.filter((r) => r.level === 2).map((r) => r.frame), [3]);
  assert.equal(zoomTo(root, 'gone', null), root, 'an unknown zoom shows everything');
});

test('the diff flame: widths are mean shares, changes are normalized by each total', () => {
  const d: DiffAnswer = {
    total: [100, 200],
    before: 'a',
    after: 'b',
    functions: { key: [], self_before: [], self_after: [], total_before: [], total_after: [], delta_frac_self: [], delta_frac_total: [] },
    tree: { parent: [-1, 0, 0], name: ['main', 'x', 'y'], file: ['m.py', 'm.py', 'm.py'], before: [100, 50, 50], after: [200, 150, 50] },
  };
  const f = diffFlame(d);
  assert.equal(f.delta[0], 0, 'twice the samples, same share: no change');
  assert.ok(Math.abs(f.delta[1] - 0.25) < 1e-12);
  assert.ok(Math.abs(f.delta[2] + 0.25) < 1e-12);
  assert.ok(f.x[2] >= f.x[1] + f.w[1] - 1e-12 && f.x[2] + f.w[2] <= 1 + 1e-12);
  assert.match(changeColor(0.25, 0.25), /^hsl\(2,/);
  assert.match(changeColor(-0.25, 0.25), /^hsl\(215,/);
  assert.equal(changeColor(0, 0.25), 'hsl(0,0%,82%)');
  assert.equal(formatDelta(0.123), '+12 pp');
  assert.equal(formatDelta(0), '±0.00 pp');
});
