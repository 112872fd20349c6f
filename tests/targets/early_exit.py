"""Busy for a moment, then exits with a chosen status, long before the
recording's --duration. Usage: early_exit.py [SECONDS=0.2] [STATUS=3]
"""

import sys
import time

from _target import arg


def busy_then_exit(deadline):
    while time.monotonic() < deadline:
        n = 0
        while n < 20_000: n += 1  # @line:busy


def main():
    busy_then_exit(time.monotonic() + arg(1, 0.2))
    sys.exit(int(arg(2, 3)))


if __name__ == "__main__":
    main()
