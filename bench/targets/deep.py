"""Benchmark target: a stack 500 frames of deep() high that keeps changing at
its top.

main recurses through DEPTH (default 500) calls of deep(); the last one runs
forever, calling a short chain of 1..6 wiggle() frames, spinning briefly in the
leaf, unwinding, and starting again with another height. So every sample sees

    <module>, main, deep x DEPTH, wiggle x 0..6

and the frames near the top are pushed and popped thousands of times a second:
the hard case for a sampler that reads a stack while it changes. Prints "ready"
once the full depth is reached. Used by bench/deep, and (with SECONDS, after
which it exits) by tests/integration/test_record.py.

Usage: deep.py [DEPTH [SECONDS]]
"""

import sys
import time

DEPTH = int(sys.argv[1]) if len(sys.argv) > 1 else 500
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else None


def wiggle(levels, spins):
    if levels > 1:
        return wiggle(levels - 1, spins)
    x = 0
    for i in range(spins):
        x += i
    return x


def churn():
    state = 12345
    deadline = time.monotonic() + SECONDS if SECONDS is not None else None
    while deadline is None or time.monotonic() < deadline:
        for _ in range(200):
            # An inline generator: the random module would add frames of its own.
            state = (state * 1103515245 + 12345) & 0x7FFFFFFF
            wiggle(1 + state % 6, 20 + (state >> 8) % 80)


def deep(remaining):
    if remaining > 1:
        return deep(remaining - 1)
    print("ready", flush=True)
    churn()


def main():
    sys.setrecursionlimit(max(1000, DEPTH + 100))
    deep(DEPTH)


if __name__ == "__main__":
    main()
