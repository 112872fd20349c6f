"""Benchmark 2: accuracy, the error of each profiler's time split against the
split the target measured itself.

Target: targets/phases.py, one thread alternating among phase_a (depth 3,
~38%), phase_b (depth 10, ~23%), phase_c (depth 25, ~15%) and the call-heavy
phase_d (depth 3 plus recursion and a generator, ~23%; it shows torn-stack
bias: stacks that move while read, dropped or mangled) in ~260 ms
cycles with random phase lengths, logging every phase's start and end on
CLOCK_MONOTONIC. Each profiler attaches at 100 Hz, 1 kHz and 10 kHz. The
truth is the target's log intersected with that profiler's own sampling window
(see profilers.Profiler.span); the measurement is the share of samples (for
austin: of its time weights) whose stack holds each phase function, among the
samples holding any of them. Error = |measured - truth| in percentage points.

Runs on one interpreter (the reference, 3.12 by default). The runs at 1 and
10 kHz also serve the rate benchmark (bench_rate).

At 100 Hz the sample count itself bounds what can be resolved: a 10 s run
holds ~1,000 samples and about 50 phase boundaries, each able to move a
sample between phases, so a few tenths of a point of error are noise.
"""

import json
import os
import signal
import time

from .profilers import evaluate
from .runner import Target, TargetError, run_profiler
from .table import NA, cell, figure, header, render

TITLE = "2. Accuracy: error of the measured time split (phases at depths 3, 10, 25; call-heavy)"
GOAL = "<= 1 percentage point per function at 100 Hz, 1 kHz and 10 kHz"
GOAL_PP = 1.0
RATES = (100, 1000, 10000)
FUNCTIONS = ("phase_a", "phase_b", "phase_c", "phase_d")


def _durations(ctx):
    return {100: ctx.pick(10, 5), 1000: ctx.pick(5, 3), 10000: ctx.pick(5, 3)}


def truth_in_window(intervals, start, end):
    """Seconds each phase ran inside [start, end], normalised to shares."""
    spent = {f: 0.0 for f in FUNCTIONS}
    for name, t0, t1 in intervals:
        overlap = min(t1, end) - max(t0, start)
        if overlap > 0 and name in spent:
            spent[name] += overlap
    total = sum(spent.values())
    return {f: spent[f] / total for f in FUNCTIONS} if total > 0 else None, total


def measured_shares(profile, by_time):
    weight = {f: 0.0 for f in FUNCTIONS}
    used = 0
    for stack in profile.stacks:
        for name in reversed(stack.frames):  # the newest phase frame decides
            if name in weight:
                weight[name] += stack.weight if by_time else stack.count
                used += stack.count
                break
    total = sum(weight.values())
    return ({f: weight[f] / total for f in FUNCTIONS} if total > 0 else None), used


def profile_phases(ctx, interp, prof, rate, seconds, tag):
    """One run of prof on a fresh phases target; (Result or NA, truth log)."""
    log_path = ctx.out_path("%s-truth.json" % tag)
    out = ctx.out_path(tag)
    with Target(interp.path, ctx.target("phases.py"), [log_path, 1000 + rate], cpu=ctx.target_cpu) as target:
        time.sleep(0.3)
        run = run_profiler(prof, target.pid, rate, seconds, out, cpu=ctx.profiler_cpu)
        target.stop(signal.SIGTERM)
    result = evaluate(prof, run, out, 1)
    intervals = None
    if os.path.exists(log_path):
        with open(log_path) as f:
            intervals = json.load(f)["intervals"]
    return result, intervals


def run_at(ctx, interp, prof, rate, seconds):
    """Cached: the rate benchmark asks for the same runs."""
    key = ("phases", interp.version, prof.key, rate)
    if key not in ctx.cache:
        ctx.log("accuracy: %s at %d Hz on %s" % (prof.label, rate, interp.version))
        try:
            ctx.cache[key] = profile_phases(ctx, interp, prof, rate, seconds,
                                            "phases-%s-%s-%d" % (interp.version, prof.key, rate))
        except TargetError as err:
            ctx.cache[key] = (NA(str(err)), None)
    return ctx.cache[key]


