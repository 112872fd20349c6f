"""Benchmark target: two threads, each in pure-Python busy recursion with a
stack exactly DEPTH frames deep (default 40, counting <module> and, for the
second thread, threading's own frames). The leaf keeps calling a small helper,
so the newest frame and its line change all the time, as in real code.

Prints "ready" on stdout once both threads stand at full depth, then runs until
killed. Used by the sampler-cost benchmark (bench/cost).
"""

import sys
import threading

DEPTH = int(sys.argv[1]) if len(sys.argv) > 1 else 40


def stack_depth():
    frame, depth = sys._getframe(1), 0
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return depth


def helper(i):
    return i * 3 + 1


def spin(arrived):
    arrived.wait()
    if threading.current_thread() is threading.main_thread():
        print("ready", flush=True)
    total = 0
    while True:
        for i in range(200):
            total += helper(i)
        total &= 0xFFFF


def recurse(arrived):
    # The frame of this call counts: stop when it is the DEPTH-th.
    if stack_depth() + 1 >= DEPTH:
        spin(arrived)
    else:
        recurse(arrived)


def main():
    arrived = threading.Barrier(2)
    worker = threading.Thread(target=recurse, args=(arrived,), name="worker", daemon=True)
    worker.start()
    recurse(arrived)


if __name__ == "__main__":
    main()
