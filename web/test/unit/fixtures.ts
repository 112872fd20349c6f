// fixtures.ts — answers shaped exactly like the server's (docs/api.md), for
// the logic tests. The tree is:  all(10) → main(10) → {work(7) → {inner(4),
// other(1, folded 2)}, io(3)}; work's self is 2, main's 0, io's 3.
import type { TreeAnswer } from '../../src/lib/types';

export function sampleTree(): TreeAnswer {
  return {
    total: 10,
    samples: 10,
    approximate: false,
    nodes: {
      frame: [-1, 0, 1, 3, 2, -2],
      parent: [-1, 0, 1, 1, 2, 2],
      depth: [0, 1, 2, 2, 3, 3],
      self: [0, 0, 2, 3, 4, 1],
      total: [10, 10, 7, 3, 4, 1],
      folded: [0, 0, 0, 0, 0, 2],
    },
    frames: {
      '0': ['main', 'app.py', 1, 'app'],
      '1': ['work', 'app.py', 10, 'app'],
      '2': ['inner', 'lib/util.py', 5, 'lib'],
      '3': ['io', 'socket.py', 100, 'stdlib'],
    },
  };
}
