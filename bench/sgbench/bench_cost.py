"""Benchmark 1: the sampler's CPU time and syscalls per sample.

Target: targets/two_threads.py, two threads in pure-Python busy recursion,
each stack 40 frames deep, on every interpreter 3.9-3.13. Each profiler
attaches at 1 kHz, pinned to another CPU than the target, twice:

  1. the CPU run: its CPU time over a steady window (from 1 s after launch to
     0.5 s before the end; schedstat of all its threads) divided by the
     sampling rounds it made in that window (its achieved round rate x the
     window). A "sample" here is one round that reads both threads' stacks,
     which is what spyglass's --stats line measures. spyglass also reports the
     median and p99 of each round's thread CPU time itself (first second
     excluded); the peers report no per-round figure, only the mean is
     comparable across all three. The whole-run mean (rusage / all rounds,
     startup and output included) is kept in the JSON.
  2. the syscall run: the same under `perf stat -I` counting syscalls on the
     process_vm_readv and raw_syscalls tracepoints, summed over the steady
     intervals and divided by the rounds in them.

Goal (issue 2): median <= 5 us per sample on 3.11+.
"""

import subprocess
import time

from . import syscost
from .profilers import evaluate
from .runner import Target, TargetError, run_profiler, syscall_counter
from .table import NA, cell, figure, header, render

TITLE = "1. Sampler CPU time and syscalls per sample (2 threads, depth 40, 1 kHz)"
GOAL = "median <= 5 us of sampler CPU per sample on 3.11+"
GOAL_US = 5.0
RATE = 1000
THREADS = 2
DEPTH = 40


def _goal_applies(version: str) -> bool:
    major, minor = (int(x) for x in version.split(".")[:2])
    return (major, minor) >= (3, 11)


def _measure_one(ctx, interp, prof) -> dict:
    cpu_seconds = ctx.pick(4, 3)
    sys_seconds = ctx.pick(3, 2)
    entry = {"python": interp.version, "profiler": prof.key}
    with Target(interp.path, ctx.target("two_threads.py"), [DEPTH], cpu=ctx.target_cpu) as target:
        time.sleep(0.2)
        out = ctx.out_path("cost-%s-%s" % (interp.version, prof.key))
        run = run_profiler(prof, target.pid, RATE, cpu_seconds, out, cpu=ctx.profiler_cpu,
                           cpu_window=(1.0, cpu_seconds - 0.5))
        result = evaluate(prof, run, out, THREADS)
        if isinstance(result, NA):
            entry["na"] = result.reason
            return entry
        facts = result.facts
        entry.update(rounds=result.rounds, rounds_hz=result.rounds_hz, stacks=result.stacks,
                     facts=facts, cpu_total_s=run.cpu_total,
                     dropped_pct=100.0 * (result.attempted - result.stacks) / result.attempted)
        entry["median_us"] = facts.get("median_us")
        entry["p99_us"] = facts.get("p99_us")
        entry["mean_total_us"] = run.cpu_total / result.rounds * 1e6 if result.rounds else None
        if run.cpu_window and result.rounds_hz > 0:
            cpu, wall = run.cpu_window
            entry["mean_us"] = cpu / (result.rounds_hz * wall) * 1e6
            entry["cpu_share"] = cpu / wall
        if syscall_counter() is None:
            entry["syscalls_na"] = "neither perf nor strace available"
            return entry
        out = ctx.out_path("cost-sys-%s-%s" % (interp.version, prof.key))
        srun = run_profiler(prof, target.pid, RATE, sys_seconds, out, cpu=ctx.profiler_cpu,
                            count_syscalls=True, syscall_window=(1.0, sys_seconds - 0.25))
        sresult = evaluate(prof, srun, out, THREADS)
        if isinstance(sresult, NA):
            entry["syscalls_na"] = sresult.reason
        elif srun.syscalls_window is None:
            entry["syscalls_na"] = "no syscall counts"
        else:
            counts, wall = srun.syscalls_window
            rounds = sresult.rounds_hz * wall if wall else sresult.rounds  # strace: whole run
            entry["syscall_counter"] = syscall_counter() + ("" if wall else " (whole run)")
            entry["vm_readv_per_round"] = counts.get("process_vm_readv", 0) / rounds
            entry["syscalls_per_round"] = counts.get("all", 0) / rounds
    return entry


def run(ctx) -> dict:
    rows = []
    for interp in ctx.interpreters:
        for prof in ctx.profilers:
            why = prof.unavailable(interp)
            if why:
                rows.append({"python": interp.version, "profiler": prof.key, "na": why})
                continue
            ctx.log("cost: %s on %s" % (prof.label, interp.version))
            try:
                rows.append(_measure_one(ctx, interp, prof))
            except TargetError as err:
                rows.append({"python": interp.version, "profiler": prof.key, "na": str(err)})
    try:
        floor = syscost.measure()
    except (OSError, ValueError, subprocess.CalledProcessError) as err:
        floor = {"na": str(err)}
    return {"title": TITLE, "goal": GOAL, "rate_hz": RATE, "threads": THREADS, "depth": DEPTH,
            "rows": rows, "floor_us": floor}


def _value(entry, key, reason_key=None):
    if "na" in entry:
        return NA(entry["na"])
    if reason_key and reason_key in entry:
        return NA(entry[reason_key])
    return entry.get(key)


