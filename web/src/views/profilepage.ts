/*
 * profilepage.ts — the profile page: header, view tabs, the toolbar of
 * shared controls (filter, colour, grey-out, transforms), chips for the
 * active transforms and range, breadcrumbs of the zoomed call, the
 * selection bar, keyboard shortcuts, and the active view. Every control
 * reads and writes the one Store, so all views share one selection, one
 * set of transforms and one time range, and the URL holds it all.
 *
 * Views are built the first time they are shown and kept; only the shown
 * view is told of state changes (it catches up when shown again).
 */
import { api, errorText } from '../api';
import { h, messageBox } from '../dom';
import { makeMatcher } from '../lib/filter';
import { formatCount, formatDate, formatDuration, shortenPath } from '../lib/format';
import type { FrameDict, ProfileDetail } from '../lib/types';
import { COLOR_MODES, GREY_MODES, HIDE_KINDS, resetState, ViewName, ViewState } from '../lib/viewstate';
import { Store } from '../store';
import { ButterflyView } from './butterflyview';
import { CallGraphView } from './callgraphview';
import { DiffView } from './diffview';
import { PieView } from './pieview';
import { TreemapView } from './treemapview';
import { infoOf, ProfileContext, ProfileView } from './context';
import { FlameView } from './flameview';
import { SavedViewsView, saveViewForm } from './savedviews';
import { SourceView } from './sourceview';
import { TableView } from './tableview';
import { TimelineView } from './timelineview';
import { Tooltip } from './tooltip';

const TABS: { view: ViewName; label: string; key: string }[] = [
  { view: 'flame', label: 'Flame graph', key: '1' },
  { view: 'timeline', label: 'Timeline', key: '2' },
  { view: 'table', label: 'Functions', key: '3' },
  { view: 'butterfly', label: 'Butterfly', key: '4' },
  { view: 'source', label: 'Source', key: '5' },
  { view: 'callgraph', label: 'Call graph', key: '6' },
  { view: 'pie', label: 'Callee pie', key: '7' },
  { view: 'treemap', label: 'Treemap', key: '8' },
  { view: 'diff', label: 'Diff', key: '9' },
  { view: 'views', label: 'Saved views', key: '0' },
];

const COLOR_LABELS: Record<string, string> = { function: 'by function', module: 'by module', package: 'by package', frequency: 'by frequency' };
const GREY_LABELS: Record<string, string> = { none: 'nothing', children: 'non-child calls', function: 'other functions', module: 'other modules' };

type KeyedView = ProfileView & { key_?(ev: KeyboardEvent): boolean };

export class ProfilePage {
  readonly el = h('div.page.profile-page');
  private ctx: ProfileContext;
  private views = new Map<ViewName, KeyedView>();
  private seen = new Map<ViewName, ViewState>();
  private main = h('main.view-host');
  private tabs = h('nav.tabs', { role: 'tablist' });
  private toolbar = h('div.toolbar');
  private chips = h('div.chips', { 'data-testid': 'chips' });
  private selbar = h('div.selbar', { 'data-testid': 'selbar' });
  private popover = h('div.popover');
  private filterInput!: HTMLInputElement;
  private filterError = h('span.filter-error', { 'data-testid': 'filter-error', role: 'alert', hidden: true });
  private unsub: () => void;

