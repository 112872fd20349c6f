"""test_layouts.py — the layout tables and the _Py_DebugOffsets check against
real interpreters.

Two things are proved here, for every CPython 3.9–3.13 that pyenv has:
  * the committed src/collect/layout_py3X.c are exactly what
    tools/layout_probe/generate produces from that version's own headers
    (`generate --check`), and that the check notices a stale table;
  * a running 3.13's _Py_DebugOffsets (dumped with ctypes from the start of
    _PyRuntime) passes sg_debug_offsets_check() against our 3.13 table, and
    tampered copies of those same bytes fail with the right error.

Versions that are not installed are skipped, but having none of them fails.
The C side is the sg-debug-offsets-check driver next to the spyglass binary
named by $SPYGLASS (the Makefile sets it).
"""

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GENERATE = REPO / "tools" / "layout_probe" / "generate"
MINORS = ["3.9", "3.10", "3.11", "3.12", "3.13"]

# Byte offsets inside 3.13's _Py_DebugOffsets (facts from pycore_runtime.h).
DO_FREE_THREADED = 16
DO_TSTATE_CURRENT_FRAME = 184

DESCRIBE = (
    "import sys, sysconfig; "
    "ok = sys.implementation.name == 'cpython' "
    "and not sysconfig.get_config_var('Py_GIL_DISABLED'); "
    "print('%d.%d' % sys.version_info[:2] if ok else '')"
)

DUMP = (
    "import ctypes, sys; "
    "addr = ctypes.addressof(ctypes.c_char.in_dll(ctypes.pythonapi, '_PyRuntime')); "
    "open(sys.argv[2], 'wb').write(ctypes.string_at(addr, int(sys.argv[1]))); "
    "print(hex(sys.hexversion))"
)


def _pyenv_interpreters():
    """{minor: python executable} for the pyenv CPythons with the GIL (newest
    patch release wins)."""
    try:
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        root = os.environ.get("PYENV_ROOT", "")
    found = {}
    versions = Path(root) / "versions" if root else None
    if versions is None or not versions.is_dir():
        return found
    for prefix in sorted(versions.iterdir()):
        python = prefix / "bin" / "python3"
        if not os.access(python, os.X_OK):
            continue
        try:
            minor = subprocess.run([str(python), "-c", DESCRIBE], capture_output=True,
                                   text=True, timeout=60).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            continue
        if minor in MINORS:
            patch = tuple(int(p) for p in prefix.name.split(".")[:3] if p.isdigit())
            if minor not in found or patch > found[minor][0]:
                found[minor] = (patch, python)
    return {minor: python for minor, (_, python) in found.items()}


INTERPRETERS = _pyenv_interpreters()


def _generate(*args):
    return subprocess.run([str(GENERATE), *args], capture_output=True, text=True,
                          timeout=600)


def test_some_supported_cpython_is_installed():
    assert INTERPRETERS, (
        "no CPython 3.9–3.13 found through pyenv; the layout tables cannot be "
        "checked against any headers")


def test_generate_check_passes_for_every_installed_version():
    if not INTERPRETERS:
        pytest.fail("no CPython 3.9–3.13 installed through pyenv")
    r = _generate("--check")
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("minor", MINORS)
def test_committed_table_matches_headers(minor):
    if minor not in INTERPRETERS:
        pytest.skip(f"CPython {minor} is not installed through pyenv")
    r = _generate("--check", minor)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"ok layout_py3{minor[2:]}.c" in r.stdout


def test_generate_check_notices_a_stale_table(tmp_path):
    if not INTERPRETERS:
        pytest.fail("no CPython 3.9–3.13 installed through pyenv")
    minor = sorted(INTERPRETERS, key=lambda m: int(m[2:]))[-1]
    name = f"layout_py3{minor[2:]}.c"
    for table in (REPO / "src" / "collect").glob("layout_py3*.c"):
        shutil.copy(table, tmp_path / table.name)
    stale = tmp_path / name
    text = stale.read_text()
    assert "    .tstate_next = 8,\n" in text
    stale.write_text(text.replace("    .tstate_next = 8,\n", "    .tstate_next = 16,\n"))

    r = _generate("--check", "--against", str(tmp_path), minor)
    assert r.returncode == 1, r.stdout + r.stderr
    assert name in r.stderr
    assert "tstate_next" in r.stdout  # the diff


# ---- _Py_DebugOffsets from a running interpreter --------------------------------


@pytest.fixture(scope="module")
def checker():
    spyglass = os.environ.get("SPYGLASS")
    if not spyglass:
        pytest.fail("set SPYGLASS to build/bin/spyglass (the Makefile does)")
    exe = Path(spyglass).resolve().parent / "sg-debug-offsets-check"
    assert exe.is_file(), f"{exe} is not built"
    size = int(subprocess.run([str(exe), "--size"], capture_output=True, text=True,
                              check=True).stdout)
    return exe, size


def _dump_runtime(python, size, path):
    r = subprocess.run([str(python), "-c", DUMP, str(size), str(path)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return int(r.stdout, 16)


def _check(exe, path):
    r = subprocess.run([str(exe), str(path)], capture_output=True, text=True, timeout=60)
    assert r.returncode in (0, 1), r.stdout + r.stderr
    return r.returncode, r.stdout.strip()


@pytest.fixture
def live_313(checker, tmp_path):
    if "3.13" not in INTERPRETERS:
        pytest.skip("CPython 3.13 is not installed through pyenv")
    exe, size = checker
    path = tmp_path / "debug_offsets.bin"
    hexversion = _dump_runtime(INTERPRETERS["3.13"], size, path)
    return exe, path, hexversion


def _patch_u64(path, at, value):
    data = bytearray(path.read_bytes())
    data[at:at + 8] = struct.pack("=Q", value)
    path.write_bytes(bytes(data))


def test_live_313_debug_offsets_match_our_table(live_313):
    exe, path, hexversion = live_313
    assert path.read_bytes()[:8] == b"xdebugpy"
    rc, out = _check(exe, path)
    assert rc == 0, out
    assert out == f"OK 0x{hexversion:08x}"


def test_live_313_mismatch_is_named(live_313):
    exe, path, _ = live_313
    _patch_u64(path, DO_TSTATE_CURRENT_FRAME, 80)
    rc, out = _check(exe, path)
    assert rc == 1
    assert out.startswith("ERROR -6:"), out
    assert "thread_state.current_frame is 80" in out and "72" in out


def test_live_313_free_threaded_is_refused(live_313):
    exe, path, _ = live_313
    _patch_u64(path, DO_FREE_THREADED, 1)
    rc, out = _check(exe, path)
    assert rc == 1
    assert out.startswith("ERROR -4:") and "free-threaded" in out, out


def test_live_313_short_read_is_refused(live_313):
    exe, path, _ = live_313
    path.write_bytes(path.read_bytes()[:-1])
    rc, out = _check(exe, path)
    assert rc == 1
    assert out.startswith("ERROR -1:"), out


@pytest.mark.parametrize("minor", ["3.9", "3.10", "3.11", "3.12"])
def test_older_runtimes_have_no_cookie(checker, tmp_path, minor):
    if minor not in INTERPRETERS:
        pytest.skip(f"CPython {minor} is not installed through pyenv")
    exe, size = checker
    path = tmp_path / "runtime_head.bin"
    _dump_runtime(INTERPRETERS[minor], size, path)
    rc, out = _check(exe, path)
    assert rc == 1
    assert out.startswith("ERROR -2:"), out
