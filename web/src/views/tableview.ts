/*
 * tableview.ts — the function table, like pstats: rows by function (or
 * line, file, package), sortable by self / total / samples / name, filtered
 * by the filter box. The server sorts and filters; the table fetches pages
 * of PAGE rows as they scroll into view and keeps only the visible rows in
 * the DOM (a reused pool), so 200,000 rows scroll like 40.
 *
 * The filter box hides the rows it does not match, on the server: text as
 * `filter=`, a regex as `match=` (PCRE2 there, docs/api.md), and every
 * answer says how many rows there are with and without the filter, so
 * "N of M functions" comes from one request. "grey out instead" (tgrey=1)
 * asks with `mark=1`: every row, each flagged as matching or not by the
 * same server filter, so toggling grey-out never changes which rows match
 * and the count of matches is exact over all rows. A regex that does not
 * compile (in the browser, or on the server, which names PCRE2's reason)
 * is an inline error, and filters nothing.
 *
 * Scrolling costs per frame only the rows that came into view: the pool is
 * sized once for the tallest window, each pooled row is pinned to index
 * mod pool size, keeps what it shows in plain arrays (no DOM reads), writes
 * a cell's text into the cell's one text node only when it changed (no
 * nodes made, nothing re-styled), and the status line and spacer are
 * touched only when what they say changes. A row is no grid: its cells
 * sit at fixed offsets, each contained (app.css), so new text lays out its
 * cell alone; its two bars are the row's own backgrounds, so a row that
 * moves restyles itself and none of its cells (bench/web --table --scroll
 * --trace: 55 elements restyled a frame at 720 rows/s before, 32 after).
 * Click selects the function (shared selection); double-click opens it in
 * the butterfly; the location cell links to its source line.
 */
import { api, ApiError, errorText, isAbort } from '../api';
import { h, messageBox } from '../dom';
import { tableCountText, tableFilter } from '../lib/filter';
import { formatCount, formatPercent, formatWeightCell, shortenPath } from '../lib/format';
import type { FrameInfo, FunctionRows, FunctionsAnswer } from '../lib/types';
import { changeKind, Debouncer, Generations, Ticket } from '../lib/latest';
import { apiParams, dataKey, SortKey, ViewState } from '../lib/viewstate';
import { aheadWindow, leadFrames, missingPages, PageCache, rowWindow, scrollToRow } from '../lib/vtable';
import { ProfileContext, ProfileView } from './context';

const PAGE = 500;
const ROW_H = 22;
/** The Self % and Total % cells' right edges and width in a body row (px; app.css places the cells). */
const SELF_PCT_RIGHT = 150;
const TOTAL_PCT_RIGHT = 300;
const PCT_W = 70;
/** Rows kept beyond each edge of the viewport: enough for a wheel step, few to redraw. */
const OVERSCAN = 4;
/** A frame at 60 Hz, the unit of a fling's speed (rows a frame) and of its lead. */
const FRAME_MS = 1000 / 60;
/**
 * How long the filter box must be still before the table asks the server:
 * typing "leaf_deep" then sends one request, not nine, and 150 ms is
 * below what a reader notices as a lag after the last key.
 */
export const FILTER_DEBOUNCE_MS = 150;
const NOUNS: Record<string, string> = { function: 'functions', line: 'lines', file: 'files', package: 'packages' };

