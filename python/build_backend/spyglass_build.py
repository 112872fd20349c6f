"""spyglass_build — the in-tree PEP 517 build backend of the `spyglass` Python
package, and the compiler driver scripts/build-python uses.

Why our own backend: the package is a C extension built from the project's
own sources (src/collect, src/profile) plus python/ext, and it must install
with `pip install --no-index .` on interpreters that ship no setuptools
(3.12, 3.13). So this file needs nothing but the standard library and a C
compiler: it compiles with the system compiler directly (include dirs and
the extension suffix from sysconfig), links -lzstd -lelf -lpthread (what
src/collect and the .sgl writer need, see src/*/CMakeLists.txt), and writes
the wheel itself (a zip with METADATA, WHEEL and RECORD).

Invariants:
  - The project's C files do not include Python.h, so their objects are the
    same for every interpreter: they are compiled once per flavour into a
    shared object cache (python/build/core[-asan]/ or $SPYGLASS_BUILD_CACHE);
    only python/ext/module.c is compiled per interpreter.
  - An object is rebuilt when its source or any header it included (from
    the compiler's -MMD dependency file) is newer than it.
  - Nothing here imports anything outside the standard library.
"""

import base64
import concurrent.futures
import hashlib
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAME = "spyglass"

# The sampler: every C file of src/collect (globbed, so a file the sampler
# gains there is built here too; each is in src/collect/CMakeLists.txt's
# sg_collect), and the parts of src/profile the model, the recorder, the
# .sgl writer/reader and collapsed export need.
def _collect_files(root):
    return sorted(p.name for p in (Path(root) / "src" / "collect").glob("*.c"))


PROFILE = [
    "status.c", "grow.c", "hash.c", "sort.c", "string_table.c", "frame_table.c",
    "stack_table.c", "sample_table.c", "thread_table.c", "event_table.c", "source_table.c",
    "callstats_table.c", "profile.c", "bytes.c", "crc32c.c", "sgl_writer.c", "sgl_reader.c",
    "recorder.c", "export_collapsed.c",
]
GLUE = ["inproc.c", "inproc_append.c"]  # python/ext, no Python.h
MODULE = "module.c"  # python/ext, per interpreter
LIBS = ["-lzstd", "-lelf", "-lpthread"]
SANITIZE = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer",
            "-fno-sanitize-recover=undefined"]


def version(root=ROOT):
    text = (root / "CMakeLists.txt").read_text()
    m = re.search(r"project\(spyglass VERSION ([0-9.]+)", text)
    return m.group(1) if m else "0.0.0"


def core_sources(root=ROOT):
    return ([root / "src" / "collect" / f for f in _collect_files(root)] +
            [root / "src" / "profile" / f for f in PROFILE] +
            [root / "python" / "ext" / f for f in GLUE])


def interpreter_tag():
    """python/build/<tag>: one per interpreter (Debian's 3.11.2 and pyenv's
    3.11.7 are different builds)."""
    return f"{sys.implementation.cache_tag}-{platform.python_version()}"


def _compiler():
    return shlex.split(os.environ.get("CC", "cc"))


def _cflags(root, werror, sanitize):
    flags = ["-std=gnu11", "-O2", "-g", "-fPIC", "-fvisibility=hidden", "-D_GNU_SOURCE",
             f'-DSG_VERSION="{version(root)}"', "-Wall", "-Wextra",
             "-I", str(root / "src"), "-I", str(root / "python" / "ext")]
    if werror:
        flags.append("-Werror")
    if sanitize:
        flags += SANITIZE
    return flags


def _stale(obj, src):
    if not obj.exists():
        return True
    t = obj.stat().st_mtime
    dep = obj.with_suffix(".d")
    if not dep.exists():
        return True
    deps = dep.read_text().replace("\\\n", " ").split(":", 1)[-1].split()
    for d in [str(src)] + deps:
        try:
            if os.stat(d).st_mtime > t:
                return True
        except OSError:
            return True
    return False


def _compile(src, obj, flags, log):
    obj.parent.mkdir(parents=True, exist_ok=True)
    cmd = _compiler() + flags + ["-MMD", "-MF", str(obj.with_suffix(".d")), "-c", str(src),
                                 "-o", str(obj)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"compiling {src} failed:\n$ {shlex.join(cmd)}\n{proc.stderr}")
    if proc.stderr and log:
        log(proc.stderr)
    return obj


def build_extension(out_dir, root=ROOT, cache_dir=None, werror=False, sanitize=False, jobs=2,
                    log=None):
    """Compiles and links the extension for the running interpreter into
    out_dir/_spyglass<EXT_SUFFIX>; returns its path."""
    root = Path(root)
    out_dir = Path(out_dir)
    flavour = "core-asan" if sanitize else "core"
    cache = Path(cache_dir or os.environ.get("SPYGLASS_BUILD_CACHE") or
                 root / "python" / "build" / flavour)
    if cache_dir is None and os.environ.get("SPYGLASS_BUILD_CACHE"):
        cache = cache / flavour
    try:  # a read-only source tree: objects go next to the output instead
        cache.mkdir(parents=True, exist_ok=True)
        if not os.access(cache, os.W_OK):
            raise OSError
    except OSError:
        cache = out_dir / flavour
    flags = _cflags(root, werror, sanitize)
    tag_dir = out_dir / "obj"
    py_flags = flags + ["-I", sysconfig.get_paths()["include"]]
    plat = sysconfig.get_paths().get("platinclude")
    if plat and plat != sysconfig.get_paths()["include"]:
        py_flags += ["-I", plat]
    jobs = max(1, jobs)
    work = []
    objects = []
    for src in core_sources(root):
        obj = cache / (src.parent.name + "-" + src.stem + ".o")
        objects.append(obj)
        if _stale(obj, src):
            work.append((src, obj, flags))
    mod_src = root / "python" / "ext" / MODULE
    mod_obj = tag_dir / "module.o"
    objects.append(mod_obj)
    if _stale(mod_obj, mod_src):
        work.append((mod_src, mod_obj, py_flags))
    if log and work:
        log(f"spyglass: compiling {len(work)} files ({flavour}, {interpreter_tag()})")
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        for fut in [pool.submit(_compile, s, o, f, log) for s, o, f in work]:
            fut.result()
    target = out_dir / ("_spyglass" + sysconfig.get_config_var("EXT_SUFFIX"))
    newest = max(o.stat().st_mtime for o in objects)
    if work or not target.exists() or target.stat().st_mtime < newest:
        tmp = target.with_suffix(".tmp")
        cmd = (_compiler() + ["-shared", "-o", str(tmp)] + [str(o) for o in objects] + LIBS +
               (["-fsanitize=address,undefined"] if sanitize else []))
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"linking failed:\n$ {shlex.join(cmd)}\n{proc.stderr}")
        os.replace(tmp, target)
    return target


