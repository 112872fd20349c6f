"""A web application with the spyglass endpoints mounted, served on a real
socket: `webapp.py flask|wsgi|asgi UPLOAD_URL`. Prints `PORT n` when
listening. /work?t=S runs known work for S seconds (what the tests profile).
`asgi` is an ASGI application behind spyglass's ASGIMiddleware, served by
uvicorn (from PyPI) in the main thread, as in production."""
import sys
import threading

import known


def work_seconds(query):
    import urllib.parse
    return float(urllib.parse.parse_qs(query).get("t", ["0.3"])[0])


def flask_app(upload_url):
    import flask

    import spyglass.flask
    app = flask.Flask("webapp")
    app.register_blueprint(spyglass.flask.blueprint(
        tokens=["tok-1", "tok-2"], rate=1000, upload_url=upload_url, upload_token="server-token"))

    @app.route("/work")
    def work():
        known.outer(float(flask.request.args.get("t", "0.3")))  # @line:flask_work
        return "done"

    return app


def wsgi_app(upload_url):
    from spyglass.web import WSGIMiddleware

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/work":
            known.outer(work_seconds(environ.get("QUERY_STRING", "")))
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"done"]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no"]

    return WSGIMiddleware(app, tokens=["tok-1"], upload_url=upload_url,
                          upload_token="server-token")


def asgi_app(upload_url):
    from spyglass.web import ASGIMiddleware

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":  # uvicorn's startup/shutdown messages
            while True:
                msg = await receive()
                await send({"type": msg["type"] + ".complete"})
                if msg["type"] == "lifespan.shutdown":
                    return
        status, body = 404, b"no"
        if scope["path"] == "/work":
            # the request's work runs on the event loop's thread, as a
            # synchronous handler's would
            known.outer(work_seconds(scope.get("query_string", b"").decode()))
            status, body = 200, b"done"
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": body})

    return ASGIMiddleware(app, tokens=["tok-1"], upload_url=upload_url,
                          upload_token="server-token")


def serve_uvicorn(upload_url):
    import socket

    import uvicorn
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)  # connections wait in the backlog until uvicorn is up
    config = uvicorn.Config(asgi_app(upload_url), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)

    def stop_on_eof():
        sys.stdin.read()  # until the test closes our stdin
        server.should_exit = True

    threading.Thread(target=stop_on_eof, daemon=True).start()
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    server.run(sockets=[sock])


def main():
    kind, upload_url = sys.argv[1], sys.argv[2]
    if kind == "asgi":
        serve_uvicorn(upload_url)
        return
    if kind == "flask":
        from werkzeug.serving import make_server
        server = make_server("127.0.0.1", 0, flask_app(upload_url), threaded=True)
    else:
        from socketserver import ThreadingMixIn
        from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

        class Quiet(WSGIRequestHandler):
            def log_message(self, *args):
                pass

        class Threaded(ThreadingMixIn, WSGIServer):
            daemon_threads = True

        server = make_server("127.0.0.1", 0, wsgi_app(upload_url), server_class=Threaded,
                             handler_class=Quiet)
    print(f"PORT {server.server_port}", flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # until the test closes our stdin


if __name__ == "__main__":
    main()
