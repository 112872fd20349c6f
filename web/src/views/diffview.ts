/*
 * diffview.ts — this profile against a baseline ("before", picked from
 * the list; this profile is "after"): a flame graph of the merged tree
 * coloured by change (red slower, blue faster, as shares of each total),
 * the table of the largest changes (largest first, as the server sorts
 * them), and the call graph of this profile with its boxes coloured the
 * same way. The view state (range, threads, transforms) applies to both
 * profiles, as /api/diff does; the baseline lives in the URL (`vs`).
 */
import { api, errorText, isAbort } from '../api';
import { h, messageBox } from '../dom';
import { makeMatcher } from '../lib/filter';
import { changeColor, diffFlame, DiffFlame, formatDelta } from '../lib/diff';
import { formatDate, shortenPath } from '../lib/format';
import type { DiffAnswer, ProfileSummary } from '../lib/types';
import { apiParams, ViewState } from '../lib/viewstate';
import { Surface, TextFitter } from '../render/surface';
import { CallGraphView } from './callgraphview';
import { infoOf, ProfileContext, ProfileView } from './context';

const ROW = 18;
const TABLE_ROWS = 60;

export class DiffView implements ProfileView {
  readonly el = h('div.view.diff-view', { 'data-testid': 'diff' });
  private picker = h('div.diff-picker');
  private body = h('div.diff-body');
  private flameHost = h('div.canvas-host.diff-flame', { 'data-testid': 'diff-flame-host' });
  private table = h('div.diff-table', { 'data-testid': 'diff-table' });
  private graphBox = h('div.diff-graph');
  private surface: Surface;
  private fitter: TextFitter | null = null;
  private graph: CallGraphView;
  private key = '';
  private abort: AbortController | null = null;
  private answer: DiffAnswer | null = null;
  private flame: DiffFlame | null = null;
  private profiles: ProfileSummary[] | null = null;
  private state: ViewState;
  private byName = new Map<string, number>();

  constructor(private ctx: ProfileContext) {
    this.state = ctx.store.state;
    this.body.append(
      h('h3', null, 'Flame graph coloured by change ', h('span.legend', null, h('span.sw.slower'), 'slower (larger share) ', h('span.sw.faster'), 'faster ', h('span.sw.same'), 'unchanged')),
      this.flameHost,
      h('h3', null, 'Largest changes (self time, as shares of each total)'),
      this.table,
      h('h3', null, 'Call graph of this profile, coloured by change'),
      this.graphBox,
    );
    this.el.append(this.picker, this.body);
    this.surface = new Surface(this.flameHost, (s) => this.paint(s), () => this.flameHeight());
    this.flameHost.addEventListener('mousemove', (ev) => this.onMove(ev));
    this.flameHost.addEventListener('mouseleave', () => ctx.tooltip.hide());
    this.graph = new CallGraphView(ctx, { testid: 'diff-callgraph' });
    this.graph.tint = (frame) => this.tintOf(frame);
    this.graphBox.append(this.graph.el);
    void this.loadProfiles();
  }

  private async loadProfiles(): Promise<void> {
    try {
      const r = await api.profiles({ sort: 'date', order: 'desc' });
      this.profiles = r.profiles.filter((p) => !p.live);
      this.renderPicker();
    } catch (e) {
      this.picker.replaceChildren(messageBox('error', 'Could not list the profiles to compare with', errorText(e)));
    }
  }

  private renderPicker(): void {
    const s = this.state;
    const list = this.profiles ?? [];
    this.picker.replaceChildren(
      h(
        'label',
        null,
        'Compare with (before): ',
        h(
          'select',
          { 'data-testid': 'diff-against', onchange: (ev: Event) => { const v = (ev.target as HTMLSelectElement).value; this.ctx.store.set({ vs: v || null }); } },
          h('option', { value: '', selected: s.vs === null }, '— pick a profile —'),
          ...list.map((p) =>
            h('option', { value: p.id, selected: p.id === s.vs }, `${p.name || p.id}${p.id === this.ctx.id ? ' (this profile)' : ''} · ${p.format} · ${formatDate(p.uploaded_at)}`),
          ),
        ),
      ),
      h('span.hint', null, ' This profile is "after". The time range, threads and transforms apply to both.'),
    );
  }

  update(state: ViewState, prev: ViewState | null): void {
    this.state = state;
    if (!prev || prev.vs !== state.vs) this.renderPicker();
    if (state.vs === null) {
      this.answer = null;
      this.key = '';
      this.body.hidden = true;
      this.el.dataset.state = 'empty';
      return;
    }
    this.body.hidden = false;
    const p = apiParams(state);
    p.set('before', state.vs);
    p.set('after', this.ctx.id);
    p.set('limit', '2000');
    const key = p.toString();
    if (key !== this.key) {
      this.key = key;
      void this.load(p);
    } else {
      this.surface.request();
      this.renderTable();
      this.graph.update(state, prev);
    }
  }

  private async load(p: URLSearchParams): Promise<void> {
    this.abort?.abort();
    const ac = new AbortController();
    this.abort = ac;
    this.el.dataset.state = 'loading';
    try {
      const a = await api.diff(p, ac.signal);
      if (ac.signal.aborted) return;
      this.answer = a;
      this.flame = diffFlame(a);
      this.byName.clear();
      const f = a.functions;
      for (let i = 0; i < f.key.length; i++) this.byName.set(f.key[i] + '\0' + (f.file?.[i] ?? ''), i);
      this.surface.paint();
      this.renderTable();
      this.graph.update(this.state, null);
      this.el.dataset.state = 'ready';
    } catch (e) {
      if (isAbort(e)) return;
      this.el.dataset.state = 'error';
      this.table.replaceChildren(messageBox('error', 'Could not compute the diff', errorText(e)));
    }
  }

