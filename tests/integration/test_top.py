"""spyglass top, driven in a real terminal: tmux runs a shell in a detached
session of a known size, the test types the command with send-keys and reads the
screen with capture-pane.

The target is tests/targets/top_target.py: MainThread spends 3/4 of its time in
hot() and 1/4 in warm(), the worker-cold thread half in cold_a() and half in
cold_b(), so in wall mode hot leads by self time (~37% against ~25%).

Contract decisions the tests hold top to:
- The screen: three header lines (the second names the Python version, rate and
  errors; the third is `view: RANGE, N samples   thread: NAME   sort: KEY`), a
  note line, a column title line containing `SELF%` and `FUNCTION`, one row a
  function `SELF% TOTAL% SELF TOTAL FUNCTION FILE:LINE`, and the key help on
  the terminal's last line. A resize redraws at the new size.
- Keys: q quits; t cycles the thread filter (all, then each thread by name);
  s cycles the sort (self, total, name); r toggles last second / since start;
  p pauses. Ctrl-C quits like q. Quitting exits 0 and leaves the alternate
  screen (the shell prompt is back).
- The target exiting ends top: exit 0, the last table printed as plain text on
  stdout, `spyglass: process PID exited` on stderr.
- Errors: exit 1 with `spyglass: error: ...`, as for record and dump; without a
  terminal, an error that says so.

Each tmux server has its own socket (-L) and no config (-f /dev/null); teardown
kills it, and the spawn fixture kills the targets.
"""

import os
import re
import shutil
import subprocess
import time
import uuid

import pytest

import harness

TARGET = "top_target.py"
PROMPT = "PROMPT$ "
ROW = re.compile(r"^\s*([\d.]+)%\s+([\d.]+)%\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+):(\d+)\s*$")
VIEW = re.compile(r"view: (last second|since start), (\d+) samples?\s+thread: (.*?)\s+sort: (\w+)")

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None,
                                reason="tmux is not installed (scripts/install-deps)")


class Screen:
    """One capture of the pane, parsed."""

    def __init__(self, text: str):
        self.text = text
        self.lines = text.split("\n")
        if self.lines and self.lines[-1] == "":
            self.lines.pop()  # capture-pane ends with a newline
        self.view = None
        self.rows = []
        for line in self.lines:
            m = VIEW.search(line)
            if m:
                self.view = {"range": m.group(1), "samples": int(m.group(2)),
                             "thread": m.group(3), "sort": m.group(4)}
        title = next((i for i, l in enumerate(self.lines) if "SELF%" in l and "FUNCTION" in l),
                     None)
        if title is not None:
            for line in self.lines[title + 1:]:
                m = ROW.match(line)
                if not m:
                    break
                self.rows.append({"self_pct": float(m.group(1)), "total_pct": float(m.group(2)),
                                  "self": int(m.group(3)), "total": int(m.group(4)),
                                  "function": m.group(5), "file": m.group(6),
                                  "line": int(m.group(7))})

    def functions(self):
        return [r["function"] for r in self.rows]

    def first(self):
        return self.rows[0]["function"] if self.rows else None


class Tmux:
    """A tmux server of our own with one session running an interactive shell."""

    def __init__(self, width=120, height=40):
        self.socket = f"sg-top-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.target = "top"
        env = dict(os.environ, LANG=os.environ.get("LANG", "C.UTF-8"))
        # PS1 on the command line: tmux does not hand every variable of its
        # own environment to the session.
        subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", "new-session", "-d",
                        "-s", self.target, "-x", str(width), "-y", str(height),
                        f"env 'PS1={PROMPT}' bash --norc --noprofile -i"],
                       env=env, check=True, timeout=harness.timeout(10))

    def wait_prompt(self) -> None:
        self.wait_for(lambda s: s.text.rstrip().endswith(PROMPT.rstrip()), "a shell prompt")

    def tmux(self, *args) -> str:
        out = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True,
                             text=True, timeout=harness.timeout(10))
        assert out.returncode == 0, f"tmux {' '.join(args)}: {out.stderr}"
        return out.stdout

    def type(self, command: str) -> None:
        self.tmux("send-keys", "-t", self.target, "-l", command)
        self.tmux("send-keys", "-t", self.target, "Enter")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.target, *keys)

    def screen(self, history: bool = False) -> Screen:
        """The visible pane, or with history everything scrolled off it too."""
        extra = ["-S", "-"] if history else []
        return Screen(self.tmux("capture-pane", "-p", "-t", self.target, *extra))

    def alternate_on(self) -> bool:
        return self.tmux("display-message", "-p", "-t", self.target,
                         "#{alternate_on}").strip() == "1"

    def resize(self, width: int, height: int) -> None:
        self.tmux("resize-window", "-t", self.target, "-x", str(width), "-y", str(height))

    def wait_for(self, pred, what: str, limit: float = 10) -> Screen:
        """The first settled screen that satisfies pred. Settled: two captures
        50 ms apart agree. A capture can land while top is halfway through a
        redraw, and then shows the new table's first rows above the old
        one's last (a CI run saw a name-sorted table end in "main, cold_b")."""
        deadline = time.monotonic() + harness.timeout(limit)
        last = None
        while True:
            screen = self.screen()
            if pred(screen) and last is not None and screen.text == last.text:
                return screen
            last = screen
            if time.monotonic() > deadline:
                raise AssertionError(f"not within {limit} s: {what}\n--- screen ---\n{screen.text}")
            time.sleep(0.05)

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True,
                       timeout=harness.timeout(10))


