/*
 * tableview.ts — the function table, like pstats: rows by function (or
 * line, file, package), sortable by self / total / samples / name, filtered
 * by the filter box. The server sorts and filters; the table fetches pages
 * of PAGE rows as they scroll into view and keeps only the visible rows in
 * the DOM (a reused pool), so 200,000 rows scroll like 40.
 *
 * Text filters go to the server (`filter=`); regex filters grey out the
 * rows that do not match instead, since the server filters text only.
 * Click selects the function (shared selection); double-click opens it in
 * the butterfly; the location cell links to its source line.
 */
import { api, errorText, isAbort } from '../api';
import { h, messageBox } from '../dom';
import { makeMatcher } from '../lib/filter';
import { formatPercent, formatWeightCell, shortenPath } from '../lib/format';
import type { FunctionsAnswer } from '../lib/types';
import { apiParams, dataKey, SortKey, ViewState } from '../lib/viewstate';
import { missingPages, PageCache, rowWindow, scrollToRow } from '../lib/vtable';
import { ProfileContext, ProfileView } from './context';

const PAGE = 500;
const ROW_H = 22;

interface Row {
  key: string;
  frame: number;
  line: number;
  self: number;
  total: number;
  samples: number;
  calls: number;
  primitive: number;
  file: string;
}

interface Page {
  rows: Row[];
}

const COLUMNS: { id: string; label: string; sort?: SortKey; cls: string }[] = [
  { id: 'self', label: 'Self', sort: 'self', cls: 'num' },
  { id: 'selfp', label: 'Self %', sort: 'self', cls: 'num pct' },
  { id: 'total', label: 'Total', sort: 'total', cls: 'num' },
  { id: 'totalp', label: 'Total %', sort: 'total', cls: 'num pct' },
  { id: 'samples', label: 'Samples', sort: 'samples', cls: 'num' },
  { id: 'calls', label: 'Calls', cls: 'num calls' },
  { id: 'name', label: 'Name', sort: 'name', cls: 'name' },
  { id: 'loc', label: 'Location', cls: 'loc' },
];

export class TableView implements ProfileView {
  readonly el = h('div.view.table-view');
  private banner = h('div.banner-slot');
  private head = h('div.trow.thead', { role: 'row' });
  private scroller = h('div.tscroll', { 'data-testid': 'table-scroll', tabindex: '0' });
  private spacer = h('div.tspacer');
  private body = h('div.tbody', { role: 'rowgroup' });
  private pool: HTMLElement[] = [];
  private pages = new PageCache<Page>(80);
  private inflight = new Set<number>();
  private count = -1;
  private total = 0;
  private key = '';
  private generation = 0;
  private get genText(): string {
    return String(this.generation);
  }
  private abort: AbortController | null = null;
  private state: ViewState;
  private raf = 0;
  private showCalls = false;
  /** ms from the first request to the first rows on screen (benchmarks read it). */
  firstRowsMs = 0;
  private loadStart = 0;

  constructor(private ctx: ProfileContext) {
    this.state = ctx.store.state;
    this.showCalls = ctx.profile.format === 'pstats' || ctx.profile.weight_unit === 'calls';
    this.el.classList.toggle('with-calls', this.showCalls);
    this.scroller.append(this.spacer);
    this.spacer.append(this.body);
    this.el.append(this.banner, h('div.table', { role: 'table' }, this.head, this.scroller));
    this.scroller.addEventListener('scroll', () => this.schedule());
    this.body.addEventListener('click', this.onClick);
    this.body.addEventListener('dblclick', this.onDblClick);
    new ResizeObserver(() => this.schedule()).observe(this.scroller);
    this.renderHead();
  }

  private params(state: ViewState): URLSearchParams {
    const p = apiParams(state);
    p.set('by', state.by);
    p.set('sort', state.sort);
    p.set('order', state.order);
    if (state.q && !state.regex) p.set('filter', state.q);
    return p;
  }

  update(state: ViewState, prev: ViewState | null): void {
    this.state = state;
    const key = this.params(state).toString() + '|' + dataKey(state);
    if (key !== this.key) {
      this.key = key;
      this.reset();
      this.renderHead();
      return;
    }
    if (!prev || prev.sel !== state.sel || prev.q !== state.q || prev.regex !== state.regex) this.schedule();
  }

  shown(): void {
    this.schedule();
  }

  private reset(): void {
    this.abort?.abort();
    this.abort = new AbortController();
    this.generation++;
    this.pages.clear();
    this.inflight.clear();
    this.count = -1;
    this.scroller.scrollTop = 0;
    this.loadStart = performance.now();
    this.el.dataset.state = 'loading';
    this.fetchPage(0);
  }

