"""test_thread_names.py — Python thread names read out of a live process
(src/collect/thread_names.c) against what the target says about itself.

For every CPython 3.9–3.13 the conftest finds (pyenv and Debian's python3; none
found fails), a target starts threads whose names take each road the reader
knows: plain threading.Thread objects, a Thread subclass whose attribute dict has
been materialised (vars(self): a dict over shared keys on 3.11+), and one with
so many attributes that it holds an ordinary dict (3.13: invalid inline values),
renamed after it started; names are ASCII, Latin-1 and CJK (UCS-2). The target
prints {name: threading.get_ident()} and waits; sg-thread-names (the driver in
tests/unit/collect/test_thread_names_main.c, found next to the spyglass binary:
$SPYGLASS, else build/bin) attaches, walks the interpreter's thread states and
prints `THREAD_ID NAME` for each. Every thread must come out with exactly its
name; a second target checks a _DummyThread, a thread threading never heard of
(unknown: empty name), and a name longer than the 63-byte limit (cut at a
character boundary).
"""

import subprocess
from pathlib import Path
from typing import Dict

import harness

TARGET = r'''
import _thread, json, sys, threading, time

stop = threading.Event()

def busy():
    x = 0
    while not stop.is_set():
        x += 1

def sleep():
    stop.wait()

class Materialised(threading.Thread):
    def __init__(self, **kw):
        super().__init__(**kw)
        vars(self)["extra"] = 1  # the instance now has a real __dict__

threads = [threading.Thread(target=busy, name="worker-busy", daemon=True),
           threading.Thread(target=sleep, name="worker-sleep", daemon=True),
           Materialised(target=sleep, name="données-ü", daemon=True),
           threading.Thread(target=sleep, name="not-yet", daemon=True)]
for i in range(40):  # more attributes than shared keys hold
    setattr(threads[3], "attr%d" % i, i)
for t in threads:
    t.start()
threads[3].name = "计算"

extra = {}
if "--extras" in sys.argv:
    def raw(dummy):
        if dummy:
            threading.current_thread()  # registers a _DummyThread
        extra["dummy" if dummy else "raw"] = threading.get_ident()
        stop.wait()
    _thread.start_new_thread(raw, (True,))
    _thread.start_new_thread(raw, (False,))
    long = threading.Thread(target=sleep, name="ü" * 40, daemon=True)
    long.start()
    threads.append(long)
    while len(extra) < 2:
        time.sleep(0.01)

idents = {threading.current_thread().name: threading.get_ident()}
idents.update({t.name: t.ident for t in threads})
dummies = {t.name: t.ident for t in threading.enumerate() if t.name.startswith("Dummy-")}
print("READY " + json.dumps({"threads": idents, "extra": extra, "dummies": dummies}), flush=True)
time.sleep(120)
'''


def driver() -> Path:
    path = harness.spyglass_path().parent / "sg-thread-names"
    assert path.is_file(), f"{path} not found: build it (`cmake --build build`) or set SPYGLASS"
    return path


def start(spawn, python, tmp_path: Path, *args: str) -> dict:
    script = tmp_path / "thread_names_target.py"
    script.write_text(TARGET, encoding="utf-8")
    target = spawn([python.path, "-E", "-s", "-B", str(script), *args])
    info = target.wait_ready()
    info["pid"] = target.pid
    return info


def read_names(pid: int) -> Dict[int, str]:
    run = subprocess.run([str(driver()), str(pid)], capture_output=True,
                         timeout=harness.timeout(60))
    assert run.returncode == 0, f"sg-thread-names failed: {run.stderr.decode(errors='replace')}"
    names = {}
    for line in run.stdout.decode("utf-8").splitlines():  # strict: must be UTF-8
        ident, _, name = line.partition(" ")
        assert int(ident) not in names, f"thread {ident} printed twice:\n{run.stdout!r}"
        names[int(ident)] = name
    return names


def test_thread_names(spawn, python, tmp_path):
    info = start(spawn, python, tmp_path)
    expected = {ident: name for name, ident in info["threads"].items()}
    assert sorted(expected.values()) == sorted(
        ["MainThread", "worker-busy", "worker-sleep", "données-ü", "计算"])
    assert read_names(info["pid"]) == expected
    # Again through the same path (nothing is cached across runs of the driver,
    # but the names must not depend on timing either).
    assert read_names(info["pid"]) == expected


def test_dummy_unknown_and_long_names(spawn, python, tmp_path):
    info = start(spawn, python, tmp_path, "--extras")
    names = read_names(info["pid"])
    dummy_names = {ident: name for name, ident in info["dummies"].items()}
    assert list(dummy_names) == [info["extra"]["dummy"]]
    assert names[info["extra"]["dummy"]] == dummy_names[info["extra"]["dummy"]]
    assert names[info["extra"]["raw"]] == ""  # threading never saw it
    long = "ü" * 40
    assert names[info["threads"][long]] == "ü" * 31  # 62 bytes: a 32nd would need 64
    for name, ident in info["threads"].items():
        if name != long:
            assert names[ident] == name
    assert len(names) == len(info["threads"]) + 2
