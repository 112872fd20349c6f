"""One adapter per profiler: how to attach it to a running target, how to read
what it wrote, and what it says about its own run.

Every profiler attaches by pid to a target the harness started (never launches
it), so the profiler is a process of its own whose CPU time and syscalls can
be counted without the target's. Outputs are read into one shape, a Profile:
stacks of function names, oldest frame first, each with the thread it was
seen on, a sample count and the profiler's own weight (austin weighs each
sample by the wall time it stands for, in microseconds; the others by 1).

The adapters also say where each profiler's sampling window lay on the
CLOCK_MONOTONIC time line (`span`), because a profiler's "duration" is not
always what it sounds like: py-spy's --duration counts samples (duration x
rate), not seconds, so a py-spy that falls behind runs for much longer. py-spy
is therefore stopped with SIGINT after the wall time instead, and its window
starts at its "Sampling process" line.
"""

import abc
import re
from pathlib import Path
from typing import Dict, List, Optional, Tuple

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Stack:
    __slots__ = ("thread", "frames", "count", "weight")

    def __init__(self, thread: str, frames: Tuple[str, ...], count: int, weight: float):
        self.thread = thread
        self.frames = frames  # function names, oldest first
        self.count = count
        self.weight = weight


class Profile:
    """What a profiler recorded, as aggregated stacks."""

    def __init__(self, stacks: List[Stack]):
        self.stacks = stacks

    @property
    def samples(self) -> int:
        """Thread-stacks recorded (one thread seen in one sampling round)."""
        return sum(s.count for s in self.stacks)

    def threads(self) -> Dict[str, int]:
        per = {}
        for s in self.stacks:
            per[s.thread] = per.get(s.thread, 0) + s.count
        return per


def _function_of_labelled(frame: str) -> str:
    """`qualname (file:line)` -> qualname (spyglass and py-spy frames)."""
    head, sep, _ = frame.rpartition(" (")
    return head if sep else frame


def _aggregate(rows: Dict[Tuple[str, Tuple[str, ...]], List[float]]) -> Profile:
    return Profile([Stack(t, f, int(cw[0]), cw[1]) for (t, f), cw in rows.items()])


def _add(rows, thread, frames, count, weight):
    key = (thread, frames)
    cell = rows.get(key)
    if cell is None:
        rows[key] = [count, weight]
    else:
        cell[0] += count
        cell[1] += weight


def parse_labelled_collapsed(text: str, thread_prefix: str = "thread ") -> Profile:
    """Collapsed stacks `frame;frame;... COUNT` with frames `name (file:line)`
    and, when threads are shown, a first frame naming the thread."""
    rows = {}
    for line in text.splitlines():
        line = line.rstrip()
        if not line or line.startswith("#"):
            continue
        stack, _, count = line.rpartition(" ")
        try:
            n = int(count)
        except ValueError:
            continue
        frames = stack.split(";") if stack else []
        thread = ""
        if frames and frames[0].startswith(thread_prefix):
            thread = frames.pop(0)
        _add(rows, thread, tuple(_function_of_labelled(f) for f in frames), n, float(n))
    return _aggregate(rows)


def parse_austin(text: str) -> Tuple[Profile, Dict[str, str]]:
    """austin's text output: `P<pid>;T<iid>:<tid>;file:func:line;... METRIC`,
    one line per thread per sample, plus `# key: value` metadata lines."""
    rows, meta = {}, {}
    for line in text.splitlines():
        line = line.rstrip()
        if line.startswith("# "):
            key, _, value = line[2:].partition(":")
            meta[key.strip()] = value.strip()
            continue
        if not line.startswith("P"):
            continue
        stack, _, metric = line.rpartition(" ")
        try:
            weight = float(metric.split(",")[0])
        except ValueError:
            continue
        parts = stack.split(";")
        if len(parts) < 2:
            continue
        thread = parts[1]
        frames = []
        for frame in parts[2:]:
            pieces = frame.rsplit(":", 2)
            frames.append(pieces[1] if len(pieces) == 3 else frame)
        _add(rows, thread, tuple(frames), 1, weight)
    return _aggregate(rows), meta


class Run:
    """What the runner observed of one profiler process (see runner.py)."""

    def __init__(self):
        self.argv: List[str] = []
        self.returncode: Optional[int] = None
        self.log = ""  # stdout + stderr of the profiler
        self.t_launch = 0.0  # CLOCK_MONOTONIC seconds
        self.t_started: Optional[float] = None  # its "sampling started" line, if it prints one
        self.t_stop: Optional[float] = None  # when we sent SIGINT, if we did
        self.t_exit = 0.0
        self.cpu_total = 0.0  # user + system seconds over the whole run (rusage)
        self.cpu_window: Optional[Tuple[float, float]] = None  # (cpu seconds, wall seconds)
        self.syscalls_window: Optional[Tuple[Dict[str, float], float]] = None  # (counts, wall s)
        self.error: Optional[str] = None


