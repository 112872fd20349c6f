"""The .sgl file as the real recorder writes it: it reads back whole (metadata,
threads, sources, the known stacks), a recording killed with SIGKILL at any
moment leaves a file whose complete chunks read back, a real file cut at any
offset loads a prefix, and foreign files are refused with an offset.

The file is read by sg-sgl-check (tests/unit/profile/sgl_check_main.c), built
beside the spyglass binary, which loads it with the library's own reader.
"""

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

import harness
from harness import TargetFile, dominant, parse_collapsed, run_spyglass, total


@pytest.fixture(scope="session")
def sgl_check(spyglass):
    path = Path(spyglass).parent / "sg-sgl-check"
    if not path.is_file():
        pytest.fail(f"sg-sgl-check not found at {path}: build it (`make`)")
    return str(path)


def check(sgl_check, path, *options):
    """Runs sg-sgl-check; returns (exit code, stdout, stderr)."""
    proc = subprocess.run([sgl_check, str(path), *options], capture_output=True,
                          timeout=harness.timeout(60))
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def summary(sgl_check, path):
    code, out, err = check(sgl_check, path)
    assert code == 0, f"sg-sgl-check refused {path}: {err}"
    return json.loads(out)


def record_sgl(spyglass, python, output, seconds, options=()):
    argv = [spyglass, "record", "-o", str(output), *options, "--",
            *python.command("stacks.py", harness.duration(seconds))]
    return run_spyglass(argv, harness.timeout(60), output=output)


@pytest.fixture(scope="module")
def sgl_run(spyglass, python, tmp_path_factory):
    """stacks.py recorded once per interpreter into a .sgl file."""
    output = tmp_path_factory.mktemp("sgl") / "stacks.sgl"
    return record_sgl(spyglass, python, output, 1.0, ["--rate", "200"])


def test_sgl_reads_back_whole(sgl_run, sgl_check, python):
    sgl_run.check(0)
    info = summary(sgl_check, sgl_run.output)
    assert info["complete"] and not info["truncated"], info
    assert info["samples"] > 50, info
    assert info["total_weight"] == info["samples"], info
    meta = info["meta"]
    # The recorder may only know major.minor (3.9, 3.10 keep no patch level
    # where it reads).
    assert meta["python_version"] and python.version.startswith(meta["python_version"]), meta
    assert meta["interval_ns"] == 5_000_000
    assert meta["mode"] == 1  # wall clock
    assert meta["has_stacks"] is True
    assert meta["duration_ns"] > 0
    assert "stacks.py" in meta["command"]
    assert any(t["tid"] == meta["pid"] for t in info["threads"]), info["threads"]
    assert any(f.endswith("/stacks.py") for f in info["source_files"]), info["source_files"]


def test_sgl_holds_the_known_stacks(sgl_run, sgl_check, python):
    """The collapsed stacks of the .sgl hold both leaves at their lines, the deep
    one heavier (stacks.py spends about 2/3 of its time there), under main."""
    code, out, err = check(sgl_check, sgl_run.output, "--collapsed")
    assert code == 0, err
    samples = parse_collapsed(out, threads=False)
    t = TargetFile("stacks.py")
    deep_leaf = t.frame("leaf_deep", "leaf_deep")
    shallow_leaf = t.frame("leaf_shallow", "leaf_shallow")
    deep = total(samples, lambda s: s.leaf == deep_leaf)
    shallow = total(samples, lambda s: s.leaf == shallow_leaf)
    shown = "\n".join(f"{s.count} {' ; '.join(map(str, s.frames))}" for s in samples[:8])
    assert deep > shallow > 0, shown
    main = t.frame("main", "main_calls_a")
    assert main in dominant(samples, lambda s: s.leaf == deep_leaf).frames, shown


def test_sgl_cut_anywhere_loads_a_prefix(sgl_run, sgl_check, tmp_path):
    data = sgl_run.output.read_bytes()
    full = summary(sgl_check, sgl_run.output)
    rng = random.Random(7)
    cuts = sorted({16, len(data) - 1, *(rng.randrange(16, len(data)) for _ in range(20))})
    for cut in cuts:
        part = tmp_path / f"cut{cut}.sgl"
        part.write_bytes(data[:cut])
        info = summary(sgl_check, part)
        assert not info["complete"], (cut, info)
        assert info["samples"] <= full["samples"], (cut, info)
        if info["truncated"]:
            assert 16 <= info["truncated_at"] <= cut, (cut, info)
        code, _, err = check(sgl_check, part, "--strict")
        assert (code == 0) == (not info["truncated"]), (cut, err)
        if code != 0:
            assert "offset " in err and "truncated" in err, err


def test_sgl_sigkill_mid_recording(spyglass, python, sgl_check, tmp_path):
    """SIGKILL the recorder at several moments: every file it leaves loads, and
    once it has flushed (every second) it holds samples."""
    rng = random.Random(11)
    for round_ in range(4):
        output = tmp_path / f"killed{round_}.sgl"
        argv = [spyglass, "record", "-o", str(output), "--",
                *python.command("stacks.py", harness.duration(30))]
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            # Wait for the first flush, then kill at a random moment after it.
            deadline = time.monotonic() + harness.timeout(30)
            while not output.exists() or output.stat().st_size <= 16:
                assert proc.poll() is None, "spyglass exited early"
                assert time.monotonic() < deadline, "no chunk written"
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 1.5))
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=harness.timeout(10))
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
        info = summary(sgl_check, output)
        assert not info["complete"], info
        assert info["samples"] > 0, info
        assert python.version.startswith(info["meta"]["python_version"]), info["meta"]


def test_sgl_check_refuses_foreign_files(sgl_check, tmp_path):
    cases = {
        "text.sgl": b"main (app.py:1);work (app.py:2) 3\n",
        "empty.sgl": b"",
        "gzip.sgl": b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03",
        "future.sgl": b"\x89SGL\r\n\x1a\n\x02\x00\x00\x00\x00\x00\x00\x00",
    }
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        code, _, err = check(sgl_check, path)
        assert code == 1, (name, err)
        assert err.startswith("error: ") and "offset " in err, (name, err)
        assert str(path) in err, (name, err)
