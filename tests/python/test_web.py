"""The web integration over real sockets: the Flask blueprint (werkzeug's
server), the WSGI middleware (wsgiref) and the ASGI middleware under a real
uvicorn server, driven with urllib, with and without tokens; upload to a
real `spyglass serve`; the ASGI middleware also driven through the ASGI
protocol itself."""

import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

import harness
from conftest import TARGETS


class Server:
    """A real `spyglass serve` (the binary from $SPYGLASS) on a free loopback
    port with a temporary --data directory and a token, which uploads must
    send. The port is read from the line it announces on stderr."""

    TOKEN = "server-token"

    def __init__(self, spyglass_bin, data):
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [spyglass_bin, "serve", "--data", str(data), "--port", "0", "--token", self.TOKEN],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.err,
            start_new_session=True)
        port = None
        deadline = time.monotonic() + harness.timeout(20)
        while port is None and time.monotonic() < deadline:
            assert self.proc.poll() is None, f"spyglass serve exited: {self.stderr()}"
            for line in self.stderr().splitlines():
                if " on http://" in line:
                    port = int(line.split(" on http://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
            time.sleep(0.02)
        assert port, f"spyglass serve announced no port: {self.stderr()}"
        self.url = f"http://127.0.0.1:{port}"

    def stderr(self):
        self.err.seek(0)
        return self.err.read().decode(errors="replace")

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=harness.timeout(60)) as resp:
            return json.loads(resp.read())

    def close(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=harness.timeout(20))
        self.err.close()


@pytest.fixture
def server(spyglass_bin, tmp_path):
    s = Server(spyglass_bin, tmp_path / "server-data")
    yield s
    s.close()


def call(base, method, path, token=None, how="bearer", timeout=60):
    url = base + path
    if token and how == "query":
        url += ("&" if "?" in url else "?") + "token=" + token
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    if token and how == "bearer":
        req.add_header("Authorization", "Bearer " + token)
    if token and how == "header":
        req.add_header("X-Spyglass-Token", token)
    try:
        with urllib.request.urlopen(req, timeout=harness.timeout(timeout)) as resp:
            return resp.status, resp.read(), resp.headers  # case-insensitive
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def serve(py, kind, upload_url):
    env = dict(py.env)
    env["PYTHONPATH"] = ":".join(filter(None, [env.get("PYTHONPATH"), str(TARGETS)]))
    proc = subprocess.Popen([py.python, str(TARGETS / "webapp.py"), kind, upload_url],
                            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        proc.kill()
        raise AssertionError(f"web app did not start: {line}{proc.stderr.read()}")
    return proc, f"http://127.0.0.1:{int(line.split()[1])}"


def check_endpoints(base, tokens, spyglass_bin, tmp_path, server, known):
    good = tokens[0]
    # closed without a valid token, whatever the endpoint
    for method, path in (("GET", "/_spyglass/status"), ("POST", "/_spyglass/start"),
                         ("GET", "/_spyglass/download")):
        assert call(base, method, path)[0] == 401
        assert call(base, method, path, "wrong")[0] == 401
    assert call(base, "GET", "/_spyglass/status", good[:-1])[0] == 401
    # every way of giving the token works, and every allowed token
    for how in ("bearer", "header", "query"):
        status, body, _ = call(base, "GET", "/_spyglass/status", good, how)
        assert status == 200 and json.loads(body)["running"] is False
    for t in tokens[1:]:
        assert call(base, "GET", "/_spyglass/status", t)[0] == 200
    assert call(base, "GET", "/_spyglass/start", good)[0] == 405
    assert call(base, "GET", "/_spyglass/nope", good)[0] == 404
    assert call(base, "GET", "/_spyglass/download", good)[0] == 409  # nothing yet
    # start, work, pause; while paused nothing is added, so the download and
    # the upload hold the same samples; resume
    status, body, _ = call(base, "POST", "/_spyglass/start", good)
    assert status == 200 and json.loads(body)["running"] is True
    assert call(base, "POST", "/_spyglass/start", good)[0] == 409
    assert call(base, "GET", "/work?t=%s" % harness.duration(0.4))[0] == 200
    status, body, _ = call(base, "POST", "/_spyglass/pause", good)
    assert json.loads(body)["paused"] is True
    status, data, headers = call(base, "GET", "/_spyglass/download", good)
    assert status == 200 and "attachment" in headers.get("Content-Disposition", "")
    sgl = tmp_path / "web.sgl"
    sgl.write_bytes(data)
    conv = subprocess.run([spyglass_bin, "convert", str(sgl), "-o", "-", "--to", "collapsed"],
                          capture_output=True, text=True, timeout=60)
    assert conv.returncode == 0, conv.stderr
    assert (known.frame("leaf_a", "a_calls_spin") + ";" + known.frame("spin", "spin")) \
        in conv.stdout, conv.stdout[:3000]
    downloaded = sum(int(line.rsplit(" ", 1)[1]) for line in conv.stdout.splitlines() if line)
    # upload to the real server (with its token), then read the profile back
    status, body, _ = call(base, "POST", "/_spyglass/upload?name=from-web", good)
    assert status == 200, body
    stored = json.loads(body)
    assert stored["name"] == "from-web" and stored["format"] == "sgl", stored
    prof = server.get(f"/api/profiles/{stored['id']}")
    assert prof["samples"] == downloaded > 0, (prof, downloaded)
    assert prof["mode"] == "wall" and prof["rate_hz"] > 0
    funcs = server.get(f"/api/profiles/{stored['id']}/functions?by=function&limit=0")
    keys = funcs["rows"]["key"]
    for name in ("outer", "leaf_a", "spin"):
        assert name in keys, keys
    # every kept sample's newest frame is in one row and belongs to one
    # thread; the request's work is `spin`'s own time
    assert sum(funcs["rows"]["samples"]) == prof["samples"]
    assert sum(t["samples"] for t in prof["threads"]) == prof["samples"]
    spin = keys.index("spin")
    assert funcs["rows"]["samples"][spin] == funcs["rows"]["self"][spin] > 0, funcs["rows"]
    assert server.get("/api/profiles")["profiles"][0]["id"] == stored["id"]
    status, body, _ = call(base, "POST", "/_spyglass/resume", good)
    assert json.loads(body)["paused"] is False
    status, body, _ = call(base, "POST", "/_spyglass/stop", good)
    assert status == 200 and json.loads(body)["running"] is False
    assert call(base, "POST", "/_spyglass/stop", good)[0] == 409


@pytest.mark.venv
def test_flask_blueprint_over_socket(py, spyglass_bin, tmp_path, server, known):
    proc, base = serve(py, "flask", server.url)
    try:
        check_endpoints(base, ["tok-1", "tok-2"], spyglass_bin, tmp_path, server, known)
        # the application's own routes are untouched
        assert call(base, "GET", "/work?t=0.01")[0] == 200
    finally:
        proc.stdin.close()
        proc.kill()
        proc.wait()


def test_wsgi_middleware_over_socket(py, spyglass_bin, tmp_path, server, known):
    proc, base = serve(py, "wsgi", server.url)
    try:
        check_endpoints(base, ["tok-1"], spyglass_bin, tmp_path, server, known)
        assert call(base, "GET", "/other")[0] == 404  # passed through to the app
    finally:
        proc.stdin.close()
        proc.kill()
        proc.wait()


def collapsed(spyglass_bin, path):
    conv = subprocess.run([spyglass_bin, "convert", str(path), "-o", "-", "--to", "collapsed"],
                          capture_output=True, text=True, timeout=60)
    assert conv.returncode == 0, conv.stderr
    return {line.rsplit(" ", 1)[0]: int(line.rsplit(" ", 1)[1])
            for line in conv.stdout.splitlines() if line}


@pytest.mark.venv
def test_asgi_middleware_under_uvicorn(py, spyglass_bin, tmp_path, server, known):
    proc, base = serve(py, "asgi", server.url)
    try:
        check_endpoints(base, ["tok-1"], spyglass_bin, tmp_path, server, known)
        assert call(base, "GET", "/other")[0] == 404  # passed through to the app
        # One profile per request: start, one request, download, stop; each
        # profile holds that request's work, reached through the middleware
        # from uvicorn's server in webapp.py's main thread.
        work = known.frame("leaf_a", "a_calls_spin") + ";" + known.frame("spin", "spin")
        middleware = py.qualname("ASGIMiddleware.__call__")
        for seconds in (0.3, 0.5):
            assert call(base, "POST", "/_spyglass/start", "tok-1")[0] == 200
            assert call(base, "GET", "/work?t=%s" % harness.duration(seconds))[0] == 200
            status, data, _ = call(base, "GET", "/_spyglass/download", "tok-1")
            assert status == 200
            assert call(base, "POST", "/_spyglass/stop", "tok-1")[0] == 200
            sgl = tmp_path / f"request-{seconds}.sgl"
            sgl.write_bytes(data)
            stacks = collapsed(spyglass_bin, sgl)
            request = {s: n for s, n in stacks.items() if work in s}
            assert request, "\n".join(list(stacks)[:20])
            served = f"serve_uvicorn ({TARGETS / 'webapp.py'}:"
            assert all(served in s and "/uvicorn/" in s and f";{middleware} (" in s
                       for s in request), "\n".join(request)
            # the request ran `seconds` (or more) at 1 kHz: a loaded machine
            # may lose samples, but not most of them
            assert sum(request.values()) >= 0.3 * seconds * 1000, \
                (sum(request.values()), "\n".join(list(stacks)[:20]))
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=harness.timeout(20))  # uvicorn shuts down on stdin's end
        finally:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, proc.stderr.read()[-3000:]


ASGI = """
import asyncio, json, known
from spyglass.web import ASGIMiddleware, Control

async def app(scope, receive, send):
    known.leaf_b(0.2)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"app"})

mw = ASGIMiddleware(app, tokens=["tok"])

async def request(method, path, token=None, query=b""):
    sent = []
    headers = [(b"authorization", b"Bearer " + token.encode())] if token else []
    scope = {"type": "http", "method": method, "path": path, "query_string": query,
             "headers": headers}
    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}
    async def send(msg):
        sent.append(msg)
    await mw(scope, receive, send)
    return sent[0]["status"], sent[1]["body"]

async def main():
    out = {}
    out["noauth"] = (await request("GET", "/_spyglass/status"))[0]
    out["start"] = (await request("POST", "/_spyglass/start", "tok"))[0]
    out["app"] = (await request("GET", "/work"))[1].decode()
    out["status"] = json.loads((await request("GET", "/_spyglass/status", "tok"))[1])
    status, data = await request("GET", "/_spyglass/download", "tok", b"last=60")
    out["download"] = [status, len(data), data[:4].hex()]
    out["stop"] = (await request("POST", "/_spyglass/stop", "tok"))[0]
    errs = []
    for bad in (None, "tok"):
        try:
            Control(bad)
        except ValueError as e:
            errs.append(str(e))
    out["errors"] = errs
    return out

result(asyncio.run(main()))
"""


def test_asgi_middleware_protocol(py):
    r = py.run(ASGI)
    assert r["noauth"] == 401
    assert r["start"] == 200 and r["app"] == "app"
    assert r["status"]["running"] is True and r["status"]["samples"] > 0
    assert r["download"][0] == 200 and r["download"][1] > 100
    assert r["stop"] == 200
    assert len(r["errors"]) == 2 and all("token" in e for e in r["errors"])


def test_empty_token_list_refuses_everything(py):
    r = py.run("""
from spyglass.web import Control
c = Control(tokens=[])
result([c.handle("GET", "/_spyglass/status", "token=", {"authorization": "Bearer "})[0],
        c.handle("POST", "/_spyglass/start", "", {})[0]])
""")
    assert r == [401, 401]
