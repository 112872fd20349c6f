"""What every benchmark needs to know about the run it is part of: the
profilers, the interpreters, the CPUs, durations (full or --quick), where to
put scratch files, and a cache that lets one benchmark reuse another's runs
(the rate benchmark reads the accuracy runs at 1 and 10 kHz when both run).
"""

import sys
import tempfile
import time
from pathlib import Path
from typing import List, Optional

from .environment import Interpreter
from .profilers import Profiler

TARGETS = Path(__file__).resolve().parent.parent / "targets"


class Context:
    def __init__(self, spyglass: str, profilers: List[Profiler], interpreters: List[Interpreter],
                 reference: Optional[Interpreter], quick: bool, profiler_cpu: Optional[int],
                 target_cpu: Optional[int], verbose: bool = False):
        self.spyglass = spyglass
        self.profilers = profilers
        self.interpreters = interpreters  # for the per-version benchmarks
        self.reference = reference  # for the single-version ones
        self.quick = quick
        self.profiler_cpu = profiler_cpu
        self.target_cpu = target_cpu
        self.verbose = verbose
        self.scratch = Path(tempfile.mkdtemp(prefix="sgbench-"))
        self.cache = {}
        self.started = time.monotonic()
        self._serial = 0

    def pick(self, full, quick):
        return quick if self.quick else full

    def target(self, name: str) -> str:
        return str(TARGETS / name)

    def out_path(self, tag: str) -> str:
        self._serial += 1
        return str(self.scratch / ("%03d-%s" % (self._serial, tag.replace("/", "_").replace(" ", "_"))))

    def log(self, message: str) -> None:
        """Progress, on stderr so the report on stdout stays clean."""
        elapsed = time.monotonic() - self.started
        print("[%5.0fs] %s" % (elapsed, message), file=sys.stderr, flush=True)
