#!/usr/bin/env python3
"""Bytes per sample of a recording: one real, steady workload recorded with
`spyglass record` (.sgl, with and without embedded source, and collapsed
output) and with austin (its text output and its MOJO binary, -b), each
printed as file bytes / samples beside the goal (.sgl <= 2 bytes a sample).

    bench/record_size.py [SPYGLASS_BINARY] [--seconds S] [--threads N]
                         [--python PATH] [--austin PATH] [--keep]

The workload: N threads (default 4) each running the same few functions in
a loop for S seconds (default 10), sampled at 1 kHz by every recorder.
Samples are counted from each file itself: `spyglass report --json` for the
spyglass files (its "samples"), the sample lines for collapsed text (one
line per distinct stack with a count: the counts are summed; austin's text
has one line per sample), and, for austin's binary, the count of austin's own text
run of the same workload at the same rate (MOJO has no cheap count; the
table says so). austin comes from the benchmark
harness's private prefix (bench/results/peers/, see bench/README.md) or
--austin; without it its rows are skipped.
"""

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import textwrap

GOAL = 2.0

WORKLOAD = textwrap.dedent('''
    import sys, threading, time

    def leaf(n):
        return sum(i * i for i in range(n))

    def middle(n):
        return leaf(n) + leaf(n // 2)

    def top(seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            middle(2000)

    seconds, threads = float(sys.argv[1]), int(sys.argv[2])
    workers = [threading.Thread(target=top, args=(seconds,)) for _ in range(threads - 1)]
    for w in workers:
        w.start()
    top(seconds)
    for w in workers:
        w.join()
''')


def find_python():
    for pattern in ["~/.pyenv/versions/3.12*/bin/python3", "~/.pyenv/versions/3.1*/bin/python3"]:
        found = sorted(glob.glob(os.path.expanduser(pattern)))
        if found:
            return found[-1]
    return sys.executable


def find_austin(repo):
    peers = os.path.join(repo, "bench", "results", "peers")
    for path in sorted(glob.glob(os.path.join(peers, "austin-dist*", "bin", "austin")), reverse=True):
        try:
            if subprocess.run([path, "--version"], capture_output=True, timeout=10).returncode == 0:
                return path
        except (OSError, subprocess.TimeoutExpired):
            pass
    return None


def run(argv, timeout):
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        sys.exit(f"record_size: {' '.join(map(str, argv[:4]))}... failed ({proc.returncode}):\n"
                 f"{proc.stderr[-2000:]}")
    return proc


def sgl_samples(spyglass, path):
    out = run([spyglass, "report", path, "--json", "--limit", "1", "--stacks", "0"], 120).stdout
    return json.loads(out)["samples"]


def collapsed_samples(path):
    """Sum of the trailing counts (spyglass: one line per stack; austin: one
    line per sample, its trailing number is microseconds, so lines count)."""
    total = lines = 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            lines += 1
            total += int(line.rsplit(" ", 1)[1])
    return total, lines


def main(argv):
    parser = argparse.ArgumentParser(prog="record_size.py", description=__doc__.splitlines()[0])
    parser.add_argument("spyglass", nargs="?", default=None)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--python", default=None)
    parser.add_argument("--austin", default=None)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    spyglass = args.spyglass or os.path.join(repo, "build", "bin", "spyglass")
    python = args.python or find_python()
    austin = args.austin or find_austin(repo)
    work = tempfile.mkdtemp(prefix="spyglass-size-")
    prog = os.path.join(work, "workload.py")
    with open(prog, "w") as f:
        f.write(WORKLOAD)
    target = [python, "-E", "-s", prog, str(args.seconds), str(args.threads)]
    limit = args.seconds * 4 + 60
    rows = []

    def add(name, path, samples, note=""):
        size = os.path.getsize(path)
        rows.append((name, size, samples, size / samples if samples else float("nan"), note))
        print(f"  {name}: {size} bytes, {samples} samples", file=sys.stderr, flush=True)

    print(f"workload: {args.threads} threads for {args.seconds:g} s on {python}", file=sys.stderr)
    sgl = os.path.join(work, "out.sgl")
    run([spyglass, "record", "-r", "1000", "-o", sgl, "--"] + target, limit)
    n_sgl = sgl_samples(spyglass, sgl)
    add(".sgl (spyglass record)", sgl, n_sgl, "source text embedded")
    bare = os.path.join(work, "bare.sgl")
    run([spyglass, "record", "-r", "1000", "--no-source", "-o", bare, "--"] + target, limit)
    add(".sgl --no-source", bare, sgl_samples(spyglass, bare))
    col = os.path.join(work, "out.collapsed")
    run([spyglass, "record", "-r", "1000", "-f", "collapsed", "--threads", "-o", col, "--"] + target,
        limit)
    add("collapsed (spyglass record -f collapsed)", col, collapsed_samples(col)[0],
        "one line per distinct stack")
    if austin:
        text = os.path.join(work, "out.austin")
        run([austin, "-i", "1ms", "-o", text] + target, limit)
        n_austin = collapsed_samples(text)[1]
        add("austin text (-i 1ms)", text, n_austin, "one line per sample")
        mojo = os.path.join(work, "out.mojo")
        run([austin, "-b", "-i", "1ms", "-o", mojo] + target, limit)
        add("austin MOJO binary (-b -i 1ms)", mojo, n_austin, "samples: austin's text run")
    else:
        print("austin not found (run bench/run-all once, or pass --austin): its rows skipped",
              file=sys.stderr)

    print(f"{'recording':<44} {'bytes':>10} {'samples':>9} {'B/sample':>9}")
    for name, size, samples, per, note in rows:
        goal = ""
        if name.startswith(".sgl"):
            goal = f"  goal <= {GOAL:g}: " + ("ok" if per <= GOAL else "MISSES")
        print(f"{name:<44} {size:>10} {samples:>9} {per:>9.2f}{goal}  ({note})" if note else
              f"{name:<44} {size:>10} {samples:>9} {per:>9.2f}{goal}")
    if args.keep:
        print(f"kept {work}")
    else:
        for f in os.listdir(work):
            os.unlink(os.path.join(work, f))
        os.rmdir(work)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
