"""Fixtures for the in-process package's tests (python/, `import spyglass`).

The code under test runs in subprocesses of each target interpreter (every
CPython 3.9-3.13 `pyenv versions` lists, and Debian's python3), like
tests/integration does; pytest itself runs in whatever interpreter runs it.

Two ways to get `spyglass` into an interpreter:
  - normal runs: a fresh venv per interpreter (`python -m venv`), into which
    the package is installed with `pip install --no-index <repo>` (no
    network: proves the offline install) and Flask and uvicorn from PyPI
    (the blueprint and ASGI-server tests);
  - SG_PY_ASAN=1 (scripts/test-python's sanitizer pass): the in-tree ASan
    build python/build/<tag>-asan on PYTHONPATH, libasan preloaded into the
    (non-ASan) interpreter with leak detection off. Tests that need the venv
    (install, Flask, uvicorn) are marked `venv` and deselected there.

Helpers: Env.run(code) runs a snippet and returns the JSON it printed on a
`RESULT ` line; Marks reads `# @line:NAME` markers of tests/python/targets.
"""

import dataclasses
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
TARGETS = HERE / "targets"
sys.path.insert(0, str(REPO / "tests" / "integration"))

import harness  # noqa: E402  (interpreter discovery, timeouts, the binary)

ASAN = os.environ.get("SG_PY_ASAN", "") not in ("", "0")
if ASAN:
    os.environ["SG_SANITIZED"] = "1"
    harness.DURATION_SCALE, harness.TIMEOUT_SCALE = 2.0, 4.0

_INTERPRETERS = harness.supported_interpreters()
if os.environ.get("SG_PY_ONLY"):
    _INTERPRETERS = [i for i in _INTERPRETERS if i.label in os.environ["SG_PY_ONLY"].split(",")]


def pytest_configure(config):
    config.addinivalue_line("markers", "venv: needs the pip-installed venv (not under ASan)")


def pytest_collection_modifyitems(config, items):
    if config.pluginmanager.hasplugin("timeout"):
        for item in items:
            if item.get_closest_marker("timeout") is None:
                item.add_marker(pytest.mark.timeout(harness.timeout(300)))
    if ASAN:
        skip = pytest.mark.skip(reason="SG_PY_ASAN=1 runs the extension from the in-tree "
                                       "ASan build; install and Flask tests run in the normal pass")
        for item in items:
            if item.get_closest_marker("venv"):
                item.add_marker(skip)


class Marks:
    """`# @line:NAME` markers of a file in tests/python/targets."""

    _MARK = re.compile(r"@line:([\w-]+)")

    def __init__(self, name):
        self.path = str(TARGETS / name)
        self.lines = {}
        for number, text in enumerate(Path(self.path).read_text().splitlines(), 1):
            for mark in self._MARK.findall(text):
                self.lines[mark] = number

    def frame(self, function, mark):
        return f"{function} ({self.path}:{self.lines[mark]})"


@dataclasses.dataclass
class Env:
    """One target interpreter with spyglass importable."""
    interp: harness.Interpreter
    python: str  # the venv's python, or the interpreter itself under ASan
    env: dict

    @property
    def version_info(self):
        return self.interp.version_info

    def popen(self, argv, **kw):
        return subprocess.Popen([self.python, *argv], env=self.env, **kw)

    def run_argv(self, argv, limit=120, cwd=None, check=True):
        proc = subprocess.run([self.python, *argv], env=self.env, capture_output=True, text=True,
                              timeout=harness.timeout(limit), cwd=cwd)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(argv)[:200]} exited {proc.returncode}\n"
                                 f"--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n"
                                 f"{proc.stderr[-5000:]}")
        return proc

    def run(self, code, limit=120, cwd=None, expect_rc=0):
        """Runs `code` (with tests/python/targets on sys.path); returns the
        JSON of its `RESULT ` line, asserting its exit status and that the
        sanitizer said nothing."""
        prelude = ("import sys, json\nsys.path.insert(0, %r)\n"
                   "def result(obj):\n    print('RESULT ' + json.dumps(obj), flush=True)\n"
                   % str(TARGETS))
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False, dir=cwd) as f:
            f.write(prelude + code)
            script = f.name
        try:
            proc = self.run_argv([script], limit=limit, cwd=cwd, check=False)
        finally:
            os.unlink(script)
        assert proc.returncode == expect_rc, (
            f"snippet exited {proc.returncode} (expected {expect_rc})\n--- stdout\n"
            f"{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-5000:]}")
        assert "ERROR: AddressSanitizer" not in proc.stderr and "runtime error:" not in proc.stderr, \
            proc.stderr[-5000:]
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
        self.last_stderr = proc.stderr
        return json.loads(lines[-1][7:]) if lines else None

    def qualname(self, q):
        return self.interp.qualname(q)


