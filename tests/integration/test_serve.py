"""`spyglass serve`, `view`, `upload` and `record --upload`: the real binary on a
free loopback port, spoken to over a real socket with http.client.

Every upload is a real file: the fixtures of tests/fixtures (collapsed stacks,
austin, speedscope, Chrome trace), pprof and pstats seeds of tests/fuzz/corpus,
a pstats written by cProfile now, and a fresh recording. Query numbers are
checked against `spyglass report --json` on the same file, or against totals
the fixture itself states.

The Server class (used by test_serve_load.py too) starts `spyglass serve
--port 0`, reads the port from its first stderr line, and kills the process
group at the end.
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

import harness

REPO = harness.REPO
FIXTURES = REPO / "tests" / "fixtures"
CORPUS = REPO / "tests" / "fuzz" / "corpus"


class Server:
    """A running `spyglass serve` on a free port (or the given one)."""

    def __init__(self, spyglass, data, *extra, port=0, expect_fail=False):
        self.data = Path(data)
        self.argv = [spyglass, "serve", "--data", str(self.data), "--port", str(port), *extra]
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self.err,
                                     start_new_session=True)
        self.port = None
        self.host = "127.0.0.1"
        if expect_fail:
            return
        deadline = time.monotonic() + harness.timeout(20)
        while time.monotonic() < deadline and self.port is None:
            assert self.proc.poll() is None, f"server exited: {self.stderr()}"
            for line in self.stderr().splitlines():
                if " on http://" in line:
                    hostport = line.split(" on http://", 1)[1].split("/", 1)[0]
                    self.port = int(hostport.rsplit(":", 1)[1])
            time.sleep(0.02)
        assert self.port, f"no port announced: {self.stderr()}"

    def stderr(self):
        self.err.seek(0)
        return self.err.read().decode(errors="replace")

    def request(self, method, path, body=None, headers=None, timeout=None):
        """(status, headers, parsed JSON or bytes)."""
        conn = http.client.HTTPConnection(self.host, self.port,
                                          timeout=timeout or harness.timeout(60))
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            ctype = resp.getheader("Content-Type") or ""
            if ctype.startswith("application/json"):
                data = json.loads(data)
            return resp.status, dict(resp.getheaders()), data
        finally:
            conn.close()

    def get(self, path, **kw):
        status, _, data = self.request("GET", path, **kw)
        assert status == 200, f"GET {path} -> {status}: {data}"
        return data

    def upload(self, path_or_bytes, name=None, tags=None, token=None, expect=201):
        body = Path(path_or_bytes).read_bytes() if isinstance(path_or_bytes, (str, Path)) \
            else path_or_bytes
        q = {}
        if name:
            q["name"] = name
        if tags:
            q["tags"] = tags
        headers = {"Content-Type": "application/octet-stream"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        status, _, data = self.request("POST", "/api/profiles?" + urllib.parse.urlencode(q),
                                       body=body, headers=headers)
        assert status == expect, f"upload -> {status}: {data}"
        return data

    def kill(self, sig=signal.SIGKILL):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
        self.proc.wait(timeout=harness.timeout(20))
        return self.proc.returncode

    def stop(self):
        """Ctrl-C: the server must stop by itself, exit 0."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                return self.proc.wait(timeout=harness.timeout(20))
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError("server did not stop on SIGINT")
        return self.proc.returncode


def report(spyglass, path, *options):
    run = harness.run_spyglass([spyglass, "report", "--json", "--limit", "0", "--stacks", "0",
                                *options, str(path)], harness.timeout(60))
    assert run.returncode == 0, run.describe()
    return json.loads(run.stdout)


def recording(spyglass, tmp_path, seconds=1.0):
    out = tmp_path / "stacks.sgl"
    run = harness.run_spyglass(
        [spyglass, "record", "-o", str(out), "--", "/usr/bin/python3",
         str(harness.TARGETS / "stacks.py"), str(harness.duration(seconds))],
        harness.timeout(60))
    assert run.returncode == 0, run.describe()
    return out


