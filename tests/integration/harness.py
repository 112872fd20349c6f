"""Plumbing for the integration tests that drive the real `spyglass` binary.

What lives here: finding the binary and the interpreters, running spyglass with a
hard timeout (its whole process group is killed on expiry, so nothing outlives a
test), starting long-running targets and waiting for their READY line, parsing
collapsed stacks and the summary line, and reading the `# @line:NAME` markers of
the target programs in tests/targets/. The contract these helpers assume is
written at the top of conftest.py.

Invariants: no absolute machine path is hard-coded (the binary comes from
$SPYGLASS or the build tree next to this file, interpreters from `pyenv root`
and /usr/bin/python3); every child process is started in its own session and
killed by process group; durations and timeouts only ever scale up
(SG_SANITIZED=1).
"""

import ast
import dataclasses
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

REPO = Path(__file__).resolve().parents[2]
TARGETS = REPO / "tests" / "targets"

# --- time budget ---------------------------------------------------------------

SANITIZED = os.environ.get("SG_SANITIZED", "") not in ("", "0")
DURATION_SCALE = 2.0 if SANITIZED else 1.0
TIMEOUT_SCALE = 4.0 if SANITIZED else 1.0


def duration(seconds: float) -> float:
    """A recording or target run time, longer under sanitizers."""
    return seconds * DURATION_SCALE


def timeout(seconds: float) -> float:
    """A wait limit, much longer under sanitizers."""
    return seconds * TIMEOUT_SCALE


# --- the binary ----------------------------------------------------------------


def spyglass_path() -> Path:
    env = os.environ.get("SPYGLASS")
    return Path(env) if env else REPO / "build" / "bin" / "spyglass"


# --- interpreters --------------------------------------------------------------

SUPPORTED = ((3, 9), (3, 13))


@dataclasses.dataclass(frozen=True)
class Interpreter:
    label: str  # test id: "3.11.7" for pyenv, "debian-3.11" for /usr/bin/python3
    path: str
    version: str  # platform.python_version(), e.g. "3.11.7"

    @property
    def version_info(self) -> Tuple[int, int]:
        major, minor = self.version.split(".")[:2]
        return int(major), int(minor)

    def command(self, script: str, *args: str) -> List[str]:
        """argv that runs a target: -E/-s keep the environment and user site out,
        -B keeps __pycache__ out of the source tree."""
        return [self.path, "-E", "-s", "-B", str(TARGETS / script), *map(str, args)]

    def qualname(self, qualified: str) -> str:
        """What spyglass reports for a function: the qualified name on 3.11+
        (co_qualname), the plain name before (co_name)."""
        return qualified if self.version_info >= (3, 11) else qualified.rsplit(".", 1)[-1]


