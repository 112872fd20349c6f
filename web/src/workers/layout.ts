/*
 * layout.ts — the call graph's layout worker: dagre (layered, top to
 * bottom, callers above callees) on a GraphInput, off the page's thread so
 * the page never freezes however large the graph. One message in (the
 * graph, with a request number), one out (positions, or an error text).
 */
import dagre from '@dagrejs/dagre';
import type { GraphInput, GraphLayout } from '../lib/callgraph';

export function layoutGraph(g: GraphInput): GraphLayout {
  const t = performance.now();
  const d = new dagre.graphlib.Graph();
  d.setGraph({ rankdir: 'TB', nodesep: 24, ranksep: 48, edgesep: 8, marginx: 16, marginy: 16 });
  d.setDefaultEdgeLabel(() => ({}));
  for (const n of g.nodes) d.setNode(n.id, { width: n.width, height: n.height });
  for (const e of g.edges) d.setEdge(e.v, e.w, { weight: Math.max(1, Math.round(Math.log2(1 + e.weight))) });
  dagre.layout(d);
  const x: number[] = [];
  const y: number[] = [];
  for (const n of g.nodes) {
    const p = d.node(n.id);
    x.push(p.x);
    y.push(p.y);
  }
  const points = g.edges.map((e) => (d.edge(e.v, e.w)?.points ?? []).map((p: { x: number; y: number }) => ({ x: p.x, y: p.y })));
  const gl = d.graph();
  return { width: gl.width ?? 0, height: gl.height ?? 0, x, y, points, ms: performance.now() - t };
}

// In a worker: answer each request. (Imported by node tests, `self` is absent.)
declare const self: { onmessage: ((ev: MessageEvent) => void) | null; postMessage(m: unknown): void } | undefined;
if (typeof self !== 'undefined' && typeof (globalThis as { document?: unknown }).document === 'undefined') {
  self.onmessage = (ev: MessageEvent) => {
    const { seq, graph } = ev.data as { seq: number; graph: GraphInput };
    try {
      self!.postMessage({ seq, layout: layoutGraph(graph) });
    } catch (e) {
      self!.postMessage({ seq, error: (e as Error).message ?? String(e) });
    }
  };
}