class Profiler(abc.ABC):
    """Base adapter. Subclasses fill in the profiler-specific parts."""

    key = ""
    label = ""
    stops_itself = True  # honours a duration in seconds by itself
    start_marker: Optional[str] = None  # regex of the line that says sampling began
    weigh_by_time = False  # accuracy uses the profiler's weights, not counts

    def __init__(self, path: Optional[str], version: str = "", reason: str = "", note: str = ""):
        self.path = path
        self.version = version
        self.reason = reason
        self.note = note

    def unavailable(self, interp) -> Optional[str]:
        """Why this profiler cannot run on interp, or None."""
        if self.path is None:
            return self.reason or "not installed"
        return None

    @abc.abstractmethod
    def argv(self, pid: int, rate: int, duration: Optional[int], out: str) -> List[str]:
        """The command line that records `pid` at `rate` Hz into `out`."""

    @abc.abstractmethod
    def read_output(self, out: str) -> Tuple[Profile, Dict[str, str]]:
        """The recorded stacks, and facts the profiler reported about its run."""

    def facts(self, run: Run, meta: Dict[str, str]) -> dict:
        """What the profiler reports about its own run, as numbers."""
        return {}

    def span(self, run: Run, facts: dict) -> Tuple[float, float]:
        """(start, end) of the sampling on CLOCK_MONOTONIC."""
        start = run.t_started if run.t_started is not None else run.t_launch
        end = run.t_stop if run.t_stop is not None else run.t_exit
        return start, end

    def dropped(self, facts: dict, threads: int) -> int:
        """Thread-samples the profiler tried and threw away (torn, errors)."""
        return 0

    def rounds(self, profile: "Profile", facts: dict, threads: int) -> float:
        """Sampling rounds (one pass over every thread) in the run."""
        return profile.samples / threads


class Spyglass(Profiler):
    key = "spyglass"
    label = "spyglass"

    SUMMARY = re.compile(r"spyglass: (\d+) samples in ([\d.]+) s, ([\d.]+) Hz \(of ([\d.]+)\)(.*)")
    COST = re.compile(r"median ([\d.]+) us, p99 ([\d.]+) us, mean ([\d.]+) us; ([\d.]+) reads per round")

    def argv(self, pid, rate, duration, out):
        cmd = [self.path, "record", "--pid", str(pid), "-r", str(rate), "-f", "collapsed",
               "--threads", "--stats", "-o", out]
        if duration is not None:
            cmd += ["-d", str(duration)]
        return cmd

    def read_output(self, out):
        return parse_labelled_collapsed(Path(out).read_text(errors="replace")), {}

    def facts(self, run, meta):
        found = {}
        for line in run.log.splitlines():
            m = self.SUMMARY.search(line)
            if m:
                found.update(samples=int(m.group(1)), seconds=float(m.group(2)),
                             rounds_hz=float(m.group(3)), requested_hz=float(m.group(4)))
                for name in ("torn", "failed", "late"):
                    n = re.search(r"(\d+) %s" % name, m.group(5))
                    if n:
                        found[name] = int(n.group(1))
                stacks = re.search(r"(\d+) thread stacks", m.group(5))
                if stacks:
                    found["thread_stacks"] = int(stacks.group(1))
            m = self.COST.search(line)
            if m:
                found.update(median_us=float(m.group(1)), p99_us=float(m.group(2)),
                             mean_us=float(m.group(3)), reads_per_round=float(m.group(4)))
        return found

    def span(self, run, facts):
        end = run.t_exit
        if "seconds" in facts:
            return end - facts["seconds"], end
        return run.t_launch, end

    def dropped(self, facts, threads):
        # torn and failed count thread-samples (recorded + torn = threads x rounds)
        return facts.get("torn", 0) + facts.get("failed", 0)

    def rounds(self, profile, facts, threads):
        # Torn samples are not written out, so count rounds from the summary.
        if "rounds_hz" in facts and "seconds" in facts:
            return facts["rounds_hz"] * facts["seconds"]
        return profile.samples / threads


