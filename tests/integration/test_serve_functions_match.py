"""`GET /api/profiles/{id}/functions?match=REGEX` (and `mark=1`): the function
table's regex filter answered by the real `spyglass serve` over a real socket.

Inputs are real: a pstats written by cProfile now from a program of 240
functions spread over 6 modules (so names and files both vary), and a
recording made now by `spyglass record`. The oracle is Python's `re` with
IGNORECASE applied to the server's own unfiltered answer: a row matches when
its frame's "qualname (file)" or its key does (the viewer's rule), for
patterns whose meaning is the same in PCRE2, JavaScript and Python.
"""

import json
import re
import subprocess
import textwrap
import time
import urllib.parse

import pytest

import harness
from test_serve import recording

MODULES = 6
PER_MODULE = 40


@pytest.fixture(scope="module")
def many_functions_pstats(tmp_path_factory):
    """A cProfile pstats of MODULES modules x PER_MODULE functions, plus one
    function with a long name for the backtracking test."""
    d = tmp_path_factory.mktemp("many")
    calls = []
    for m in range(MODULES):
        body = []
        for i in range(PER_MODULE):
            kind = ("parse", "render", "Encode")[i % 3]
            body.append(f"def {kind}_item_{m}_{i}(n):\n    return sum(range(n * {i + 1}))\n")
        if m == 0:
            body.append("def a_rather_long_function_name_to_backtrack_over(n):\n"
                        "    return n + 1\n")
        (d / f"pkgmod{m}.py").write_text("\n".join(body))
        calls.append(f"import pkgmod{m}")
        for i in range(PER_MODULE):
            kind = ("parse", "render", "Encode")[i % 3]
            calls.append(f"pkgmod{m}.{kind}_item_{m}_{i}(200)")
    calls.append("pkgmod0.a_rather_long_function_name_to_backtrack_over(1)")
    main = d / "main.py"
    main.write_text("def main():\n" + textwrap.indent("\n".join(calls), "    ") + "\n")
    out = d / "many.pstats"
    code = ("import cProfile, sys\n"
            f"sys.path.insert(0, {str(d)!r})\n"
            "import main\n"
            f"cProfile.run('main.main()', {str(out)!r})\n")
    subprocess.run(["/usr/bin/python3", "-c", code], check=True, timeout=harness.timeout(60))
    return out


@pytest.fixture
def pstats_id(server, many_functions_pstats):
    return server.upload(many_functions_pstats, name="many")["id"]


def functions(server, pid, **params):
    return server.get(f"/api/profiles/{pid}/functions?" + urllib.parse.urlencode(params))


def bad(server, pid, **params):
    status, headers, body = server.request(
        "GET", f"/api/profiles/{pid}/functions?" + urllib.parse.urlencode(params))
    assert status == 400, (status, body)
    assert headers["Content-Type"].startswith("application/json")
    return body["error"]


def oracle(answer, pattern):
    """Keys of the rows of an unfiltered answer that `pattern` matches."""
    rx = re.compile(pattern, re.IGNORECASE)
    keep = []
    for key, frame in zip(answer["rows"]["key"], answer["rows"]["frame"]):
        texts = [key]
        if frame >= 0:
            qual, file = answer["frames"][str(frame)][:2]
            texts.insert(0, f"{qual} ({file})" if file else qual)
        if any(rx.search(t) for t in texts):
            keep.append(key)
    return keep


