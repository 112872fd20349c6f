/*
 * treemapview.ts — where time goes as areas: package → module (file) →
 * function, by self time, coloured by package (or by the colour mode:
 * module, frequency). Clicking zooms one level into the rectangle under
 * the pointer (all → package → file) and selects the function there; the
 * view's own breadcrumb zooms back out. The filter greys out functions it
 * does not match. Drawn on one canvas; the zoom lives in the URL.
 */
import { api, errorText, isAbort } from '../api';
import { h, messageBox } from '../dom';
import { frameColor, groupColor, hashString, heatColor } from '../lib/colors';
import { makeMatcher } from '../lib/filter';
import { frameInfo } from '../lib/flame';
import { formatPercent, formatWeight, shortenPath } from '../lib/format';
import { layoutTreemap, rectAt, TmDatum, TmRect, treemapTree, zoomTo } from '../lib/treemap';
import type { TreemapAnswer } from '../lib/types';
import { apiParams, dataKey, ViewState } from '../lib/viewstate';
import { Surface, TextFitter } from '../render/surface';
import { ProfileContext, ProfileView } from './context';

export class TreemapView implements ProfileView {
  readonly el = h('div.view.treemap-view', { 'data-testid': 'treemap' });
  private crumbs = h('nav.tm-crumbs', { 'data-testid': 'tm-crumbs' });
  private host = h('div.canvas-host.tm-host', { 'data-testid': 'treemap-canvas-host' });
  private surface: Surface;
  private fitter: TextFitter | null = null;
  private key: string | null = null;
  private abort: AbortController | null = null;
  private answer: TreemapAnswer | null = null;
  private tree: TmDatum | null = null;
  private rects: TmRect[] = [];
  private state: ViewState;

  constructor(private ctx: ProfileContext) {
    this.state = ctx.store.state;
    this.el.append(this.crumbs, this.host);
    this.surface = new Surface(this.host, (s) => this.paint(s));
    this.host.addEventListener('click', (ev) => this.onClick(ev));
    this.host.addEventListener('mousemove', (ev) => this.onMove(ev));
    this.host.addEventListener('mouseleave', () => ctx.tooltip.hide());
  }

  update(state: ViewState, prev: ViewState | null): void {
    this.state = state;
    const key = dataKey(state);
    if (key !== this.key) {
      this.key = key;
      void this.load(state);
    } else this.surface.request();
    if (!prev || prev.tmPackage !== state.tmPackage || prev.tmFile !== state.tmFile) this.renderCrumbs();
  }

  private async load(state: ViewState): Promise<void> {
    this.abort?.abort();
    const ac = new AbortController();
    this.abort = ac;
    this.el.dataset.state = 'loading';
    try {
      const a = await api.treemap(this.ctx.id, apiParams(state), ac.signal);
      if (ac.signal.aborted) return;
      this.ctx.learnFrames(a.frames);
      this.answer = a;
      this.tree = treemapTree(a);
      this.host.querySelector('.msg')?.remove();
      this.surface.paint();
      this.renderCrumbs();
      this.el.dataset.state = 'ready';
      this.host.dataset.readyAt = performance.now().toFixed(1);
    } catch (e) {
      if (isAbort(e)) return;
      this.el.dataset.state = 'error';
      this.crumbs.replaceChildren(messageBox('error', 'Could not load the treemap', errorText(e)));
    }
  }

  private renderCrumbs(): void {
    const s = this.state;
    const store = this.ctx.store;
    const link = (label: string, patch: Partial<ViewState>) =>
      h('a.crumb', { href: '#', onclick: (ev: Event) => { ev.preventDefault(); store.set(patch); } }, label);
    const parts: (HTMLElement | string)[] = [link('all packages', { tmPackage: null, tmFile: null })];
    if (s.tmPackage !== null) parts.push(h('span.sep', null, '›'), link(s.tmPackage, { tmFile: null }));
    if (s.tmFile !== null) parts.push(h('span.sep', null, '›'), h('span.crumb', null, shortenPath(s.tmFile, 60)));
    parts.push(h('span.tm-hint', null, '  click a rectangle to zoom into it; the filter greys out what it does not match'));
    this.crumbs.replaceChildren(...parts);
  }