  private fetchPage(page: number): void {
    if (this.inflight.has(page)) return;
    this.inflight.add(page);
    const gen = this.generation;
    const p = this.params(this.state);
    p.set('offset', String(page * PAGE));
    p.set('limit', String(PAGE));
    api
      .functions(this.ctx.id, p, this.abort?.signal)
      .then((a) => {
        if (gen !== this.generation) return;
        this.inflight.delete(page);
        this.ctx.learnFrames(a.frames);
        this.pages.set(page, { rows: toRows(a) });
        this.count = a.count;
        this.total = a.total;
        this.banner.replaceChildren(...this.notices());
        this.spacer.style.height = `${this.count * ROW_H}px`;
        this.schedule();
      })
      .catch((e) => {
        if (isAbort(e) || gen !== this.generation) return;
        this.inflight.delete(page);
        this.el.dataset.state = 'error';
        this.banner.replaceChildren(messageBox('error', 'Could not load the function table', errorText(e)));
      });
  }

  private notices(): HTMLElement[] {
    const out: HTMLElement[] = [];
    const m = makeMatcher(this.state.q, this.state.regex);
    if (m.error) out.push(messageBox('warning', 'Filter', m.error));
    if (this.count === 0) out.push(messageBox('info', 'No rows', this.state.q ? `No function matches “${this.state.q}” in this view.` : 'No samples in this view.'));
    return out;
  }

