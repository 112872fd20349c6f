/*
 * flameview.ts — the flame graph / icicle view: fetches the pruned tree
 * for the current view state (the server aggregates), lays it out, and
 * draws it with render/flame.ts. Interactions: hover tooltip (details
 * after a pause), click selects the function (shared selection), double-
 * click zooms into the call (a `path=` query; on an "other" node, into
 * its parent, which expands what was folded), wheel zooms x around the
 * pointer, drag pans, shift+wheel scrolls rows.
 *
 * When zoomed into a call, its ancestors are drawn as full-width rows on
 * the root side, and clicking one zooms out to it.
 */
import { api, errorText, isAbort } from '../api';
import { h, messageBox } from '../dom';
import { frameColor, OTHER_COLOR, ROOT_COLOR } from '../lib/colors';
import { dimMask, makeMatcher } from '../lib/filter';
import { FlameLayout, framePath, frameInfo, hitTest, layoutTree } from '../lib/flame';
import { formatPercent, formatWeight } from '../lib/format';
import { OTHER_FRAME, ROOT_FRAME } from '../lib/types';
import { apiParams, dataKey, ViewState } from '../lib/viewstate';
import { clampSpan, pan, Span, wheelFactor, zoomAt } from '../lib/zoom';
import { drawFlame, LABEL_FONT, ROW_H, rowAt, rowY } from '../render/flame';
import { Surface, TextFitter } from '../render/surface';
import { ProfileContext, ProfileView } from './context';

const DEFAULT_BUDGET = 5000;

export class FlameView implements ProfileView {
  readonly el = h('div.view.flame-view');
  private banner = h('div.banner-slot');
  private host = h('div.canvas-host', { tabindex: '0', 'data-testid': 'flame-canvas-host' });
  private surface: Surface;
  private fitter: TextFitter;
  private layout: FlameLayout | null = null;
  private colors: string[] = [];
  private dim: Uint8Array = new Uint8Array(0);
  private viewport: Span = { a: 0, b: 1 };
  private hover = -1;
  private selectedNode = -1;
  private scrollRow = 0;
  private budget = DEFAULT_BUDGET;
  private key = '';
  private abort: AbortController | null = null;
  private state: ViewState;
  private drag: { x: number; y: number; v: Span; row: number; moved: boolean } | null = null;
  /** Milliseconds from the fetch's start to the first paint of its answer. */
  lastLoadMs = 0;

  constructor(private ctx: ProfileContext) {
    this.state = ctx.store.state;
    this.el.append(this.banner, this.host);
    this.surface = new Surface(this.host, (s) => this.paint(s));
    this.fitter = new TextFitter(this.surface.ctx, LABEL_FONT);
    const c = this.surface.canvas;
    c.addEventListener('mousemove', this.onMove);
    c.addEventListener('mouseleave', () => {
      this.hover = -1;
      this.ctx.tooltip.hide();
      this.surface.request();
    });
    c.addEventListener('mousedown', this.onDown);
    window.addEventListener('mouseup', this.onUp);
    c.addEventListener('click', this.onClick);
    c.addEventListener('dblclick', this.onDblClick);
    c.addEventListener('wheel', this.onWheel, { passive: false });
  }

  update(state: ViewState, prev: ViewState | null): void {
    this.state = state;
    const key = [dataKey(state), state.inverted, state.zoom.join(',')].join('|');
    if (key !== this.key || !this.layout) {
      if (this.key !== '' && key !== this.key) this.budget = DEFAULT_BUDGET;
      this.key = key;
      void this.load(state);
      return;
    }
    if (!prev || prev.color !== state.color || prev.q !== state.q || prev.regex !== state.regex || prev.grey !== state.grey || prev.sel !== state.sel) {
      this.recolor();
    }
    this.surface.request();
  }

  shown(): void {
    this.surface.request();
  }

