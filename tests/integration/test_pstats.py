"""pstats in and out, on every interpreter 3.9–3.13.

In: real programs run under `python -m cProfile -o` and `python -m profile -o`
(and a file shaped like CPython 3.15's sampling profiler writes); `spyglass
report --json` must give, per function, exactly the numbers Python's own
pstats.Stats reads from the same file: self = tt, total = ct, calls = nc,
primitive calls = cc (times compared as integer nanoseconds, rounded to
nearest, which is how spyglass stores them). `convert` to pstats gives the same
numbers and callers back.

Out: a spyglass recording converted to pstats loads with pstats.Stats on every
interpreter and with snakeviz's loader, and reading that file back gives the
recording's own totals per function.
"""

import json
import math
import subprocess
import textwrap
from pathlib import Path

import pytest

import harness
from harness import run_spyglass

WORKLOAD = textwrap.dedent('''
    import json
    import re


    def fib(n):
        return n if n < 2 else fib(n - 1) + fib(n - 2)


    class Codec:
        def encode(self, i):
            return json.dumps({"i": i, "items": list(range(i % 7))})

        def decode(self, text):
            return json.loads(text)


    def ping(n):
        return pong(n - 1) if n > 0 else 0


    def pong(n):
        return ping(n - 1) if n > 0 else 1


    def words(text):
        return [w for w in re.split(r"\\W+", text) if w]


    def main():
        codec = Codec()
        total = 0
        for i in range(300):
            total += len(codec.decode(codec.encode(i))["items"])
        total += fib(16) + ping(40)
        total += len(sorted(words("the quick brown fox " * 50), key=lambda w: (len(w), w)))
        return total


    if __name__ == "__main__":
        main()
''')

# Prints the stats dict as JSON: [[file, line, name or null, cc, nc, tt, ct,
# [[caller file, line, name, value...]]]]; a name that is not a str (the code
# object `python -m profile` puts in a key) becomes null.
DUMP_STATS = textwrap.dedent('''
    import json, pstats, sys
    stats = pstats.Stats(sys.argv[1]).stats
    def key(k):
        return [k[0], k[1], k[2] if isinstance(k[2], str) else None]
    out = []
    for k, (cc, nc, tt, ct, callers) in stats.items():
        out.append(key(k) + [cc, nc, tt, ct, [key(c) + (list(v) if isinstance(v, tuple) else [v])
                                          for c, v in callers.items()]])
    print(json.dumps(out))
''')


def ns(seconds):
    """Seconds → integer nanoseconds, rounded to nearest (half away from zero), as
    spyglass converts them; negative times become 0."""
    v = seconds * 1e9
    if v <= 0:
        return 0
    f = math.floor(v)
    return int(f) + (1 if v - f >= 0.5 else 0)


def run(argv, limit=120):
    proc = subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                          timeout=harness.timeout(limit))
    assert proc.returncode == 0, f"{argv} failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
    return proc.stdout


def pstats_of(interp_path, path):
    return json.loads(run([interp_path, "-E", "-s", "-c", DUMP_STATS, path]))


def report_json(spyglass, path, *options):
    result = run_spyglass([spyglass, "report", path, "--json", "--limit", "0", *options],
                          harness.timeout(120))
    assert result.returncode == 0, result.describe()
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def workload(tmp_path_factory):
    path = tmp_path_factory.mktemp("workload") / "workload.py"
    path.write_text(WORKLOAD)
    return path


def profile_with(python, module, workload, out):
    run([python.path, "-E", "-s", "-B", "-m", module, "-o", out, workload])
    assert out.is_file() and out.stat().st_size > 0
    return out


def assert_table_equals_pstats(rows, stats, context):
    by_key = {}
    for row in rows:
        by_key.setdefault((row["file"], row["line"], row["function"]), row)
    checked = 0
    for file, line, name, cc, nc, tt, ct, _callers in stats:
        if name is None:  # a code object as the name: matched by file and line below
            candidates = [r for (f, l, n), r in by_key.items()
                          if f == file and l == line and n.startswith("<code object")]
            assert len(candidates) == 1, f"{context}: no single row for {file}:{line}"
            row = candidates[0]
        else:
            row = by_key.get((file, line, name))
            assert row is not None, f"{context}: {file}:{line}({name}) missing from the report"
        want = (ns(tt), ns(ct), nc, cc)
        got = (row["self"], row["total"], row["calls"], row["primitive_calls"])
        assert got == want, f"{context}: {file}:{line}({name}): got {got}, pstats says {want}"
        checked += 1
    assert checked == len(rows), f"{context}: report has {len(rows)} rows, pstats {checked}"


