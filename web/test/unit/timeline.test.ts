import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockAt, hitSpan, layoutBlocks, modelFromAnswer, TL, underSelected } from '../../src/lib/timeline';
import type { TimelineAnswer } from '../../src/lib/types';

function answer(): TimelineAnswer {
  return {
    t0: 1000,
    t1: 2000,
    width: 100,
    threads: [
      {
        index: 0,
        name: 'MainThread',
        spans: { x0: [0, 0, 10, 50], x1: [100, 50, 20, 100], depth: [0, 1, 2, 1], frame: [0, 1, 2, 3], weight: [100, 50, 10, 50] },
        states: { cpu: [[0, 40]], gil: [[0, 100]], idle: [[40, 100]] },
        gc: [[20, 22, 3]],
        markers: [[70, 1, 'checkpoint']],
      },
      { index: 2, name: 'worker', spans: { x0: [], x1: [], depth: [], frame: [], weight: [] }, states: { cpu: [], gil: [], idle: [] }, gc: [], markers: [] },
    ],
    frames: {},
  };
}

test('pixel columns become times on the profile clock', () => {
  const m = modelFromAnswer(answer());
  const th = m.threads[0];
  assert.deepEqual(Array.from(th.t0), [1000, 1000, 1100, 1500]);
  assert.deepEqual(Array.from(th.t1), [2000, 1500, 1200, 2000]);
  assert.equal(th.maxDepth, 2);
  assert.deepEqual(Array.from(th.cpu), [1000, 1400]);
  assert.deepEqual(Array.from(th.gc), [1200, 1220, 3]);
  assert.deepEqual(th.markers, [{ t: 1700, count: 1, label: 'checkpoint' }]);
  assert.equal(m.threads[1].maxDepth, -1);
});

test('thread blocks stack, and hit testing finds the deepest span', () => {
  const m = modelFromAnswer(answer());
  const b = layoutBlocks(m);
  assert.equal(b.top[0], TL.axis);
  assert.equal(b.top[1], b.top[0] + b.height[0]);
  assert.equal(b.contentHeight, b.top[1] + b.height[1]);
  const y2 = b.spansTop[0] + 2 * TL.row + 1;
  assert.equal(hitSpan(m, b, 0, 1150, y2), 2);
  assert.equal(hitSpan(m, b, 0, 1300, y2), -1);
  assert.equal(hitSpan(m, b, 0, 1600, b.spansTop[0] + TL.row + 1), 3);
  assert.equal(blockAt(b, b.top[1] + 1), 1);
  assert.equal(blockAt(b, 0), -1);
});

test('spans under a selected function', () => {
  const m = modelFromAnswer(answer());
  assert.deepEqual(Array.from(underSelected(m.threads[0], 1)), [0, 1, 1, 0]);
  assert.deepEqual(Array.from(underSelected(m.threads[0], 99)), [0, 0, 0, 0]);
});
