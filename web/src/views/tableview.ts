/*
 * tableview.ts — the function table, like pstats: rows by function (or
 * line, file, package), sortable by self / total / samples / name, filtered
 * by the filter box. The server sorts and filters; the table fetches pages
 * of PAGE rows as they scroll into view and keeps only the visible rows in
 * the DOM (a reused pool), so 200,000 rows scroll like 40.
 *
 * The filter box hides the rows it does not match ("N of M functions"
 * says how many are left): text filters go to the server (`filter=`);
 * regex filters, which the server does not take, are applied here to
 * every row, fetched in large pages in the server's order (the table
 * fills as the scan proceeds and says how far it got), and the matching
 * rows are kept. "grey out instead" (tgrey=1) keeps every row and greys
 * the ones that do not match, as the other views do. A regex that does
 * not compile is an inline error, and filters nothing.
 * Click selects the function (shared selection); double-click opens it in
 * the butterfly; the location cell links to its source line.
 */
import { api, errorText, isAbort } from '../api';
import { h, messageBox } from '../dom';
import { makeMatcher, Matcher, rowMatches } from '../lib/filter';
import { formatCount, formatPercent, formatWeightCell, shortenPath } from '../lib/format';
import type { FrameDict, FunctionsAnswer } from '../lib/types';
import { apiParams, dataKey, SortKey, ViewState } from '../lib/viewstate';
import { missingPages, PageCache, rowWindow, scrollToRow } from '../lib/vtable';
import { ProfileContext, ProfileView } from './context';

