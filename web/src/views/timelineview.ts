/*
 * timelineview.ts — the time-ordered flame chart per thread, with lanes
 * for thread state (on-CPU / GIL / idle), GC and markers. Wheel zooms
 * around the pointer, drag pans, shift+wheel scrolls threads; a drag on
 * the time axis (or shift+drag anywhere) selects a time range, which
 * restricts every other view (t0/t1 of the shared state). Double-click a
 * span zooms the window to it; click selects its function. With a range
 * selected, "Compare with…" keeps it as the "before" side and the next
 * range selected becomes "after": the diff view opens on those two ranges
 * of this profile (bt0/bt1, at0/at1 in the URL).
 *
 * Frames stay under 16 ms while zooming: the last answer (converted to
 * profile-clock times) is redrawn for every viewport at once, and a
 * sharper answer for the new window is fetched after a short pause.
 */
import { api, errorText, isAbort } from '../api';
import { h, messageBox } from '../dom';
import { frameRgba } from '../lib/colors';
import { makeMatcher } from '../lib/filter';
import { frameInfo } from '../lib/flame';
import { formatDuration, formatWeight } from '../lib/format';
import { blockAt, BlockLayout, hitSpan, layoutBlocks, modelFromAnswer, TimelineModel, TL, underSelected } from '../lib/timeline';
import type { FrameDict } from '../lib/types';
import { apiParams, dataKey, ViewState } from '../lib/viewstate';
import { clampSpan, fromPixel, pan, rangeFromPixels, Span, wheelFactor, zoomAt } from '../lib/zoom';
import { LABEL_FONT } from '../render/flame';
import { Raster } from '../render/raster';
import { Surface, TextFitter } from '../render/surface';
import { drawTimeline } from '../render/timeline';
import { ProfileContext, ProfileView } from './context';

const FETCH_DELAY_MS = 70;
const MIN_SPAN_NS = 1000;

export class TimelineView implements ProfileView {
  readonly el = h('div.view.timeline-view');
  private banner = h('div.banner-slot');
  private bar = h('div.tl-bar', { 'data-testid': 'tl-range-bar' });
  /** The "before" range while the user picks the range to compare it with. */
  private compareFrom: Span | null = null;
  private scroller = h('div.tl-scroll');
  private host = h('div.tl-host', { tabindex: '0', 'data-testid': 'timeline-canvas-host' });
  private spacer = h('div.tl-spacer');
  private surface: Surface;
  private fitter: TextFitter;
  private model: TimelineModel | null = null;
  private blocks: BlockLayout | null = null;
  private frames: FrameDict = {};
  private viewport: Span;
  private bounds: Span;
  private state: ViewState;
  private key = '';
  private fetchedKey = '';
  private timer = 0;
  private urlTimer = 0;
  private abort: AbortController | null = null;
  private hover: { thread: number; span: number } | null = null;
  private drag: { x: number; v: Span; mode: 'pan' | 'select'; moved: boolean } | null = null;
  private selecting: Span | null = null;
  private colors = new Uint32Array(0); // packed colour by frame id (0: not yet)
  private raster = new Raster();
  private dimCache: Uint8Array[] = [];
  private matcherMemo = new Map<number, boolean>();

  constructor(private ctx: ProfileContext) {
    this.state = ctx.store.state;
    const p = ctx.profile;
    const end = p.t_end > p.t_start ? p.t_end : p.t_start + 1e9;
    this.bounds = { a: p.t_start, b: end };
    this.viewport = this.windowOf(this.state);
    this.scroller.append(this.host, this.spacer);
    this.el.append(this.banner, this.bar, this.scroller);
    this.surface = new Surface(this.host, (s) => this.paint(s), () => this.scroller.clientHeight);
    this.fitter = new TextFitter(this.surface.ctx, LABEL_FONT);
    const c = this.surface.canvas;
    c.addEventListener('wheel', this.onWheel, { passive: false });
    c.addEventListener('mousedown', this.onDown);
    window.addEventListener('mousemove', this.onDrag);
    window.addEventListener('mouseup', this.onUp);
    c.addEventListener('mousemove', this.onHover);
    c.addEventListener('mouseleave', () => {
      this.hover = null;
      this.ctx.tooltip.hide();
      this.surface.request();
    });
    c.addEventListener('dblclick', this.onDblClick);
    this.scroller.addEventListener('scroll', () => this.surface.request());
  }