  constructor(profile: ProfileDetail) {
    const store = new Store(`/p/${profile.id}`);
    const tooltip = new Tooltip();
    const frames: FrameDict = {};
    this.ctx = {
      id: profile.id,
      profile,
      store,
      tooltip,
      frames,
      learnFrames: (f) => {
        let added = false;
        for (const k in f) {
          if (!(k in frames)) {
            frames[k] = f[k];
            added = true;
          }
        }
        if (added) {
          this.renderBars(store.state);
          const v = this.views.get(store.state.view);
          v?.update(store.state, store.state);
        }
      },
    };
    if (!profile.has_stacks && !new URLSearchParams(location.search).has('v')) store.set({ view: 'table' }, 'replace');
    this.el.append(this.header(), this.tabs, this.toolbar, this.chips, this.selbar, this.popover, this.main);
    if (store.problems.length) {
      this.main.before(messageBox('warning', 'Some link parameters were ignored', `These did not parse and were left at their defaults: ${store.problems.join(', ')}.`));
    }
    this.unsub = store.subscribe((s, prev) => this.apply(s, prev));
    document.addEventListener('keydown', this.onKey);
    this.apply(store.state, null);
  }

  private header(): HTMLElement {
    const p = this.ctx.profile;
    const meta = [
      p.format,
      p.has_stacks ? formatDuration(p.duration_ns) : null,
      p.samples ? `${formatCount(p.samples)} samples` : null,
      p.python ? `Python ${p.python}` : null,
      p.threads?.length ? `${p.threads.length} thread${p.threads.length === 1 ? '' : 's'}` : null,
      p.uploaded_at ? formatDate(p.uploaded_at) : null,
    ].filter(Boolean);
    return h(
      'header.page-head',
      null,
      h('a.home', { href: '/', title: 'All profiles' }, '◀ spyglass'),
      h('h1', { 'data-testid': 'profile-name' }, p.name || p.id),
      h('span.meta', null, meta.join(' · ')),
      p.command ? h('code.cmd', { title: p.command }, shortenPath(p.command, 60)) : null,
      !p.has_stacks ? h('span.badge.warn', { title: 'pstats holds totals and caller edges, not stacks' }, 'no stacks: table and butterfly are exact, trees approximate') : null,
      p.live ? h('span.badge', null, 'live') : null,
      h('span.spacer'),
      h('button', { onclick: () => this.openSave(), title: 'Save this view under a short link (s)', 'data-testid': 'save-view' }, 'Save view'),
      h('button', { onclick: () => void this.copyLink(), title: 'Copy a link to this exact view' }, 'Copy link'),
      h('a.button', { href: `/api/profiles/${p.id}/download?format=sgl`, title: 'Download the profile' }, 'Download'),
    );
  }

  private async copyLink(): Promise<void> {
    try {
      await navigator.clipboard.writeText(location.href);
      this.flash('Link copied');
    } catch {
      this.flash(location.href);
    }
  }

  private flash(text: string): void {
    this.popover.replaceChildren(h('div.flash', null, text));
    setTimeout(() => this.popover.replaceChildren(), 2500);
  }

  private openSave(): void {
    this.popover.replaceChildren(
      h(
        'div.save-box',
        null,
        h('strong', null, 'Save this view'),
        saveViewForm(this.ctx, () => {
          const v = this.views.get('views') as SavedViewsView | undefined;
          void v?.reload();
        }),
        h('button.close', { onclick: () => this.popover.replaceChildren(), 'aria-label': 'Close' }, '✕'),
      ),
    );
  }

  private apply(s: ViewState, prev: ViewState | null): void {
    this.renderTabs(s);
    this.renderToolbar(s, prev);
    this.renderBars(s);
    this.showView(s);
  }

  private showView(s: ViewState): void {
    let v = this.views.get(s.view);
    let fresh = false;
    if (!v) {
      v = this.build(s.view);
      this.views.set(s.view, v);
      this.main.append(v.el);
      fresh = true;
    }
    for (const [name, other] of this.views) other.el.hidden = name !== s.view;
    const last = this.seen.get(s.view) ?? null;
    v.update(s, fresh ? null : last);
    if (fresh || last === null || this.activeView !== s.view) v.shown?.();
    this.activeView = s.view;
    this.seen.set(s.view, s);
    this.el.dataset.view = s.view;
  }
  private activeView: ViewName | null = null;