def cprofile_pstats(tmp_path):
    out = tmp_path / "prof.pstats"
    code = ("import cProfile\n"
            "def leaf(n):\n    return sum(range(n))\n"
            "def mid():\n    return [leaf(20000) for _ in range(50)]\n"
            "cProfile.run('mid()', %r)\n" % str(out))
    subprocess.run(["/usr/bin/python3", "-c", code], check=True, timeout=harness.timeout(60))
    return out


def every_fixture():
    files = sorted(p for p in (FIXTURES / "collapsed").iterdir()
                   if p.suffix in (".txt", ".austin"))
    files += sorted(p for p in (FIXTURES / "json").iterdir() if p.suffix == ".json")
    files += [CORPUS / "pprof" / "austin_full.pb.gz", CORPUS / "pstats" / "tiny_cprofile_3.11.7.pstats"]
    return files


# --- upload, list, get, rename, tag, delete -------------------------------------


def test_health_and_viewer(server):
    health = server.get("/api/health")
    assert health["ok"] is True and health["profiles"] == 0
    for path in ("/", "/p/abcdefgh?view=flame", "/v/zzzzzzzz"):
        status, headers, body = server.request("GET", path)
        assert status == 200 and headers["Content-Type"].startswith("text/html"), path
        assert b"spyglass" in body


def test_upload_every_format(spyglass, server, tmp_path):
    files = every_fixture() + [cprofile_pstats(tmp_path), recording(spyglass, tmp_path)]
    formats = set()
    for f in files:
        rec = server.upload(f, name=f.name)
        assert rec["name"] == f.name and len(rec["id"]) == 8
        expected = report(spyglass, f)
        assert rec["format"] == expected["format"], f
        assert rec["has_stacks"] == expected["has_stacks"], f
        assert rec["samples"] == expected["samples"] or not expected["has_stacks"], f
        formats.add(rec["format"])
        # the stored bytes come back unchanged
        status, headers, body = server.request("GET", f"/api/profiles/{rec['id']}/download")
        assert status == 200 and body == f.read_bytes()
        assert "attachment" in headers["Content-Disposition"]
    assert formats >= {"sgl", "pstats", "collapsed", "speedscope", "chrome-trace", "pprof"}
    listed = server.get("/api/profiles")["profiles"]
    assert len(listed) == len(files)


def test_list_get_rename_tag_delete(spyglass, server, tmp_path):
    f = recording(spyglass, tmp_path)
    a = server.upload(f, name="first", tags="slow,prod")
    b = server.upload(FIXTURES / "collapsed" / "pyspy_threads.txt", name="second")
    assert a["tags"] == ["slow", "prod"] and a["live"] is False
    got = server.get(f"/api/profiles/{a['id']}")
    assert got["mode"] == "wall" and got["weight_unit"] == "samples"
    assert got["t_end"] >= got["t_start"] and got["rate_hz"] == pytest.approx(1000, rel=0.01)
    assert sum(t["samples"] for t in got["threads"]) == a["samples"]
    assert any(x["file"].endswith("stacks.py") and x["has_source"] for x in got["files"])
    assert [p["id"] for p in server.get("/api/profiles?tag=slow")["profiles"]] == [a["id"]]
    assert [p["id"] for p in server.get("/api/profiles?q=SECO")["profiles"]] == [b["id"]]
    by_name = server.get("/api/profiles?sort=name")["profiles"]
    assert [p["name"] for p in by_name] == ["first", "second"]
    status, _, patched = server.request("PATCH", f"/api/profiles/{a['id']}",
                                        body=json.dumps({"name": "renamed", "tags": ["x", "x", "y"]}),
                                        headers={"Content-Type": "application/json"})
    assert status == 200 and patched["name"] == "renamed" and patched["tags"] == ["x", "y"]
    assert server.get(f"/api/profiles/{a['id']}")["name"] == "renamed"
    status, _, gone = server.request("DELETE", f"/api/profiles/{a['id']}")
    assert status == 200 and gone == {"deleted": a["id"]}
    status, _, err = server.request("GET", f"/api/profiles/{a['id']}")
    assert status == 404 and a["id"] in err["error"]
    assert not (server.data / "profiles" / a["id"]).exists()
    assert [p["id"] for p in server.get("/api/profiles")["profiles"]] == [b["id"]]


