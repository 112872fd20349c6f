"""Two phases for the diff of two time ranges of one recording: for the
first SECONDS/2 only phase_a() works, then only phase_b(), so a range in
the first half against one in the second shows phase_a gone (faster) and
phase_b new (slower).

Usage: phases.py SECONDS
"""

import sys
import time


def phase_a(units):
    n = 0
    while n < units * 20_000: n += 1
    return n


def phase_b(units):
    n = 0
    while n < units * 20_000: n += 1
    return n


def main():
    seconds = float(sys.argv[1])
    start = time.monotonic()
    while time.monotonic() < start + seconds / 2:
        phase_a(1)
    while time.monotonic() < start + seconds:
        phase_b(1)


main()
