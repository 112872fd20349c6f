"""Benchmark target: single-threaded work split among three functions at
different stack depths, logging the true split itself.

    phase_a  depth 3   (<module>, main, phase_a)          ~50% of the time
    phase_b  depth 10  (<module>, main, 7 x descend, ...)  ~30%
    phase_c  depth 25  (<module>, main, 22 x descend, ...) ~20%
    phase_d  depth 3, then calls: recursion (fib) and a generator read by
             sum(), so its newest frames change every few tens of ns  ~23%

(a, b, c ~38/23/15% with phase_d in the cycle). phase_d shows a profiler's
torn-stack bias: a sampler that drops (or mangles) stacks it read while they
moved under-counts call-heavy code; the others barely call functions.

The phases alternate in cycles of about 200 ms; every phase length is drawn
at random (x0.7..1.3 around its mean) so that a sampler's period cannot
alias with the cycle. Each phase is a pure-Python busy loop inside the phase
function itself, so a sample lands in a phase exactly when that phase's frame
is on the stack.

The truth is measured, not assumed: every phase appends (name, start, end)
read from time.monotonic() (CLOCK_MONOTONIC, the clock the harness uses), and
on SIGTERM the log is written as JSON to the path given as argv[1]. The
harness intersects it with the profiler's sampling window.

Prints "ready" once running.
"""

import json
import signal
import sys
import time

PHASES = (("phase_a", 3, 0.100), ("phase_b", 10, 0.060), ("phase_c", 25, 0.040),
          ("phase_d", 3, 0.060))


# The three phases are identical on purpose, each looping in its own body: a
# shared helper would sit on top of the stack and hide which phase it serves.
def phase_a(seconds):
    start = time.monotonic()
    deadline = start + seconds
    x = 0
    while time.monotonic() < deadline:
        for i in range(100):
            x += i
    return start, time.monotonic()


def phase_b(seconds):
    start = time.monotonic()
    deadline = start + seconds
    x = 0
    while time.monotonic() < deadline:
        for i in range(100):
            x += i
    return start, time.monotonic()


def phase_c(seconds):
    start = time.monotonic()
    deadline = start + seconds
    x = 0
    while time.monotonic() < deadline:
        for i in range(100):
            x += i
    return start, time.monotonic()


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def squares(n):
    for i in range(n):
        yield i * i


# Call-heavy: the phase's frame stays on the stack while frames above it come
# and go (fib recursion ~10 deep, a generator resumed per item).
def phase_d(seconds):
    start = time.monotonic()
    deadline = start + seconds
    x = 0
    while time.monotonic() < deadline:
        x += fib(10) + sum(squares(100))
    return start, time.monotonic()


FUNCTIONS = {"phase_a": phase_a, "phase_b": phase_b, "phase_c": phase_c, "phase_d": phase_d}


def descend(levels, function, seconds):
    """Puts `levels` frames of descend() between main and the phase."""
    if levels == 1:
        return function(seconds)
    return descend(levels - 1, function, seconds)


class Lcg:
    """A tiny generator: the random module would add its own frames."""

    def __init__(self, seed):
        self.state = seed

    def uniform(self, low, high):
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        return low + (high - low) * (self.state >> 11) / float(1 << 53)


def main():
    log_path = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 12345
    log = []
    current = []  # [name, start] of the phase running now, if any

    def dump_and_exit(signum, frame):
        # The phase interrupted by the signal counts up to now.
        intervals = log + [(current[0], current[1], time.monotonic())] if current else log
        with open(log_path, "w") as out:
            json.dump({"clock": "monotonic", "intervals": intervals}, out)
        sys.exit(0)

    signal.signal(signal.SIGTERM, dump_and_exit)
    rng = Lcg(seed)
    print("ready", flush=True)
    while True:
        for name, depth, mean in PHASES:
            seconds = mean * rng.uniform(0.7, 1.3)
            # <module> and main are the first two frames; the phase is the
            # depth-th, so depth - 3 descend frames lie between them.
            current[:] = [name, time.monotonic()]
            if depth == 3:
                start, end = FUNCTIONS[name](seconds)
            else:
                start, end = descend(depth - 3, FUNCTIONS[name], seconds)
            del current[:]
            log.append((name, start, end))


if __name__ == "__main__":
    main()