def test_download_other_formats(spyglass, server, tmp_path):
    f = recording(spyglass, tmp_path)
    rec = server.upload(f)
    for fmt in ("speedscope", "collapsed", "pprof", "chrome", "pstats", "firefox", "sgl"):
        status, _, body = server.request("GET", f"/api/profiles/{rec['id']}/download?format={fmt}")
        assert status == 200 and len(body) > 0, fmt
        if fmt in ("speedscope", "collapsed", "pprof", "pstats"):
            back = tmp_path / f"back.{fmt}"
            back.write_bytes(body)
            assert report(spyglass, back)["total"] > 0
    status, _, err = server.request("GET", f"/api/profiles/{rec['id']}/download?format=exe")
    assert status == 400 and "format" in err["error"]


# --- queries against `spyglass report` ------------------------------------------


@pytest.fixture
def stacks_profile(spyglass, server, tmp_path):
    f = recording(spyglass, tmp_path, 1.5)
    return f, server.upload(f)["id"]


def frame_id(answer, name):
    for fid, (qual, *_rest) in answer["frames"].items():
        if qual == name or qual.endswith("." + name):
            return int(fid)
    raise AssertionError(f"{name} not among the frames of the answer")


def test_functions_match_report(spyglass, server, stacks_profile):
    f, pid = stacks_profile
    rep = report(spyglass, f)
    ans = server.get(f"/api/profiles/{pid}/functions?limit=0")
    assert ans["total"] == rep["total"] and ans["count"] == len(rep["rows"])
    ours = {(k, s, t) for k, s, t in zip(ans["rows"]["key"], ans["rows"]["self"], ans["rows"]["total"])}
    theirs = {(r["function"], r["self"], r["total"]) for r in rep["rows"]}
    assert ours == theirs
    assert sum(ans["rows"]["samples"]) == ans["samples"]  # every sample has one newest row
    for by in ("line", "file", "package"):
        rep_by = report(spyglass, f, "--by", by)
        ans_by = server.get(f"/api/profiles/{pid}/functions?by={by}&limit=0")
        assert sorted(ans_by["rows"]["self"]) == sorted(r["self"] for r in rep_by["rows"]), by
    page = server.get(f"/api/profiles/{pid}/functions?sort=name&order=asc&offset=1&limit=2")
    names = sorted(ans["rows"]["key"])
    assert page["rows"]["key"] == names[1:3] and page["count"] == len(names)
    flt = server.get(f"/api/profiles/{pid}/functions?filter=LEAF_")
    assert set(flt["rows"]["key"]) == {"leaf_deep", "leaf_shallow"}


