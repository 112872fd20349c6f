/*
 * diffview.ts — this profile against a baseline ("before", picked from
 * the list; this profile is "after"): a flame graph of the merged tree
 * coloured by change (red slower, blue faster, as shares of each total),
 * the table of the largest changes (largest first, as the server sorts
 * them), and the call graph of this profile with its boxes coloured the
 * same way. The view state (range, threads, transforms) applies to both
 * profiles, as /api/diff does; the baseline lives in the URL (`vs`).
 *
 * Each side may also have its own time range (bt0/bt1, at0/at1 in the
 * URL; before.t0 … after.t1 to the server, where a side's own range wins
 * over the shared one). With this profile as its own baseline that is the
 * diff of two time ranges of one profile: picked here (seconds from the
 * start) or on the timeline ("Compare with…", then a second range).
 */
import { api, errorText, isAbort } from '../api';
import { h, messageBox } from '../dom';
import { makeMatcher } from '../lib/filter';
import { changeColor, diffFlame, DiffFlame, formatDelta } from '../lib/diff';
import { formatDate, formatDuration, shortenPath } from '../lib/format';
import type { DiffAnswer, ProfileSummary } from '../lib/types';
import { diffParams, ViewState } from '../lib/viewstate';
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
    const self = s.vs === this.ctx.id;
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
      s.vs !== null ? this.rangeForm(s, self) : '',
    );
  }

  /**
   * Each side's own time range, in seconds from this profile's start (an
   * empty pair: the shared range). Applied when a field changes; a pair
   * that does not parse or is out of order is said inline and not applied.
   * The fields are made once and only their values follow the state, so
   * moving from one field to the next never loses what was typed.
   */
  private ranges: { el: HTMLElement; fields: Record<'bt0' | 'bt1' | 'at0' | 'at1', HTMLInputElement>; lead: HTMLElement; sides: HTMLElement; error: HTMLElement } | null = null;

  private secs(t: number | null): string {
    return t === null ? '' : String(Math.round((t - this.ctx.profile.t_start) / 1e3) / 1e6);
  }

  private rangeForm(s: ViewState, self: boolean): HTMLElement {
    const r = (this.ranges ??= this.makeRangeForm());
    for (const k of ['bt0', 'bt1', 'at0', 'at1'] as const) {
      if (document.activeElement !== r.fields[k]) r.fields[k].value = this.secs(s[k]);
    }
    const start = this.ctx.profile.t_start;
    const describe = (a: number | null, b: number | null) => (a !== null && b !== null ? `${formatDuration(a - start)} – ${formatDuration(b - start)}` : 'the shared range');
    r.lead.textContent = self ? 'Two time ranges of this profile, in seconds from its start: ' : 'Time ranges, in seconds from the start: ';
    r.sides.textContent = ` Before: ${describe(s.bt0, s.bt1)}; after: ${describe(s.at0, s.at1)}. On the timeline, select a range and choose “Compare with…” to pick both there.`;
    return r.el;
  }

  private makeRangeForm(): NonNullable<DiffView['ranges']> {
    const field = (side: string, end: string) =>
      h('input.range-s', { type: 'text', inputmode: 'decimal', size: 8, placeholder: end, 'data-testid': `diff-${side}-${end}`, 'aria-label': `${side} range ${end} (s)` });
    const fields = { bt0: field('before', 'from'), bt1: field('before', 'to'), at0: field('after', 'from'), at1: field('after', 'to') };
    const error = h('span.range-error', { 'data-testid': 'diff-range-error', role: 'alert' });
    const lead = h('span');
    const sides = h('span.hint', { 'data-testid': 'diff-sides' });
    const apply = () => {
      const s = this.state;
      const start = this.ctx.profile.t_start;
      const patch: Partial<ViewState> = {};
      for (const [a, b, name] of [['bt0', 'bt1', 'before'], ['at0', 'at1', 'after']] as const) {
        const x = fields[a].value.trim();
        const y = fields[b].value.trim();
        if (x === '' && y === '') {
          patch[a] = patch[b] = null;
          continue;
        }
        const fx = Number(x);
        const fy = Number(y);
        if (x === '' || y === '' || !Number.isFinite(fx) || !Number.isFinite(fy) || fy <= fx) {
          error.textContent = `The ${name} range needs two numbers of seconds, "from" below "to" (got “${x}” and “${y}”).`;
          return;
        }
        // A value as some field shows it keeps that field's exact nanoseconds (the text is rounded to 1 µs).
        const ns = (text: string, f: number) => {
          const same = (Object.keys(fields) as (keyof typeof fields)[]).find((k) => s[k] !== null && this.secs(s[k]) === text);
          return same ? s[same]! : Math.round(start + f * 1e9);
        };
        patch[a] = ns(x, fx);
        patch[b] = ns(y, fy);
      }
      error.textContent = '';
      this.ctx.store.set(patch);
    };
    for (const f of Object.values(fields)) f.addEventListener('change', apply);
    const el = h(
      'div.diff-ranges',
      { 'data-testid': 'diff-ranges' },
      lead,
      h('label', null, 'before ', fields.bt0, ' – ', fields.bt1),
      h('label', null, ' after ', fields.at0, ' – ', fields.at1),
      h('button', { onclick: () => this.ctx.store.set({ bt0: null, bt1: null, at0: null, at1: null }), title: 'Use the shared time range for both sides' }, 'Clear ranges'),
      sides,
      error,
    );
    return { el, fields, lead, sides, error };
  }

  update(state: ViewState, prev: ViewState | null): void {
    this.state = state;
    if (!prev || prev.vs !== state.vs) this.renderPicker();
    // Ranges only: the form is updated in place, so a field being typed in keeps its focus.
    else if (state.vs !== null && (prev.bt0 !== state.bt0 || prev.bt1 !== state.bt1 || prev.at0 !== state.at0 || prev.at1 !== state.at1)) this.rangeForm(state, state.vs === this.ctx.id);
    if (state.vs === null) {
      this.answer = null;
      this.key = '';
      this.body.hidden = true;
      this.el.dataset.state = 'empty';
      return;
    }
    this.body.hidden = false;
    const p = diffParams(state, state.vs, this.ctx.id);
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
