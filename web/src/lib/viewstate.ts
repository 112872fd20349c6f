/*
 * viewstate.ts — the whole view state of a profile page, and its encoding
 * in the URL's query string, so a link reproduces the view.
 *
 * Invariants:
 *   - decode(encode(s)) equals s for every state s that decode can return
 *     (the round trip is exact; fields at their default are left out of
 *     the URL, and keys are written in one fixed order, so equal states
 *     give equal strings);
 *   - decode never throws: a value that does not parse falls back to the
 *     default for that field, and its name is reported in `problems`;
 *   - the transform fields use the server's own parameter names
 *     (docs/api.md), so apiParams() passes them through unchanged.
 * Times (t0, t1, w0, w1) are nanoseconds on the profile's clock; they are
 * written as integers without exponent.
 */

export const VIEWS = ['flame', 'timeline', 'table', 'butterfly', 'source', 'callgraph', 'pie', 'treemap', 'diff', 'views'] as const;
export type ViewName = (typeof VIEWS)[number];
export const COLOR_MODES = ['function', 'module', 'package', 'frequency'] as const;
export type ColorMode = (typeof COLOR_MODES)[number];
export const GREY_MODES = ['none', 'children', 'function', 'module'] as const;
export type GreyMode = (typeof GREY_MODES)[number];
export const SORT_KEYS = ['self', 'total', 'samples', 'name'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export const TABLE_BY = ['function', 'line', 'file', 'package'] as const;
export type TableBy = (typeof TABLE_BY)[number];
export const STATES = ['cpu', 'gil', 'active'] as const;
export const HIDE_KINDS = ['own', 'stdlib', 'site', 'builtin', 'other'] as const;

export interface ViewState {
  view: ViewName;
  icicle: boolean;
  inverted: boolean;
  // Transforms and filters: the server's view-state parameters.
  t0: number | null;
  t1: number | null;
  threads: number[];
  state: string[];
  focus: number | null;
  exclude: number | null;
  hide: string;
  hideKinds: string[];
  hidePackages: string[];
  collapse: boolean;
  // Selection and presentation.
  sel: number | null;
  zoom: number[];
  q: string;
  regex: boolean;
  // Function table: grey out the rows the filter does not match instead
  // of hiding them (hiding is the default).
  tableGrey: boolean;
  grey: GreyMode;
  color: ColorMode;
  sort: SortKey;
  order: 'desc' | 'asc';
  by: TableBy;
  file: string | null;
  line: number | null;
  w0: number | null;
  w1: number | null;
  // Call graph: node and edge thresholds (fractions of the total), and
  // the neighbourhood of the selection, `hood` levels out (0: whole graph).
  cgNode: number;
  cgEdge: number;
  hood: number;
  // Treemap zoom: a package, then optionally one of its files.
  tmPackage: string | null;
  tmFile: string | null;
  // Diff: the baseline profile id ("before"; this profile is "after").
  vs: string | null;
  // Diff: a time range for each side (ns, profile clock), sent as
  // before.t0/before.t1 and after.t0/after.t1 (/api/diff); with vs equal to
  // this profile, the diff of two time ranges of one profile.
  bt0: number | null;
  bt1: number | null;
  at0: number | null;
  at1: number | null;
}

export function defaultState(): ViewState {
  return {
    view: 'flame',
    icicle: false,
    inverted: false,
    t0: null,
    t1: null,
    threads: [],
    state: [],
    focus: null,
    exclude: null,
    hide: '',
    hideKinds: [],
    hidePackages: [],
    collapse: false,
    sel: null,
    zoom: [],
    q: '',
    regex: false,
    tableGrey: false,
    grey: 'none',
    color: 'function',
    sort: 'self',
    order: 'desc',
    by: 'function',
    file: null,
    line: null,
    w0: null,
    w1: null,
    cgNode: 0.005,
    cgEdge: 0.001,
    hood: 0,
    tmPackage: null,
    tmFile: null,
    vs: null,
    bt0: null,
    bt1: null,
    at0: null,
    at1: null,
  };
}

/** An integer (possibly beyond 2^53, as ns clocks can be) as plain digits. */
function intText(x: number): string {
  return BigInt(Math.round(x)).toString();
}

function parseIntStrict(s: string): number | null {
  if (!/^-?\d+$/.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

function parseIntList(s: string): number[] | null {
  if (s === '') return [];
  const out: number[] = [];
  for (const part of s.split(',')) {
    const n = parseIntStrict(part);
    if (n === null) return null;
    out.push(n);
  }
  return out;
}

function oneOf<T extends string>(list: readonly T[], s: string): T | null {
  return (list as readonly string[]).includes(s) ? (s as T) : null;
}

/** The state as a query string (without "?"): defaults left out, fixed key order. */
export function encodeState(s: ViewState): string {
  const d = defaultState();
  const p = new URLSearchParams();
  if (s.view !== d.view) p.set('v', s.view);
  if (s.icicle) p.set('icicle', '1');
  if (s.inverted) p.set('inverted', '1');
  if (s.t0 !== null) p.set('t0', intText(s.t0));
  if (s.t1 !== null) p.set('t1', intText(s.t1));
  if (s.threads.length) p.set('threads', s.threads.join(','));
  if (s.state.length) p.set('state', s.state.join(','));
  if (s.focus !== null) p.set('focus', String(s.focus));
  if (s.exclude !== null) p.set('exclude', String(s.exclude));
  if (s.hide) p.set('hide', s.hide);
  if (s.hideKinds.length) p.set('hide_kinds', s.hideKinds.join(','));
  if (s.hidePackages.length) p.set('hide_packages', s.hidePackages.join(','));
  if (s.collapse) p.set('collapse', '1');
  if (s.sel !== null) p.set('sel', String(s.sel));
  if (s.zoom.length) p.set('zoom', s.zoom.join(','));
  if (s.q) p.set('q', s.q);
  if (s.regex) p.set('re', '1');
  if (s.tableGrey) p.set('tgrey', '1');
  if (s.grey !== d.grey) p.set('grey', s.grey);
  if (s.color !== d.color) p.set('color', s.color);
  if (s.sort !== d.sort) p.set('sort', s.sort);
  if (s.order !== d.order) p.set('order', s.order);
  if (s.by !== d.by) p.set('by', s.by);
  if (s.file !== null) p.set('file', s.file);
  if (s.line !== null) p.set('line', String(s.line));
  if (s.w0 !== null) p.set('w0', intText(s.w0));
  if (s.w1 !== null) p.set('w1', intText(s.w1));
  if (s.cgNode !== d.cgNode) p.set('cgn', String(s.cgNode));
  if (s.cgEdge !== d.cgEdge) p.set('cge', String(s.cgEdge));
  if (s.hood !== d.hood) p.set('hood', String(s.hood));
  if (s.tmPackage !== null) p.set('tmp', s.tmPackage);
  if (s.tmFile !== null) p.set('tmf', s.tmFile);
  if (s.vs !== null) p.set('vs', s.vs);
  if (s.bt0 !== null && s.bt1 !== null) {
    p.set('bt0', intText(s.bt0));
    p.set('bt1', intText(s.bt1));
  }
  if (s.at0 !== null && s.at1 !== null) {
    p.set('at0', intText(s.at0));
    p.set('at1', intText(s.at1));
  }
  return p.toString();
}

export interface Decoded {
  state: ViewState;
  /** Names of parameters that did not parse (and were left at their default). */
  problems: string[];
}

/** Parses a query string (with or without "?"); never throws. */
export function decodeState(query: string): Decoded {
  const s = defaultState();
  const problems: string[] = [];
  const p = new URLSearchParams(query.startsWith('?') ? query.slice(1) : query);
  const bad = (k: string) => problems.push(k);
  const flag = (k: string): boolean => {
    const v = p.get(k);
    if (v === null || v === '0') return false;
    if (v === '1') return true;
    bad(k);
    return false;
  };
  const int = (k: string): number | null => {
    const v = p.get(k);
    if (v === null) return null;
    const n = parseIntStrict(v);
    if (n === null) bad(k);
    return n;
  };
  const list = (k: string): number[] => {
    const v = p.get(k);
    if (v === null) return [];
    const l = parseIntList(v);
    if (l === null) {
      bad(k);
      return [];
    }
    return l;
  };
  const words = <T extends string>(k: string, allowed: readonly T[]): T[] => {
    const v = p.get(k);
    if (!v) return [];
    const out: T[] = [];
    for (const w of v.split(',')) {
      const ok = oneOf(allowed, w);
      if (ok) out.push(ok);
      else bad(k);
    }
    return out;
  };
  const choice = <T extends string>(k: string, allowed: readonly T[], dflt: T): T => {
    const v = p.get(k);
    if (v === null) return dflt;
    const ok = oneOf(allowed, v);
    if (ok === null) bad(k);
    return ok ?? dflt;
  };

  s.view = choice('v', VIEWS, s.view);
  s.icicle = flag('icicle');
  s.inverted = flag('inverted');
  s.t0 = int('t0');
  s.t1 = int('t1');
  if (s.t0 !== null && s.t1 !== null && s.t1 < s.t0) {
    bad('t1');
    s.t0 = s.t1 = null;
  }
  s.threads = list('threads');
  s.state = words('state', STATES);
  s.focus = int('focus');
  s.exclude = int('exclude');
  s.hide = p.get('hide') ?? '';
  s.hideKinds = words('hide_kinds', HIDE_KINDS);
  const hp = p.get('hide_packages');
  s.hidePackages = hp ? hp.split(',').filter((x) => x !== '') : [];
  s.collapse = flag('collapse');
  s.sel = int('sel');
  s.zoom = list('zoom');
  s.q = p.get('q') ?? '';
  s.regex = flag('re');
  s.tableGrey = flag('tgrey');
  s.grey = choice('grey', GREY_MODES, s.grey);
  s.color = choice('color', COLOR_MODES, s.color);
  s.sort = choice('sort', SORT_KEYS, s.sort);
  s.order = choice('order', ['desc', 'asc'] as const, s.order);
  s.by = choice('by', TABLE_BY, s.by);
  s.file = p.get('file');
  s.line = int('line');
  s.w0 = int('w0');
  s.w1 = int('w1');
  if (s.w0 !== null && s.w1 !== null && s.w1 <= s.w0) {
    bad('w1');
    s.w0 = s.w1 = null;
  }
  const fraction = (k: string, dflt: number): number => {
    const v = p.get(k);
    if (v === null) return dflt;
    const x = /^[0-9.e+-]+$/i.test(v) ? Number(v) : NaN;
    if (!(x >= 0 && x <= 1)) {
      bad(k);
      return dflt;
    }
    return x;
  };
  s.cgNode = fraction('cgn', s.cgNode);
  s.cgEdge = fraction('cge', s.cgEdge);
  const hood = int('hood');
  if (hood !== null && (hood < 0 || hood > 20)) bad('hood');
  else if (hood !== null) s.hood = hood;
  s.tmPackage = p.get('tmp');
  s.tmFile = s.tmPackage === null ? null : p.get('tmf');
  const vs = p.get('vs');
  if (vs !== null && !/^[a-z0-9]{1,32}$/.test(vs)) bad('vs');
  else s.vs = vs;
  // A side's range needs both ends, in order; else it is dropped (reported).
  for (const [a, b] of [['bt0', 'bt1'], ['at0', 'at1']] as const) {
    const x = int(a);
    const y = int(b);
    if (x === null && y === null) continue;
    if (x === null || y === null || y <= x) {
      bad(x === null ? a : b);
      continue;
    }
    s[a] = x;
    s[b] = y;
  }
  return { state: s, problems };
}

/**
 * The view-state parameters every query takes (docs/api.md), from the
 * state: time range, threads, state filter, and the stack transforms.
 * `withRange` false leaves t0/t1 out (the timeline's own t0/t1 are its
 * visible window).
 */
export function apiParams(s: ViewState, withRange = true): URLSearchParams {
  const p = new URLSearchParams();
  if (withRange && s.t0 !== null) p.set('t0', intText(s.t0));
  if (withRange && s.t1 !== null) p.set('t1', intText(s.t1));
  if (s.threads.length) p.set('threads', s.threads.join(','));
  if (s.state.length) p.set('state', s.state.join(','));
  if (s.focus !== null) p.set('focus', String(s.focus));
  if (s.exclude !== null) p.set('exclude', String(s.exclude));
  if (s.hide) p.set('hide', s.hide);
  if (s.hideKinds.length) p.set('hide_kinds', s.hideKinds.join(','));
  if (s.hidePackages.length) p.set('hide_packages', s.hidePackages.join(','));
  if (s.collapse) p.set('collapse', '1');
  return p;
}

/**
 * /api/diff's parameters for the state: the view state shared by both
 * sides, and each side's own time range (before.t0 … after.t1) where set.
 */
export function diffParams(s: ViewState, before: string, after: string): URLSearchParams {
  const p = apiParams(s);
  p.set('before', before);
  p.set('after', after);
  if (s.bt0 !== null && s.bt1 !== null) {
    p.set('before.t0', intText(s.bt0));
    p.set('before.t1', intText(s.bt1));
  }
  if (s.at0 !== null && s.at1 !== null) {
    p.set('after.t0', intText(s.at0));
    p.set('after.t1', intText(s.at1));
  }
  return p;
}

/** A key that changes exactly when the data-shaping part of the state does. */
export function dataKey(s: ViewState, withRange = true): string {
  return apiParams(s, withRange).toString();
}

/** A shallow copy with `patch` applied (states are treated as values). */
export function withPatch(s: ViewState, patch: Partial<ViewState>): ViewState {
  return { ...s, ...patch };
}

/** The state with every transform, selection and range cleared; the view kept. */
export function resetState(s: ViewState): ViewState {
  return { ...defaultState(), view: s.view };
}
