"""Errors of record and dump: exit 1, a first stderr line `spyglass: error: ...`
that names the problem. No such process, not a Python process, an unsupported
Python version (pyenv's 3.7/3.8 when installed). The contract is in conftest.py.
"""

import os
import shutil
import subprocess

import pytest

import harness

COMMANDS = ["record", "dump"]


def by_pid(spyglass, command, pid, tmp_path):
    if command == "record":
        return harness.record(spyglass, tmp_path / "out.collapsed",
                              ["--duration", str(harness.duration(1.0))], pid=pid, limit=30)
    return harness.dump(spyglass, pid)


def vanished_pid():
    """The pid of a process that has exited and been reaped."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    assert not os.path.exists(f"/proc/{proc.pid}")
    return proc.pid


@pytest.mark.parametrize("command", COMMANDS)
def test_no_such_process(spyglass, tmp_path, command):
    pid = vanished_pid()
    run = by_pid(spyglass, command, pid, tmp_path)
    run.check_error("no such process", str(pid))


@pytest.mark.parametrize("command", COMMANDS)
def test_not_a_python_process(spyglass, tmp_path, spawn, command):
    target = spawn([shutil.which("sleep"), "100"])
    run = by_pid(spyglass, command, target.pid, tmp_path)
    run.check_error("not a Python process")
    assert target.alive()


_OLD = harness.unsupported_interpreters()
old_python = pytest.mark.parametrize(
    "old", _OLD or [pytest.param(None, marks=pytest.mark.skip("no pyenv 3.7 or 3.8 installed"))],
    ids=[i.label for i in _OLD] or ["none"])


def version_needles(old):
    major, minor = old.version_info
    return f"unsupported Python version {major}.{minor}", "3.9", "3.13"


@old_python
@pytest.mark.parametrize("command", COMMANDS)
def test_unsupported_version_by_pid(spyglass, tmp_path, spawn, old, command):
    target = spawn(old.command("blocked.py", harness.timeout(120)))
    target.wait_ready()
    run = by_pid(spyglass, command, target.pid, tmp_path)
    run.check_error(*version_needles(old))
    assert target.alive()


@old_python
def test_unsupported_version_launched(spyglass, tmp_path, old):
    # The target ends by itself after a few seconds, whatever record does with it.
    run = harness.record(spyglass, tmp_path / "out.collapsed", [],
                         command=old.command("attach.py", 2), limit=30)
    run.check_error(*version_needles(old))
