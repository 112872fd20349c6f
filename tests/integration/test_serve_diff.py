"""`GET /api/diff` with a view per side, the diff's node cut (min_share), the
view's focus on a pstats tree, and the call graph's node cap: the real
`spyglass serve` on a free loopback port, over a real socket.

Inputs are real: a Python program recorded now by `spyglass record` that runs
phase_a for the first half of its life and phase_b for the second (so two time
ranges of that one profile differ by exactly those functions), pstats files
written by cProfile now, and the collapsed-stack fixtures. The Server class is
test_serve.py's.
"""

import subprocess
import textwrap
import urllib.parse

import pytest

import harness
from test_serve import cprofile_pstats

PHASES = textwrap.dedent("""
    import sys, time

    def spin(until):
        n = 0
        while time.monotonic() < until:
            n += 1
        return n

    def phase_a(seconds):
        return spin(time.monotonic() + seconds)

    def phase_b(seconds):
        return spin(time.monotonic() + seconds)

    half = float(sys.argv[1])
    phase_a(half)
    phase_b(half)
""")


@pytest.fixture(scope="module")
def phases_file(spyglass, tmp_path_factory):
    """A recording of PHASES: phase_a, then phase_b, each about 1 s."""
    d = tmp_path_factory.mktemp("phases")
    script = d / "phases.py"
    script.write_text(PHASES)
    out = d / "phases.sgl"
    run = harness.run_spyglass(
        [spyglass, "record", "-o", str(out), "--", "/usr/bin/python3", "-B", str(script),
         str(harness.duration(1.0))], harness.timeout(60))
    assert run.returncode == 0, run.describe()
    return out


@pytest.fixture
def phases(server, phases_file):
    """(profile id, t_start, t_end) of the recording, uploaded."""
    pid = server.upload(phases_file, name="phases")["id"]
    info = server.get(f"/api/profiles/{pid}")
    return pid, info["t_start"], info["t_end"]


def rows(diff):
    """functions of a diff answer by qualname: {name: {column: value}}."""
    f = diff["functions"]
    cols = [c for c in f if c != "key"]
    return {k: {c: f[c][i] for c in cols} for i, k in enumerate(f["key"])}


def diff(server, **params):
    return server.get("/api/diff?" + urllib.parse.urlencode(params))


def error_of(server, path):
    status, _, body = server.request("GET", path)
    assert status == 400, (path, status, body)
    return body["error"]


def test_two_time_ranges_of_one_profile(server, phases):
    """The first part of the run against the last: phase_a is gone, phase_b new."""
    pid, t0, t1 = phases
    span = t1 - t0
    early, late = t0 + span * 4 // 10, t0 + span * 6 // 10
    d = diff(server, before=pid, after=pid, **{"before.t1": early, "after.t0": late})
    assert d["before"] == d["after"] == pid
    # each side's total is what the single-profile query gives for its range
    wb = server.get(f"/api/profiles/{pid}/functions?t1={early}")["total"]
    wa = server.get(f"/api/profiles/{pid}/functions?t0={late}")["total"]
    assert d["total"] == [wb, wa] and wb > 0 and wa > 0
    r = rows(d)
    a, b = r["phase_a"], r["phase_b"]
    assert a["total_after"] == 0 and a["total_before"] > 0.5 * wb, a
    assert b["total_before"] == 0 and b["total_after"] > 0.5 * wa, b
    assert a["delta_frac_total"] < -0.5 and b["delta_frac_total"] > 0.5
    # the two biggest changes of own time are spin's callers' … or spin itself
    # never: spin runs in both halves; the changed ones are the phases
    assert abs(r["spin"]["delta_frac_total"]) < 0.2
    # the merged tree: phase_a's node only before, phase_b's only after
    tree = d["tree"]
    nodes = {n: (bf, af) for n, bf, af in zip(tree["name"], tree["before"], tree["after"])}
    assert nodes["phase_a"][0] > 0 and nodes["phase_a"][1] == 0
    assert nodes["phase_b"][0] == 0 and nodes["phase_b"][1] > 0
    assert all(p < i for i, p in enumerate(tree["parent"]))
    # swapped sides: every delta changes sign
    s = rows(diff(server, before=pid, after=pid, **{"after.t1": early, "before.t0": late}))
    assert s["phase_a"]["delta_frac_total"] == pytest.approx(-a["delta_frac_total"])


