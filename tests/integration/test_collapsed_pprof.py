"""Collapsed stacks and pprof, end to end: a real recording (.sgl) exported to
collapsed stacks and to pprof with our exporters and imported back keeps the
same totals per function; py-spy's and austin's own files (tests/fixtures/
collapsed/, made by generate.sh there) import with the totals an independent
reader finds in them; the pprof we write loads in Go's `pprof` when Go is
installed; a broken file is refused with its line number.

Conversions go through `spyglass convert` when the binary has it, else through
sg-collapsed-pprof (tests/unit/profile/collapsed_pprof_main.c), built beside
the spyglass binary, which calls the same library functions.
"""

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

import harness
from harness import TargetFile, run_spyglass

FIXTURES = harness.REPO / "tests" / "fixtures" / "collapsed"
FIXTURE_FILES = sorted(p.name for p in FIXTURES.iterdir()
                       if p.suffix in (".txt", ".austin"))


@pytest.fixture(scope="session")
def tool(spyglass):
    path = Path(spyglass).parent / "sg-collapsed-pprof"
    if not path.is_file():
        pytest.fail(f"sg-collapsed-pprof not found at {path}: build it (`make`)")
    return str(path)


@pytest.fixture(scope="session")
def has_convert(spyglass):
    proc = subprocess.run([spyglass, "convert", "--help"], capture_output=True,
                          timeout=harness.timeout(30))
    return proc.returncode == 0 and b"convert" in proc.stdout + proc.stderr


def run(argv):
    proc = subprocess.run([str(a) for a in argv], capture_output=True,
                          timeout=harness.timeout(120))
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def convert(spyglass, tool, has_convert, src, dst, to):
    """src -> dst in format `to` (collapsed written with thread roots)."""
    if has_convert:
        code, _, err = run([spyglass, "convert", src, "-o", dst, "--to", to])
    else:
        code, _, err = run([tool, src, "-o", dst, "--to", to, "--threads"])
    assert code == 0, f"converting {src} to {to} failed: {err}"
    return Path(dst)


# Thread roots: ours `thread NAME (TID)`, py-spy's `thread (TID)[: NAME]`.
_THREAD = re.compile(r"^thread (\((0x[0-9a-fA-F]+|\d+)\)(: .*)?|.* \(\d+\))$")


def collapsed_lines(text):
    """(frames, count) per line of a collapsed file, oldest frame first, the
    thread root dropped (it may follow py-spy's `process ...` roots, which
    stay frames, as they do in the importer)."""
    out = []
    for line in text.splitlines():
        line = line.rstrip("\r")
        if not line or line.startswith("#"):
            continue
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";") if stack else []
        k = 0
        while k < len(frames) and frames[k].startswith("process "):
            k += 1
        if k < len(frames) and _THREAD.match(frames[k]):
            del frames[k]
        out.append((frames, int(count.split(",")[0])))
    return out


_LABEL = re.compile(r"^(?P<name>.*) \((?P<file>.*):(?P<line>\d+)\)$")
_PLACE = re.compile(r"^(?P<name>.*) \((?P<file>[^()]*)\)$")


def function_of(label):
    """(name, file) of a frame label, by the importer's rules: `name
    (file:line)`, `name (file)` when file looks like one, else a bare name."""
    m = _LABEL.match(label)
    if m:
        return m.group("name"), m.group("file")
    m = _PLACE.match(label)
    if m and re.search(r"[./]|^<", m.group("file")):
        return m.group("name"), m.group("file")
    return label, ""


def per_function(lines, scale=1):
    """Total (once per stack) and self weight per (name, file)."""
    totals, selfs = Counter(), Counter()
    for frames, count in lines:
        functions = [function_of(f) for f in frames]
        for fn in set(functions):
            totals[fn] += count * scale
        if functions:
            selfs[functions[-1]] += count * scale
    return totals, selfs


def assert_same_functions(expected, got, what):
    (et, es), (gt, gs) = expected, got
    assert et, f"{what}: nothing to compare"
    missing = {k: v for k, v in et.items() if gt.get(k) != v}
    extra = {k: v for k, v in gt.items() if k not in et}
    assert not missing and not extra, \
        f"{what}: totals differ\nexpected/got: " + "\n".join(
            f"  {k}: {v} / {gt.get(k)}" for k, v in list(missing.items())[:10]) + \
        f"\nonly in the import: {list(extra.items())[:10]}"
    assert es == gs, f"{what}: self weights differ: {es} vs {gs}"


# --- a real recording ------------------------------------------------------------