  private windowOf(s: ViewState): Span {
    if (s.w0 !== null && s.w1 !== null) return clampSpan({ a: s.w0, b: s.w1 }, this.bounds.a, this.bounds.b, MIN_SPAN_NS);
    return { ...this.bounds };
  }

  update(state: ViewState, prev: ViewState | null): void {
    this.state = state;
    this.renderBar();
    if (!this.ctx.profile.has_stacks) {
      this.banner.replaceChildren(messageBox('info', 'No timeline for this profile', 'pstats profiles record totals per function, not samples in time, so there is nothing to draw on a time axis. The function table and butterfly are exact.'));
      this.el.dataset.state = 'empty';
      return;
    }
    if (!prev || prev.w0 !== state.w0 || prev.w1 !== state.w1) {
      const w = this.windowOf(state);
      if (w.a !== this.viewport.a || w.b !== this.viewport.b) this.viewport = w;
    }
    const key = dataKey(state, false);
    if (key !== this.key) {
      this.key = key;
      this.fetchNow();
    } else this.scheduleFetch();
    if (!prev || prev.color !== state.color || prev.q !== state.q || prev.regex !== state.regex || prev.grey !== state.grey || prev.sel !== state.sel) this.restyle();
    this.surface.request();
  }

  shown(): void {
    this.surface.request();
    this.scheduleFetch();
  }

  /** The range bar: the selected range and "Compare with…", or the compare prompt. */
  private renderBar(): void {
    const s = this.state;
    const o = this.bounds.a;
    const text = (r: Span) => `${formatDuration(r.a - o)} – ${formatDuration(r.b - o)} (${formatDuration(r.b - r.a)})`;
    this.bar.hidden = !this.ctx.profile.has_stacks;
    this.bar.classList.toggle('pending', this.compareFrom !== null);
    if (this.compareFrom) {
      this.bar.replaceChildren(
        h('span', { 'data-testid': 'compare-prompt' }, `Before: ${text(this.compareFrom)}. Now drag on the time axis (or shift+drag) to select the range to compare it with.`),
        h('button', { onclick: () => this.setCompare(null), 'data-testid': 'compare-cancel' }, 'Cancel'),
      );
    } else if (s.t0 !== null && s.t1 !== null) {
      const r = { a: s.t0, b: s.t1 };
      this.bar.replaceChildren(
        h('span', null, `Range ${text(r)}`),
        h('button', { onclick: () => this.setCompare(r), title: 'Diff this range against another range of this profile', 'data-testid': 'compare-range' }, 'Compare with…'),
      );
    } else this.bar.replaceChildren(h('span.hint', null, 'Drag on the time axis (or shift+drag anywhere) to select a time range; then “Compare with…” diffs it against another.'));
  }

  private setCompare(r: Span | null): void {
    this.compareFrom = r;
    this.renderBar();
  }

  private restyle(): void {
    this.colors.fill(0);
    this.matcherMemo.clear();
    this.dimCache = [];
    const m = this.model;
    if (!m) return;
    this.colorTable(m);
    const s = this.state;
    const matcher = makeMatcher(s.q, s.regex);
    const selFile = s.sel !== null ? frameInfo(this.frames, s.sel)[1] : null;
    for (const th of m.threads) {
      const dim = new Uint8Array(th.t0.length);
      const under = s.grey === 'children' && s.sel !== null ? underSelected(th, s.sel) : null;
      for (let i = 0; i < dim.length; i++) {
        const f = th.frame[i];
        if (matcher.active) {
          let ok = this.matcherMemo.get(f);
          if (ok === undefined) {
            ok = matcher.test(frameInfo(this.frames, f));
            this.matcherMemo.set(f, ok);
          }
          if (!ok) dim[i] = 1;
        }
        if (s.sel !== null) {
          if (s.grey === 'function' && f !== s.sel) dim[i] = 1;
          if (s.grey === 'module' && frameInfo(this.frames, f)[1] !== selFile) dim[i] = 1;
          if (under && !under[i]) dim[i] = 1;
        }
      }
      this.dimCache.push(dim);
    }
  }

