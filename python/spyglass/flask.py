"""A Flask blueprint of the spyglass control endpoints (see spyglass.web for
the endpoints and the token rules).

    import spyglass.flask
    app.register_blueprint(spyglass.flask.blueprint(tokens=["s3cret"]))
    # then: curl -X POST -H 'Authorization: Bearer s3cret' http://HOST/_spyglass/start
"""

from flask import Blueprint, Response, request

from .web import DEFAULT_PREFIX, Control


def blueprint(tokens, profiler=None, url_prefix=DEFAULT_PREFIX, name="spyglass", **options):
    """The blueprint; `options` are Profiler options (rate, mode, window,
    history...) or upload_url / upload_token."""
    control = Control(tokens, profiler, url_prefix, **options)
    bp = Blueprint(name, __name__, url_prefix=control.prefix)

    def view(action=""):
        headers = {k.lower(): v for k, v in request.headers.items()}
        status, hdrs, data = control.handle(request.method, request.path,
                                            request.query_string.decode("latin-1"), headers,
                                            request.get_data())
        return Response(data, status=status, headers=hdrs)

    bp.add_url_rule("/", "status", view, methods=["GET", "POST"])
    bp.add_url_rule("/<action>", "action", view, methods=["GET", "POST"])
    bp.control = control
    return bp
