"""Finding the peer profilers, py-spy and austin, and installing them when
they are missing.

Both come from the Python package registry (`py-spy`, `austin-dist`). A peer
is used from wherever it already runs (the harness interpreter's scripts
directory, then PATH, then our private prefix); when none runs, it is
installed with pip into a private prefix under bench/results/peers/ (gitignored),
so the benchmarks never change the user's own environments.

A peer that is installed but cannot run here is not fatal. The known case:
austin-dist 4.x wheels are tagged manylinux_2_17 but the binary needs glibc
2.38, so on Debian 12 (glibc 2.36) it dies at load. Then the newest older
release that runs is installed beside it (FALLBACKS) and the report says so.
"""

import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Callable, List, Optional, Tuple

PRIVATE_PREFIX = Path(__file__).resolve().parent.parent / "results" / "peers"

# tool -> (package, executable, older releases to try when the newest does not run)
PEERS = {
    "py-spy": ("py-spy", "py-spy", []),
    "austin": ("austin-dist", "austin", ["3.7.0"]),
}


class PeerTool:
    """A peer profiler executable, or the reason there is none."""

    def __init__(self, name: str, path: Optional[str] = None, version: str = "",
                 reason: str = "", note: str = ""):
        self.name = name
        self.path = path
        self.version = version
        self.reason = reason  # why it is unavailable, when path is None
        self.note = note  # something the report should mention

    @property
    def available(self) -> bool:
        return self.path is not None

    def as_json(self) -> dict:
        return {"name": self.name, "path": self.path, "version": self.version,
                "unavailable": self.reason or None, "note": self.note or None}


def _runs(path: str) -> Tuple[bool, str]:
    """(True, version line) if `path --version` works, else (False, why)."""
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        return False, str(err)
    text = (out.stdout + out.stderr).strip()
    if out.returncode != 0:
        first = text.splitlines()[0] if text else "exit %d" % out.returncode
        return False, first
    return True, text.splitlines()[0] if text else ""


def _candidates(executable: str) -> List[str]:
    found = []
    scripts = sysconfig.get_path("scripts")
    if scripts:
        found.append(os.path.join(scripts, executable))
    user_scripts = sysconfig.get_path("scripts", "%s_user" % os.name)
    if user_scripts:
        found.append(os.path.join(user_scripts, executable))
    shims = []
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        candidate = os.path.join(directory, executable)
        # pyenv shims run through bash on every start: use them last.
        (shims if "/shims" in directory else found).append(candidate)
    if PRIVATE_PREFIX.is_dir():
        for prefix in sorted(PRIVATE_PREFIX.iterdir(), reverse=True):
            found.append(str(prefix / "bin" / executable))
    found.extend(shims)
    unique = []
    for path in found:
        if path not in unique and os.path.isfile(path) and os.access(path, os.X_OK):
            unique.append(path)
    return unique


def _pip_install(spec: str, target: Path, log: Callable[[str], None]) -> Optional[str]:
    """Install spec into target; None on success, else the reason."""
    log("  installing %s with pip into %s" % (spec, target))
    target.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
           "--no-warn-script-location", "--upgrade", "--target", str(target), spec]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as err:
        return "pip failed: %s" % err
    if out.returncode != 0:
        lines = [l for l in (out.stderr or out.stdout).splitlines() if l.strip() and "WARNING" not in l]
        return "pip install %s failed: %s" % (spec, lines[-1] if lines else "exit %d" % out.returncode)
    return None


def ensure_peer(name: str, install: bool, log: Callable[[str], None]) -> PeerTool:
    """Find a working `name`, installing it if allowed and needed."""
    package, executable, fallbacks = PEERS[name]
    broken = []
    for path in _candidates(executable):
        ok, info = _runs(path)
        if ok:
            return PeerTool(name, path, info)
        broken.append("%s: %s" % (path, info))
    if not install:
        why = broken[0] if broken else "not installed"
        return PeerTool(name, reason="%s (and --no-install)" % why)

    target = PRIVATE_PREFIX / package
    failure = _pip_install(package, target, log)
    if failure is None:
        path = str(target / "bin" / executable)
        ok, info = _runs(path)
        if ok:
            return PeerTool(name, path, info, note="installed with pip into %s" % target)
        failure = "%s from pip does not run here: %s" % (package, info)
        broken.append(failure)
    for version in fallbacks:
        log("  %s; trying %s==%s" % (failure, package, version))
        target = PRIVATE_PREFIX / ("%s-%s" % (package, version))
        why = _pip_install("%s==%s" % (package, version), target, log)
        if why is not None:
            failure = why
            continue
        path = str(target / "bin" / executable)
        ok, info = _runs(path)
        if ok:
            note = "newest %s does not run here (%s); using %s" % (package, _short(broken[-1]), version)
            return PeerTool(name, path, info, note=note)
        failure = "%s==%s does not run here: %s" % (package, version, info)
    return PeerTool(name, reason=_short(failure))


def _short(text: str, limit: int = 90) -> str:
    glibc = re.search(r"version .(GLIBC_[0-9.]+). not found", text)
    if glibc:
        return "its binary needs %s" % glibc.group(1).replace("GLIBC_", "glibc ")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
