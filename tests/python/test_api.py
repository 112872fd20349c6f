"""The Profiler API on every interpreter: known stacks with the right lines
(in the profile and in the .sgl `spyglass report` reads), threads, modes,
pause/resume, snapshot, context manager, decorator, the one-liner, GC
events and markers, both memory sources."""

import json
import subprocess

import harness


def dominant(stacks, leaf=None):
    """The stack with the most samples (ending in `leaf` if given)."""
    items = [(n, s) for s, n in stacks.items() if leaf is None or s[-1] == leaf]
    assert items, f"no stack ending in {leaf}: {stacks}"
    return list(max(items)[1])


def expected_main(known):
    return [known.frame("outer", "outer_calls_a"), known.frame("leaf_a", "a_calls_spin"),
            known.frame("spin", "spin")]


RECORD = """
import spyglass, known, threading
prof = spyglass.Profiler(rate=1000, _mem=%(mem)r)
prof.start()
known.outer(%(seconds)s)
prof.stop()
p = prof.snapshot()
p.save(%(out)r)
result({"stacks": [[list(k), v] for k, v in p.stacks().items()], "info": p.info,
        "stats": prof.stats(), "threads": p.threads(), "tid": threading.get_native_id()})
"""


def tail(stack, n):
    return stack[-n:]


def test_known_stack_with_lines(py, known, tmp_path, spyglass_bin):
    out = tmp_path / "known.sgl"
    r = py.run(RECORD % {"mem": "auto", "seconds": harness.duration(1.0), "out": str(out)})
    stacks = {tuple(k): v for k, v in r["stacks"]}
    top = dominant(stacks)
    assert tail(top, 3) == expected_main(known), top
    total = sum(stacks.values())
    assert stacks[tuple(top)] >= 0.9 * total, stacks
    assert r["stats"]["torn"] + r["stats"]["failed"] <= 0.05 * r["stats"]["rounds"], r["stats"]
    # The sampler keeps its rate; on a loaded 2-core machine its thread is
    # starved at times, so only a floor well below the rate is asserted here
    # (the achieved rate is measured by bench/inprocess-slowdown).
    assert 0.3 * harness.duration(1.0) * 1000 <= r["info"]["samples"], r["info"]
    assert r["threads"] == [[r["tid"], "MainThread"]]
    assert r["info"]["python"] == py.interp.version
    # The same .sgl `spyglass record` writes: the CLI reads it, and sees the same stack.
    conv = subprocess.run([spyglass_bin, "convert", str(out), "-o", "-", "--to", "collapsed"],
                          capture_output=True, text=True, timeout=60)
    assert conv.returncode == 0, conv.stderr
    cli = {}
    for line in conv.stdout.splitlines():
        s, _, n = line.rpartition(" ")
        cli[tuple(s.split(";"))] = int(n)
    assert cli == stacks
    rep = subprocess.run([spyglass_bin, "report", str(out)], capture_output=True, text=True,
                         timeout=60)
    assert rep.returncode == 0 and "spin" in rep.stdout, rep.stdout + rep.stderr


def test_proc_self_mem_fallback_records_the_same(py, known, tmp_path):
    r = py.run(RECORD % {"mem": "fd", "seconds": harness.duration(0.5),
                         "out": str(tmp_path / "fd.sgl")})
    assert r["stats"]["memory_source"] == "/proc/self/mem"
    stacks = {tuple(k): v for k, v in r["stacks"]}
    assert tail(dominant(stacks), 3) == expected_main(known)


def test_memory_sources_never_fault(py):
    r = py.run("from spyglass import _spyglass as S\n"
               "result([S.mem_self_check(False), S.mem_self_check(True)])")
    assert [c["method"] for c in r] == ["process_vm_readv", "/proc/self/mem"]
    for c in r:
        assert c["known"] is True
        assert c["unmapped"] < 0 and c["straddling"] < 0, c


THREADS = """
import spyglass, known, threading, time
ev = threading.Event()
sleeper = known.start_thread(known.waiter, ev, name="sleeper")
busy = known.start_thread(known.worker, %(seconds)s, name="busy")
time.sleep(0.05)
res = {}
for label, kw in (("all", {}), ("only", {"threads": [busy]}), ("cpu", {"mode": "cpu"})):
    prof = spyglass.Profiler(**kw)
    with prof:
        known.outer(%(part)s)
    p = prof.snapshot()
    res[label] = {"stacks": [[list(k), v] for k, v in p.stacks().items()],
                  "threads": [n for _, n in p.threads()]}
ev.set(); sleeper.join(); busy.join()
result(res)
"""


