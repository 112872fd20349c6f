import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Raster } from '../../src/render/raster';

const BG = 1;
const A = 2;
const B = 3;

function row(r: Raster, y: number): number[] {
  return Array.from({ length: r.width }, (_, x) => r.pixel(x, y));
}

test('a composed row is copied onto its device rows, and only those', () => {
  const r = new Raster();
  r.begin(10, 4, BG);
  r.rowBegin(BG);
  r.rowBox(1, 3, A);
  r.rowBox(5.2, 5.4, B); // under a pixel: still takes the pixel it starts in
  r.rowEnd(1, 3);
  assert.deepEqual(row(r, 0), [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual(row(r, 1), [1, 2, 2, 1, 1, 3, 1, 1, 1, 1]);
  assert.deepEqual(row(r, 2), row(r, 1));
  assert.deepEqual(row(r, 3), row(r, 0));
});

test('boxes and rows are clipped to the buffer, never written outside it', () => {
  const r = new Raster();
  r.begin(6, 3, BG);
  r.rowBegin(BG);
  r.rowBox(-5, 2, A);
  r.rowBox(4, 99, B);
  r.rowBox(50, 60, A); // wholly outside: nothing
  r.rowEnd(-2, 1);
  assert.deepEqual(row(r, 0), [2, 2, 1, 1, 3, 3]);
  assert.deepEqual(row(r, 1), [1, 1, 1, 1, 1, 1]);
  r.fill(-3, 2, 2, 40, B);
  assert.deepEqual(row(r, 2), [3, 3, 1, 1, 1, 1]);
  r.rowBegin(BG);
  r.rowEnd(5, 9); // below the buffer: nothing
  assert.equal(r.pixel(0, 2), 3);
});

test('begin clears to the background and resizes when asked', () => {
  const r = new Raster();
  r.begin(4, 2, BG);
  r.fill(0, 0, 4, 2, A);
  r.begin(4, 2, B);
  assert.deepEqual(row(r, 1), [3, 3, 3, 3]);
  r.begin(7.4, 1, BG);
  assert.equal(r.width, 7);
  assert.equal(r.height, 1);
});
