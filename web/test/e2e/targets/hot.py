"""A known mix of work for the diff tests: three functions doing WEIGHTS
units of the same busy loop each round, for SECONDS seconds.

Usage: hot.py SECONDS WX WY WZ  (e.g. "1 1 1 1": a third each; "1 4 1 1":
work_x takes two thirds, so against the first it is the changed function).
"""

import sys
import time


# Each function has its own loop, so the time is each one's self time.
def work_x(units):
    n = 0
    while n < units * 20_000: n += 1
    return n


def work_y(units):
    n = 0
    while n < units * 20_000: n += 1
    return n


def work_z(units):
    n = 0
    while n < units * 20_000: n += 1
    return n


def main():
    seconds = float(sys.argv[1])
    wx, wy, wz = (int(a) for a in sys.argv[2:5])
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        work_x(wx)
        work_y(wy)
        work_z(wz)


main()
