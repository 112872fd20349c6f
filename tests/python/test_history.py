"""Rolling history: one profile per window, the last N seconds or any
[t0, t1) asked for and merged; what left the history is gone."""

import harness

HISTORY = """
import spyglass, known, time
prof = spyglass.Profiler(rate=1000, window=%(w)s, history=%(h)s)
prof.start()
t_a = prof.elapsed()
known.leaf_a(%(pa)s)
t_b = prof.elapsed()
known.leaf_b(%(pb)s)
t_end = prof.elapsed()
last = prof.snapshot(last=%(last)s)
whole = prof.snapshot()
a_range = prof.snapshot(t0=t_a, t1=t_b)
stats = prof.stats()
prof.stop()
def names(p):
    return sorted({f.split(" ")[0] for s in p.stacks() for f in s})
def count(p, name):
    return sum(n for s, n in p.stacks().items() if any(f.split(" ")[0] == name for f in s))
result({"last": names(last), "whole": names(whole), "a_range": names(a_range),
        "a_range_a": count(a_range, "leaf_a"), "a_range_b": count(a_range, "leaf_b"),
        "last_samples": last.samples, "whole_dur": whole.duration, "windows": stats["windows"],
        "t_b": t_b})
"""


def test_history_windows(py):
    # 0.25 s windows, 4 kept: leaf_a's second (long ago) has left the history
    scale = harness.DURATION_SCALE
    r = py.run(HISTORY % {"w": 0.25, "h": 4, "pa": 1.0 * scale, "pb": 1.5 * scale,
                          "last": 0.5 * scale})
    assert "leaf_b" in r["last"] and "leaf_a" not in r["last"], r
    assert "leaf_a" not in r["whole"], "a window older than the history was kept"
    assert r["windows"] <= 5, r
    assert r["whole_dur"] <= 1.3 * scale, r
    assert r["last_samples"] <= 0.5 * scale * 1000 * 1.2 + 10
    assert r["a_range"] == [], r  # [t_a, t_b) left the history


def test_history_ranges_merge_windows(py):
    # everything still held: a range across many windows merges them
    r = py.run(HISTORY % {"w": 0.1, "h": 100, "pa": 0.5, "pb": 0.5, "last": 0.3})
    # A round is stamped when it starts and reads the stacks just after; a
    # sampler preempted in between (a busy machine) can stamp a round before
    # t_b and find leaf_b already running: a sample or two at the boundary.
    assert r["a_range_a"] >= 100 and r["a_range_b"] <= 3, r
    assert "leaf_a" in r["whole"] and "leaf_b" in r["whole"]
    assert "leaf_a" not in r["last"] and "leaf_b" in r["last"]
    assert r["windows"] >= 10
