"""Installing the package with pip from the source tree, with no network, on
every interpreter: with build isolation (the `py` fixture's venv already did
`pip install --no-index <repo>`) and without it, and from the sdist our
backend writes. 3.12 and 3.13 have no setuptools: the in-tree backend
(python/build_backend) needs only the standard library and a C compiler."""

import json
import subprocess
import sys

import pytest

import harness
from conftest import REPO


def site_of(py):
    return py.run("import spyglass, spyglass._spyglass as n\n"
                  "result([spyglass.__file__, n.__file__, spyglass.__version__])")


@pytest.mark.venv
def test_installed_offline_into_venv(py):
    pkg, ext, version = site_of(py)
    assert "site-packages" in pkg and not pkg.startswith(str(REPO)), pkg
    assert ext.endswith(".so") and "site-packages" in ext
    assert version == "0.1.0"


@pytest.mark.venv
def test_install_no_build_isolation(py):
    proc = py.run_argv(["-m", "pip", "install", "--no-index", "--no-build-isolation",
                        "--force-reinstall", "--no-deps", "--disable-pip-version-check",
                        str(REPO)], limit=600)
    assert "Successfully installed spyglass" in proc.stdout, proc.stdout + proc.stderr
    assert site_of(py)[0].endswith("site-packages/spyglass/__init__.py")


@pytest.mark.venv
def test_install_from_sdist(py, tmp_path):
    # the sdist the backend writes carries everything the wheel is built from
    proc = subprocess.run(
        [py.python, "-c", "import sys; sys.path.insert(0, %r); import spyglass_build as b; "
         "print(b.build_sdist(%r))" % (str(REPO / "python" / "build_backend"), str(tmp_path))],
        capture_output=True, text=True, timeout=harness.timeout(120))
    assert proc.returncode == 0, proc.stderr
    sdist = tmp_path / proc.stdout.strip()
    proc = py.run_argv(["-m", "pip", "install", "--no-index", "--force-reinstall", "--no-deps",
                        "--disable-pip-version-check", str(sdist)], limit=600)
    assert "Successfully installed spyglass" in proc.stdout, proc.stdout + proc.stderr
    r = py.run("import spyglass, known\nwith spyglass.Profiler() as p:\n    known.spin(0.2)\n"
               "result(p.snapshot().samples)")
    assert r > 50
