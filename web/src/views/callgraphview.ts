/*
 * callgraphview.ts — the call graph: functions as boxes (size from self
 * time, labelled with self and total %), caller → callee edges (width from
 * the time through the edge), recursion collapsed to a ↻ mark. Sliders set
 * the server's node and edge thresholds; "neighbourhood" keeps the
 * selection's callers and callees N levels out. dagre lays it out in a
 * worker (dist/layout.js), so the page stays responsive; the drawing is
 * SVG under one transformed group, panned by dragging and zoomed by the
 * wheel. Clicking a box selects its function in every view.
 *
 * Invariants: a layout answer is used only if its request number is the
 * latest (older layouts are dropped); the view never lays out more than
 * MAX_NODES boxes.
 */
import { api, errorText, isAbort } from '../api';
import { h, messageBox } from '../dom';
import { buildGraph, edgeWidth, GraphInput, GraphLayout } from '../lib/callgraph';
import { frameColor } from '../lib/colors';
import { makeMatcher } from '../lib/filter';
import { frameInfo } from '../lib/flame';
import { formatWeight } from '../lib/format';
import type { CallGraphAnswer } from '../lib/types';
import { apiParams, ViewState } from '../lib/viewstate';
import { ProfileContext, ProfileView } from './context';

const SVG = 'http://www.w3.org/2000/svg';
function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** Slider positions ↔ fractions on a log scale from 1e-5 to 0.2. */
const LO = Math.log10(1e-5);
const HI = Math.log10(0.2);
export function sliderToFraction(v: number): number {
  return Number((10 ** (LO + ((HI - LO) * v) / 100)).toPrecision(2));
}
export function fractionToSlider(f: number): number {
  return Math.round((100 * (Math.log10(Math.max(1e-5, f)) - LO)) / (HI - LO));
}

/** Node/edge colours of a diff against another profile (set by the diff view). */
export type NodeTint = (frame: number) => string | null;

export class CallGraphView implements ProfileView {
  readonly el: HTMLElement;
  private controls = h('div.cg-controls');
  private stage = h('div.cg-stage', { 'data-testid': 'callgraph-stage' });
  private note = h('div.cg-note');
  private svgEl = svg('svg', { class: 'cg-svg' });
  private group = svg('g');
  private key: string | null = null;
  private abort: AbortController | null = null;
  private answer: CallGraphAnswer | null = null;
  private graph: GraphInput | null = null;
  private layout: GraphLayout | null = null;
  private worker: Worker | null = null;
  private seq = 0;
  private state: ViewState;
  private tx = 0;
  private ty = 0;
  private k = 1;
  private graphKey = '';
  /** Optional colouring by change (diff view); null: colour modes apply. */
  tint: NodeTint | null = null;

  constructor(
    private ctx: ProfileContext,
    private opts: { testid?: string; profileId?: string } = {},
  ) {
    this.el = h('div.view.callgraph-view', { 'data-testid': opts.testid ?? 'callgraph' });
    this.state = ctx.store.state;
    this.svgEl.append(this.group);
    this.stage.append(this.svgEl);
    this.el.append(this.controls, this.note, this.stage);
    this.bindPanZoom();
  }

  update(state: ViewState, prev: ViewState | null): void {
    this.state = state;
    const p = this.params(state);
    const key = p.toString();
    if (!prev || prev.cgNode !== state.cgNode || prev.cgEdge !== state.cgEdge || prev.hood !== state.hood) this.renderControls();
    if (key !== this.key) {
      this.key = key;
      void this.load(p);
    } else if (this.answer) {
      const gk = this.makeGraphKey(state);
      if (gk !== this.graphKey) this.relayout();
      else this.draw();
    }
  }

  private params(s: ViewState): URLSearchParams {
    const p = apiParams(s);
    // The view's own focus is `view_focus` here; `focus` is the neighbourhood centre.
    const vf = p.get('focus');
    p.delete('focus');
    if (vf !== null) p.set('view_focus', vf);
    p.set('node_fraction', String(s.cgNode));
    p.set('edge_fraction', String(s.cgEdge));
    if (s.hood > 0 && s.sel !== null) {
      p.set('focus', String(s.sel));
      p.set('levels', String(s.hood));
    }
    return p;
  }

