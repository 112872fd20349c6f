import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aheadWindow, leadFrames, missingPages, PageCache, rowWindow, scrollToRow } from '../../src/lib/vtable';

test('the window covers the viewport plus overscan, clamped', () => {
  const w = rowWindow(2200, 440, 22, 200_000, 5);
  assert.equal(w.first, 95);
  assert.equal(w.last, 125);
  assert.equal(w.offsetY, 95 * 22);
  assert.equal(w.totalHeight, 4_400_000);
  const top = rowWindow(0, 440, 22, 200_000, 5);
  assert.equal(top.first, 0);
  const end = rowWindow(1e9, 440, 22, 200_000, 5);
  assert.equal(end.last, 200_000);
  assert.ok(end.first < end.last);
  assert.deepEqual(rowWindow(0, 440, 22, 0), { first: 0, last: 0, offsetY: 0, totalHeight: 0 });
  const few = rowWindow(0, 440, 22, 3);
  assert.equal(few.last, 3);
});

test('only the missing pages are fetched', () => {
  const loaded = new Set([1]);
  assert.deepEqual(missingPages(150, 420, 100, (p) => loaded.has(p)), [2, 3, 4]);
  assert.deepEqual(missingPages(0, 0, 100, () => false), []);
  assert.deepEqual(missingPages(99, 100, 100, () => false), [0]);
});

test('scrolling to a row centres it', () => {
  assert.equal(scrollToRow(0, 22, 440, 1000), 0);
  assert.equal(scrollToRow(500, 22, 440, 1000), 500 * 22 - 209);
  assert.equal(scrollToRow(999, 22, 440, 1000), 1000 * 22 - 440);
});

test('the page cache drops the least recently used', () => {
  const c = new PageCache<string>(2);
  c.set(1, 'a');
  c.set(2, 'b');
  c.get(1);
  c.set(3, 'c');
  assert.ok(c.has(1) && c.has(3) && !c.has(2));
  assert.equal(c.size, 2);
});

test('a fling asks for the rows it will reach, in its direction, clamped to the table', () => {
  // 400 rows a frame down, 3 frames ahead: 1200 rows further.
  assert.deepEqual(aheadWindow(1000, 1050, 400, 3, 200_000), { first: 2200, last: 2250 });
  // Upward.
  assert.deepEqual(aheadWindow(5000, 5050, -400, 3, 200_000), { first: 3800, last: 3850 });
  // Standing still: the window itself.
  assert.deepEqual(aheadWindow(10, 60, 0, 5, 200_000), { first: 10, last: 60 });
  // Past either end: the last (or first) rows, the window's length kept.
  assert.deepEqual(aheadWindow(199_900, 199_950, 400, 3, 200_000), { first: 199_950, last: 200_000 });
  assert.deepEqual(aheadWindow(100, 150, -400, 3, 200_000), { first: 0, last: 50 });
  // Fewer rows than the window.
  assert.deepEqual(aheadWindow(0, 50, 400, 3, 20), { first: 0, last: 20 });
});

test('the lead covers the measured round trip, within bounds', () => {
  assert.equal(leadFrames(30, 16.7), 3);
  assert.equal(leadFrames(5, 16.7), 2);
  assert.equal(leadFrames(0, 16.7), 2); // nothing measured yet
  assert.equal(leadFrames(10_000, 16.7), 12);
  assert.equal(leadFrames(10_000, 16.7, 6), 6);
});