def _probe_version(path: str) -> Optional[str]:
    try:
        out = subprocess.run(
            [path, "-E", "-s", "-c", "import platform; print(platform.python_version())"],
            capture_output=True, text=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _pyenv_root() -> Optional[Path]:
    exe = shutil.which("pyenv")
    if exe:
        try:
            out = subprocess.run([exe, "root"], capture_output=True, text=True,
                                 timeout=30, check=True)
            if out.stdout.strip():
                return Path(out.stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    env = os.environ.get("PYENV_ROOT")
    return Path(env) if env else Path.home() / ".pyenv"


def _version_tuple(version: str) -> Tuple[int, int]:
    parts = re.match(r"(\d+)\.(\d+)", version)
    return (int(parts.group(1)), int(parts.group(2))) if parts else (0, 0)


def _pyenv_interpreters() -> List[Interpreter]:
    root = _pyenv_root()
    found = []
    if root is None or not (root / "versions").is_dir():
        return found
    for exe in sorted((root / "versions").glob("*/bin/python3")):
        version = _probe_version(str(exe))
        if version:
            found.append(Interpreter(version, str(exe), version))
    return found


def _dedupe(interps: List[Interpreter]) -> List[Interpreter]:
    seen, out = set(), []
    for interp in interps:
        real = os.path.realpath(interp.path)
        if real not in seen:
            seen.add(real)
            out.append(interp)
    return out


_ALL: Optional[List[Interpreter]] = None


def all_interpreters() -> List[Interpreter]:
    """Every pyenv interpreter plus Debian's python3, whatever the version."""
    global _ALL
    if _ALL is None:
        interps = _pyenv_interpreters()
        debian = "/usr/bin/python3"
        if os.path.exists(debian):
            version = _probe_version(debian)
            if version:
                major, minor = _version_tuple(version)
                interps.append(Interpreter(f"debian-{major}.{minor}", debian, version))
        interps.sort(key=lambda i: (i.label.startswith("debian"), _version_tuple(i.version)))
        _ALL = _dedupe(interps)
    return _ALL


def supported_interpreters() -> List[Interpreter]:
    lo, hi = SUPPORTED
    return [i for i in all_interpreters() if lo <= _version_tuple(i.version) <= hi]


def unsupported_interpreters() -> List[Interpreter]:
    """3.7 and 3.8: old enough to refuse, new enough to be recognised (they have
    _PyRuntime), so the error must name the version."""
    return [i for i in all_interpreters() if _version_tuple(i.version) in ((3, 7), (3, 8))]


# --- running processes ---------------------------------------------------------


def _no_core_dumps() -> None:
    # Inherited by the launched target: the crash tests must not litter cores.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=timeout(10))
    except subprocess.TimeoutExpired:
        pass


@dataclasses.dataclass
class Run:
    """A finished spyglass invocation."""
    argv: List[str]
    returncode: int
    stdout: str
    stderr: str
    elapsed: float
    output: Optional[Path] = None

    def describe(self) -> str:
        tail = "\n".join(self.stderr.splitlines()[-30:])
        return (f"$ {' '.join(self.argv)}\nexit {self.returncode} after {self.elapsed:.2f} s\n"
                f"--- stderr (tail) ---\n{tail}\n--- stdout (head) ---\n{self.stdout[:2000]}")

    @property
    def summary(self) -> Optional["Summary"]:
        return parse_summary(self.stderr)

    def samples(self) -> List["Sample"]:
        assert self.output is not None and self.output.exists(), \
            f"no output file {self.output}\n{self.describe()}"
        text = self.output.read_bytes().decode("utf-8")  # strict: the file is UTF-8
        threads = "--threads" in self.argv
        return parse_collapsed(text, threads=threads)

    def check(self, returncode: int = 0) -> "Summary":
        """The run ended as expected, printed its summary and no TTY status."""
        assert self.returncode == returncode, \
            f"expected exit {returncode}, got {self.returncode}\n{self.describe()}"
        assert_no_tty_status(self)
        summary = self.summary
        assert summary is not None, f"no summary line on stderr\n{self.describe()}"
        return summary

    def check_error(self, *needles: str) -> str:
        """The run failed as a profiler error that names the problem."""
        assert self.returncode == 1, f"expected exit 1, got {self.returncode}\n{self.describe()}"
        assert self.stderr.startswith("spyglass: error: "), \
            f"stderr does not start with 'spyglass: error: '\n{self.describe()}"
        message = self.stderr.splitlines()[0]
        for needle in needles:
            assert needle in message, f"{needle!r} not in error message {message!r}\n{self.describe()}"
        return message


def run_spyglass(argv: Sequence[str], limit: float,
                 poll: Optional[Callable[[], None]] = None,
                 output: Optional[Path] = None) -> Run:
    """Runs spyglass with stdin closed and stdout/stderr captured to files (not
    pipes: no TTY, and no deadlock however much it writes). `poll` is called
    every 10 ms while it runs. On timeout the whole process group is killed and
    the test fails."""
    argv = [str(a) for a in argv]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                start_new_session=True, preexec_fn=_no_core_dumps)
        deadline = start + limit
        try:
            while proc.poll() is None:
                if time.monotonic() > deadline:
                    _kill_group(proc)
                    err.seek(0)
                    raise AssertionError(
                        f"spyglass did not finish within {limit:.0f} s: {' '.join(argv)}\n"
                        f"stderr: {err.read().decode(errors='replace')[-3000:]}")
                if poll is not None:
                    poll()
                time.sleep(0.01)
        finally:
            if proc.poll() is None:
                _kill_group(proc)
        elapsed = time.monotonic() - start
        # Kill anything the run left behind in its group (a launched target
        # that survived spyglass, a forked child).
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        out.seek(0)
        err.seek(0)
        return Run(argv, proc.returncode, out.read().decode(errors="replace"),
                   err.read().decode(errors="replace"), elapsed, output)


def record(spyglass: str, output: Path, options: Sequence[str] = (), *,
           command: Optional[Sequence[str]] = None, pid: Optional[int] = None,
           limit: float = 60, poll: Optional[Callable[[], None]] = None) -> Run:
    """`spyglass record --format collapsed -o OUTPUT OPTIONS (--pid PID | -- COMMAND)`."""
    assert (command is None) != (pid is None)
    argv = [spyglass, "record", "--format", "collapsed", "-o", str(output), *options]
    argv += ["--pid", str(pid)] if pid is not None else ["--", *command]
    return run_spyglass(argv, timeout(limit), poll=poll, output=output)


def dump(spyglass: str, pid: int, as_json: bool = True, limit: float = 30) -> Run:
    argv = [spyglass, "dump", "--pid", str(pid)] + (["--json"] if as_json else [])
    return run_spyglass(argv, timeout(limit))


def dump_json(spyglass: str, pid: int) -> dict:
    run = dump(spyglass, pid)
    assert run.returncode == 0, run.describe()
    assert_no_tty_status(run)
    try:
        return json.loads(run.stdout)
    except json.JSONDecodeError as e:
        raise AssertionError(f"dump --json printed invalid JSON ({e})\n{run.describe()}")


def assert_no_tty_status(run: Run) -> None:
    for stream, text in (("stderr", run.stderr), ("stdout", run.stdout)):
        assert "\r" not in text, f"carriage return (live status) on {stream} without a TTY\n{run.describe()}"
        assert "\x1b[" not in text, f"terminal escape on {stream} without a TTY\n{run.describe()}"


class Target:
    """A target started by the test itself (to attach to or dump). It runs in its
    own session; kill() kills its whole group (forked children too)."""

    def __init__(self, argv: Sequence[str]):
        self.argv = [str(a) for a in argv]
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self._stderr, start_new_session=True,
                                     preexec_fn=_no_core_dumps)
        self.pid = self.proc.pid
        self.info: dict = {}

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def wait_ready(self, limit: float = 30) -> dict:
        """Waits for the target's `READY {json}` line; returns the JSON."""
        import select
        fd = self.proc.stdout.fileno()
        buf = b""
        deadline = time.monotonic() + timeout(limit)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"target not ready within {limit} s: {self.argv}\n{self.stderr()}")
            ready, _, _ = select.select([fd], [], [], min(left, 0.1))
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise AssertionError(f"target exited before READY (exit {self.proc.wait()}): "
                                         f"{self.argv}\n{self.stderr()}")
                buf += chunk
                for line in buf.split(b"\n")[:-1]:
                    if line.startswith(b"READY "):
                        self.info = json.loads(line[6:].decode())
                        return self.info

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.proc.poll() is None:
            _kill_group(self.proc)
        self.proc.stdout.close()
        self._stderr.close()