PATTERNS = [
    r"^parse_item_[0-2]_",        # by name, anchored
    r"encode_ITEM_\d+_1\d$",      # case-insensitive, digits, end anchor
    r"pkgmod[35]\.py\)$",         # by file: the "(file)" part of the subject
    r"render|encode",             # alternation
    r"^(?!parse).*_item_4_",      # look-ahead
    r"~",                         # built-ins (file "~")
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_match_keeps_exactly_the_matching_rows(server, pstats_id, pattern):
    everything = functions(server, pstats_id, limit=0)
    want = oracle(everything, pattern)
    assert want, f"the pattern {pattern} should match some rows"
    got = functions(server, pstats_id, match=pattern, limit=0)
    # the server's order (self, descending) is kept: a subsequence of the whole
    assert got["rows"]["key"] == want
    assert got["count"] == len(want)
    assert got["unfiltered"] == everything["count"] == len(everything["rows"]["key"])
    assert set(got["frames"]) == {str(f) for f in got["rows"]["frame"]}
    # numbers are the rows' own
    whole = dict(zip(everything["rows"]["frame"], everything["rows"]["self"]))
    assert all(whole[f] == s for f, s in zip(got["rows"]["frame"], got["rows"]["self"]))


def test_match_pages_sorts_and_combines_with_filter(server, pstats_id):
    pattern = r"_item_[1-4]_"
    full = functions(server, pstats_id, match=pattern, sort="name", limit=0)["rows"]["key"]
    assert full == sorted(full) and len(full) == 4 * PER_MODULE
    page = functions(server, pstats_id, match=pattern, sort="name", offset=7, limit=9)
    assert page["rows"]["key"] == full[7:16]
    assert page["count"] == len(full) and page["offset"] == 7
    both = functions(server, pstats_id, match=pattern, filter="RENDER", limit=0)
    assert sorted(both["rows"]["key"]) == sorted(k for k in full if "render" in k)
    # by file: a file row's key is its path
    files = functions(server, pstats_id, by="file", match=r"pkgmod[0-2]\.py$", limit=0)
    assert len(files["rows"]["key"]) == 3 and files["unfiltered"] > 3
    assert all(re.search(r"pkgmod[0-2]\.py$", k) for k in files["rows"]["key"])
    # an empty pattern filters nothing
    assert functions(server, pstats_id, match="", limit=1)["count"] == files_count(server, pstats_id)


def files_count(server, pid):
    return functions(server, pid, limit=1)["unfiltered"]


def test_mark_keeps_every_row_and_flags_the_matches(server, pstats_id):
    pattern = r"^render_item_"
    everything = functions(server, pstats_id, limit=0)
    want = set(oracle(everything, pattern))
    marked = functions(server, pstats_id, match=pattern, mark=1, limit=0)
    assert marked["rows"]["key"] == everything["rows"]["key"]
    assert marked["count"] == marked["unfiltered"] == everything["count"]
    assert marked["matched"] == len(want)
    flags = dict(zip(marked["rows"]["key"], marked["rows"]["match"]))
    assert {k for k, m in flags.items() if m == 1} == want
    assert set(flags.values()) == {0, 1}
    page = functions(server, pstats_id, match=pattern, mark=1, offset=5, limit=10)
    assert page["rows"]["match"] == marked["rows"]["match"][5:15]
    # mark without a filter: every row matches
    plain = functions(server, pstats_id, mark=1, limit=3)
    assert plain["rows"]["match"] == [1, 1, 1] and plain["matched"] == plain["count"]
    # without mark, no match column (answers for existing parameters unchanged)
    assert "match" not in functions(server, pstats_id, limit=3)["rows"]


def test_bad_patterns_are_400_naming_the_parameter(server, pstats_id):
    err = bad(server, pstats_id, match="parse_(item")
    assert err == ("parameter match: not a valid regular expression: "
                   "missing closing parenthesis at offset 11")
    err = bad(server, pstats_id, match="x{3,1}")
    assert err.startswith("parameter match: not a valid regular expression: ")
    assert "offset 5" in err
    err = bad(server, pstats_id, match="a" * 1001)
    assert err == "parameter match: the pattern is 1001 bytes long; at most 1000 are allowed"
    assert "parameter mark" in bad(server, pstats_id, match="x", mark="maybe")


def test_catastrophic_pattern_is_stopped_and_the_server_carries_on(server, pstats_id):
    t = time.monotonic()
    err = bad(server, pstats_id, match=r"^(\w+\s?)*$")
    assert time.monotonic() - t < harness.timeout(5)
    assert err == "parameter match: the pattern is too costly to match (match limit exceeded)"
    assert functions(server, pstats_id, match="long_function", limit=0)["rows"]["key"] == [
        "a_rather_long_function_name_to_backtrack_over"]


def test_match_on_a_recording_by_function_and_line(spyglass, server, tmp_path):
    f = recording(spyglass, tmp_path, 1.0)
    pid = server.upload(f)["id"]
    everything = functions(server, pid, limit=0)
    for pattern in (r"^leaf_", r"\.py\)$", r"^(?:leaf|mid)"):
        got = functions(server, pid, match=pattern, limit=0)
        assert got["rows"]["key"] == oracle(everything, pattern), pattern
    lines_all = functions(server, pid, by="line", limit=0)
    lines = functions(server, pid, by="line", match=r"^leaf_deep ", limit=0)
    assert lines["rows"]["key"] and lines["rows"]["key"] == oracle(lines_all, r"^leaf_deep ")
    # a line row's frame is the function: "qualname (file)" decides
    assert all(json.dumps(k).count(":") >= 1 for k in lines["rows"]["key"])


def test_pages_agree_with_the_whole_answer_for_every_order_and_filter(server, pstats_id):
    """The server keeps each table's order (filtered, sorted) for its pages:
    every page, in any order of requests, is the slice of the whole answer,
    and neighbouring questions (another sort, order, filter, mark) never get
    each other's order."""
    asks = [dict(), dict(sort="name"), dict(sort="name", order="desc"), dict(sort="total", order="asc"),
            dict(match="^parse_"), dict(match="^render_"), dict(filter="parse"),
            dict(match="^parse_", mark=1), dict(match="^parse_", by="file"),
            dict(match="^parse_", sort="name")]
    for ask in asks:
        whole = functions(server, pstats_id, limit=0, **ask)
        for offset in (37, 0, 11):
            page = functions(server, pstats_id, offset=offset, limit=13, **ask)
            assert page["rows"]["key"] == whole["rows"]["key"][offset:offset + 13], (ask, offset)
            assert page["rows"]["self"] == whole["rows"]["self"][offset:offset + 13], (ask, offset)
            assert page["count"] == whole["count"] and page["unfiltered"] == whole["unfiltered"]
            if "mark" in ask:
                assert page["rows"]["match"] == whole["rows"]["match"][offset:offset + 13]


def text_oracle(answer, text):
    """Keys of the rows of an unfiltered answer that the text filter keeps:
    a case-insensitive substring of what the row shows (its key, and for a
    row with a frame, the function's qualname and file)."""
    needle = text.lower()
    keep = []
    for key, frame in zip(answer["rows"]["key"], answer["rows"]["frame"]):
        texts = [key]
        if frame >= 0:
            texts += answer["frames"][str(frame)][:2]
        if any(needle in t.lower() for t in texts):
            keep.append(key)
    return keep


@pytest.mark.parametrize("by", ["line", "function"])
def test_text_filter_matches_what_the_row_shows(server, pstats_id, by):
    """A line row shows "file:line" and belongs to a function: the text
    filter finds it by the function's name too, as it finds the function's
    row, and by file or "file:line"."""
    everything = functions(server, pstats_id, by=by, limit=0)
    for text in ("PARSE_item_1_", "render_item_2_7", "pkgmod3.py", "pkgmod4.py:", "nothing-like-this"):
        got = functions(server, pstats_id, by=by, filter=text, limit=0)
        want = text_oracle(everything, text)
        assert got["rows"]["key"] == want, (by, text)
        assert got["count"] == len(want) and got["unfiltered"] == everything["count"]
    # The same function text keeps the same functions whichever the grouping.
    by_fn = functions(server, pstats_id, by="function", filter="encode_item_5_", limit=0)
    by_line = functions(server, pstats_id, by="line", filter="encode_item_5_", limit=0)
    assert by_fn["count"] > 0
    assert sorted(set(by_line["rows"]["frame"])) == sorted(set(by_fn["rows"]["frame"]))
