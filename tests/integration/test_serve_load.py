"""The server under stress: a `kill -9` in the middle of an upload, and a bounded
wrk run on loopback mixing uploads, queries and bad requests.

kill -9: the store must come back consistent — the partial upload absent (no
row, no file, nothing in tmp/), every profile and saved view from before intact
and queryable — and the server must start again on the same data directory.

wrk: ~5 s, 2 threads, 8 connections; a Lua script rotates through uploads,
queries with view parameters, a saved view, and requests that must be refused
(unknown ids, malformed JSON, bad parameters, wrong methods). It counts 5xx and
201 answers itself; the test asserts zero 5xx, a live server afterwards, and
exactly as many new profiles as it was answered 201 (nothing lost).
"""

import json
import os
import re
import shutil
import socket
import subprocess
import time

import pytest

import harness
from test_serve import FIXTURES, Server, recording


def test_kill9_mid_upload_keeps_store_consistent(spyglass, tmp_path):
    data = tmp_path / "data"
    srv = Server(spyglass, data)
    try:
        before = [srv.upload(FIXTURES / "collapsed" / "pyspy_threads.txt", name="a"),
                  srv.upload(FIXTURES / "json" / "pyspy-threads.speedscope.json", name="b"),
                  srv.upload(recording(spyglass, tmp_path), name="c")]
        status, _, view = srv.request("POST", "/api/views",
                                      body=json.dumps({"profile": before[0]["id"], "state": "v=1"}),
                                      headers={"Content-Type": "application/json"})
        assert status == 201
        answers = {p["id"]: srv.get(f"/api/profiles/{p['id']}/functions?limit=0") for p in before}
        # an upload that is half sent when the server dies
        body = (FIXTURES / "collapsed" / "pyspy_threads.txt").read_bytes() * 200
        s = socket.create_connection((srv.host, srv.port))
        s.sendall(b"POST /api/profiles?name=partial HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body))
        s.sendall(body[:len(body) // 2])
        deadline = time.monotonic() + harness.timeout(10)
        while not os.listdir(data / "tmp") and time.monotonic() < deadline:
            time.sleep(0.02)
        assert os.listdir(data / "tmp"), "the upload never reached the disk"
        srv.kill(signal_kill())
        s.close()
    finally:
        srv.kill()
    srv = Server(spyglass, data)  # starts again on the same store
    try:
        listed = srv.get("/api/profiles")["profiles"]
        assert sorted(p["id"] for p in listed) == sorted(p["id"] for p in before)
        assert all(p["name"] != "partial" for p in listed)
        assert os.listdir(data / "tmp") == []
        assert sorted(os.listdir(data / "profiles")) == sorted(p["id"] for p in before)
        for pid, answer in answers.items():
            assert srv.get(f"/api/profiles/{pid}/functions?limit=0") == answer
        assert srv.get(f"/api/views/{view['id']}")["state"] == "v=1"
        srv.upload(FIXTURES / "collapsed" / "pyspy_raw.txt")  # and it takes new ones
    finally:
        assert srv.stop() == 0


def signal_kill():
    import signal
    return signal.SIGKILL


def test_kill9_during_live_upload_keeps_what_arrived(spyglass, tmp_path):
    data = tmp_path / "data"
    srv = Server(spyglass, data)
    rec = recording(spyglass, tmp_path)
    body = rec.read_bytes()
    try:
        s = socket.create_connection((srv.host, srv.port))
        s.sendall(b"POST /api/profiles?live=1&name=live HTTP/1.1\r\nHost: x\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
        s.sendall(b"%x\r\n%s\r\n" % (len(body), body))
        deadline = time.monotonic() + harness.timeout(10)
        listed = []
        while time.monotonic() < deadline and not listed:
            listed = [p for p in srv.get("/api/profiles")["profiles"] if p["live"]]
            time.sleep(0.05)
        assert listed, "a live upload must show up at once"
        srv.kill(signal_kill())
        s.close()
    finally:
        srv.kill()
    srv = Server(spyglass, data)
    try:
        (p,) = srv.get("/api/profiles")["profiles"]
        assert p["name"] == "live" and p["live"] is False  # finished at start
        assert srv.get(f"/api/profiles/{p['id']}/functions")["total"] > 0
    finally:
        srv.kill()


WRK_SCRIPT = r"""
-- spyglass serve under wrk: uploads, queries, bad requests (see test_serve_load.py)
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  n = 0; s5 = 0; created = 0; s4 = 0; s2 = 0
end
local id = "@ID@"
local frame = "@FRAME@"
local upload = "main;work;leaf 7\nmain;work;other 3\nmain;idle 2\n"
local json = {["Content-Type"] = "application/json"}
local reqs = {
  function() return wrk.format("POST", "/api/profiles?name=wrk&tags=load", nil, upload) end,
  function() return wrk.format("GET", "/api/profiles/" .. id .. "/tree?width=800") end,
  function() return wrk.format("GET", "/api/profiles/" .. id .. "/functions?by=line&sort=total") end,
  function() return wrk.format("GET", "/api/profiles/" .. id .. "/timeline?width=600&threads=0") end,
  function() return wrk.format("GET", "/api/profiles/" .. id .. "/butterfly?frame=" .. frame) end,
  function() return wrk.format("GET", "/api/profiles/" .. id .. "/callgraph") end,
  function() return wrk.format("GET", "/api/profiles/" .. id .. "/treemap?focus=" .. frame) end,
  function() return wrk.format("GET", "/api/diff?before=" .. id .. "&after=" .. id) end,
  function() return wrk.format("GET", "/api/profiles?sort=samples") end,
  function() return wrk.format("GET", "/api/profiles/zzzzzzzz/tree") end,
  function() return wrk.format("GET", "/api/profiles/" .. id .. "/tree?focus=99999999") end,
  function() return wrk.format("GET", "/api/profiles/" .. id .. "/tree?hide=((") end,
  function() return wrk.format("PATCH", "/api/profiles/" .. id, json, "{not json") end,
  function() return wrk.format("POST", "/api/views", json, '{"profile": "' .. id .. '", "state": "v=1"}') end,
  function() return wrk.format("POST", "/api/profiles", nil, "\0\1\2 not a profile") end,
  function() return wrk.format("DELETE", "/api/health") end,
  function() return wrk.format("GET", "/p/" .. id) end,
}
function request()
  n = n + 1
  return reqs[(n % #reqs) + 1]()
end
function response(status, headers, body)
  if status >= 500 then s5 = s5 + 1
  elseif status == 201 and body:find('"format"', 1, true) then created = created + 1
  elseif status >= 400 then s4 = s4 + 1
  else s2 = s2 + 1 end
end
function done(summary, latency, requests)
  local t5, tc, t4, t2 = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    t5 = t5 + t:get("s5"); tc = tc + t:get("created"); t4 = t4 + t:get("s4"); t2 = t2 + t:get("s2")
  end
  io.write(string.format("RESULT 5xx=%d created=%d 4xx=%d ok=%d errors=%d\n",
                         t5, tc, t4, t2, summary.errors.connect + summary.errors.read +
                         summary.errors.write + summary.errors.timeout))
end
"""


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_wrk_mixed_load(spyglass, tmp_path):
    srv = Server(spyglass, tmp_path / "data")
    try:
        pid = srv.upload(recording(spyglass, tmp_path, 1.0))["id"]
        frames = srv.get(f"/api/profiles/{pid}/functions?limit=1")["rows"]["frame"]
        script = tmp_path / "mix.lua"
        script.write_text(WRK_SCRIPT.replace("@ID@", pid).replace("@FRAME@", str(frames[0])))
        before = len(srv.get("/api/profiles")["profiles"])
        run = subprocess.run(["wrk", "-t2", "-c8", f"-d{int(harness.duration(5))}s",
                              "--timeout", "10s", "-s", str(script),
                              f"http://127.0.0.1:{srv.port}/"],
                             capture_output=True, text=True, timeout=harness.timeout(120))
        assert run.returncode == 0, run.stderr
        m = re.search(r"RESULT 5xx=(\d+) created=(\d+) 4xx=(\d+) ok=(\d+) errors=(\d+)", run.stdout)
        assert m, run.stdout
        s5, created, s4, ok, errors = map(int, m.groups())
        assert s5 == 0, run.stdout
        assert created > 0 and s4 > 0 and ok > 0, run.stdout
        assert errors == 0, run.stdout
        assert srv.proc.poll() is None, "the server died under load"
        assert srv.get("/api/health")["ok"]
        # nothing lost: every 201 wrk counted is listed; wrk stops with up to
        # 8 requests (its connections) in flight, whose uploads may still land
        stored = len(srv.get("/api/profiles")["profiles"])
        assert before + created <= stored <= before + created + 8
        assert os.listdir(srv.data / "tmp") == []
    finally:
        assert srv.stop() == 0
