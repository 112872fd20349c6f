import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countMatches, dimMask, makeMatcher, rowMatches, tableCountText, tableFilter } from '../../src/lib/filter';
import { layoutTree } from '../../src/lib/flame';
import { sampleTree } from './fixtures';

test('text filters match name or file, case-insensitively', () => {
  const m = makeMatcher('UTIL', false);
  assert.ok(m.active);
  assert.ok(m.test(['inner', 'lib/util.py', 5, 'lib']));
  assert.ok(!m.test(['work', 'app.py', 10, 'app']));
  assert.ok(makeMatcher('work (app', false).test(['work', 'app.py', 10, 'app']));
});

test('regex filters, and a bad regex is reported without filtering', () => {
  assert.ok(makeMatcher('^w.rk ', true).test(['work', 'app.py', 10, 'app']));
  const bad = makeMatcher('(', true);
  assert.equal(bad.active, false);
  assert.match(bad.error ?? '', /not a valid regular expression/);
  assert.ok(bad.test(['x', '', 0, '']));
  assert.equal(makeMatcher('', true).active, false);
});

test('the filter greys out what does not match', () => {
  const l = layoutTree(sampleTree());
  const dim = dimMask(l, makeMatcher('app.py', false), 'none', null);
  assert.deepEqual(Array.from(dim), [1, 0, 0, 1, 1, 1]);
  assert.equal(countMatches(l, makeMatcher('app.py', false)), 2);
  assert.deepEqual(Array.from(dimMask(l, makeMatcher('', false), 'none', null)), [0, 0, 0, 0, 0, 0]);
});

test('grey-out modes relative to the selected function', () => {
  const l = layoutTree(sampleTree());
  const none = makeMatcher('', false);
  // children of work (frame 1): work, inner, other.
  assert.deepEqual(Array.from(dimMask(l, none, 'children', 1)), [1, 1, 0, 1, 0, 0]);
  assert.deepEqual(Array.from(dimMask(l, none, 'function', 1)), [1, 1, 0, 1, 1, 1]);
  // module of work is app.py: main and work stay.
  assert.deepEqual(Array.from(dimMask(l, none, 'module', 1)), [1, 0, 0, 1, 1, 1]);
  // no selection: grey modes do nothing.
  assert.deepEqual(Array.from(dimMask(l, none, 'function', null)), [0, 0, 0, 0, 0, 0]);
});

test('table rows match on their function or on their own key', () => {
  const m = makeMatcher('^util\\.py', true);
  assert.ok(rowMatches(m, 'util.py', undefined), 'a file row, by its key');
  assert.ok(!rowMatches(m, 'inner', ['inner', 'lib/util.py', 5, 'lib']), 'anchored: "inner (lib/util.py)" does not start with util.py');
  assert.ok(rowMatches(makeMatcher('inner \\(lib/', true), 'inner', ['inner', 'lib/util.py', 5, 'lib']));
  assert.ok(rowMatches(makeMatcher('', true), 'x', undefined), 'no filter: everything');
  assert.ok(rowMatches(makeMatcher('(', true), 'x', undefined), 'a bad regex filters nothing');
});

test('the table sends text as filter=, a regex as match=, and grey-out as mark=1', () => {
  assert.deepEqual(tableFilter('', true, true, null), { match: null, filter: null, mark: false, error: null });
  assert.deepEqual(tableFilter('Leaf', false, false, null), { match: null, filter: 'Leaf', mark: false, error: null });
  assert.deepEqual(tableFilter('Leaf', false, true, null), { match: null, filter: 'Leaf', mark: true, error: null });
  assert.deepEqual(tableFilter('^leaf_', true, false, null), { match: '^leaf_', filter: null, mark: false, error: null });
  assert.deepEqual(tableFilter('^leaf_', true, true, null), { match: '^leaf_', filter: null, mark: true, error: null });
});

test('a regex the browser or the server refuses is not sent, and says why', () => {
  const bad = tableFilter('leaf_(', true, false, null);
  assert.equal(bad.match, null);
  assert.equal(bad.filter, null);
  assert.match(bad.error ?? '', /not a valid regular expression/);
  // JavaScript takes a lone \k; PCRE2 does not: once refused, its reason stands.
  const rejected = { q: 'leaf_\\k', message: 'not a valid regular expression: \\k is not followed by a name at offset 7' };
  assert.deepEqual(tableFilter('leaf_\\k', true, true, rejected), { match: null, filter: null, mark: false, error: rejected.message });
  // another pattern is sent again
  assert.equal(tableFilter('leaf_', true, false, rejected).match, 'leaf_');
  // the same text as a text filter is fine
  assert.equal(tableFilter('leaf_\\k', false, false, rejected).filter, 'leaf_\\k');
});

test('the table count says "N of M" only while the filter hides rows', () => {
  const f = (n: number) => n.toLocaleString('en-US');
  assert.equal(tableCountText(12, 200000, 'functions', true, f), '12 of 200,000 functions');
  assert.equal(tableCountText(12, -1, 'functions', true, f), '12 of … functions');
  assert.equal(tableCountText(200000, 200000, 'files', false, f), '200,000 files');
  assert.equal(tableCountText(-1, -1, 'lines', true, f), '… lines');
});
