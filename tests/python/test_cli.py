"""`python -m spyglass run` (a script, or -m module) and `check`, on every
interpreter: the program's argv and exit status are its own, the .sgl is
written however it ends, and `spyglass report` reads it."""

import os
import subprocess

import harness
from conftest import TARGETS, Marks


def collapsed(spyglass_bin, path):
    conv = subprocess.run([spyglass_bin, "convert", str(path), "-o", "-", "--to", "collapsed"],
                          capture_output=True, text=True, timeout=60)
    assert conv.returncode == 0, conv.stderr
    out = {}
    for line in conv.stdout.splitlines():
        s, _, n = line.rpartition(" ")
        out[tuple(s.split(";"))] = int(n)
    return out


def test_run_script(py, tmp_path, spyglass_bin, known):
    out = tmp_path / "run.sgl"
    env = dict(py.env, PYTHONPATH=os.pathsep.join(filter(None, [py.env.get("PYTHONPATH"),
                                                                str(TARGETS)])))
    proc = subprocess.run([py.python, "-m", "spyglass", "run", "--rate", "500", "-o", str(out),
                           str(TARGETS / "script.py"), "7", str(harness.duration(0.5)), "--x"],
                          env=env, capture_output=True, text=True, timeout=harness.timeout(60))
    assert proc.returncode == 7, proc.stderr
    assert "ARGV 7 " in proc.stdout and proc.stdout.strip().endswith("--x")
    assert f"wrote {out}" in proc.stderr
    stacks = collapsed(spyglass_bin, out)
    top = max(stacks, key=stacks.get)
    script = Marks("script.py")
    assert list(top[-5:]) == [script.frame("<module>", "module_calls_main"),
                              script.frame("main", "main_calls_outer"),
                              known.frame("outer", "outer_calls_a"),
                              known.frame("leaf_a", "a_calls_spin"),
                              known.frame("spin", "spin")], top
    rep = subprocess.run([spyglass_bin, "report", str(out)], capture_output=True, text=True)
    assert rep.returncode == 0 and "every 2 ms" in rep.stdout, rep.stdout


def test_run_module(py, tmp_path, spyglass_bin, known):
    out = tmp_path / "mod.sgl"
    env = dict(py.env, PYTHONPATH=os.pathsep.join(filter(None, [py.env.get("PYTHONPATH"),
                                                                str(TARGETS)])))
    proc = subprocess.run([py.python, "-m", "spyglass", "run", "-o", str(out), "-m",
                           "known_module", str(harness.duration(0.4))],
                          env=env, capture_output=True, text=True, timeout=harness.timeout(60))
    assert proc.returncode == 0, proc.stderr
    stacks = collapsed(spyglass_bin, out)
    top = max(stacks, key=stacks.get)
    mod = Marks("known_module.py")
    assert list(top[-3:]) == [mod.frame("<module>", "module_calls_b"),
                              known.frame("leaf_b", "b_calls_spin"),
                              known.frame("spin", "spin")], top


def test_run_errors_and_check(py, tmp_path):
    proc = py.run_argv(["-m", "spyglass", "run", str(tmp_path / "missing.py")], check=False)
    assert proc.returncode == 2 and "no such script" in proc.stderr
    proc = py.run_argv(["-m", "spyglass", "run", "--rate", "0", "x.py"], check=False)
    assert proc.returncode == 2 and "--rate" in proc.stderr
    proc = py.run_argv(["-m", "spyglass", "check"])
    assert "process_vm_readv: ok" in proc.stdout and "/proc/self/mem: ok" in proc.stdout
