"""Benchmark 4: deep stacks, the share of samples whose whole 500-frame stack
was recorded.

Target: targets/deep.py, <module> -> main -> 500 x deep -> churn -> 1..6 x
wiggle, where the wiggle frames on top are pushed and popped thousands of
times a second. A sample is full when it holds exactly that shape: <module>,
main, 500 deep frames, churn, then only wiggle frames. Anything else (cut
short, frames missing or repeated, garbage) is not.

Share = full samples / samples the profiler attempted, where attempted adds
the samples it says it threw away (spyglass's torn and failed, py-spy's
errors, austin's invalid samples) to those it recorded: dropping a sample is
safer than writing a wrong one, but it is not a recorded stack either. The
share of recorded samples that are full is kept beside it.

1 kHz, every interpreter 3.9-3.13.
"""

import time

from .profilers import evaluate
from .runner import Target, TargetError, run_profiler
from .table import NA, cell, figure, header, render

TITLE = "4. Deep stacks: full 500-frame stacks recorded (1 kHz)"
GOAL = ">= 99.5% of samples with the full stack"
GOAL_SHARE = 99.5
DEPTH = 500
RATE = 1000


def is_full(frames, depth=DEPTH) -> bool:
    if len(frames) < depth + 3 or frames[0] != "<module>" or frames[1] != "main":
        return False
    if any(name != "deep" for name in frames[2:2 + depth]):
        return False
    rest = frames[2 + depth:]
    return rest[0] == "churn" and all(name == "wiggle" for name in rest[1:])


def _measure_one(ctx, interp, prof) -> dict:
    seconds = ctx.pick(3, 2)
    entry = {"python": interp.version, "profiler": prof.key}
    with Target(interp.path, ctx.target("deep.py"), [DEPTH], cpu=ctx.target_cpu) as target:
        time.sleep(0.2)
        out = ctx.out_path("deep-%s-%s" % (interp.version, prof.key))
        run = run_profiler(prof, target.pid, RATE, seconds, out, cpu=ctx.profiler_cpu)
    result = evaluate(prof, run, out, 1)
    if isinstance(result, NA):
        entry["na"] = result.reason
        return entry
    full = sum(s.count for s in result.profile.stacks if is_full(s.frames))
    depths = sorted(len(s.frames) for s in result.profile.stacks if not is_full(s.frames))
    entry.update(recorded=result.stacks, attempted=result.attempted, full=full,
                 share=100.0 * full / result.attempted if result.attempted else None,
                 share_of_recorded=100.0 * full / result.stacks,
                 dropped=result.attempted - result.stacks,
                 partial_depths=depths[:20], facts=result.facts)
    return entry


def run(ctx) -> dict:
    rows = []
    for interp in ctx.interpreters:
        for prof in ctx.profilers:
            why = prof.unavailable(interp)
            if why:
                rows.append({"python": interp.version, "profiler": prof.key, "na": why})
                continue
            ctx.log("deep: %s on %s" % (prof.label, interp.version))
            try:
                rows.append(_measure_one(ctx, interp, prof))
            except TargetError as err:
                rows.append({"python": interp.version, "profiler": prof.key, "na": str(err)})
    return {"title": TITLE, "goal": GOAL, "depth": DEPTH, "rate_hz": RATE, "rows": rows}


def report(results, ctx) -> str:
    labels = {p.key: p.label for p in ctx.profilers}
    meets = lambda v: v >= GOAL_SHARE
    rows = []
    for e in results["rows"]:
        name = labels.get(e["profiler"], e["profiler"])
        if "na" in e:
            rows.append([e["python"], name, str(NA(e["na"])), "", "", "", ""])
            continue
        rows.append([e["python"], name, str(e["attempted"]), str(e["dropped"]), str(e["full"]),
                     cell(e["share"], "{:.2f}", meets), cell(e["share_of_recorded"], "{:.2f}")])
    table = render(["python", "profiler", "attempted", "dropped", "full", "full %", "full % of recorded"],
                   rows)
    how = ("attempted = recorded + dropped (torn/failed/errors as each profiler reports them).\n"
           "\"!\" = below goal.")
    return header(TITLE, GOAL, how) + "\n" + table


def summary(results, ctx):
    meets = lambda v: v >= GOAL_SHARE
    cells = {}
    for prof in ctx.profilers:
        entries = [e for e in results["rows"] if e["profiler"] == prof.key]
        values = [(e["share"], e["python"]) for e in entries if "na" not in e and e.get("share") is not None]
        missing = [".".join(e["python"].split(".")[:2]) for e in entries if "na" in e]
        if not values:
            reason = next((e["na"] for e in entries if "na" in e), "not run")
            cells[prof.key] = str(NA(reason))
            continue
        share, where = min(values)
        place = "% @" + ".".join(where.split(".")[:2])
        if missing:
            place += " (%s n/a)" % ",".join(missing)
        cells[prof.key] = figure(share, "{:.2f}", place, meets)
    return [("deep stacks: full 500-frame share, worst version", ">= 99.5%", cells)]
