"""Blocked in a known call, for dump: prints READY, then sleeps in
wait_here() on the marked line.

  <module> -> main -> outer -> wait_here -> time.sleep

Usage: blocked.py [SECONDS=60]. Also run on 3.7/3.8 by the error tests.
"""

import time

from _target import arg, ready


def wait_here(seconds):
    time.sleep(seconds)  # @line:wait_here_sleep


def outer(seconds):
    wait_here(seconds)  # @line:outer_calls_wait


def main():
    seconds = arg(1, 60.0)
    ready()
    outer(seconds)  # @line:main_calls_outer


if __name__ == "__main__":
    main()  # @line:module_calls_main
