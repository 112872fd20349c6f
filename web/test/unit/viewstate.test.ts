import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiParams, decodeState, defaultState, diffParams, encodeState, resetState, ViewState } from '../../src/lib/viewstate';

test('the default state encodes to the empty string', () => {
  assert.equal(encodeState(defaultState()), '');
  assert.deepEqual(decodeState('').state, defaultState());
});

test('every field survives a round trip through the URL', () => {
  const s: ViewState = {
    view: 'timeline',
    icicle: true,
    inverted: true,
    t0: 1_000,
    t1: 2_500_000_000,
    threads: [0, 3],
    state: ['cpu', 'gil'],
    focus: 12,
    exclude: 40,
    hide: '^_?bootstrap|(threading\\.py)',
    hideKinds: ['stdlib', 'site'],
    hidePackages: ['numpy', 'requests'],
    collapse: true,
    sel: 7,
    zoom: [0, 5, 9],
    q: 'work & co?',
    regex: true,
    tableGrey: true,
    grey: 'children',
    color: 'frequency',
    sort: 'name',
    order: 'asc',
    by: 'line',
    file: '/srv/app/main file.py',
    line: 42,
    w0: 500,
    w1: 9_000,
    cgNode: 0.0012,
    cgEdge: 0.00001,
    hood: 3,
    tmPackage: 'numpy',
    tmFile: '/srv/app/lib.py',
    vs: 'ab12cd34',
    bt0: 1_000_000,
    bt1: 2_000_000_000,
    at0: 3_000_000_000,
    at1: 9_007_199_254_740_000,
  };
  const q = encodeState(s);
  const back = decodeState(q);
  assert.deepEqual(back.problems, []);
  assert.deepEqual(back.state, s);
  assert.equal(encodeState(back.state), q);
  assert.deepEqual(decodeState('?' + q).state, s);
});

test('times beyond 2^53 are written as plain integers', () => {
  const s = { ...defaultState(), t0: 1.7e18, t1: 1.8e18 };
  const q = encodeState(s);
  assert.match(q, /t0=1700000000000000000/);
  assert.doesNotMatch(q, /e\+/);
});

test('bad parameters fall back to defaults and are named', () => {
  const d = decodeState('v=nope&focus=abc&threads=1,x&state=cpu,zzz&t0=5&t1=2&icicle=yes&color=rainbow');
  assert.equal(d.state.view, 'flame');
  assert.equal(d.state.focus, null);
  assert.deepEqual(d.state.threads, []);
  assert.deepEqual(d.state.state, ['cpu']);
  assert.equal(d.state.t0, null);
  assert.equal(d.state.t1, null);
  assert.equal(d.state.icicle, false);
  assert.equal(d.state.color, 'function');
  assert.deepEqual(d.problems.sort(), ['color', 'focus', 'icicle', 'state', 't1', 'threads', 'v'].sort());
});

test('apiParams passes the server parameters through, and only those', () => {
  const s = { ...defaultState(), t0: 10, t1: 20, focus: 3, hideKinds: ['stdlib'], collapse: true, sel: 9, q: 'x' };
  assert.equal(apiParams(s).toString(), 't0=10&t1=20&focus=3&hide_kinds=stdlib&collapse=1');
  assert.equal(apiParams(s, false).toString(), 'focus=3&hide_kinds=stdlib&collapse=1');
});

test('reset keeps the view and clears the rest', () => {
  const s = { ...defaultState(), view: 'table' as const, focus: 3, q: 'x', t0: 1, t1: 2 };
  assert.deepEqual(resetState(s), { ...defaultState(), view: 'table' });
});

test('call graph, treemap and diff parameters that do not parse are reported and left at their defaults', () => {
  const d = decodeState('v=callgraph&cgn=2&cge=abc&hood=99&vs=../x&tmf=orphan.py');
  assert.deepEqual(d.problems.sort(), ['cge', 'cgn', 'hood', 'vs']);
  assert.equal(d.state.view, 'callgraph');
  assert.equal(d.state.cgNode, defaultState().cgNode);
  assert.equal(d.state.hood, 0);
  assert.equal(d.state.vs, null);
  assert.equal(d.state.tmFile, null, 'a file zoom without its package is dropped');
});

test('diff sides: each side’s range goes to /api/diff under its prefix, beside the shared view state', () => {
  const s = { ...defaultState(), t0: 5, t1: 50, threads: [1], bt0: 10, bt1: 20, at0: 30, at1: 40 };
  const p = diffParams(s, 'aaa', 'aaa');
  assert.equal(p.get('before'), 'aaa');
  assert.equal(p.get('after'), 'aaa');
  assert.equal(p.get('before.t0'), '10');
  assert.equal(p.get('before.t1'), '20');
  assert.equal(p.get('after.t0'), '30');
  assert.equal(p.get('after.t1'), '40');
  assert.equal(p.get('t0'), '5', 'the shared range stays (a side’s own wins on the server)');
  assert.equal(p.get('threads'), '1');
  const none = diffParams(defaultState(), 'a', 'b');
  assert.deepEqual([...none.keys()], ['before', 'after']);
});

test('a diff side’s range with one end, or ends out of order, is dropped and named', () => {
  const d = decodeState('v=diff&bt0=10&at0=50&at1=40');
  assert.equal(d.state.bt0, null);
  assert.equal(d.state.bt1, null);
  assert.equal(d.state.at0, null);
  assert.deepEqual(d.problems.sort(), ['at1', 'bt1']);
});