  private tintOf(frame: number): string | null {
    const a = this.answer;
    if (!a) return null;
    const info = infoOf(this.ctx, frame);
    const i = this.byName.get(info[0] + '\0' + info[1]);
    if (i === undefined) return changeColor(0, 1);
    return changeColor(a.functions.delta_frac_self[i], this.scale());
  }

  private scale(): number {
    const a = this.answer;
    if (!a) return 1;
    const d = a.functions.delta_frac_self;
    let m = 0;
    for (const x of d) m = Math.max(m, Math.abs(x));
    return Math.max(0.02, m);
  }

  private renderTable(): void {
    const a = this.answer;
    if (!a) return;
    const f = a.functions;
    const n = Math.min(TABLE_ROWS, f.key.length);
    const [wb, wa] = a.total;
    const pct = (x: number, w: number) => (w > 0 ? ((100 * x) / w).toFixed(1) + '%' : '—');
    const m = makeMatcher(this.state.q, this.state.regex);
    const rows: HTMLElement[] = [];
    let changed = 0;
    for (let i = 0; i < f.key.length; i++) if (Math.abs(f.delta_frac_self[i]) >= 0.0005) changed++;
    for (let i = 0; i < n; i++) {
      const d = f.delta_frac_self[i];
      const file = f.file?.[i] ?? '';
      const dim = m.active && !m.test([f.key[i], file, 0, '']);
      rows.push(
        h(
          'tr',
          { class: dim ? 'dim' : '', 'data-key': f.key[i], onclick: () => this.ctx.store.set({ q: f.key[i], regex: false }, 'replace'), title: 'Filter by this function' },
          h('td.fn', null, f.key[i], h('span.file', null, ' ', shortenPath(file, 40))),
          h('td.num', null, pct(f.self_before[i], wb)),
          h('td.num', null, pct(f.self_after[i], wa)),
          h('td.num.delta', { style: { background: changeColor(d, this.scale()) } }, formatDelta(d)),
          h('td.num', null, formatDelta(f.delta_frac_total[i])),
        ),
      );
    }
    this.table.replaceChildren(
      h('div.diff-summary', { 'data-testid': 'diff-summary' }, changed === 0 ? 'No change: every function has the same share of self time in both.' : `${changed} function${changed === 1 ? '' : 's'} changed by 0.05 pp or more.`),
      h('table', null, h('thead', null, h('tr', null, h('th', null, 'function'), h('th', null, 'self before'), h('th', null, 'self after'), h('th', null, 'Δ self'), h('th', null, 'Δ total'))), h('tbody', null, ...rows)),
    );
  }

  private flameHeight(): number {
    return Math.min(520, Math.max(80, ((this.flame?.maxDepth ?? 3) + 1) * ROW + 4));
  }

  private paint(s: Surface): void {
    const ctx = s.ctx;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, s.width, s.height);
    const fl = this.flame;
    const a = this.answer;
    if (!fl || !a) return;
    this.fitter ??= new TextFitter(ctx, '12px system-ui, sans-serif');
    ctx.font = this.fitter.font;
    ctx.textBaseline = 'middle';
    const scale = Math.max(0.02, fl.maxAbs);
    const m = makeMatcher(this.state.q, this.state.regex);
    for (let i = 0; i < fl.count; i++) {
      const x = fl.x[i] * s.width;
      const w = fl.w[i] * s.width;
      if (w < 0.3) continue;
      const y = fl.depth[i] * ROW;
      if (y > s.height) continue;
      const dim = m.active && !m.test([a.tree.name[i], a.tree.file[i], 0, '']);
      ctx.fillStyle = dim ? '#eee' : changeColor(fl.delta[i], scale);
      ctx.fillRect(x, y, Math.max(0.5, w - 0.5), ROW - 1);
      if (w > 30) {
        const t = this.fitter.fit(a.tree.name[i], w - 6);
        if (t) {
          ctx.fillStyle = '#111';
          ctx.fillText(t, x + 3, y + ROW / 2);
        }
      }
    }
  }

  private onMove(ev: MouseEvent): void {
    const fl = this.flame;
    const a = this.answer;
    if (!fl || !a) return;
    const b = this.flameHost.getBoundingClientRect();
    const fx = (ev.clientX - b.left) / Math.max(1, b.width);
    const d = Math.floor((ev.clientY - b.top) / ROW);
    let hit = -1;
    for (let i = 0; i < fl.count; i++) if (fl.depth[i] === d && fx >= fl.x[i] && fx < fl.x[i] + fl.w[i]) hit = i;
    if (hit < 0) return this.ctx.tooltip.hide();
    const [wb, wa] = a.total;
    const t = a.tree;
    this.ctx.tooltip.show(ev.clientX, ev.clientY, hit, () => [
      h('div.tt-name', null, t.name[hit]),
      h('div', null, shortenPath(t.file[hit], 60)),
      h('div', null, `before ${wb > 0 ? ((100 * t.before[hit]) / wb).toFixed(1) : 0}% · after ${wa > 0 ? ((100 * t.after[hit]) / wa).toFixed(1) : 0}% · ${formatDelta(fl.delta[hit])}`),
    ]);
  }

  shown(): void {
    this.surface.request();
    this.graph.shown();
  }

  destroy(): void {
    this.abort?.abort();
    this.surface.destroy();
    this.graph.destroy();
  }
}
