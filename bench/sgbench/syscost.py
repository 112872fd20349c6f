"""The kernel's price, on this machine, of each call a sampling round makes
(bench/inprocess_syscost.c, compiled with $CC): the floor under a sampler's
CPU per sample. Shared by bench/cost and bench/inprocess-slowdown."""

import json
import os
import subprocess
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
SOURCE = BENCH / "inprocess_syscost.c"


def measure() -> dict:
    """{name: µs of the calling thread's CPU per call}, e.g. vm_readv_5x8B_us;
    names ending in _cold_us: the call made right after a 1 ms sleep, as a
    sampling round makes it."""
    exe = BENCH / "results" / "inprocess-syscost"
    exe.parent.mkdir(exist_ok=True)
    cc = os.environ.get("CC", "cc")
    subprocess.run([cc, "-O2", "-o", str(exe), str(SOURCE)], check=True)
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    figures = {}
    for line in out.splitlines():  # calls in a loop, then right after a sleep
        figures.update(json.loads(line))
    return figures