def test_tree_timeline_butterfly_source(spyglass, server, stacks_profile):
    f, pid = stacks_profile
    rep = report(spyglass, f)
    tree = server.get(f"/api/profiles/{pid}/tree")
    nodes = tree["nodes"]
    assert tree["total"] == rep["total"] and nodes["frame"][0] == -1 and nodes["parent"][0] == -1
    n = len(nodes["frame"])
    assert all(nodes["parent"][i] < i for i in range(1, n))  # parents first
    for i in range(n):  # self + children = total
        kids = sum(nodes["total"][j] for j in range(n) if nodes["parent"][j] == i)
        assert nodes["self"][i] + kids == nodes["total"][i]
    small = server.get(f"/api/profiles/{pid}/tree?max_nodes=4")
    assert len(small["nodes"]["frame"]) <= 4
    deep = frame_id(tree, "leaf_deep")
    leaf_row = [r for r in rep["rows"] if r["function"] == "leaf_deep"][0]
    inv = server.get(f"/api/profiles/{pid}/tree?inverted=1")
    roots = [i for i, p in enumerate(inv["nodes"]["parent"]) if p == 0]
    assert leaf_row["self"] in [inv["nodes"]["total"][i] for i in roots
                                if inv["nodes"]["frame"][i] == deep]
    bf = server.get(f"/api/profiles/{pid}/butterfly?frame={deep}")
    assert bf["self"] == leaf_row["self"] and bf["total"] == leaf_row["total"]
    assert [bf["frames"][str(c)][0].split(".")[-1] for c in bf["callers"]["frame"]] == ["c"]
    assert bf["callees"]["frame"] == []
    # focus on leaf_deep: the view holds exactly its samples
    focus = server.get(f"/api/profiles/{pid}/functions?focus={deep}")
    assert focus["total"] == leaf_row["total"]
    # the timeline's depth-0 spans account for every sample of the thread
    tl = server.get(f"/api/profiles/{pid}/timeline?width=400&enc=json")
    assert tl["width"] == 400
    spans = tl["threads"][0]["spans"]
    assert all(0 <= a < b <= 400 for a, b in zip(spans["x0"], spans["x1"]))
    depth0 = sum(w for w, d in zip(spans["weight"], spans["depth"]) if d == 0)
    assert depth0 == sum(t["samples"] for t in server.get(f"/api/profiles/{pid}")["threads"])
    src = server.get(f"/api/profiles/{pid}/source?file="
                     + urllib.parse.quote(str(harness.TARGETS / "stacks.py")))
    assert "def leaf_deep" in src["text"]
    line_of = {ln: s for ln, s in zip(src["lines"]["line"], src["lines"]["self"])}
    markers = harness.line_markers("stacks.py") if hasattr(harness, "line_markers") else None
    assert sum(src["lines"]["self"]) == sum(r["self"] for r in rep["rows"]
                                            if r["file"].endswith("stacks.py"))
    assert max(line_of.values()) == leaf_row["self"] or markers is None
    status, _, err = server.request("GET", f"/api/profiles/{pid}/source?file=/etc/passwd")
    assert status == 404 and "/etc/passwd" in err["error"]


def test_callgraph_treemap_diff(spyglass, server, stacks_profile, tmp_path):
    f, pid = stacks_profile
    rep = report(spyglass, f)
    cg = server.get(f"/api/profiles/{pid}/callgraph?node_fraction=0&edge_fraction=0")
    assert cg["total"] == rep["total"]
    totals = {tuple(cg["frames"][str(fr)][:2]): t
              for fr, t in zip(cg["nodes"]["frame"], cg["nodes"]["total"])}
    for r in rep["rows"]:
        assert totals[(r["function"], r["file"])] == r["total"]
    m = len(cg["nodes"]["frame"])
    assert all(0 <= c < m and 0 <= d < m for c, d in zip(cg["edges"]["caller"], cg["edges"]["callee"]))
    pruned = server.get(f"/api/profiles/{pid}/callgraph?node_fraction=0.2")
    assert len(pruned["nodes"]["frame"]) < m and pruned["dropped_nodes"] > 0
    tm = server.get(f"/api/profiles/{pid}/treemap")
    cells = tm["cells"]
    pkg_total = sum(s for s, lv in zip(cells["self"], cells["level"]) if lv == 0)
    assert tm["total"] == rep["total"] and pkg_total == rep["total"]
    assert all(p < i for i, p in enumerate(cells["parent"]) if p >= 0)
    same = server.get(f"/api/diff?before={pid}&after={pid}")
    assert same["total"] == [rep["total"], rep["total"]]
    assert all(d == 0 for d in same["functions"]["delta_frac_self"])
    assert all(b == a for b, a in zip(same["tree"]["before"], same["tree"]["after"]))
    other = server.upload(FIXTURES / "collapsed" / "pyspy_threads.txt")["id"]
    diff = server.get(f"/api/diff?before={pid}&after={other}&limit=5")
    assert len(diff["functions"]["key"]) == 5
    assert all(p < i for i, p in enumerate(diff["tree"]["parent"]))