  private makeGraphKey(s: ViewState): string {
    return `${s.hood}|${s.hood > 0 ? s.sel : ''}`;
  }

  private renderControls(): void {
    const s = this.state;
    const store = this.ctx.store;
    const slider = (label: string, value: number, on: (f: number) => void, testid: string) => {
      const out = h('span.cg-val', null, `${(value * 100).toPrecision(2)}%`);
      return h(
        'label.cg-slider',
        { title: `Hide ${label} below this share of the total` },
        `${label} ≥ `,
        h('input', {
          type: 'range',
          min: '0',
          max: '100',
          value: String(fractionToSlider(value)),
          'data-testid': testid,
          oninput: (ev: Event) => (out.textContent = `${(sliderToFraction(Number((ev.target as HTMLInputElement).value)) * 100).toPrecision(2)}%`),
          onchange: (ev: Event) => on(sliderToFraction(Number((ev.target as HTMLInputElement).value))),
        }),
        out,
      );
    };
    this.controls.replaceChildren(
      slider('nodes', s.cgNode, (f) => store.set({ cgNode: f }, 'replace'), 'cg-node'),
      slider('edges', s.cgEdge, (f) => store.set({ cgEdge: f }, 'replace'), 'cg-edge'),
      h(
        'label',
        { title: 'Only the selected function and its callers and callees this many calls away' },
        'neighbourhood ',
        h(
          'select',
          { 'data-testid': 'cg-hood', onchange: (ev: Event) => store.set({ hood: Number((ev.target as HTMLSelectElement).value) }) },
          ...[0, 1, 2, 3, 4, 6].map((n) => h('option', { value: String(n), selected: n === s.hood }, n === 0 ? 'whole graph' : `${n} level${n > 1 ? 's' : ''} around the selection`)),
        ),
      ),
      h('button', { onclick: () => this.fit(), title: 'Fit the graph in the view' }, 'Fit'),
    );
  }

  private async load(p: URLSearchParams): Promise<void> {
    this.abort?.abort();
    const ac = new AbortController();
    this.abort = ac;
    this.el.dataset.state = 'loading';
    const t0 = performance.now();
    try {
      const a = await api.callgraph(this.opts.profileId ?? this.ctx.id, p, ac.signal);
      if (ac.signal.aborted) return;
      this.ctx.learnFrames(a.frames);
      this.answer = a;
      this.el.dataset.fetchMs = (performance.now() - t0).toFixed(1);
      this.relayout();
    } catch (e) {
      if (isAbort(e)) return;
      this.el.dataset.state = 'error';
      this.group.replaceChildren();
      this.note.replaceChildren(messageBox('error', 'Could not load the call graph', errorText(e)));
    }
  }

  private relayout(): void {
    const a = this.answer!;
    const s = this.state;
    this.graphKey = this.makeGraphKey(s);
    this.graph = buildGraph(a, { ...this.ctx.frames, ...a.frames }, { center: s.hood > 0 ? s.sel : null, levels: s.hood });
    const g = this.graph;
    const dropped = a.dropped_nodes + g.hidden;
    this.note.replaceChildren(
      h(
        'span',
        { 'data-testid': 'cg-summary' },
        `${g.nodes.length} functions, ${g.edges.length} calls shown`,
        dropped ? `; ${dropped} lighter functions and ${a.dropped_edges} calls hidden (lower the sliders to see more)` : '',
        a.from_pstats ? ' · from pstats caller edges (exact)' : '',
      ),
    );
    if (g.nodes.length === 0) {
      this.group.replaceChildren();
      this.note.append(messageBox('info', 'Nothing above the thresholds', 'No function has that share of the total: lower the node slider, or clear the filters and transforms.'));
      this.el.dataset.nodes = '0';
      this.el.dataset.state = 'ready';
      this.el.dataset.readyAt = performance.now().toFixed(1);
      return;
    }
    const seq = ++this.seq;
    this.el.dataset.state = 'layout';
    const t = performance.now();
    this.layoutAsync(g).then(
      (l) => {
        if (seq !== this.seq) return;
        this.layout = l;
        this.el.dataset.layoutMs = l.ms.toFixed(1);
        this.el.dataset.nodes = String(g.nodes.length);
        this.fit(false);
        this.draw();
        this.el.dataset.state = 'ready';
        this.el.dataset.readyAt = performance.now().toFixed(1);
        this.el.dataset.roundTripMs = (performance.now() - t).toFixed(1);
      },
      (e) => {
        if (seq !== this.seq) return;
        this.el.dataset.state = 'error';
        this.note.append(messageBox('error', 'Could not lay out the call graph', errorText(e)));
      },
    );
  }

