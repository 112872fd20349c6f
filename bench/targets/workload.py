"""Benchmark target: a fixed, deterministic CPU-bound workload that times
itself.

Prints "ready", waits for a line on stdin (the harness sends it once the
profiler is attached), runs UNITS units of pure-Python work (recursion, calls,
arithmetic, dict and list operations, strings), then prints
"elapsed WALL_SECONDS CPU_SECONDS" and exits. Used by bench/slowdown; UNITS is
calibrated by the harness so that one run takes a second or two.
"""

import sys
import time


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def tally(words):
    counts = {}
    for word in words:
        counts[word] = counts.get(word, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:5]


def unit(seed):
    words = [("w%d" % ((seed * 31 + i * 7) % 97)) for i in range(400)]
    top = tally(words)
    squares = sum(i * i for i in range(300))
    return fib(15) + len(top) + squares % 7


def main():
    units = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    print("ready", flush=True)
    sys.stdin.readline()
    wall0, cpu0 = time.monotonic(), time.process_time()
    checksum = 0
    for seed in range(units):
        checksum += unit(seed)
    wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
    print("elapsed %.6f %.6f checksum %d" % (wall, cpu, checksum), flush=True)


if __name__ == "__main__":
    main()
