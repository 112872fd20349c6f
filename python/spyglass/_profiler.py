"""The Profiler: the Python face of the native in-process sampler
(python/ext/inproc.c, through the _spyglass extension).

What lives here and why:
  - Profiler: start/stop/pause/resume, snapshot/save/upload, context manager
    and decorator. The sampling itself is native and never takes the GIL;
    this layer only turns calls and options into native calls.
  - GC events: one gc.callbacks hook, installed while any profiler runs,
    turns each collection's start/stop into timed events; mark() adds a user
    marker to every running profiler.
  - Lifecycle: atexit stops (and saves) every running profiler before the
    interpreter shuts down; after fork the child's profilers are stopped
    (the sampler thread stayed in the parent) unless made with
    follow_fork=True, which starts a fresh recording in the child.

Invariants: a Profiler is in _RUNNING exactly while its native sampler
thread runs in this process; all state changes happen with the GIL held.
"""

import atexit
import functools
import gc
import os
import platform
import sys
import threading
import weakref

from . import _upload

try:
    from . import _spyglass
except ImportError as e:  # pragma: no cover
    raise ImportError(
        "spyglass: the native extension _spyglass is missing or does not load "
        f"({e}); install with `pip install .` from the spyglass tree, or build it "
        "with scripts/build-python") from None

_RUNNING = []  # profilers whose sampler runs now, in start order
_ALL = weakref.WeakSet()  # every profiler, for fork handling
_KINDS = {_spyglass.EVENT_GC_START: "gc_start", _spyglass.EVENT_GC_STOP: "gc_stop",
          _spyglass.EVENT_MARKER: "marker"}


class Profile:
    """A recorded profile (a snapshot): the spyglass model in memory."""

    def __init__(self, native):
        self._native = native

    def save(self, path):
        """Writes the profile as .sgl to `path`; returns the path."""
        path = os.fspath(path)
        self._native.save(path)
        return path

    def to_bytes(self):
        """The .sgl file's bytes."""
        return self._native.to_bytes()

    def collapsed(self, threads=False):
        """Collapsed stacks: `frame;frame;... count` per line, oldest frame
        first, frames as `function (file:line)`."""
        return self._native.collapsed(threads=threads)

    def stacks(self):
        """{(frame, ...): samples}, frames oldest first as `function (file:line)`."""
        out = {}
        for line in self.collapsed().splitlines():
            stack, _, count = line.rpartition(" ")
            if stack:
                key = tuple(stack.split(";"))
                out[key] = out.get(key, 0) + int(count)
        return out

    def events(self):
        """[(time_ns, kind, tid, label)], kind one of gc_start, gc_stop, marker."""
        return [(t, _KINDS.get(k, str(k)), tid, label) for t, k, tid, label in
                self._native.events()]

    def threads(self):
        """[(tid, name)] of the threads that have samples."""
        return self._native.threads()

    @property
    def info(self):
        """Metadata and counts: samples, duration_ns, mode, python, ..."""
        return self._native.info()

    @property
    def samples(self):
        return self._native.info()["samples"]

    @property
    def duration(self):
        """Seconds the profile covers."""
        return self._native.info()["duration_ns"] / 1e9

    def upload(self, url, token=None, name=None, tags=None):
        """POSTs the profile to a spyglass server; returns its JSON answer."""
        return _upload.upload_bytes(url, self.to_bytes(), token=token, name=name, tags=tags)

    def __repr__(self):
        i = self.info
        return f"<spyglass.Profile {i['samples']} samples over {i['duration_ns'] / 1e9:.2f} s>"


def load(path):
    """Reads a .sgl file into a Profile."""
    return Profile(_spyglass.read_sgl(os.fspath(path)))


def _command_line():
    argv = getattr(sys, "orig_argv", None) or [sys.executable] + sys.argv
    return " ".join(argv)


def _native_ids(threads):
    if threads is None:
        return None
    ids = []
    for t in threads:
        if isinstance(t, threading.Thread):
            if t.native_id is None:
                raise ValueError(f"thread {t.name!r} has not started: it has no native id yet")
            ids.append(t.native_id)
        elif isinstance(t, int):
            ids.append(t)
        else:
            raise TypeError("threads= takes threading.Thread objects or native thread ids "
                            f"(threading.get_native_id()), not {type(t).__name__}")
    return ids


