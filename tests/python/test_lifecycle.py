"""The in-process sampler's lifecycle on every interpreter: fork (with and
without follow_fork), interpreter shutdown while sampling, threads that
come and go, sub-interpreters (ignored: the main interpreter is sampled)."""

import json
import os

import pytest

import harness

FORK = """
import os, spyglass, known, json
prof = spyglass.Profiler(rate=1000, follow_fork=%(follow)s)
prof.start()
known.leaf_a(%(t)s)
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    running = [p is prof for p in spyglass.running_profilers()]
    known.leaf_b(%(t)s)
    info = {"running": running, "stats": prof.stats(), "pid": os.getpid()}
    if %(follow)s:
        prof.stop()
        snap = prof.snapshot()
        info["stacks"] = list(map(list, snap.stacks()))
        info["threads"] = snap.threads()
    os.write(w, json.dumps(info).encode())
    os._exit(0)
os.close(w)
child = json.loads(os.read(r, 1 << 20).decode())
_, status = os.waitpid(pid, 0)
known.leaf_a(%(t)s)
prof.stop()
p = prof.snapshot()
result({"child": child, "status": status, "stacks": list(map(list, p.stacks())),
        "tids": [t for t, _ in p.threads()], "samples": p.samples})
"""


@pytest.mark.parametrize("follow", [False, True], ids=["default", "follow_fork"])
def test_fork(py, follow):
    t = harness.duration(0.3)
    r = py.run(FORK % {"follow": follow, "t": t})
    child = r["child"]
    assert r["status"] == 0
    # the parent keeps sampling across the fork, and never sees the child
    assert "leaf_a" in json.dumps(r["stacks"])
    assert child["pid"] not in r["tids"]
    assert r["samples"] >= 0.3 * 2 * t * 1000  # a floor: the thread may be starved on a busy machine
    if not follow:
        assert child["running"] == [] and child["stats"]["running"] is False
        assert child["stats"]["forked"] is True
    else:
        assert child["running"] == [True]
        assert "leaf_b" in json.dumps(child["stacks"]), child
        assert [tid for tid, _ in child["threads"]] == [child["pid"]]


SHUTDOWN = """
import os, sys, spyglass, known, threading
prof = spyglass.Profiler(rate=%(rate)s, output=%(out)r)
prof.start()
# daemon threads still running (and sampled) while the interpreter shuts down
for i in range(4):
    threading.Thread(target=known.spin, args=(30,), daemon=True, name=f"d{i}").start()
known.outer(%(t)s)
print("exiting", flush=True)
%(exit)s
"""


@pytest.mark.parametrize("how", ["return", "sys.exit(3)", "raise"])
def test_shutdown_while_sampling(py, tmp_path, how):
    out = tmp_path / "atexit.sgl"
    exit_code = {"return": "", "sys.exit(3)": "sys.exit(3)", "raise": "raise KeyError('boom')"}[how]
    rc = {"return": 0, "sys.exit(3)": 3, "raise": 1}[how]
    py.run(SHUTDOWN % {"rate": 2000, "out": str(out), "t": harness.duration(0.3),
                       "exit": exit_code}, expect_rc=rc)
    r = py.run(f"import spyglass\np = spyglass.load({str(out)!r})\n"
               "result({'samples': p.samples, 'stacks': list(map(list, p.stacks())),"
               " 'threads': [n for _, n in p.threads()]})")
    assert r["samples"] > 0 and "outer" in json.dumps(r["stacks"])
    assert "d0" in r["threads"]


def test_shutdown_without_stop_or_output_is_quiet(py):
    # a profiler nobody stops, no output: the process exits cleanly and says nothing
    py.run("import spyglass, known\nspyglass.Profiler(rate=5000).start()\nknown.spin(0.2)\n")
    assert py.last_stderr.strip() == "", py.last_stderr


CHURN = """
import spyglass, known, threading
with spyglass.Profiler(rate=2000) as prof:
    seen = set()
    for round in range(%(rounds)s):
        ts = [threading.Thread(target=known.worker, args=(0.01,), name=f"w{round}-{i}")
              for i in range(4)]
        for t in ts: t.start()
        for t in ts: t.join()
p = prof.snapshot()
s = prof.stats()
result({"threads": [n for _, n in p.threads()], "stats": s})
"""


def test_threads_that_start_and_end(py):
    r = py.run(CHURN % {"rounds": 40})
    workers = [n for n in r["threads"] if n.startswith("w")]
    assert len(workers) >= 20, r["threads"]
    assert r["stats"]["error"] == ""
    assert r["stats"]["failed"] + r["stats"]["torn"] <= 0.1 * r["stats"]["rounds"], r["stats"]


SUBINTERP = """
import spyglass, known, threading
try:
    import _interpreters as interpreters  # 3.13: exec returns the error, if any

    def run(i, code):
        err = interpreters.exec(i, code)
        if err is not None:
            raise RuntimeError(err)
    create = interpreters.create
except ImportError:
    import _xxsubinterpreters as interpreters  # 3.12
    create, run = interpreters.create, interpreters.run_string
# a sub-interpreter made first: it is the newest, the head of the runtime's list
sub = create()
run(sub, "x = sum(range(1000))")
prof = spyglass.Profiler()
with prof:
    known.outer(%(t)s)
# the module cannot be imported in an isolated sub-interpreter: refused, not misread
refused = True
try:
    run(sub, "import spyglass._spyglass")
    refused = False
except Exception as e:
    refused = "spyglass" in str(e) or "subinterpreter" in str(e) or "ImportError" in str(e)
result({"stacks": [[list(k), n] for k, n in prof.snapshot().stacks().items()],
        "refused": refused})
"""


def test_sub_interpreters_are_ignored(py, known):
    if py.version_info < (3, 12):
        pytest.skip(f"{py.interp.label}: no sub-interpreter API before 3.12 (nothing to ignore)")
    r = py.run(SUBINTERP % {"t": harness.duration(0.4)})
    top = max(r["stacks"], key=lambda kn: kn[1])[0]  # the heaviest stack
    assert top[-3:] == [known.frame("outer", "outer_calls_a"),
                        known.frame("leaf_a", "a_calls_spin"), known.frame("spin", "spin")]
    assert r["refused"] is True