  private async load(state: ViewState): Promise<void> {
    this.abort?.abort();
    const ac = new AbortController();
    this.abort = ac;
    const p = apiParams(state);
    if (state.inverted) p.set('inverted', '1');
    if (state.zoom.length) p.set('path', state.zoom.join(','));
    p.set('max_nodes', String(this.budget));
    p.set('width', String(Math.max(200, Math.round(this.host.clientWidth || 1600))));
    const t0 = performance.now();
    this.host.dataset.state = 'loading';
    try {
      const answer = await api.tree(this.ctx.id, p, ac.signal);
      if (ac.signal.aborted) return;
      this.ctx.learnFrames(answer.frames);
      this.layout = layoutTree(answer);
      this.viewport = { a: 0, b: 1 };
      this.scrollRow = 0;
      this.hover = -1;
      this.selectedNode = -1;
      this.showBanner();
      this.recolor();
      this.surface.paint();
      this.lastLoadMs = performance.now() - t0;
      this.host.dataset.state = 'ready';
      this.host.dataset.nodes = String(this.layout.count);
      this.host.dataset.loadMs = this.lastLoadMs.toFixed(1);
      this.host.dataset.readyAt = performance.now().toFixed(1);
    } catch (e) {
      if (isAbort(e)) return;
      this.layout = null;
      this.host.dataset.state = 'error';
      this.banner.replaceChildren(messageBox('error', 'Could not load the flame graph', errorText(e)));
      this.surface.request();
    }
  }

  private showBanner(): void {
    const l = this.layout!;
    const parts: HTMLElement[] = [];
    if (l.approximate) {
      parts.push(
        messageBox('warning', 'Approximate', 'This profile has no call stacks (pstats): the tree is rebuilt from caller edges, so its shares are estimates. The function table and butterfly are exact.'),
      );
    }
    if (l.count === 0) {
      const zoomed = this.state.zoom.length > 0;
      parts.push(
        h(
          'div',
          null,
          messageBox('info', zoomed ? 'The zoomed call is not in this view' : 'Nothing to draw', zoomed ? 'The filters or range leave no samples through this call.' : 'No samples match this view (time range, threads, filters).'),
          zoomed ? h('button', { onclick: () => this.ctx.store.set({ zoom: [] }) }, 'Zoom out to the whole tree') : null,
        ),
      );
    } else if (l.rootTotal === 0) {
      parts.push(messageBox('info', 'Nothing to draw', 'The view holds no weight.'));
    }
    const m = makeMatcher(this.state.q, this.state.regex);
    if (m.error) parts.push(messageBox('warning', 'Filter', m.error));
    this.banner.replaceChildren(...parts);
  }

  private recolor(): void {
    const l = this.layout;
    if (!l) return;
    const s = this.state;
    const frameSelf = new Map<number, number>();
    if (s.color === 'frequency') for (let i = 0; i < l.count; i++) frameSelf.set(l.frame[i], (frameSelf.get(l.frame[i]) ?? 0) + l.self[i]);
    const cache = new Map<number, string>();
    this.colors = new Array(l.count);
    for (let i = 0; i < l.count; i++) {
      const f = l.frame[i];
      if (f === ROOT_FRAME) this.colors[i] = ROOT_COLOR;
      else if (f === OTHER_FRAME) this.colors[i] = OTHER_COLOR;
      else {
        let c = cache.get(f);
        if (c === undefined) {
          const share = l.viewTotal > 0 ? (frameSelf.get(f) ?? 0) / l.viewTotal : 0;
          c = frameColor(s.color, frameInfo(l.frames, f), share);
          cache.set(f, c);
        }
        this.colors[i] = c;
      }
    }
    const m = makeMatcher(s.q, s.regex);
    this.dim = dimMask(l, m, s.grey, s.sel);
    if (this.selectedNode < 0 || l.frame[this.selectedNode] !== s.sel) {
      this.selectedNode = -1;
      if (s.sel !== null) for (let i = 0; i < l.count && this.selectedNode < 0; i++) if (l.frame[i] === s.sel) this.selectedNode = i;
    }
    this.showBanner();
    this.host.dataset.dimmed = String(this.dim.reduce((a, b) => a + b, 0));
  }

  private get topRows(): number {
    return this.state.zoom.length;
  }

