"""test_decoders.py — the sampler's line-table and str decoders against what real
interpreters say about their own data.

For every CPython 3.9–3.13 the conftest finds (pyenv and Debian's python3), a
helper script (DUMP_SCRIPT below, run under that interpreter) compiles real code:
whole stdlib modules (inspect, ast, json.decoder, _pydecimal, ...), the functions
of the imported modules as loaded from their .pyc, and synthetic code with huge
and backwards line jumps, very long lines, multi-line expressions, loops,
try/except, generators, async, match. For each code object it writes the raw
table (co_lnotab on 3.9, co_linetable on 3.10+), co_firstlineno and, per
instruction offset, two expectations:
  * "addr2line": CPython's own PyCode_Addr2Line (called through ctypes), the
    function behind frame.f_lineno, so exactly what a sampler must report; also
    asked about offsets just before and past the code;
  * "dis": the line from the introspection API — dis.findlinestarts (3.9),
    co_lines() (3.10), co_positions() per code unit including CACHE entries
    (3.11+) — None where no line applies.
It also copies real str objects with ctypes.string_at (ASCII, Latin-1, UCS-2,
UCS-4, lone surrogates, interned identifiers, a str subclass) and the exact
UTF-8 each must become, whole and cut at many output caps.

The C side is sg-decode-check (tests/unit/collect/decode_check_main.c), found
next to the spyglass binary ($SPYGLASS, else build/bin). Every answer must
match; on failure the first mismatches are printed.
"""

import functools
import json
import subprocess
import tempfile
from pathlib import Path

import pytest

import harness

# enum sg_linetable_format (src/collect/layout.h) and the offset unit each uses.
LNOTAB, LINETABLE, LOCATIONS = 1, 2, 3
PYSTRING_OK, PYSTRING_TRUNCATED, PYSTRING_ENOTCOMPACT = 0, 1, -4

