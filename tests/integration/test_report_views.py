"""`spyglass report`'s views beyond the table, on real recordings, per interpreter.

The call tree (top-down and inverted) holds the target's known stacks with
their shares; callers and callees of a function; the view options (focus,
exclude, hide, time range, states, threads, collapse) change what is counted
the way they say; several files merge; --diff of a file with itself changes
nothing and of two programs shows what came and went; bad options are errors
that name the option.
"""

import json
import subprocess

import pytest

import harness
from harness import TargetFile, run_spyglass
from test_report_convert import spyglass_ok, stacks_sgl, threads_sgl  # noqa: F401 (fixtures)

STACKS = TargetFile("stacks.py")
THREADS = TargetFile("threads.py")


def report_json(spyglass, path, *options):
    result = spyglass_ok(spyglass, "report", path, "--json", "--limit", "0", *options)
    return json.loads(result.stdout)


def spyglass_fails(spyglass, *argv):
    result = run_spyglass([spyglass, *argv], harness.timeout(60))
    assert result.returncode == 2 or result.returncode == 1, result.describe()
    assert result.stdout == "" or "Traceback" not in result.stdout
    return result.stderr


def path_of(nodes, index):
    """The functions from the root's child down to nodes[index]."""
    names = []
    while nodes[index]["parent"] >= 0:
        names.append(nodes[index]["function"])
        index = nodes[index]["parent"]
    return names[::-1]


def node_by_path(nodes, path):
    return next(n for i, n in enumerate(nodes) if path_of(nodes, i) == path)


def test_tree_holds_the_known_stacks(spyglass, python, stacks_sgl):
    tree = report_json(spyglass, stacks_sgl, "--tree", "--min", "0")
    nodes = tree["nodes"]
    assert nodes[0]["function"] == "(all)" and nodes[0]["total"] == tree["total"]
    b, leaf_deep = python.qualname("Box.b"), python.qualname("leaf_deep")
    deep = node_by_path(nodes, ["<module>", "main", "a", b, "c", leaf_deep])
    shallow = node_by_path(nodes, ["<module>", "main", "a", python.qualname("leaf_shallow")])
    a = node_by_path(nodes, ["<module>", "main", "a"])
    assert deep["self"] > shallow["self"] > 0
    assert a["total"] >= deep["total"] + shallow["total"]
    # every node's total is its self plus its children's totals
    children = {}
    for i, n in enumerate(nodes):
        children.setdefault(n["parent"], []).append(n)
    for i, n in enumerate(nodes):
        assert n["total"] == n["self"] + sum(c["total"] for c in children.get(i, [])), n
    # the table's numbers agree with the tree's
    table = {(r["file"], r["function"]): r for r in report_json(spyglass, stacks_sgl)["rows"]}
    assert table[(STACKS.path, leaf_deep)]["self"] == deep["self"]

    text = spyglass_ok(spyglass, "report", stacks_sgl, "--tree", "--depth", "3").stdout
    assert "call tree, top-down" in text and "    main  " in text
    assert leaf_deep not in text  # deeper than 3 levels


def test_inverted_tree_starts_at_the_hot_functions(spyglass, python, stacks_sgl):
    tree = report_json(spyglass, stacks_sgl, "--inverted", "--min", "0")
    assert tree["view"] == "inverted"
    nodes = tree["nodes"]
    first = nodes[1]  # the heaviest child of the root comes first
    assert first["function"] == python.qualname("leaf_deep")
    caller = node_by_path(nodes, [python.qualname("leaf_deep"), "c"])
    assert caller["total"] == first["total"]
    # --min between the two leaves' shares (about a third and two thirds;
    # measured, not assumed: a loaded or sanitized run moves the split):
    # leaf_shallow folds into an "other" node, leaf_deep stays
    shallow = node_by_path(nodes, [python.qualname("leaf_shallow")])
    deep_pct, shallow_pct = (100 * n["total"] / tree["total"] for n in (first, shallow))
    assert deep_pct > shallow_pct + 2, (deep_pct, shallow_pct)
    threshold = f"{(deep_pct + shallow_pct) / 2:.1f}"
    folded = report_json(spyglass, stacks_sgl, "--inverted", "--min", threshold)["nodes"]
    names = {n["function"] for n in folded}
    assert python.qualname("leaf_shallow") not in names and python.qualname("leaf_deep") in names
    assert any(n["function"] == "(other)" for n in folded)


def test_callers_and_callees(spyglass, python, stacks_sgl):
    b = report_json(spyglass, stacks_sgl, "--callers", "c")
    assert b["view"] == "callers" and b["function"] == "c" and b["file"] == STACKS.path
    assert [e["function"] for e in b["callers"]] == [python.qualname("Box.b")]
    assert [e["function"] for e in b["callees"]] == [python.qualname("leaf_deep")]
    assert b["callers"][0]["weight"] == b["total"] > 0
    text = spyglass_ok(spyglass, "report", stacks_sgl, "--callers", "c@stacks.py").stdout
    assert text.startswith("callers of c") and "callees:" in text