# From PyPI into each venv: the servers the web integration is tested under
# (Flask's blueprint on werkzeug; the ASGI middleware under uvicorn).
WEB_FRAMEWORKS = ["flask", "uvicorn"]


def _make_venv(interp, root):
    venv = root / f"venv-{interp.label}"
    subprocess.run([interp.path, "-m", "venv", str(venv)], check=True, capture_output=True,
                   timeout=harness.timeout(300))
    py = str(venv / "bin" / "python")
    proc = subprocess.run([py, "-m", "pip", "install", "--no-index", "--no-cache-dir",
                           "--disable-pip-version-check", str(REPO)],
                          capture_output=True, text=True, timeout=harness.timeout(600))
    assert proc.returncode == 0, f"pip install --no-index {REPO} failed:\n{proc.stdout}\n{proc.stderr}"
    proc = subprocess.run([py, "-m", "pip", "install", "--disable-pip-version-check", "-q",
                           *WEB_FRAMEWORKS], capture_output=True, text=True,
                          timeout=harness.timeout(600))
    assert proc.returncode == 0, \
        f"pip install {' '.join(WEB_FRAMEWORKS)} (PyPI) failed:\n{proc.stdout}\n{proc.stderr}"
    return py


def _asan_env(interp):
    tag = subprocess.run([interp.path, "-E", "-s", "-c",
                          "import sys, platform; print(f'{sys.implementation.cache_tag}-"
                          "{platform.python_version()}')"],
                         capture_output=True, text=True, check=True).stdout.strip()
    base = REPO / "python" / "build" / f"{tag}-asan"
    assert (base / "spyglass").is_dir(), f"no ASan build in {base}: run scripts/build-python --asan"
    libasan = subprocess.run(["gcc", "-print-file-name=libasan.so"], capture_output=True,
                             text=True).stdout.strip()
    env = dict(os.environ, PYTHONPATH=str(base), LD_PRELOAD=libasan,
               ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:exitcode=99",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=98")
    return env


@pytest.fixture(scope="session", params=_INTERPRETERS or [None],
                ids=[i.label for i in _INTERPRETERS] or ["no-interpreter"])
def py(request, tmp_path_factory):
    """An interpreter with spyglass installed (see the module docstring)."""
    interp = request.param
    if interp is None:
        pytest.fail("no CPython 3.9-3.13 found (pyenv versions, /usr/bin/python3)")
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.pop("LD_PRELOAD", None)
    if ASAN:
        return Env(interp, interp.path, _asan_env(interp))
    python = _make_venv(interp, tmp_path_factory.mktemp("venvs"))
    return Env(interp, python, env)


@pytest.fixture(scope="session")
def spyglass_bin():
    path = harness.spyglass_path()
    if not path.is_file():
        pytest.fail(f"spyglass binary not found at {path}: build it (`make`) or set SPYGLASS")
    return str(path)


@pytest.fixture
def known():
    return Marks("known.py")