DUMP_SCRIPT = r'''
import ast, ctypes, dis, importlib, importlib.util, inspect, json, sys, types

V = sys.version_info[:2]
FMT = 1 if V < (3, 10) else 2 if V < (3, 11) else 3
out = sys.stdout

addr2line = ctypes.pythonapi.PyCode_Addr2Line
addr2line.argtypes = [ctypes.py_object, ctypes.c_int]
addr2line.restype = ctypes.c_int

MODULES = [
    "inspect", "ast", "json.decoder", "json.encoder", "json.scanner", "dis", "typing",
    "dataclasses", "argparse", "collections", "difflib", "tarfile", "_pydecimal",
    "email._header_value_parser", "asyncio.base_events", "asyncio.tasks", "unittest.case",
    "textwrap", "string", "pprint", "functools", "enum", "contextlib", "traceback",
    "tokenize", "logging", "threading", "subprocess", "urllib.parse", "shutil",
    "configparser", "calendar", "statistics", "fractions", "heapq", "copy", "codecs",
]

CONSTRUCTS = """
import os

def simple(a, b):
    return a + b

def multi_line(x):
    y = (x +
         x *
         (x -
          1))
    return [
        i
        for i in range(y)
        if i % 2
    ]

def loops(n):
    total = 0
    for i in range(n):
        if i % 3 == 0:
            continue
        while total < i:
            total += 1
            if total > 100:
                break
        else:
            total -= 1
    return total

def exceptions(x):
    try:
        x = 1 / x
    except ZeroDivisionError as e:
        x = str(e)
    except (TypeError, ValueError):
        raise
    else:
        x += 1
    finally:
        x = repr(x)
    with open(os.devnull) as f, open(os.devnull) as g:
        f.read(); g.read()
    return x

def gen(n):
    yield from range(n)
    x = yield n
    return x

async def coro(aw):
    async with aw as a:
        async for b in a:
            await b
    return [c async for c in aw]

class Klass:
    attr = [i * 2 for i in range(3)]

    @staticmethod
    def prop(self):
        return lambda q: (q,
                          q)

def closures():
    v = 1
    def inner():
        nonlocal v
        v += 1
        return v
    return inner

def fstrings(a, b):
    return f"{a!r:>{b}} and {b:{a}}" \\
        f"{a}"

def chained(a, b, c):
    assert a < b < c, (
        "message")
    del a
    return b if c else (
        c)

def nested(x):
    if x:
        if x > 1:
            if x > 2:
                return {k: v for k, v in
                        zip(range(x), range(x))}
    return None

def données(计算):
    return 计算
"""

MATCH = """
def matcher(cmd):
    match cmd:
        case [x, y, *rest] if x > y:
            return rest
        case {"k": v, **kw}:
            return v
        case Point(x=0) | Point(y=0):
            return 0
        case str() as s:
            return s
        case _:
            return None
"""

EXCEPT_STAR = """
def groups(f):
    try:
        f()
    except* ValueError as eg:
        f(eg)
    except* TypeError:
        pass
    return f
"""

TYPE_PARAMS = """
def generic[T](x: T) -> T:
    return x

type Alias[K] = dict[K, list[K]]
"""


def long_lines():
    wide = " + ".join("a%d" % (i % 7) for i in range(400))
    body = "".join("    a%d = a + %d\n" % (i % 7, i) for i in range(7))
    long_body = "".join("    a = a + %d\n" % i for i in range(3000))
    return ("def wide(a):\n" + body + "    return " + wide + "\n\n"
            "def tall(a):\n" + long_body + "    return a\n\n"
            "def big_list(a):\n    return [" + ", ".join(["a"] * 600) + "]\n")


def blank_jumps():
    return ("def jumps(a):\n    x = a\n" + "\n" * 70000 + "    y = x + 1\n" +
            "\n" * 1100000 + "    return (y,\n" + "\n" * 300 + "            x)\n" +
            "def after_jumps():\n    return 1\n")


def far_lines():
    """Statements moved far apart and backwards through the AST."""
    tree = ast.parse("def far(a):\n    b = a + 1\n    c = b * 2\n    d = c - 3\n"
                     "    return d\n")
    stmts = tree.body[0].body
    top = 2000000000 if FMT == 3 else 12000000  # lnotab/linetable grow linearly
    for stmt, line in zip(stmts, [5000000, 3, top, 7]):
        for node in ast.walk(stmt):
            if hasattr(node, "lineno"):
                node.lineno = line
                node.end_lineno = line
    return tree


def sources():
    for name in MODULES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.origin or not spec.origin.endswith(".py"):
            continue
        with open(spec.origin, "rb") as f:
            yield name, spec.origin, f.read()
    yield "constructs", "<constructs>", CONSTRUCTS
    if V >= (3, 10):
        yield "match", "<match>", MATCH
    if V >= (3, 11):
        yield "except_star", "<except_star>", EXCEPT_STAR
    if V >= (3, 12):
        yield "type_params", "<type_params>", TYPE_PARAMS
    yield "long_lines", "<long_lines>", long_lines()
    yield "blank_jumps", "<blank_jumps>", blank_jumps()
    yield "far_lines", "<far_lines>", far_lines()


def walk(code):
    todo = [code]
    while todo:
        co = todo.pop()
        yield co
        todo.extend(c for c in co.co_consts if isinstance(c, types.CodeType))


def loaded_code():
    """Code objects of some imported modules' functions, as loaded from .pyc."""
    for name in ["inspect", "ast", "json.decoder", "dis", "typing"]:
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        for value in list(vars(mod).values()):
            members = [value]
            if isinstance(value, type):
                members += list(vars(value).values())
            for m in members:
                m = getattr(m, "__func__", m)
                code = getattr(m, "__code__", None)
                if isinstance(code, types.CodeType):
                    yield name, code


def dis_lines(co):
    """(offsets, dis-derived line per offset) in the decoder's unit."""
    n = len(co.co_code)
    if FMT == 1:
        offsets = list(range(0, n, 2))
        starts = sorted(dis.findlinestarts(co))
        lines, cur, k = [], None, 0
        for off in offsets:
            while k < len(starts) and starts[k][0] <= off:
                cur = starts[k][1]
                k += 1
            lines.append(cur)
        return offsets, lines
    if FMT == 2:
        lines = [None] * (n // 2)
        for start, end, line in co.co_lines():
            for b in range(start, end, 2):
                lines[b // 2] = line
        return list(range(0, n, 2)), lines
    return list(range(n // 2)), [p[0] for p in co.co_positions()]


def emit_code(label, co):
    table = co.co_lnotab if FMT == 1 else co.co_linetable
    offsets, lines = dis_lines(co)
    n = len(co.co_code)
    # Just before the code (a frame that has not started: f_lasti -1, i.e. -2
    # bytes on 3.10), and past its end.
    extras = {1: [-1, n, n + 100], 2: [-2, n, n + 100], 3: [-1, n // 2, n // 2 + 50]}[FMT]
    a2l = [addr2line(co, off * 2 if FMT == 3 else off) for off in offsets + extras]
    out.write(json.dumps({
        "kind": "code", "label": label, "name": co.co_name, "file": co.co_filename,
        "first": co.co_firstlineno, "table": table.hex(), "offsets": offsets + extras,
        "addr2line": a2l, "dis": lines + [None] * len(extras)}) + "\n")


# --- strings ---
class StrSub(str):
    pass

HDR_ASCII = sys.getsizeof("") - 1                      # sizeof(PyASCIIObject)
HDR_COMPACT = sys.getsizeof("".join([chr(0xe9)] * 2)) - 3  # sizeof(PyCompactUnicodeObject)


def exact_size(s):
    """The object's own bytes (getsizeof may add a cached UTF-8 copy elsewhere)."""
    if type(s) is not str:
        return HDR_COMPACT + 8  # PyUnicodeObject: data.any follows the compact header
    if s.isascii():
        return HDR_ASCII + len(s) + 1
    top = max(map(ord, s))
    kind = 1 if top < 0x100 else 2 if top < 0x10000 else 4
    return HDR_COMPACT + (len(s) + 1) * kind


def strings():
    def données():
        pass
    def 计算():
        pass
    made = lambda *cps: "".join(map(chr, cps))  # fresh, not interned
    return [
        ("ascii", "hello"), ("empty", ""), ("nul", made(0x61, 0, 0x62)),
        ("long-ascii", "x" * 1000 + "y"),
        ("latin1-donnees", "données"), ("latin1-y", "ÿ"), ("latin1-fresh", made(0xe9, 0x20, 0xff)),
        ("latin1-high", made(0x80, 0xa0, 0xbf, 0xc0)),
        ("ucs2-jisuan", "计算"), ("ucs2-omega", "Ω"), ("ucs2-fresh", made(0x3a9, 0x41, 0xffff)),
        ("ucs2-lone-surrogate", made(0x61, 0xd800, 0x62)),
        ("ucs2-surrogate-pair", made(0xd83d, 0xde00)),
        ("ucs4-fraktur", "𝔘𝔫𝔦"), ("ucs4-emoji", "🐍 and 😀"),
        ("ucs4-mixed", "é计𝔘" * 50), ("ucs4-max", made(0x10ffff, 0x41)),
        ("code-name-latin1", données.__code__.co_name),
        ("code-name-ucs2", 计算.__code__.co_name),
        ("code-filename", inspect.getsource.__code__.co_filename),
        ("code-qualname", getattr(inspect.Signature.bind.__code__, "co_qualname", "n/a")),
        ("subclass", StrSub("not compact")),
    ]


def expected_utf8(s):
    clean = "".join("\ufffd" if 0xd800 <= ord(c) <= 0xdfff else c for c in s)
    return clean.encode("utf-8")


def emit_strings():
    for label, s in strings():
        raw = ctypes.string_at(id(s), exact_size(s))
        out.write(json.dumps({
            "kind": "str", "label": label, "raw": raw.hex(), "compact": type(s) is str,
            "chars": [ord(c) for c in s], "utf8": expected_utf8(s).hex()}) + "\n")


def main():
    out.write(json.dumps({"kind": "meta", "hexversion": sys.hexversion,
                          "format": FMT, "version": sys.version.split()[0]}) + "\n")
    seen = set()
    keep = []
    for label, filename, src in sources():
        top = compile(src, filename, "exec", dont_inherit=True)
        for co in walk(top):
            keep.append(co)
            seen.add(id(co))
            emit_code(label, co)
    for label, code in loaded_code():
        for co in walk(code):
            if id(co) not in seen:
                keep.append(co)
                seen.add(id(co))
                emit_code(label + "(pyc)", co)
    emit_strings()


main()
'''