@pytest.fixture
def tmux():
    sessions = []

    def start(width=120, height=40):
        t = Tmux(width, height)
        sessions.append(t)  # before anything can fail: teardown kills it
        t.wait_prompt()
        return t

    yield start
    for t in sessions:
        t.kill()


@pytest.fixture(scope="module")
def one_python():
    """The UI tests run on one interpreter (the newest); what top reads from each
    interpreter is covered by test_hot_function_first on all of them."""
    interps = harness.supported_interpreters()
    if not interps:
        pytest.fail("no CPython 3.9–3.13 found")
    return max(interps, key=lambda i: i.version_info)


def start_target(spawn, python, seconds=120):
    target = spawn(python.command(TARGET, harness.timeout(seconds)))
    target.wait_ready()
    return target


def run_top(term, spyglass, args, err_file):
    """Types `spyglass top ARGS 2>ERR; echo EXIT=$?` into the shell."""
    term.type(f"{spyglass} top {args} 2>{err_file}; echo EXIT=$?")


def wait_hot_first(term, limit=3):
    """The hot function leads a view that holds samples of both threads."""
    return term.wait_for(lambda s: s.first() == "hot" and s.view and s.view["samples"] >= 20,
                         "hot() first in the table", limit)


def wait_exit(term, status=0, limit=10):
    return term.wait_for(
        lambda s: f"EXIT={status}" in s.text and s.text.rstrip().endswith(PROMPT.rstrip()),
        f"top exited with {status} and the prompt is back", limit)


def assert_restored(term, screen):
    assert not term.alternate_on(), f"still on the alternate screen\n{screen.text}"
    assert "SELF%" not in screen.text, f"the live view was left on the screen\n{screen.text}"


def test_hot_function_first(spyglass, python, spawn, tmux, tmp_path):
    target = start_target(spawn, python)
    term = tmux()
    run_top(term, spyglass, f"--pid {target.pid}", tmp_path / "err")
    started = time.monotonic()
    screen = wait_hot_first(term, limit=3)
    assert time.monotonic() - started <= harness.timeout(3) + 0.5
    src = harness.TargetFile(TARGET)
    hot = screen.rows[0]
    assert hot["file"].endswith(TARGET) and hot["line"] == src.def_line("hot"), screen.text
    assert hot["self_pct"] > 25 and hot["total_pct"] >= hot["self_pct"], screen.text
    header = "\n".join(screen.lines[:3])
    assert f"pid {target.pid}" in header and f"Python {python.version}" in header, header
    assert re.search(r"2 threads", header), header
    term.keys("q")
    screen = wait_exit(term, 0)
    assert_restored(term, screen)
    assert (tmp_path / "err").read_text() == ""
    assert target.alive()