def test_view_state_parameters(spyglass, server, tmp_path):
    rec = server.upload(FIXTURES / "collapsed" / "pyspy_threads.txt")
    pid = rec["id"]
    info = server.get(f"/api/profiles/{pid}")
    assert len(info["threads"]) > 1
    whole = server.get(f"/api/profiles/{pid}/functions")["total"]
    per_thread = [server.get(f"/api/profiles/{pid}/functions?threads={t['index']}")["total"]
                  for t in info["threads"]]
    assert sum(per_thread) == whole and all(per_thread)
    assert server.get(f"/api/profiles/{pid}/functions?threads=0,1")["total"] == sum(per_thread[:2])
    hidden = server.get(f"/api/profiles/{pid}/functions?hide=.&limit=0")
    assert hidden["total"] == whole and hidden["rows"]["key"] == []
    for q, needle in (("threads=99", "threads"), ("focus=x", "focus"), ("exclude=999999", "exclude"),
                      ("hide=(", "hide"), ("hide_kinds=moon", "hide_kinds"), ("state=asleep", "state"),
                      ("t0=10&t1=5", "t1"), ("collapse=maybe", "collapse"), ("t0=-1", "t0")):
        status, _, err = server.request("GET", f"/api/profiles/{pid}/tree?{q}")
        assert status == 400 and needle in err["error"], (q, err)


def test_pstats_answers_are_marked(spyglass, server, tmp_path):
    f = cprofile_pstats(tmp_path)
    pid = server.upload(f)["id"]
    rep = report(spyglass, f)
    ans = server.get(f"/api/profiles/{pid}/functions?limit=0")
    assert ans["from_pstats"] and ans["total"] == rep["total"]
    calls = dict(zip(ans["rows"]["key"], ans["rows"]["calls"]))
    assert calls["leaf"] == 50
    tree = server.get(f"/api/profiles/{pid}/tree")
    assert tree["approximate"] is True and len(tree["nodes"]["frame"]) > 2
    leaf = frame_id(tree, "leaf")
    bf = server.get(f"/api/profiles/{pid}/butterfly?frame={leaf}")
    assert bf["calls"] == 50 and bf["callers"]["calls"] == [50]


# --- saved views ---------------------------------------------------------------


def test_saved_views(server):
    pid = server.upload(FIXTURES / "collapsed" / "pyspy_raw.txt")["id"]
    body = json.dumps({"profile": pid, "state": "v=flame&focus=3", "tags": ["bug"], "note": "hot"})
    status, _, view = server.request("POST", "/api/views", body=body,
                                     headers={"Content-Type": "application/json"})
    assert status == 201 and view["state"] == "v=flame&focus=3" and view["tags"] == ["bug"]
    assert server.get(f"/api/views/{view['id']}") == view
    assert server.get(f"/api/views?profile={pid}")["views"] == [view]
    status, _, err = server.request("POST", "/api/views",
                                    body=json.dumps({"profile": "zzzzzzzz", "state": ""}),
                                    headers={"Content-Type": "application/json"})
    assert status == 404
    status, _, _ = server.request("DELETE", f"/api/views/{view['id']}")
    assert status == 200
    assert server.request("GET", f"/api/views/{view['id']}")[0] == 404
    # deleting a profile deletes its views
    server.request("POST", "/api/views", body=json.dumps({"profile": pid}),
                   headers={"Content-Type": "application/json"})
    server.request("DELETE", f"/api/profiles/{pid}")
    assert server.get("/api/views")["views"] == []