def test_focus_exclude_hide(spyglass, python, stacks_sgl):
    whole = report_json(spyglass, stacks_sgl)
    rows = {r["function"]: r for r in whole["rows"] if r["file"] == STACKS.path}
    focus = report_json(spyglass, stacks_sgl, "--focus", "c")
    assert focus["total"] == rows["c"]["total"]
    assert {r["function"] for r in focus["rows"]} == {"c", python.qualname("leaf_deep")}
    assert focus["stacks"][0]["frames"][0]["function"] == "c"  # rooted at the focus

    excluded = report_json(spyglass, stacks_sgl, "--exclude", "c")
    assert excluded["total"] == whole["total"] - rows["c"]["total"]
    assert "c" not in {r["function"] for r in excluded["rows"] if r["file"] == STACKS.path}

    hidden = report_json(spyglass, stacks_sgl, "--hide", r"^(main|a) ", "--stacks", "1")
    assert hidden["total"] == whole["total"]  # hiding keeps every sample
    names = [f["function"] for f in hidden["stacks"][0]["frames"]]
    assert "main" not in names and "a" not in names and names[0] == "<module>"

    no_stdlib = report_json(spyglass, stacks_sgl, "--hide-kind", "stdlib,builtin")
    assert all(r["package_kind"] not in ("stdlib", "built-in") or r["self"] > 0
               for r in no_stdlib["rows"])


def test_time_range(spyglass, stacks_sgl):
    whole = report_json(spyglass, stacks_sgl)
    first = report_json(spyglass, stacks_sgl, "--to", "0.5")
    rest = report_json(spyglass, stacks_sgl, "--from", "0.5")
    assert first["samples"] + rest["samples"] == whole["samples"]
    assert 0 < first["samples"] < whole["samples"]


def test_states_and_threads(spyglass, threads_sgl):
    whole = report_json(spyglass, threads_sgl)
    on_cpu = report_json(spyglass, threads_sgl, "--state", "on-cpu")
    names = {r["function"] for r in on_cpu["rows"] if r["self"] > 0.2 * on_cpu["total"]}
    assert "spin" in names and "nap" not in names
    assert on_cpu["samples"] < whole["samples"]
    sleeper = report_json(spyglass, threads_sgl, "--thread", "worker-sleep", "--tree",
                          "--min", "0")
    assert {n["function"] for n in sleeper["nodes"]} >= {"nap"}
    assert "spin" not in {n["function"] for n in sleeper["nodes"]}


def test_merge_and_diff(spyglass, python, stacks_sgl, threads_sgl):
    one = report_json(spyglass, stacks_sgl)
    two = report_json(spyglass, threads_sgl)
    merged = report_json(spyglass, stacks_sgl, threads_sgl)
    assert merged["samples"] == one["samples"] + two["samples"]
    assert len(merged["threads"]) == len(one["threads"]) + len(two["threads"])

    same = report_json(spyglass, stacks_sgl, "--diff", stacks_sgl)
    assert same["view"] == "diff" and same["rows"]
    assert all(r["delta_self_pp"] == 0 and r["delta_total_pp"] == 0 for r in same["rows"])

    changed = report_json(spyglass, stacks_sgl, "--diff", threads_sgl)
    came = {r["function"]: r for r in changed["rows"]}
    assert came[python.qualname("leaf_deep")]["delta_self_pp"] > 30
    assert came["spin"]["delta_self_pp"] < -10
    text = spyglass_ok(spyglass, "report", stacks_sgl, "--diff", threads_sgl, "--limit",
                       "3").stdout
    assert "diff, per function" in text and text.count("\n") == 6


def test_pstats_tree_says_use_callers(spyglass, python, tmp_path):
    prof = tmp_path / "out.prof"
    script = tmp_path / "w.py"
    script.write_text("def c(n):\n    return sum(range(n))\n"
                      "def b():\n    for _ in range(200):\n        c(1000)\nb()\n")
    subprocess.run([python.path, "-E", "-s", "-B", "-m", "cProfile", "-o", str(prof),
                    str(script)], check=True, timeout=harness.timeout(60))
    err = spyglass_fails(spyglass, "report", prof, "--tree")
    assert "no call stacks" in err and "--callers" in err
    b = report_json(spyglass, prof, "--callers", "c")
    assert b["pstats"] is True
    assert [e["function"] for e in b["callers"]] == ["b"] and b["callers"][0]["calls"] == 200


@pytest.mark.parametrize("options, message", [
    (["--focus", "no_such_function"], "--focus: no function 'no_such_function'"),
    (["--callers", "nope@stacks.py"], "--callers: no function 'nope@stacks.py'"),
    (["--state", "running"], "--state takes on-cpu, gil or active"),
    (["--hide", "(unclosed"], "--hide '(unclosed' is not a regular expression"),
    (["--hide-kind", "vendor"], "--hide-kind takes own, stdlib, site, builtin or other"),
    (["--from", "2", "--to", "1"], "--to (1 s) must be after --from (2 s)"),
    (["--from", "soon"], "--from takes seconds"),
    (["--tree", "--callers", "c"], "separate views: pick one"),
    (["--min", "150", "--tree"], "--min takes a percentage"),
    (["--thread", "nobody"], "no thread 'nobody'"),
])
def test_errors_name_the_option(spyglass, stacks_sgl, options, message):
    assert message in spyglass_fails(spyglass, "report", stacks_sgl, *options)
