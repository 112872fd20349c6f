"""HTTP control of the in-process profiler: endpoints a web application
mounts to switch profiling on and off at a moment of its choosing.

    from spyglass.web import WSGIMiddleware, ASGIMiddleware
    app = WSGIMiddleware(app, tokens=["s3cret"])          # any WSGI app
    app = ASGIMiddleware(app, tokens=["s3cret"])          # any ASGI app
    # Flask: app.register_blueprint(spyglass.flask.blueprint(tokens=["s3cret"]))

Endpoints, under the prefix (default /_spyglass):
    GET  status                 {"running", "paused", "rate", "mode", "samples", ...}
    POST start | stop | pause | resume      the new status
    GET  download[?last=S]      the profile so far as .sgl (attachment)
    POST upload[?last=S&name=N] sends it to the configured spyglass server
                                (upload_url=, upload_token=); answers its JSON

Safety: nothing exists until mounted; every request needs one of the
allowed tokens (`Authorization: Bearer T`, `X-Spyglass-Token: T` or
`?token=T`), else 401; an empty token list refuses everything, and there
is no way to mount without one. Upload goes only to the URL configured at
mount time, never to one a request names.
"""

import hmac
import json
import os
import urllib.parse

from . import _profiler

DEFAULT_PREFIX = "/_spyglass"


class Control:
    """The endpoints, independent of the framework: handle() maps a request
    to (status, headers, body). Shared by the WSGI, ASGI and Flask glue."""

    def __init__(self, tokens, profiler=None, prefix=DEFAULT_PREFIX, upload_url=None,
                 upload_token=None, **profiler_options):
        if isinstance(tokens, str) or tokens is None:
            raise ValueError("tokens must be a list of allowed tokens (the spyglass endpoints "
                             "are never open without one)")
        self.tokens = [str(t) for t in tokens if t]
        self.prefix = "/" + prefix.strip("/")
        self.profiler = profiler
        self.options = profiler_options
        self.upload_url = upload_url
        self.upload_token = upload_token

    def _prof(self):
        if self.profiler is None:
            self.profiler = _profiler.Profiler(**self.options)
        return self.profiler

    def matches(self, path):
        return path == self.prefix or path.startswith(self.prefix + "/")

    def _authorized(self, headers, query):
        given = []
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            given.append(auth[7:].strip())
        if headers.get("x-spyglass-token"):
            given.append(headers["x-spyglass-token"].strip())
        given += query.get("token", [])
        ok = False
        for g in given:
            for t in self.tokens:  # no early exit: the time says nothing
                ok |= hmac.compare_digest(g.encode(), t.encode())
        return ok

    def status(self):
        p = self.profiler
        if p is None:
            return {"running": False, "paused": False, "started": False}
        s = p.stats()
        return {"running": p.running, "paused": bool(s["paused"]), "started": p._started,
                "rate": p.rate, "mode": p.mode, "window": p.window, "history": p.history,
                "elapsed_s": s["elapsed_ns"] / 1e9, "samples": s["samples"],
                "rounds": s["rounds"], "torn": s["torn"], "failed": s["failed"],
                "error": s["error"]}

    @staticmethod
    def _json(status, obj):
        return status, [("Content-Type", "application/json")], json.dumps(obj).encode()

    def handle(self, method, path, query_string, headers, body=b""):
        """headers: lower-case names. Returns (status, [(name, value)], body)."""
        query = urllib.parse.parse_qs(query_string or "")
        if not self._authorized(headers, query):
            return self._json(401, {"error": "a valid spyglass token is required"})
        action = path[len(self.prefix):].strip("/") or "status"
        want = {"status": "GET", "download": "GET", "start": "POST", "stop": "POST",
                "pause": "POST", "resume": "POST", "upload": "POST"}
        if action not in want:
            return self._json(404, {"error": f"no spyglass endpoint {action!r}"})
        if method != want[action]:
            return self._json(405, {"error": f"{action} takes {want[action]}"})
        try:
            last = float(query["last"][0]) if "last" in query else None
        except ValueError:
            return self._json(400, {"error": "last must be seconds"})
        try:
            return self._do(action, query, last)
        except RuntimeError as e:
            return self._json(409, {"error": str(e)})
        except OSError as e:
            return self._json(502, {"error": str(e)})

    def _do(self, action, query, last):
        if action == "status":
            return self._json(200, self.status())
        if action == "start":
            prof = self._prof()
            if prof.running:
                return self._json(409, {"error": "already running"})
            prof.start()
        elif action in ("stop", "pause", "resume"):
            prof = self.profiler
            if prof is None or not prof.running:
                return self._json(409, {"error": "not running"})
            getattr(prof, action)()
        elif action == "download":
            prof = self.profiler
            if prof is None or not prof._started:
                return self._json(409, {"error": "nothing recorded yet: POST start first"})
            data = prof.snapshot(last=last).to_bytes()
            name = f"spyglass-{os.getpid()}.sgl"
            return 200, [("Content-Type", "application/octet-stream"),
                         ("Content-Disposition", f'attachment; filename="{name}"')], data
        elif action == "upload":
            prof = self.profiler
            if self.upload_url is None:
                return self._json(400, {"error": "no upload_url was configured when mounting"})
            if prof is None or not prof._started:
                return self._json(409, {"error": "nothing recorded yet: POST start first"})
            name = query.get("name", [None])[0]
            answer = prof.upload(self.upload_url, token=self.upload_token, name=name, last=last)
            return self._json(200, answer)
        return self._json(200, self.status())


class WSGIMiddleware:
    """Mounts the endpoints in front of a WSGI application."""

    def __init__(self, app, tokens, profiler=None, prefix=DEFAULT_PREFIX, **options):
        self.app = app
        self.control = Control(tokens, profiler, prefix, **options)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not self.control.matches(path):
            return self.app(environ, start_response)
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items()
                   if k.startswith("HTTP_")}
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        status, hdrs, data = self.control.handle(environ.get("REQUEST_METHOD", "GET"), path,
                                                 environ.get("QUERY_STRING", ""), headers, body)
        reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
                  405: "Method Not Allowed", 409: "Conflict", 502: "Bad Gateway"}
        start_response(f"{status} {reason.get(status, '')}",
                       hdrs + [("Content-Length", str(len(data)))])
        return [data]


class ASGIMiddleware:
    """Mounts the endpoints in front of an ASGI application (HTTP scopes)."""

    def __init__(self, app, tokens, profiler=None, prefix=DEFAULT_PREFIX, **options):
        self.app = app
        self.control = Control(tokens, profiler, prefix, **options)

    async def __call__(self, scope, receive, send):
        if scope.get("type") != "http" or not self.control.matches(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        import asyncio
        loop = asyncio.get_running_loop()
        # snapshots and uploads take a while: off the event loop
        status, hdrs, data = await loop.run_in_executor(
            None, self.control.handle, scope.get("method", "GET"), scope["path"],
            scope.get("query_string", b"").decode("latin-1"), headers, body)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(k.lower().encode(), v.encode()) for k, v in hdrs] +
                               [(b"content-length", str(len(data)).encode())]})
        await send({"type": "http.response.body", "body": data})
