"""Benchmark 3: achieved sampling rate over requested, at 1 kHz and 10 kHz.

Achieved = samples recorded per thread per second of the profiler's own
sampling window (profilers.Profiler.span): spyglass's reported duration,
austin's "# duration" metadata, py-spy's time from its "Sampling process"
line to our SIGINT. Torn or failed samples a profiler drops do not count as
achieved. Uses the accuracy benchmark's runs on the single-threaded phases
target (the same runs when both benchmarks run together).

py-spy's own --duration counts samples rather than seconds (duration x rate),
which would hide a shortfall; that is why it is stopped by the clock here.
"""

from .bench_accuracy import _durations, run_at
from .table import NA, cell, figure, header, render

TITLE = "3. Achieved rate / requested rate (single-threaded target)"
GOAL = ">= 0.99 at 1 kHz and 10 kHz"
GOAL_RATIO = 0.99
RATES = (1000, 10000)


def run(ctx) -> dict:
    interp = ctx.reference
    rows = []
    if interp is None:
        return {"title": TITLE, "goal": GOAL, "rows": [], "na": "no interpreter"}
    durations = _durations(ctx)
    for rate in RATES:
        for prof in ctx.profilers:
            entry = {"python": interp.version, "profiler": prof.key, "rate_hz": rate}
            why = prof.unavailable(interp)
            if why:
                entry["na"] = why
                rows.append(entry)
                continue
            result, _ = run_at(ctx, interp, prof, rate, durations[rate])
            if isinstance(result, NA):
                entry["na"] = result.reason
            else:
                facts = result.facts
                note = ""
                if "late" in facts:
                    note = "%d late" % facts["late"]
                if "torn" in facts and facts["torn"]:
                    note += ", %d torn" % facts["torn"]
                if "max_behind_s" in facts:
                    note = "up to %.2f s behind" % facts["max_behind_s"]
                if "long_rounds" in facts and "rounds" in facts:
                    note = "%d of %d rounds over the interval" % (facts["long_rounds"], facts["rounds"])
                entry.update(achieved_hz=result.per_thread_hz, ratio=result.per_thread_hz / rate,
                             seconds=result.seconds, samples=result.stacks, note=note.strip(", "))
            rows.append(entry)
    return {"title": TITLE, "goal": GOAL, "python": interp.version, "rows": rows}


def report(results, ctx) -> str:
    labels = {p.key: p.label for p in ctx.profilers}
    meets = lambda v: v >= GOAL_RATIO
    rows = []
    for e in results["rows"]:
        name = labels.get(e["profiler"], e["profiler"])
        if "na" in e:
            rows.append([str(e["rate_hz"]), name, str(NA(e["na"])), "", "", ""])
            continue
        rows.append([str(e["rate_hz"]), name, "%.1f" % e["achieved_hz"], "%.2f" % e["seconds"],
                     cell(e["ratio"], "{:.3f}", meets), e.get("note", "")])
    table = render(["requested Hz", "profiler", "achieved Hz", "window s", "ratio", "profiler says"], rows)
    how = ("Python %s. Achieved = samples recorded per thread / seconds of sampling. \"!\" = below goal."
           % results.get("python", "?"))
    return header(TITLE, GOAL, how) + "\n" + table


def summary(results, ctx):
    lines = []
    meets = lambda v: v >= GOAL_RATIO
    for rate in RATES:
        cells = {}
        for prof in ctx.profilers:
            hits = [e for e in results["rows"] if e["profiler"] == prof.key and e["rate_hz"] == rate]
            if not hits:
                cells[prof.key] = str(NA("not run"))
            elif "na" in hits[0]:
                cells[prof.key] = str(NA(hits[0]["na"]))
            else:
                cells[prof.key] = figure(hits[0]["ratio"], "{:.3f}", "", meets)
        lines.append(("rate: achieved/requested @%d kHz" % (rate // 1000), ">= 0.99", cells))
    return lines
