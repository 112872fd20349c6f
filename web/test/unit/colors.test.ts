import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frameColor, hashString, heatColor } from '../../src/lib/colors';

test('the same function gets the same colour, others mostly differ', () => {
  const a = frameColor('function', ['work', 'app.py', 10, 'app']);
  assert.equal(a, frameColor('function', ['work', 'app.py', 99, 'app']));
  const seen = new Set<string>();
  for (let i = 0; i < 50; i++) seen.add(frameColor('function', [`f${i}`, 'app.py', 1, 'app']));
  assert.ok(seen.size > 30, `only ${seen.size} colours for 50 functions`);
  assert.equal(hashString('abc'), hashString('abc'));
  assert.notEqual(hashString('abc'), hashString('abd'));
});

test('module and package modes group by file and package', () => {
  assert.equal(frameColor('module', ['a', 'x.py', 1, 'p']), frameColor('module', ['b', 'x.py', 2, 'q']));
  assert.equal(frameColor('package', ['a', 'x.py', 1, 'p']), frameColor('package', ['b', 'y.py', 2, 'p']));
});

test('frequency heat grows with the share', () => {
  const hue = (c: string) => Number(/hsl\((\d+)/.exec(c)![1]);
  assert.ok(hue(heatColor(0.5)) < hue(heatColor(0.01)));
  assert.equal(hue(heatColor(0)), 220);
  assert.equal(hue(heatColor(1)), 0);
});