  private build(view: ViewName): KeyedView {
    switch (view) {
      case 'flame':
        return new FlameView(this.ctx);
      case 'timeline':
        return new TimelineView(this.ctx);
      case 'table':
        return new TableView(this.ctx);
      case 'butterfly':
        return new ButterflyView(this.ctx);
      case 'source':
        return new SourceView(this.ctx);
      case 'callgraph':
        return new CallGraphView(this.ctx);
      case 'pie':
        return new PieView(this.ctx);
      case 'treemap':
        return new TreemapView(this.ctx);
      case 'diff':
        return new DiffView(this.ctx);
      case 'views':
        return new SavedViewsView(this.ctx);
    }
  }

  private renderTabs(s: ViewState): void {
    const approx = !this.ctx.profile.has_stacks;
    this.tabs.replaceChildren(
      ...TABS.map((t) =>
        h(
          'button.tab',
          {
            role: 'tab',
            'aria-selected': String(t.view === s.view),
            class: t.view === s.view ? 'active' : '',
            'data-view': t.view,
            title: `${t.label} (${t.key})`,
            onclick: () => this.ctx.store.set({ view: t.view }),
          },
          t.label,
          approx && (t.view === 'flame' || t.view === 'timeline') ? h('span.approx', { title: 'approximate: pstats has no stacks' }, ' ≈') : null,
        ),
      ),
    );
  }