def build_in_tree(root=ROOT, sanitize=False, werror=True, log=print):
    """python/build/<tag>[-asan]/spyglass/: the package (its .py files
    symlinked from python/spyglass, so edits need no rebuild) and the
    extension, importable with PYTHONPATH=python/build/<tag>."""
    root = Path(root)
    base = root / "python" / "build" / (interpreter_tag() + ("-asan" if sanitize else ""))
    pkg = base / NAME
    pkg.mkdir(parents=True, exist_ok=True)
    src_pkg = root / "python" / NAME
    wanted = {p.name for p in src_pkg.glob("*.py")}
    for old in pkg.glob("*.py"):
        if old.name not in wanted:
            old.unlink()
    for name in wanted:
        link = pkg / name
        if not link.is_symlink():
            if link.exists():
                link.unlink()
            link.symlink_to(src_pkg / name)
    built = build_extension(base / "ext", root, werror=werror, sanitize=sanitize, log=log)
    dest = pkg / built.name
    shutil.copy2(built, dest.with_suffix(".tmp"))
    os.replace(dest.with_suffix(".tmp"), dest)
    return base


# --- PEP 517 ---------------------------------------------------------------------


def _wheel_tag():
    impl = "cp" + sysconfig.get_config_var("py_version_nodot")
    abi = "cp" + sysconfig.get_config_var("py_version_nodot") + (sys.abiflags or "")
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return impl, abi, plat


def _metadata():
    readme = ("spyglass samples a running CPython's call stacks from a native thread inside "
              "the process, into the same profile model and .sgl files as the spyglass "
              "command.\n")
    return (f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {version()}\n"
            "Summary: In-process sampling profiler for CPython (the spyglass sampler)\n"
            "Requires-Python: >=3.9,<3.14\nLicense: MIT\n"
            "Description-Content-Type: text/plain\n\n" + readme)


def _record_line(arcname, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    impl, abi, plat = _wheel_tag()
    ver = version()
    wheel_name = f"{NAME}-{ver}-{impl}-{abi}-{plat}.whl"
    dist_info = f"{NAME}-{ver}.dist-info"
    with tempfile.TemporaryDirectory(prefix="spyglass-build-") as tmp:
        log = lambda msg: print(msg, file=sys.stderr)  # noqa: E731
        ext = build_extension(Path(tmp), ROOT, log=log)
        files = []
        for py in sorted((ROOT / "python" / NAME).glob("*.py")):
            files.append((f"{NAME}/{py.name}", py.read_bytes()))
        files.append((f"{NAME}/{ext.name}", ext.read_bytes()))
        files.append((f"{dist_info}/METADATA", _metadata().encode()))
        wheel_meta = (f"Wheel-Version: 1.0\nGenerator: spyglass_build {ver}\n"
                      f"Root-Is-Purelib: false\nTag: {impl}-{abi}-{plat}\n")
        files.append((f"{dist_info}/WHEEL", wheel_meta.encode()))
        files.append((f"{dist_info}/top_level.txt", f"{NAME}\n".encode()))
        record = [_record_line(n, d) for n, d in files] + [f"{dist_info}/RECORD,,"]
        files.append((f"{dist_info}/RECORD", ("\n".join(record) + "\n").encode()))
        path = Path(wheel_directory) / wheel_name
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for arcname, data in files:
                info = zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = (0o755 if arcname.endswith(".so") else 0o644) << 16
                zf.writestr(info, data)
    return wheel_name


def build_sdist(sdist_directory, config_settings=None):
    """The files the wheel is built from: pyproject.toml, CMakeLists.txt (the
    version), python/, and the C sources of src/collect and src/profile."""
    ver = version()
    base = f"{NAME}-{ver}"
    name = f"{base}.tar.gz"
    members = [ROOT / "pyproject.toml", ROOT / "CMakeLists.txt"]
    members += sorted((ROOT / "python" / NAME).glob("*.py"))
    members += sorted((ROOT / "python" / "ext").glob("*.[ch]"))
    members += sorted((ROOT / "python" / "build_backend").glob("*.py"))
    for folder in ("collect", "profile"):
        members += sorted((ROOT / "src" / folder).glob("*.[ch]"))
    pkg_info = _metadata().encode()
    with tarfile.open(Path(sdist_directory) / name, "w:gz", format=tarfile.PAX_FORMAT) as tf:
        for m in members:
            tf.add(str(m), arcname=f"{base}/{m.relative_to(ROOT)}")
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        info.size = len(pkg_info)
        import io
        tf.addfile(info, io.BytesIO(pkg_info))
    return name
