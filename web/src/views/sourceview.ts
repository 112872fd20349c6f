/*
 * sourceview.ts — a file's text, as embedded in the profile, with each
 * line's self and total heat. The file comes from the state (`file`, set
 * by any frame's location link) or the selected function's file; the line
 * (`line`) is scrolled into view and marked. Lines are virtualized like
 * the table, so a 50,000-line module opens at once.
 */
import { api, errorText, isAbort } from '../api';
import { h, messageBox } from '../dom';
import { formatPercent, formatWeightCell } from '../lib/format';
import type { SourceAnswer } from '../lib/types';
import { apiParams, dataKey, ViewState } from '../lib/viewstate';
import { rowWindow, scrollToRow } from '../lib/vtable';
import { infoOf, ProfileContext, ProfileView } from './context';

const ROW_H = 18;

export class SourceView implements ProfileView {
  readonly el = h('div.view.source-view');
  private header = h('div.src-head');
  private banner = h('div.banner-slot');
  private scroller = h('div.src-scroll', { 'data-testid': 'source-scroll' });
  private spacer = h('div.tspacer');
  private body = h('div.src-body');
  private lines: string[] = [];
  private self = new Float64Array(0);
  private total = new Float64Array(0);
  private maxTotal = 0;
  private key = '';
  private abort: AbortController | null = null;
  private state: ViewState;
  private raf = 0;
  private pendingLine: number | null = null;
  private readyPending = false;

  constructor(private ctx: ProfileContext) {
    this.state = ctx.store.state;
    this.scroller.append(this.spacer);
    this.spacer.append(this.body);
    this.el.append(this.header, this.banner, this.scroller);
    this.scroller.addEventListener('scroll', () => this.schedule());
    new ResizeObserver(() => this.schedule()).observe(this.scroller);
  }

  private fileOf(state: ViewState): string | null {
    if (state.file) return state.file;
    if (state.sel !== null) return infoOf(this.ctx, state.sel)[1] || null;
    return null;
  }

  update(state: ViewState, prev: ViewState | null): void {
    this.state = state;
    const file = this.fileOf(state);
    const key = dataKey(state) + '|' + file;
    this.renderHeader(file);
    if (key !== this.key) {
      this.key = key;
      this.pendingLine = state.line;
      void this.load(state, file);
    } else if (!prev || prev.line !== state.line) {
      this.pendingLine = state.line;
      this.schedule();
    }
  }

  shown(): void {
    this.schedule();
  }

  private renderHeader(file: string | null): void {
    const files = this.ctx.profile.files ?? [];
    const select = h(
      'select',
      {
        'aria-label': 'File',
        onchange: (ev: Event) => this.ctx.store.set({ file: (ev.target as HTMLSelectElement).value, line: null }),
      },
      h('option', { value: '', disabled: true, selected: !file }, 'Choose a file…'),
      ...files.map((f) => h('option', { value: f.file, selected: f.file === file }, f.file + (f.has_source ? '' : ' (no text)'))),
    );
    this.header.replaceChildren(h('label', null, 'File ', select));
  }

  private async load(state: ViewState, file: string | null): Promise<void> {
    this.abort?.abort();
    this.readyPending = false;
    this.lines = [];
    this.spacer.style.height = '0px';
    this.body.replaceChildren();
    if (!file) {
      this.banner.replaceChildren(messageBox('info', 'No file chosen', 'Select a function, or follow any frame’s file:line link, to see its source with per-line heat.'));
      this.el.dataset.state = 'empty';
      return;
    }
    const ac = new AbortController();
    this.abort = ac;
    const p = apiParams(state);
    p.set('file', file);
    this.el.dataset.state = 'loading';
    try {
      const a = await api.source(this.ctx.id, p, ac.signal);
      if (ac.signal.aborted) return;
      this.take(a);
      this.readyPending = true; // set once the lines are on screen (render)
    } catch (e) {
      if (isAbort(e)) return;
      this.el.dataset.state = 'error';
      this.banner.replaceChildren(messageBox('error', `Could not load the source of ${file}`, errorText(e)));
    }
  }

  private take(a: SourceAnswer): void {
    const n0 = a.text === null ? 0 : a.text.split('\n').length;
    let maxLine = n0;
    for (const l of a.lines.line) if (l > maxLine) maxLine = l;
    this.lines = a.text === null ? [] : a.text.split('\n');
    while (this.lines.length < maxLine) this.lines.push('');
    this.self = new Float64Array(this.lines.length + 1);
    this.total = new Float64Array(this.lines.length + 1);
    this.maxTotal = 0;
    for (let i = 0; i < a.lines.line.length; i++) {
      const ln = a.lines.line[i];
      if (ln < 1 || ln > this.lines.length) continue;
      this.self[ln] += a.lines.self[i];
      this.total[ln] += a.lines.total[i];
      if (this.total[ln] > this.maxTotal) this.maxTotal = this.total[ln];
    }
    this.banner.replaceChildren(
      a.text === null
        ? messageBox('warning', 'No source text', `The profile does not embed the text of ${a.file} (recorded with --no-source, or not a Python file). Per-line numbers are still shown.`)
        : '',
    );
    this.spacer.style.height = `${this.lines.length * ROW_H}px`;
    this.schedule();
  }

  private schedule(): void {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      this.render();
    });
  }

  private render(): void {
    const n = this.lines.length;
    const vh = this.scroller.clientHeight || 600;
    if (this.pendingLine !== null && n > 0) {
      this.scroller.scrollTop = scrollToRow(this.pendingLine - 1, ROW_H, vh, n);
      this.pendingLine = null;
    }
    const win = rowWindow(this.scroller.scrollTop, vh, ROW_H, n, 20);
    const whole = this.ctx.profile.total_weight || this.maxTotal;
    const unit = this.ctx.profile.weight_unit;
    const rows: HTMLElement[] = [];
    for (let i = win.first; i < win.last; i++) {
      const ln = i + 1;
      const t = this.total[ln];
      const s = this.self[ln];
      const heat = this.maxTotal > 0 ? t / this.maxTotal : 0;
      rows.push(
        h(
          'div.src-line',
          {
            class: ln === this.state.line ? 'marked' : '',
            'data-line': String(ln),
            style: { background: t > 0 ? `rgba(255, ${Math.round(180 - 120 * heat)}, 60, ${(0.12 + 0.55 * heat).toFixed(2)})` : '' },
            title: t > 0 ? `line ${ln}: self ${formatPercent(s, whole)}, total ${formatPercent(t, whole)}` : '',
          },
          h('span.src-num.self', null, s > 0 ? formatWeightCell(s, unit) : ''),
          h('span.src-num.total', null, t > 0 ? formatWeightCell(t, unit) : ''),
          h('span.src-ln', null, String(ln)),
          h('span.src-text', null, this.lines[i]),
        ),
      );
    }
    this.body.style.transform = `translateY(${win.offsetY}px)`;
    this.body.replaceChildren(...rows);
    if (this.readyPending) {
      this.readyPending = false;
      this.el.dataset.state = 'ready';
    }
  }

  destroy(): void {
    this.abort?.abort();
    if (this.raf) cancelAnimationFrame(this.raf);
  }
}
