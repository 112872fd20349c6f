"""Started on its own for `record --pid`: prints READY, then is busy for
SECONDS and exits 0. Usage: attach.py [SECONDS=60]
"""

import time

from _target import arg, ready


def attached_busy(deadline):
    while time.monotonic() < deadline:
        n = 0
        while n < 50_000: n += 1  # @line:busy


def main():
    seconds = arg(1, 60.0)
    ready()
    attached_busy(time.monotonic() + seconds)  # @line:main_calls_busy


if __name__ == "__main__":
    main()  # @line:module_calls_main