def test_thread_filter(spyglass, one_python, spawn, tmux, tmp_path):
    target = start_target(spawn, one_python)
    term = tmux()
    run_top(term, spyglass, f"--pid {target.pid}", tmp_path / "err")
    wait_hot_first(term)
    own = {"MainThread": {"hot", "warm"}, "worker-cold": {"cold_a", "cold_b"}}
    seen = []
    for _ in range(2):
        before = term.screen().view["thread"]
        term.keys("t")
        screen = term.wait_for(lambda s: s.view and s.view["thread"] != before and s.rows,
                               "the thread filter to change")
        name = screen.view["thread"].split(" (")[0]
        assert name in own, screen.text
        tid = target.info["tids"][name]
        assert screen.view["thread"] == f"{name} ({tid})", screen.text
        other = own["worker-cold" if name == "MainThread" else "MainThread"]

        def only_its_own(s):
            functions = set(s.functions())
            return own[name] <= functions and not (other & functions)

        # tmux may capture the pane halfway through ncurses' repaint (the
        # header new, the rows still the last thread's): the rows must
        # settle on this thread's functions, and stay there.
        screen = term.wait_for(lambda s: s.view and s.view["thread"] == f"{name} ({tid})"
                               and only_its_own(s), f"the rows of {name} alone")
        time.sleep(0.3)
        screen = term.screen()
        assert screen.view["thread"] == f"{name} ({tid})" and only_its_own(screen), screen.text
        assert abs(sum(r["self_pct"] for r in screen.rows) - 100) < 1, screen.text
        seen.append(name)
    assert sorted(seen) == ["MainThread", "worker-cold"]
    term.keys("t")  # back to every thread
    screen = term.wait_for(lambda s: s.view and s.view["thread"] == "all" and s.rows,
                           "the filter back at all")
    assert {"hot", "cold_a"} <= set(screen.functions()), screen.text
    term.keys("q")
    wait_exit(term, 0)


def test_sort_keys(spyglass, one_python, spawn, tmux, tmp_path):
    target = start_target(spawn, one_python)
    term = tmux()
    run_top(term, spyglass, f"--pid {target.pid}", tmp_path / "err")
    screen = wait_hot_first(term)
    assert screen.view["sort"] == "self"
    selfs = [r["self"] for r in screen.rows]
    assert selfs == sorted(selfs, reverse=True), screen.text

    term.keys("s")
    screen = term.wait_for(lambda s: s.view and s.view["sort"] == "total" and s.rows, "sort: total")
    totals = [r["total"] for r in screen.rows]
    assert totals == sorted(totals, reverse=True), screen.text
    assert screen.first() != "hot", screen.text  # callers (<module>, main...) lead by total

    term.keys("s")
    screen = term.wait_for(lambda s: s.view and s.view["sort"] == "name" and s.rows, "sort: name")
    names = screen.functions()
    assert names == sorted(names) and names[0] == "<module>", screen.text

    term.keys("s")
    term.wait_for(lambda s: s.view and s.view["sort"] == "self" and s.first() == "hot",
                  "sort back at self")
    term.keys("q")
    wait_exit(term, 0)


def test_range_and_pause(spyglass, one_python, spawn, tmux, tmp_path):
    target = start_target(spawn, one_python)
    term = tmux()
    run_top(term, spyglass, f"--pid {target.pid}", tmp_path / "err")
    wait_hot_first(term)
    # Two threads at 100 Hz: the last second holds about 200 samples.
    screen = term.wait_for(lambda s: s.view and s.view["range"] == "last second", "last second")
    assert 120 <= screen.view["samples"] <= 260, screen.text
    term.keys("r")
    time.sleep(1.2)
    screen = term.wait_for(lambda s: s.view and s.view["range"] == "since start"
                           and s.view["samples"] > 260, "since start")
    term.keys("p")
    paused = term.wait_for(lambda s: "PAUSED" in s.lines[0], "the PAUSED mark")
    time.sleep(1.5)  # two refreshes would have happened
    still = term.screen()
    assert still.view == paused.view and still.rows == paused.rows, \
        f"the display moved while paused\n{paused.text}\n---\n{still.text}"
    term.keys("p")
    term.wait_for(lambda s: "PAUSED" not in s.lines[0] and s.view
                  and s.view["samples"] > paused.view["samples"], "sampling went on behind the pause")
    term.keys("q")
    wait_exit(term, 0)


def test_resize_redraws(spyglass, one_python, spawn, tmux, tmp_path):
    target = start_target(spawn, one_python)
    term = tmux()
    run_top(term, spyglass, f"--pid {target.pid}", tmp_path / "err")
    wait_hot_first(term)
    for width, height in ((80, 16), (150, 50)):
        term.resize(width, height)

        def redrawn(s, height=height):
            return (len(s.lines) == height and s.lines[-1].startswith("q quit")
                    and s.first() == "hot")

        screen = term.wait_for(redrawn, f"a redraw at {width}x{height}")
        assert all(len(line) <= width for line in screen.lines), screen.text
        # 5 lines of header, the rows, the key help: at 16 lines the table is
        # cut to 10 rows; at 50 it holds all 10 functions of the target.
        assert len(screen.rows) == 10, screen.text
    term.keys("q")
    screen = wait_exit(term, 0)
    assert_restored(term, screen)


