"""`spyglass report` and `spyglass convert` on real recordings, per interpreter.

report: the function table by function, line, file and package agrees with
itself (every grouping sums to the same self weight, a file's row is the sum of
its functions, the target's marked lines carry its samples), --sort orders,
--limit cuts, --thread keeps one thread, the heaviest stack is the known one.
convert: every format spyglass writes reads back (where it reads) with the
same leader and shares; errors name the file and the problem.
"""

import json
import subprocess
from pathlib import Path

import pytest

import harness
from harness import TargetFile, run_spyglass

STACKS = TargetFile("stacks.py")
THREADS = TargetFile("threads.py")


def spyglass_ok(spyglass, *argv, limit=60):
    result = run_spyglass([spyglass, *argv], harness.timeout(limit))
    assert result.returncode == 0, result.describe()
    harness.assert_no_tty_status(result)
    return result


def report_json(spyglass, path, *options):
    result = spyglass_ok(spyglass, "report", path, "--json", "--limit", "0", *options)
    return json.loads(result.stdout)


def record(spyglass, python, directory, target, seconds, rate=250):
    out = directory / (Path(target).stem + ".sgl")
    argv = [spyglass, "record", "-o", out, "--rate", str(rate), "--",
            *python.command(target, harness.duration(seconds))]
    result = run_spyglass(argv, harness.timeout(60), output=out)
    assert result.returncode == 0, result.describe()
    return out


@pytest.fixture(scope="module")
def stacks_sgl(spyglass, python, tmp_path_factory):
    return record(spyglass, python, tmp_path_factory.mktemp("stacks"), "stacks.py", 1.0)


@pytest.fixture(scope="module")
def threads_sgl(spyglass, python, tmp_path_factory):
    return record(spyglass, python, tmp_path_factory.mktemp("threads"), "threads.py", 1.5)


def rows_by(report, *fields):
    return {tuple(r[f] for f in fields): r for r in report["rows"]}


def test_groupings_agree(spyglass, python, stacks_sgl):
    by_function = report_json(spyglass, stacks_sgl)
    assert by_function["has_stacks"] is True
    total_self = sum(r["self"] for r in by_function["rows"])
    for by in ("line", "file", "package"):
        report = report_json(spyglass, stacks_sgl, "--by", by)
        assert report["by"] == by
        assert report["total"] == by_function["total"]
        assert sum(r["self"] for r in report["rows"]) == total_self, by
        for r in report["rows"]:
            assert r["total"] >= r["self"] and r["total"] > 0

    functions = rows_by(by_function, "file", "function")
    deep = functions[(STACKS.path, python.qualname("leaf_deep"))]
    shallow = functions[(STACKS.path, python.qualname("leaf_shallow"))]
    assert deep["line"] == STACKS.def_line("leaf_deep")
    assert deep["self"] > shallow["self"] > 0
    main = functions[(STACKS.path, "main")]
    assert main["self"] <= main["total"]
    assert main["total"] >= deep["total"] + shallow["total"]

    # by line: the leaf's samples sit on its marked line
    lines = rows_by(report_json(spyglass, stacks_sgl, "--by", "line"), "file", "line")
    assert lines[(STACKS.path, STACKS.line("leaf_deep"))]["self"] == deep["self"]
    assert lines[(STACKS.path, STACKS.line("a_calls_b"))]["total"] >= deep["self"]

    # by file: a file is the sum of its functions' self
    files = rows_by(report_json(spyglass, stacks_sgl, "--by", "file"), "file")
    assert files[(STACKS.path,)]["self"] == sum(
        r["self"] for r in by_function["rows"] if r["file"] == STACKS.path)

    # by package: the target is the program's own code; the stdlib is the stdlib
    packages = report_json(spyglass, stacks_sgl, "--by", "package")
    own = [r for r in packages["rows"] if r["package_kind"] == "own code"]
    assert any(r["package"] == "stacks" and r["self"] >= deep["self"] for r in own)
    for r in packages["rows"]:
        if r["package"] in ("importlib", "json", "threading", "time", "encodings"):
            assert r["package_kind"] == "stdlib", r


