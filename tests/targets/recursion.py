"""A stack DEPTH frames of recurse() deep, busy in leaf() at the bottom.

  <module> -> main -> recurse x DEPTH -> leaf

The descent takes microseconds; all the time is spent at full depth.
Usage: recursion.py [SECONDS=1] [DEPTH=1000]
"""

import sys
import time

from _target import arg


def leaf(deadline):
    while time.monotonic() < deadline:
        n = 0
        while n < 100_000: n += 1  # @line:leaf_busy


def recurse(n, deadline):
    if n > 1:
        return recurse(n - 1, deadline)  # @line:recurse_calls_self
    return leaf(deadline)  # @line:recurse_calls_leaf


def main():
    seconds, depth = arg(1, 1.0), int(arg(2, 1000))
    sys.setrecursionlimit(depth + 1000)
    recurse(depth, time.monotonic() + seconds)  # @line:main_calls_recurse


if __name__ == "__main__":
    main()  # @line:module_calls_main