  private colour(r: TmRect, a: TreemapAnswer): string {
    const pkg = a.packages[r.pkg]?.name ?? '';
    const mode = this.state.color;
    if (r.level < 2) return mode === 'module' && r.level === 1 ? groupColor(hashString(a.files[r.file] ?? '')) : groupColor(hashString(pkg));
    const info = frameInfo(a.frames, r.frame);
    if (mode === 'frequency') return heatColor(a.total > 0 ? r.value / a.total : 0);
    if (mode === 'module') return frameColor('module', info);
    return groupColor(hashString(pkg));
  }

  private paint(s: Surface): void {
    const ctx = s.ctx;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, s.width, s.height);
    const a = this.answer;
    if (!a || !this.tree) return;
    this.fitter ??= new TextFitter(ctx, '11px system-ui, sans-serif');
    const top = zoomTo(this.tree, this.state.tmPackage, this.state.tmFile);
    this.rects = layoutTreemap(top, s.width, s.height);
    this.host.dataset.rects = String(this.rects.length);
    const m = makeMatcher(this.state.q, this.state.regex);
    const sel = this.state.sel;
    ctx.font = this.fitter.font;
    ctx.textBaseline = 'top';
    for (const r of this.rects) {
      const w = r.x1 - r.x0;
      const hh = r.y1 - r.y0;
      if (w < 0.5 || hh < 0.5) continue;
      let fill = this.colour(r, a);
      if (r.level < 2) {
        ctx.globalAlpha = 0.35;
        ctx.fillStyle = fill;
        ctx.fillRect(r.x0, r.y0, w, hh);
        ctx.globalAlpha = 1;
        if (hh > 14) {
          const label = r.level === 0 ? r.name : shortenPath(r.name, 80);
          const text = this.fitter.fit(`${label} ${formatPercent(r.value, a.total)}`, w - 6);
          if (text) {
            ctx.fillStyle = '#222';
            ctx.fillText(text, r.x0 + 3, r.y0 + 2);
          }
        }
        continue;
      }
      const info = frameInfo(a.frames, r.frame);
      if (m.active && !m.test(info)) fill = 'hsl(0,0%,88%)';
      ctx.fillStyle = fill;
      ctx.fillRect(r.x0, r.y0, w, hh);
      if (r.frame === sel) {
        ctx.strokeStyle = '#1b4fd8';
        ctx.lineWidth = 2;
        ctx.strokeRect(r.x0 + 1, r.y0 + 1, w - 2, hh - 2);
      }
      if (hh > 13 && w > 24) {
        const text = this.fitter.fit(info[0], w - 4);
        if (text) {
          ctx.fillStyle = '#111';
          ctx.fillText(text, r.x0 + 2, r.y0 + 2);
          if (hh > 28) {
            const p = this.fitter.fit(formatPercent(r.value, a.total), w - 4);
            if (p) ctx.fillText(p, r.x0 + 2, r.y0 + 15);
          }
        }
      }
    }
  }

  private at(ev: MouseEvent): TmRect | null {
    const b = this.host.getBoundingClientRect();
    const i = rectAt(this.rects, ev.clientX - b.left, ev.clientY - b.top);
    return i < 0 ? null : this.rects[i];
  }

  private onClick(ev: MouseEvent): void {
    const r = this.at(ev);
    const a = this.answer;
    if (!r || !a) return;
    const s = this.state;
    const pkg = a.packages[r.pkg]?.name ?? null;
    const file = a.files[r.file] ?? null;
    const patch: Partial<ViewState> = {};
    if (r.level === 2) patch.sel = r.frame;
    if (s.tmPackage === null) patch.tmPackage = pkg;
    else if (s.tmFile === null && r.level >= 1) patch.tmFile = file;
    this.ctx.store.set(patch);
  }

  private onMove(ev: MouseEvent): void {
    const r = this.at(ev);
    const a = this.answer;
    if (!r || !a) return this.ctx.tooltip.hide();
    const unit = this.ctx.profile.weight_unit;
    const rate = this.ctx.profile.rate_hz;
    const what =
      r.level === 2
        ? `${frameInfo(a.frames, r.frame)[0]} — ${shortenPath(a.files[r.file] ?? '', 60)}`
        : r.level === 1
          ? `module ${shortenPath(r.name, 70)}`
          : `package ${r.name} (${a.packages[r.pkg]?.kind ?? ''})`;
    this.ctx.tooltip.show(ev.clientX, ev.clientY, r, () => [h('div.tt-name', null, what), h('div', null, `self ${formatWeight(r.value, unit, rate)} · ${formatPercent(r.value, a.total)}`)]);
  }

  shown(): void {
    this.surface.request();
  }

  destroy(): void {
    this.abort?.abort();
    this.surface.destroy();
  }
}
