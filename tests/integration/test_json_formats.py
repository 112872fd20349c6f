"""The JSON formats on real recordings: a program recorded by `spyglass record`
into .sgl, exported to speedscope / Chrome trace events / Firefox Profiler,
comes back through our importers with the same totals per function; files
written by py-spy (speedscope and chrometrace) import with the functions and
weights py-spy wrote; a Chrome trace cut anywhere still loads.

Conversions go through `spyglass convert` when the binary has that command,
else through sg-json-formats (tests/unit/profile/json_formats_main.c), which
calls the same importers and exporters. What a file holds is read with
`sg-json-formats summary` (per function: self and total weight).
"""

import collections
import json
import shutil
import subprocess
from pathlib import Path

import pytest

import harness
from harness import TargetFile, run_spyglass

FORMATS = {"speedscope": "speedscope", "chrome": "chrome-trace"}


@pytest.fixture(scope="session")
def json_formats(spyglass):
    path = Path(spyglass).parent / "sg-json-formats"
    if not path.is_file():
        pytest.fail(f"sg-json-formats not found at {path}: build it (`make`)")
    return str(path)


@pytest.fixture(scope="session")
def has_convert(spyglass):
    proc = subprocess.run([spyglass, "convert", "--help"], capture_output=True,
                          timeout=harness.timeout(30))
    text = (proc.stdout + proc.stderr).decode(errors="replace")
    return "unknown command" not in text and "convert" in text


def convert(spyglass, json_formats, has_convert, source, output, fmt):
    if has_convert:
        argv = [spyglass, "convert", str(source), "-o", str(output), "--to", fmt]
    else:
        argv = [json_formats, "convert", str(source), str(output), "--to", fmt]
    proc = subprocess.run(argv, capture_output=True, timeout=harness.timeout(60))
    assert proc.returncode == 0, f"{argv}: {proc.stderr.decode(errors='replace')}"
    assert output.is_file() and output.stat().st_size > 0


def summary(json_formats, path, fmt=None):
    argv = [json_formats, "summary", str(path)] + (["--from", fmt] if fmt else [])
    proc = subprocess.run(argv, capture_output=True, timeout=harness.timeout(60))
    assert proc.returncode == 0, f"{argv}: {proc.stderr.decode(errors='replace')}"
    return json.loads(proc.stdout)


def by_function(info, scale=1):
    """{(name, file): [self, total]} with weights times scale; frames of one
    function (different first lines) are added up."""
    out = collections.defaultdict(lambda: [0, 0])
    for key, (self_w, total_w) in info["functions"].items():
        label = key.rsplit(" #", 1)[0]
        out[label][0] += self_w * scale
        out[label][1] += total_w * scale
    return dict(out)


def names(functions):
    return {label.split(" ", 1)[0] for label in functions}


def single_file_names(functions):
    """Function names defined in one file only. Another tool counts a name
    once per sample; we count a function (name, file) once per sample, so
    the sums agree for these (not for `<module>` of several files)."""
    files = collections.Counter(label.split(" ", 1)[0] for label in by_function(functions))
    return {name for name, n in files.items() if n == 1}


@pytest.fixture(scope="module")
def recording(spyglass, python, tmp_path_factory):
    """threads.py (a busy thread, a sleeping one, the main thread joining)
    recorded once per interpreter into .sgl."""
    output = tmp_path_factory.mktemp("json") / "threads.sgl"
    argv = [spyglass, "record", "-o", str(output), "--rate", "200", "--",
            *python.command("threads.py", harness.duration(1.0))]
    run = run_spyglass(argv, harness.timeout(60), output=output)
    run.check(0)
    return output


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_roundtrip_same_totals(recording, spyglass, json_formats, has_convert, python, fmt,
                               tmp_path):
    original = summary(json_formats, recording)
    assert original["samples"] > 50, original
    exported = tmp_path / f"threads.{fmt}.out.json"
    convert(spyglass, json_formats, has_convert, recording, exported, FORMATS[fmt])
    back = summary(json_formats, exported)
    # counts × the interval come back as nanoseconds
    assert back["weight_unit"] == 1, back
    want = by_function(original, original["interval_ns"])
    got = by_function(back)
    assert got == want
    assert {(t["tid"], t["name"]) for t in back["threads"]} <= \
        {(t["tid"], t["name"]) for t in original["threads"]}
    spin = python.qualname("spin")
    assert any(label.startswith(spin + " ") and w[0] > 0 for label, w in got.items()), got


def test_firefox_export(recording, spyglass, json_formats, has_convert, tmp_path):
    original = summary(json_formats, recording)
    exported = tmp_path / "threads.firefox.json"
    convert(spyglass, json_formats, has_convert, recording, exported, "firefox")
    profile = json.loads(exported.read_text(encoding="utf-8"))
    meta, shared = profile["meta"], profile["shared"]
    assert meta["preprocessedProfileVersion"] == 60
    assert meta["interval"] == original["interval_ns"] / 1e6
    strings = shared["stringArray"]
    funcs, frames, stacks = shared["funcTable"], shared["frameTable"], shared["stackTable"]
    for table in (funcs, frames, stacks, shared["sources"]):
        for column, values in table.items():
            if column != "length":
                assert len(values) == table["length"], column
    # sample counts per function name, from the written tables
    counts = collections.Counter()
    for thread in profile["threads"]:
        samples = thread["samples"]
        assert samples["time"] == sorted(samples["time"])
        for stack in samples["stack"]:
            if stack is not None:
                counts[strings[funcs["name"][frames["func"][stacks["frame"][stack]]]]] += 1
    want = collections.Counter()
    for label, (self_w, _) in by_function(original).items():
        want[label.split(" ", 1)[0]] += self_w
    assert counts == +want
    assert {t["tid"] for t in profile["threads"]} <= {t["tid"] for t in original["threads"]}


