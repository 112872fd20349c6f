/*
 * store.ts — the profile page's one view state, shared by every view, kept
 * in the URL. set() applies a patch, writes the URL (pushState for changes
 * a user would go back over, replaceState for continuous ones such as
 * panning) and notifies subscribers once; the browser's back/forward
 * restores a state through the same path.
 */
import { decodeState, encodeState, ViewState, withPatch } from './lib/viewstate';

export type Listener = (state: ViewState, prev: ViewState) => void;

export class Store {
  private listeners = new Set<Listener>();
  state: ViewState;
  problems: string[];

  constructor(private basePath: string) {
    const d = decodeState(location.search);
    this.state = d.state;
    this.problems = d.problems;
    window.addEventListener('popstate', this.onPop);
  }

  private onPop = () => {
    if (location.pathname !== this.basePath) return;
    const prev = this.state;
    this.state = decodeState(location.search).state;
    this.emit(prev);
  };

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  set(patch: Partial<ViewState>, mode: 'push' | 'replace' = 'push'): void {
    this.replaceAll(withPatch(this.state, patch), mode);
  }

  replaceAll(next: ViewState, mode: 'push' | 'replace' = 'push'): void {
    const prev = this.state;
    const q = encodeState(next);
    if (q === encodeState(prev)) return;
    this.state = next;
    const url = this.basePath + (q ? '?' + q : '') + location.hash;
    if (mode === 'push') history.pushState(null, '', url);
    else history.replaceState(null, '', url);
    this.emit(prev);
  }

  /** The current state's query string (what a saved view stores). */
  query(): string {
    return encodeState(this.state);
  }

  private emit(prev: ViewState): void {
    for (const fn of [...this.listeners]) fn(this.state, prev);
  }

  destroy(): void {
    window.removeEventListener('popstate', this.onPop);
    this.listeners.clear();
  }
}
