"""Benchmark 5: how much a profiler at 1 kHz slows the program it watches.

Target: targets/workload.py, a fixed pure-Python CPU-bound workload that
times itself (monotonic wall time and process CPU time) between a "go" from
the harness and its end. Configurations, each run several times in
interleaved order (so drift in the machine's load spreads over all of them):

  baseline        the workload alone
  <profiler>      attached at 1 kHz before "go" (after its "Sampling" line
                  for py-spy, 0.5 s after launch for the others), until the
                  target exits
  control         no profiler, but a busy loop on the profiler's CPU: how much
                  merely having the other vCPU busy costs the target

Slowdown = median(wall under profiler) / median(wall alone) - 1, as the issue
asks; the same from the best (shortest) runs, and from the target's process
CPU time, are printed beside it, because on a shared machine the median wall
time mostly measures who else is running. The target is
pinned to one CPU and the profiler to the other. On a 2-vCPU virtual machine
the two vCPUs may share a physical core or fight for host time, so the
control row matters: the research probes saw a bare spinner on the other vCPU
cost the target far more than any sampler did. The CPU-time column is less
sensitive to other processes on the machine, not to that contention.
Runs on the reference interpreter only.
"""

import re
import statistics
import time

from .profilers import evaluate
from .runner import BusyLoop, Target, TargetError, run_profiler
from .table import NA, cell, figure, header, render

TITLE = "5. Target slowdown at 1 kHz (fixed CPU-bound workload)"
GOAL = "< 1% slower than the workload alone"
GOAL_PCT = 1.0
RATE = 1000
CALIBRATION_UNITS = 200


def _finish(target: Target, timeout: float):
    line = target.out.wait_for(r"^elapsed", timeout)
    if line is None:
        raise TargetError("workload did not finish: %s" % target.err.text()[-200:])
    m = re.match(r"elapsed ([\d.]+) ([\d.]+)", line)
    return float(m.group(1)), float(m.group(2))


def _one(ctx, interp, units, config, prof=None):
    """(wall s, cpu s) of one workload run under config, or NA."""
    with Target(interp.path, ctx.target("workload.py"), [units], cpu=ctx.target_cpu) as target:
        if config == "baseline":
            target.send("go\n")
            return _finish(target, 300)
        if config == "control":
            with BusyLoop(interp.path, ctx.profiler_cpu):
                time.sleep(0.3)
                target.send("go\n")
                return _finish(target, 300)
        out = ctx.out_path("slowdown-%s" % prof.key)
        run = run_profiler(prof, target.pid, RATE, None, out, cpu=ctx.profiler_cpu,
                           on_started=lambda run: target.send("go\n"), timeout_extra=300)
        timing = _finish(target, 5)
    result = evaluate(prof, run, out, 1)
    if isinstance(result, NA):
        return result
    return timing