def report(results, ctx) -> str:
    labels = {p.key: p.label for p in ctx.profilers}
    rows = []
    for e in results["rows"]:
        goal = _goal_applies(e["python"])
        meets = (lambda v: v <= GOAL_US) if goal else None
        rows.append([
            e["python"], labels.get(e["profiler"], e["profiler"]),
            cell(_value(e, "median_us") or "-", "{:.2f}", meets),
            cell(_value(e, "p99_us") or "-", "{:.2f}"),
            cell(_value(e, "mean_us"), "{:.2f}", meets),
            cell(_value(e, "rounds_hz"), "{:.0f}"),
            cell(_value(e, "dropped_pct"), "{:.1f}"),
            cell(_value(e, "vm_readv_per_round", "syscalls_na"), "{:.2f}"),
            cell(_value(e, "syscalls_per_round", "syscalls_na"), "{:.2f}"),
        ])
    table = render(["python", "profiler", "median us", "p99 us", "mean us", "rounds/s", "dropped %",
                    "vm_readv/smp", "syscalls/smp"], rows)
    how = ("A sample = one round reading both threads. median/p99: spyglass --stats (thread CPU\n"
           "time per round; the peers report none). mean: profiler CPU (all its threads,\n"
           "schedstat) over a steady window / rounds in it. dropped: thread-samples the profiler\n"
           "threw away (spyglass: torn or failed; py-spy/austin: errors). Syscalls counted in a\n"
           "separate run with %s. \"!\" marks a figure above the goal (3.11+ only)."
           % (syscall_counter() or "no counter available"))
    floor = results.get("floor_us") or {}
    if "vm_readv_5x8B_us" in floor:
        table += ("\nFloor on this machine (thread CPU per call, bench/inprocess_syscost.c): one\n"
                  "process_vm_readv of 1 range %.2f us, of 5 ranges %.2f us (the fewest a 2-thread\n"
                  "round with tear checks can make), of 11 ranges %.2f us; a thread CPU clock read\n"
                  "%.2f us; waking from a 1 ms sleep %.1f us (outside the per-round figure)."
                  % (floor["vm_readv_8B_us"], floor["vm_readv_5x8B_us"],
                     floor["vm_readv_11x8B_us"], floor["thread_clock_us"],
                     floor["sleep_1ms_wakeup_us"]))
    if "vm_readv_other_8B_cold_us" in floor:
        table += ("\nThose calls are made in a loop. A round makes its calls right after waking\n"
                  "from a sleep, with caches, TLB and branch predictors cold: one process_vm_readv\n"
                  "of another process then costs %.2f us for 1 range (%.2f us in a loop) and\n"
                  "%.2f us for 11: the floor under a round's median here."
                  % (floor["vm_readv_other_8B_cold_us"], floor["vm_readv_other_8B_us"],
                     floor["vm_readv_other_11x8B_cold_us"]))
    return header(TITLE, GOAL, how) + "\n" + table


def _worst(entries, key, predicate):
    """(worst value, its version) over entries whose version satisfies predicate."""
    best, where, missing = None, None, []
    for e in entries:
        if not predicate(e["python"]):
            continue
        value = e.get(key) if "na" not in e else None
        if value is None:
            missing.append(e["python"])
            continue
        if best is None or value > best:
            best, where = value, e["python"]
    return best, where, missing


def _summary_cell(entries, key, predicate, fmt, unit, meets=None, reason=None):
    value, where, missing = _worst(entries, key, predicate)
    if value is None:
        why = reason
        if why is None:
            nas = [e.get("na") or e.get("syscalls_na") for e in entries if predicate(e["python"])]
            nas = [n for n in nas if n]
            why = nas[0] if nas else "not measured"
        return str(NA(why))
    place = unit + " @" + ".".join(where.split(".")[:2])
    if missing:
        place += " (%s n/a)" % ",".join(".".join(m.split(".")[:2]) for m in missing)
    return figure(value, fmt, place, meets)


def summary(results, ctx):
    new = _goal_applies
    old = lambda v: not _goal_applies(v)
    meets = lambda v: v <= GOAL_US
    lines = []
    specs = [
        ("CPU/sample median, worst of 3.11+", "<= 5 us", "median_us", new, meets),
        ("CPU/sample mean, worst of 3.11+", "(<= 5 us)", "mean_us", new, meets),
        ("CPU/sample mean, worst of 3.9-3.10", "-", "mean_us", old, None),
        ("process_vm_readv/sample, worst of 3.11+", "-", "vm_readv_per_round", new, None),
        ("syscalls/sample, worst of 3.11+", "-", "syscalls_per_round", new, None),
    ]
    for metric, goal, key, predicate, check in specs:
        cells = {}
        for prof in ctx.profilers:
            entries = [e for e in results["rows"] if e["profiler"] == prof.key]
            reason = None
            if key in ("median_us",) and prof.key != "spyglass":
                reason = "not reported"
            fmt = "{:.2f}" if key.endswith("us") else "{:.1f}"
            unit = " us" if key.endswith("us") else ""
            cells[prof.key] = _summary_cell(entries, key, predicate, fmt, unit, check, reason)
        lines.append((metric, goal, cells))
    return lines