def test_shared_and_per_side_parameters(server, phases):
    pid, t0, t1 = phases
    mid = (t0 + t1) // 2
    whole = server.get(f"/api/profiles/{pid}/functions")["total"]
    first = server.get(f"/api/profiles/{pid}/functions?t1={mid}")["total"]
    second = server.get(f"/api/profiles/{pid}/functions?t0={mid}")["total"]
    assert first + second == whole
    # no prefix: the range applies to both sides
    same = diff(server, before=pid, after=pid, t1=mid)
    assert same["total"] == [first, first]
    assert all(x == 0 for x in same["functions"]["delta_frac_self"])
    # a side's own value wins over the shared one; the other side keeps it
    d = diff(server, before=pid, after=pid, t1=mid, **{"after.t0": mid, "after.t1": t1 + 1})
    assert d["total"] == [first, second]
    # a shared non-time parameter still applies to both under per-side ranges
    info = server.get(f"/api/profiles/{pid}")
    main = info["threads"][0]["index"]
    d = diff(server, before=pid, after=pid, threads=main, **{"before.t1": mid, "after.t0": mid})
    assert d["total"] == [first, second]  # one thread recorded: the same samples


@pytest.mark.parametrize("param, value, needle", [
    ("before.t0", "abc", "before.t0"),
    ("after.t1", "-5", "after.t1"),
    ("after.threads", "99", "after.threads"),
    ("before.focus", "x", "before.focus"),
    ("before.exclude", "999999", "before.exclude"),
    ("after.hide", "(", "after.hide"),
    ("after.hide_kinds", "moon", "after.hide_kinds"),
    ("before.state", "asleep", "before.state"),
    ("after.collapse", "maybe", "after.collapse"),
    ("before.bogus", "1", "before.bogus"),
    ("after.limit", "3", "after.limit"),
])
def test_per_side_errors_name_the_parameter(server, phases, param, value, needle):
    pid, _, _ = phases
    path = "/api/diff?" + urllib.parse.urlencode({"before": pid, "after": pid, param: value})
    err = error_of(server, path)
    assert f"parameter {needle}:" in err, err


def test_per_side_range_order_names_both(server, phases):
    pid, t0, _ = phases
    err = error_of(server, f"/api/diff?before={pid}&after={pid}&t0={t0 + 10}&after.t1={t0 + 5}")
    assert "after.t1" in err and "t0" in err, err
    err = error_of(server, f"/api/diff?before={pid}&after={pid}&min_share=2")
    assert "min_share" in err, err


def test_min_share_keeps_the_answer(server, phases, spyglass, tmp_path):
    """The default cut (one pixel of width) answers exactly what the full
    diff answers; a coarser cut keeps the top of the same tree."""
    pid, t0, t1 = phases
    mid = (t0 + t1) // 2
    other = server.upload(harness.REPO / "tests" / "fixtures" / "collapsed" / "pyspy_threads.txt")["id"]
    for params in ({"before": pid, "after": pid, "before.t1": mid, "after.t0": mid},
                   {"before": other, "after": pid},
                   {"before": pid, "after": pid, "width": 50}):
        cut = diff(server, **params)
        full = diff(server, min_share=0, **params)
        assert cut.pop("min_share") == pytest.approx(1 / params.get("width", 1600))
        assert full.pop("min_share") == 0
        assert cut == full, params
    coarse = diff(server, before=pid, after=pid, min_share=0.2, **{"before.t1": mid, "after.t0": mid})
    full = diff(server, before=pid, after=pid, min_share=0, **{"before.t1": mid, "after.t0": mid})
    assert coarse["functions"] == full["functions"]
    ct, ft = coarse["tree"], full["tree"]
    assert 0 < len(ct["name"]) < len(ft["name"])
    # every node kept by the coarse cut is a node of the full tree with the same numbers
    full_nodes = set(zip(ft["name"], ft["file"], ft["before"], ft["after"]))
    assert set(zip(ct["name"], ct["file"], ct["before"], ct["after"])) <= full_nodes
    wb, wa = full["total"]
    assert all(b >= 0.2 * wb or a >= 0.2 * wa for b, a in zip(ct["before"], ct["after"]))


