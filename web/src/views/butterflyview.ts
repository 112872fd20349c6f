/*
 * butterflyview.ts — the selected function with its callers above and
 * its callees below, each with its share of the function's total. Small
 * lists (the server answers per function), so plain DOM rows with bars.
 * Clicking a caller or callee selects it (the view follows); its location
 * links to the source line.
 */
import { api, errorText, isAbort } from '../api';
import { h, messageBox } from '../dom';
import { makeMatcher } from '../lib/filter';
import { frameInfo } from '../lib/flame';
import { formatPercent, formatWeight, shortenPath } from '../lib/format';
import type { ButterflyAnswer, EdgeColumns, FrameDict } from '../lib/types';
import { apiParams, dataKey, ViewState } from '../lib/viewstate';
import { ProfileContext, ProfileView } from './context';

const MAX_ROWS = 300;

export class ButterflyView implements ProfileView {
  readonly el = h('div.view.butterfly-view', { 'data-testid': 'butterfly' });
  private key = '';
  private abort: AbortController | null = null;
  private answer: ButterflyAnswer | null = null;
  private state: ViewState;

  constructor(private ctx: ProfileContext) {
    this.state = ctx.store.state;
  }

  update(state: ViewState, prev: ViewState | null): void {
    this.state = state;
    const key = dataKey(state) + '|' + state.sel;
    if (key !== this.key) {
      this.key = key;
      void this.load(state);
    } else if (!prev || prev.q !== state.q || prev.regex !== state.regex || prev.color !== state.color) this.render();
  }

  private async load(state: ViewState): Promise<void> {
    this.abort?.abort();
    if (state.sel === null) {
      this.answer = null;
      this.el.replaceChildren(messageBox('info', 'No function selected', 'Select a function in the flame graph, the table or the timeline (click it) to see its callers and callees.'));
      this.el.dataset.state = 'empty';
      return;
    }
    const ac = new AbortController();
    this.abort = ac;
    const p = apiParams(state);
    p.set('frame', String(state.sel));
    this.el.dataset.state = 'loading';
    try {
      const a = await api.butterfly(this.ctx.id, p, ac.signal);
      if (ac.signal.aborted) return;
      this.ctx.learnFrames(a.frames);
      this.answer = a;
      this.render();
      this.el.dataset.state = 'ready';
    } catch (e) {
      if (isAbort(e)) return;
      this.el.dataset.state = 'error';
      this.el.replaceChildren(messageBox('error', 'Could not load the callers and callees', errorText(e)));
    }
  }

  private render(): void {
    const a = this.answer;
    if (!a) return;
    const info = frameInfo(a.frames, a.frame);
    const unit = this.ctx.profile.weight_unit;
    const rate = this.ctx.profile.rate_hz;
    const approx = !this.ctx.profile.has_stacks;
    this.el.replaceChildren(
      approx ? messageBox('info', 'From pstats caller edges', 'These callers and callees are exact: pstats records them directly.') : '',
      h('h3', null, `Callers of ${info[0]}`),
      this.list(a.callers, a.frames, a.total, 'caller'),
      h(
        'div.bf-center',
        { 'data-frame': String(a.frame) },
        h('div.bf-name', null, info[0]),
        h('div', null, `total ${formatWeight(a.total, unit, rate)} · self ${formatWeight(a.self, unit, rate)}`),
        this.location(info[1], info[2], a.frame),
      ),
      h('h3', null, `Callees of ${info[0]}`),
      this.list(a.callees, a.frames, a.total, 'callee'),
    );
  }

  private location(file: string, line: number, frame: number): HTMLElement | string {
    if (!file || file === '~') return ''; // '~': a built-in (pstats), which has no file
    return h(
      'a.srclink',
      {
        href: '#',
        title: 'Open the source at this line',
        onclick: (ev: Event) => {
          ev.preventDefault();
          this.ctx.store.set({ view: 'source', file, line: line > 0 ? line : null, sel: frame });
        },
      },
      `${shortenPath(file, 60)}:${line}`,
    );
  }

  private list(edges: EdgeColumns, frames: FrameDict, whole: number, kind: string): HTMLElement {
    const n = edges.frame.length;
    if (n === 0) return h('div.bf-empty', null, kind === 'caller' ? 'No callers: it is only ever a root.' : 'No callees: all its time is its own.');
    const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => edges.weight[y] - edges.weight[x]);
    const m = makeMatcher(this.state.q, this.state.regex);
    const rows = order.slice(0, MAX_ROWS).map((i) => {
      const f = edges.frame[i];
      const fi = f === -1 ? (['(root: no caller)', '', 0, ''] as const) : frameInfo(frames, f);
      const share = whole > 0 ? edges.weight[i] / whole : 0;
      const dim = m.active && f >= 0 && !m.test([...fi] as [string, string, number, string]);
      return h(
        'div.bf-row',
        {
          class: (dim ? 'dim ' : '') + kind,
          'data-frame': String(f),
          onclick: f >= 0 ? () => this.ctx.store.set({ sel: f }) : undefined,
        },
        h('span.bf-bar', { style: { width: `${Math.max(0.5, share * 100)}%` } }),
        h('span.bf-pct', null, formatPercent(edges.weight[i], whole)),
        h('span.bf-calls', null, edges.calls?.[i] ? `${edges.calls[i]} calls` : ''),
        h('span.bf-fn', null, fi[0]),
        f >= 0 ? this.location(fi[1], fi[2], f) : '',
      );
    });
    return h('div.bf-list', null, ...rows, n > MAX_ROWS ? h('div.bf-more', null, `${n - MAX_ROWS} more, lighter ones not shown`) : null);
  }

  destroy(): void {
    this.abort?.abort();
  }
}