const PAGE = 500;
const ROW_H = 22;
/** Rows per request while a regex filter scans the whole table. */
const SCAN_PAGE = 20000;
/** Typing pauses this long before a regex scan starts. */
const SCAN_DELAY_MS = 120;
const NOUNS: Record<string, string> = { function: 'functions', line: 'lines', file: 'files', package: 'packages' };

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
  private status = h('div.table-status', { 'data-testid': 'table-status' });
  private head = h('div.trow.thead', { role: 'row' });
  private scroller = h('div.tscroll', { 'data-testid': 'table-scroll', tabindex: '0' });
  private spacer = h('div.tspacer');
  private body = h('div.tbody', { role: 'rowgroup' });
  private pool: HTMLElement[] = [];
  private pages = new PageCache<Page>(80);
  /** Regex filter, hiding: the matching rows in the server's order (else null). */
  private local: Row[] | null = null;
  private scanned = 0; // rows the regex scan has looked at
  private scanning = false;
  private scanTimer = 0;
  /** Rows without the filter (for "N of M"); -1 while unknown. */
  private unfiltered = -1;
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
    this.el.append(this.banner, this.status, h('div.table', { role: 'table' }, this.head, this.scroller));
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
    if (state.q && !state.regex && !state.tableGrey) p.set('filter', state.q);
    return p;
  }

  /** The regex filter that hides rows, or null (no regex, a bad one, or grey mode). */
  private scanMatcher(state: ViewState): Matcher | null {
    if (!state.regex || state.tableGrey) return null;
    const m = makeMatcher(state.q, true);
    return m.active ? m : null;
  }

  update(state: ViewState, prev: ViewState | null): void {
    this.state = state;
    const scan = this.scanMatcher(state);
    const key = this.params(state).toString() + '|' + dataKey(state) + (scan ? '|re:' + state.q : '');
    if (key !== this.key) {
      this.key = key;
      this.reset();
      this.renderHead();
      return;
    }
    if (!prev || prev.sel !== state.sel || prev.q !== state.q || prev.regex !== state.regex) this.schedule();
    this.renderStatus();
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
    window.clearTimeout(this.scanTimer);
    this.count = -1;
    this.local = null;
    this.scanning = false;
    this.unfiltered = -1;
    this.scroller.scrollTop = 0;
    this.loadStart = performance.now();
    this.el.dataset.state = 'loading';
    const scan = this.scanMatcher(this.state);
    if (scan) {
      this.local = [];
      this.scanning = true;
      this.scanned = 0;
      const gen = this.generation;
      this.scanTimer = window.setTimeout(() => void this.scan(gen, scan), SCAN_DELAY_MS);
    } else {
      this.fetchPage(0);
      if (this.state.q && !this.state.regex && !this.state.tableGrey) this.fetchUnfiltered();
    }
    this.renderStatus();
  }

  /** How many rows there are without the text filter (one cheap request). */
  private fetchUnfiltered(): void {
    const gen = this.generation;
    const p = this.params(this.state);
    p.delete('filter');
    p.set('limit', '1');
    api
      .functions(this.ctx.id, p, this.abort?.signal)
      .then((a) => {
        if (gen !== this.generation) return;
        this.unfiltered = a.count;
        this.renderStatus();
      })
      .catch(() => {
        // The filtered request reports any error; the status just says "N functions".
      });
  }

  /**
   * The regex filter: every row, SCAN_PAGE at a time in the server's
   * order, keeping those that match. Rows show as they are found.
   */
  private async scan(gen: number, m: Matcher): Promise<void> {
    const signal = this.abort?.signal;
    const rows = this.local!;
    try {
      for (let offset = 0; ; offset += SCAN_PAGE) {
        const p = this.params(this.state);
        p.set('offset', String(offset));
        p.set('limit', String(SCAN_PAGE));
        const a = await api.functions(this.ctx.id, p, signal);
        if (gen !== this.generation) return;
        const learned: FrameDict = {};
        for (const row of toRows(a)) {
          const info = row.frame >= 0 ? a.frames[String(row.frame)] : undefined;
          if (!rowMatches(m, row.key, info)) continue;
          rows.push(row);
          if (info) learned[String(row.frame)] = info;
        }
        this.unfiltered = a.count;
        this.total = a.total;
        this.scanned = Math.min(a.count, offset + SCAN_PAGE);
        this.count = rows.length;
        this.spacer.style.height = `${this.count * ROW_H}px`;
        if (this.scanned >= a.count) this.scanning = false;
        this.ctx.learnFrames(learned);
        this.banner.replaceChildren(...this.notices());
        this.renderStatus();
        this.schedule();
        if (!this.scanning) return;
      }
    } catch (e) {
      if (isAbort(e) || gen !== this.generation) return;
      this.scanning = false;
      this.el.dataset.state = 'error';
      this.banner.replaceChildren(messageBox('error', 'Could not load the function table', errorText(e)));
      this.renderStatus();
    }
  }

  /** "N of M functions", the scan's progress, the inline regex error, and the grey-out toggle. */
  private renderStatus(): void {
    const s = this.state;
    const m = makeMatcher(s.q, s.regex);
    const noun = NOUNS[s.by] ?? 'rows';
    const parts: (HTMLElement | string)[] = [];
    const hiding = m.active && !s.tableGrey;
    if (this.count >= 0) {
      const text = hiding ? `${formatCount(this.count)} of ${this.unfiltered >= 0 ? formatCount(this.unfiltered) : '…'} ${noun}` : `${formatCount(this.count)} ${noun}`;
      parts.push(h('span.count', { 'data-testid': 'table-count' }, text));
    } else parts.push(h('span.count', { 'data-testid': 'table-count' }, `… ${noun}`));
    if (this.scanning) parts.push(h('span.scan', null, ` · filtering: ${formatCount(this.scanned)} of ${this.unfiltered >= 0 ? formatCount(this.unfiltered) : '…'} looked at`));
    if (m.active && s.tableGrey) parts.push(h('span.hint', null, ' · rows that do not match are greyed out'));
    if (m.error) parts.push(h('span.filter-error', { 'data-testid': 'table-filter-error', role: 'alert' }, ` Filter: ${m.error}; showing every row.`));
    parts.push(
      h(
        'label.check',
        { title: 'Keep every row and grey out those the filter does not match, instead of hiding them' },
        h('input', { type: 'checkbox', checked: s.tableGrey, 'data-testid': 'table-grey', onchange: (ev: Event) => this.ctx.store.set({ tableGrey: (ev.target as HTMLInputElement).checked }, 'replace') }),
        'grey out instead of hiding',
      ),
    );
    this.status.replaceChildren(...parts);
    this.el.dataset.count = String(Math.max(0, this.count));
    this.el.dataset.unfiltered = String(this.unfiltered);
    this.el.dataset.scanning = this.scanning ? '1' : '0';
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
        if (!this.state.q || this.state.tableGrey) this.unfiltered = a.count;
        this.banner.replaceChildren(...this.notices());
        this.spacer.style.height = `${this.count * ROW_H}px`;
        this.renderStatus();
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
    if (this.count === 0 && !this.scanning) out.push(messageBox('info', 'No rows', this.state.q ? `No function matches “${this.state.q}” in this view.` : 'No samples in this view.'));
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
    if (!this.local) {
      for (const p of missingPages(win.first, win.last, PAGE, (k) => this.pages.has(k))) this.fetchPage(p);
      // One page ahead either way, so a steady scroll never waits.
      const ahead = missingPages(Math.max(0, win.first - PAGE), Math.min(this.count, win.last + PAGE), PAGE, (k) => this.pages.has(k) || this.inflight.has(k));
      for (const p of ahead) this.fetchPage(p);
    }
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
    const greys = this.state.tableGrey && m.active;
    const unit = this.ctx.profile.weight_unit;
    const n = this.pool.length;
    const used = new Uint8Array(n);
    let shown = 0;
    for (let idx = win.first; idx < win.last; idx++) {
      const el = this.pool[idx % n];
      used[idx % n] = 1;
      el.hidden = false;
      const row = this.rowAt(idx);
      const key = row ? `${idx}` : `${idx}?`;
      let cls = 'trow';
      if (row) {
        shown++;
        if (row.frame >= 0 && row.frame === this.state.sel) cls += ' selected';
        if (greys && !rowMatches(m, row.key, row.frame >= 0 ? this.ctx.frames[String(row.frame)] : undefined)) cls += ' dim';
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
    if ((shown > 0 || (this.count === 0 && !this.scanning)) && this.el.dataset.state !== 'ready') {
      this.firstRowsMs = performance.now() - this.loadStart;
      this.el.dataset.firstRowsMs = this.firstRowsMs.toFixed(1);
      this.el.dataset.readyAt = performance.now().toFixed(1);
      this.el.dataset.state = 'ready';
    }
  }

  /** Row `idx` of what the table shows, or undefined while its page loads. */
  private rowAt(idx: number): Row | undefined {
    if (this.local) return this.local[idx];
    return this.pages.get(Math.floor(idx / PAGE))?.rows[idx % PAGE];
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
    return this.rowAt(Number(el.dataset.index)) ?? null;
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
    const row = this.rowAt(next);
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
    window.clearTimeout(this.scanTimer);
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