def task_state(pid: int, tid: int) -> Optional[str]:
    """The one-letter state of a thread (R, S, D, T, t, Z...), None if gone."""
    try:
        stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2]


def process_state(pid: int) -> Optional[str]:
    return task_state(pid, pid)


def cpu_ticks(pid: int) -> int:
    """utime + stime of a process, in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def assert_keeps_running(pid: int, after: str) -> None:
    """The process still runs: not stopped, and it gains CPU time. A loaded
    machine (the suite under ASan beside other work) can leave a busy target
    without a clock tick for 0.3 s, so the wait is up to a few seconds."""
    assert process_state(pid) not in ("T", "t"), f"the target was left stopped after {after}"
    before = cpu_ticks(pid)
    deadline = time.monotonic() + timeout(3)
    while cpu_ticks(pid) == before:
        assert time.monotonic() < deadline, f"the target no longer runs after {after}"
        time.sleep(0.05)


def wait_task_state(pid: int, tid: int, states: str, limit: float = 10) -> None:
    deadline = time.monotonic() + timeout(limit)
    while time.monotonic() < deadline:
        if task_state(pid, tid) in tuple(states):
            return
        time.sleep(0.01)
    raise AssertionError(f"thread {tid} of {pid} not in state {states} "
                         f"(is {task_state(pid, tid)}) within {limit} s")


def settle(pid: int, tids: Dict[str, int], sleepers: Sequence[str]) -> None:
    """Waits until the named threads are asleep, then a little more so that the
    target is in its steady state before we look."""
    for name in sleepers:
        wait_task_state(pid, tids[name], "S")
    time.sleep(0.2)


# --- collapsed stacks ----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Frame:
    function: str
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.function} ({self.file}:{self.line})"


@dataclasses.dataclass(frozen=True)
class Sample:
    """One line of collapsed output: a distinct stack (oldest frame first) and how
    many samples had it. `thread` is (name, tid) with --threads, else None."""
    thread: Optional[Tuple[str, int]]
    frames: Tuple[Frame, ...]
    count: int

    @property
    def leaf(self) -> Optional[Frame]:
        return self.frames[-1] if self.frames else None

    def functions(self) -> List[str]:
        return [f.function for f in self.frames]


_LABEL = re.compile(r"^(?P<function>.*?) \((?P<file>.*):(?P<line>\d+)\)$")
_THREAD = re.compile(r"^thread (?P<name>.*) \((?P<tid>\d+)\)$")


def parse_collapsed(text: str, threads: bool) -> List[Sample]:
    """Strict parser: any line that is not `frame;...;frame COUNT` fails the test."""
    samples = []
    for number, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        stack, sep, count = line.rpartition(" ")
        assert sep and count.isdigit() and int(count) > 0, f"line {number}: no count: {line!r}"
        labels = stack.split(";")
        thread = None
        if threads:
            m = _THREAD.match(labels[0])
            assert m, f"line {number}: no `thread NAME (TID)` root frame: {line!r}"
            thread = (m.group("name"), int(m.group("tid")))
            labels = labels[1:]
        frames = []
        for label in labels:
            m = _LABEL.match(label)
            assert m, f"line {number}: bad frame label {label!r} (want `qualname (file:line)`)"
            frames.append(Frame(m.group("function"), m.group("file"), int(m.group("line"))))
        samples.append(Sample(thread, tuple(frames), int(count)))
    return samples


def total(samples: Sequence[Sample], pred: Callable[[Sample], bool] = lambda s: True) -> int:
    return sum(s.count for s in samples if pred(s))


def dominant(samples: Sequence[Sample], pred: Callable[[Sample], bool] = lambda s: True) -> Sample:
    chosen = [s for s in samples if pred(s) and s.frames]
    assert chosen, "no stack matches"
    return max(chosen, key=lambda s: s.count)


def show(samples: Sequence[Sample], limit: int = 8) -> str:
    """The heaviest stacks, for assertion messages."""
    top = sorted(samples, key=lambda s: -s.count)[:limit]
    out = []
    for s in top:
        head = f"[{s.thread[0]} {s.thread[1]}] " if s.thread else ""
        frames = s.frames if len(s.frames) <= 12 else \
            s.frames[:4] + (f"... {len(s.frames) - 8} more ...",) + s.frames[-4:]
        out.append(f"{s.count:6d} {head}" + " ; ".join(map(str, frames)))
    return "\n".join(out)


def by_thread(samples: Sequence[Sample]) -> Dict[str, List[Sample]]:
    out: Dict[str, List[Sample]] = {}
    for s in samples:
        out.setdefault(s.thread[0], []).append(s)
    return out


# --- the summary line ----------------------------------------------------------

_SUMMARY = re.compile(r"spyglass: (\d+) samples in ([\d.]+) s, ([\d.]+) Hz \(of (\d+)\), "
                      r"(\d+) torn, (\d+) failed, (\d+) late, (\d+) missed")


@dataclasses.dataclass(frozen=True)
class Summary:
    samples: int
    seconds: float
    hz: float
    requested: int
    torn: int
    failed: int
    late: int
    missed: int

    def scheduled_hz(self) -> float:
        """Ticks the loop scheduled per second: those it sampled and those it
        skipped because it was not given a CPU for ten intervals or more."""
        return (self.samples + self.missed) / self.seconds


def parse_summary(stderr: str) -> Optional[Summary]:
    m = _SUMMARY.search(stderr)
    if not m:
        return None
    g = m.groups()
    return Summary(int(g[0]), float(g[1]), float(g[2]), int(g[3]), int(g[4]), int(g[5]), int(g[6]),
                   int(g[7]))


def check_summary(summary: Summary, requested: int, seconds: Tuple[float, float]) -> None:
    """The figures are sane and agree with each other (not a benchmark)."""
    lo, hi = seconds
    assert summary.samples > 0, summary
    assert summary.requested == requested, summary
    assert lo <= summary.seconds <= hi, f"recorded {summary.seconds} s, expected {lo}..{hi}: {summary}"
    assert abs(summary.hz - summary.samples / summary.seconds) <= 0.05 * summary.hz + 1, \
        f"Hz disagrees with samples / seconds: {summary}"
    assert summary.torn + summary.failed <= 0.05 * summary.samples, f"too many torn/failed: {summary}"
    assert summary.late <= summary.samples, summary


# --- targets and their markers -------------------------------------------------


class TargetFile:
    """A program in tests/targets/ and its `# @line:NAME` markers."""

    _MARK = re.compile(r"#\s*@line:([\w-]+)")

    def __init__(self, name: str):
        self.name = name
        self.path = str(TARGETS / name)  # as launched, so as co_filename has it
        source = Path(self.path).read_text(encoding="utf-8")
        self.lines: Dict[str, int] = {}
        for number, text in enumerate(source.splitlines(), 1):
            for mark in self._MARK.findall(text):
                assert mark not in self.lines, f"{name}: marker {mark} twice"
                self.lines[mark] = number
        self._tree = ast.parse(source)

    def line(self, mark: str) -> int:
        assert mark in self.lines, f"{self.name}: no `# @line:{mark}` marker"
        return self.lines[mark]

    def def_line(self, qualname: str) -> int:
        """co_firstlineno: the `def` line of a function (targets use no
        decorators), 1 for the module."""
        if qualname == "<module>":
            return 1
        body = self._tree.body
        node = None
        for part in qualname.split("."):
            node = next((n for n in body if isinstance(n, (ast.FunctionDef, ast.ClassDef))
                         and n.name == part), None)
            assert node is not None, f"{self.name}: no definition {qualname}"
            body = node.body
        return node.lineno

    def frame(self, function: str, mark: str) -> Frame:
        return Frame(function, self.path, self.line(mark))