class Profiler:
    """Samples this process's Python threads from a native thread.

    rate      samples per second (1..100000; default 1000)
    mode      "wall" (every thread, running or waiting) or "cpu" (threads on a CPU)
    threads   None (all) or Thread objects / native ids to record
    window    seconds per history window: keep a rolling history of one profile
              per window (default: one profile for the whole recording)
    history   windows kept (default 300 when window is given; window defaults
              to 1.0 when only history is)
    gc        record garbage collections as timed events (default True)
    follow_fork  a forked child starts a fresh recording of its own (default:
              the child does not sample)
    output    path written by stop() (and after each decorated call)
    memory    how the sampler reads this process: "auto" (default: memcpy under
              a SIGSEGV/SIGBUS guard, kernel copies when the host's own fault
              handler came after ours), "kernel" (process_vm_readv, else
              /proc/self/mem) or "fd" (/proc/self/mem); stats()["memory_source"]
              says which one reads now
    """

    def __init__(self, rate=1000, mode="wall", threads=None, *, window=None, history=None,
                 gc=True, follow_fork=False, output=None, memory="auto", _mem=None, _cpu_clock=False):
        if not 1 <= rate <= 100000:
            raise ValueError(f"rate must be 1..100000 samples per second, not {rate}")
        if mode not in ("wall", "cpu"):
            raise ValueError(f"mode is 'wall' or 'cpu', not {mode!r}")
        if history is not None and window is None:
            window = 1.0
        if window is not None:
            if window <= 0:
                raise ValueError("window must be > 0 seconds")
            history = 300 if history is None else int(history)
            if history < 1:
                raise ValueError("history must be at least 1 window")
        self.rate = float(rate)
        self.mode = mode
        self.window = window
        self.history = history
        self.gc = gc
        self.follow_fork = follow_fork
        self.output = os.fspath(output) if output is not None else None
        self._threads = threads
        self._native = _spyglass.Sampler(
            rate=self.rate, mode=mode, window=float(window or 0), history=int(history or 0),
            mem=_mem or memory, command=_command_line(), python=platform.python_version(),
            cpu_clock=bool(_cpu_clock))  # _cpu_clock: the old on-CPU reading, for the bench
        self._started = False
        self._depth = 0  # decorator nesting
        self._lock = threading.RLock()
        _ALL.add(self)

    # -- state -------------------------------------------------------------------

    @property
    def running(self):
        return self in _RUNNING

    @property
    def paused(self):
        return self.running and self._native.stats()["paused"]

    def start(self):
        """Starts sampling (a fresh recording: anything recorded before is
        dropped). Returns self."""
        with self._lock:
            if self.running:
                raise RuntimeError("this profiler is already running")
            self._native.set_paused(False)
            self._native.set_threads(_native_ids(self._threads))
            self._native.start()
            self._started = True
            _RUNNING.append(self)
            _update_gc_hook()
        return self

    def stop(self):
        """Stops sampling; the recording stays (snapshot/save/upload). Saves
        to `output` when one was given. Returns self."""
        with self._lock:
            was_running = self.running
            if was_running:
                _RUNNING.remove(self)
                _update_gc_hook()
            self._native.stop()
            if was_running and self.output:
                self.save(self.output)
        return self

    def pause(self):
        """Stops recording samples until resume(); the sampler thread stays."""
        self._native.set_paused(True)
        return self

    def resume(self):
        self._native.set_paused(False)
        return self

    def set_threads(self, threads):
        """Records only these threads from now on (None: all)."""
        self._threads = threads
        self._native.set_threads(_native_ids(threads))

    def mark(self, label):
        """A user marker at this moment, on the calling thread."""
        self._native.event(_spyglass.EVENT_MARKER, threading.get_native_id(), str(label),
                           threading.current_thread().name)

    def elapsed(self):
        """Seconds since start()."""
        return self._native.now_ns() / 1e9

    # -- results -----------------------------------------------------------------

    def snapshot(self, last=None, t0=None, t1=None):
        """The profile so far (a copy; sampling goes on). `last=S`: only the
        last S seconds; `t0`/`t1`: only [t0, t1) in seconds since start().
        With a rolling history, what has left the history is gone."""
        if not self._started:
            raise RuntimeError("nothing recorded yet: start() the profiler first")
        lo, hi = 0, (1 << 64) - 1
        if last is not None:
            lo = max(0, self._native.now_ns() - int(last * 1e9))
        if t0 is not None:
            lo = max(lo, int(t0 * 1e9))
        if t1 is not None:
            hi = max(0, int(t1 * 1e9))
        return Profile(self._native.snapshot(lo, hi))

    def save(self, path=None, last=None):
        """Writes the profile so far as .sgl; returns the path."""
        path = os.fspath(path or self.output or f"spyglass-{os.getpid()}.sgl")
        return self.snapshot(last=last).save(path)

    def upload(self, url, token=None, name=None, tags=None, last=None):
        """POSTs the profile so far to a spyglass server (`url`/api/profiles,
        bearer `token`); returns the server's JSON for the stored profile."""
        return self.snapshot(last=last).upload(url, token=token, name=name, tags=tags)

    def stats(self):
        """The sampler's own counters: rounds, samples (thread stacks), torn,
        failed, late, sampler_cpu_ns, memory_source, cpu_state, ..."""
        return self._native.stats()

    # -- context manager and decorator ---------------------------------------------

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def __call__(self, func):
        """As a decorator: records while the function runs (calls accumulate:
        paused between calls) and saves to `output` after each call."""

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self._lock:
                self._depth += 1
                if self._depth == 1:
                    if self.running:
                        self.resume()
                    else:
                        self.start()
            try:
                return func(*args, **kwargs)
            finally:
                with self._lock:
                    self._depth -= 1
                    if self._depth == 0 and self.running:
                        self.pause()
                        if self.output:
                            self.save(self.output)

        return wrapper

    def __del__(self):
        try:
            if self in _RUNNING:
                _RUNNING.remove(self)
        except Exception:  # pragma: no cover - interpreter teardown
            pass