  private schedule(): void {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      this.render();
    });
  }

  private render(): void {
    if (this.count < 0) return;
    const win = rowWindow(this.scroller.scrollTop, this.scroller.clientHeight || 600, ROW_H, this.count, 10);
    for (const p of missingPages(win.first, win.last, PAGE, (k) => this.pages.has(k))) this.fetchPage(p);
    // One page ahead either way, so a steady scroll never waits.
    const ahead = missingPages(Math.max(0, win.first - PAGE), Math.min(this.count, win.last + PAGE), PAGE, (k) => this.pages.has(k) || this.inflight.has(k));
    for (const p of ahead) this.fetchPage(p);
    // Each row element is pinned to the index it shows (index mod pool
    // size) at its own offset, so a scroll step rewrites only the rows
    // that came into view.
    const need = win.last - win.first;
    if (this.pool.length < need) {
      while (this.pool.length < need) {
        const r = h('div.trow', { role: 'row' }, ...COLUMNS.map((c) => h('span', { class: c.cls, role: 'cell' })));
        this.pool.push(r);
        this.body.append(r);
      }
      for (const el of this.pool) el.dataset.index = '';
    }
    const m = makeMatcher(this.state.q, this.state.regex);
    const regexDims = this.state.regex && m.active;
    const unit = this.ctx.profile.weight_unit;
    const n = this.pool.length;
    const used = new Uint8Array(n);
    let shown = 0;
    for (let idx = win.first; idx < win.last; idx++) {
      const el = this.pool[idx % n];
      used[idx % n] = 1;
      el.hidden = false;
      const page = this.pages.get(Math.floor(idx / PAGE));
      const row = page?.rows[idx - Math.floor(idx / PAGE) * PAGE];
      const key = row ? `${idx}` : `${idx}?`;
      let cls = 'trow';
      if (row) {
        shown++;
        if (row.frame >= 0 && row.frame === this.state.sel) cls += ' selected';
        if (regexDims && row.frame >= 0) {
          const info = this.ctx.frames[String(row.frame)];
          if (info && !m.test(info)) cls += ' dim';
        }
      } else cls += ' loading';
      if (el.className !== cls) el.className = cls;
      if (el.dataset.index === key && el.dataset.gen === this.genText) continue;
      el.dataset.index = key;
      el.dataset.gen = this.genText;
      el.style.transform = `translateY(${idx * ROW_H}px)`;
      const cells = el.children as HTMLCollectionOf<HTMLElement>;
      if (!row) {
        for (let c = 0; c < cells.length; c++) cells[c].textContent = c === 6 ? '…' : '';
        continue;
      }
      cells[0].textContent = formatWeightCell(row.self, unit);
      cells[1].textContent = formatPercent(row.self, this.total);
      cells[1].style.setProperty('--p', String(this.total > 0 ? row.self / this.total : 0));
      cells[2].textContent = formatWeightCell(row.total, unit);
      cells[3].textContent = formatPercent(row.total, this.total);
      cells[3].style.setProperty('--p', String(this.total > 0 ? row.total / this.total : 0));
      cells[4].textContent = String(row.samples);
      cells[5].textContent = row.calls > 0 ? (row.primitive && row.primitive !== row.calls ? `${row.calls}/${row.primitive}` : String(row.calls)) : '';
      cells[6].textContent = row.key;
      cells[6].title = row.key;
      cells[7].textContent = row.file ? `${shortenPath(row.file, 40)}:${row.line > 0 ? row.line : ''}` : '';
      cells[7].title = row.file ? 'Open the source at this line' : '';
      el.dataset.frame = String(row.frame);
    }
    for (let k = 0; k < n; k++) if (!used[k]) el_hide(this.pool[k]);
    if (shown > 0 && this.el.dataset.state !== 'ready') {
      this.firstRowsMs = performance.now() - this.loadStart;
      this.el.dataset.firstRowsMs = this.firstRowsMs.toFixed(1);
      this.el.dataset.readyAt = performance.now().toFixed(1);
      this.el.dataset.state = 'ready';
    }
    this.el.dataset.count = String(this.count);
  }

  private renderHead(): void {
    const s = this.state;
    this.head.replaceChildren(
      ...COLUMNS.map((c) => {
        const active = c.sort === s.sort && (c.id === c.sort || c.id === 'name');
        const arrow = active ? (s.order === 'desc' ? ' ▼' : ' ▲') : '';
        return h(
          'span',
          {
            class: c.cls + (c.sort ? ' sortable' : '') + (active ? ' active' : ''),
            role: 'columnheader',
            'data-sort': c.sort,
            onclick: c.sort ? () => this.sortBy(c.sort!) : undefined,
          },
          c.label + arrow,
        );
      }),
    );
  }

  private sortBy(k: SortKey): void {
    const s = this.state;
    const order = s.sort === k ? (s.order === 'desc' ? 'asc' : 'desc') : k === 'name' ? 'asc' : 'desc';
    this.ctx.store.set({ sort: k, order });
  }

  private rowOf(ev: MouseEvent): Row | null {
    const el = (ev.target as HTMLElement).closest('.trow') as HTMLElement | null;
    if (!el || !el.dataset.index || el.dataset.index.endsWith('?')) return null;
    const idx = Number(el.dataset.index);
    const page = this.pages.get(Math.floor(idx / PAGE));
    return page?.rows[idx % PAGE] ?? null;
  }

  private onClick = (ev: MouseEvent) => {
    const row = this.rowOf(ev);
    if (!row) return;
    if ((ev.target as HTMLElement).classList.contains('loc') && row.file) {
      this.ctx.store.set({ view: 'source', file: row.file, line: row.line > 0 ? row.line : null, sel: row.frame >= 0 ? row.frame : this.state.sel });
      return;
    }
    if (row.frame >= 0) this.ctx.store.set({ sel: row.frame }, 'replace');
  };

  private onDblClick = (ev: MouseEvent) => {
    const row = this.rowOf(ev);
    if (row && row.frame >= 0) this.ctx.store.set({ view: 'butterfly', sel: row.frame });
  };

  /** Keyboard: arrows move the selection through the loaded rows. */
  key_(ev: KeyboardEvent): boolean {
    if (ev.key !== 'ArrowDown' && ev.key !== 'ArrowUp') return false;
    const sel = this.state.sel;
    let idx = -1;
    for (const el of this.pool) if (!el.hidden && el.dataset.frame === String(sel) && el.dataset.index) idx = parseInt(el.dataset.index, 10);
    const next = Math.max(0, Math.min(this.count - 1, idx + (ev.key === 'ArrowDown' ? 1 : -1)));
    const page = this.pages.get(Math.floor(next / PAGE));
    const row = page?.rows[next % PAGE];
    if (row && row.frame >= 0) {
      this.ctx.store.set({ sel: row.frame }, 'replace');
      const top = this.scroller.scrollTop;
      const vh = this.scroller.clientHeight;
      if (next * ROW_H < top || (next + 1) * ROW_H > top + vh) this.scroller.scrollTop = scrollToRow(next, ROW_H, vh, this.count);
    }
    return true;
  }

  destroy(): void {
    this.abort?.abort();
    if (this.raf) cancelAnimationFrame(this.raf);
  }
}

function el_hide(el: HTMLElement): void {
  el.hidden = true;
  el.dataset.index = '';
}

function toRows(a: FunctionsAnswer): Row[] {
  const r = a.rows;
  const out: Row[] = new Array(r.key.length);
  for (let i = 0; i < r.key.length; i++) {
    const f = r.frame[i];
    const info = f >= 0 ? a.frames[String(f)] : undefined;
    out[i] = {
      key: r.key[i],
      frame: f,
      line: r.line[i] >= 0 ? r.line[i] : (info?.[2] ?? -1),
      self: r.self[i],
      total: r.total[i],
      samples: r.samples[i],
      calls: r.calls?.[i] ?? 0,
      primitive: r.primitive_calls?.[i] ?? 0,
      file: info && info[1] !== '~' ? info[1] : '', // '~': a built-in, which has no file
    };
  }
  return out;
}
