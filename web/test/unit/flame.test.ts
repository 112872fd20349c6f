import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findPath, firstVisible, framePath, hitTest, isInSubtree, layoutTree, nodeLabel } from '../../src/lib/flame';
import { sampleTree } from './fixtures';

test('children lie inside their parent, left-aligned, in answer order', () => {
  const l = layoutTree(sampleTree());
  assert.equal(l.count, 6);
  assert.deepEqual(Array.from(l.depth), [0, 1, 2, 2, 3, 3]);
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
  close(l.x[0], 0);
  close(l.w[0], 1);
  close(l.x[2], 0); // work
  close(l.w[2], 0.7);
  close(l.x[3], 0.7); // io after work
  close(l.w[3], 0.3);
  close(l.x[4], 0); // inner
  close(l.x[5], 0.4); // other after inner
  close(l.w[5], 0.1);
  assert.equal(l.maxDepth, 3);
  assert.deepEqual(Array.from(l.rows[2]), [2, 3]);
  assert.equal(nodeLabel(l, 5), 'other (2 calls)');
  assert.equal(nodeLabel(l, 0), 'all');
});

test('hit testing finds the box under a point, and nothing in gaps', () => {
  const l = layoutTree(sampleTree());
  assert.equal(hitTest(l, 0.1, 2), 2);
  assert.equal(hitTest(l, 0.75, 2), 3);
  assert.equal(hitTest(l, 0.45, 3), 5);
  assert.equal(hitTest(l, 0.6, 3), -1); // work's self time: no child there
  assert.equal(hitTest(l, 0.5, 9), -1);
  assert.equal(firstVisible(l, l.rows[2], 0.71), 1);
});

test('subtrees and paths', () => {
  const l = layoutTree(sampleTree());
  assert.ok(isInSubtree(l, 1, 4));
  assert.ok(isInSubtree(l, 2, 5));
  assert.ok(!isInSubtree(l, 3, 4));
  assert.ok(isInSubtree(l, 4, 4));
  assert.deepEqual(framePath(l, 4), [0, 1, 2]);
  assert.equal(findPath(l, [0, 1, 2]), 4);
  assert.equal(findPath(l, [0, 3]), 3);
  assert.equal(findPath(l, [0, 9]), -1);
  assert.equal(findPath(l, []), 0);
});

test('a deep chain lays out without recursion', () => {
  const n = 20000;
  const t = sampleTree();
  t.nodes = { frame: [], parent: [], depth: [], self: [], total: [], folded: [] };
  for (let i = 0; i < n; i++) {
    t.nodes.frame.push(i === 0 ? -1 : 0);
    t.nodes.parent.push(i - 1);
    t.nodes.depth.push(i);
    t.nodes.self.push(i === n - 1 ? 5 : 0);
    t.nodes.total.push(5);
    t.nodes.folded.push(0);
  }
  const l = layoutTree(t);
  assert.equal(l.maxDepth, n - 1);
  assert.ok(isInSubtree(l, 1, n - 1));
  assert.equal(framePath(l, n - 1).length, n - 1);
});

test('a subtree answer (path given) is laid out from its own root', () => {
  const t = sampleTree();
  // The answer to path=0,1: work becomes nodes[0], at depth 2.
  t.nodes = { frame: [1, 2, -2], parent: [-1, 0, 0], depth: [2, 3, 3], self: [2, 4, 1], total: [7, 4, 1], folded: [0, 0, 2] };
  const l = layoutTree(t);
  assert.equal(l.baseDepth, 2);
  assert.equal(l.rootTotal, 7);
  assert.equal(l.viewTotal, 10);
  assert.ok(Math.abs(l.w[1] - 4 / 7) < 1e-12);
});

test('malformed answers are refused with a message', () => {
  const t = sampleTree();
  t.nodes.parent[3] = 4;
  assert.throws(() => layoutTree(t), /parent 4/);
  const u = sampleTree();
  u.nodes.total.pop();
  assert.throws(() => layoutTree(u), /column total/);
  const v = sampleTree();
  v.nodes.parent = [-1, 0, 1, 2, 1, 2]; // work's children split by io's
  assert.throws(() => layoutTree(v), /not contiguous/);
});