  private renderToolbar(s: ViewState, prev: ViewState | null): void {
    const store = this.ctx.store;
    if (!this.filterInput) {
      this.filterInput = h('input.filter', {
        type: 'search',
        placeholder: 'Filter (text or regex)  /',
        'aria-label': 'Filter',
        'data-testid': 'filter',
        value: s.q,
        oninput: (ev: Event) => store.set({ q: (ev.target as HTMLInputElement).value }, 'replace'),
      });
    } else if (this.filterInput.value !== s.q && document.activeElement !== this.filterInput) this.filterInput.value = s.q;
    // A regex that does not compile is said here, inline; views then filter nothing.
    const bad = makeMatcher(s.q, s.regex).error;
    this.filterInput.classList.toggle('invalid', bad !== null);
    this.filterInput.setAttribute('aria-invalid', String(bad !== null));
    this.filterError.textContent = bad ?? '';
    this.filterError.hidden = bad === null;
    if (prev && !this.structuralChange(s, prev)) return;
    const select = (label: string, value: string, options: readonly string[], labels: Record<string, string>, on: (v: string) => void, testid: string) =>
      h(
        'label',
        null,
        label + ' ',
        h('select', { 'data-testid': testid, onchange: (ev: Event) => on((ev.target as HTMLSelectElement).value) }, ...options.map((o) => h('option', { value: o, selected: o === value }, labels[o] ?? o))),
      );
    const check = (label: string, checked: boolean, on: (v: boolean) => void, title: string, testid: string) =>
      h('label.check', { title }, h('input', { type: 'checkbox', checked, 'data-testid': testid, onchange: (ev: Event) => on((ev.target as HTMLInputElement).checked) }), label);
    const threads = this.ctx.profile.threads ?? [];
    const hideInput = h('input.hide', {
      type: 'text',
      placeholder: 'hide frames (regex)',
      value: s.hide,
      'aria-label': 'Hide frames matching',
      title: 'POSIX extended regex on "qualname (file)": matching frames are removed from stacks (Enter to apply)',
      onkeydown: (ev: KeyboardEvent) => {
        if (ev.key === 'Enter') store.set({ hide: (ev.target as HTMLInputElement).value });
      },
    });
    this.toolbar.replaceChildren(
      h('div.group', null, this.filterInput, this.filterError, check('regex', s.regex, (v) => store.set({ regex: v }, 'replace'), 'Treat the filter as a regular expression', 'regex')),
      h('div.group', null, select('Colour', s.color, COLOR_MODES, COLOR_LABELS, (v) => store.set({ color: v as ViewState['color'] }), 'color'), select('Grey out', s.grey, GREY_MODES, GREY_LABELS, (v) => store.set({ grey: v as ViewState['grey'] }), 'grey')),
      h(
        'div.group',
        null,
        check('icicle', s.icicle, (v) => store.set({ icicle: v }), 'Root at the top (i)', 'icicle'),
        check('inverted', s.inverted, (v) => store.set({ inverted: v, zoom: [] }), 'Bottom-up: roots are the functions where time is spent (b)', 'inverted'),
        check('merge recursion', s.collapse, (v) => store.set({ collapse: v, zoom: [] }), 'Collapse direct recursion', 'collapse'),
      ),
      h(
        'div.group',
        null,
        threads.length > 1
          ? h(
              'label',
              null,
              'Thread ',
              h(
                'select',
                { 'data-testid': 'threads', onchange: (ev: Event) => { const v = (ev.target as HTMLSelectElement).value; store.set({ threads: v === '' ? [] : [Number(v)], zoom: [] }); } },
                h('option', { value: '', selected: s.threads.length === 0 }, 'all'),
                ...threads.map((t) => h('option', { value: String(t.index), selected: s.threads.length === 1 && s.threads[0] === t.index }, `${t.name} (${formatCount(t.samples)})`)),
              ),
            )
          : null,
        h(
          'label',
          null,
          'State ',
          h(
            'select',
            { 'data-testid': 'state', onchange: (ev: Event) => { const v = (ev.target as HTMLSelectElement).value; store.set({ state: v ? [v] : [], zoom: [] }); } },
            ...[['', 'all'], ['cpu', 'on CPU'], ['gil', 'holding the GIL'], ['active', 'not idle']].map(([v, l]) => h('option', { value: v, selected: (s.state[0] ?? '') === v }, l)),
          ),
        ),
        hideInput,
        h(
          'details.kinds',
          null,
          h('summary', null, s.hideKinds.length ? `hiding ${s.hideKinds.join(', ')}` : 'hide kinds'),
          ...HIDE_KINDS.map((k) =>
            check(k, s.hideKinds.includes(k), (on) => store.set({ hideKinds: on ? [...s.hideKinds, k] : s.hideKinds.filter((x) => x !== k), zoom: [] }), `Hide ${k} frames`, `hide-${k}`),
          ),
        ),
      ),
      h('button', { onclick: () => store.replaceAll(resetState(s)), title: 'Clear filters, transforms, range, zoom and selection (r)', 'data-testid': 'reset' }, 'Reset'),
      h('button.help', { onclick: () => this.toggleHelp(), title: 'Keyboard shortcuts (?)' }, '?'),
    );
  }

  /** Whether the toolbar's controls (other than the filter text) need rebuilding. */
  private structuralChange(s: ViewState, p: ViewState): boolean {
    return (
      s.regex !== p.regex || s.color !== p.color || s.grey !== p.grey || s.icicle !== p.icicle || s.inverted !== p.inverted || s.collapse !== p.collapse ||
      s.threads.join() !== p.threads.join() || s.state.join() !== p.state.join() || s.hide !== p.hide || s.hideKinds.join() !== p.hideKinds.join()
    );
  }

  private asked = new Set<number>();
  /**
   * Answers name only the frames they mention, so a link may select or
   * focus a frame no answer has named yet: ask the butterfly of the whole
   * profile (which names its frame) once per such frame.
   */
  private ensureFrames(ids: (number | null)[]): void {
    for (const id of ids) {
      if (id === null || id < 0 || String(id) in this.ctx.frames || this.asked.has(id)) continue;
      this.asked.add(id);
      api
        .butterfly(this.ctx.id, new URLSearchParams({ frame: String(id) }))
        .then((a) => this.ctx.learnFrames(a.frames))
        .catch(() => {
          // The frame id is out of range: the views say so with the server's message.
        });
    }
  }

