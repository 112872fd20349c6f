import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clampSpan, fromPixel, niceTicks, pan, rangeFromPixels, toPixel, wheelFactor, zoomAt } from '../../src/lib/zoom';

test('zooming keeps the anchor point still on screen', () => {
  const v = { a: 0, b: 1000 };
  const z = zoomAt(v, 0.25, 0.5, 0, 1000, 1);
  assert.equal(z.b - z.a, 500);
  assert.equal(toPixel(z, 250, 800), toPixel(v, 250, 800));
  const out = zoomAt(z, 0.25, 2, 0, 1000, 1);
  assert.deepEqual(out, { a: 0, b: 1000 });
});

test('zoom and pan never leave the bounds nor go below the minimum span', () => {
  const v = { a: 100, b: 200 };
  const tiny = zoomAt(v, 0.5, 1e-9, 0, 1000, 10);
  assert.ok(Math.abs(tiny.b - tiny.a - 10) < 1e-9);
  const p = pan(v, 100, 0, 1000, 10);
  assert.deepEqual(p, { a: 900, b: 1000 });
  assert.deepEqual(pan(v, -100, 0, 1000, 10), { a: 0, b: 100 });
  assert.deepEqual(clampSpan({ a: -50, b: 5000 }, 0, 1000, 1), { a: 0, b: 1000 });
});

test('wheel factors are symmetric', () => {
  assert.ok(Math.abs(wheelFactor(100, 0) * wheelFactor(-100, 0) - 1) < 1e-12);
  assert.ok(wheelFactor(100, 0) > 1);
  assert.ok(wheelFactor(3, 1) > 1);
});

test('pixel ranges map to clamped, ordered ranges', () => {
  const v = { a: 1000, b: 2000 };
  assert.equal(fromPixel(v, 400, 800), 1500);
  assert.deepEqual(rangeFromPixels(v, 600, 200, 800, 0, 1e9), { a: 1250, b: 1750 });
  assert.deepEqual(rangeFromPixels(v, -100, 900, 800, 1100, 1900), { a: 1100, b: 1900 });
});

test('ticks fall on a 1-2-5 step', () => {
  const t = niceTicks(0, 1000, 5);
  assert.equal(t.step, 200);
  assert.deepEqual(t.ticks, [0, 200, 400, 600, 800]);
  assert.equal(niceTicks(13, 97, 4).step, 20);
  assert.deepEqual(niceTicks(5, 5, 4).ticks, []);
});
