"""Fixtures for the integration tests: the spyglass binary, the interpreters to
run targets on, and targets started in the background. The helpers themselves
are in harness.py.

Binary: $SPYGLASS (the Makefile sets it), else <repo>/build/bin/spyglass.
Interpreters: every `pyenv root`/versions/*/bin/python3 from 3.9 to 3.13 (id
"3.11.7"), and /usr/bin/python3 (id "debian-3.11"). None found fails every test
that needs one. SG_SANITIZED=1 (an ASan build) scales durations x2, timeouts x4.

Contract decisions the tests hold spyglass to, where the CLI contract left room:

- Frame label `qualname (file:line)`: file is co_filename verbatim (targets are
  launched by absolute path, so it is that path); the name is co_qualname on
  3.11+ and co_name on 3.9/3.10 (method Box.b is "b" there); module code is
  "<module>"; line is the line executing now (for a caller, its call site).
- Collapsed stacks hold Python frames only: no native frames, no synthetic or
  shim/entry frames (3.12+), no frames of spyglass's own. So the last frame is the
  newest Python frame. Stacks are never truncated (1,000 deep must come out whole).
  The file is UTF-8, names unescaped. A sample with no Python frames is either
  dropped or written as a bare `thread NAME (TID) COUNT` line; tests ignore both.
- "N samples" in the summary counts sampling ticks (each tick reads every
  thread), so Hz = N / seconds, close to the requested rate. Counts in the output
  are per (tick, thread): with several threads they sum to more than N.
- With -o FILE, spyglass writes nothing to stdout; the launched command inherits
  stdin/stdout/stderr unchanged (tests read a target's own stdout from record's).
- Launch mode without --duration records until the command exits. Tests never let
  --duration expire before a launched command exits (targets bound their own run
  time), so what record does to a still-running child at the deadline is open.
- --pid: record never stops, signals or ptrace-stops the target (its state never
  shows T/t while recording); it exits 0 when --duration elapses or when the
  target exits first (its exit status is not ours to report).
- --mode cpu keeps samples of threads on CPU (running or runnable); --gil keeps
  samples of the thread holding the GIL; a thread with no kept sample does not
  appear at all. A thread blocked in Thread.join or time.sleep is neither on CPU
  nor holding the GIL. --gil alone means wall mode filtered by the GIL.
- Thread name is threading.Thread.name of the thread's Python object; TID is the
  kernel thread id (threading.get_native_id(); the main thread's TID is the pid).
  The main thread is "MainThread" even when the program never imported
  threading (blocked.py and fork.py don't; py-spy reports no name there).
- --subprocesses with a fork: the child's samples are written to the same output,
  its threads under their own TIDs (the child's main thread: `thread MainThread
  (CHILD_PID)`). Without it, no sample of the child.
- A launched command killed by signal N: record exits 128+N and still writes the
  output and the summary line.
- dump --json: "python" is exactly the target's platform.python_version()
  ("3.9.18", Debian "3.11.2"); "file" is co_filename verbatim; "first_line" is
  co_firstlineno (the `def` line; 1 for a module); frames oldest first; threads
  in any order; "function" follows the qualname rule above.
- dump (text) is traceback-like: per thread, a line naming the thread (name and
  tid), then for each frame, oldest first, a line containing
  `File "FILE", line N, in FUNCTION`.
- Errors: exit 1, the FIRST line of stderr starts `spyglass: error: ` and says it
  all (for "no such process" it includes the pid). Same for record and dump.
"""

import pytest

import harness

_INTERPRETERS = harness.supported_interpreters()


def pytest_collection_modifyitems(config, items):
    # A hang must fail one test, not the suite: pytest-timeout if it is there
    # (tests/requirements.txt), on top of every subprocess's own timeout.
    if config.pluginmanager.hasplugin("timeout"):
        limit = harness.timeout(180)
        for item in items:
            if item.get_closest_marker("timeout") is None:
                item.add_marker(pytest.mark.timeout(limit))


@pytest.fixture(scope="session")
def spyglass():
    path = harness.spyglass_path()
    if not path.is_file():
        pytest.fail(f"spyglass binary not found at {path}: build it (`make`) or set SPYGLASS")
    return str(path)


@pytest.fixture(scope="session",
                params=_INTERPRETERS or [None],
                ids=[i.label for i in _INTERPRETERS] or ["no-interpreter"])
def python(request):
    """One CPython 3.9–3.13 to run targets on (the tests run once per interpreter)."""
    if request.param is None:
        pytest.fail("no CPython 3.9–3.13 found (looked in `pyenv root`/versions/*/bin/python3 "
                    "and /usr/bin/python3)")
    return request.param


@pytest.fixture
def spawn():
    """Starts targets in the background: spawn(argv) -> harness.Target. All are
    killed (with their process groups) at teardown."""
    started = []

    def start(argv):
        target = harness.Target(argv)
        started.append(target)
        return target

    yield start
    for target in started:
        target.kill()


@pytest.fixture
def server(spyglass, tmp_path):
    """A `spyglass serve` of its own (test_serve.Server) on a fresh data
    directory, killed at teardown."""
    from test_serve import Server
    srv = Server(spyglass, tmp_path / "data")
    yield srv
    srv.kill()