  /** The packed colour of every frame the model draws, by frame id. */
  private colorTable(m: TimelineModel): Uint32Array {
    let maxFrame = -1;
    for (const th of m.threads) for (let i = 0; i < th.frame.length; i++) if (th.frame[i] > maxFrame) maxFrame = th.frame[i];
    if (this.colors.length <= maxFrame) {
      const grown = new Uint32Array(maxFrame + 1);
      grown.set(this.colors);
      this.colors = grown;
    }
    const mode = this.state.color === 'frequency' ? 'function' : this.state.color;
    const c = this.colors;
    for (const th of m.threads) {
      for (let i = 0; i < th.frame.length; i++) {
        const f = th.frame[i];
        if (f >= 0 && c[f] === 0) c[f] = frameRgba(mode, frameInfo(this.frames, f));
      }
    }
    return c;
  }

  private scheduleFetch(): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.fetchNow(), FETCH_DELAY_MS);
  }

  private fetchNow(): void {
    window.clearTimeout(this.timer);
    // pstats has no samples in time: the banner says so, and nothing is asked.
    if (!this.ctx.profile.has_stacks) return;
    const width = Math.max(100, Math.round(this.host.clientWidth || 1200));
    const a = Math.floor(this.viewport.a);
    const b = Math.ceil(this.viewport.b);
    const p = apiParams(this.state, false);
    p.set('t0', BigInt(a).toString());
    p.set('t1', BigInt(b).toString());
    p.set('width', String(width));
    const fk = p.toString();
    if (fk === this.fetchedKey) return;
    this.fetchedKey = fk;
    this.abort?.abort();
    const ac = new AbortController();
    this.abort = ac;
    this.el.dataset.state = this.model ? 'refreshing' : 'loading';
    api
      .timeline(this.ctx.id, p, ac.signal)
      .then((ans) => {
        if (ac.signal.aborted) return;
        this.ctx.learnFrames(ans.frames);
        Object.assign(this.frames, ans.frames);
        this.model = modelFromAnswer(ans);
        this.blocks = layoutBlocks(this.model);
        this.spacer.style.height = `${Math.max(0, this.blocks.contentHeight - this.scroller.clientHeight)}px`;
        this.restyle();
        this.banner.replaceChildren(this.model.threads.length === 0 ? messageBox('info', 'No threads in this view', 'The thread or state filters leave nothing to draw.') : '');
        this.surface.paint();
        this.el.dataset.state = 'ready';
        this.el.dataset.spans = String(this.model.threads.reduce((n, t) => n + t.t0.length, 0));
      })
      .catch((e) => {
        if (isAbort(e)) return;
        this.fetchedKey = '';
        this.el.dataset.state = 'error';
        this.banner.replaceChildren(messageBox('error', 'Could not load the timeline', errorText(e)));
      });
  }

  private paint(s: Surface): void {
    const m = this.model;
    if (!m || !this.blocks) {
      s.ctx.fillStyle = '#fff';
      s.ctx.fillRect(0, 0, s.width, s.height);
      return;
    }
    const st = this.state;
    drawTimeline(
      s.ctx,
      s.width,
      s.height,
      s.dpr,
      {
        model: m,
        blocks: this.blocks,
        viewport: this.viewport,
        origin: this.bounds.a,
        scrollY: this.scroller.scrollTop,
        colors: this.colors,
        dim: this.dimCache,
        label: (f) => frameInfo(this.frames, f)[0],
        hover: this.hover,
        range: st.t0 !== null && st.t1 !== null ? { a: st.t0, b: st.t1 } : null,
        selecting: this.selecting,
      },
      this.fitter,
      this.raster,
    );
  }

  private localX(ev: MouseEvent): { x: number; y: number } {
    const r = this.surface.canvas.getBoundingClientRect();
    return { x: ev.clientX - r.left, y: ev.clientY - r.top };
  }

  private moved(): void {
    this.surface.request();
    this.scheduleFetch();
    window.clearTimeout(this.urlTimer);
    this.urlTimer = window.setTimeout(() => {
      const whole = this.viewport.a <= this.bounds.a && this.viewport.b >= this.bounds.b;
      this.ctx.store.set(whole ? { w0: null, w1: null } : { w0: Math.floor(this.viewport.a), w1: Math.ceil(this.viewport.b) }, 'replace');
    }, 250);
  }

  private onWheel = (ev: WheelEvent) => {
    ev.preventDefault();
    if (ev.shiftKey) {
      this.scroller.scrollTop += ev.deltaY;
      return;
    }
    if (Math.abs(ev.deltaX) > Math.abs(ev.deltaY)) {
      this.viewport = pan(this.viewport, ev.deltaX / this.surface.width, this.bounds.a, this.bounds.b, MIN_SPAN_NS);
    } else {
      const { x } = this.localX(ev);
      this.viewport = zoomAt(this.viewport, x / this.surface.width, wheelFactor(ev.deltaY, ev.deltaMode), this.bounds.a, this.bounds.b, MIN_SPAN_NS);
    }
    this.moved();
  };

  private onDown = (ev: MouseEvent) => {
    if (ev.button !== 0) return;
    const { x, y } = this.localX(ev);
    const mode = ev.shiftKey || y < TL.axis ? 'select' : 'pan';
    this.drag = { x, v: this.viewport, mode, moved: false };
    ev.preventDefault();
  };

  private onDrag = (ev: MouseEvent) => {
    const d = this.drag;
    if (!d) return;
    const { x } = this.localX(ev);
    if (Math.abs(x - d.x) > 3) d.moved = true;
    if (!d.moved) return;
    if (d.mode === 'pan') {
      this.viewport = pan(d.v, -(x - d.x) / this.surface.width, this.bounds.a, this.bounds.b, MIN_SPAN_NS);
      this.moved();
    } else {
      this.selecting = rangeFromPixels(this.viewport, d.x, x, this.surface.width, this.bounds.a, this.bounds.b);
      this.surface.request();
    }
  };

  private onUp = (ev: MouseEvent) => {
    const d = this.drag;
    this.drag = null;
    if (!d) return;
    if (d.mode === 'select' && this.selecting && d.moved) {
      const r = this.selecting;
      this.selecting = null;
      const before = this.compareFrom;
      if (r.b - r.a >= 1 && before) {
        this.setCompare(null);
        this.ctx.store.set({
          view: 'diff',
          vs: this.ctx.id,
          bt0: Math.floor(before.a),
          bt1: Math.ceil(before.b),
          at0: Math.floor(r.a),
          at1: Math.ceil(r.b),
        });
      } else if (r.b - r.a >= 1) this.ctx.store.set({ t0: Math.floor(r.a), t1: Math.ceil(r.b) });
      this.surface.request();
      return;
    }
    if (!d.moved && ev.target === this.surface.canvas) this.clickAt(ev);
  };

  private hit(ev: MouseEvent): { thread: number; span: number } | null {
    const m = this.model;
    const b = this.blocks;
    if (!m || !b) return null;
    const { x, y } = this.localX(ev);
    if (y < TL.axis) return null;
    const cy = y + this.scroller.scrollTop;
    const k = blockAt(b, cy);
    if (k < 0) return null;
    const t = fromPixel(this.viewport, x, this.surface.width);
    const i = hitSpan(m, b, k, t, cy);
    return i < 0 ? null : { thread: k, span: i };
  }

  private clickAt(ev: MouseEvent): void {
    const hit = this.hit(ev);
    if (!hit) return;
    const f = this.model!.threads[hit.thread].frame[hit.span];
    this.ctx.store.set({ sel: f }, 'replace');
  }

  private onDblClick = (ev: MouseEvent) => {
    const hit = this.hit(ev);
    if (!hit) return;
    const th = this.model!.threads[hit.thread];
    const pad = (th.t1[hit.span] - th.t0[hit.span]) * 0.05;
    this.viewport = clampSpan({ a: th.t0[hit.span] - pad, b: th.t1[hit.span] + pad }, this.bounds.a, this.bounds.b, MIN_SPAN_NS);
    this.moved();
  };

  private onHover = (ev: MouseEvent) => {
    if (this.drag) return;
    const hit = this.hit(ev);
    const same = hit && this.hover && hit.thread === this.hover.thread && hit.span === this.hover.span;
    if (!same) {
      this.hover = hit;
      this.surface.request();
    }
    if (!hit) {
      const { y } = this.localX(ev);
      if (y < TL.axis) this.ctx.tooltip.show(ev.clientX, ev.clientY, 'axis', () => [h('div', null, 'Drag here (or shift+drag anywhere) to select a time range')]);
      else this.ctx.tooltip.hide();
      return;
    }
    const th = this.model!.threads[hit.thread];
    const i = hit.span;
    const info = frameInfo(this.frames, th.frame[i]);
    const unit = this.ctx.profile.weight_unit;
    this.ctx.tooltip.show(
      ev.clientX,
      ev.clientY,
      `${hit.thread}:${i}:${th.t0[i]}`,
      () => [h('div.tt-title', null, info[0]), h('div', null, `${formatDuration(th.t1[i] - th.t0[i])} · ${th.name}`)],
      () => [
        info[1] ? h('div', null, `${info[1]}:${info[2]}`) : null,
        h('div', null, `from ${formatDuration(th.t0[i] - this.bounds.a)} to ${formatDuration(th.t1[i] - this.bounds.a)}`),
        h('div', null, `weight ${formatWeight(th.weight[i], unit, this.ctx.profile.rate_hz)}`),
        h('div', null, 'Double-click to zoom to this span'),
      ],
    );
  };

  key_(ev: KeyboardEvent): boolean {
    const v = this.viewport;
    const B = this.bounds;
    if (ev.key === '+' || ev.key === '=') this.viewport = zoomAt(v, 0.5, 0.7, B.a, B.b, MIN_SPAN_NS);
    else if (ev.key === '-') this.viewport = zoomAt(v, 0.5, 1 / 0.7, B.a, B.b, MIN_SPAN_NS);
    else if (ev.key === 'ArrowLeft') this.viewport = pan(v, -0.1, B.a, B.b, MIN_SPAN_NS);
    else if (ev.key === 'ArrowRight') this.viewport = pan(v, 0.1, B.a, B.b, MIN_SPAN_NS);
    else if (ev.key === '0') this.viewport = { ...B };
    else return false;
    this.moved();
    return true;
  }

  /** For benchmarks: set the viewport and draw synchronously; returns the draw time in ms. */
  benchFrame(v: Span): number {
    this.viewport = clampSpan(v, this.bounds.a, this.bounds.b, MIN_SPAN_NS);
    this.surface.paint();
    return this.surface.lastDrawMs;
  }

  get currentBounds(): Span {
    return this.bounds;
  }

  destroy(): void {
    this.abort?.abort();
    window.clearTimeout(this.timer);
    window.clearTimeout(this.urlTimer);
    window.removeEventListener('mousemove', this.onDrag);
    window.removeEventListener('mouseup', this.onUp);
    this.surface.destroy();
  }
}
