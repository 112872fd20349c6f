"""Code objects that die as soon as they finish: each round compiles a fresh
module body (with a function in it), runs it once in a fresh dict and drops
both. The next round's objects land where the last ones were: the code
objects at the same addresses (often swapped), the dict too.

  <module> -> main -> <module> (<fresh>) -> work (<fresh>)

A sampler that names a frame's code from memory the code no longer owns says
wrong things here: a <fresh> body called `work`, line 0, names of other
objects. `fresh_code.py --lines` prints, as JSON, the lines each <fresh> code
object may be at, as this interpreter compiled them.
Usage: fresh_code.py [SECONDS=1] | fresh_code.py --lines
"""

import json
import sys
import time

from _target import arg

SOURCE = """
def work(n):
    total = 0
    for i in range(n):
        total += i * i
    return total

result = work(3000)
"""


def code_lines(code):
    """Every line an instruction of `code` maps to, and its first line."""
    if hasattr(code, "co_lines"):
        lines = {line for _, _, line in code.co_lines() if line is not None}
    else:
        import dis
        lines = {line for _, line in dis.findlinestarts(code)}
    return sorted(lines | {code.co_firstlineno})


def main():
    deadline = time.monotonic() + arg(1, 1.0)
    while time.monotonic() < deadline:
        exec(compile(SOURCE, "<fresh>", "exec"), {})  # @line:main_execs


if __name__ == "__main__":
    if sys.argv[1:] == ["--lines"]:
        body = compile(SOURCE, "<fresh>", "exec")
        work = next(c for c in body.co_consts if hasattr(c, "co_code"))
        print(json.dumps({"<module>": code_lines(body), "work": code_lines(work)}))
    else:
        main()  # @line:module_calls_main
