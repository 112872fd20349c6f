/*
 * latest.ts — keeping only the latest of a stream of requests: a debouncer
 * for typing, and request generations that abort and ignore superseded
 * answers. Pure logic over injectable timers, so the unit tests drive the
 * clock themselves.
 *
 * Invariants: a Debouncer runs at most one callback per quiet period, the
 * last one scheduled; a Generations hands out strictly increasing sequence
 * numbers, begin() aborts the signal of every earlier one, and current()
 * is true only for the newest — so an older answer, however late it comes
 * back, never overwrites a newer one (abort alone is not enough: a
 * response can already be parsed when the abort comes).
 */

/** The timers a Debouncer uses (window's by default; tests pass a fake clock). */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Runs the last scheduled callback once `ms` have passed with no other scheduled. */
export class Debouncer {
  private handle: unknown = null;
  private fn: (() => void) | null = null;

  constructor(
    readonly ms: number,
    private timers: Timers = realTimers,
  ) {}

  /** Replaces any waiting callback with `fn` and restarts the quiet period. */
  schedule(fn: () => void): void {
    this.cancel();
    this.fn = fn;
    this.handle = this.timers.set(() => this.flush(), this.ms);
  }

  /** Drops the waiting callback, if any, without running it. */
  cancel(): void {
    if (this.handle !== null) this.timers.clear(this.handle);
    this.handle = null;
    this.fn = null;
  }

  /** Runs the waiting callback now, if any. */
  flush(): void {
    const fn = this.fn;
    this.cancel();
    fn?.();
  }

  get pending(): boolean {
    return this.fn !== null;
  }
}

/** One generation of requests: its sequence number and the signal that aborts them. */
export interface Ticket {
  seq: number;
  signal: AbortSignal;
}

/**
 * Request generations: every request of one view state shares a ticket;
 * a new state begins a new generation, aborting the old one's requests.
 */
export class Generations {
  private seq = 0;
  private ctrl: AbortController | null = null;
  private ticket: Ticket | null = null;

  /** Aborts the current generation and starts the next. */
  begin(): Ticket {
    this.ctrl?.abort();
    this.ctrl = new AbortController();
    this.ticket = { seq: ++this.seq, signal: this.ctrl.signal };
    return this.ticket;
  }

  /** The current generation's ticket (null before the first begin()). */
  get now(): Ticket | null {
    return this.ticket;
  }

  /** Whether an answer asked for under `t` may still be applied. */
  current(t: Ticket): boolean {
    return t.seq === this.seq && !t.signal.aborted;
  }

  /** Aborts the current generation; nothing is current until the next begin(). */
  cancel(): void {
    this.ctrl?.abort();
    this.ctrl = null;
    this.seq++;
    this.ticket = null;
  }
}

/**
 * How the table takes a new view state: 'none' when what it asks the
 * server is unchanged, 'debounce' when only the filter box's text changed
 * (typing: wait for a pause), 'now' for anything else (a click, a sort, a
 * range: the user expects the answer at once).
 */
export function changeKind(applied: { key: string; rest: string } | null, next: { key: string; rest: string }): 'none' | 'debounce' | 'now' {
  if (applied === null) return 'now';
  if (applied.key === next.key) return 'none';
  return applied.rest === next.rest ? 'debounce' : 'now';
}
