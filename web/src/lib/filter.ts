/*
 * filter.ts — the filter box (text or regex) and the grey-out modes, as
 * pure functions over frames and layouts.
 *
 * A frame's searchable text is "qualname (file)", the same text the
 * server's `hide` regex sees. Text mode matches a case-insensitive
 * substring; regex mode a case-insensitive JavaScript RegExp. A regex that
 * does not compile is reported (never thrown) and matches everything, so
 * the view stays readable while the user types.
 *
 * dimMask() says which nodes of a layout are greyed out: those the filter
 * does not match, and, relative to the selected function, the calls that
 * are not below it ('children'), other functions ('function') or frames
 * of other files ('module'). Special nodes (root, "other") are never
 * matched by a filter, but are not dimmed when there is no filter.
 *
 * tableFilter() and tableCountText() are the function table's side: the
 * table does not test rows here but asks the server (`filter=`, `match=`,
 * `mark=1`; docs/api.md), and says "N of M" from its answer.
 */
import { FlameLayout } from './flame';
import { FrameDict, FrameInfo, OTHER_FRAME, ROOT_FRAME } from './types';
import type { GreyMode } from './viewstate';

export interface Matcher {
  /** False when the box is empty: nothing is greyed out by the filter. */
  active: boolean;
  /** Set when the regex does not compile. */
  error: string | null;
  test(info: FrameInfo): boolean;
}

export function frameText(info: FrameInfo): string {
  return info[1] ? `${info[0]} (${info[1]})` : info[0];
}

export function makeMatcher(query: string, regex: boolean): Matcher {
  if (query === '') return { active: false, error: null, test: () => true };
  if (regex) {
    let re: RegExp;
    try {
      re = new RegExp(query, 'i');
    } catch (e) {
      return { active: false, error: `not a valid regular expression: ${(e as Error).message}`, test: () => true };
    }
    return { active: true, error: null, test: (info) => re.test(frameText(info)) };
  }
  const needle = query.toLowerCase();
  return { active: true, error: null, test: (info) => frameText(info).toLowerCase().includes(needle) };
}

/**
 * Whether a function-table row matches: its frame's "qualname (file)"
 * (when the row is a function) or its own key (a file, package or
 * "file:line"), so a filter finds rows of every grouping.
 */
export function rowMatches(m: Matcher, key: string, info: FrameInfo | undefined): boolean {
  if (!m.active) return true;
  return (info !== undefined && m.test(info)) || m.test([key, '', 0, '']);
}

/**
 * 1 for each greyed-out node of the layout. `sel` is the selected frame id
 * (null: no selection, so grey modes do nothing).
 */
export function dimMask(l: FlameLayout, matcher: Matcher, grey: GreyMode, sel: number | null): Uint8Array {
  const n = l.count;
  const dim = new Uint8Array(n);
  const frames: FrameDict = l.frames;
  if (matcher.active) {
    const memo = new Map<number, boolean>();
    for (let i = 0; i < n; i++) {
      const f = l.frame[i];
      if (f === ROOT_FRAME || f === OTHER_FRAME) {
        dim[i] = 1;
        continue;
      }
      let m = memo.get(f);
      if (m === undefined) {
        const info = frames[String(f)];
        m = info ? matcher.test(info) : false;
        memo.set(f, m);
      }
      if (!m) dim[i] = 1;
    }
  }
  if (sel === null || grey === 'none') return dim;
  if (grey === 'function') {
    for (let i = 0; i < n; i++) if (l.frame[i] !== sel) dim[i] = 1;
  } else if (grey === 'module') {
    const file = frames[String(sel)]?.[1];
    for (let i = 0; i < n; i++) {
      const info = frames[String(l.frame[i])];
      if (!info || info[1] !== file) dim[i] = 1;
    }
  } else if (grey === 'children') {
    // Mark the depth-first intervals of every call of the selected
    // function; a node is kept iff it lies in one of them.
    const inside = new Int32Array(n + 1); // difference array over enter order
    for (let i = 0; i < n; i++) {
      if (l.frame[i] === sel) {
        inside[l.enter[i]]++;
        inside[l.exit[i]]--;
      }
    }
    const covered = new Uint8Array(n); // by enter number
    let run = 0;
    for (let e = 0; e < n; e++) {
      run += inside[e];
      covered[e] = run > 0 ? 1 : 0;
    }
    for (let i = 0; i < n; i++) if (!covered[l.enter[i]]) dim[i] = 1;
  }
  return dim;
}

/** Whether any node of the layout matches (for "no match" notices). */
export function countMatches(l: FlameLayout, matcher: Matcher): number {
  if (!matcher.active) return 0;
  let c = 0;
  for (let i = 0; i < l.count; i++) {
    const info = l.frames[String(l.frame[i])];
    if (info && matcher.test(info)) c++;
  }
  return c;
}

/** What the function table asks the server for, from the filter box (docs/api.md). */
export interface TableFilter {
  /** `match=`: a regex the browser compiles and the server has not refused. */
  match: string | null;
  /** `filter=`: a text filter. */
  filter: string | null;
  /** `mark=1`: grey-out mode, every row with a match flag. */
  mark: boolean;
  /** Why the regex filters nothing (it does not compile here, or there), else null. */
  error: string | null;
}

/**
 * The table's filter parameters. `rejected` is a regex the server refused
 * with its reason (PCRE2 took what JavaScript did not): it is not sent
 * again, and its reason is the error.
 */
export function tableFilter(query: string, regex: boolean, grey: boolean, rejected: { q: string; message: string } | null): TableFilter {
  const none: TableFilter = { match: null, filter: null, mark: false, error: null };
  if (query === '') return none;
  if (!regex) return { ...none, filter: query, mark: grey };
  const m = makeMatcher(query, true);
  if (m.error) return { ...none, error: m.error };
  if (rejected && rejected.q === query) return { ...none, error: rejected.message };
  return { ...none, match: query, mark: grey };
}

/** The table's count line: "N of M functions" while the filter hides rows, else "N functions". */
export function tableCountText(count: number, unfiltered: number, noun: string, hiding: boolean, format: (n: number) => string): string {
  const n = (x: number) => (x >= 0 ? format(x) : '…');
  if (count < 0) return `… ${noun}`;
  return hiding ? `${n(count)} of ${n(unfiltered)} ${noun}` : `${n(count)} ${noun}`;
}
