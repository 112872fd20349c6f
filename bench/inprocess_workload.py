"""Workload of bench/inprocess-slowdown: deterministic CPU-bound pure-Python
work split between two functions, `part_a` and `part_b`, whose true share of
the time the `timed` mode measures by timing every call.

    python inprocess_workload.py MODE PROFILER UNITS [OPTION]

MODE: `timed` (each call timed with perf_counter_ns: the true split) or
`both`. PROFILER:
none, spyglass (OPTION = rate in Hz), pyinstrument, dask (OPTION = interval
in ms), cprofile. Prints one JSON line: wall seconds of the timed work, the
share of part_a the profiler saw, and the profiler's own numbers.
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
    total = 0
    for seed in range(units):
        if mode in ("a", "both"):
            total += part_a(seed)
        if mode in ("b", "both"):
            total += part_b(seed)
    return total


def timed_work(units):
    """The true split: each call timed, interleaved exactly as in `both`."""
    clock = time.perf_counter_ns
    ta = tb = 0
    for seed in range(units):
        t0 = clock()
        part_a(seed)
        t1 = clock()
        part_b(seed)
        t2 = clock()
        ta += t1 - t0
        tb += t2 - t1
    return ta / (ta + tb)


def share_from_stacks(stacks):
    a = sum(n for s, n in stacks.items() if any(f.startswith("part_a ") for f in s))
    b = sum(n for s, n in stacks.items() if any(f.startswith("part_b ") for f in s))
    return a / (a + b) if a + b else None


def main():
    mode, prof, units = sys.argv[1], sys.argv[2], int(sys.argv[3])
    opt = float(sys.argv[4]) if len(sys.argv) > 4 else 0
    out = {"share_a": None}
    if mode == "timed":
        t0 = time.perf_counter()
        out["share_a"] = timed_work(units)
        out["wall"] = time.perf_counter() - t0
    elif prof == "none":
        t0 = time.perf_counter()
        work(mode, units)
        out["wall"] = time.perf_counter() - t0
    elif prof == "spyglass":
        import spyglass
        p = spyglass.Profiler(rate=opt, gc=False)
        p.start()
        t0 = time.perf_counter()
        work(mode, units)
        out["wall"] = time.perf_counter() - t0
        p.stop()
        snap = p.snapshot()
        out["share_a"] = share_from_stacks(snap.stacks())
        s = p.stats()
        out["samples"] = s["samples"]
        out["rounds"] = s["rounds"]
        out["sampler_cpu_ns"] = s["sampler_cpu_ns"]
        out["reads"] = s["reads"]
    elif prof == "pyinstrument":
        import pyinstrument
        p = pyinstrument.Profiler(interval=0.001)
        p.start()
        t0 = time.perf_counter()
        work(mode, units)
        out["wall"] = time.perf_counter() - t0
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
        t0 = time.perf_counter()
        work(mode, units)
        out["wall"] = time.perf_counter() - t0
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
        out["rounds"] = merged.get("count", 0)
    elif prof == "cprofile":
        import cProfile
        import pstats
        p = cProfile.Profile()
        p.enable()
        t0 = time.perf_counter()
        work(mode, units)
        out["wall"] = time.perf_counter() - t0
        p.disable()
        st = pstats.Stats(p).stats
        a = sum(v[3] for k, v in st.items() if k[2] == "part_a")
        b = sum(v[3] for k, v in st.items() if k[2] == "part_b")
        out["share_a"] = a / (a + b) if a + b else None
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