  private paint(s: Surface): void {
    const ctx = s.ctx;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, s.width, s.height);
    const l = this.layout;
    if (!l || l.count === 0) return;
    const input = {
      layout: l,
      viewport: this.viewport,
      colors: this.colors,
      dim: this.dim,
      icicle: this.state.icicle,
      hover: this.hover,
      selected: this.selectedNode,
      topRows: this.topRows,
      scrollRow: this.scrollRow,
    };
    drawFlame(ctx, s.width, s.height, input, this.fitter);
    // Ancestors of the zoomed call: full-width rows on the root side.
    const zoom = this.state.zoom;
    for (let r = 0; r < zoom.length; r++) {
      const y = rowY(r - zoom.length, s.height, input);
      const f = r === 0 ? ROOT_FRAME : zoom[r - 1];
      ctx.fillStyle = 'hsl(220,15%,85%)';
      ctx.fillRect(0, y, s.width, ROW_H - 1);
      ctx.fillStyle = '#333';
      ctx.font = LABEL_FONT;
      const name = r === 0 ? 'all (click to zoom out)' : frameInfo(this.ctx.frames, f)[0];
      ctx.fillText(this.fitter.fit(name, s.width - 8), 4, y + ROW_H / 2);
    }
  }

  private pointer(ev: MouseEvent): { x: number; y: number; row: number; node: number } {
    const r = this.surface.canvas.getBoundingClientRect();
    const x = ev.clientX - r.left;
    const y = ev.clientY - r.top;
    const input = { icicle: this.state.icicle, topRows: this.topRows, scrollRow: this.scrollRow };
    const row = rowAt(y, this.surface.height, input);
    const l = this.layout;
    if (!l) return { x, y, row, node: -1 };
    const fx = this.viewport.a + (x / this.surface.width) * (this.viewport.b - this.viewport.a);
    return { x, y, row, node: hitTest(l, fx, row) };
  }

  private onMove = (ev: MouseEvent) => {
    if (this.drag) {
      const dx = ev.clientX - this.drag.x;
      const dy = ev.clientY - this.drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) this.drag.moved = true;
      if (this.drag.moved) {
        this.viewport = pan(this.drag.v, -dx / this.surface.width, 0, 1, 1e-9);
        const rows = Math.round(dy / ROW_H) * (this.state.icicle ? -1 : 1);
        this.scrollRow = Math.max(0, Math.min(this.drag.row + rows, (this.layout?.maxDepth ?? 0) + this.topRows));
        this.surface.request();
        return;
      }
    }
    const p = this.pointer(ev);
    if (p.node !== this.hover) {
      this.hover = p.node;
      this.surface.request();
    }
    if (p.node < 0) {
      if (p.row < 0 && p.row >= -this.topRows) {
        const r = p.row + this.topRows;
        const name = r === 0 ? 'all' : frameInfo(this.ctx.frames, this.state.zoom[r - 1])[0];
        this.ctx.tooltip.show(ev.clientX, ev.clientY, 'anc' + r, () => [h('div.tt-title', null, name), h('div', null, 'Click to zoom out to this call')]);
      } else this.ctx.tooltip.hide();
      return;
    }
    const l = this.layout!;
    const i = p.node;
    const info = frameInfo(l.frames, l.frame[i], l.folded[i]);
    const unit = this.ctx.profile.weight_unit;
    const rate = this.ctx.profile.rate_hz;
    this.ctx.tooltip.show(
      ev.clientX,
      ev.clientY,
      i,
      () => [
        h('div.tt-title', null, info[0]),
        h('div', null, `total ${formatPercent(l.total[i], l.viewTotal)} · self ${formatPercent(l.self[i], l.viewTotal)}`),
      ],
      () => [
        info[1] ? h('div', null, `${info[1]}:${info[2]}`) : null,
        info[3] ? h('div', null, `package ${info[3]}`) : null,
        h('div', null, `total ${formatWeight(l.total[i], unit, rate)}`),
        h('div', null, `self ${formatWeight(l.self[i], unit, rate)}`),
        i > 0 && l.parent[i] >= 0 ? h('div', null, `${formatPercent(l.total[i], l.total[l.parent[i]])} of its caller`) : null,
        l.frame[i] === OTHER_FRAME ? h('div', null, 'Double-click to expand') : h('div', null, 'Double-click to zoom in'),
      ],
    );
  };

  private onDown = (ev: MouseEvent) => {
    if (ev.button !== 0) return;
    this.drag = { x: ev.clientX, y: ev.clientY, v: this.viewport, row: this.scrollRow, moved: false };
  };

  private onUp = () => {
    if (this.drag?.moved) this.suppressClick = true;
    this.drag = null;
  };
  private suppressClick = false;

  private onClick = (ev: MouseEvent) => {
    if (this.suppressClick) {
      this.suppressClick = false;
      return;
    }
    const p = this.pointer(ev);
    this.host.focus();
    if (p.node < 0) {
      if (p.row < 0 && p.row >= -this.topRows) {
        this.ctx.store.set({ zoom: this.state.zoom.slice(0, p.row + this.topRows) });
      }
      return;
    }
    const f = this.layout!.frame[p.node];
    this.selectedNode = p.node;
    if (f >= 0) this.ctx.store.set({ sel: f }, 'replace');
    this.surface.request();
  };

  private onDblClick = (ev: MouseEvent) => {
    const p = this.pointer(ev);
    const l = this.layout;
    if (!l || p.node < 0) return;
    this.zoomInto(p.node);
  };

  /** Zoom into a node's call (or, for "other", its parent; for the root, one level out). */
  zoomInto(i: number): void {
    const l = this.layout!;
    if (i === 0) {
      this.ctx.store.set({ zoom: this.state.zoom.slice(0, -1) });
      return;
    }
    const node = l.frame[i] === OTHER_FRAME ? l.parent[i] : i;
    const path = this.state.zoom.concat(framePath(l, node));
    if (path.length === this.state.zoom.length) {
      // "other" directly under the shown root: the same path with a
      // bigger node budget unfolds it.
      this.budget *= 4;
      void this.load(this.state);
      return;
    }
    this.budget = DEFAULT_BUDGET;
    this.ctx.store.set({ zoom: path });
  }

  private onWheel = (ev: WheelEvent) => {
    if (!this.layout) return;
    ev.preventDefault();
    if (ev.shiftKey) {
      // Towards the leaves: up in a flame graph, down in an icicle.
      const step = (ev.deltaY > 0 ? 1 : -1) * (this.state.icicle ? 1 : -1);
      this.scrollRow = Math.max(0, Math.min(this.scrollRow + step, this.layout.maxDepth + this.topRows));
    } else if (Math.abs(ev.deltaX) > Math.abs(ev.deltaY)) {
      this.viewport = pan(this.viewport, ev.deltaX / this.surface.width, 0, 1, 1e-9);
    } else {
      const r = this.surface.canvas.getBoundingClientRect();
      const anchor = (ev.clientX - r.left) / this.surface.width;
      this.viewport = zoomAt(this.viewport, anchor, wheelFactor(ev.deltaY, ev.deltaMode), 0, 1, 1e-9);
    }
    this.surface.request();
  };

  /** Keyboard: +/- zoom, arrows pan, 0 resets the x zoom. */
  key_(ev: KeyboardEvent): boolean {
    const v = this.viewport;
    if (ev.key === '+' || ev.key === '=') this.viewport = zoomAt(v, 0.5, 0.7, 0, 1, 1e-9);
    else if (ev.key === '-') this.viewport = zoomAt(v, 0.5, 1 / 0.7, 0, 1, 1e-9);
    else if (ev.key === 'ArrowLeft') this.viewport = pan(v, -0.1, 0, 1, 1e-9);
    else if (ev.key === 'ArrowRight') this.viewport = pan(v, 0.1, 0, 1, 1e-9);
    else if (ev.key === '0') this.viewport = clampSpan({ a: 0, b: 1 }, 0, 1, 1e-9);
    else return false;
    this.surface.request();
    return true;
  }

  /** For tests and benchmarks: what is on screen. */
  debugInfo() {
    return { nodes: this.layout?.count ?? 0, viewport: this.viewport, drawMs: this.surface.lastDrawMs, topRows: this.topRows };
  }

  /**
   * For tests: the boxes at least `minPx` wide, with their function and
   * centre in page coordinates, widest first.
   */
  boxes(minPx = 30): { node: number; frame: number; name: string; depth: number; cx: number; cy: number; w: number }[] {
    const l = this.layout;
    if (!l) return [];
    const r = this.surface.canvas.getBoundingClientRect();
    const v = this.viewport;
    const scale = this.surface.width / (v.b - v.a);
    const input = { icicle: this.state.icicle, topRows: this.topRows, scrollRow: this.scrollRow };
    const out = [];
    for (let i = 0; i < l.count; i++) {
      const x0 = Math.max(0, (l.x[i] - v.a) * scale);
      const x1 = Math.min(this.surface.width, (l.x[i] + l.w[i] - v.a) * scale);
      const y = rowY(l.depth[i], this.surface.height, input);
      if (x1 - x0 < minPx || y < 0 || y + ROW_H > this.surface.height) continue;
      out.push({ node: i, frame: l.frame[i], name: frameInfo(l.frames, l.frame[i], l.folded[i])[0], depth: l.depth[i], cx: r.left + (x0 + x1) / 2, cy: r.top + y + ROW_H / 2, w: x1 - x0 });
    }
    return out.sort((a, b) => b.w - a.w);
  }

  /** For benchmarks: set the x viewport and draw synchronously; returns ms. */
  benchFrame(v: Span): number {
    this.viewport = clampSpan(v, 0, 1, 1e-9);
    this.surface.paint();
    return this.surface.lastDrawMs;
  }

  destroy(): void {
    this.abort?.abort();
    window.removeEventListener('mouseup', this.onUp);
    this.surface.destroy();
  }
}