  private renderBars(s: ViewState): void {
    this.ensureFrames([s.sel, s.focus, s.exclude, ...s.zoom]);
    const store = this.ctx.store;
    const name = (f: number) => infoOf(this.ctx, f)[0];
    const chip = (label: string, clear: Partial<ViewState>, testid: string) =>
      h('span.chip', { 'data-testid': testid }, label, h('button', { onclick: () => store.set(clear), 'aria-label': `Clear ${label}` }, '✕'));
    const items: (HTMLElement | string)[] = [];
    const t0 = this.ctx.profile.t_start;
    if (s.t0 !== null && s.t1 !== null) items.push(chip(`range ${formatDuration(s.t0 - t0)} – ${formatDuration(s.t1 - t0)} (${formatDuration(s.t1 - s.t0)})`, { t0: null, t1: null }, 'range-chip'));
    if (s.focus !== null) items.push(chip(`focus: ${name(s.focus)}`, { focus: null, zoom: [] }, 'focus-chip'));
    if (s.exclude !== null) items.push(chip(`without: ${name(s.exclude)}`, { exclude: null, zoom: [] }, 'exclude-chip'));
    if (s.hide) items.push(chip(`hiding /${s.hide}/`, { hide: '', zoom: [] }, 'hide-chip'));
    if (s.hidePackages.length) items.push(chip(`hiding packages ${s.hidePackages.join(', ')}`, { hidePackages: [] }, 'hidepkg-chip'));
    if (s.view === 'flame' || s.zoom.length) {
      const crumbs: HTMLElement[] = [h('a.crumb', { href: '#', onclick: (ev: Event) => { ev.preventDefault(); store.set({ zoom: [] }); } }, 'all')];
      s.zoom.forEach((f, i) => {
        crumbs.push(h('span.sep', null, '›'));
        crumbs.push(h('a.crumb', { href: '#', onclick: (ev: Event) => { ev.preventDefault(); store.set({ zoom: s.zoom.slice(0, i + 1) }); } }, name(f)));
      });
      items.push(h('nav.breadcrumbs', { 'aria-label': 'Zoomed call', 'data-testid': 'breadcrumbs' }, ...crumbs));
    }
    this.chips.replaceChildren(...items);

    if (s.sel === null) {
      this.selbar.replaceChildren(h('span.hint', null, 'Click a box or row to select its function; double-click a box to zoom into it. Press ? for shortcuts.'));
      return;
    }
    const info = infoOf(this.ctx, s.sel);
    const sel = s.sel;
    this.selbar.replaceChildren(
      h('span.sel-name', { 'data-testid': 'selected-name' }, info[0]),
      info[1]
        ? h('a.srclink', { href: '#', onclick: (ev: Event) => { ev.preventDefault(); store.set({ view: 'source', file: info[1], line: info[2] > 0 ? info[2] : null }); } }, `${shortenPath(info[1], 50)}:${info[2]}`)
        : '',
      info[3] ? h('span.pkg', null, info[3]) : '',
      h('button', { onclick: () => store.set({ focus: sel, zoom: [] }), title: 'Keep only stacks through this function, rooted at it (F)' }, 'Focus'),
      h('button', { onclick: () => store.set({ exclude: sel, zoom: [], sel: null }), title: 'Drop stacks through this function (x)' }, 'Exclude'),
      h('button', { onclick: () => store.set({ view: 'butterfly' }), title: 'Callers and callees' }, 'Butterfly'),
      h('button', { onclick: () => store.set({ sel: null }, 'replace'), title: 'Clear the selection (Esc)' }, 'Clear'),
    );
  }

