import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frameColor, frameRgba, hashString, heatColor, packRgba } from '../../src/lib/colors';

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

test('packRgba gives ImageData bytes (R, G, B, 255) as a little-endian word', () => {
  const bytes = (css: string) => Array.from(new Uint8Array(new Uint32Array([packRgba(css)]).buffer));
  assert.deepEqual(bytes('#ff8000'), [255, 128, 0, 255]);
  assert.deepEqual(bytes('#fff'), [255, 255, 255, 255]);
  assert.deepEqual(bytes('rgb(1, 2, 3)'), [1, 2, 3, 255]);
  assert.deepEqual(bytes('hsl(0,100%,50%)'), [255, 0, 0, 255]);
  assert.deepEqual(bytes('hsl(120,100%,25%)'), [0, 128, 0, 255]);
  assert.deepEqual(bytes('hsl(0,0%,88%)'), [224, 224, 224, 255]);
  // What the renderers write for every colour mode parses (never the grey fallback).
  for (const c of [frameColor('function', ['f', 'a.py', 1, 'p']), frameColor('module', ['f', 'a.py', 1, 'p']), heatColor(0.3)]) {
    assert.notDeepEqual(bytes(c), [128, 128, 128, 255], c);
  }
  assert.deepEqual(bytes('not a colour'), [128, 128, 128, 255]);
});

test('frameRgba is frameColor packed', () => {
  for (const mode of ['function', 'module', 'package'] as const) {
    for (const info of [['f', 'a.py', 1, 'p'], ['g', 'b/c.py', 2, ''], ['h', '', 0, 'q']] as const) {
      assert.equal(frameRgba(mode, [...info]), packRgba(frameColor(mode, [...info])), `${mode} ${info.join()}`);
    }
  }
});
