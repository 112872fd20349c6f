"""Known stacks at known depths and lines.

  <module> -> main -> a -> Box.b -> c -> leaf_deep     about 2/3 of the time
  <module> -> main -> a -> leaf_shallow                about 1/3 of the time

Each leaf's busy loop is on a single line (`while ...: n += 1`), so a sample in
a leaf has exactly one right line. Usage: stacks.py [SECONDS=1]
"""

import time

from _target import arg

# One-line loops on purpose: every bytecode of the loop maps to the marked line.


def leaf_deep():
    n = 0
    while n < 400_000: n += 1  # @line:leaf_deep
    return n


def leaf_shallow():
    n = 0
    while n < 200_000: n += 1  # @line:leaf_shallow
    return n


def c():
    return leaf_deep()  # @line:c_calls_leaf


class Box:
    def b(self):
        return c()  # @line:b_calls_c


def a(deadline):
    box = Box()
    while time.monotonic() < deadline:
        box.b()  # @line:a_calls_b
        leaf_shallow()  # @line:a_calls_shallow


def main():
    a(time.monotonic() + arg(1, 1.0))  # @line:main_calls_a


if __name__ == "__main__":
    main()  # @line:module_calls_main
