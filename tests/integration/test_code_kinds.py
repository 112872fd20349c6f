"""test_code_kinds.py — what the code cache (src/collect/code_cache.c) says of
real code objects of a live process, against what the target says of them.

The sampler refuses a stack whose oldest frame runs a generator's,
coroutine's or async generator's code: such code always runs on behalf of a
caller, so a chain that ends there was cut by a torn read (see "Where a chain
may end" in src/collect/stack_walk.c). That rests on the cache reading each
code object's co_flags at the offset our layout tables give. For every
CPython 3.9–3.13 the conftest finds, a target prints the addresses of code
objects of each kind and waits; sg-code-kinds (the driver in
tests/unit/collect/code_kinds_main.c, next to the spyglass binary) looks
each one up through the cache and prints its kind and name.
"""

import json
import subprocess

import harness

TARGET = r'''
import json, sys, time

def plain():
    return 1

def squares(n):
    for i in range(n):
        yield i * i

async def coroutine():
    return 1

async def async_squares(n):
    for i in range(n):
        yield i * i

class Box:
    def method(self):
        return [x for x in range(3)]

    def gen_method(self):
        yield from squares(3)

codes = {
    "plain": plain.__code__,
    "squares": squares.__code__,
    "coroutine": coroutine.__code__,
    "async_squares": async_squares.__code__,
    "method": Box.method.__code__,
    "gen_method": Box.gen_method.__code__,
    "lambda": (lambda: 0).__code__,
    "genexpr": (x for x in ()).gi_code,
}
print("READY " + json.dumps({name: id(code) for name, code in codes.items()}), flush=True)
time.sleep(120)
'''

KINDS = {
    "plain": "function",
    "squares": "generator",
    "coroutine": "generator",
    "async_squares": "generator",
    "method": "function",
    "gen_method": "generator",
    "lambda": "function",
    "genexpr": "generator",
}


def test_code_kinds(spawn, python, tmp_path):
    script = tmp_path / "code_kinds_target.py"
    script.write_text(TARGET, encoding="utf-8")
    target = spawn([python.path, "-E", "-s", "-B", str(script)])
    addrs = target.wait_ready()
    driver = harness.spyglass_path().parent / "sg-code-kinds"
    assert driver.is_file(), f"{driver} not found: build it (`make`) or set SPYGLASS"
    names = list(addrs)
    run = subprocess.run([str(driver), str(target.pid), *(str(addrs[n]) for n in names)],
                         capture_output=True, text=True, timeout=harness.timeout(60))
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == len(names), run.stdout
    got = {}
    for name, line in zip(names, lines):
        addr, kind, qualname = line.split(" ", 2)
        assert addr == str(addrs[name]), line
        got[name] = kind
        # 3.11+ qualified names (Box.method, <lambda>, <genexpr>); plain before.
        assert qualname.split(".")[-1] == {"lambda": "<lambda>", "genexpr": "<genexpr>"}.get(
            name, name), line
    assert got == KINDS, json.dumps({"measured": got, "expected": KINDS}, indent=1)