def test_ctrl_c_restores(spyglass, one_python, spawn, tmux, tmp_path):
    target = start_target(spawn, one_python)
    term = tmux()
    run_top(term, spyglass, f"--pid {target.pid}", tmp_path / "err")
    wait_hot_first(term)
    assert term.alternate_on()
    term.keys("C-c")
    screen = wait_exit(term, 0)
    assert_restored(term, screen)
    assert target.alive()


def test_target_exits(spyglass, one_python, spawn, tmux, tmp_path):
    target = start_target(spawn, one_python, seconds=3)
    term = tmux(width=250)  # the plain-text table is not cut to the width
    run_top(term, spyglass, f"--pid {target.pid}", tmp_path / "err")
    wait_hot_first(term)
    screen = wait_exit(term, 0, limit=15)
    assert not term.alternate_on(), screen.text
    # The last table stays behind as plain text, since the start.
    assert screen.view and screen.view["range"] == "since start", screen.text
    assert screen.first() == "hot", screen.text
    err = (tmp_path / "err").read_text()
    assert err == f"spyglass: process {target.pid} exited\n", err


def test_launch(spyglass, one_python, tmux, tmp_path):
    term = tmux(width=250)  # the plain-text table is not cut to the width
    command = " ".join(one_python.command(TARGET, harness.timeout(3)))
    run_top(term, spyglass, f"-- {command}", tmp_path / "err")
    wait_hot_first(term)
    wait_exit(term, 0, limit=15)
    assert not term.alternate_on()
    # The program's own output was held while the view was up, then shown.
    screen = term.screen(history=True)
    assert "READY {" in screen.text, screen.text
    assert screen.first() == "hot", screen.text
    err = (tmp_path / "err").read_text()
    assert "exited with status 0" in err, err


def test_launch_quit_interrupts_program(spyglass, one_python, tmux, tmp_path):
    term = tmux()
    command = " ".join(one_python.command(TARGET, harness.timeout(120)))
    term.type(f"{spyglass} top -- {command} 2>{tmp_path / 'err'}; echo EXIT=$?")
    screen = wait_hot_first(term)
    pid = int(re.search(r"pid (\d+)", screen.lines[0]).group(1))
    term.keys("q")
    screen = wait_exit(term, 0)
    assert_restored(term, screen)
    assert not os.path.exists(f"/proc/{pid}") or harness.process_state(pid) == "Z", \
        f"the launched program {pid} outlived top"
    assert "KeyboardInterrupt" in (tmp_path / "err").read_text()


# --- errors (no terminal needed: they come before the view) ---------------------


def vanished_pid():
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_no_such_process(spyglass):
    pid = vanished_pid()
    run = harness.run_spyglass([spyglass, "top", "--pid", str(pid)], harness.timeout(30))
    run.check_error("no such process", str(pid))
    harness.assert_no_tty_status(run)


def test_not_a_python_process(spyglass, spawn):
    target = spawn([shutil.which("sleep"), "100"])
    run = harness.run_spyglass([spyglass, "top", "--pid", str(target.pid)], harness.timeout(30))
    run.check_error("not a Python process")
    assert target.alive()


def test_needs_a_terminal(spyglass, one_python, spawn):
    target = start_target(spawn, one_python)
    run = harness.run_spyglass([spyglass, "top", "--pid", str(target.pid)], harness.timeout(30))
    run.check_error("terminal")
    harness.assert_no_tty_status(run)
    # Launching nothing without a terminal: the check comes first.
    run = harness.run_spyglass([spyglass, "top", "--", *one_python.command(TARGET, 60)],
                               harness.timeout(30))
    run.check_error("terminal")
    assert run.stdout == "", run.describe()


def test_usage(spyglass):
    run = harness.run_spyglass([spyglass, "top", "--help"], harness.timeout(10))
    assert run.returncode == 0 and "default 100" in run.stdout, run.describe()
    run = harness.run_spyglass([spyglass, "top"], harness.timeout(10))
    assert run.returncode == 2 and run.stderr.startswith("spyglass: error: "), run.describe()
