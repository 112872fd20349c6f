"""Starting targets and profilers, and measuring the profilers.

A Target is a Python program the harness starts (in its own session, pinned
to the target CPU when pinning is on) and that prints "ready" when it stands
where the benchmark wants it. A profiler then attaches to it by pid
(run_profiler), pinned to the other CPU, and the harness observes:

  - its lines of output, with the CLOCK_MONOTONIC time each arrived (to find
    py-spy's "Sampling process" line, i.e. when sampling really began);
  - its CPU time over the whole run (rusage from wait4) and, when asked, over
    a steady-state window in the middle of the run: the sum of the run time
    of all its threads from /proc/PID/task/*/schedstat (nanoseconds), read at
    both ends of the window; startup and the final write stay outside;
  - when asked, its syscalls: the profiler runs under `perf stat -I 250` on
    the syscall tracepoints (process_vm_readv and all syscalls), and the
    intervals inside the window are summed. Without perf, `strace -f -c`
    counts the whole run instead. A run with syscall counting is never the
    run whose CPU time is reported: tracing costs time.

Every process started here is registered and killed (by process group, which
is its own) when the harness exits, however it exits.
"""

import atexit
import os
import re
import signal
import subprocess
import threading
import time
from typing import Dict, List, Optional, Tuple

from .profilers import Profiler, Run

_LIVE = set()  # pids of process groups we started and have not reaped


def _kill_group(pid: int, sig: int = signal.SIGKILL) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


KILL_GRACE_S = 15


def _proc_state(pid: int) -> str:
    """The kernel's one-letter state of pid and where it waits, for a report."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        with open("/proc/%d/wchan" % pid) as f:
            wchan = f.read().strip()
        return "%s, waiting in %s" % (state, wchan) if wchan not in ("", "0") else state
    except (OSError, IndexError):
        return "gone"


def cleanup() -> None:
    """Kill every process group we started that is still around."""
    for pid in list(_LIVE):
        _kill_group(pid)
        _LIVE.discard(pid)


atexit.register(cleanup)


def _pinned(cpu: Optional[int]):
    if cpu is None:
        return None

    def pin():
        os.sched_setaffinity(0, {cpu})

    return pin


class LineTap(threading.Thread):
    """Reads a process's output line by line, time-stamping each line."""

    def __init__(self, stream, marker: Optional[str] = None):
        super().__init__(daemon=True)
        self.stream = stream
        self.lines: List[Tuple[float, str]] = []
        self.marker = re.compile(marker) if marker else None
        self.marker_time: Optional[float] = None
        self.marker_seen = threading.Event()
        self.changed = threading.Condition()
        self.start()

    def run(self):
        for raw in iter(self.stream.readline, b""):
            now = time.monotonic()
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self.changed:
                self.lines.append((now, line))
                self.changed.notify_all()
            if self.marker and self.marker_time is None and self.marker.search(line):
                self.marker_time = now
                self.marker_seen.set()
        with self.changed:
            self.lines.append((time.monotonic(), None))  # end of stream
            self.changed.notify_all()

    def wait_for(self, pattern: str, timeout: float) -> Optional[str]:
        """The first line matching pattern, waiting up to timeout seconds;
        None if the stream ends or time runs out first."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        with self.changed:
            while True:
                while seen < len(self.lines):
                    line = self.lines[seen][1]
                    seen += 1
                    if line is None:
                        return None
                    if regex.search(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.changed.wait(left)

    def text(self) -> str:
        return "\n".join(line for _, line in self.lines if line is not None)


class TargetError(Exception):
    pass


class Target:
    """A target program, started and waited on until it prints "ready"."""

    def __init__(self, python: str, script: str, args=(), cpu: Optional[int] = None,
                 ready_timeout: float = 60.0):
        self.argv = [python, script] + [str(a) for a in args]
        self.lost = False  # outlived SIGKILL: see stop()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, start_new_session=True,
                                     preexec_fn=_pinned(cpu))
        _LIVE.add(self.proc.pid)
        self.out = LineTap(self.proc.stdout)
        self.err = LineTap(self.proc.stderr)
        if self.out.wait_for(r"^ready", ready_timeout) is None:
            self.stop()
            raise TargetError("target %s did not get ready: %s" % (os.path.basename(script),
                                                                   _last_line(self.err.text())))

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def send(self, text: str) -> None:
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def stop(self, sig: int = signal.SIGKILL, timeout: float = 10.0) -> Optional[int]:
        """Signal the target (the main process only for SIGTERM, so it can
        write its log; the whole group otherwise) and reap it."""
        if self.lost:
            return None
        if self.proc.poll() is None:
            if sig == signal.SIGKILL:
                _kill_group(self.proc.pid)
            else:
                self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            _kill_group(self.proc.pid)
            try:
                self.proc.wait(KILL_GRACE_S)
            except subprocess.TimeoutExpired:
                # Seen on a 2-vCPU guest with a stray busy process on the
                # target's CPU: bench/rate's target still alive after
                # SIGKILL in two runs of three. One lost run must not end
                # the whole benchmark: the run is reported as not measured,
                # and cleanup() tries the group again at exit.
                self.lost = True
                raise TargetError("target %s outlived SIGKILL by %d s (state %s)"
                                  % (os.path.basename(self.argv[1]), KILL_GRACE_S,
                                     _proc_state(self.proc.pid)))
        _LIVE.discard(self.proc.pid)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                stream.close()
            except (OSError, ValueError):
                pass
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class BusyLoop:
    """A Python busy loop pinned to a CPU, for as long as the with-block runs."""

    def __init__(self, python: str, cpu: Optional[int]):
        self.proc = subprocess.Popen([python, "-c", "while True: pass"], start_new_session=True,
                                     preexec_fn=_pinned(cpu))
        _LIVE.add(self.proc.pid)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _kill_group(self.proc.pid)
        self.proc.wait()
        _LIVE.discard(self.proc.pid)


def _last_line(text: str) -> str:
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    return lines[-1] if lines else "no output"


def task_cpu_seconds(pid: int) -> Optional[float]:
    """CPU time of all threads of pid: schedstat (ns) summed over its tasks,
    else utime + stime from /proc/PID/stat (clock ticks)."""
    total, found = 0, False
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return None
    for tid in tasks:
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                total += int(f.read().split()[0])
                found = True
        except (OSError, ValueError, IndexError):
            continue
    if found:
        return total / 1e9
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _child_of(pid: int, timeout: float = 3.0) -> int:
    """The (first) child of pid: the profiler under perf or strace."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                children = f.read().split()
            if children:
                return int(children[0])
        except OSError:
            break
        time.sleep(0.005)
    return pid