def run(ctx) -> dict:
    interp = ctx.reference
    if interp is None:
        return {"title": TITLE, "goal": GOAL, "rows": [], "na": "no interpreter"}
    reps = ctx.pick(5, 3)
    goal_seconds = ctx.pick(2.0, 1.0)
    ctx.log("slowdown: calibrating the workload on %s" % interp.version)
    try:
        # Twice: a first short run only finds the scale of a second, longer
        # one (~40% of the goal) whose timing is steady enough to scale from.
        units = CALIBRATION_UNITS
        for fraction in (0.4, 1.0):
            wall, _ = _one(ctx, interp, units, "baseline")
            units = max(1, int(units * goal_seconds * fraction / max(wall, 1e-3)))
    except TargetError as err:
        return {"title": TITLE, "goal": GOAL, "rows": [], "na": str(err)}

    configs = [("baseline", None)]
    for prof in ctx.profilers:
        configs.append((prof.key, prof))
    configs.append(("control", None))
    samples = {name: [] for name, _ in configs}
    problems = {}
    for prof in ctx.profilers:
        why = prof.unavailable(interp)
        if why:
            problems[prof.key] = why
    for rep in range(reps):
        for name, prof in configs:
            if name in problems:
                continue
            # A profiler that makes the workload crawl gets one run, not five.
            base = samples["baseline"]
            if prof is not None and samples[name] and base and \
                    samples[name][0][0] > 5 * statistics.median(b[0] for b in base):
                continue
            ctx.log("slowdown: %s, run %d of %d" % (name, rep + 1, reps))
            try:
                got = _one(ctx, interp, units, "profiled" if prof else name, prof)
            except TargetError as err:
                problems[name] = str(err)
                continue
            if isinstance(got, NA):
                problems[name] = got.reason
                continue
            samples[name].append(got)

    rows = []
    base_wall = [w for w, _ in samples["baseline"]]
    base_cpu = [c for _, c in samples["baseline"]]
    for name, prof in configs:
        entry = {"config": name, "runs": samples[name]}
        if name in problems and not samples[name]:
            entry["na"] = problems[name]
        elif not samples[name] or not base_wall:
            entry["na"] = "no run finished"
        else:
            walls = [w for w, _ in samples[name]]
            cpus = [c for _, c in samples[name]]
            entry.update(median_wall=statistics.median(walls), median_cpu=statistics.median(cpus),
                         slowdown_pct=(statistics.median(walls) / statistics.median(base_wall) - 1) * 100,
                         best_slowdown_pct=(min(walls) / min(base_wall) - 1) * 100,
                         cpu_slowdown_pct=(statistics.median(cpus) / statistics.median(base_cpu) - 1) * 100,
                         spread_pct=(max(walls) - min(walls)) / statistics.median(walls) * 100)
        rows.append(entry)
    return {"title": TITLE, "goal": GOAL, "python": interp.version, "units": units, "reps": reps,
            "rows": rows}


def report(results, ctx) -> str:
    if "na" in results:
        return header(TITLE, GOAL) + "\n" + str(NA(results["na"]))
    labels = {p.key: p.label for p in ctx.profilers}
    labels.update(baseline="alone (baseline)", control="control: other CPU busy")
    meets = lambda v: v < GOAL_PCT
    rows = []
    for e in results["rows"]:
        name = labels.get(e["config"], e["config"])
        if "na" in e:
            rows.append([name, str(NA(e["na"])), "", "", "", "", ""])
            continue
        is_profiler = e["config"] not in ("baseline", "control")
        rows.append([name, str(len(e["runs"])), "%.3f" % e["median_wall"],
                     cell(e["slowdown_pct"], "{:+.2f}", meets if is_profiler else None),
                     "%+.2f" % e["best_slowdown_pct"],
                     cell(e["cpu_slowdown_pct"], "{:+.2f}", meets if is_profiler else None),
                     "%.1f" % e["spread_pct"]])
    table = render(["configuration", "runs", "median wall s", "slowdown %", "best-run slowdown %",
                    "cpu-time slowdown %", "spread %"], rows)
    how = ("Python %s, %d work units, target pinned to CPU %s, profilers to CPU %s.\n"
           "spread = (max - min) / median of the runs: differences below it are noise.\n"
           "\"!\" = above goal." % (results["python"], results["units"], ctx.target_cpu, ctx.profiler_cpu))
    return header(TITLE, GOAL, how) + "\n" + table


def summary(results, ctx):
    meets = lambda v: v < GOAL_PCT
    lines = []
    for key, metric in (("slowdown_pct", "target slowdown @1 kHz, median wall time"),
                        ("cpu_slowdown_pct", "target slowdown @1 kHz, median CPU time")):
        cells = {}
        for prof in ctx.profilers:
            hits = [e for e in results.get("rows", []) if e["config"] == prof.key]
            if "na" in results:
                cells[prof.key] = str(NA(results["na"]))
            elif not hits:
                cells[prof.key] = str(NA("not run"))
            elif "na" in hits[0]:
                cells[prof.key] = str(NA(hits[0]["na"]))
            else:
                cells[prof.key] = figure(hits[0][key], "{:+.2f}", "%", meets)
        lines.append((metric, "< 1%", cells))
    return lines
