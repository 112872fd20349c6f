"""Command line of the benchmarks: `bench/run-all SPYGLASS_BINARY` runs all
five, `bench/<name> SPYGLASS_BINARY` one of them. Prints each benchmark's
table as it finishes, then a summary (metric | goal | spyglass | py-spy |
austin | py-spy blocking), and writes everything as JSON to bench/results/.

Progress goes to stderr, the report to stdout.
"""

import argparse
import datetime
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from . import bench_accuracy, bench_cost, bench_deep, bench_rate, bench_slowdown
from .context import Context
from .environment import (cpu_plan, discover_interpreters, load_average, machine_facts,
                          reference_interpreter, select_interpreters)
from .peers import PeerTool, ensure_peer
from .profilers import build_profilers
from .runner import cleanup, syscall_counter
from .table import jsonable, render

BENCHMARKS = {
    "cost": bench_cost,
    "accuracy": bench_accuracy,
    "rate": bench_rate,
    "deep": bench_deep,
    "slowdown": bench_slowdown,
}
ORDER = ["cost", "accuracy", "rate", "deep", "slowdown"]
RESULTS = Path(__file__).resolve().parent.parent / "results"
REPO = Path(__file__).resolve().parent.parent.parent


def _parser(prog: str, single: bool) -> argparse.ArgumentParser:
    what = "one benchmark of spyglass" if single else "the spyglass benchmarks"
    p = argparse.ArgumentParser(prog=prog, description="Run %s side by side with py-spy and austin "
                                "and print the figures (not pass/fail)." % what)
    p.add_argument("spyglass", metavar="SPYGLASS_BINARY", help="the spyglass binary to measure")
    p.add_argument("--quick", action="store_true", help="shorter runs and fewer repetitions (~half the time)")
    if not single:
        p.add_argument("--only", metavar="LIST", help="comma list among: " + ",".join(ORDER))
    p.add_argument("--versions", metavar="LIST",
                   help="interpreters for the per-version benchmarks (cost, deep), e.g. 3.11,3.12; "
                        "default every pyenv 3.9-3.13")
    p.add_argument("--python", metavar="VERSION",
                   help="interpreter for the single-version benchmarks (accuracy, rate, slowdown); "
                        "default 3.12")
    p.add_argument("--profilers", metavar="LIST",
                   help="comma list among: spyglass,py-spy,austin,py-spy-blocking (default all)")
    p.add_argument("--no-install", action="store_true", help="do not pip-install missing peers")
    p.add_argument("--no-pin", action="store_true", help="do not pin target and profiler to separate CPUs")
    p.add_argument("--results", metavar="DIR", default=str(RESULTS), help="where to write JSON (default %(default)s)")
    return p


def _binary_facts(path: str) -> dict:
    facts = {"path": path}
    with open(path, "rb") as f:
        facts["sha256"] = hashlib.sha256(f.read()).hexdigest()[:16]
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
        if head.returncode == 0:
            facts["git"] = head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.TimeoutExpired):
        pass
    return facts


def _summary_table(sections, ctx) -> str:
    columns = ["spyglass", "py-spy", "austin", "py-spy-blocking"]
    present = [c for c in columns if any(p.key == c for p in ctx.profilers)]
    titles = {"spyglass": "spyglass", "py-spy": "py-spy", "austin": "austin",
              "py-spy-blocking": "py-spy (blocking)"}
    rows = []
    for metric, goal, cells in sections:
        row = [metric, goal]
        for key in present:
            text = cells.get(key, "-")
            row.append(text if len(text) <= 48 else text[:45] + "...")
        rows.append(row)
    return render(["metric", "goal"] + [titles[c] for c in present], rows)