  private helpShown = false;
  private toggleHelp(): void {
    this.helpShown = !this.helpShown;
    if (!this.helpShown) {
      this.popover.replaceChildren();
      return;
    }
    const rows: [string, string][] = [
      ['1 – 9, 0', 'flame graph, timeline, functions, butterfly, source, call graph, callee pie, treemap, diff, saved views'],
      ['/', 'focus the filter'],
      ['Esc', 'clear the filter, then the selection, then zoom out one call'],
      ['i / b', 'icicle / inverted (bottom-up)'],
      ['c / g', 'next colour mode / next grey-out mode'],
      ['F / x', 'focus on / exclude the selected function'],
      ['+ - ← → 0', 'zoom, pan, reset the zoom (flame graph, timeline)'],
      ['↑ ↓', 'move the selection (functions)'],
      ['s', 'save this view'],
      ['r', 'reset everything'],
    ];
    this.popover.replaceChildren(
      h('div.help-box', null, h('strong', null, 'Keyboard shortcuts'), h('table', null, ...rows.map(([k, d]) => h('tr', null, h('td', null, h('kbd', null, k)), h('td', null, d))))),
    );
  }

  private onKey = (ev: KeyboardEvent) => {
    const target = ev.target as HTMLElement;
    const typing = target && (target.tagName === 'INPUT' || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA');
    const store = this.ctx.store;
    const s = store.state;
    if (typing) {
      if (ev.key === 'Escape' && target === this.filterInput) {
        store.set({ q: '' }, 'replace');
        this.filterInput.value = '';
        this.filterInput.blur();
      }
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const view = this.views.get(s.view);
    if (view?.key_?.(ev)) {
      ev.preventDefault();
      return;
    }
    const tab = TABS.find((t) => t.key === ev.key);
    if (tab) store.set({ view: tab.view });
    else if (ev.key === '/') {
      ev.preventDefault();
      this.filterInput.focus();
    } else if (ev.key === 'Escape') {
      if (s.q) store.set({ q: '' }, 'replace');
      else if (s.sel !== null) store.set({ sel: null }, 'replace');
      else if (s.zoom.length) store.set({ zoom: s.zoom.slice(0, -1) });
      this.popover.replaceChildren();
    } else if (ev.key === 'i') store.set({ icicle: !s.icicle });
    else if (ev.key === 'b') store.set({ inverted: !s.inverted, zoom: [] });
    else if (ev.key === 'c') store.set({ color: COLOR_MODES[(COLOR_MODES.indexOf(s.color) + 1) % COLOR_MODES.length] });
    else if (ev.key === 'g') store.set({ grey: GREY_MODES[(GREY_MODES.indexOf(s.grey) + 1) % GREY_MODES.length] });
    else if (ev.key === 'F' && s.sel !== null) store.set({ focus: s.sel, zoom: [] });
    else if (ev.key === 'x' && s.sel !== null) store.set({ exclude: s.sel, zoom: [], sel: null });
    else if (ev.key === 's') this.openSave();
    else if (ev.key === 'r') store.replaceAll(resetState(s));
    else if (ev.key === '?') this.toggleHelp();
    else return;
    ev.preventDefault();
  };

  /** For tests and benchmarks (window.spyglass). */
  debug() {
    return { state: this.ctx.store.state, views: this.views };
  }

  destroy(): void {
    document.removeEventListener('keydown', this.onKey);
    this.unsub();
    for (const v of this.views.values()) v.destroy();
    this.ctx.tooltip.destroy();
    this.ctx.store.destroy();
  }
}

/** Loads the profile, then builds its page; errors become a message. */
export async function openProfile(root: HTMLElement, id: string): Promise<ProfilePage | null> {
  root.replaceChildren(h('div.loading', null, 'Loading the profile…'));
  try {
    const p = await api.profile(id);
    const page = new ProfilePage(p);
    root.replaceChildren(page.el);
    return page;
  } catch (e) {
    root.replaceChildren(
      h('div.page', null, h('header.page-head', null, h('a.home', { href: '/' }, '◀ spyglass')), messageBox('error', `Could not open profile ${id}`, errorText(e))),
    );
    return null;
  }
}
