"""The machine the benchmarks run on: Python interpreters to use as targets,
CPUs to pin to, and facts worth recording next to the figures (kernel, load).

Interpreters come from pyenv: `pyenv root` (or $PYENV_ROOT, or ~/.pyenv), then
every versions/*/bin/python3 whose version is 3.9..3.13. When a minor version
is installed twice, the newest patch release wins. Nothing here hard-codes a
machine path.
"""

import os
import platform
import shutil
import subprocess
from pathlib import Path
from typing import List, Optional, Tuple

SUPPORTED = ((3, 9), (3, 13))


class Interpreter:
    """One target interpreter: its python3 path and its version."""

    def __init__(self, path: str, version: str, free_threaded: bool = False):
        self.path = path
        self.version = version  # "3.11.7"
        self.free_threaded = free_threaded

    @property
    def minor(self) -> Tuple[int, int]:
        major, minor = self.version.split(".")[:2]
        return int(major), int(minor)

    @property
    def label(self) -> str:
        return self.version

    def __repr__(self) -> str:
        return "Interpreter(%s, %s)" % (self.version, self.path)


def pyenv_root() -> Optional[Path]:
    exe = shutil.which("pyenv")
    if exe:
        try:
            out = subprocess.run([exe, "root"], capture_output=True, text=True, timeout=20)
            if out.returncode == 0 and out.stdout.strip():
                return Path(out.stdout.strip())
        except (OSError, subprocess.TimeoutExpired):
            pass
    env = os.environ.get("PYENV_ROOT")
    if env:
        return Path(env)
    home = Path.home() / ".pyenv"
    return home if home.is_dir() else None


_PROBE = "import sys, sysconfig; print('%d.%d.%d' % sys.version_info[:3], " \
         "int(bool(sysconfig.get_config_var('Py_GIL_DISABLED'))))"


def _probe(path: str) -> Optional[Tuple[str, bool]]:
    try:
        out = subprocess.run([path, "-c", _PROBE], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    fields = out.stdout.split()
    if len(fields) != 2:
        return None
    return fields[0], fields[1] == "1"


def _version_key(version: str) -> Tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def discover_interpreters() -> List[Interpreter]:
    """Every usable pyenv interpreter 3.9..3.13, one per minor, oldest first."""
    root = pyenv_root()
    if root is None or not (root / "versions").is_dir():
        return []
    best = {}
    for entry in sorted((root / "versions").iterdir()):
        python = entry / "bin" / "python3"
        if not python.is_file():
            continue
        probed = _probe(str(python))
        if probed is None:
            continue
        version, free_threaded = probed
        interp = Interpreter(str(python), version, free_threaded)
        if free_threaded or not (SUPPORTED[0] <= interp.minor <= SUPPORTED[1]):
            continue
        kept = best.get(interp.minor)
        if kept is None or _version_key(version) > _version_key(kept.version):
            best[interp.minor] = interp
    return [best[minor] for minor in sorted(best)]


def select_interpreters(found: List[Interpreter], wanted: Optional[str]) -> List[Interpreter]:
    """Filter by a comma list of prefixes ("3.11,3.12" or "3.12.1")."""
    if not wanted:
        return found
    prefixes = [w.strip() for w in wanted.split(",") if w.strip()]
    return [i for i in found if any(i.version == p or i.version.startswith(p + ".") for p in prefixes)]


def reference_interpreter(found: List[Interpreter], wanted: Optional[str]) -> Optional[Interpreter]:
    """The one interpreter for the single-version benchmarks: the requested one,
    else 3.12 (new enough for spyglass's fast path, old enough for every peer),
    else the newest found."""
    if not found:
        return None
    if wanted:
        chosen = select_interpreters(found, wanted)
        return chosen[0] if chosen else None
    for interp in found:
        if interp.minor == (3, 12):
            return interp
    return found[-1]


def cpu_plan(pin: bool) -> Tuple[Optional[int], Optional[int]]:
    """(profiler CPU, target CPU): the first and the last CPU we may run on.
    None, None when pinning is off or there is a single CPU."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except AttributeError:
        cpus = list(range(os.cpu_count() or 1))
    if not pin or len(cpus) < 2:
        return None, None
    return cpus[0], cpus[-1]


def load_average() -> Optional[Tuple[float, float, float]]:
    try:
        return os.getloadavg()
    except OSError:
        return None


def machine_facts() -> dict:
    facts = {
        "kernel": platform.release(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average": load_average(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                facts["cpu_model"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return facts
