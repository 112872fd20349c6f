"""Python functions that C code calls back, one after another from the same
depth: sorted() calls key(), map() calls the lambda, sum() resumes a
generator. Each callback's frame lands at the same address in the datastack
chunk as the last one's, a few microseconds later, under callers that also
take each other's addresses (inner and cb are both called from work).

The only stacks that ever exist, below <module> and work:
  work -> inner -> key
  work -> cb -> <lambda>
  work -> <genexpr>
Usage: callbacks.py [SECONDS=1]
"""

import time

from _target import arg


def key(x):
    return -x


def inner(v):
    return sorted(v, key=key)


def cb():
    return list(map(lambda x: x + 1, range(50)))


def work():
    s = 0
    for _ in range(200):
        s += len(inner(list(range(30)))) + len(cb()) + sum(y for y in range(20))
    return s


deadline = time.monotonic() + arg(1, 1.0)
while time.monotonic() < deadline:
    work()
