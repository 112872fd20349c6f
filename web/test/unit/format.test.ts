import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatCompact,
  formatCount,
  formatDate,
  formatDuration,
  formatPercent,
  formatWeight,
  shortenPath,
} from '../../src/lib/format';

test('durations pick a unit and keep three significant digits', () => {
  assert.equal(formatDuration(12), '12 ns');
  assert.equal(formatDuration(1500), '1.50 µs');
  assert.equal(formatDuration(45_600_000), '45.6 ms');
  assert.equal(formatDuration(1_234_000_000), '1.23 s');
  assert.equal(formatDuration(90e9), '1.50 min');
  assert.equal(formatDuration(NaN), 'NaN');
});

test('counts get separators, compact counts get SI suffixes', () => {
  assert.equal(formatCount(0), '0');
  assert.equal(formatCount(999), '999');
  assert.equal(formatCount(1234567), '1,234,567');
  assert.equal(formatCount(-1234), '-1,234');
  assert.equal(formatCompact(9999), '9,999');
  assert.equal(formatCompact(12345), '12.3k');
  assert.equal(formatCompact(10_000_000), '10.0M');
});

test('percentages of a whole, small shares kept visible', () => {
  assert.equal(formatPercent(1, 8), '12.5%');
  assert.equal(formatPercent(1, 1000), '0.10%');
  assert.equal(formatPercent(1, 1e7), '<0.01%');
  assert.equal(formatPercent(0, 5), '0%');
  assert.equal(formatPercent(1, 0), '–');
});

test('weights follow the profile unit', () => {
  assert.equal(formatWeight(2_000_000, 'ns'), '2.00 ms');
  assert.equal(formatWeight(3, 'calls'), '3 calls');
  assert.equal(formatWeight(1, 'samples'), '1 sample');
  assert.equal(formatWeight(500, 'samples', 1000), '500 samples (500 ms)');
});

test('dates and paths', () => {
  assert.match(formatDate(1_700_000_000), /^\d{4}-\d\d-\d\d \d\d:\d\d$/);
  assert.equal(shortenPath('/a/b/c.py', 48), '/a/b/c.py');
  const long = '/very/long/' + 'x'.repeat(80) + '/file.py';
  const s = shortenPath(long, 20);
  assert.equal(s.length, 20);
  assert.ok(s.startsWith('…') && s.endsWith('/file.py'));
});
