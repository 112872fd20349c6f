"""Named threads in known states, for --threads, --mode cpu, --gil and dump.

  worker-busy   spins in pure Python (holds the GIL nearly all the time: no
                other thread ever asks for it)
  worker-sleep  blocked in one long time.sleep
  MainThread    blocked in Thread.join

Prints `READY {"tids": {name: native id}}` once both workers are in place.
Usage: threads.py [SECONDS=60] (how long the whole program lives).
"""

import threading
import time

from _target import arg, ready

tids = {}
started = {"worker-busy": threading.Event(), "worker-sleep": threading.Event()}


def spin(deadline):
    tids["worker-busy"] = threading.get_native_id()
    started["worker-busy"].set()
    while time.monotonic() < deadline:
        n = 0
        while n < 100_000: n += 1  # @line:worker_busy


def nap(seconds):
    tids["worker-sleep"] = threading.get_native_id()
    started["worker-sleep"].set()
    time.sleep(seconds)  # @line:worker_sleep


def main():
    seconds = arg(1, 60.0)
    tids["MainThread"] = threading.get_native_id()
    sleeper = threading.Thread(target=nap, args=(seconds,), name="worker-sleep", daemon=True)
    sleeper.start()
    started["worker-sleep"].wait()
    busy = threading.Thread(target=spin, args=(time.monotonic() + seconds,), name="worker-busy",
                            daemon=True)
    busy.start()
    started["worker-busy"].wait()
    ready(tids=tids)
    busy.join()  # @line:main_join


if __name__ == "__main__":
    main()  # @line:module_calls_main