def _exited(proc: subprocess.Popen) -> bool:
    """Whether proc has exited, without reaping it: wait4 must reap it later
    to get its rusage."""
    try:
        return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _sleep_until(t: float, proc: subprocess.Popen) -> bool:
    """Sleep until monotonic time t; False if proc exited first."""
    while True:
        left = t - time.monotonic()
        if _exited(proc):
            return False
        if left <= 0:
            return True
        time.sleep(min(left, 0.05))


# --- syscall counting -------------------------------------------------------

SYSCALL_EVENTS = ("syscalls:sys_enter_process_vm_readv", "raw_syscalls:sys_enter")
_EVENT_NAMES = {"syscalls:sys_enter_process_vm_readv": "process_vm_readv",
                "raw_syscalls:sys_enter": "all"}
PERF_INTERVAL_MS = 250

_counter_cache: Dict[str, Optional[str]] = {}


def syscall_counter() -> Optional[str]:
    """"perf" if perf can count the syscall tracepoints here, else "strace"
    if strace exists, else None. Probed once."""
    if "tool" in _counter_cache:
        return _counter_cache["tool"]
    tool = None
    try:
        probe = subprocess.run(["perf", "stat", "-x", ",", "-e", ",".join(SYSCALL_EVENTS), "--", "true"],
                               capture_output=True, text=True, timeout=30)
        if probe.returncode == 0 and "not supported" not in probe.stderr and "<not" not in probe.stderr:
            tool = "perf"
    except (OSError, subprocess.TimeoutExpired):
        pass
    if tool is None:
        try:
            if subprocess.run(["strace", "-V"], capture_output=True, timeout=30).returncode == 0:
                tool = "strace"
        except (OSError, subprocess.TimeoutExpired):
            pass
    _counter_cache["tool"] = tool
    return tool


def _perf_window(path: str, window: Tuple[float, float]) -> Optional[Tuple[Dict[str, float], float]]:
    """Sum the perf -I intervals lying inside window (seconds since launch)."""
    series: Dict[str, List[Tuple[float, float]]] = {}
    try:
        text = open(path).read()
    except OSError:
        return None
    for line in text.splitlines():
        fields = line.strip().split(",")
        if len(fields) < 4 or line.startswith("#"):
            continue
        try:
            t = float(fields[0])
            count = float(fields[1])
        except ValueError:
            continue  # "<not counted>"
        name = _EVENT_NAMES.get(fields[3])
        if name:
            series.setdefault(name, []).append((t, count))
    if not series:
        return None
    counts, length = {}, 0.0
    for name, points in series.items():
        points.sort()
        total, span, previous = 0.0, 0.0, 0.0
        for t, count in points:
            if previous >= window[0] and t <= window[1]:
                total += count
                span += t - previous
            previous = t
        counts[name] = total
        length = max(length, span)
    return (counts, length) if length > 0 else None