def test_truncated_chrome_trace_loads(recording, spyglass, json_formats, has_convert, tmp_path):
    exported = tmp_path / "whole.trace.json"
    convert(spyglass, json_formats, has_convert, recording, exported, "chrome-trace")
    data = exported.read_bytes()
    whole = summary(json_formats, exported)
    # the object form cut inside its events, and the bare-array form without
    # its closing bracket
    events = json.loads(data)["traceEvents"]
    array_form = ("[" + ",\n".join(json.dumps(e) for e in events) + ",\n").encode()
    for name, blob in (("cut", data[: len(data) * 2 // 3]), ("open-array", array_form)):
        part = tmp_path / f"{name}.trace.json"
        part.write_bytes(blob)
        info = summary(json_formats, part, "chrome")
        assert 0 < info["total_weight"] <= whole["total_weight"], (name, info)
    assert summary(json_formats, tmp_path / "open-array.trace.json", "chrome")["total_weight"] \
        == whole["total_weight"]


# --- files written by py-spy ---------------------------------------------------


@pytest.fixture(scope="module")
def pyspy():
    exe = shutil.which("py-spy")
    if exe is None:
        pytest.skip("py-spy is not installed (pip install py-spy)")
    return exe


def pyspy_record(pyspy, python, fmt, output):
    argv = [pyspy, "record", "-r", "100", "-f", fmt, "-o", str(output), "--",
            *python.command("stacks.py", harness.duration(1.0))]
    proc = subprocess.run(argv, capture_output=True, timeout=harness.timeout(60))
    if proc.returncode != 0 or not output.is_file():
        pytest.skip(f"py-spy could not record: {proc.stderr.decode(errors='replace')[-500:]}")


def test_pyspy_speedscope_imports(pyspy, python, json_formats, tmp_path):
    output = tmp_path / "pyspy.speedscope.json"
    pyspy_record(pyspy, python, "speedscope", output)
    data = json.loads(output.read_text(encoding="utf-8"))
    frames = data["shared"]["frames"]
    # what py-spy saw: seconds per function name, self and total
    seen_self, seen_total = collections.Counter(), collections.Counter()
    for profile in data["profiles"]:
        assert profile["type"] == "sampled" and profile["unit"] == "seconds"
        for stack, weight in zip(profile["samples"], profile["weights"]):
            if stack:
                seen_self[frames[stack[-1]]["name"]] += weight
            for name in {frames[i]["name"] for i in stack}:
                seen_total[name] += weight
    info = summary(json_formats, output)
    got_self, got_total = collections.Counter(), collections.Counter()
    for label, (self_w, total_w) in by_function(info).items():
        got_self[label.split(" ", 1)[0]] += self_w / 1e9
        got_total[label.split(" ", 1)[0]] += total_w / 1e9
    assert set(got_total) == set(seen_total)
    for name in seen_total:
        assert got_self[name] == pytest.approx(seen_self[name], abs=1e-6), name
    single = single_file_names(info)
    assert {"leaf_deep", "leaf_shallow"} <= single
    for name in single:
        assert got_total[name] == pytest.approx(seen_total[name], abs=1e-6), name
    t = TargetFile("stacks.py")
    assert {"leaf_deep", "leaf_shallow", "main"} <= names(info["functions"])
    assert any(f["name"] == "leaf_deep" and f["line"] == t.line("leaf_deep") for f in frames)


def chrome_totals(events):
    """Per function name: ns a B/E span of it was open (once per instant),
    replayed by file order within each timestamp, per (pid, tid)."""
    totals = collections.Counter()
    tracks = collections.defaultdict(list)
    for index, e in enumerate(events):
        if e.get("ph") in ("B", "E"):
            tracks[(e.get("pid"), e.get("tid"))].append((e["ts"], index, e))
    for items in tracks.values():
        items.sort(key=lambda x: (x[0], x[1]))
        stack, prev = [], None
        for ts, _, e in items:
            if stack and ts > prev:
                for name in set(stack):
                    totals[name] += round((ts - prev) * 1000)
            prev = ts
            if e["ph"] == "B":
                stack.append(e["name"])
            elif stack:
                stack.pop()
    return totals


def test_pyspy_chrometrace_imports(pyspy, python, json_formats, tmp_path):
    output = tmp_path / "pyspy.trace.json"
    pyspy_record(pyspy, python, "chrometrace", output)
    events = json.loads(output.read_text(encoding="utf-8"))
    want = chrome_totals(events)
    info = summary(json_formats, output)
    got = collections.Counter()
    for label, (_, total_w) in by_function(info).items():
        got[label.split(" ", 1)[0]] += total_w
    single = single_file_names(info)
    assert {"leaf_deep", "leaf_shallow"} <= single
    for name in single:
        assert got[name] == want[name], name
    assert set(got) == set(want)