def test_threads_filter_and_cpu_mode(py, known):
    part = harness.duration(0.4)
    r = py.run(THREADS % {"seconds": part * 3 + 1, "part": part})
    assert set(r["all"]["threads"]) == {"MainThread", "sleeper", "busy"}, r["all"]["threads"]
    assert r["only"]["threads"] == ["busy"]
    stacks = {tuple(k): v for k, v in r["only"]["stacks"]}
    assert dominant(stacks)[-3:] == [known.frame("worker", "worker_calls_b"),
                                     known.frame("leaf_b", "b_calls_spin"),
                                     known.frame("spin", "spin")]
    # cpu mode: the thread blocked in Event.wait is never on a CPU.
    assert "sleeper" not in r["cpu"]["threads"], r["cpu"]
    all_stacks = {tuple(k): v for k, v in r["all"]["stacks"]}
    assert any(s[-1].startswith(py.qualname("Condition.wait")) or "waiter" in ";".join(s)
               for s in all_stacks), all_stacks


PAUSE = """
import spyglass, known
prof = spyglass.Profiler(rate=1000)
prof.start()
known.leaf_a(%(t)s)
prof.pause()
paused = prof.paused
known.leaf_b(%(t)s)
prof.resume()
known.leaf_a(%(t)s)
snap = prof.snapshot()          # while running: the profile so far
known.leaf_a(%(t)s)
prof.stop()
final = prof.snapshot()
result({"paused": paused, "snap": snap.samples, "final": final.samples,
        "stacks": [[list(k), v] for k, v in final.stacks().items()]})
"""


def test_pause_resume_and_snapshot(py, known):
    t = harness.duration(0.3)
    r = py.run(PAUSE % {"t": t})
    assert r["paused"] is True
    text = json.dumps(r["stacks"])
    assert known.frame("leaf_a", "a_calls_spin") in text
    assert "leaf_b" not in text, "samples were recorded while paused"
    assert 0 < r["snap"] < r["final"]
    assert r["final"] >= 0.3 * 3 * t * 1000, r


FORMS = """
import os, spyglass, known
out = %(dir)r
with spyglass.Profiler(output=os.path.join(out, "ctx.sgl")) as prof:
    known.leaf_a(%(t)s)
with spyglass.profile(os.path.join(out, "oneliner.sgl")):
    known.leaf_b(%(t)s)

@spyglass.profile(os.path.join(out, "deco.sgl"), rate=500)
def decorated(t):
    return known.outer(t)

decorated(%(t)s)
known.leaf_b(%(t)s)     # between calls: paused, not recorded
decorated(%(t)s)
res = {}
for name in ("ctx", "oneliner", "deco"):
    p = spyglass.load(os.path.join(out, name + ".sgl"))
    res[name] = {"samples": p.samples, "stacks": list(map(list, p.stacks())),
                 "interval": p.info["interval_ns"]}
result(res)
"""


def test_context_manager_decorator_one_liner(py, known, tmp_path):
    t = harness.duration(0.3)
    r = py.run(FORMS % {"dir": str(tmp_path), "t": t})
    assert "leaf_a" in json.dumps(r["ctx"]["stacks"]) and r["ctx"]["samples"] > 0
    assert "leaf_b" in json.dumps(r["oneliner"]["stacks"])
    deco = json.dumps(r["deco"]["stacks"])
    assert "decorated" in deco and "leaf_b" not in deco
    assert r["deco"]["interval"] == 2000000
    # two calls at 500 Hz
    assert r["deco"]["samples"] >= 0.3 * 2 * t * 500, r["deco"]


GC = """
import gc, spyglass, known, threading
gc.collect()
with spyglass.Profiler() as prof:
    spyglass.mark("phase one")
    known.leaf_a(0.05)
    gc.collect()
    prof.mark("phase two")
p = prof.snapshot()
gc.collect()
result({"events": p.events(), "tid": threading.get_native_id(),
        "hook_left": len([c for c in gc.callbacks if "spyglass" in repr(c)])})
"""


def test_gc_events_and_markers(py):
    r = py.run(GC)
    events = r["events"]
    kinds = [e[1] for e in events]
    labels = [e[3] for e in events if e[1] == "marker"]
    assert labels == ["phase one", "phase two"]
    assert "gc_start" in kinds and "gc_stop" in kinds
    starts = [e for e in events if e[1] == "gc_start"]
    assert any(e[3] == "gen2" for e in starts), events
    times = [e[0] for e in events]
    assert times == sorted(times)
    assert all(e[2] == r["tid"] for e in events if e[1] == "marker")
    # the marker before gc.collect() comes before its GC events
    assert kinds.index("marker") < kinds.index("gc_start")
    assert r["hook_left"] == 0, "the gc callback stayed installed after stop"


def test_bad_arguments_are_clear_errors(py):
    r = py.run("""
import spyglass
errs = []
for kw in ({"mode": "gil"}, {"rate": 0}, {"window": -1}, {"threads": ["main"]}):
    try:
        spyglass.Profiler(**kw).start()
    except (ValueError, TypeError) as e:
        errs.append(str(e))
try:
    spyglass.Profiler().snapshot()
except RuntimeError as e:
    errs.append(str(e))
result(errs)
""")
    assert len(r) == 5, r
    assert "wall" in r[0] and "rate" in r[1] and "window" in r[2] and "threads" in r[3]
    assert "start" in r[4]
