import { test } from 'node:test';
import assert from 'node:assert/strict';
import { missingPages, PageCache, rowWindow, scrollToRow } from '../../src/lib/vtable';

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