@pytest.fixture(scope="module")
def recording(spyglass, python, tmp_path_factory):
    """stacks.py recorded once per interpreter to .sgl, and its collapsed
    stacks as the .sgl reader sees them (the reference)."""
    out = tmp_path_factory.mktemp("cp") / "stacks.sgl"
    argv = [spyglass, "record", "-o", str(out), "--rate", "200", "--",
            *python.command("stacks.py", harness.duration(0.6))]
    rec = run_spyglass(argv, harness.timeout(60), output=out)
    rec.check(0)
    check = Path(spyglass).parent / "sg-sgl-check"
    code, text, err = run([check, out, "--collapsed"])
    assert code == 0, err
    return out, text


def test_sgl_to_collapsed_and_back(recording, spyglass, tool, has_convert, tmp_path, python):
    sgl, reference = recording
    expected = per_function(collapsed_lines(reference))
    first = convert(spyglass, tool, has_convert, sgl, tmp_path / "a.txt", "collapsed")
    assert_same_functions(expected, per_function(collapsed_lines(first.read_text())),
                          "sgl -> collapsed")
    again = convert(spyglass, tool, has_convert, first, tmp_path / "b.txt", "collapsed")
    assert_same_functions(expected, per_function(collapsed_lines(again.read_text())),
                          "sgl -> collapsed -> import -> collapsed")
    # the known leaf is there, under main, at its line
    t = TargetFile("stacks.py")
    leaf = f"leaf_deep ({t.path}:{t.line('leaf_deep')})"
    assert any(frames and frames[-1] == leaf for frames, _ in collapsed_lines(again.read_text()))


def test_sgl_to_pprof_and_back(recording, spyglass, tool, has_convert, tmp_path):
    sgl, reference = recording
    expected = per_function(collapsed_lines(reference))
    pb = convert(spyglass, tool, has_convert, sgl, tmp_path / "a.pb.gz", "pprof")
    assert pb.read_bytes()[:2] == b"\x1f\x8b", "pprof output is not gzip"
    back = convert(spyglass, tool, has_convert, pb, tmp_path / "b.txt", "collapsed")
    assert_same_functions(expected, per_function(collapsed_lines(back.read_text())),
                          "sgl -> pprof -> collapsed")


def go_pprof():
    go = shutil.which("go")
    if go:
        return [go, "tool", "pprof"]
    exe = shutil.which("pprof")
    return [exe] if exe else None


def test_pprof_loads_in_go_pprof(recording, spyglass, tool, has_convert, tmp_path):
    cmd = go_pprof()
    if cmd is None:
        pytest.skip("neither `go` nor `pprof` on PATH")
    sgl, reference = recording
    total = sum(count for _, count in collapsed_lines(reference))
    pb = convert(spyglass, tool, has_convert, sgl, tmp_path / "a.pb.gz", "pprof")
    code, out, err = run([*cmd, "-top", "-sample_index=samples", "-nodecount=100000", pb])
    assert code == 0, f"pprof refused our file: {err}"
    m = re.search(r"of (\d+) total", out)
    assert m and int(m.group(1)) == total, out[:2000]
    assert "leaf_deep" in out and "leaf_shallow" in out, out[:2000]
    code, out, err = run([*cmd, "-tags", pb])
    assert code == 0 and "thread" in out, out + err


# --- other tools' files ------------------------------------------------------------


@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_tool_fixtures_import(name, spyglass, tool, has_convert, tmp_path):
    """What py-spy and austin wrote imports with the totals a plain reading of
    the file gives (austin's microseconds become nanoseconds), through
    collapsed and through pprof."""
    src = FIXTURES / name
    lines = collapsed_lines(src.read_text())
    if name.endswith(".austin"):
        # P<pid>;T<iid>:<tid>;file:func:line...; metrics in us -> ns
        def label(frame):
            file, func, line = frame.rsplit(":", 2)
            return f"{func} ({file}:{line or 0})"
        lines = [([label(f) for f in frames[2:]], count) for frames, count in lines]
        expected = per_function(lines, scale=1000)
    else:
        expected = per_function(lines)
    out = convert(spyglass, tool, has_convert, src, tmp_path / "out.txt", "collapsed")
    assert_same_functions(expected, per_function(collapsed_lines(out.read_text())),
                          f"{name} -> collapsed")
    pb = convert(spyglass, tool, has_convert, src, tmp_path / "out.pb.gz", "pprof")
    back = convert(spyglass, tool, has_convert, pb, tmp_path / "back.txt", "collapsed")
    assert_same_functions(expected, per_function(collapsed_lines(back.read_text())),
                          f"{name} -> pprof -> collapsed")


def test_broken_collapsed_names_the_line(spyglass, tool, has_convert, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("main;work 3\nmain;work;leaf 2\nmain;oops 12abc\n")
    if has_convert:
        code, _, err = run([spyglass, "convert", bad, "-o", tmp_path / "x.pb.gz",
                            "--to", "pprof"])
    else:
        code, _, err = run([tool, bad, "-o", tmp_path / "x.pb.gz", "--to", "pprof"])
    assert code == 1, err
    assert "line 3" in err and "12abc" in err, err