def test_pstats_focus_shows_the_callees(server, tmp_path):
    f = cprofile_pstats(tmp_path)  # mid() calls leaf() 50 times
    pid = server.upload(f)["id"]
    fn = server.get(f"/api/profiles/{pid}/functions?limit=0")
    frame = {fn["frames"][str(fr)][0]: fr for fr in fn["rows"]["frame"]}
    total = {k: t for k, t in zip(fn["rows"]["key"], fn["rows"]["total"])}
    whole = server.get(f"/api/profiles/{pid}/tree")
    assert whole["derived_from"] == "edges" and "no stacks" in whole["note"]
    t = server.get(f"/api/profiles/{pid}/tree?focus={frame['mid']}")
    assert t["approximate"] is True and t["derived_from"] == "edges"
    n = t["nodes"]
    names = [t["frames"][str(fr)][0] if fr >= 0 else fr for fr in n["frame"]]
    assert names[0] == -1 and names[1] == "mid" and n["parent"][1] == 0
    assert -2 not in n["frame"][:2]  # not "other"
    assert t["total"] == n["total"][1] == total["mid"]
    assert all(p >= 1 for p in n["parent"][2:])  # all of it under mid
    assert "leaf" in names  # a callee (through a <listcomp> frame before 3.12)
    leaf = names.index("leaf")
    assert 0 < n["total"][leaf] <= total["mid"]
    # only mid's line calls leaf: the edges give leaf's whole time (rounding aside)
    assert n["total"][leaf] == pytest.approx(total["leaf"], rel=1e-6)
    # the callers' side: inverted focus roots at mid, whose caller is <module>
    inv = server.get(f"/api/profiles/{pid}/tree?focus={frame['mid']}&inverted=1")
    assert inv["nodes"]["frame"][1] == frame["mid"] and len(inv["nodes"]["frame"]) > 2
    # a sampled profile's tree says it is made of stacks
    other = server.upload(harness.REPO / "tests" / "fixtures" / "collapsed" / "pyspy_threads.txt")["id"]
    assert server.get(f"/api/profiles/{other}/tree")["derived_from"] == "stacks"


def test_pstats_focus_on_a_bigger_program(server, tmp_path):
    """cProfile of real stdlib work (json, re): focus on json.dumps gives its
    callee subtree from the edges, every node under the focus root."""
    out = tmp_path / "json.pstats"
    code = ("import cProfile, json, re\n"
            "def work():\n"
            "    for i in range(300):\n"
            "        s = json.dumps({'a': [i, str(i), {'b': i * 2}]}, indent=1)\n"
            "        json.loads(s)\n"
            "        re.findall(r'\\d+', s)\n"
            "cProfile.run('work()', %r)\n" % str(out))
    subprocess.run(["/usr/bin/python3", "-c", code], check=True, timeout=harness.timeout(60))
    pid = server.upload(out)["id"]
    fn = server.get(f"/api/profiles/{pid}/functions?limit=0")
    dumps = [fr for fr, k in zip(fn["rows"]["frame"], fn["rows"]["key"]) if k == "dumps"]
    assert dumps, fn["rows"]["key"]
    t = server.get(f"/api/profiles/{pid}/tree?focus={dumps[0]}")
    n = t["nodes"]
    assert n["frame"][1] == dumps[0] and len(n["frame"]) > 3
    assert all(p >= 1 for p in n["parent"][2:])  # everything hangs under dumps
    assert all(n["total"][i] <= n["total"][p] for i, p in enumerate(n["parent"]) if p >= 0)


def test_callgraph_max_nodes(server, tmp_path):
    out = tmp_path / "json.pstats"
    code = ("import cProfile, json\n"
            "cProfile.run('for i in range(200): json.loads(json.dumps([i, {\"k\": str(i)}]))', %r)\n"
            % str(out))
    subprocess.run(["/usr/bin/python3", "-c", code], check=True, timeout=harness.timeout(60))
    pid = server.upload(out)["id"]
    base = f"/api/profiles/{pid}/callgraph?node_fraction=0&edge_fraction=0"
    full = server.get(base + "&max_nodes=0")
    n = len(full["nodes"]["frame"])
    assert n > 6 and full["capped_nodes"] == 0
    default = server.get(base)
    assert default["max_nodes"] == 200
    for cap in (1, 3, 5):
        g = server.get(f"{base}&max_nodes={cap}")
        assert g["nodes"]["frame"] == full["nodes"]["frame"][:cap]
        assert g["capped_nodes"] == n - cap
        kept = [(full["nodes"]["frame"][c], full["nodes"]["frame"][e], w)
                for c, e, w in zip(full["edges"]["caller"], full["edges"]["callee"],
                                   full["edges"]["weight"]) if c < cap and e < cap]
        got = [(g["nodes"]["frame"][c], g["nodes"]["frame"][e], w)
               for c, e, w in zip(g["edges"]["caller"], g["edges"]["callee"], g["edges"]["weight"])]
        assert got == kept
        assert g["capped_edges"] == len(full["edges"]["caller"]) - len(kept)
        assert g["dropped_nodes"] == full["dropped_nodes"] + n - cap
    # the focus function stays even when it is not among the heaviest
    light = full["nodes"]["frame"][max(full["edges"]["callee"])]  # lightest with a caller
    assert light not in full["nodes"]["frame"][:2]
    g = server.get(f"{base}&max_nodes=2&focus={light}&levels=100")
    assert light in g["nodes"]["frame"] and len(g["nodes"]["frame"]) == 2
    assert "max_nodes" in error_of(server, base + "&max_nodes=x")