def run(ctx) -> dict:
    interp = ctx.reference
    rows = []
    if interp is None:
        return {"title": TITLE, "goal": GOAL, "rows": [], "na": "no interpreter"}
    durations = _durations(ctx)
    for rate in RATES:
        for prof in ctx.profilers:
            entry = {"python": interp.version, "profiler": prof.key, "rate_hz": rate,
                     "seconds": durations[rate]}
            why = prof.unavailable(interp)
            if why:
                entry["na"] = why
                rows.append(entry)
                continue
            result, intervals = run_at(ctx, interp, prof, rate, durations[rate])
            if isinstance(result, NA):
                entry["na"] = result.reason
            elif not intervals:
                entry["na"] = "target wrote no truth log"
            else:
                truth, truth_seconds = truth_in_window(intervals, result.start, result.end)
                measured, used = measured_shares(result.profile, prof.weigh_by_time)
                if truth is None or measured is None:
                    entry["na"] = "no phase time in the window" if truth is None else "no phase in any sample"
                else:
                    errors = {f: abs(measured[f] - truth[f]) * 100 for f in FUNCTIONS}
                    entry.update(truth=truth, measured=measured, error_pp=errors,
                                 max_error_pp=max(errors.values()), samples=used,
                                 window_s=result.seconds, truth_seconds=truth_seconds,
                                 weighed_by="time" if prof.weigh_by_time else "count")
            rows.append(entry)
    return {"title": TITLE, "goal": GOAL, "python": interp.version, "rows": rows}


def _split(shares):
    return "/".join("%.1f" % (shares[f] * 100) for f in FUNCTIONS)


def report(results, ctx) -> str:
    labels = {p.key: p.label for p in ctx.profilers}
    meets = lambda v: v <= GOAL_PP
    rows = []
    for e in results["rows"]:
        name = labels.get(e["profiler"], e["profiler"])
        if "na" in e:
            rows.append([str(e["rate_hz"]), name, str(NA(e["na"])), "", "", "", "", "", "", ""])
            continue
        errors = e["error_pp"]
        rows.append([str(e["rate_hz"]), name, str(e["samples"]), _split(e["truth"]), _split(e["measured"]),
                     cell(errors["phase_a"], "{:.2f}", meets), cell(errors["phase_b"], "{:.2f}", meets),
                     cell(errors["phase_c"], "{:.2f}", meets), cell(errors["phase_d"], "{:.2f}", meets),
                     cell(e["max_error_pp"], "{:.2f}", meets)])
    table = render(["Hz", "profiler", "samples", "truth a/b/c/d %", "measured a/b/c/d %",
                    "err a pp", "err b pp", "err c pp", "err d pp", "max pp"], rows)
    how = ("Python %s. a = phase_a (depth 3), b = phase_b (depth 10), c = phase_c (depth 25),\n"
           "d = phase_d (depth 3, call-heavy: recursion and a generator; shows torn-stack bias).\n"
           "Truth: the target's own monotonic-clock log over each profiler's sampling window.\n"
           "austin is weighed by its time metric, the others by sample count. \"!\" = above goal."
           % results.get("python", "?"))
    return header(TITLE, GOAL, how) + "\n" + table


def summary(results, ctx):
    lines = []
    meets = lambda v: v <= GOAL_PP
    for rate in RATES:
        cells = {}
        for prof in ctx.profilers:
            hits = [e for e in results["rows"] if e["profiler"] == prof.key and e["rate_hz"] == rate]
            if not hits:
                cells[prof.key] = str(NA("not run"))
            elif "na" in hits[0]:
                cells[prof.key] = str(NA(hits[0]["na"]))
            else:
                cells[prof.key] = figure(hits[0]["max_error_pp"], "{:.2f}", " pp", meets)
        label = "%d Hz" % rate if rate < 1000 else "%d kHz" % (rate // 1000)
        lines.append(("accuracy: max error @%s" % label, "<= 1 pp", cells))
    return lines
