"""Workload of bench/inprocess-slowdown: deterministic CPU-bound pure-Python
work split between two functions, `part_a` and `part_b`, each call of which
is timed (perf_counter_ns) in the same run the profiler watches: the true
split of that very run, so the load of a shared machine, which moves the
split from run to run, moves the truth with it.

    python inprocess_workload.py MODE PROFILER UNITS [OPTION]

MODE: `both` (part_a then part_b per unit), `a` or `b`. PROFILER: none,
spyglass (OPTION = rate in Hz), spyglass-kernel (the same with kernel
copies instead of guarded memcpy), spyglass-clock (the same with on-CPU
state from each thread's CPU clock instead of its switch records), pyinstrument, dask (OPTION = interval in
ms), cprofile. Prints one JSON line: wall seconds and the main thread's CPU
seconds of the work, the true share of part_a, the share the profiler saw
(and on how many samples), and the profiler's own numbers.
"""

import json
import sys
import threading
import time


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def part_a(seed):
    counts = {}
    for i in range(300):
        w = "w%d" % ((seed * 31 + i * 7) % 97)
        counts[w] = counts.get(w, 0) + 1
    return len(counts) + fib(12)


def part_b(seed):
    return sum(i * i for i in range(600)) % 7 + fib(14)


def work(mode, units):
    """Runs the work; returns the true share of part_a (None unless both)."""
    clock = time.perf_counter_ns
    ta = tb = 0
    for seed in range(units):
        if mode in ("a", "both"):
            t0 = clock()
            part_a(seed)
            ta += clock() - t0
        if mode in ("b", "both"):
            t0 = clock()
            part_b(seed)
            tb += clock() - t0
    return ta / (ta + tb) if mode == "both" else None


def share_from_stacks(stacks):
    a, b = counts_from_stacks(stacks)
    return a / (a + b) if a + b else None


def counts_from_stacks(stacks):
    a = sum(n for s, n in stacks.items() if any(f.startswith("part_a ") for f in s))
    b = sum(n for s, n in stacks.items() if any(f.startswith("part_b ") for f in s))
    return a, b


class Timed:
    """Wall and main-thread CPU time of the work, and its true split."""

    def __init__(self, out):
        self.out = out

    def run(self, mode, units):
        t0, c0 = time.perf_counter(), time.thread_time()
        self.out["true_share_a"] = work(mode, units)
        self.out["wall"] = time.perf_counter() - t0
        self.out["cpu"] = time.thread_time() - c0


def main():
    mode, prof, units = sys.argv[1], sys.argv[2], int(sys.argv[3])
    opt = float(sys.argv[4]) if len(sys.argv) > 4 else 0
    out = {"share_a": None}
    timed = Timed(out)
    if prof == "none":
        timed.run(mode, units)
    elif prof in ("spyglass", "spyglass-kernel", "spyglass-clock"):
        import spyglass
        p = spyglass.Profiler(rate=opt, gc=False,
                              memory="kernel" if prof == "spyglass-kernel" else "auto",
                              _cpu_clock=prof == "spyglass-clock")
        p.start()
        timed.run(mode, units)
        p.stop()
        a, b = counts_from_stacks(p.snapshot().stacks())
        out["share_a"] = a / (a + b) if a + b else None
        out["n_ab"] = a + b
        s = p.stats()
        for key in ("samples", "rounds", "sampler_cpu_ns", "reads", "torn", "late", "missed",
                    "work_median_ns", "work_mean_ns", "memory_source", "cpu_state"):
            out[key] = s[key]
    elif prof == "pyinstrument":
        import pyinstrument
        p = pyinstrument.Profiler(interval=0.001)
        p.start()
        timed.run(mode, units)
        session = p.stop()
        a = b = 0.0
        stack = [session.root_frame()] if session.root_frame() else []
        while stack:  # explicit stack: no recursion on depth
            f = stack.pop()
            if f.function == "part_a":
                a += f.time
            elif f.function == "part_b":
                b += f.time
            else:
                stack.extend(f.children)
        out["share_a"] = a / (a + b) if a + b else None
    elif prof == "dask":
        from distributed import profile
        stop = threading.Event()
        log = profile.watch(thread_id=threading.get_ident(), interval=f"{opt}ms", cycle="200ms",
                            stop=stop.is_set)
        time.sleep(0.05)
        timed.run(mode, units)
        stop.set()
        # the log holds one state per 200 ms cycle (the last partial one is
        # not logged); merge them
        merged = profile.merge(*[s for _, s in list(log)]) if log else profile.create()
        a = b = 0
        todo = [merged]
        while todo:
            node = todo.pop()
            desc = node.get("description", {})
            name = desc.get("name", "") if isinstance(desc, dict) else ""
            if name == "part_a":
                a += node["count"]
            elif name == "part_b":
                b += node["count"]
            else:
                todo.extend(node.get("children", {}).values())
        out["share_a"] = a / (a + b) if a + b else None
        out["n_ab"] = a + b
        out["rounds"] = merged.get("count", 0)
    elif prof == "cprofile":
        import cProfile
        import pstats
        p = cProfile.Profile()
        p.enable()
        timed.run(mode, units)
        p.disable()
        st = pstats.Stats(p).stats
        a = sum(v[3] for k, v in st.items() if k[2] == "part_a")
        b = sum(v[3] for k, v in st.items() if k[2] == "part_b")
        out["share_a"] = a / (a + b) if a + b else None
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
