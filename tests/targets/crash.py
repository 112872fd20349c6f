"""Busy for SECONDS, then dies of a signal: `abort` (os.abort, SIGABRT) or
`segv` (a NULL read through ctypes, SIGSEGV; faulthandler is off).
Usage: crash.py [SECONDS=0.5] [abort|segv]
"""

import ctypes
import os
import sys
import time

from _target import arg


def busy_before_crash(deadline):
    while time.monotonic() < deadline:
        n = 0
        while n < 20_000: n += 1  # @line:busy


def crash(kind):
    if kind == "segv":
        ctypes.string_at(0)
    os.abort()


def main():
    busy_before_crash(time.monotonic() + arg(1, 0.5))
    crash(sys.argv[2] if len(sys.argv) > 2 else "abort")


if __name__ == "__main__":
    main()
