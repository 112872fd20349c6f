"""Writes pstats_shapes.pstats: a small pstats dict with every shape the
importer must handle beside plain cProfile output (run with any Python 3:
`python3 make_pstats_shapes.py`). Read by tests/unit/profile/test_pstats_reference.c.

- one callers dict shared by two functions (marshal writes it once, then
  refers to it);
- a caller named twice in one callers dict, as str and as bytes file name
  (the same frame: the last value wins, in the place of the first), in the
  callers of x (f's own callers dict is dropped: fb's value wins);
- a function key given twice the same way at the top level (last wins);
- a recursive edge, a caller that is not a key of the file, a bare call
  count (the profile module), an old 8-tuple (two 4-tuples run together),
  and CPython's sampled marker key.
"""
import marshal

f = ("a.py", 1, "f")
fb = (b"a.py", 1, "f")
g = ("a.py", 5, "g")
h = ("b.py", 9, "h")
x = ("c.py", 2, "ext")
shared = {g: (2, 2, 0.001, 0.002), x: 3}
stats = {
    f: (3, 4, 0.01, 0.05, {g: (1, 1, 0.002, 0.003), fb: (2, 2, 0.001, 0.004), f: (1, 1, 0.0001, 0.0001)}),
    g: (2, 2, 0.002, 0.01, shared),
    h: (1, 1, 0.5, 0.6, shared),
    x: (7, 7, 0.0, 0.0, {h: (1, 1, 0.1, 0.1, 2, 2, 0.2, 0.3), f: 4, g: 1, fb: (1, 1, 0.0, 0.0)}),
    fb: (9, 9, 0.02, 0.03, {h: (5, 5, 1.0, 1.0), g: (1, 1, 0.0, 0.0)}),
    ("__sampled__",): True,
}
with open("pstats_shapes.pstats", "wb") as out:
    out.write(marshal.dumps(stats))