/** The functions answer with the parts the table asks for (docs/api.md). */
interface TableAnswer extends FunctionsAnswer {
  unfiltered?: number;
  matched?: number;
  rows: FunctionRows & { match?: number[] };
}

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
  /** False when grey-out mode's filter does not match the row. */
  match: boolean;
  /** The frame's entry of the answer's frames (function and line rows). */
  info?: FrameInfo;
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
  /** What each pooled row shows: its row index ('' none), loaded or not, its class. */
  private poolIndex: number[] = [];
  private poolLoaded: boolean[] = [];
  private poolClass: string[] = [];
  private poolUsed = new Uint8Array(0);
  /** What each pooled cell's text node, percent bar and title say (row k, cell c at k * columns + c). */
  private cellText: string[] = [];
  private cellBar = new Float64Array(0);
  private cellTitle: string[] = [];
  private pages = new PageCache<Page>(80);
  /** Rows without the filter (for "N of M"); -1 while unknown. */
  private unfiltered = -1;
  /** Grey-out mode: how many rows match; -1 while unknown. */
  private matched = -1;
  private inflight = new Set<number>();
  private count = -1;
  private total = 0;
  /** A regex the server refused (PCRE2 differs from JavaScript here), and why. */
  private rejected: { q: string; message: string } | null = null;
  private statusText = '';
  private bannerText = '';
  private spacerRows = -1;
  /** scrollTop at the last render (-1: none since the last reset), and when that render ran. */
  private lastTop = -1;
  private lastAt = 0;
  /** A page request's round trip, smoothed (ms; 0 until one is measured): how far ahead a scroll asks. */
  private fetchMs = 0;
  /** The request generation of the applied state: sort, filter and pages share it. */
  private gens = new Generations();
  /** The server query of the applied state (what every page of this generation asks). */
  private query = new URLSearchParams();
  /** What the applied state asks the server, whole and without the filter box's text. */
  private applied: { key: string; rest: string } | null = null;
  /** Waits for a pause in typing before the filter box's text is applied. */
  private typing = new Debouncer(FILTER_DEBOUNCE_MS);
  private state: ViewState;
  /** The state whose rows the table shows (this.state lags it while typing). */
  private shownState: ViewState;
  private raf = 0;
  private showCalls = false;
  /** ms from the first request to the first rows on screen (benchmarks read it). */
  firstRowsMs = 0;
  private loadStart = 0;

  constructor(private ctx: ProfileContext) {
    this.state = ctx.store.state;
    this.shownState = this.state;
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
    const f = tableFilter(state.q, state.regex, state.tableGrey, this.rejected);
    if (f.match !== null) p.set('match', f.match);
    if (f.filter !== null) p.set('filter', f.filter);
    if (f.mark) p.set('mark', '1');
    return p;
  }

  /** What `state` asks the server: whole, and with the filter box's text left out. */
  private keys(state: ViewState): { key: string; rest: string } {
    const key = this.params(state).toString() + '|' + dataKey(state);
    const rest = [this.params({ ...state, q: '' }).toString(), dataKey(state), state.regex, state.tableGrey].join('|');
    return { key, rest };
  }

  update(state: ViewState, prev: ViewState | null): void {
    this.state = state;
    const next = this.keys(state);
    const kind = changeKind(this.applied, next);
    if (kind === 'now') {
      this.typing.cancel();
      this.apply(next);
      return;
    }
    if (kind === 'debounce') {
      // Typing: keep showing (and fetching) the applied state's rows until
      // the box is still; only the last text is sent.
      this.typing.schedule(() => this.apply(this.keys(this.state)));
    } else this.typing.cancel(); // typed back to what is shown
    if (!prev || prev.sel !== state.sel) this.schedule();
    this.renderStatus();
  }

  /** Makes `k` (the current state's keys) the applied state and asks for its rows. */
  private apply(k: { key: string; rest: string }): void {
    this.applied = k;
    this.reset();
    this.renderHead();
  }

  shown(): void {
    this.schedule();
  }

  private reset(): void {
    this.gens.begin(); // aborts the superseded state's requests
    this.shownState = this.state;
    this.query = this.params(this.state);
    this.el.dataset.query = this.query.toString(); // what the rows answer (tests and benchmarks wait on it)
    this.pages.clear();
    this.inflight.clear();
    this.count = -1;
    this.unfiltered = -1;
    this.matched = -1;
    this.poolIndex.fill(-1);
    this.lastTop = -1;
    this.lastAt = 0;
    this.scroller.scrollTop = 0;
    this.loadStart = performance.now();
    this.el.dataset.state = 'loading';
    this.fetchPage(0);
    this.renderStatus();
  }

  /** "N of M functions", the matches in grey-out mode, the inline regex error, and the grey-out toggle. */
  private renderStatus(): void {
    const s = this.shownState; // what the rows are, not text still being typed
    const f = tableFilter(s.q, s.regex, s.tableGrey, this.rejected);
    const active = f.match !== null || f.filter !== null;
    const noun = NOUNS[s.by] ?? 'rows';
    const text = tableCountText(this.count, this.unfiltered, noun, active && !s.tableGrey, formatCount);
    const greyNote = active && s.tableGrey ? ` · ${this.matched >= 0 ? formatCount(this.matched) : '…'} match; the others are greyed out` : '';
    const sig = [text, greyNote, f.error ?? '', s.tableGrey].join('\u0000');
    this.el.dataset.count = String(Math.max(0, this.count));
    this.el.dataset.unfiltered = String(this.unfiltered);
    this.el.dataset.matched = String(this.matched);
    if (sig === this.statusText) return; // unchanged: no DOM work while pages stream in
    this.statusText = sig;
    const parts: (HTMLElement | string)[] = [h('span.count', { 'data-testid': 'table-count' }, text)];
    if (greyNote) parts.push(h('span.hint', { 'data-testid': 'table-matched' }, greyNote));
    if (f.error) parts.push(h('span.filter-error', { 'data-testid': 'table-filter-error', role: 'alert' }, ` Filter: ${f.error}; showing every row.`));
    parts.push(
      h(
        'label.check',
        { title: 'Keep every row and grey out those the filter does not match, instead of hiding them' },
        h('input', { type: 'checkbox', checked: s.tableGrey, 'data-testid': 'table-grey', onchange: (ev: Event) => this.ctx.store.set({ tableGrey: (ev.target as HTMLInputElement).checked }, 'replace') }),
        'grey out instead of hiding',
      ),
    );
    this.status.replaceChildren(...parts);
  }

  private fetchPage(page: number): void {
    const ticket: Ticket | null = this.gens.now;
    if (!ticket || this.inflight.has(page)) return;
    this.inflight.add(page);
    const asked = performance.now();
    // The applied state's query, not this.state's: while the user types,
    // this.state already holds text the table has not applied yet.
    const p = new URLSearchParams(this.query);
    p.set('offset', String(page * PAGE));
    p.set('limit', String(PAGE));
    api
      .functions<TableAnswer>(this.ctx.id, p, ticket.signal)
      .then((a) => {
        if (!this.gens.current(ticket)) return; // a newer state asked since
        this.inflight.delete(page);
        const ms = performance.now() - asked;
        this.fetchMs = this.fetchMs > 0 ? 0.7 * this.fetchMs + 0.3 * ms : ms;
        this.pages.set(page, { rows: toRows(a) });
        this.count = a.count;
        this.total = a.total;
        this.unfiltered = a.unfiltered ?? (p.has('match') || p.has('filter') ? -1 : a.count);
        this.matched = a.matched ?? -1;
        this.setBanner();
        if (this.spacerRows !== this.count) {
          this.spacerRows = this.count;
          this.spacer.style.height = `${this.count * ROW_H}px`;
        }
        this.renderStatus();
        this.schedule();
      })
      .catch((e) => {
        if (isAbort(e) || !this.gens.current(ticket)) return;
        this.inflight.delete(page);
        if (e instanceof ApiError && e.status === 400 && e.message.startsWith('parameter match:') && p.has('match')) {
          // JavaScript took the regex, PCRE2 did not: say why, and show every row.
          this.rejected = { q: p.get('match')!, message: e.message.replace(/^parameter match: /, '').replace(/ \(HTTP 400\)$/, '') };
          this.typing.cancel();
          this.apply(this.keys(this.state));
          return;
        }
        this.el.dataset.state = 'error';
        this.bannerText = '';
        this.banner.replaceChildren(messageBox('error', 'Could not load the function table', errorText(e)));
      });
  }

  private setBanner(): void {
    const empty = this.count === 0;
    const q = this.shownState.q;
    const text = empty ? (q ? `No function matches “${q}” in this view.` : 'No samples in this view.') : '';
    if (text === this.bannerText) return;
    this.bannerText = text;
    this.banner.replaceChildren(...(text ? [messageBox('info', 'No rows', text)] : []));
  }

  private schedule(): void {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      this.render();
    });
  }

  private newRow(): HTMLElement {
    // Each cell holds one text node for its whole life: a new row's text is
    // written into it (nodeValue), so the browser re-shapes the text but
    // builds no new nodes and re-styles nothing.
    const r = h('div.trow', { role: 'row' }, ...COLUMNS.map((c) => h('span', { class: c.cls, role: 'cell' }, document.createTextNode(''))));
    return r;
  }

  /**
   * Grows the pool to `need` rows. The pool is sized once for the tallest
   * window the viewport can show: a pool that grew while scrolling would
   * change every row's slot (index mod pool size) and rewrite them all in
   * one frame (the first frame of every scroll, before).
   */
  private growPool(need: number): void {
    if (this.pool.length >= need) return;
    while (this.pool.length < need) {
      const r = this.newRow();
      this.pool.push(r);
      this.body.append(r);
    }
    // Every slot moves (index mod n changed), but what the old rows' cells
    // hold is still true: keep it, so the rewrite skips what stays.
    const n = this.pool.length;
    const old = this.cellText.length / COLUMNS.length;
    this.poolIndex = new Array(n).fill(-1);
    this.poolLoaded = new Array(n).fill(false);
    this.poolClass = this.pool.map((r) => r.className);
    this.poolUsed = new Uint8Array(n);
    this.cellText = this.cellText.concat(new Array((n - old) * COLUMNS.length).fill(''));
    const bars = new Float64Array(n * 2).fill(-1);
    bars.set(this.cellBar);
    this.cellBar = bars;
    this.cellTitle = this.cellTitle.concat(new Array((n - old) * 2).fill(''));
  }

  /** Writes cell `c` of pooled row `k` when what it says changed (no DOM read). */
  private setCell(k: number, cells: HTMLCollectionOf<HTMLElement>, c: number, text: string): void {
    const at = k * COLUMNS.length + c;
    if (this.cellText[at] === text) return;
    this.cellText[at] = text;
    (cells[c].firstChild as Text).nodeValue = text;
  }

  /**
   * Sizes the row's two bars (shares `self` and `total` of 1) under its
   * Self % and Total % cells, only when one moves. The bars are the row's
   * own backgrounds, so this restyles the row and none of its cells.
   */
  private setBars(k: number, el: HTMLElement, self: number, total: number): void {
    if (this.cellBar[k * 2] === self && this.cellBar[k * 2 + 1] === total) return;
    this.cellBar[k * 2] = self;
    this.cellBar[k * 2 + 1] = total;
    const a = Math.round(self * PCT_W);
    const b = Math.round(total * PCT_W);
    el.style.backgroundSize = `${a}px 100%, ${b}px 100%`;
    el.style.backgroundPosition = `${SELF_PCT_RIGHT - a}px 0, ${TOTAL_PCT_RIGHT - b}px 0`;
  }

  private setTitle(k: number, cells: HTMLCollectionOf<HTMLElement>, which: 0 | 1, title: string): void {
    const at = k * 2 + which;
    if (this.cellTitle[at] === title) return;
    this.cellTitle[at] = title;
    cells[which === 0 ? 6 : 7].title = title;
  }

  private render(): void {
    if (this.count < 0) return;
    const top = this.scroller.scrollTop;
    const vh = this.scroller.clientHeight || 600;
    const win = rowWindow(top, vh, ROW_H, this.count, OVERSCAN);
    // A fling (more than two screens since the last frame) fetches nothing
    // and shows placeholders: each row is on screen for less than a frame,
    // and real rows would cost a rewrite of every row each frame (measured
    // by bench/web --table --trace with pages fetched ahead of the fling:
    // main thread 17 ms a frame against 4 with placeholders, 26 fps against
    // 60). The frame after it stops fetches what is on screen. A scroll
    // slower than that asks also for the rows it will reach when the
    // answer arrives (its speed times the measured round trip), so it
    // does not run into placeholders.
    const now = performance.now();
    const flinging = this.lastTop >= 0 && Math.abs(top - this.lastTop) > 2 * vh;
    const frames = this.lastAt > 0 ? Math.max(1, (now - this.lastAt) / FRAME_MS) : 1;
    const rowsPerFrame = this.lastTop >= 0 ? (top - this.lastTop) / ROW_H / frames : 0;
    this.lastTop = top;
    this.lastAt = now;
    if (flinging) this.schedule();
    else {
      const known = (k: number) => this.pages.has(k) || this.inflight.has(k);
      for (const p of missingPages(win.first, win.last, PAGE, (k) => this.pages.has(k))) this.fetchPage(p);
      // One page ahead either way, so a steady scroll never waits, and
      // where the scroll will be when a request sent now is answered.
      for (const p of missingPages(Math.max(0, win.first - PAGE), Math.min(this.count, win.last + PAGE), PAGE, known)) this.fetchPage(p);
      const soon = aheadWindow(win.first, win.last, rowsPerFrame, leadFrames(this.fetchMs, FRAME_MS), this.count);
      for (const p of missingPages(soon.first, soon.last, PAGE, known)) this.fetchPage(p);
    }
    // Each row element is pinned to the index it shows (index mod pool
    // size) at its own offset, so a scroll step rewrites only the rows
    // that came into view.
    // The most rows any scroll position of this viewport shows.
    this.growPool(Math.min(this.count, Math.ceil(vh / ROW_H) + 1 + 2 * OVERSCAN));
    const unit = this.ctx.profile.weight_unit;
    const sel = this.state.sel;
    const n = this.pool.length;
    const used = this.poolUsed;
    used.fill(0);
    let shown = 0;
    for (let idx = win.first; idx < win.last; idx++) {
      const k = idx % n;
      const el = this.pool[k];
      used[k] = 1;
      const row = this.rowAt(idx);
      let cls = 'trow';
      if (row) {
        shown++;
        if (row.frame >= 0 && row.frame === sel) cls += ' selected';
        if (!row.match) cls += ' dim';
      } else cls += ' loading';
      if (this.poolClass[k] !== cls) {
        this.poolClass[k] = cls;
        el.className = cls;
      }
      if (el.hidden) el.hidden = false;
      if (this.poolIndex[k] === idx && this.poolLoaded[k] === !!row) continue;
      const wasPlaceholder = this.poolIndex[k] >= 0 && !this.poolLoaded[k];
      if (this.poolIndex[k] !== idx) el.style.transform = `translateY(${idx * ROW_H}px)`;
      this.poolIndex[k] = idx;
      this.poolLoaded[k] = !!row;
      el.dataset.index = row ? `${idx}` : `${idx}?`;
      const cells = el.children as HTMLCollectionOf<HTMLElement>;
      if (!row) {
        // A placeholder that moves keeps its cells: during a fling most
        // rows are placeholders, and this leaves them nothing to lay out.
        if (!wasPlaceholder) {
          for (let c = 0; c < cells.length; c++) this.setCell(k, cells, c, c === 6 ? '…' : '');
          this.setBars(k, el, 0, 0);
        }
        continue;
      }
      this.setCell(k, cells, 0, formatWeightCell(row.self, unit));
      this.setCell(k, cells, 1, formatPercent(row.self, this.total));
      this.setCell(k, cells, 2, formatWeightCell(row.total, unit));
      this.setCell(k, cells, 3, formatPercent(row.total, this.total));
      this.setBars(k, el, this.total > 0 ? row.self / this.total : 0, this.total > 0 ? row.total / this.total : 0);
      this.setCell(k, cells, 4, String(row.samples));
      this.setCell(k, cells, 5, row.calls > 0 ? (row.primitive && row.primitive !== row.calls ? `${row.calls}/${row.primitive}` : String(row.calls)) : '');
      this.setCell(k, cells, 6, row.key);
      this.setTitle(k, cells, 0, row.key);
      this.setCell(k, cells, 7, row.file ? `${shortenPath(row.file, 40)}:${row.line > 0 ? row.line : ''}` : '');
      this.setTitle(k, cells, 1, row.file ? 'Open the source at this line' : '');
      el.dataset.frame = String(row.frame);
    }
    for (let k = 0; k < n; k++) {
      if (used[k] || this.pool[k].hidden) continue;
      this.pool[k].hidden = true;
      this.pool[k].dataset.index = '';
      this.poolIndex[k] = -1;
    }
    if ((shown > 0 || this.count === 0) && this.el.dataset.state !== 'ready') {
      this.firstRowsMs = performance.now() - this.loadStart;
      this.el.dataset.firstRowsMs = this.firstRowsMs.toFixed(1);
      this.el.dataset.readyAt = performance.now().toFixed(1);
      this.el.dataset.state = 'ready';
    }
  }

  /** Row `idx` of what the table shows, or undefined while its page loads. */
  private rowAt(idx: number): Row | undefined {
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

  /**
   * Tell the shared context the frame of a row about to be selected. Pages
   * do not tell theirs as they arrive: a new frame makes the page redraw its
   * bars and views, which during a fling would cost a full layout per page.
   */
  private learn(row: Row): void {
    if (row.frame >= 0 && row.info) this.ctx.learnFrames({ [String(row.frame)]: row.info });
  }

  private rowOf(ev: MouseEvent): Row | null {
    const el = (ev.target as HTMLElement).closest('.trow') as HTMLElement | null;
    if (!el || !el.dataset.index || el.dataset.index.endsWith('?')) return null;
    return this.rowAt(Number(el.dataset.index)) ?? null;
  }

  private onClick = (ev: MouseEvent) => {
    const row = this.rowOf(ev);
    if (!row) return;
    this.learn(row);
    if ((ev.target as HTMLElement).classList.contains('loc') && row.file) {
      this.ctx.store.set({ view: 'source', file: row.file, line: row.line > 0 ? row.line : null, sel: row.frame >= 0 ? row.frame : this.state.sel });
      return;
    }
    if (row.frame >= 0) this.ctx.store.set({ sel: row.frame }, 'replace');
  };

  private onDblClick = (ev: MouseEvent) => {
    const row = this.rowOf(ev);
    if (!row || row.frame < 0) return;
    this.learn(row);
    this.ctx.store.set({ view: 'butterfly', sel: row.frame });
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
      this.learn(row);
      this.ctx.store.set({ sel: row.frame }, 'replace');
      const top = this.scroller.scrollTop;
      const vh = this.scroller.clientHeight;
      if (next * ROW_H < top || (next + 1) * ROW_H > top + vh) this.scroller.scrollTop = scrollToRow(next, ROW_H, vh, this.count);
    }
    return true;
  }

  destroy(): void {
    this.typing.cancel();
    this.gens.cancel();
    if (this.raf) cancelAnimationFrame(this.raf);
  }
}

function toRows(a: TableAnswer): Row[] {
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
      match: r.match ? r.match[i] === 1 : true,
      info,
    };
  }
  return out;
}