def main(argv=None, prog="run-all", only=None) -> int:
    args = _parser(prog, single=only is not None).parse_args(argv)
    selected = only or ([s.strip() for s in args.only.split(",") if s.strip()] if args.only else ORDER)
    unknown = [s for s in selected if s not in BENCHMARKS]
    if unknown:
        print("%s: unknown benchmark %s (choose among %s)" % (prog, ",".join(unknown), ",".join(ORDER)),
              file=sys.stderr)
        return 2
    binary = os.path.abspath(args.spyglass)
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        print("%s: %s is not an executable file; build it first (make)" % (prog, args.spyglass), file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    found = discover_interpreters()
    interpreters = select_interpreters(found, args.versions)
    reference = reference_interpreter(found, args.python)
    if not interpreters or reference is None:
        print("%s: no pyenv interpreter 3.9-3.13 found%s" % (
            prog, " matching the request" if (args.versions or args.python) else ""), file=sys.stderr)
        return 2

    started = time.monotonic()
    load_before = load_average()
    binary_facts = _binary_facts(binary)
    log = lambda message: print(message, file=sys.stderr, flush=True)
    log("interpreters: %s; single-version benchmarks on %s" % (
        ", ".join(i.version for i in interpreters), reference.version))
    wanted = [s.strip() for s in args.profilers.split(",")] if args.profilers else None
    need_peers = not wanted or any(w.startswith("py-spy") or w == "austin" for w in wanted)
    peers = {}
    for name in ("py-spy", "austin"):
        peers[name] = ensure_peer(name, install=not args.no_install, log=log) if need_peers else None
        tool = peers[name]
        if tool is not None:
            log("%s: %s" % (name, tool.path + " (" + tool.version + ")" if tool.available
                            else "n/a (" + tool.reason + ")"))
    peers = {k: v or PeerTool(k, reason="not selected") for k, v in peers.items()}

    profiler_cpu, target_cpu = cpu_plan(not args.no_pin)
    ctx = Context("", [], interpreters, reference, args.quick, profiler_cpu, target_cpu)
    # Measure a private copy: a rebuild of the tree during the run must not
    # change the binary under test halfway.
    copy = ctx.scratch / "spyglass"
    shutil.copy2(binary, copy)
    ctx.spyglass = str(copy)
    ctx.profilers = build_profilers(str(copy), peers, wanted)
    log("syscall counter: %s" % (syscall_counter() or "none (install perf or strace)"))

    results = {}
    sections = []
    try:
        for name in ORDER:
            if name not in selected:
                continue
            module = BENCHMARKS[name]
            results[name] = module.run(ctx)
            print(module.report(results[name], ctx) + "\n", flush=True)
            sections.extend(module.summary(results[name], ctx))
    except KeyboardInterrupt:
        cleanup()
        log("interrupted")
        return 130
    finally:
        cleanup()

    elapsed = time.monotonic() - started
    if len(selected) > 1 or prog == "run-all":
        bar = "=" * 78
        print("%s\nSUMMARY (\"!\" = misses the goal; figures, not verdicts)\n%s" % (bar, bar))
        print(_summary_table(sections, ctx))
    notes = ["spyglass: %s (%s, sha256 %s...)" % (binary, binary_facts.get("git", "no git"),
                                                  binary_facts["sha256"])]
    for prof_name, tool in peers.items():
        if tool.available and tool.note:
            notes.append("%s: %s" % (prof_name, tool.note))
    notes.append("py-spy runs with --nonblocking (the fair comparison); \"py-spy (blocking)\" is its "
                 "default mode, which stops the target for every sample.")
    load_after = load_average()
    notes.append("load average before/after: %s / %s on %s CPUs; other work on the machine skews every "
                 "figure." % (_load(load_before), _load(load_after), os.cpu_count()))
    if args.quick:
        notes.append("--quick: shorter runs, fewer repetitions.")
    notes.append("took %.0f s" % elapsed)
    print("\nNotes:\n" + "\n".join("- " + n for n in notes))

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    document = {
        "when": stamp,
        "quick": args.quick,
        "spyglass": binary_facts,
        "peers": {k: v.as_json() for k, v in peers.items()},
        "interpreters": [{"version": i.version, "path": i.path} for i in interpreters],
        "reference_python": reference.version,
        "cpus": {"profiler": profiler_cpu, "target": target_cpu},
        "machine": machine_facts(),
        "load_average_before": load_before,
        "syscall_counter": syscall_counter(),
        "seconds": elapsed,
        "benchmarks": results,
        "summary": [{"metric": m, "goal": g, "cells": c} for m, g, c in sections],
    }
    out_dir = Path(args.results)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = "%s-%s.json" % (stamp, "all" if prog == "run-all" else "-".join(selected))
    text = json.dumps(jsonable(document), indent=1, default=str)
    (out_dir / name).write_text(text)
    (out_dir / "latest.json").write_text(text)
    print("\nJSON: %s" % (out_dir / name))
    shutil.rmtree(ctx.scratch, ignore_errors=True)
    return 0


def _load(value):
    return "%.2f" % value[0] if value else "?"


def entry(name: str) -> None:
    """For the one-benchmark scripts: bench/<name> SPYGLASS_BINARY [options]."""
    sys.exit(main(sys.argv[1:], prog=name, only=[name]))