def test_sort_and_limit(spyglass, stacks_sgl):
    by_total = report_json(spyglass, stacks_sgl, "--sort", "total")["rows"]
    totals = [r["total"] for r in by_total]
    assert totals == sorted(totals, reverse=True)
    module = next(r for r in by_total if r["function"] == "<module>" and r["file"] == STACKS.path)
    assert module["total"] == by_total[0]["total"]  # ties (main, a) may come first
    by_self = report_json(spyglass, stacks_sgl, "--sort", "self")["rows"]
    assert [r["self"] for r in by_self] == sorted((r["self"] for r in by_self), reverse=True)
    limited = spyglass_ok(spyglass, "report", stacks_sgl, "--json", "--limit", "3")
    assert len(json.loads(limited.stdout)["rows"]) == 3
    text = spyglass_ok(spyglass, "report", stacks_sgl, "--limit", "2").stdout
    assert "more (--limit 0 shows all)" in text
    assert "self%" in text and "total%" in text


def test_top_stacks(spyglass, python, stacks_sgl):
    report = report_json(spyglass, stacks_sgl, "--stacks", "2")
    assert len(report["stacks"]) == 2
    top = report["stacks"][0]
    names = [f["function"] for f in top["frames"]]
    assert names == ["<module>", "main", "a", python.qualname("Box.b"), "c",
                     python.qualname("leaf_deep")]
    assert top["frames"][-1]["line"] == STACKS.line("leaf_deep")
    assert top["weight"] >= report["stacks"][1]["weight"]
    text = spyglass_ok(spyglass, "report", stacks_sgl, "--stacks", "1").stdout
    block = text.split("heaviest stacks")[1]
    assert block.index("<module>") < block.index("leaf_deep")  # newest frame last


def test_thread_filter(spyglass, python, threads_sgl):
    whole = report_json(spyglass, threads_sgl)
    threads = {t["name"]: t["tid"] for t in whole["threads"]}
    assert {"MainThread", "worker-busy", "worker-sleep"} <= set(threads)
    parts = []
    for name in ("MainThread", "worker-busy", "worker-sleep"):
        one = report_json(spyglass, threads_sgl, "--thread", name)
        parts.append(one["samples"])
        assert one["samples"] > 0
    assert sum(parts) == whole["samples"]

    busy = report_json(spyglass, threads_sgl, "--thread", "worker-busy")
    assert busy["rows"][0]["function"] == "spin"
    assert busy["rows"][0]["file"] == THREADS.path
    assert not any(r["function"] == "nap" for r in busy["rows"])
    # by tid too, and several at once
    by_tid = report_json(spyglass, threads_sgl, "--thread", str(threads["worker-busy"]))
    assert by_tid["samples"] == busy["samples"]
    two = report_json(spyglass, threads_sgl, "--thread", "worker-busy",
                      "--thread", "worker-sleep")
    assert two["samples"] == parts[1] + parts[2]


def test_thread_filter_unknown(spyglass, threads_sgl):
    result = run_spyglass([spyglass, "report", threads_sgl, "--thread", "no-such-thread"],
                          harness.timeout(30))
    message = result.check_error("no thread 'no-such-thread'")
    assert "worker-busy" in message


# --- convert -----------------------------------------------------------------

WRITABLE = {
    "speedscope": "out.speedscope.json",
    "chrome-trace": "out.trace.json",
    "firefox": "out.firefox.json",
    "pprof": "out.pb.gz",
    "collapsed": "out.collapsed",
    "sgl": "out.sgl",
    "pstats": "out.pstats",
}
READABLE = {"speedscope", "chrome-trace", "pprof", "collapsed", "sgl", "pstats"}


def shares(report):
    total = report["total"]
    return {(r["function"]): r["self"] / total for r in report["rows"]}