  private pending = new Map<number, { res: (l: GraphLayout) => void; rej: (e: Error) => void }>();
  private layoutAsync(g: GraphInput): Promise<GraphLayout> {
    if (!this.worker) {
      this.worker = new Worker('/layout.js', { type: 'module' });
      this.worker.onmessage = (ev: MessageEvent) => {
        const { seq, layout, error } = ev.data as { seq: number; layout?: GraphLayout; error?: string };
        const p = this.pending.get(seq);
        if (!p) return;
        this.pending.delete(seq);
        if (layout) p.res(layout);
        else p.rej(new Error(error ?? 'the layout worker failed'));
      };
      this.worker.onerror = (ev) => {
        for (const p of this.pending.values()) p.rej(new Error(`the layout worker failed: ${ev.message}`));
        this.pending.clear();
      };
    }
    const seq = this.seq;
    for (const [k, p] of this.pending) {
      // An older layout nobody waits for any more.
      p.rej(new Error('superseded'));
      this.pending.delete(k);
    }
    return new Promise((res, rej) => {
      this.pending.set(seq, { res, rej });
      this.worker!.postMessage({ seq, graph: g });
    });
  }

  /** Scale and centre the whole graph in the stage. */
  fit(redraw = true): void {
    const l = this.layout;
    if (!l) return;
    const w = Math.max(100, this.stage.clientWidth);
    const hgt = Math.max(100, this.stage.clientHeight);
    this.k = Math.min(1.5, Math.max(0.05, Math.min(w / (l.width + 20), hgt / (l.height + 20))));
    this.tx = (w - l.width * this.k) / 2;
    this.ty = Math.max(0, (hgt - l.height * this.k) / 2);
    this.applyTransform();
    if (redraw) this.draw();
  }

  private applyTransform(): void {
    this.group.setAttribute('transform', `translate(${this.tx.toFixed(1)},${this.ty.toFixed(1)}) scale(${this.k.toFixed(4)})`);
    this.el.dataset.zoom = this.k.toFixed(3);
  }

  private bindPanZoom(): void {
    let drag: { x: number; y: number; tx: number; ty: number; moved: boolean } | null = null;
    this.svgEl.addEventListener('wheel', (ev) => {
      ev.preventDefault();
      const r = this.svgEl.getBoundingClientRect();
      const mx = ev.clientX - r.left;
      const my = ev.clientY - r.top;
      const f = Math.exp(-ev.deltaY * (ev.deltaMode === 1 ? 0.05 : 0.0015));
      const k = Math.min(4, Math.max(0.02, this.k * f));
      this.tx = mx - ((mx - this.tx) * k) / this.k;
      this.ty = my - ((my - this.ty) * k) / this.k;
      this.k = k;
      this.applyTransform();
    });
    this.svgEl.addEventListener('pointerdown', (ev) => {
      drag = { x: ev.clientX, y: ev.clientY, tx: this.tx, ty: this.ty, moved: false };
    });
    window.addEventListener('pointermove', (ev) => {
      if (!drag) return;
      const dx = ev.clientX - drag.x;
      const dy = ev.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      if (!drag.moved) return;
      this.tx = drag.tx + dx;
      this.ty = drag.ty + dy;
      this.applyTransform();
    });
    window.addEventListener('pointerup', () => {
      if (drag?.moved) this.suppressClick = true;
      drag = null;
    });
  }
  private suppressClick = false;