def _driver() -> Path:
    return harness.spyglass_path().parent / "sg-decode-check"


@functools.lru_cache(maxsize=None)
def _dump(python: str):
    """Runs DUMP_SCRIPT under `python`; returns (meta, codes, strings)."""
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "dump_decoders.py"
        script.write_text(DUMP_SCRIPT, encoding="utf-8")
        run = subprocess.run([python, "-E", "-s", "-B", str(script)], capture_output=True,
                             timeout=harness.timeout(600))
    assert run.returncode == 0, \
        f"dump script failed under {python}:\n{run.stderr.decode(errors='replace')[-4000:]}"
    meta, codes, strings = None, [], []
    for line in run.stdout.decode("utf-8").splitlines():
        rec = json.loads(line)
        if rec["kind"] == "meta":
            meta = rec
        elif rec["kind"] == "code":
            codes.append(rec)
        else:
            strings.append(rec)
    assert meta is not None
    return meta, codes, strings


def _decode(requests):
    """Sends request lines to sg-decode-check; returns its answer lines."""
    driver = _driver()
    if not driver.is_file():
        pytest.fail(f"sg-decode-check not found at {driver}: build it (`make`) or set SPYGLASS")
    run = subprocess.run([str(driver)], input="\n".join(requests) + "\n",
                         capture_output=True, text=True, timeout=harness.timeout(600))
    answers = run.stdout.splitlines()
    assert run.returncode == 0 and len(answers) == len(requests), \
        f"sg-decode-check exit {run.returncode}, {len(answers)} answers to " \
        f"{len(requests)} requests\n{run.stderr[-3000:]}\n{run.stdout[-3000:]}"
    return answers