@pytest.mark.parametrize("fmt", sorted(WRITABLE))
def test_convert_every_format(spyglass, stacks_sgl, tmp_path, fmt):
    out = tmp_path / WRITABLE[fmt]
    spyglass_ok(spyglass, "convert", stacks_sgl, "-o", out)
    assert out.is_file() and out.stat().st_size > 0
    # --to wins over the extension
    forced = tmp_path / "forced.bin"
    spyglass_ok(spyglass, "convert", stacks_sgl, "-o", forced, "--to", fmt)
    assert forced.read_bytes() == out.read_bytes() or fmt in ("sgl", "firefox", "chrome-trace")
    if fmt not in READABLE:
        return
    original = report_json(spyglass, stacks_sgl)
    back = report_json(spyglass, out)
    assert back["rows"][0]["function"] == original["rows"][0]["function"]
    want, got = shares(original), shares(back)
    for function in ("leaf_deep", "leaf_shallow"):
        name = next(k for k in want if k.endswith(function))
        assert abs(got[name] - want[name]) < 1e-9, (fmt, function, got[name], want[name])


def test_convert_pstats_to_every_format(spyglass, python, tmp_path):
    """A pstats input goes out as time only, with a note saying so."""
    prof = tmp_path / "in.prof"
    script = tmp_path / "w.py"
    script.write_text("def f(n):\n    return n if n < 2 else f(n-1) + f(n-2)\nf(18)\n")
    subprocess.run([python.path, "-E", "-s", "-B", "-m", "cProfile", "-o", str(prof),
                    str(script)], check=True, timeout=harness.timeout(60))
    for fmt, name in WRITABLE.items():
        out = tmp_path / name
        result = spyglass_ok(spyglass, "convert", prof, "-o", out)
        if fmt not in ("pstats", "sgl"):
            assert "no call stacks" in result.stderr
        assert out.stat().st_size > 0
    # .sgl keeps pstats's numbers: the same table
    a = report_json(spyglass, prof)
    b = report_json(spyglass, tmp_path / WRITABLE["sgl"])
    assert a["rows"] == b["rows"]


def test_report_reads_standard_input(spyglass, stacks_sgl):
    with open(stacks_sgl, "rb") as f:
        proc = subprocess.run([spyglass, "report", "-", "--json", "--limit", "0"], stdin=f,
                              capture_output=True, timeout=harness.timeout(30))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["rows"] == report_json(spyglass, stacks_sgl)["rows"]


# --- errors --------------------------------------------------------------------

def test_errors(spyglass, stacks_sgl, tmp_path):
    def error(*argv):
        return run_spyglass([spyglass, *argv], harness.timeout(30))

    missing = tmp_path / "missing.prof"
    error("report", missing).check_error("cannot open", str(missing))
    error("convert", missing, "-o", tmp_path / "x.json").check_error("cannot open", str(missing))

    error("convert", stacks_sgl, "-o", tmp_path / "x.json", "--to", "nope").check_error(
        "unknown format 'nope'")
    error("convert", stacks_sgl, "-o", tmp_path / "x.weird").check_error(
        "cannot tell the output format", "x.weird", "--to")
    error("report", stacks_sgl, "--format", "nope").check_error("unknown format 'nope'")

    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes(range(256)) * 4)
    error("report", garbage).check_error(str(garbage), "not recognised")

    empty = tmp_path / "empty.prof"
    empty.write_bytes(b"")
    error("report", empty).check_error(str(empty), "empty")

    # a pstats file cut short: the importer's message with its offset
    good = tmp_path / "good.pstats"
    spyglass_ok(spyglass, "convert", stacks_sgl, "-o", good)
    cut = tmp_path / "cut.pstats"
    cut.write_bytes(good.read_bytes()[:200])
    message = error("report", cut).check_error("cannot read", str(cut), "as pstats", "offset")
    assert "end" in message  # "ends inside ..." or "... runs past the end of the data"

    # a forced format that does not fit
    error("report", stacks_sgl, "--format", "pstats").check_error("as pstats")

    # an unwritable output names it, and leaves nothing behind
    out = tmp_path / "no-such-dir" / "x.pstats"
    error("convert", stacks_sgl, "-o", out).check_error("cannot create", str(out))

    # usage errors exit 2
    for argv in (["report"], ["report", stacks_sgl, "--by", "module"],
                 ["report", stacks_sgl, "--sort", "name"], ["convert", stacks_sgl]):
        result = error(*argv)
        assert result.returncode == 2, result.describe()
        assert result.stderr.startswith("spyglass: error: ")
    assert not list(tmp_path.glob("*.tmp-*"))
