"""One clearly hottest function, and a second thread with other functions, for top.

  MainThread    hot() three quarters of its time, warm() one quarter
  worker-cold   cold_a() and cold_b(), half of its time each

Sampled in wall mode (each thread once per tick), hot is about 37% of the
samples, cold_a and cold_b about 25% each, warm about 12%: hot leads by self
time, while by total the callers of everything (<module>, main, the thread's
bootstrap frames, at 50%) lead. Every loop is on one line, so a leaf has one
line. Prints `READY {"tids": {name: native id}}` once the worker runs.
Usage: top_target.py [SECONDS=60] (how long the whole program lives).
"""

import threading
import time

from _target import arg, ready


def hot():
    n = 0
    while n < 300_000: n += 1  # @line:hot
    return n


def warm():
    n = 0
    while n < 100_000: n += 1  # @line:warm
    return n


def cold_a():
    n = 0
    while n < 100_000: n += 1  # @line:cold_a
    return n


def cold_b():
    n = 0
    while n < 100_000: n += 1  # @line:cold_b
    return n


def work(deadline, started):
    started.set()
    while time.monotonic() < deadline:
        cold_a()
        cold_b()


def main():
    deadline = time.monotonic() + arg(1, 60.0)
    started = threading.Event()
    worker = threading.Thread(target=work, args=(deadline, started), name="worker-cold",
                              daemon=True)
    worker.start()
    started.wait()
    ready(tids={"MainThread": threading.get_native_id(), "worker-cold": worker.native_id})
    while time.monotonic() < deadline:
        hot()
        warm()


if __name__ == "__main__":
    main()
