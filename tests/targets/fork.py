"""Forks at once; parent and child are both busy, in different functions, for
SECONDS; then the child exits and the parent reaps it and exits 0.
Prints `READY {"pid": PARENT, "child": CHILD}` (from the parent, to stdout).
Usage: fork.py [SECONDS=1]
"""

import os
import sys
import time

from _target import arg, ready


def child_busy(deadline):
    while time.monotonic() < deadline:
        n = 0
        while n < 50_000: n += 1  # @line:child_busy


def parent_busy(deadline):
    while time.monotonic() < deadline:
        n = 0
        while n < 50_000: n += 1  # @line:parent_busy


def main():
    deadline = time.monotonic() + arg(1, 1.0)
    sys.stdout.flush()
    child = os.fork()
    if child == 0:
        child_busy(deadline)
        os._exit(0)
    ready(child=child)
    parent_busy(deadline)
    os.waitpid(child, 0)


if __name__ == "__main__":
    main()
