"""Function names stored as each kind of CPython string:

  données   Latin-1 (1 byte per character, not ASCII)
  计算      UCS-2 (2 bytes)
  𠀀𠀁      UCS-4 (4 bytes; CJK Extension B, U+20000 U+20001: NFKC leaves it
            alone, unlike mathematical alphanumerics which become ASCII)

  <module> -> main -> données -> 计算 -> 𠀀𠀁 (busy)

Usage: unicode_names.py [SECONDS=1] [ready]: with "ready", prints READY first.
"""

import sys
import time

from _target import arg, ready


def 𠀀𠀁(deadline):
    while time.monotonic() < deadline:  # @line:ucs4_outer
        n = 0
        while n < 100_000: n += 1  # @line:ucs4_busy


def 计算(deadline):
    return 𠀀𠀁(deadline)  # @line:ucs2_calls_ucs4


def données(deadline):
    return 计算(deadline)  # @line:latin1_calls_ucs2


def main():
    deadline = time.monotonic() + arg(1, 1.0)
    if "ready" in sys.argv[2:]:
        ready()
    données(deadline)  # @line:main_calls_latin1


if __name__ == "__main__":
    main()  # @line:module_calls_main