def profile(target=None, **options):
    """The one-liner. `with spyglass.profile("out.sgl"): ...` records the
    block and saves it; `@spyglass.profile` or `@spyglass.profile("out.sgl",
    rate=500)` records each call of a function. Options are Profiler's."""
    if callable(target):
        options.setdefault("output", f"spyglass-{os.getpid()}.sgl")
        return Profiler(**options)(target)
    if target is not None:
        options["output"] = target
    options.setdefault("output", f"spyglass-{os.getpid()}.sgl")
    return Profiler(**options)


def running_profilers():
    return list(_RUNNING)


def mark(label):
    """Adds a marker with this label, now, on this thread, to every running
    profiler. Cheap when none runs."""
    if not _RUNNING:
        return
    tid, name = threading.get_native_id(), threading.current_thread().name
    for p in list(_RUNNING):
        p._native.event(_spyglass.EVENT_MARKER, tid, str(label), name)


# -- GC events ---------------------------------------------------------------------


def _gc_callback(phase, info):
    kind = _spyglass.EVENT_GC_START if phase == "start" else _spyglass.EVENT_GC_STOP
    label = f"gen{info.get('generation', '?')}"
    tid, name = threading.get_native_id(), threading.current_thread().name
    for p in list(_RUNNING):
        if p.gc:
            p._native.event(kind, tid, label, name)


def _update_gc_hook():
    want = any(p.gc for p in _RUNNING)
    have = _gc_callback in gc.callbacks
    if want and not have:
        gc.callbacks.append(_gc_callback)
    elif have and not want:
        gc.callbacks.remove(_gc_callback)


# -- fork and shutdown ---------------------------------------------------------------


def _after_fork_in_child():
    # The sampler threads stayed in the parent (inproc.c's atfork handler has
    # marked them stopped); only follow_fork profilers sample the child.
    was = list(_RUNNING)
    _RUNNING.clear()
    for p in was:
        if p.follow_fork:
            try:
                p._native.start()
                _RUNNING.append(p)
            except RuntimeError as e:  # pragma: no cover
                print(f"spyglass: cannot sample the forked child: {e}", file=sys.stderr)
    _update_gc_hook()


def _stop_all_at_exit():
    for p in list(reversed(_RUNNING)):
        try:
            p.stop()
        except Exception as e:  # pragma: no cover - report, never mask the exit
            print(f"spyglass: stopping the profiler at exit failed: {e}", file=sys.stderr)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_stop_all_at_exit)