# --- tokens --------------------------------------------------------------------


def test_public_host_needs_token(spyglass, tmp_path):
    srv = Server(spyglass, tmp_path / "d", "--host", "0.0.0.0", expect_fail=True)
    assert srv.proc.wait(timeout=harness.timeout(20)) == 1
    assert "token" in srv.stderr().splitlines()[0]


def test_token(spyglass, tmp_path):
    srv = Server(spyglass, tmp_path / "d", "--host", "0.0.0.0", "--token", "s3cret")
    try:
        f = FIXTURES / "collapsed" / "pyspy_raw.txt"
        err = srv.upload(f, expect=401)
        assert "token" in err["error"]
        srv.upload(f, token="wrong", expect=401)
        pid = srv.upload(f, token="s3cret")["id"]
        assert srv.get("/api/profiles")["profiles"][0]["id"] == pid  # reads are open
        assert srv.request("DELETE", f"/api/profiles/{pid}")[0] == 401
        assert srv.request("DELETE", f"/api/profiles/{pid}?token=s3cret")[0] == 200
    finally:
        srv.kill()
    srv = Server(spyglass, tmp_path / "d", "--token", "t", "--token-reads")
    try:
        assert srv.request("GET", "/api/profiles")[0] == 401
        assert srv.request("GET", "/api/profiles", headers={"Authorization": "Bearer t"})[0] == 200
    finally:
        srv.kill()


# --- bad input -----------------------------------------------------------------


def raw(server, data, read=True):
    """Send raw bytes; the status line's code (or None when the server closed)."""
    s = socket.create_connection((server.host, server.port), timeout=harness.timeout(30))
    try:
        s.sendall(data)
        if not read:
            return None
        got = b""
        while b"\r\n" not in got:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
        return int(got.split()[1]) if got.startswith(b"HTTP/") else None
    finally:
        s.close()


TRUNCATED_SPEEDSCOPE = (FIXTURES / "json" / "pyspy-threads.speedscope.json").read_bytes()[:3000]


def test_bad_requests(server):
    pid = server.upload(FIXTURES / "collapsed" / "pyspy_raw.txt")["id"]
    json_h = {"Content-Type": "application/json"}
    cases = [
        ("PATCH", f"/api/profiles/{pid}", b"{not json", json_h, 400, "JSON"),
        ("PATCH", f"/api/profiles/{pid}", b"[1]", json_h, 400, "object"),
        ("PATCH", f"/api/profiles/{pid}", b'{"colour": 1}', json_h, 400, "colour"),
        ("PATCH", f"/api/profiles/{pid}", b'{"tags": [1]}', json_h, 400, "tags"),
        ("PATCH", f"/api/profiles/{pid}", b'{"name": "x"}', {"Content-Type": "text/plain"}, 415, "json"),
        ("PATCH", "/api/profiles/abcdefgh", b'{"name": "x"}', json_h, 404, "abcdefgh"),
        ("GET", "/api/profiles/NOT-AN-ID", None, {}, 404, "NOT-AN-ID"),
        ("GET", "/api/profiles/abcdefgh/tree", None, {}, 404, "abcdefgh"),
        ("GET", f"/api/profiles/{pid}/nosuchquery", None, {}, 404, "nosuchquery"),
        ("GET", f"/api/profiles/{pid}/butterfly", None, {}, 400, "frame"),
        ("GET", f"/api/profiles/{pid}/functions?by=colour", None, {}, 400, "by"),
        ("GET", f"/api/profiles/{pid}/tree?path=1,x", None, {}, 400, "path"),
        ("GET", "/api/diff?before=abc", None, {}, 400, "after"),
        ("POST", "/api/profiles", b"", {}, 400, "empty"),
        ("POST", "/api/profiles", b"\x00\x01binary junk\xff", {}, 415, "format"),
        ("POST", "/api/profiles", TRUNCATED_SPEEDSCOPE, {}, 400, "speedscope"),
        ("POST", "/api/profiles", b"x", {"Content-Type": "multipart/form-data; boundary=z"}, 415, "multipart"),
        ("POST", "/api/profiles?live=maybe", b"x", {}, 400, "live"),
        ("POST", "/api/views", b'{"state": "x"}', json_h, 400, "profile"),
        ("PUT", "/api/profiles", b"x", {}, 405, "PUT"),
        ("DELETE", "/api/health", None, {}, 405, "DELETE"),
        ("GET", "/api/unknown", None, {}, 404, "unknown"),
    ]
    for method, path, body, headers, want, needle in cases:
        status, hdrs, data = server.request(method, path, body=body, headers=headers)
        assert status == want, (method, path, status, data)
        assert hdrs["Content-Type"] == "application/json" and needle.lower() in data["error"].lower(), \
            (method, path, data)
    assert [p["id"] for p in server.get("/api/profiles")["profiles"]] == [pid]
    assert os.listdir(server.data / "tmp") == []


