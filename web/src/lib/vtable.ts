/*
 * vtable.ts — windowing for virtualized lists (the function table, source
 * lines): which rows a scroll position shows, and which fixed-size pages
 * of rows must be fetched. Pure arithmetic; the DOM keeps only the rows in
 * the window, so 200,000 rows cost what 40 do.
 *
 * Invariants: 0 <= first <= last <= rowCount; the window covers the
 * viewport plus `overscan` rows either side; page p holds rows
 * [p * pageSize, (p + 1) * pageSize).
 */

export interface RowWindow {
  first: number; // first row to render
  last: number; // one past the last row to render
  offsetY: number; // top of `first`, in px from the list's top
  totalHeight: number; // height of all rows, in px
}

export function rowWindow(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  rowCount: number,
  overscan = 8,
): RowWindow {
  const totalHeight = rowCount * rowHeight;
  if (rowCount <= 0 || rowHeight <= 0) return { first: 0, last: 0, offsetY: 0, totalHeight: 0 };
  const top = Math.max(0, Math.min(scrollTop, Math.max(0, totalHeight - viewportHeight)));
  let first = Math.floor(top / rowHeight) - overscan;
  let last = Math.ceil((top + Math.max(0, viewportHeight)) / rowHeight) + overscan;
  first = Math.max(0, first);
  last = Math.min(rowCount, Math.max(first, last));
  return { first, last, offsetY: first * rowHeight, totalHeight };
}

/** Page indexes covering rows [first, last) that are not in `loaded`. */
export function missingPages(first: number, last: number, pageSize: number, loaded: (page: number) => boolean): number[] {
  const out: number[] = [];
  if (last <= first) return out;
  const p0 = Math.floor(first / pageSize);
  const p1 = Math.floor((last - 1) / pageSize);
  for (let p = p0; p <= p1; p++) if (!loaded(p)) out.push(p);
  return out;
}

/** The scrollTop that brings row `row` into view (centred), clamped. */
export function scrollToRow(row: number, rowHeight: number, viewportHeight: number, rowCount: number): number {
  const target = row * rowHeight - (viewportHeight - rowHeight) / 2;
  return Math.max(0, Math.min(target, rowCount * rowHeight - viewportHeight));
}

/**
 * A small cache of pages by index, dropping the least recently used past
 * `capacity`, so scrolling through 200,000 rows keeps memory flat.
 */
export class PageCache<T> {
  private map = new Map<number, T>();
  constructor(private capacity: number) {}
  get(page: number): T | undefined {
    const v = this.map.get(page);
    if (v !== undefined) {
      this.map.delete(page);
      this.map.set(page, v);
    }
    return v;
  }
  has(page: number): boolean {
    return this.map.has(page);
  }
  set(page: number, value: T): void {
    this.map.delete(page);
    this.map.set(page, value);
    while (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value as number;
      this.map.delete(oldest);
    }
  }
  clear(): void {
    this.map.clear();
  }
  get size(): number {
    return this.map.size;
  }
}

/**
 * The rows a scroll moving at `rowsPerFrame` (signed: > 0 down) will show
 * `leadFrames` frames from now: the window [first, last) moved that far in
 * the scroll's direction and clamped to [0, rowCount). A fling's pages are
 * asked for where the viewport will be when their answer arrives, not where
 * it is now (those would arrive after it has moved on). Invariant: the
 * result keeps the window's length where the rows allow, and 0 <= first <=
 * last <= rowCount.
 */
export function aheadWindow(first: number, last: number, rowsPerFrame: number, leadFrames: number, rowCount: number): { first: number; last: number } {
  const shift = Math.round(rowsPerFrame * Math.max(0, leadFrames));
  const len = Math.max(0, last - first);
  let f = first + shift;
  f = Math.max(0, Math.min(f, rowCount - len));
  f = Math.max(0, f);
  return { first: f, last: Math.min(rowCount, f + len) };
}

/**
 * How many frames ahead a fetch must aim: the page's round trip (`fetchMs`,
 * measured) in frames of `frameMs`, plus one for the frame that renders it,
 * kept within [1, maxLead] so a slow answer never sends the table far
 * ahead of the user.
 */
export function leadFrames(fetchMs: number, frameMs: number, maxLead = 12): number {
  if (!(fetchMs > 0) || !(frameMs > 0)) return 2;
  return Math.max(1, Math.min(maxLead, Math.ceil(fetchMs / frameMs) + 1));
}