def _strace_totals(path: str) -> Optional[Dict[str, float]]:
    counts = {}
    try:
        lines = open(path).read().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if len(fields) >= 5 and fields[-1] in ("process_vm_readv", "total"):
            try:
                calls = float(fields[3])
            except ValueError:
                continue
            counts["process_vm_readv" if fields[-1] == "process_vm_readv" else "all"] = calls
    return counts or None


# --- one profiler run ----------------------------------------------------------

def run_profiler(profiler: Profiler, pid: int, rate: int, duration: Optional[int], out: str, *,
                 cpu: Optional[int] = None, cpu_window: Optional[Tuple[float, float]] = None,
                 count_syscalls: bool = False,
                 syscall_window: Optional[Tuple[float, float]] = None,
                 on_started=None, timeout_extra: float = 60.0) -> Run:
    """Attach profiler to pid for duration seconds (None: until the target
    exits) and observe it. Windows are in seconds since the launch.
    on_started(run) is called once sampling has begun (after the start line
    for profilers that print one; else 0.5 s after launch)."""
    run = Run()
    argv = profiler.argv(pid, rate, duration if profiler.stops_itself else None, out)
    counter = syscall_counter() if count_syscalls else None
    side_file = None
    if counter == "perf":
        side_file = out + ".perf"
        argv = ["perf", "stat", "-x", ",", "-I", str(PERF_INTERVAL_MS), "-e", ",".join(SYSCALL_EVENTS),
                "-o", side_file, "--"] + argv
    elif counter == "strace":
        side_file = out + ".strace"
        argv = ["strace", "-f", "-c", "-o", side_file, "--"] + argv
    run.argv = argv
    for stale in (out, side_file):
        if stale and os.path.exists(stale):
            os.unlink(stale)

    run.t_launch = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_pinned(cpu))
    _LIVE.add(proc.pid)
    tap = LineTap(proc.stdout, profiler.start_marker)
    profiler_pid = _child_of(proc.pid) if counter else proc.pid

    if profiler.start_marker:
        give_up = time.monotonic() + 20.0
        while not tap.marker_seen.wait(0.02) and not _exited(proc) and time.monotonic() < give_up:
            pass
    else:
        _sleep_until(run.t_launch + 0.5, proc)
    run.t_started = tap.marker_time
    if on_started is not None:
        on_started(run)

    if cpu_window is not None and _sleep_until(run.t_launch + cpu_window[0], proc):
        c0, w0 = task_cpu_seconds(profiler_pid), time.monotonic()
        if _sleep_until(run.t_launch + cpu_window[1], proc):
            c1, w1 = task_cpu_seconds(profiler_pid), time.monotonic()
            if c0 is not None and c1 is not None:
                run.cpu_window = (c1 - c0, w1 - w0)

    if not profiler.stops_itself and duration is not None:
        begin = run.t_started if run.t_started is not None else run.t_launch
        if _sleep_until(begin + duration, proc):
            os.kill(profiler_pid, signal.SIGINT)
            run.t_stop = time.monotonic()

    limit = time.monotonic() + (duration or 0) + timeout_extra
    status, usage = None, None
    while status is None:
        try:
            waited, st, ru = os.wait4(proc.pid, os.WNOHANG)
        except ChildProcessError:
            break
        if waited:
            status, usage = st, ru
            break
        if time.monotonic() > limit:
            _kill_group(proc.pid)
            run.error = "timed out"
            limit = float("inf")
        time.sleep(0.01)
    run.t_exit = time.monotonic()
    _LIVE.discard(proc.pid)
    if status is not None:
        proc.returncode = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") \
            else (os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status))
        run.returncode = proc.returncode
    if usage is not None:
        run.cpu_total = usage.ru_utime + usage.ru_stime
    tap.join(5.0)
    proc.stdout.close()
    run.log = tap.text()
    if run.t_started is None:
        run.t_started = tap.marker_time

    if counter == "perf" and syscall_window is not None:
        run.syscalls_window = _perf_window(side_file, syscall_window)
    elif counter == "strace":
        totals = _strace_totals(side_file)
        if totals:
            run.syscalls_window = (totals, None)  # whole run
    if run.error is None and run.returncode not in (0, None):
        run.error = "exit %s: %s" % (run.returncode, _last_line(run.log))
    if run.error is None and not os.path.exists(out):
        run.error = "no output: %s" % _last_line(run.log)
    return run