def test_limits_and_truncation(spyglass, tmp_path):
    srv = Server(spyglass, tmp_path / "d", "--max-upload", "1")
    try:
        # announced larger than the limit: refused before a byte of the body
        code = raw(srv, b"POST /api/profiles HTTP/1.1\r\nHost: x\r\nContent-Length: 1600000\r\n\r\n")
        assert code == 413
        # chunked, so the size is only known while it arrives
        conn = http.client.HTTPConnection(srv.host, srv.port, timeout=harness.timeout(30))
        conn.putrequest("POST", "/api/profiles")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        try:
            for _ in range(40):
                chunk = b"a;b;c 1\n" * 8192
                conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            conn.send(b"0\r\n\r\n")
            resp = conn.getresponse()
            assert resp.status == 413 and "limit" in json.loads(resp.read())["error"]
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may close before the client has sent it all
        conn.close()
        # a header larger than the limit
        code = raw(srv, b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n")
        assert code is None or 400 <= code < 500
        # a body cut short: nothing stored, nothing left in tmp
        raw(srv, b"POST /api/profiles HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
            + b"a;b 1\n" * 100, read=False)
        time.sleep(0.5)
        assert srv.get("/api/profiles")["profiles"] == []
        assert os.listdir(srv.data / "tmp") == [], srv.stderr()
        assert srv.get("/api/health")["ok"]
        code = raw(srv, b"PATCH /api/profiles/abcdefgh HTTP/1.1\r\nHost: x\r\n"
                   b"Content-Type: application/json\r\nContent-Length: 2000000\r\n\r\n")
        assert code == 413
    finally:
        assert srv.stop() == 0


# --- the commands --------------------------------------------------------------


def test_upload_command_and_record_upload(spyglass, server, tmp_path):
    url = f"http://127.0.0.1:{server.port}"
    f = FIXTURES / "json" / "pyspy-threads.speedscope.json"
    run = harness.run_spyglass([spyglass, "upload", str(f), url, "--tags", "ci"], harness.timeout(60))
    assert run.returncode == 0, run.describe()
    pid = run.stdout.strip().rsplit("/p/", 1)[1]
    rec = server.get(f"/api/profiles/{pid}")
    assert rec["name"] == f.name and rec["tags"] == ["ci"] and rec["format"] == "speedscope"
    bad = harness.run_spyglass([spyglass, "upload", str(f), "http://127.0.0.1:1"], harness.timeout(60))
    bad.check_error("cannot send")
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01\x02")
    bad = harness.run_spyglass([spyglass, "upload", str(junk), url], harness.timeout(60))
    bad.check_error("415")
    out = tmp_path / "rec.sgl"
    run = harness.run_spyglass([spyglass, "record", "-o", str(out), "--upload", url, "--",
                                "/usr/bin/python3", str(harness.TARGETS / "stacks.py"),
                                str(harness.duration(1))], harness.timeout(60))
    assert run.returncode == 0, run.describe()
    line = [ln for ln in run.stderr.splitlines() if "uploaded" in ln][0]
    live_id = line.rsplit("/p/", 1)[1]
    rec = server.get(f"/api/profiles/{live_id}")
    assert rec["live"] is False and rec["format"] == "sgl"
    assert rec["samples"] == report(spyglass, out)["samples"]


def test_live_upload_with_events(spyglass, server, tmp_path):
    events = []
    stop = threading.Event()

    def listen():
        conn = http.client.HTTPConnection(server.host, server.port, timeout=harness.timeout(60))
        conn.request("GET", "/api/events")
        resp = conn.getresponse()
        assert resp.getheader("Content-Type") == "text/event-stream"
        name = None
        while not stop.is_set():
            line = resp.fp.readline().decode()
            if not line:
                break
            if line.startswith("event: "):
                name = line[7:].strip()
            elif line.startswith("data: "):
                events.append((name, json.loads(line[6:])))
                if name == "profile" and not events[-1][1]["live"]:
                    break
        conn.close()

    t = threading.Thread(target=listen, daemon=True)
    t.start()
    time.sleep(0.3)
    url = f"http://127.0.0.1:{server.port}"
    out = tmp_path / "live.sgl"
    seen_live = []

    def poll():
        for p in server.get("/api/profiles")["profiles"]:
            if p["live"] and p["samples"] > 0:
                seen_live.append(p)

    last = [0.0]

    def throttled():
        if time.monotonic() - last[0] > 0.25:
            last[0] = time.monotonic()
            poll()

    # 7 s: the recorder flushes when 1,000 samples wait or after 5 s at most
    # (cmd_record.c), so a shorter run may send everything at its end
    run = harness.run_spyglass([spyglass, "record", "-o", str(out), "--upload", url, "--",
                                "/usr/bin/python3", str(harness.TARGETS / "stacks.py"),
                                str(harness.duration(7))], harness.timeout(90), poll=throttled)
    assert run.returncode == 0, run.describe()
    t.join(timeout=harness.timeout(20))
    stop.set()
    assert seen_live, "the profile never showed up live with samples while recording"
    growing = [d for n, d in events if n == "profile" and d["live"]]
    assert len(growing) >= 2 and growing[-1]["samples"] > growing[0]["samples"]
    final = [d for n, d in events if n == "profile" and not d["live"]]
    assert final and final[-1]["samples"] == report(spyglass, out)["samples"]
    assert any(n == "profiles" for n, _ in events)


def test_view_command(spyglass, tmp_path):
    f = FIXTURES / "collapsed" / "pyspy_threads.txt"
    env = dict(os.environ, TMPDIR=str(tmp_path))
    env.pop("DISPLAY", None)
    proc = subprocess.Popen([spyglass, "view", str(f), "--no-browser"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, start_new_session=True)
    try:
        url = proc.stdout.readline().decode().strip()
        assert url.startswith("http://127.0.0.1:") and "/p/" in url
        parts = urllib.parse.urlparse(url)
        pid = parts.path.rsplit("/", 1)[1]
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=harness.timeout(30))
        conn.request("GET", f"/api/profiles/{pid}/functions")
        resp = conn.getresponse()
        assert resp.status == 200
        assert json.loads(resp.read())["total"] == report(spyglass, f)["total"]
        conn.request("GET", parts.path)
        resp = conn.getresponse()
        assert resp.status == 200 and b"<html" in resp.read().lower()
        conn.close()
        assert len(list(tmp_path.glob("spyglass-view-*"))) == 1
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=harness.timeout(20)) == 0
        assert list(tmp_path.glob("spyglass-view-*")) == []  # the temporary store is gone
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    bad = harness.run_spyglass([spyglass, "view", str(tmp_path / "missing.sgl")], harness.timeout(30))
    bad.check_error("missing.sgl")