@pytest.mark.parametrize("module", ["cProfile", "profile"])
def test_report_equals_pstats(spyglass, python, workload, tmp_path, module):
    out = profile_with(python, module, workload, tmp_path / "out.prof")
    stats = pstats_of(python.path, out)
    assert any(s[2] == "fib" and s[4] > s[3] for s in stats), "fib should recurse"
    report = report_json(spyglass, out)
    assert report["format"] == "pstats"
    assert report["has_stacks"] is False
    assert report["weight_unit"] == "nanoseconds"
    assert report["stacks"] == []
    assert report["total"] == sum(ns(s[5]) for s in stats)
    assert_table_equals_pstats(report["rows"], stats, f"{module} on {python.label}")
    # sorted by self, then by total on request
    selfs = [r["self"] for r in report["rows"]]
    assert selfs == sorted(selfs, reverse=True)
    totals = [r["total"] for r in report_json(spyglass, out, "--sort", "total")["rows"]]
    assert totals == sorted(totals, reverse=True)


def test_text_report_of_pstats(spyglass, python, workload, tmp_path):
    out = profile_with(python, "cProfile", workload, tmp_path / "out.prof")
    result = run_spyglass([spyglass, "report", out, "--limit", "5"], harness.timeout(60))
    assert result.returncode == 0, result.describe()
    text = result.stdout
    assert "ncalls" in text
    assert "no call stacks" in text
    assert "stacks: not available" in text
    assert "fib" in text or "encode" in text or "dumps" in text


def normalized(stats):
    """{key: (cc, nc, tt ns, ct ns, {caller: values with times in ns})}"""
    out = {}
    for file, line, name, cc, nc, tt, ct, callers in stats:
        calls = {}
        for c in callers:
            values = c[3:]
            if len(values) == 4:
                values = [values[0], values[1], ns(values[2]), ns(values[3])]
            calls[tuple(c[:3])] = tuple(values)
        out[(file, line, name)] = (cc, nc, ns(tt), ns(ct), calls)
    return out


@pytest.mark.parametrize("module", ["cProfile", "profile"])
def test_convert_pstats_round_trip(spyglass, python, workload, tmp_path, module):
    out = profile_with(python, module, workload, tmp_path / "in.prof")
    back = tmp_path / "back.pstats"
    result = run_spyglass([spyglass, "convert", out, "-o", back], harness.timeout(60))
    assert result.returncode == 0, result.describe()
    before = normalized(pstats_of(python.path, out))
    after = normalized(pstats_of(python.path, back))
    # a code object in a key comes back as a string naming it
    before = {k: v for k, v in before.items() if k[2] is not None}
    after = {k: v for k, v in after.items() if not str(k[2]).startswith("<code object")}
    for key, value in before.items():
        value = (*value[:4], {c: v for c, v in value[4].items() if c[2] is not None})
        got = after.get(key)
        assert got is not None, f"{key} lost"
        got = (*got[:4], {c: v for c, v in got[4].items()
                          if not str(c[2]).startswith("<code object")})
        assert got == value, f"{key}: {got} != {value}"


