import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changeKind, Debouncer, Generations, Timers } from '../../src/lib/latest';

/** A clock the test moves by hand: timers fire only in advance(). */
function fakeClock(): Timers & { advance(ms: number): void; live(): number } {
  let now = 0;
  let next = 1;
  const due = new Map<number, { at: number; fn: () => void }>();
  return {
    set(fn, ms) {
      due.set(next, { at: now + ms, fn });
      return next++;
    },
    clear(h) {
      due.delete(h as number);
    },
    advance(ms) {
      now += ms;
      for (const [h, t] of [...due].sort((a, b) => a[1].at - b[1].at)) {
        if (t.at <= now && due.delete(h)) t.fn();
      }
    },
    live: () => due.size,
  };
}

test('typing within the quiet period runs only the last callback, once', () => {
  const clock = fakeClock();
  const d = new Debouncer(150, clock);
  const ran: string[] = [];
  for (const text of ['l', 'le', 'lea', 'leaf']) {
    d.schedule(() => ran.push(text));
    clock.advance(100); // faster than 150 ms a key
  }
  assert.deepEqual(ran, []);
  assert.ok(d.pending);
  clock.advance(49);
  assert.deepEqual(ran, [], 'not before 150 ms of quiet');
  clock.advance(1);
  assert.deepEqual(ran, ['leaf']);
  assert.ok(!d.pending);
  clock.advance(1000);
  assert.deepEqual(ran, ['leaf'], 'once');
  assert.equal(clock.live(), 0, 'no timer left behind');
});

test('a pause longer than the quiet period runs each text typed before it', () => {
  const clock = fakeClock();
  const d = new Debouncer(150, clock);
  const ran: string[] = [];
  d.schedule(() => ran.push('a'));
  clock.advance(200);
  d.schedule(() => ran.push('ab'));
  clock.advance(150);
  assert.deepEqual(ran, ['a', 'ab']);
});

test('cancel drops the waiting callback; flush runs it now', () => {
  const clock = fakeClock();
  const d = new Debouncer(150, clock);
  let n = 0;
  d.schedule(() => n++);
  d.cancel();
  clock.advance(500);
  assert.equal(n, 0);
  assert.equal(clock.live(), 0);
  d.schedule(() => n++);
  d.flush();
  assert.equal(n, 1);
  clock.advance(500);
  assert.equal(n, 1, 'a flushed callback does not run again');
  d.flush();
  assert.equal(n, 1, 'flush with nothing waiting does nothing');
});

test('a new generation aborts the old one, and its late answer is not current', () => {
  const g = new Generations();
  assert.equal(g.now, null);
  const a = g.begin();
  assert.ok(g.current(a));
  const b = g.begin();
  assert.ok(a.signal.aborted, 'the superseded request is aborted');
  assert.ok(!b.signal.aborted);
  assert.ok(b.seq > a.seq);
  assert.ok(!g.current(a), 'an older answer may not overwrite a newer one');
  assert.ok(g.current(b));
  assert.equal(g.now, b);
});

test('answers arriving out of order: only the newest generation applies', async () => {
  const g = new Generations();
  const shown: string[] = [];
  // Three states asked in order; the server answers them in reverse.
  const asks = ['sort=self', 'sort=total', 'sort=name'].map((q) => ({ q, t: g.begin() }));
  for (const { q, t } of [...asks].reverse()) {
    await Promise.resolve();
    if (g.current(t)) shown.push(q);
  }
  assert.deepEqual(shown, ['sort=name']);
});

test('cancel leaves no generation current', () => {
  const g = new Generations();
  const a = g.begin();
  g.cancel();
  assert.ok(a.signal.aborted);
  assert.ok(!g.current(a));
  assert.equal(g.now, null);
});

test('the table debounces only changes of the filter text', () => {
  const k = (q: string, rest: string) => ({ key: `${rest}&q=${q}`, rest });
  assert.equal(changeKind(null, k('', 'sort=self')), 'now', 'the first state is asked at once');
  assert.equal(changeKind(k('', 'sort=self'), k('', 'sort=self')), 'none');
  assert.equal(changeKind(k('', 'sort=self'), k('l', 'sort=self')), 'debounce', 'typing waits for a pause');
  assert.equal(changeKind(k('leaf', 'sort=self'), k('leaf', 'sort=total')), 'now', 'a sort is a click');
  assert.equal(changeKind(k('leaf', 'sort=self'), k('leaf2', 'sort=total')), 'now');
});
