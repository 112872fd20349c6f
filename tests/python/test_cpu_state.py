"""On-CPU state of each thread, as the in-process sampler reads it: from the
threads' context-switch records (no syscall per sample) where
perf_event_open allows it, else from each thread's CPU clock; both ways must
agree. In mode="cpu" only threads on a CPU are sampled, so the samples per
thread say what the reading decided: a spinning thread that holds the GIL is
on CPU, a thread asleep in Event.wait or blocked in join() is not, and of
two threads that spin in turn on the GIL, the one waiting for it is asleep
too (together they get about one sample per round, not two)."""

import pytest

import harness

CPU_STATE = """
import sys, threading, spyglass, known
sys.setswitchinterval(0.05)   # GIL hand-offs every 50 ms: few wakeups of the waiter
ev = threading.Event()
sleeper = known.start_thread(known.waiter, ev, name="sleeper")
prof = spyglass.Profiler(rate=500, mode="cpu", gc=False, _cpu_clock=%(clock)r)
prof.start()
busy = [known.start_thread(known.worker, %(seconds)s, name="busy%%d" %% i) for i in (1, 2)]
for t in busy:
    t.join()
prof.stop()
ev.set(); sleeper.join()
counts = {}
for line in prof.snapshot().collapsed(threads=True).splitlines():
    stack, _, n = line.rpartition(" ")
    name = stack.split(";")[0]
    counts[name] = counts.get(name, 0) + int(n)
result({"counts": counts, "stats": prof.stats()})
"""


@pytest.mark.parametrize("clock", [False, True], ids=["switch-records", "cpu-clock"])
def test_on_cpu_sleeping_and_gil_waiting_threads(py, known, clock):
    seconds = harness.duration(1.0)
    r = py.run(CPU_STATE % {"clock": clock, "seconds": seconds})
    st, counts = r["stats"], r["counts"]
    if clock:
        assert st["cpu_state"] == "cpu clock (asked for)", st
    else:  # records wherever the kernel allows them, else the clock, and why
        assert st["cpu_state"] == "switch records" or st["cpu_state"].startswith(
            "cpu clock (perf_event_open refused"), st
    names = {name.split(" ")[0] for name in counts}
    assert not any("sleeper" in n for n in names), counts
    # (a spinner sampled before threading registered its name goes by its
    # kernel name: every thread but these two is a spinner)
    busy = sum(n for name, n in counts.items() if "MainThread" not in name)
    main = sum(n for name, n in counts.items() if "MainThread" in name)
    rounds = st["rounds"]
    # blocked in join() for all but the start and the end
    assert main <= 0.1 * rounds, (counts, rounds)
    # one GIL between them: at most about one on-CPU sample per round, never
    # two (fewer when a loaded machine gives the holder no CPU: the clock
    # then does not move, and it is not on one)
    assert 0.2 * rounds <= busy <= 1.35 * rounds, (counts, rounds)