class PySpy(Profiler):
    stops_itself = False
    start_marker = r"Sampling process"

    def __init__(self, path, version="", reason="", note="", blocking=False):
        super().__init__(path, version, reason, note)
        self.blocking = blocking
        self.key = "py-spy-blocking" if blocking else "py-spy"
        self.label = "py-spy (blocking)" if blocking else "py-spy"

    def argv(self, pid, rate, duration, out):
        # --idle: record every thread every round (like the others in wall
        # mode); --threads: say which thread a stack belongs to.
        cmd = [self.path, "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw",
               "--output", out, "--threads", "--idle"]
        if not self.blocking:
            cmd.append("--nonblocking")
        if duration is not None:
            cmd += ["--duration", str(duration)]
        return cmd

    def read_output(self, out):
        return parse_labelled_collapsed(Path(out).read_text(errors="replace")), {}

    def facts(self, run, meta):
        found = {}
        m = re.search(r"Samples: (\d+) Errors: (\d+)", run.log)
        if m:
            found.update(samples=int(m.group(1)), errors=int(m.group(2)))
        behind = [float(x) for x in re.findall(r"([\d.]+)s behind in sampling", run.log)]
        if behind:
            found["max_behind_s"] = max(behind)
        return found

    def dropped(self, facts, threads):
        return facts.get("errors", 0) * threads  # an error loses a whole round


class Austin(Profiler):
    key = "austin"
    label = "austin"
    weigh_by_time = True

    def argv(self, pid, rate, duration, out):
        interval_us = max(1, int(round(1e6 / rate)))
        cmd = [self.path, "-p", str(pid), "-i", "%dus" % interval_us, "-o", out]
        if duration is not None:
            cmd += ["-x", str(duration)]
        return cmd

    def read_output(self, out):
        return parse_austin(Path(out).read_text(errors="replace"))

    def facts(self, run, meta):
        found = {}
        if "duration" in meta:
            try:
                found["seconds"] = float(meta["duration"]) / 1e6
            except ValueError:
                pass
        log = ANSI.sub("", run.log)
        m = re.search(r"Error rate\s*:\s*(\d+)/(\d+)", log)
        if m:
            found.update(errors=int(m.group(1)), rounds=int(m.group(2)))
        m = re.search(r"Long sampling rate\s*:\s*(\d+)/(\d+)", log)
        if m:
            found["long_rounds"] = int(m.group(1))
        m = re.search(r"Frame sampling \(min/avg/max\)\s*:\s*(\d+)/(\d+)/(\d+)", log)
        if m:
            found["self_reported_avg_us"] = float(m.group(2))
        return found

    def span(self, run, facts):
        end = run.t_exit
        if "seconds" in facts:
            return end - facts["seconds"], end
        return run.t_launch, end

    def dropped(self, facts, threads):
        return facts.get("errors", 0)


def build_profilers(spyglass_path: str, peers: dict, wanted: Optional[List[str]] = None) -> List[Profiler]:
    """The profiler variants of a run, in report order: spyglass, py-spy
    (non-blocking), austin, py-spy (blocking)."""
    pyspy, austin = peers["py-spy"], peers["austin"]
    every = [
        Spyglass(spyglass_path),
        PySpy(pyspy.path, pyspy.version, pyspy.reason, pyspy.note),
        Austin(austin.path, austin.version, austin.reason, austin.note),
        PySpy(pyspy.path, pyspy.version, pyspy.reason, pyspy.note, blocking=True),
    ]
    if wanted:
        every = [p for p in every if p.key in wanted]
    return every


class Result:
    """One profiler run, read and reduced to the numbers every benchmark uses."""

    def __init__(self, profiler: Profiler, run: Run, profile: Profile, facts: dict, threads: int):
        self.profiler = profiler
        self.run = run
        self.profile = profile
        self.facts = facts
        self.threads = threads
        self.start, self.end = profiler.span(run, facts)
        self.seconds = max(self.end - self.start, 1e-9)
        self.stacks = profile.samples  # thread-stacks recorded
        self.rounds = profiler.rounds(profile, facts, threads)
        self.attempted = self.stacks + profiler.dropped(facts, threads)

    @property
    def rounds_hz(self) -> float:
        return self.rounds / self.seconds

    @property
    def per_thread_hz(self) -> float:
        """Samples recorded per thread per second of sampling."""
        return self.stacks / self.threads / self.seconds


def evaluate(profiler: Profiler, run: Run, out: str, threads: int):
    """A Result, or the NA that says why there is none."""
    from .table import NA
    if run.error:
        return NA(run.error)
    try:
        profile, meta = profiler.read_output(out)
    except (OSError, ValueError) as err:
        return NA("unreadable output: %s" % err)
    if profile.samples == 0:
        return NA("no samples recorded: %s" % (run.log.strip().splitlines() or ["no output"])[-1])
    return Result(profiler, run, profile, profiler.facts(run, meta), threads)