  /** Draws the laid-out graph (colours, selection and filter applied). */
  draw(): void {
    const g = this.graph;
    const l = this.layout;
    if (!g || !l || l.x.length !== g.nodes.length) return;
    const s = this.state;
    const m = makeMatcher(s.q, s.regex);
    const frames = { ...this.ctx.frames, ...(this.answer?.frames ?? {}) };
    const total = g.total;
    const maxW = Math.max(1, ...g.edges.map((e) => e.weight));
    const items: SVGElement[] = [];
    const defs = svg('defs');
    const marker = svg('marker', { id: 'cg-arrow', viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '9', markerHeight: '9', markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' });
    marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#777' }));
    defs.append(marker);
    items.push(defs);
    const sel = s.sel === null ? null : String(s.sel);
    g.edges.forEach((e, i) => {
      const pts = l.points[i];
      if (!pts || pts.length < 2) return;
      const d = 'M' + pts.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' L');
      const near = sel !== null && (e.v === sel || e.w === sel);
      const path = svg('path', {
        d,
        class: 'cg-edge' + (near ? ' near' : ''),
        'stroke-width': edgeWidth(total > 0 ? e.weight / total : e.weight / maxW).toFixed(2),
        'marker-end': 'url(#cg-arrow)',
        'data-caller': e.v,
        'data-callee': e.w,
      });
      const title = svg('title');
      title.textContent = `${frameInfo(frames, Number(e.v))[0]} → ${frameInfo(frames, Number(e.w))[0]}: ${formatWeight(e.weight, this.ctx.profile.weight_unit, this.ctx.profile.rate_hz)}${e.calls ? `, ${e.calls} calls` : ''}`;
      path.append(title);
      items.push(path);
    });
    g.nodes.forEach((n, i) => {
      const info = frameInfo(frames, n.frame);
      const dim = m.active && !m.test(info);
      const share = total > 0 ? n.self / total : 0;
      const fill = this.tint?.(n.frame) ?? frameColor(s.color, info, share);
      const x = l.x[i] - n.width / 2;
      const y = l.y[i] - n.height / 2;
      const grp = svg('g', { class: 'cg-node' + (dim ? ' dim' : '') + (n.id === sel ? ' selected' : ''), 'data-frame': n.id, transform: `translate(${x.toFixed(1)},${y.toFixed(1)})` });
      grp.append(svg('rect', { width: n.width, height: n.height, rx: 4, fill: dim ? '#e4e4e4' : fill }));
      const fs = Math.max(11, Math.min(24, n.height / 2.4 - 2));
      const t1 = svg('text', { x: n.width / 2, y: n.height / 2 - fs * 0.15, 'font-size': fs.toFixed(1), 'text-anchor': 'middle' });
      t1.textContent = (n.recursive ? '↻ ' : '') + (n.label.length > 48 ? n.label.slice(0, 47) + '…' : n.label);
      const t2 = svg('text', { x: n.width / 2, y: n.height / 2 + fs * 0.95, 'font-size': Math.max(10, fs * 0.75).toFixed(1), 'text-anchor': 'middle', class: 'sub' });
      t2.textContent = n.sub;
      const title = svg('title');
      title.textContent = `${info[0]}\n${info[1]}:${info[2]}\n${n.sub}${n.calls ? ` · ${n.calls} calls` : ''}${n.recursive ? '\nrecursive (self-calls merged)' : ''}`;
      grp.append(t1, t2, title);
      grp.addEventListener('click', () => {
        if (this.suppressClick) {
          this.suppressClick = false;
          return;
        }
        this.ctx.store.set({ sel: n.frame });
      });
      grp.addEventListener('dblclick', () => this.ctx.store.set({ sel: n.frame, hood: this.state.hood || 2 }));
      items.push(grp);
    });
    this.group.replaceChildren(...items);
    this.applyTransform();
  }

  shown(): void {
    if (this.layout) this.fit();
  }

  destroy(): void {
    this.abort?.abort();
    this.worker?.terminate();
  }
}