def _describe(rec, i, got):
    table = rec["table"]
    return (f"{rec['label']}: {rec['name']} ({rec['file']}) first_line={rec['first']} "
            f"offset={rec['offsets'][i]}: decoded {got}, PyCode_Addr2Line "
            f"{rec['addr2line'][i]}, dis {rec['dis'][i]}; table[{len(table) // 2}]="
            f"{table[:120]}{'...' if len(table) > 120 else ''}")


def test_layout_picks_line_format(python):
    meta, _, _ = _dump(python.path)
    answer = _decode([f"layout {meta['hexversion']:#x}"])
    assert answer == [f"layout {meta['format']}"], \
        f"sg_layout_for_version({meta['hexversion']:#x}) says {answer}, " \
        f"CPython {meta['version']} uses format {meta['format']}"


def test_line_tables_match_cpython(python):
    meta, codes, _ = _dump(python.path)
    fmt = meta["format"]
    requests = [f"lines {fmt} {rec['first']} {rec['table'] or '-'} "
                + ",".join(map(str, rec["offsets"])) for rec in codes]
    answers = _decode(requests)

    mismatches, self_check, offsets, no_line = [], [], 0, 0
    for rec, answer in zip(codes, answers):
        assert answer.startswith("lines "), answer
        got = [int(x) for x in answer[6:].split(",")]
        assert len(got) == len(rec["offsets"]), answer[:200]
        for i, line in enumerate(got):
            offsets += 1
            want = rec["addr2line"][i]
            if line != want:
                mismatches.append(_describe(rec, i, line))
            dis_line = rec["dis"][i]
            if i < len(rec["offsets"]) - 3:  # in range: the introspection API applies
                dis_want = -1 if dis_line is None else dis_line
                no_line += dis_want == -1
                if line != dis_want:
                    self_check.append(_describe(rec, i, line))

    labels = {rec["label"] for rec in codes}
    names = {rec["name"] for rec in codes}
    assert len(codes) > 2000 and offsets > 100000, (len(codes), offsets)  # not vacuous
    assert {"inspect", "ast", "json.decoder", "far_lines", "blank_jumps"} <= labels, labels
    assert {"jumps", "far", "wide", "tall", "loops", "exceptions"} <= names
    if fmt != LNOTAB:
        assert no_line > 0, "no instruction without a line: the -128 / code 15 paths went unseen"
    assert not mismatches, (
        f"{len(mismatches)} of {offsets} offsets differ from PyCode_Addr2Line "
        f"(CPython {meta['version']}):\n" + "\n".join(mismatches[:20]))
    assert not self_check, (
        f"{len(self_check)} in-range offsets differ from the dis/co_lines/co_positions line "
        f"(CPython {meta['version']}):\n" + "\n".join(self_check[:20]))


def _expected_cut(chars, cap):
    """What a cap-byte buffer holds: the longest prefix of whole characters whose
    UTF-8 fits in cap - 1 bytes, and whether that is all of them."""
    if cap == 0:
        return b"", not chars
    out = b""
    for c in chars:
        enc = ("\ufffd" if 0xd800 <= c <= 0xdfff else chr(c)).encode("utf-8")
        if len(out) + len(enc) > cap - 1:
            return out, False
        out += enc
    return out, True


def test_strings_match_cpython(python):
    meta, _, strings = _dump(python.path)
    requests, expected = [], []
    for rec in strings:
        full = bytes.fromhex(rec["utf8"])
        caps = [len(full) + 1, len(full) + 64]
        if rec["compact"]:
            caps += list(range(0, min(len(full) + 1, 40))) + [len(full)]
        for cap in caps:
            requests.append(f"str {meta['hexversion']:#x} {cap} {rec['raw']}")
            if not rec["compact"]:
                expected.append((rec["label"], cap, PYSTRING_ENOTCOMPACT, b""))
                continue
            data, whole = _expected_cut(rec["chars"], cap)
            expected.append((rec["label"], cap, PYSTRING_OK if whole else PYSTRING_TRUNCATED,
                             data))
    answers = _decode(requests)
    wrong = []
    for (label, cap, status, data), answer in zip(expected, answers):
        parts = answer.split(" ")
        got_status = int(parts[1])
        got = b"" if parts[2] == "-" else bytes.fromhex(parts[2])
        if (got_status, got) != (status, data):
            wrong.append(f"{label} cap={cap}: got status {got_status} {got!r}, "
                         f"want {status} {data!r}")
    assert {"latin1-donnees", "ucs2-jisuan", "ucs4-fraktur", "ucs4-emoji"} <= \
        {rec["label"] for rec in strings}
    assert not wrong, (f"{len(wrong)} of {len(answers)} str decodes wrong "
                       f"(CPython {meta['version']}):\n" + "\n".join(wrong[:20]))