def test_sampled_pstats_like_cpython_315(spyglass, python, tmp_path):
    """CPython 3.15's sampler: int callers, the current line in keys, and a
    ("__sampled__",) marker key."""
    path = tmp_path / "sampled.pstats"
    script = textwrap.dedent('''
        import marshal, sys
        stats = {
            ("app.py", 12, "work"): (30, 50, 0.3, 0.5, {("app.py", 3, "main"): 50}),
            ("app.py", 3, "main"): (5, 55, 0.05, 0.55, {}),
            ("~", 0, "<built-in method builtins.len>"): (20, 20, 0.2, 0.2,
                                                        {("app.py", 12, "work"): 20}),
            ("__sampled__",): True,
        }
        with open(sys.argv[1], "wb") as f:
            marshal.dump(stats, f)
    ''')
    run([python.path, "-E", "-s", "-c", script, path])
    report = report_json(spyglass, path)
    rows = {r["function"]: r for r in report["rows"]}
    assert set(rows) == {"work", "main", "<built-in method builtins.len>"}
    assert (rows["work"]["self"], rows["work"]["total"], rows["work"]["calls"],
            rows["work"]["primitive_calls"]) == (300000000, 500000000, 50, 30)
    assert rows["main"]["line"] == 3


# --- export -------------------------------------------------------------------

LOAD_CHECK = textwrap.dedent('''
    import io, pstats, sys
    s = pstats.Stats(sys.argv[1], stream=io.StringIO())
    s.sort_stats("cumulative").print_stats(10)
    s.print_callers(5)
    s.print_callees(5)
    assert s.total_calls > 0 and len(s.stats) > 0
    names = {k[2] for k in s.stats}
    assert "leaf_deep" in names or "Box.b" in names or "b" in names, sorted(names)
    print(len(s.stats), s.total_tt)
''')


@pytest.fixture(scope="module")
def recording(spyglass, python, tmp_path_factory):
    """stacks.py recorded once per interpreter into a .sgl file."""
    out = tmp_path_factory.mktemp("rec") / "stacks.sgl"
    argv = [spyglass, "record", "-o", out, "--rate", "250", "--",
            *python.command("stacks.py", harness.duration(1.0))]
    result = run_spyglass(argv, harness.timeout(60), output=out)
    assert result.returncode == 0, result.describe()
    return out


def test_exported_pstats_loads_on_every_interpreter(spyglass, recording, tmp_path):
    out = tmp_path / "rec.pstats"
    result = run_spyglass([spyglass, "convert", recording, "-o", out], harness.timeout(60))
    assert result.returncode == 0, result.describe()
    interpreters = harness.supported_interpreters()
    assert interpreters
    for interp in interpreters:
        text = run([interp.path, "-E", "-s", "-c", LOAD_CHECK, out])
        count, total_tt = text.split()
        assert int(count) > 0 and float(total_tt) > 0, f"{interp.label}: {text}"


def test_exported_pstats_loads_in_snakeviz(spyglass, recording, tmp_path):
    snakeviz_stats = pytest.importorskip("snakeviz.stats")
    import pstats
    out = tmp_path / "rec.prof"
    result = run_spyglass([spyglass, "convert", recording, "-o", out], harness.timeout(60))
    assert result.returncode == 0, result.describe()
    stats = pstats.Stats(str(out))
    rows = snakeviz_stats.table_rows(stats)
    callees = snakeviz_stats.json_stats(stats)
    assert rows and callees
    assert any("leaf_deep" in row[-1] for row in rows)


def test_round_trip_recording_to_pstats_and_back(spyglass, recording, tmp_path):
    """record → .sgl → pstats → import: the same totals per function."""
    out = tmp_path / "rec.pstats"
    result = run_spyglass([spyglass, "convert", recording, "-o", out], harness.timeout(60))
    assert result.returncode == 0, result.describe()
    original = report_json(spyglass, recording)
    interval = original["interval_ns"]
    assert interval > 0 and original["weight_unit"] == "samples"
    back = report_json(spyglass, out)
    assert back["has_stacks"] is False
    want = {(r["file"], r["line"], r["function"]): (r["self"] * interval, r["total"] * interval)
            for r in original["rows"]}
    got = {(r["file"], r["line"], r["function"]): (r["self"], r["total"]) for r in back["rows"]}
    assert got == want
    # ncalls: the number of samples the function was seen in
    samples = {(r["file"], r["line"], r["function"]): r["total"] for r in original["rows"]}
    for r in back["rows"]:
        assert r["calls"] == r["primitive_calls"] > 0
    deep = next(r for r in back["rows"] if r["function"] == "leaf_deep")
    assert deep["calls"] == samples[(deep["file"], deep["line"], "leaf_deep")]
